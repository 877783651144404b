"""The words of a stock report and of the daily briefing, from the platform's facts.

Pure: no I/O. The AI service fills `StockFacts` / `MarketFacts` (report_facts.py) and
answers either from the deterministic template here or from an LLM given the prompt built
here, whose answer is checked here section by section (`grounded_report`,
`grounded_briefing`): a section survives only when every figure in it can be traced to
the facts and it reads as no recommendation; otherwise the template's section replaces it.

Product rules the text keeps: no buy/sell/hold recommendation or price target, always the
disclaimer, no figure the platform does not have (a missing one is "not available", with
the reason when the facts give one), synthetic data labelled.

Figures computed from the daily closes (each None when the history is too short):

- Period return: latest close / the close `trading_days` sessions earlier - 1 (a price
  return: dividends are not added back). Tadawul trades about 252 sessions a year, so 21
  sessions stand for a month, 63 for three, 126 for six and 252 for a year.
- 52-week range: the lowest and highest of the last 252 closes (closes, not intraday
  lows and highs: that is what the facts carry).
- Drawdown from the high: 1 - latest close / the 52-week high, a fraction >= 0.
- Annualised volatility: the sample standard deviation (n - 1) of the last 252 daily
  simple returns close_t / close_(t-1) - 1, times sqrt(252); simple returns as in
  fund_metrics, so the platform's volatilities compare.
- Average volume: the mean of the last `days` daily volumes.

Formatting: prices and amounts in SAR ("SAR 1,234.50", turnover to the riyal), changes as
signed percentages with 2 decimals ("+12.34%"), volumes and counts with thousands
separators, ratios with 2 decimals (margins, returns, yield and payout as percentages, the
rest as multiples), MACD with 4 decimals (a small difference of prices). Numbers are
rounded half-even from their exact decimal form, the same numbers `facts_json` gives the
LLM and the grounding check.
"""

import json
import math
import re
import statistics
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from server.domain.calendar import RIYADH
from server.domain.report_facts import (
    Citation,
    CorporateActionFact,
    DailyClose,
    HeadlineFact,
    MarketFacts,
    MoverFact,
    RatioFact,
    StockFacts,
)
from server.domain.sentiment import NEGATIVE, NEUTRAL, POSITIVE, SentimentSummary

REPORT_SECTION_TITLES = (
    "Executive summary",
    "Company overview",
    "Price performance",
    "Technical indicators",
    "Fundamentals and valuation",
    "News and sentiment",
    "Risks and considerations",
)
BRIEFING_SECTION_TITLES = ("Market overview", "Breadth", "Top movers", "News and sentiment")

DISCLAIMER = (
    "This content is for information only. It is not investment advice, an offer, or a "
    "recommendation to buy, sell or hold any security, and it does not consider your "
    "objectives, financial situation or needs. It is generated automatically from the "
    "platform's data, which may be delayed, incomplete or synthetic (generated demo data, "
    "labelled as such), and past performance does not indicate future results. In Saudi "
    "Arabia, investment advice may only be given by persons licensed by the Capital Market "
    "Authority (CMA): do your own research and consult a CMA-licensed adviser before making "
    "any investment decision."
)

SYSTEM_PROMPT = """\
You are FinanceHub Pro's financial research assistant for the Saudi Exchange (Tadawul).

Rules:
- Answer only from the data in this conversation: the results of your tools and what the \
user's messages provide. When you need a figure, call a tool to fetch it; never guess it \
or recall it from memory.
- Quote figures exactly as given, with the date they refer to and their unit (SAR, %, \
shares). Do not invent, estimate or extrapolate numbers.
- When a figure is missing, or a tool returns an error, say the figure is not available, \
and why when the data says why.
- Data marked synthetic is generated demo data, not market data: say so wherever you \
use it.
- Never give buy, sell or hold recommendations, price targets or price forecasts, and \
never give personalised investment advice. Describe what the data shows instead.
- Reply in the language of the user's message (Arabic or English).
- End every reply with a short disclaimer line: information only, not investment advice.
"""

NOT_AVAILABLE = "not available"
TEMPLATE_AUTHOR = "the deterministic template"

TRADING_DAYS_PER_YEAR = 252
# (label, sessions): the periods of the returns table.
RETURN_PERIODS: tuple[tuple[str, int], ...] = (("1M", 21), ("3M", 63), ("6M", 126),
                                               ("1Y", TRADING_DAYS_PER_YEAR))
AVERAGE_VOLUME_DAYS = 20
# The conventional RSI reading levels; the facts carry them so the text can quote them.
RSI_OVERBOUGHT = 70
RSI_OVERSOLD = 30
MAX_HEADLINES = 5
MAX_CORPORATE_ACTIONS = 5


def llm_author(model: str) -> str:
    """The `written_by` of `ReportText.markdown` for a text the LLM wrote."""
    return f"{model} from the platform's data"


# ---------------------------------------------------------------------------------------
# Figures from the daily closes


def period_return(closes: Sequence[DailyClose], trading_days: int) -> float | None:
    """Latest close / the close `trading_days` sessions before it - 1; None without it."""
    if trading_days < 1 or len(closes) <= trading_days:
        return None
    return float(closes[-1].close / closes[-1 - trading_days].close - 1)


def range_52_weeks(closes: Sequence[DailyClose]) -> tuple[Decimal, Decimal] | None:
    """(lowest, highest) of the last 252 closes; None with fewer."""
    if len(closes) < TRADING_DAYS_PER_YEAR:
        return None
    window = [c.close for c in closes[-TRADING_DAYS_PER_YEAR:]]
    return min(window), max(window)


def drawdown_from_high(closes: Sequence[DailyClose]) -> float | None:
    """How far the latest close is below the 52-week high, as a fraction (0 at the high)."""
    extremes = range_52_weeks(closes)
    if extremes is None:
        return None
    return float(1 - closes[-1].close / extremes[1])


def annualised_volatility(closes: Sequence[DailyClose]) -> float | None:
    """Sample standard deviation of the last 252 daily simple returns × sqrt(252); None
    with fewer than 252 returns."""
    if len(closes) <= TRADING_DAYS_PER_YEAR:
        return None
    window = closes[-TRADING_DAYS_PER_YEAR - 1:]
    returns = [float(b.close / a.close - 1) for a, b in pairwise(window)]
    return statistics.stdev(returns) * math.sqrt(TRADING_DAYS_PER_YEAR)


def average_volume(closes: Sequence[DailyClose], days: int) -> float | None:
    """Mean volume of the last `days` sessions; None with fewer."""
    if days < 1 or len(closes) < days:
        return None
    return statistics.fmean(c.volume for c in closes[-days:])


@dataclass(frozen=True)
class _PriceFigures:
    """What the closes say, computed once for both the template and `facts_json`."""

    latest: DailyClose | None
    returns: tuple[tuple[str, int, float | None], ...]
    range_52_weeks: tuple[Decimal, Decimal] | None
    drawdown: float | None
    volatility: float | None
    average_volume: float | None


def _price_figures(closes: Sequence[DailyClose]) -> _PriceFigures:
    return _PriceFigures(
        latest=closes[-1] if closes else None,
        returns=tuple((label, days, period_return(closes, days))
                      for label, days in RETURN_PERIODS),
        range_52_weeks=range_52_weeks(closes),
        drawdown=drawdown_from_high(closes),
        volatility=annualised_volatility(closes),
        average_volume=average_volume(closes, AVERAGE_VOLUME_DAYS))


# ---------------------------------------------------------------------------------------
# Ratios: labels, units and why one is missing


@dataclass(frozen=True)
class _RatioInfo:
    label: str
    fraction: bool  # a fraction shown as a percentage (0.1234 is 12.34%), else a multiple
    denominator: str


# The 14 ratios of fundamentals.proto `Ratios`, with the denominator its reasons refer to.
_RATIOS: dict[str, _RatioInfo] = {
    "price_to_earnings": _RatioInfo("P/E", False, "earnings per share"),
    "price_to_book": _RatioInfo("P/B", False, "total equity"),
    "price_to_sales": _RatioInfo("P/S", False, "revenue"),
    "ev_to_ebitda": _RatioInfo("EV/EBITDA", False, "EBITDA"),
    "return_on_equity": _RatioInfo("ROE", True, "total equity"),
    "return_on_assets": _RatioInfo("ROA", True, "total assets"),
    "gross_margin": _RatioInfo("Gross margin", True, "revenue"),
    "operating_margin": _RatioInfo("Operating margin", True, "revenue"),
    "net_margin": _RatioInfo("Net margin", True, "revenue"),
    "current_ratio": _RatioInfo("Current ratio", False, "current liabilities"),
    "quick_ratio": _RatioInfo("Quick ratio", False, "current liabilities"),
    "debt_to_equity": _RatioInfo("Debt/equity", False, "total equity"),
    "dividend_yield": _RatioInfo("Dividend yield", True, "share price"),
    "payout_ratio": _RatioInfo("Payout ratio", True, "net income"),
}


def _ratio_info(name: str) -> _RatioInfo:
    return _RATIOS.get(name, _RatioInfo(name.replace("_", " ").capitalize(), False,
                                        "denominator"))


def _ratio_reason(ratio: RatioFact) -> str:
    """The reason code of ratios.py in words ("" when the facts give none)."""
    denominator = _ratio_info(ratio.name).denominator
    reason = ratio.unavailable_reason
    if reason == "NO_PRICE":
        return "no share price on record"
    if reason == "ZERO_DENOMINATOR":
        return f"zero {denominator}"
    if reason == "NEGATIVE_DENOMINATOR":
        return f"negative {denominator}"
    if reason == "NEGATIVE_EARNINGS":
        return "earnings per share are negative"
    return reason.replace("_", " ").lower()


# ---------------------------------------------------------------------------------------
# Formatting


def _exact(x: float | Decimal | int) -> Decimal:
    # str() of a float is its shortest repr: the digits json.dumps writes into facts_json.
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _fixed(x: float | Decimal | int, places: int, sign: bool = False) -> str:
    q = _exact(x).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
    if q == 0:
        q = abs(q)  # no "-0.00"
    return format(q, f"{'+' if sign else ''},.{places}f")


def _sar(x: float | Decimal, places: int = 2) -> str:
    return f"SAR {_fixed(x, places)}"


def _percent(fraction: float | Decimal, sign: bool = True) -> str:
    return f"{_fixed(_exact(fraction) * 100, 2, sign)}%"


def _count(n: int | float) -> str:
    return _fixed(n, 0)


def _or_na(value: str | None) -> str:
    return value if value else NOT_AVAILABLE


def _ratio_text(ratio: RatioFact) -> str:
    if ratio.value is None:
        reason = _ratio_reason(ratio)
        return f"{NOT_AVAILABLE} — {reason}" if reason else NOT_AVAILABLE
    if _ratio_info(ratio.name).fraction:
        return _percent(ratio.value, sign=False)
    return _fixed(ratio.value, 2)


def _humanise(code: str) -> str:
    return code.replace("_", " ").capitalize()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _local_time(moment: datetime) -> datetime:
    # Headlines are dated on the Riyadh calendar; a naive time is taken as given.
    return moment.astimezone(RIYADH) if moment.tzinfo else moment


# ---------------------------------------------------------------------------------------
# The rendered text


@dataclass(frozen=True)
class ReportText:
    """A report or briefing: its sections (title, markdown body) in order, and what the
    rendering adds around them."""

    title: str
    as_of: date | None
    sections: tuple[tuple[str, str], ...]
    citations: tuple[Citation, ...]

    def markdown(self, written_by: str) -> str:
        """The whole document. `written_by` names the engine: `TEMPLATE_AUTHOR` or
        `llm_author(model)`."""
        as_of = self.as_of.isoformat() if self.as_of else NOT_AVAILABLE
        parts = [f"# {self.title}",
                 f"_Data as of {as_of}. Written by {written_by}._"]
        if any(c.synthetic for c in self.citations):
            parts.append("> Part of the data used here is synthetic (generated demo data, "
                         "not market data); see Sources.")
        parts += [f"## {title}\n\n{body}" for title, body in self.sections]
        parts.append("## Sources\n\n" + _sources(self.citations))
        parts.append(f"## Disclaimer\n\n{DISCLAIMER}")
        return "\n\n".join(parts) + "\n"


def _sources(citations: Sequence[Citation]) -> str:
    if not citations:
        return "_No platform data was cited._"
    return "\n".join(
        f"- {c.source} — {c.description}{' (synthetic data)' if c.synthetic else ''}"
        for c in citations)


# ---------------------------------------------------------------------------------------
# The stock report template


def stock_report_template(facts: StockFacts) -> ReportText:
    """The seven sections written from the facts alone."""
    figures = _price_figures(facts.closes)
    bodies = {
        "Executive summary": _executive_summary(facts, figures),
        "Company overview": _company_overview(facts),
        "Price performance": _price_performance(figures),
        "Technical indicators": _technical_indicators(facts, figures),
        "Fundamentals and valuation": _fundamentals(facts),
        "News and sentiment": _news(facts.news_sentiment, facts.headlines, with_symbol=False),
        "Risks and considerations": _risks(facts, figures),
    }
    return ReportText(
        title=f"{facts.name_en or facts.symbol} ({facts.symbol}) — research report",
        as_of=figures.latest.day if figures.latest else None,
        sections=tuple((title, bodies[title]) for title in REPORT_SECTION_TITLES),
        citations=facts.citations)


def _executive_summary(facts: StockFacts, figures: _PriceFigures) -> str:
    name = f"{facts.name_en or facts.symbol} ({facts.symbol})"
    sentences: list[str] = []
    if figures.latest is None:
        sentences.append(f"No price history is available for {name}.")
    else:
        sentences.append(f"{name} last closed at {_sar(figures.latest.close)} on "
                         f"{figures.latest.day.isoformat()}.")
    one_year = figures.returns[-1][2]
    if one_year is None:
        sentences.append("The one-year price change is not available: the price history "
                         "is too short.")
    else:
        sentences.append(f"Over the last {TRADING_DAYS_PER_YEAR} trading days the share "
                         f"price changed by {_percent(one_year)}.")
    if figures.range_52_weeks is not None and figures.drawdown is not None:
        sentences.append(_position_in_range(figures.range_52_weeks[1], figures.drawdown))
    rsi = facts.indicators.rsi_14
    if rsi is not None:
        sentences.append(f"RSI(14) is {_fixed(rsi, 2)}, {_rsi_zone(rsi)}.")
    pe = next((r for r in facts.ratios if r.name == "price_to_earnings"), None)
    if pe is not None:
        sentences.append(f"The P/E ratio is {_ratio_text(pe)}.")
    sentences.append(_sentiment_sentence(facts.news_sentiment))
    return " ".join(sentences)


def _position_in_range(high: Decimal, drawdown: float) -> str:
    if drawdown == 0:
        return f"The latest close is at its 52-week high of {_sar(high)}."
    return (f"The latest close is {_percent(drawdown, sign=False)} below its 52-week high "
            f"of {_sar(high)}.")


def _rsi_zone(rsi: float) -> str:
    if rsi >= RSI_OVERBOUGHT:
        return f"in the range above {RSI_OVERBOUGHT} often read as overbought"
    if rsi <= RSI_OVERSOLD:
        return f"in the range below {RSI_OVERSOLD} often read as oversold"
    return (f"between the {RSI_OVERSOLD} and {RSI_OVERBOUGHT} levels often read as "
            "oversold and overbought")


def _company_overview(facts: StockFacts) -> str:
    rows = [
        ("Name (English)", facts.name_en),
        ("Name (Arabic)", facts.name_ar),
        ("Symbol", facts.symbol),
        ("ISIN", facts.isin),
        ("Market", facts.market),
        ("Sector", facts.sector),
        ("Industry group", facts.industry_group),
        ("Listing date", facts.listing_date.isoformat() if facts.listing_date else ""),
    ]
    table = "| Field | Value |\n|---|---|\n" + "\n".join(
        f"| {field} | {_cell(_or_na(value))} |" for field, value in rows)
    return f"{table}\n\n{_corporate_actions(facts.corporate_actions)}"


def _corporate_actions(actions: Sequence[CorporateActionFact]) -> str:
    if not actions:
        return "No recent corporate actions are on record."
    lines = [f"- {a.announced_on.isoformat()} — {_action_text(a)}"
             for a in actions[:MAX_CORPORATE_ACTIONS]]
    return "Recent corporate actions (newest first):\n\n" + "\n".join(lines)


def _action_text(action: CorporateActionFact) -> str:
    kind = _humanise(action.action_type)
    if not action.description:
        return kind
    # "Cash dividend: Cash dividend of SAR 0.50 per share" says it twice.
    if action.description.casefold().startswith(kind.casefold()):
        return action.description
    return f"{kind}: {action.description}"


def _price_performance(figures: _PriceFigures) -> str:
    if figures.latest is None:
        return "Price performance is not available: the platform has no daily closes."
    latest = figures.latest
    lines = [f"Latest close: {_sar(latest.close)} on {latest.day.isoformat()} "
             f"(volume {_count(latest.volume)} shares).", "",
             "| Period | Trading days | Price change |", "|---|---|---|"]
    lines += [f"| {label} | {days} | {_percent(change) if change is not None else NOT_AVAILABLE} |"
              for label, days, change in figures.returns]
    lines += ["", "Price changes exclude dividends.", ""]
    if figures.range_52_weeks is None or figures.drawdown is None:
        lines.append(f"- 52-week range: {NOT_AVAILABLE} (fewer than {TRADING_DAYS_PER_YEAR} "
                     "closes on record).")
    else:
        low, high = figures.range_52_weeks
        lines.append(f"- 52-week range of closes: {_sar(low)} – {_sar(high)}. "
                     + _position_in_range(high, figures.drawdown))
    volatility = (_percent(figures.volatility, sign=False) if figures.volatility is not None
                  else f"{NOT_AVAILABLE} (the price history is too short)")
    lines.append(f"- Annualised volatility: {volatility} (sample standard deviation of the "
                 f"last {TRADING_DAYS_PER_YEAR} daily returns × √{TRADING_DAYS_PER_YEAR}).")
    average = (f"{_count(figures.average_volume)} shares" if figures.average_volume is not None
               else f"{NOT_AVAILABLE} (the price history is too short)")
    lines.append(f"- Average daily volume over the last {AVERAGE_VOLUME_DAYS} sessions: "
                 f"{average}.")
    return "\n".join(lines)


def _technical_indicators(facts: StockFacts, figures: _PriceFigures) -> str:
    ind = facts.indicators
    close = figures.latest.close if figures.latest else None
    too_short = f"{NOT_AVAILABLE} (the price history is too short)"
    lines = []
    lines.append(f"- RSI(14): {_fixed(ind.rsi_14, 2)}, {_rsi_zone(ind.rsi_14)}."
                 if ind.rsi_14 is not None else f"- RSI(14): {too_short}.")
    for days, sma in ((50, ind.sma_50), (200, ind.sma_200)):
        if sma is None:
            lines.append(f"- {days}-day simple moving average: {too_short}.")
            continue
        where = f"; the latest close is {_above_below(close, sma)} it" if close else ""
        lines.append(f"- {days}-day simple moving average: {_sar(sma)}{where}.")
    if ind.sma_50 is not None and ind.sma_200 is not None:
        lines.append(f"- The 50-day average is {_above_below(_exact(ind.sma_50), ind.sma_200)} "
                     "the 200-day average.")
    if ind.macd is None or ind.macd_signal is None:
        lines.append(f"- MACD: {too_short}.")
    else:
        lines.append(f"- MACD: {_fixed(ind.macd, 4)}, "
                     f"{_above_below(_exact(ind.macd), ind.macd_signal)} its signal line "
                     f"({_fixed(ind.macd_signal, 4)}).")
    lines += ["", "Indicators describe past prices; they do not predict future ones."]
    return "\n".join(lines)


def _above_below(value: Decimal, reference: float) -> str:
    difference = value - _exact(reference)
    return "above" if difference > 0 else "below" if difference < 0 else "at"


def _fundamentals(facts: StockFacts) -> str:
    if not facts.ratios:
        return "Financial ratios are not available."
    year = (f"fiscal year {facts.ratios_fiscal_year}" if facts.ratios_fiscal_year is not None
            else f"a fiscal year that is {NOT_AVAILABLE}")
    rows = "\n".join(f"| {_ratio_info(r.name).label} | {_ratio_text(r)} |" for r in facts.ratios)
    return (f"Ratios from the statements of {year}, at the latest close. Margins, returns, "
            "dividend yield and payout are percentages; the others are multiples.\n\n"
            f"| Ratio | Value |\n|---|---|\n{rows}")


def _sentiment_sentence(summary: SentimentSummary) -> str:
    if summary.sample_size == 0 or summary.band is None:
        return "News sentiment is not available: no recent headlines were found."
    return (f"Across {_count(summary.sample_size)} recent headlines the mean sentiment score "
            f"is {_fixed(summary.score, 2, sign=True)} on a scale from -1 (negative) to +1 "
            f"(positive), in the {summary.band.value.replace('_', ' ')} band.")


def _news(summary: SentimentSummary, headlines: Sequence[HeadlineFact],
          with_symbol: bool) -> str:
    parts = [_sentiment_sentence(summary)]
    if summary.sample_size:
        counts = summary.counts
        parts[0] += (f" {_count(counts.get(POSITIVE, 0))} positive, "
                     f"{_count(counts.get(NEGATIVE, 0))} negative and "
                     f"{_count(counts.get(NEUTRAL, 0))} neutral; confidence "
                     f"{_fixed(summary.confidence, 2)} (0 to 1, lower for fewer headlines).")
    if headlines:
        lines = []
        for h in headlines[:MAX_HEADLINES]:
            about = f"{h.symbol}: " if with_symbol and h.symbol else ""
            lines.append(f"- {_local_time(h.published_at).date().isoformat()} — {about}"
                         f"{h.headline} ({h.label}, score {_fixed(h.score, 2, sign=True)})")
        parts.append("Recent headlines (newest first):\n\n" + "\n".join(lines))
    return "\n\n".join(parts)


def _risks(facts: StockFacts, figures: _PriceFigures) -> str:
    lines = []
    if figures.volatility is not None:
        lines.append(f"- Price volatility: the annualised volatility of daily returns is "
                     f"{_percent(figures.volatility, sign=False)}; prices can move sharply "
                     "in either direction.")
    else:
        lines.append(f"- Price volatility: {NOT_AVAILABLE} (the price history is too short).")
    if figures.average_volume is not None:
        lines.append(f"- Liquidity: {_count(figures.average_volume)} shares a day on average "
                     f"over the last {AVERAGE_VOLUME_DAYS} sessions; thinner trading can "
                     "widen spreads.")
    missing = [r for r in facts.ratios if r.value is None]
    if missing:
        listed = "; ".join(f"{_ratio_info(r.name).label} ({_ratio_text(r)})" for r in missing)
        lines.append(f"- Fundamentals: {_count(len(missing))} of the {_count(len(facts.ratios))} "
                     f"ratios are not available: {listed}.")
    if facts.ratios:
        lines.append("- Ratios use the latest fiscal year's statements and may not reflect "
                     "later results.")
    negative = facts.news_sentiment.counts.get(NEGATIVE, 0)
    if negative:
        lines.append(f"- News: {_count(negative)} of the {_count(facts.news_sentiment.sample_size)}"
                     " recent headlines scored were negative.")
    lines.append("- Market: Tadawul-listed shares are exposed to oil prices, interest rates, "
                 "regional events, regulatory changes and overall market liquidity.")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# The daily briefing template


def daily_briefing_template(facts: MarketFacts) -> ReportText:
    """The briefing's sections (BRIEFING_SECTION_TITLES) written from the facts alone."""
    bodies = {
        "Market overview": _market_overview(facts),
        "Breadth": _breadth(facts),
        "Top movers": _top_movers(facts),
        "News and sentiment": _news(facts.news_sentiment, facts.headlines, with_symbol=True),
    }
    return ReportText(
        title=f"Tadawul daily briefing — {facts.trading_day.isoformat()}",
        as_of=facts.trading_day,
        sections=tuple((title, bodies[title]) for title in BRIEFING_SECTION_TITLES),
        citations=facts.citations)


def _market_overview(facts: MarketFacts) -> str:
    day = facts.trading_day.isoformat()
    if facts.tasi_level is None:
        index = f"The Tadawul All Share Index (TASI) level for {day} is not available."
    else:
        change = ""
        if facts.tasi_change is not None and facts.tasi_change_percent is not None:
            change = (f", a change of {_fixed(facts.tasi_change, 2, sign=True)} points "
                      f"({_fixed(facts.tasi_change_percent, 2, sign=True)}%)")
        index = (f"On {day} the Tadawul All Share Index (TASI) closed at "
                 f"{_fixed(facts.tasi_level, 2)}{change}.")
    return (f"{index} Across the market, {_count(facts.volume)} shares changed hands for a "
            f"turnover of {_sar(facts.turnover, 0)}.")


def _advance_decline_ratio(facts: MarketFacts) -> float | None:
    return facts.advancers / facts.decliners if facts.decliners else None


def _breadth(facts: MarketFacts) -> str:
    traded = facts.advancers + facts.decliners + facts.unchanged
    text = (f"Of {_count(traded)} symbols that traded, {_count(facts.advancers)} advanced, "
            f"{_count(facts.decliners)} declined and {_count(facts.unchanged)} were unchanged.")
    ratio = _advance_decline_ratio(facts)
    if ratio is None:
        return f"{text} The advance/decline ratio is {NOT_AVAILABLE} (no decliners)."
    return f"{text} The advance/decline ratio is {_fixed(ratio, 2)}."


def _top_movers(facts: MarketFacts) -> str:
    tables = [("Top gainers", facts.gainers), ("Top losers", facts.losers),
              ("Most active by value traded", facts.most_active)]
    return "\n\n".join(f"### {title}\n\n{_movers_table(movers)}" for title, movers in tables)


def _movers_table(movers: Sequence[MoverFact]) -> str:
    if not movers:
        return f"{NOT_AVAILABLE.capitalize()}."
    rows = [f"| {m.symbol} | {_cell(m.name_en)} | {_sar(m.close)} | "
            f"{_fixed(m.change_percent, 2, sign=True)}% | {_count(m.volume)} | "
            f"{_sar(m.turnover, 0)} |" for m in movers]
    return ("| Symbol | Name | Close | Change | Volume | Turnover |\n"
            "|---|---|---|---|---|---|\n" + "\n".join(rows))


# ---------------------------------------------------------------------------------------
# The facts as the LLM and the grounding check see them


def facts_json(facts: StockFacts | MarketFacts) -> str:
    """Every figure the template uses, the computed ones included, and the citations, as
    compact deterministic JSON: Decimals as strings (exact), dates ISO, headline times in
    Riyadh time. Fractions are named `..._fraction` (0.1234 is 12.34%); `change_percent`
    is already a percentage."""
    data = _stock_data(facts) if isinstance(facts, StockFacts) else _market_data(facts)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _stock_data(facts: StockFacts) -> dict[str, Any]:
    figures = _price_figures(facts.closes)
    latest = figures.latest
    extremes = figures.range_52_weeks
    ind = facts.indicators
    return {
        "symbol": facts.symbol,
        "name_en": facts.name_en,
        "name_ar": facts.name_ar,
        "sector": facts.sector,
        "industry_group": facts.industry_group,
        "market": facts.market,
        "isin": facts.isin,
        "listing_date": facts.listing_date.isoformat() if facts.listing_date else None,
        "as_of": latest.day.isoformat() if latest else None,
        "price": {
            "currency": "SAR",
            "latest_close": str(latest.close) if latest else None,
            "latest_volume": latest.volume if latest else None,
            "closes_on_record": len(facts.closes),
            "returns": [{"period": label, "trading_days": days, "return_fraction": change}
                        for label, days, change in figures.returns],
            "low_52_weeks": str(extremes[0]) if extremes else None,
            "high_52_weeks": str(extremes[1]) if extremes else None,
            "below_52_week_high_fraction": figures.drawdown,
            "annualised_volatility_fraction": figures.volatility,
            "average_volume_days": AVERAGE_VOLUME_DAYS,
            "average_volume": figures.average_volume,
        },
        "indicators": {
            "rsi_14": ind.rsi_14, "sma_50": ind.sma_50, "sma_200": ind.sma_200,
            "macd": ind.macd, "macd_signal": ind.macd_signal,
            "rsi_overbought_level": RSI_OVERBOUGHT, "rsi_oversold_level": RSI_OVERSOLD,
        },
        "ratios": {
            "fiscal_year": facts.ratios_fiscal_year,
            "items": [_ratio_data(r) for r in facts.ratios],
        },
        "news": _news_data(facts.news_sentiment, facts.headlines),
        "corporate_actions": [
            {"announced_on": a.announced_on.isoformat(), "type": a.action_type,
             "description": a.description}
            for a in facts.corporate_actions[:MAX_CORPORATE_ACTIONS]],
        "citations": _citations_data(facts.citations),
    }


def _ratio_data(ratio: RatioFact) -> dict[str, Any]:
    info = _ratio_info(ratio.name)
    if ratio.value is not None:
        return {"name": ratio.name, "label": info.label,
                "unit": "fraction" if info.fraction else "multiple", "value": str(ratio.value)}
    return {"name": ratio.name, "label": info.label, "value": None,
            "unavailable_reason": _ratio_reason(ratio) or None}


def _news_data(summary: SentimentSummary, headlines: Sequence[HeadlineFact]) -> dict[str, Any]:
    return {
        "sentiment": {
            "headlines_scored": summary.sample_size,
            "mean_score": summary.score if summary.sample_size else None,
            "score_scale": "-1 (negative) to +1 (positive)",
            "band": summary.band.value if summary.band else None,
            "confidence": summary.confidence if summary.sample_size else None,
            "counts": {label: summary.counts.get(label, 0)
                       for label in (POSITIVE, NEGATIVE, NEUTRAL)},
        },
        "headlines": [
            {"published_at": _local_time(h.published_at).isoformat(), "symbol": h.symbol,
             "headline": h.headline, "label": h.label, "score": h.score}
            for h in headlines[:MAX_HEADLINES]],
    }


def _citations_data(citations: Sequence[Citation]) -> list[dict[str, Any]]:
    return [{"source": c.source, "description": c.description, "synthetic": c.synthetic}
            for c in citations]


def _market_data(facts: MarketFacts) -> dict[str, Any]:
    def movers(items: Sequence[MoverFact]) -> list[dict[str, Any]]:
        return [{"symbol": m.symbol, "name_en": m.name_en, "close": m.close,
                 "change_percent": m.change_percent, "volume": m.volume,
                 "turnover": m.turnover} for m in items]

    return {
        "trading_day": facts.trading_day.isoformat(),
        "tasi": {"level": facts.tasi_level, "change_points": facts.tasi_change,
                 "change_percent": facts.tasi_change_percent},
        "breadth": {
            "advancers": facts.advancers, "decliners": facts.decliners,
            "unchanged": facts.unchanged,
            "symbols_traded": facts.advancers + facts.decliners + facts.unchanged,
            "advance_decline_ratio": _advance_decline_ratio(facts),
        },
        "volume_shares": facts.volume,
        "turnover_sar": facts.turnover,
        "top_gainers": movers(facts.gainers),
        "top_losers": movers(facts.losers),
        "most_active_by_value": movers(facts.most_active),
        "news": _news_data(facts.news_sentiment, facts.headlines),
        "citations": _citations_data(facts.citations),
    }


# ---------------------------------------------------------------------------------------
# Prompts


def stock_report_prompt(facts: StockFacts) -> list[dict[str, str]]:
    """The chat messages asking the LLM for the report's seven sections."""
    subject = f"a research report on {facts.name_en or facts.symbol} ({facts.symbol})"
    return _prompt(subject, REPORT_SECTION_TITLES, facts_json(facts))


def daily_briefing_prompt(facts: MarketFacts) -> list[dict[str, str]]:
    """The chat messages asking the LLM for the briefing's sections."""
    subject = f"the Tadawul daily briefing for {facts.trading_day.isoformat()}"
    return _prompt(subject, BRIEFING_SECTION_TITLES, facts_json(facts))


def _prompt(subject: str, titles: Sequence[str], data: str) -> list[dict[str, str]]:
    headings = "\n".join(f"## {title}" for title in titles)
    user = f"""\
Write {subject} from the platform data below, in English.

Write exactly these {len(titles)} sections, in this order, each a level-2 markdown heading \
followed by its text:
{headings}
Do not add a title, a sources section or a disclaimer: the platform adds them.

Rules:
- Use only the figures in the data, as given (rounding is fine: prices to 2 decimals in \
SAR). Do not compute new figures (no new ratios, differences or averages) and add none \
from memory. Any figure not in the data makes the platform discard the section.
- Fields ending in `_fraction`, and ratios whose unit is "fraction", are fractions: 0.1234 \
is 12.34%. Fields named `change_percent` are already percentages.
- Where a figure is null or missing, write "not available", with the reason when the data \
gives one.
- Citations marked "synthetic": true are generated demo data: say so where you use them.
- Describe; do not recommend: no buy, sell or hold views, no price targets, no forecasts.

Data (JSON):
{data}"""
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


# ---------------------------------------------------------------------------------------
# Reading and checking the LLM's answer

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?!#)\s*(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*```")


def _normalised_title(text: str) -> str:
    text = re.sub(r"[*_`]", "", text).replace("&", " and ")
    text = re.sub(r"^\s*\d+\s*[.)]\s*", "", text)  # "3. Price performance"
    return " ".join(text.split()).rstrip(":").rstrip().casefold()


def sections_from_markdown(text: str, titles: Sequence[str]) -> dict[str, str]:
    """The body under each heading that names one of `titles` (any level, case, spacing,
    numbering or emphasis), keyed by the title as given in `titles`. Any other level-1 or
    level-2 heading (the model's own title, a Sources or Disclaimer section) ends a section
    and its text is dropped; deeper headings stay in the body. A repeated section keeps its
    first text; an empty one is left out. Code fences (a model wrapping its answer in
    ```markdown) are dropped."""
    wanted = {_normalised_title(title): title for title in titles}
    bodies: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if _FENCE.match(line):
            continue
        heading = _HEADING.match(line)
        if heading:
            title = wanted.get(_normalised_title(heading.group(2)))
            if title is not None:
                current = None if title in bodies else bodies.setdefault(title, [])
                continue
            if len(heading.group(1)) <= 2:
                current = None
                continue
        if current is not None:
            current.append(line)
    return {title: body for title, lines in bodies.items() if (body := "\n".join(lines).strip())}


# Arabic-Indic digits and separators read as ASCII ones, so an Arabic answer is checked too.
_ARABIC_NUMERALS = str.maketrans("٠١٢٣٤٥٦٧٨٩٫٬٪", "0123456789.,%")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                       r"(?:Z|[+-]\d{2}:\d{2})?)?")
# A number not glued to a word or a decimal point (so ISINs and "Q3" are not figures), with
# optional thousands separators, decimals, a percent sign and a scale word.
_NUMBER = re.compile(
    r"(?<![\w.])(?P<whole>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?P<decimals>\.\d+)?"
    r"(?P<percent>\s?(?:%|percent\b|per cent\b))?"
    r"(?:\s?(?P<scale>thousand|million|billion|mn|bn)\b)?",
    re.IGNORECASE)
_SCALES = {"thousand": 3, "million": 6, "mn": 6, "billion": 9, "bn": 9}
# Whole numbers that are words more than figures: days of the month and small counts,
# years, and the standard indicator and calendar periods.
_HARMLESS_PERIODS = frozenset({14, 20, 50, 52, 100, 200, 252})

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_RECOMMENDATION = re.compile(r"\b(?:buy|sell|hold|target price|price target)\b", re.IGNORECASE)
# "This is not a recommendation to buy or sell" is the disclaimer, not a recommendation.
_NEGATION = re.compile(r"\b(?:not|no|never|nor|neither)\b|n't\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Figure:
    shown: str
    value: Decimal  # unsigned, scale word applied
    exponent: int  # of the last digit shown: -2 for "12.34", 9 - 1 for "6.1 billion"
    percent: bool
    plain_integer: bool

    @property
    def harmless(self) -> bool:
        if not self.plain_integer:
            return False
        n = int(self.value)
        return n <= 31 or 1990 <= n <= 2100 or n in _HARMLESS_PERIODS


def _figures(text: str) -> Iterator[_Figure]:
    for match in _NUMBER.finditer(text):
        decimals = match["decimals"] or ""
        scale = _SCALES[match["scale"].lower()] if match["scale"] else 0
        yield _Figure(
            shown=match.group(0).strip(),
            value=Decimal(match["whole"].replace(",", "") + decimals).scaleb(scale),
            exponent=scale - max(len(decimals) - 1, 0),
            percent=bool(match["percent"]),
            plain_integer=not (decimals or match["percent"] or match["scale"]))


class _Grounding:
    """The numbers, dates and texts of a facts_json, and the checks against them."""

    def __init__(self, facts_json_text: str) -> None:
        self.values: set[Decimal] = set()
        # Numbers that are percentages already: under a key naming one (change_percent) or
        # written with a % sign in a text. Every other number is a percentage only × 100,
        # so a fraction 0.1234 shown as "0.1234%" is caught.
        self.percents: set[Decimal] = set()
        self.dates: set[str] = set()
        self.texts: list[str] = []
        self._walk(json.loads(facts_json_text, parse_float=Decimal, parse_int=Decimal))
        # The facts rounded to each (exponent, percent) a figure asked about, both ways at
        # a tie: the text may round half up or half down (half-even is one of the two).
        self._rounded: dict[tuple[int, bool], set[Decimal]] = {}

    def _walk(self, node: object, key: str = "") -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                self._walk(value, name)
        elif isinstance(node, list):
            for value in node:
                self._walk(value, key)
        elif isinstance(node, Decimal):
            self.values.add(abs(node))
            if "percent" in key:
                self.percents.add(abs(node))
        elif isinstance(node, str):
            self.texts.append(node)
            text = node.translate(_ARABIC_NUMERALS)
            self.dates.update(m.group(0)[:10] for m in _ISO_DATE.finditer(text))
            for figure in _figures(_ISO_DATE.sub(" ", text)):
                self.values.add(figure.value)
                if figure.percent:
                    self.percents.add(figure.value)

    def grounds(self, figure: _Figure) -> bool:
        key = (figure.exponent, figure.percent)
        if key not in self._rounded:
            candidates = ({v * 100 for v in self.values} | self.percents if figure.percent
                          else self.values)
            quantum = Decimal(1).scaleb(figure.exponent)
            self._rounded[key] = {r for v in candidates for r in _roundings(v, quantum)}
        return figure.value in self._rounded[key]

    def ungrounded(self, text: str) -> list[str]:
        text = text.translate(_ARABIC_NUMERALS)
        found = [m.group(0) for m in _ISO_DATE.finditer(text) if m.group(0)[:10] not in self.dates]
        found += [f.shown for f in _figures(_ISO_DATE.sub(" ", text))
                  if not f.harmless and not self.grounds(f)]
        return list(dict.fromkeys(found))

    def recommendations(self, text: str) -> list[str]:
        # Text quoted from the facts (a headline "... to buy a stake") is the platform's,
        # not the model's view.
        for quoted in sorted(self.texts, key=len, reverse=True):
            if len(quoted) >= 12:
                text = text.replace(quoted, " ")
        return [s.strip() for s in _SENTENCE_END.split(text)
                if _RECOMMENDATION.search(s) and not _NEGATION.search(s)]


def _roundings(value: Decimal, quantum: Decimal) -> set[Decimal]:
    try:
        return {value.quantize(quantum, ROUND_HALF_UP), value.quantize(quantum, ROUND_HALF_DOWN)}
    except InvalidOperation:  # more digits than the context holds: no figure shows that
        return set()


def ungrounded_figures(text: str, facts_json: str) -> list[str]:
    """The figures of `text` (as written, each once, in order) that cannot be traced to the
    facts. A number is grounded when some number in the facts (a JSON number, or a number
    inside a string: a Decimal, a symbol, a headline) rounds to it at the decimals shown,
    ignoring signs. A percentage ("12.34%", "12.34 percent") is grounded by a number of the
    facts × 100 (a fraction), or as is by one under a key naming a percent
    (`change_percent`) or written with a % in a text of the facts. A scale word ("6.1
    billion") applies its scale. Thousands separators and Arabic-Indic digits are read.
    Whole numbers 0-31, years 1990-2100 and the periods 14, 20, 50, 52, 100, 200 and 252
    pass as harmless. An ISO date must be one of the facts' dates."""
    return _Grounding(facts_json).ungrounded(text)


_MISSING_NOTE = "_The model did not write this section; the template's text is shown instead._"
_UNGROUNDED_NOTE = ("_The model's text quoted figures not in the platform's data; the "
                    "template's text is shown instead._")
_RECOMMENDATION_NOTE = ("_The model's text read as a recommendation; the template's text is "
                        "shown instead._")


def grounded_report(llm_sections: Mapping[str, str],
                    facts: StockFacts) -> tuple[ReportText, list[str]]:
    """The report with each section the LLM wrote (`sections_from_markdown` of its answer
    over REPORT_SECTION_TITLES) when it is grounded and no recommendation, else the
    template's section under a note saying why; and the titles substituted."""
    return _grounded(llm_sections, stock_report_template(facts), facts_json(facts))


def grounded_briefing(llm_sections: Mapping[str, str],
                      facts: MarketFacts) -> tuple[ReportText, list[str]]:
    """`grounded_report` for the daily briefing (BRIEFING_SECTION_TITLES)."""
    return _grounded(llm_sections, daily_briefing_template(facts), facts_json(facts))


def _grounded(llm_sections: Mapping[str, str], template: ReportText,
              data: str) -> tuple[ReportText, list[str]]:
    grounding = _Grounding(data)
    sections: list[tuple[str, str]] = []
    substituted: list[str] = []
    for title, fallback in template.sections:
        text = llm_sections.get(title, "").strip()
        note = (_MISSING_NOTE if not text
                else _UNGROUNDED_NOTE if grounding.ungrounded(text)
                else _RECOMMENDATION_NOTE if grounding.recommendations(text)
                else None)
        if note is None:
            sections.append((title, text))
        else:
            sections.append((title, f"{note}\n\n{fallback}"))
            substituted.append(title)
    return replace(template, sections=tuple(sections)), substituted
