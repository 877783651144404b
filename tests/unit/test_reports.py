"""The report and briefing text engine: figures from the closes worked out by hand, the
templates (sections, formatting, "not available", no advice, sources, disclaimer, every
figure traceable to the facts), the LLM prompt, and the checks on the LLM's answer."""

import json
import math
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

from server.domain.report_facts import (
    Citation,
    CorporateActionFact,
    DailyClose,
    HeadlineFact,
    IndicatorFacts,
    MarketFacts,
    MoverFact,
    RatioFact,
    StockFacts,
)
from server.domain.reports import (
    BRIEFING_SECTION_TITLES,
    DISCLAIMER,
    REPORT_SECTION_TITLES,
    SYSTEM_PROMPT,
    TEMPLATE_AUTHOR,
    annualised_volatility,
    average_volume,
    daily_briefing_prompt,
    daily_briefing_template,
    drawdown_from_high,
    facts_json,
    grounded_briefing,
    grounded_report,
    llm_author,
    period_return,
    range_52_weeks,
    sections_from_markdown,
    stock_report_prompt,
    stock_report_template,
    ungrounded_figures,
)
from server.domain.sentiment import SentimentBand, SentimentSummary

ADVICE_WORDS = re.compile(r"\b(buy|sell|hold|target price)\b", re.IGNORECASE)


def trading_days(count: int, last: date = date(2025, 12, 30)) -> list[date]:
    """`count` Sunday-to-Thursday days up to `last`, oldest first."""
    days: list[date] = []
    day = last
    while len(days) < count:
        if day.weekday() not in (4, 5):  # Friday, Saturday
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


def closes_of(prices: list[D], volumes: list[int] | None = None) -> tuple[DailyClose, ...]:
    volumes = volumes or [1_000] * len(prices)
    return tuple(DailyClose(day, price, volume)
                 for day, price, volume in zip(trading_days(len(prices)), prices, volumes,
                                               strict=True))


def year_of_prices() -> list[D]:
    """253 closes: 80.00 rising 0.10 a day to 104.20 (index 242), then falling 0.50 a day
    to 99.20 (index 252)."""
    rising = [D(80) + D(i) / 10 for i in range(243)]
    return rising + [rising[-1] - D(i) / 2 for i in range(1, 11)]


PRICES = year_of_prices()
VOLUMES = [500_000 + 1_000 * i for i in range(253)]
CLOSES = closes_of(PRICES, VOLUMES)
SENTIMENT = SentimentSummary(sample_size=12, score=0.123, band=SentimentBand.NEUTRAL,
                             confidence=0.456, counts={"positive": 5, "negative": 3,
                                                       "neutral": 4})
NO_NEWS = SentimentSummary(sample_size=0, score=0.0, band=None, confidence=0.0,
                           counts={"positive": 0, "negative": 0, "neutral": 0})
BARS = Citation("ChartService.GetBars", "daily bars 2025-01-01..2025-12-30", False)
RATIOS = Citation("FundamentalsService.GetRatios", "ratios of fiscal year 2024", True)


def stock_facts() -> StockFacts:
    return StockFacts(
        symbol="2222",
        name_en="Saudi Arabian Oil Co",
        name_ar="أرامكو السعودية",
        sector="Energy",
        industry_group="Energy",
        market="Main Market",
        isin="SA14TG012N13",
        listing_date=date(2019, 12, 11),
        closes=CLOSES,
        indicators=IndicatorFacts(rsi_14=72.4, sma_50=101.87, sma_200=93.15, macd=0.4321,
                                  macd_signal=0.5123),
        ratios=(
            RatioFact("price_to_earnings", None, "NEGATIVE_EARNINGS"),
            RatioFact("price_to_book", D("1.8370")),
            RatioFact("ev_to_ebitda", D("18.3700")),
            RatioFact("return_on_equity", D("0.1234")),
            RatioFact("dividend_yield", D("0.0456")),
            RatioFact("current_ratio", None, "ZERO_DENOMINATOR"),
        ),
        ratios_fiscal_year=2024,
        headlines=(
            # 21:30 UTC on the 29th is 00:30 on the 30th in Riyadh.
            HeadlineFact(datetime(2025, 12, 29, 21, 30, tzinfo=UTC), "2222",
                         "Aramco reports 5% rise in third-quarter profit", "positive", 0.82),
            HeadlineFact(datetime(2025, 12, 20, 9, 0, tzinfo=UTC), "2222",
                         "Crude prices slip on supply worries", "negative", -0.61),
        ),
        news_sentiment=SENTIMENT,
        corporate_actions=(
            CorporateActionFact(date(2025, 11, 20), "CASH_DIVIDEND",
                                "Cash dividend of SAR 0.50 per share"),
            CorporateActionFact(date(2025, 5, 4), "BONUS_SHARES", "1 share for every 10 held"),
        ),
        citations=(BARS, RATIOS),
    )


def bare_stock_facts() -> StockFacts:
    """A company the platform knows nothing more about."""
    return StockFacts(symbol="9999", name_en="", name_ar="", sector="", industry_group="",
                      market="Nomu", isin="", listing_date=None, closes=(),
                      indicators=IndicatorFacts(), ratios=(), ratios_fiscal_year=None,
                      headlines=(), news_sentiment=NO_NEWS, corporate_actions=())


def mover(symbol: str, change: float) -> MoverFact:
    return MoverFact(symbol=symbol, name_en=f"Company {symbol}", close=31.45,
                     change_percent=change, volume=1_234_567, turnover=38_827_131.15)


def market_facts() -> MarketFacts:
    return MarketFacts(
        trading_day=date(2025, 12, 30), tasi_level=11_234.567, tasi_change=12.34,
        tasi_change_percent=0.1100, advancers=150, decliners=80, unchanged=22,
        volume=234_567_890, turnover=6_123_456_789.5,
        gainers=(mover("1120", 9.95), mover("2010", 4.321)),
        losers=(mover("7010", -6.78),), most_active=(mover("2222", 1.5),),
        headlines=(HeadlineFact(datetime(2025, 12, 30, 8, 0, tzinfo=UTC), "1120",
                                "Al Rajhi Bank completes sukuk issuance", "neutral", 0.02),),
        news_sentiment=SENTIMENT,
        citations=(Citation("MarketService.GetMarketSummary", "summary of 2025-12-30", True),))


def sections(markdown: str) -> list[str]:
    return re.findall(r"^## (.+)$", markdown, re.MULTILINE)


# ---------------------------------------------------------------------------------------
# Figures from the closes


def test_period_returns_against_the_closes_by_hand() -> None:
    assert period_return(CLOSES, 21) == pytest.approx(99.2 / 103.1 - 1)
    assert period_return(CLOSES, 63) == pytest.approx(99.2 / 98.9 - 1)
    assert period_return(CLOSES, 126) == pytest.approx(99.2 / 92.6 - 1)
    assert period_return(CLOSES, 252) == pytest.approx(99.2 / 80 - 1)
    assert period_return(closes_of([D(100), D(110), D(121)]), 2) == pytest.approx(0.21)


def test_period_return_needs_a_close_that_many_sessions_back() -> None:
    assert period_return(CLOSES, 253) is None
    assert period_return(closes_of([D(100), D(110)]), 2) is None
    assert period_return((), 1) is None


def test_52_week_range_and_drawdown_use_the_last_252_closes() -> None:
    # The first close (80.00) is 253 sessions back: out of the window.
    assert range_52_weeks(CLOSES) == (D("80.1"), D("104.2"))
    assert drawdown_from_high(CLOSES) == pytest.approx(1 - 99.2 / 104.2)
    at_high = closes_of([D(100)] * 251 + [D(120)])
    assert drawdown_from_high(at_high) == 0
    assert range_52_weeks(CLOSES[-251:]) is None
    assert drawdown_from_high(CLOSES[-251:]) is None


def test_volatility_of_alternating_closes_matches_the_closed_form() -> None:
    # 100, 102, 100, ...: 126 returns of +0.02 and 126 of -1/51 around their mean, each
    # d = (0.02 + 1/51) / 2 away, so the sample variance is 252 d² / 251 and the
    # annualised volatility d × sqrt(252 / 251) × sqrt(252) = d × 252 / sqrt(251).
    alternating = [D(100) if i % 2 == 0 else D(102) for i in range(253)]
    d = (0.02 + 1 / 51) / 2
    expected = d * 252 / math.sqrt(251)
    assert annualised_volatility(closes_of(alternating)) == pytest.approx(expected)
    # A close before the window does not count.
    assert annualised_volatility(closes_of([D(1000)] + alternating)) == pytest.approx(expected)
    assert annualised_volatility(closes_of(alternating[:-1])) is None


def test_average_volume_of_the_last_days() -> None:
    assert average_volume(CLOSES, 20) == pytest.approx(500_000 + 1_000 * 242.5)
    assert average_volume(closes_of([D(1)] * 3, [10, 20, 60]), 2) == 40
    assert average_volume(closes_of([D(1)] * 3, [10, 20, 60]), 4) is None


# ---------------------------------------------------------------------------------------
# The stock report template


def test_template_has_the_seven_sections_then_sources_and_disclaimer() -> None:
    report = stock_report_template(stock_facts())
    assert [title for title, _ in report.sections] == list(REPORT_SECTION_TITLES)
    markdown = report.markdown(TEMPLATE_AUTHOR)
    assert sections(markdown) == [*REPORT_SECTION_TITLES, "Sources", "Disclaimer"]
    assert markdown.startswith("# Saudi Arabian Oil Co (2222) — research report\n")
    assert "_Data as of 2025-12-30. Written by the deterministic template._" in markdown
    assert markdown.rstrip().endswith(DISCLAIMER)
    assert "Capital Market Authority (CMA)" in DISCLAIMER
    assert "Written by gpt-4o from the platform's data." in report.markdown(llm_author("gpt-4o"))


def test_every_figure_of_the_template_is_in_the_facts() -> None:
    for facts in (stock_facts(), bare_stock_facts(),
                  replace(stock_facts(), closes=CLOSES[-30:])):
        markdown = stock_report_template(facts).markdown(TEMPLATE_AUTHOR)
        assert ungrounded_figures(markdown, facts_json(facts)) == []


def test_template_figures_are_formatted_from_the_facts() -> None:
    body = dict(stock_report_template(stock_facts()).sections)
    performance = body["Price performance"]
    assert "Latest close: SAR 99.20 on 2025-12-30 (volume 752,000 shares)." in performance
    assert "| 1M | 21 | -3.78% |" in performance
    assert "| 3M | 63 | +0.30% |" in performance
    assert "| 6M | 126 | +7.13% |" in performance
    assert "| 1Y | 252 | +24.00% |" in performance
    assert "SAR 80.10 – SAR 104.20" in performance
    assert "4.80% below its 52-week high of SAR 104.20" in performance
    assert "742,500 shares" in performance
    fundamentals = body["Fundamentals and valuation"]
    assert "fiscal year 2024" in fundamentals
    assert "| P/B | 1.84 |" in fundamentals
    assert "| EV/EBITDA | 18.37 |" in fundamentals
    assert "| ROE | 12.34% |" in fundamentals
    assert "| Dividend yield | 4.56% |" in fundamentals
    technical = body["Technical indicators"]
    assert "RSI(14): 72.40, in the range above 70 often read as overbought" in technical
    assert "50-day simple moving average: SAR 101.87; the latest close is below it" in technical
    assert "200-day simple moving average: SAR 93.15; the latest close is above it" in technical
    assert "The 50-day average is above the 200-day average" in technical
    assert "MACD: 0.4321, below its signal line (0.5123)" in technical


def test_missing_figures_say_not_available_and_why() -> None:
    body = dict(stock_report_template(stock_facts()).sections)
    assert "| P/E | not available — earnings per share are negative |" in (
        body["Fundamentals and valuation"])
    assert "| Current ratio | not available — zero current liabilities |" in (
        body["Fundamentals and valuation"])
    assert "2 of the 6 ratios are not available" in body["Risks and considerations"]

    short = dict(stock_report_template(replace(stock_facts(), closes=CLOSES[-30:])).sections)
    assert "| 1M | 21 | -3.78% |" in short["Price performance"]
    assert "| 3M | 63 | not available |" in short["Price performance"]
    assert "52-week range: not available" in short["Price performance"]

    bare = dict(stock_report_template(bare_stock_facts()).sections)
    assert "| ISIN | not available |" in bare["Company overview"]
    assert "| Listing date | not available |" in bare["Company overview"]
    assert "RSI(14): not available" in bare["Technical indicators"]
    assert "Financial ratios are not available." in bare["Fundamentals and valuation"]
    assert "News sentiment is not available" in bare["News and sentiment"]


def test_template_describes_without_advising() -> None:
    for facts in (stock_facts(), bare_stock_facts()):
        report = stock_report_template(facts)
        text = "\n".join(body for _, body in report.sections)
        assert ADVICE_WORDS.findall(text) == []
    # The check itself can fail.
    assert ADVICE_WORDS.findall("Analysts HOLD a target price of 30") == ["HOLD", "target price"]


def test_sources_list_every_citation_and_label_the_synthetic_one() -> None:
    markdown = stock_report_template(stock_facts()).markdown(TEMPLATE_AUTHOR)
    sources = markdown.split("## Sources\n\n")[1].split("\n\n## Disclaimer")[0]
    assert sources.splitlines() == [
        "- ChartService.GetBars — daily bars 2025-01-01..2025-12-30",
        "- FundamentalsService.GetRatios — ratios of fiscal year 2024 (synthetic data)",
    ]
    assert "Part of the data used here is synthetic" in markdown
    real_only = replace(stock_facts(), citations=(BARS,))
    real_markdown = stock_report_template(real_only).markdown(TEMPLATE_AUTHOR)
    assert "(synthetic data)" not in real_markdown
    assert "Part of the data used here is synthetic" not in real_markdown


def test_news_section_dates_headlines_in_riyadh_and_lists_corporate_actions() -> None:
    body = dict(stock_report_template(stock_facts()).sections)
    news = body["News and sentiment"]
    assert ("Across 12 recent headlines the mean sentiment score is +0.12 on a scale from -1 "
            "(negative) to +1 (positive), in the neutral band.") in news
    assert "5 positive, 3 negative and 4 neutral; confidence 0.46" in news
    assert ("- 2025-12-30 — Aramco reports 5% rise in third-quarter profit (positive, "
            "score +0.82)") in news
    assert body["Company overview"].endswith(
        "Recent corporate actions (newest first):\n\n"
        "- 2025-11-20 — Cash dividend of SAR 0.50 per share\n"
        "- 2025-05-04 — Bonus shares: 1 share for every 10 held")


# ---------------------------------------------------------------------------------------
# facts_json and the prompts


def test_facts_json_is_deterministic_with_exact_decimals_and_computed_figures() -> None:
    text = facts_json(stock_facts())
    assert text == facts_json(stock_facts())
    data = json.loads(text)
    assert data["as_of"] == "2025-12-30"
    assert data["price"]["latest_close"] == "99.2"
    assert data["price"]["high_52_weeks"] == "104.2"
    assert data["price"]["returns"][3] == {"period": "1Y", "trading_days": 252,
                                           "return_fraction": pytest.approx(0.24)}
    assert data["ratios"]["items"][0] == {
        "name": "price_to_earnings", "label": "P/E", "value": None,
        "unavailable_reason": "earnings per share are negative"}
    assert data["ratios"]["items"][3]["unit"] == "fraction"
    assert data["news"]["headlines"][0]["published_at"] == "2025-12-30T00:30:00+03:00"
    assert data["citations"][1] == {"source": "FundamentalsService.GetRatios",
                                    "description": "ratios of fiscal year 2024",
                                    "synthetic": True}


def test_prompts_carry_the_system_prompt_the_titles_in_order_and_the_facts() -> None:
    for messages, titles, facts in (
            (stock_report_prompt(stock_facts()), REPORT_SECTION_TITLES, stock_facts()),
            (daily_briefing_prompt(market_facts()), BRIEFING_SECTION_TITLES, market_facts())):
        assert [m["role"] for m in messages] == ["system", "user"]
        assert messages[0]["content"] == SYSTEM_PROMPT
        user = messages[1]["content"]
        positions = [user.index(f"\n## {title}\n") for title in titles]
        assert positions == sorted(positions)
        assert user.endswith(facts_json(facts))
    assert "no buy, sell or hold" in stock_report_prompt(stock_facts())[1]["content"]
    for rule in ("buy, sell or hold", "price targets", "synthetic", "not available",
                 "Arabic or English", "disclaimer"):
        assert rule in SYSTEM_PROMPT


# ---------------------------------------------------------------------------------------
# Reading and checking the LLM's answer

LLM_ANSWER = """\
```markdown
# Saudi Arabian Oil Co — Research Report

An opening line nobody asked for.

## 1. Executive Summary
The shares closed at SAR 99.20 on 2025-12-30.

### In short
Up 24.00% over a year.

##   **Company overview**:
Listed on the Main Market.
## Price performance
## Sources
- ChartService.GetBars
## Disclaimer
Not advice.
```
"""


def test_sections_from_markdown_reads_the_known_headings_only() -> None:
    parsed = sections_from_markdown(LLM_ANSWER, REPORT_SECTION_TITLES)
    assert parsed == {
        "Executive summary": ("The shares closed at SAR 99.20 on 2025-12-30.\n\n"
                              "### In short\nUp 24.00% over a year."),
        "Company overview": "Listed on the Main Market.",
    }


def test_sections_from_markdown_keeps_the_first_of_a_repeated_section() -> None:
    text = "## Breadth\nfirst\n## Market overview\nindex\n## breadth\nsecond\n"
    assert sections_from_markdown(text, BRIEFING_SECTION_TITLES) == {
        "Breadth": "first", "Market overview": "index"}


FACTS = json.dumps({"pe": "18.3700", "roe": "0.1234", "volume": 1_234_567,
                    "turnover": 6_123_456_789.5, "change": "-0.0378", "day": "2025-12-30",
                    "symbol": "2222", "headline": "Profit up 5.5% in the quarter",
                    "change_percent": 0.11})


@pytest.mark.parametrize("text", [
    "P/E of 18.37", "P/E of about 18.4", "P/E near 18", "ROE of 12.34%", "ROE of 12.3 percent",
    "1,234,567 shares", "turnover of SAR 6.12 billion", "down 3.78%", "a change of -0.04",
    "on 2025-12-30", "in 2024, the 3rd of 5 gainers", "its 200-day and 52-week levels",
    "symbol 2222 (ISIN SA14TG012N13)", "profit up 5.5%", "P/E ١٨٫٣٧", "TASI +0.11%",
])
def test_figures_traceable_to_the_facts_are_grounded(text: str) -> None:
    assert ungrounded_figures(text, FACTS) == []


@pytest.mark.parametrize(("text", "flagged"), [
    ("P/E of 99.9", ["99.9"]),
    ("P/E of 18.38", ["18.38"]),
    ("ROE of 12.35%", ["12.35%"]),
    ("ROE of 0.1234%", ["0.1234%"]),  # a fraction shown as if a percentage
    ("profit up 5.5 billion", ["5.5 billion"]),
    ("1,234,568 shares", ["1,234,568"]),
    ("turnover of SAR 6.2 billion", ["6.2 billion"]),
    ("a 63-day high", ["63"]),
    ("on 2025-12-31", ["2025-12-31"]),
    ("P/E of 99.9 and later 99.9 again, with 42", ["99.9", "42"]),
])
def test_invented_figures_are_flagged(text: str, flagged: list[str]) -> None:
    assert ungrounded_figures(text, FACTS) == flagged


def test_grounded_report_keeps_grounded_sections_and_substitutes_the_rest() -> None:
    facts = stock_facts()
    template = dict(stock_report_template(facts).sections)
    llm = {
        "Executive summary": "Saudi Arabian Oil Co closed at SAR 99.20 on 2025-12-30, "
                             "+24.00% over 252 trading days.",
        "Fundamentals and valuation": "The P/E is 99.9 against a sector median of 15.",
        "News and sentiment": "Aramco reports 5% rise in third-quarter profit. This is not a "
                              "recommendation to buy or sell.",
        "Risks and considerations": "Volatility is high. We rate the shares a buy.",
        "Company overview": "   ",
    }
    report, substituted = grounded_report(llm, facts)
    assert substituted == ["Company overview", "Price performance", "Technical indicators",
                           "Fundamentals and valuation", "Risks and considerations"]
    body = dict(report.sections)
    assert [title for title, _ in report.sections] == list(REPORT_SECTION_TITLES)
    assert body["Executive summary"] == llm["Executive summary"]
    assert body["News and sentiment"] == llm["News and sentiment"]
    assert body["Fundamentals and valuation"] == (
        "_The model's text quoted figures not in the platform's data; the template's text "
        "is shown instead._\n\n" + template["Fundamentals and valuation"])
    assert body["Price performance"].startswith("_The model did not write this section;")
    assert body["Company overview"].startswith("_The model did not write this section;")
    assert body["Risks and considerations"].startswith(
        "_The model's text read as a recommendation;")
    assert body["Risks and considerations"].endswith(template["Risks and considerations"])
    markdown = report.markdown(llm_author("gpt-4o"))
    assert ungrounded_figures(markdown, facts_json(facts)) == []


# ---------------------------------------------------------------------------------------
# The daily briefing


def test_briefing_template_sections_and_figures() -> None:
    facts = market_facts()
    briefing = daily_briefing_template(facts)
    markdown = briefing.markdown(TEMPLATE_AUTHOR)
    assert markdown.startswith("# Tadawul daily briefing — 2025-12-30\n")
    assert sections(markdown) == [*BRIEFING_SECTION_TITLES, "Sources", "Disclaimer"]
    body = dict(briefing.sections)
    assert ("On 2025-12-30 the Tadawul All Share Index (TASI) closed at 11,234.57, a change "
            "of +12.34 points (+0.11%).") in body["Market overview"]
    assert ("234,567,890 shares changed hands for a turnover of SAR 6,123,456,790"
            in body["Market overview"])
    assert ("Of 252 symbols that traded, 150 advanced, 80 declined and 22 were unchanged. "
            "The advance/decline ratio is 1.88.") == body["Breadth"]
    assert ("| 1120 | Company 1120 | SAR 31.45 | +9.95% | 1,234,567 | SAR 38,827,131 |"
            in body["Top movers"])
    assert "| 2010 | Company 2010 | SAR 31.45 | +4.32% |" in body["Top movers"]
    assert "| 7010 | Company 7010 | SAR 31.45 | -6.78% |" in body["Top movers"]
    assert "- 2025-12-30 — 1120: Al Rajhi Bank completes sukuk issuance" in (
        body["News and sentiment"])
    assert "(synthetic data)" in markdown
    assert ADVICE_WORDS.findall("\n".join(body.values())) == []
    assert ungrounded_figures(markdown, facts_json(facts)) == []


def test_briefing_without_index_decliners_or_movers_says_not_available() -> None:
    facts = replace(market_facts(), tasi_level=None, tasi_change=None,
                    tasi_change_percent=None, decliners=0, gainers=(), losers=(),
                    most_active=(), headlines=(), news_sentiment=NO_NEWS)
    body = dict(daily_briefing_template(facts).sections)
    assert "(TASI) level for 2025-12-30 is not available" in body["Market overview"]
    assert "The advance/decline ratio is not available (no decliners)." in body["Breadth"]
    assert body["Top movers"].count("Not available.") == 3
    markdown = daily_briefing_template(facts).markdown(TEMPLATE_AUTHOR)
    assert ungrounded_figures(markdown, facts_json(facts)) == []


def test_grounded_briefing_substitutes_an_invented_figure() -> None:
    facts = market_facts()
    llm = sections_from_markdown(
        "## Market overview\nTASI closed at 11,234.57 (+0.11%) on 2025-12-30.\n"
        "## Breadth\n150 advancers against 80 decliners, a ratio of 2.10.\n"
        "## Top movers\n1120 led, up 9.95%.\n"
        "## News and sentiment\nSentiment was neutral (+0.12).\n", BRIEFING_SECTION_TITLES)
    briefing, substituted = grounded_briefing(llm, facts)
    assert substituted == ["Breadth"]
    body = dict(briefing.sections)
    assert body["Market overview"] == "TASI closed at 11,234.57 (+0.11%) on 2025-12-30."
    assert body["Breadth"].endswith(dict(daily_briefing_template(facts).sections)["Breadth"])
