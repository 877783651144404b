"""Financial statements, every ratio on a small set of statements worked out here by hand,
each undefined-ratio case, and the invariants of the synthetic generator."""

from dataclasses import fields, replace
from datetime import date
from decimal import Decimal as D

import pytest

from server.domain.fundamentals import (
    BalanceSheet,
    CashFlowStatement,
    FinancialStatements,
    IncomeStatement,
    Period,
    synthetic_statements,
)
from server.domain.ratios import (
    RatioValue,
    Reason,
    compute_ratios,
    current_ratio,
    debt_to_equity,
    ev_to_ebitda,
    gross_margin,
    payout_ratio,
    price_to_book,
    price_to_earnings,
    price_to_sales,
    quick_ratio,
    return_on_equity,
)

FY2024 = Period(2024, None, date(2024, 12, 31))


def income(revenue: str = "1000", cost: str = "600", opex: str = "250", interest: str = "10",
           zakat: str = "14", eps: str = "1.26", da: str = "50") -> IncomeStatement:
    gross = D(revenue) - D(cost)
    operating = gross - D(opex)
    pre_tax = operating - D(interest)
    return IncomeStatement(
        revenue=D(revenue), cost_of_revenue=D(cost), gross_profit=gross,
        operating_expenses=D(opex), operating_income=operating, interest_expense=D(interest),
        depreciation_amortization=D(da), pre_tax_income=pre_tax, zakat_and_tax=D(zakat),
        net_income=pre_tax - D(zakat), eps=D(eps), weighted_shares=100)


def balance(equity: str = "500", current_liabilities: str = "250") -> BalanceSheet:
    # Assets 1000: cash 100 + receivables 150 + inventory 120 + other 30 = current 400,
    # PP&E 500, other non-current 100. Other non-current liabilities take up any change
    # of equity or current liabilities, so the sheet still balances.
    other_ncl = D(1000) - D(equity) - D(current_liabilities) - D(200)
    return BalanceSheet(
        cash=D(100), receivables=D(150), inventory=D(120), other_current_assets=D(30),
        current_assets=D(400), ppe=D(500), other_non_current_assets=D(100),
        total_assets=D(1000), current_liabilities=D(current_liabilities),
        short_term_debt=D(50), long_term_debt=D(200), other_non_current_liabilities=other_ncl,
        total_liabilities=D(1000) - D(equity), total_equity=D(equity), shares_outstanding=100)


CASH_FLOW = CashFlowStatement(operating=D(180), investing=D(-90), financing=D(-60),
                              capex=D(80), free_cash_flow=D(100), dividends_paid=D(63))


def statements(inc: IncomeStatement | None = None, bal: BalanceSheet | None = None,
               period: Period = FY2024) -> FinancialStatements:
    return FinancialStatements(period=period, income=inc or income(),
                               balance_sheet=bal or balance(), cash_flow=CASH_FLOW)


def value(text: str) -> RatioValue:
    return RatioValue(D(text), None)


def test_every_ratio_by_hand() -> None:
    # Net income = 1000 - 600 - 250 - 10 - 14 = 126; 100 shares; price 20, so the
    # market cap is 20 x 100 = 2000.
    r = compute_ratios(statements(), D(20))
    assert r.price_to_earnings == value("15.8730")  # 20 / 1.26 = 15.873015...
    assert r.price_to_book == value("4.0000")  # 20 / (500 / 100) = 20 / 5
    assert r.price_to_sales == value("2.0000")  # 2000 / 1000
    # EV = 2000 + (50 + 200) - 100 = 2150; EBITDA = 150 + 50 = 200
    assert r.ev_to_ebitda == value("10.7500")
    assert r.return_on_equity == value("0.2520")  # 126 / 500
    assert r.return_on_assets == value("0.1260")  # 126 / 1000
    assert r.gross_margin == value("0.4000")  # 400 / 1000
    assert r.operating_margin == value("0.1500")  # 150 / 1000
    assert r.net_margin == value("0.1260")  # 126 / 1000
    assert r.current_ratio == value("1.6000")  # 400 / 250
    assert r.quick_ratio == value("1.1200")  # (400 - 120) / 250 = 280 / 250
    assert r.debt_to_equity == value("0.5000")  # (50 + 200) / 500
    assert r.dividend_yield == value("0.0315")  # (63 / 100) / 20 = 0.63 / 20
    assert r.payout_ratio == value("0.5000")  # 63 / 126


def test_ratios_round_half_even_to_four_places() -> None:
    assert price_to_earnings(statements(income(eps="0.03")), D(1)) == value("33.3333")
    assert price_to_earnings(statements(income(eps="0.03")), D(2)) == value("66.6667")
    # A tie goes to the even digit: gross profit 1234.5 / 10000 = 0.12345 -> 0.1234.
    assert gross_margin(statements(income(revenue="10000", cost="8765.5", opex="0",
                                          interest="0", zakat="0"))) == value("0.1234")


def test_no_price_leaves_every_market_ratio_unset() -> None:
    r = compute_ratios(statements(), None)
    unset = RatioValue(None, Reason.NO_PRICE)
    assert (r.price_to_earnings, r.price_to_book, r.price_to_sales, r.ev_to_ebitda,
            r.dividend_yield) == (unset,) * 5
    assert r.return_on_equity == value("0.2520")


@pytest.mark.parametrize("price", [D(0), D(-1)])
def test_a_price_must_be_positive(price: D) -> None:
    with pytest.raises(ValueError):
        compute_ratios(statements(), price)


def test_negative_and_zero_earnings() -> None:
    # Operating income 150 - interest 200 = pre-tax -50, no zakat: a loss of 50.
    loss = statements(income(interest="200", zakat="0", eps="-0.50"))
    assert price_to_earnings(loss, D(20)) == RatioValue(None, Reason.NEGATIVE_EARNINGS)
    assert payout_ratio(loss) == RatioValue(None, Reason.NEGATIVE_EARNINGS)
    # A loss is a numerator, not a denominator: ROE is defined and negative.
    assert return_on_equity(loss) == value("-0.1000")  # -50 / 500
    # Operating income 150 - interest 150: net income and EPS 0.
    breakeven = statements(income(interest="150", zakat="0", eps="0"))
    assert price_to_earnings(breakeven, D(20)) == RatioValue(None, Reason.ZERO_DENOMINATOR)
    assert payout_ratio(breakeven) == RatioValue(None, Reason.ZERO_DENOMINATOR)


def test_negative_and_zero_ebitda() -> None:
    # Operating income 1000 - 600 - 450 = -50, + D&A 50 = 0; with opex 500: -100 + 50 = -50.
    zero = statements(income(opex="450", interest="0", zakat="0", eps="-0.50"))
    assert ev_to_ebitda(zero, D(20)) == RatioValue(None, Reason.ZERO_DENOMINATOR)
    negative = statements(income(opex="500", interest="0", zakat="0", eps="-1.00"))
    assert ev_to_ebitda(negative, D(20)) == RatioValue(None, Reason.NEGATIVE_EARNINGS)


def test_zero_revenue() -> None:
    # No revenue, no costs: every margin and P/S divide by zero.
    s = statements(income(revenue="0", cost="0", opex="0", interest="0", zakat="0", eps="0"))
    r = compute_ratios(s, D(20))
    undefined = RatioValue(None, Reason.ZERO_DENOMINATOR)
    assert (r.gross_margin, r.operating_margin, r.net_margin, r.price_to_sales) == (
        undefined,) * 4


@pytest.mark.parametrize(("equity", "reason"), [("0", Reason.ZERO_DENOMINATOR),
                                                 ("-100", Reason.NEGATIVE_DENOMINATOR)])
def test_zero_or_negative_equity(equity: str, reason: Reason) -> None:
    s = statements(bal=balance(equity=equity))
    undefined = RatioValue(None, reason)
    assert price_to_book(s, D(20)) == undefined
    assert return_on_equity(s) == undefined
    assert debt_to_equity(s) == undefined


def test_zero_current_liabilities() -> None:
    # Short-term debt of 50 sits inside current liabilities; a sheet without any keeps it
    # at 0 too, so build that one directly.
    s = statements(bal=replace(balance(), current_liabilities=D(0), short_term_debt=D(0),
                               other_non_current_liabilities=D(300)))
    assert current_ratio(s) == RatioValue(None, Reason.ZERO_DENOMINATOR)
    assert quick_ratio(s) == RatioValue(None, Reason.ZERO_DENOMINATOR)


def test_trailing_ratios_refuse_a_quarter() -> None:
    quarter = statements(period=Period(2024, 4, date(2024, 12, 31)))
    with pytest.raises(ValueError):
        price_to_sales(quarter, D(20))
    # A margin is as meaningful for a quarter as for a year.
    assert gross_margin(quarter) == value("0.4000")


def test_statements_must_add_up() -> None:
    with pytest.raises(ValueError, match="gross profit"):
        replace(income(), gross_profit=D(401))
    with pytest.raises(ValueError, match="total assets"):
        replace(balance(), total_equity=D(501))
    with pytest.raises(ValueError, match="free cash flow"):
        replace(CASH_FLOW, free_cash_flow=D(99))
    with pytest.raises(ValueError):
        Period(2024, 5, date(2024, 12, 31))


# --- Synthetic generator -------------------------------------------------------------

CASES = [
    ("2222", "الطاقة", 1, 6_000_000_000, D("25.10")),
    ("1120", "البنوك", 2, 4_000_000_000, D("88.40")),
    ("8010", "التأمين", 3, 120_000_000, D("140")),
    ("1180", "Financial Services", 4, None, D("38.5")),
    ("4001", "Consumer Defensive", 5, 50_000_000, D("2.15")),
    ("9510", "", 6, None, None),
]
FLOWS = {
    "income": [f.name for f in fields(IncomeStatement)
               if f.name not in ("eps", "weighted_shares")],
    "cash_flow": [f.name for f in fields(CashFlowStatement)],
}


def generate(symbol: str, hint: str, seed: int, shares: int | None,
             price: D | None) -> list[FinancialStatements]:
    history = synthetic_statements(symbol, sector_hint=hint, years=5, end_year=2025,
                                   seed=seed, shares_outstanding=shares, price=price)
    assert history.synthetic and history.currency == "SAR" and history.symbol == symbol
    return [*history.annual, *history.quarterly]


@pytest.mark.parametrize(("symbol", "hint", "seed", "shares", "price"), CASES)
def test_generator_invariants(symbol: str, hint: str, seed: int, shares: int | None,
                              price: D | None) -> None:
    history = synthetic_statements(symbol, sector_hint=hint, years=5, end_year=2025,
                                   seed=seed, shares_outstanding=shares, price=price)
    assert [a.period for a in history.annual] == [
        Period(y, None, date(y, 12, 31)) for y in range(2021, 2026)]
    assert [q.period.period_end for q in history.quarterly[:4]] == [
        date(2021, 3, 31), date(2021, 6, 30), date(2021, 9, 30), date(2021, 12, 31)]
    for s in generate(symbol, hint, seed, shares, price):
        b = s.balance_sheet
        assert b.total_assets == b.total_liabilities + b.total_equity
        for statement in (s.income, b, s.cash_flow):
            for f in fields(statement):
                amount = getattr(statement, f.name)
                if isinstance(amount, D) and f.name != "eps":  # whole riyals
                    assert amount == amount.to_integral_value(), (f.name, amount)
        assert b.cash >= 0 and b.total_equity > 0 and s.income.net_income > 0
        if shares is not None:
            assert b.shares_outstanding == s.income.weighted_shares == shares
    for i, year in enumerate(history.annual):
        quarters = history.quarterly[4 * i:4 * i + 4]
        assert all(q.period.fiscal_year == year.period.fiscal_year for q in quarters)
        assert quarters[-1].balance_sheet == year.balance_sheet
        for statement, names in FLOWS.items():
            for name in names:
                assert getattr(getattr(year, statement), name) == sum(
                    getattr(getattr(q, statement), name) for q in quarters), name
    # Equity and cash roll forward, quarter to quarter (and so year to year).
    series = history.quarterly
    for prev, cur in zip(series, series[1:], strict=False):
        assert cur.balance_sheet.total_equity == (prev.balance_sheet.total_equity
                                                  + cur.income.net_income
                                                  - cur.cash_flow.dividends_paid)
        assert (cur.balance_sheet.cash - prev.balance_sheet.cash
                == cur.cash_flow.net_change_in_cash)
    for prev, cur in zip(history.annual, history.annual[1:], strict=False):
        assert cur.balance_sheet.total_equity == (prev.balance_sheet.total_equity
                                                  + cur.income.net_income
                                                  - cur.cash_flow.dividends_paid)
    ratios = compute_ratios(history.annual[-1], price)
    for f in fields(ratios):
        ratio = getattr(ratios, f.name)
        assert ratio.value is None or ratio.value.is_finite()
    if price is not None:
        pe = ratios.price_to_earnings.value
        assert pe is not None and D(8) <= pe <= D(30), pe


@pytest.mark.parametrize("hint", ["البنوك", "Banks", "Financial", "التأمين"])
def test_financials_carry_no_inventory(hint: str) -> None:
    for s in generate("1120", hint, 7, None, None):
        assert s.balance_sheet.inventory == 0
        if hint != "التأمين":  # a bank's revenue is already net of its funding cost
            assert s.income.cost_of_revenue == 0


def test_general_companies_have_costs_and_inventory() -> None:
    for s in generate("2010", "البتروكيماويات", 7, None, None):
        assert s.income.cost_of_revenue > 0 and s.balance_sheet.inventory > 0


def test_generator_is_deterministic_per_seed() -> None:
    first = synthetic_statements("2222", sector_hint="", years=3, end_year=2025, seed=42,
                                 shares_outstanding=None, price=D(25))
    again = synthetic_statements("2222", sector_hint="", years=3, end_year=2025, seed=42,
                                 shares_outstanding=None, price=D(25))
    other = synthetic_statements("2222", sector_hint="", years=3, end_year=2025, seed=43,
                                 shares_outstanding=None, price=D(25))
    assert first == again
    assert first != other


@pytest.mark.parametrize(("years", "shares", "price"), [(0, None, None), (2, 0, None),
                                                       (2, None, D(0))])
def test_generator_rejects_bad_input(years: int, shares: int | None, price: D | None) -> None:
    with pytest.raises(ValueError):
        synthetic_statements("2222", sector_hint="", years=years, end_year=2025, seed=1,
                             shares_outstanding=shares, price=price)
