"""Valuation, profitability, liquidity and leverage ratios from a company's annual
statements and its share price.

Every ratio is a `RatioValue`: a value rounded half-even to 4 decimal places (margins,
returns, yields and payout as fractions: 0.1234 is 12.34 %), or no value and a machine
reason when the ratio is undefined: a zero denominator (ZERO_DENOMINATOR), a negative one
(NEGATIVE_DENOMINATOR; NEGATIVE_EARNINGS where the denominator is earnings), or no price
for a market ratio (NO_PRICE). So no ratio is ever Infinity or NaN. Only denominators are
checked: a negative numerator gives a negative ratio (a loss gives a negative ROE, net cash
above the market cap a negative EV/EBITDA).

Conventions: "trailing" is the fiscal year of the statements given (the ratios taking
flows and a price, or flows and a balance, refuse a quarter); market cap = price x shares
outstanding at the period end; total debt = short-term + long-term debt; returns are on
ending equity and ending total assets (one balance sheet suffices, and ROE and ROA stay
comparable).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from server.domain.fundamentals import FinancialStatements

RATIO_QUANTUM = Decimal("0.0001")


class Reason(StrEnum):
    NO_PRICE = "NO_PRICE"
    ZERO_DENOMINATOR = "ZERO_DENOMINATOR"
    NEGATIVE_DENOMINATOR = "NEGATIVE_DENOMINATOR"
    NEGATIVE_EARNINGS = "NEGATIVE_EARNINGS"


@dataclass(frozen=True)
class RatioValue:
    value: Decimal | None
    reason: Reason | None  # set exactly when value is None


def _ratio(numerator: Decimal, denominator: Decimal,
           negative: Reason = Reason.NEGATIVE_DENOMINATOR) -> RatioValue:
    if denominator == 0:
        return RatioValue(None, Reason.ZERO_DENOMINATOR)
    if denominator < 0:
        return RatioValue(None, negative)
    return RatioValue((numerator / denominator).quantize(RATIO_QUANTUM, ROUND_HALF_EVEN), None)


def _annual(s: FinancialStatements) -> None:
    if not s.period.is_annual:
        raise ValueError(f"trailing ratios need annual statements, got {s.period}")


def _valid(price: Decimal) -> Decimal:
    # A zero or negative price is bad input, not an undefined ratio.
    if price <= 0:
        raise ValueError(f"price must be positive, got {price}")
    return price


def _market_cap(s: FinancialStatements, price: Decimal) -> Decimal:
    return _valid(price) * s.balance_sheet.shares_outstanding


def price_to_earnings(s: FinancialStatements, price: Decimal | None) -> RatioValue:
    """P/E = price / EPS, EPS the annual reported EPS (net income / weighted shares).
    EPS < 0: NEGATIVE_EARNINGS."""
    _annual(s)
    if price is None:
        return RatioValue(None, Reason.NO_PRICE)
    return _ratio(_valid(price), s.income.eps, Reason.NEGATIVE_EARNINGS)


def price_to_book(s: FinancialStatements, price: Decimal | None) -> RatioValue:
    """P/B = price / (total equity / shares outstanding) = market cap / total equity."""
    if price is None:
        return RatioValue(None, Reason.NO_PRICE)
    return _ratio(_market_cap(s, price), s.balance_sheet.total_equity)


def price_to_sales(s: FinancialStatements, price: Decimal | None) -> RatioValue:
    """P/S = market cap / annual revenue, market cap = price x shares outstanding."""
    _annual(s)
    if price is None:
        return RatioValue(None, Reason.NO_PRICE)
    return _ratio(_market_cap(s, price), s.income.revenue)


def ev_to_ebitda(s: FinancialStatements, price: Decimal | None) -> RatioValue:
    """EV/EBITDA = (market cap + short-term debt + long-term debt - cash)
    / (operating income + depreciation and amortisation), annual."""
    _annual(s)
    if price is None:
        return RatioValue(None, Reason.NO_PRICE)
    b = s.balance_sheet
    enterprise_value = _market_cap(s, price) + b.total_debt - b.cash
    ebitda = s.income.operating_income + s.income.depreciation_amortization
    return _ratio(enterprise_value, ebitda, Reason.NEGATIVE_EARNINGS)


def return_on_equity(s: FinancialStatements) -> RatioValue:
    """ROE = annual net income / ending total equity."""
    _annual(s)
    return _ratio(s.income.net_income, s.balance_sheet.total_equity)


def return_on_assets(s: FinancialStatements) -> RatioValue:
    """ROA = annual net income / ending total assets."""
    _annual(s)
    return _ratio(s.income.net_income, s.balance_sheet.total_assets)


def gross_margin(s: FinancialStatements) -> RatioValue:
    """Gross margin = gross profit / revenue."""
    return _ratio(s.income.gross_profit, s.income.revenue)


def operating_margin(s: FinancialStatements) -> RatioValue:
    """Operating margin = operating income / revenue."""
    return _ratio(s.income.operating_income, s.income.revenue)


def net_margin(s: FinancialStatements) -> RatioValue:
    """Net margin = net income / revenue."""
    return _ratio(s.income.net_income, s.income.revenue)


def current_ratio(s: FinancialStatements) -> RatioValue:
    """Current ratio = current assets / current liabilities."""
    return _ratio(s.balance_sheet.current_assets, s.balance_sheet.current_liabilities)


def quick_ratio(s: FinancialStatements) -> RatioValue:
    """Quick ratio = (current assets - inventory) / current liabilities."""
    b = s.balance_sheet
    return _ratio(b.current_assets - b.inventory, b.current_liabilities)


def debt_to_equity(s: FinancialStatements) -> RatioValue:
    """Debt/equity = (short-term debt + long-term debt) / total equity."""
    return _ratio(s.balance_sheet.total_debt, s.balance_sheet.total_equity)


def dividend_yield(s: FinancialStatements, price: Decimal | None) -> RatioValue:
    """Dividend yield = dividends per share / price, dividends per share = annual dividends
    paid / shares outstanding (so = dividends paid / market cap)."""
    _annual(s)
    if price is None:
        return RatioValue(None, Reason.NO_PRICE)
    return _ratio(s.cash_flow.dividends_paid, _market_cap(s, price))


def payout_ratio(s: FinancialStatements) -> RatioValue:
    """Payout ratio = dividends paid / net income. Net income < 0: NEGATIVE_EARNINGS."""
    return _ratio(s.cash_flow.dividends_paid, s.income.net_income, Reason.NEGATIVE_EARNINGS)


@dataclass(frozen=True)
class Ratios:
    price_to_earnings: RatioValue
    price_to_book: RatioValue
    price_to_sales: RatioValue
    ev_to_ebitda: RatioValue
    return_on_equity: RatioValue
    return_on_assets: RatioValue
    gross_margin: RatioValue
    operating_margin: RatioValue
    net_margin: RatioValue
    current_ratio: RatioValue
    quick_ratio: RatioValue
    debt_to_equity: RatioValue
    dividend_yield: RatioValue
    payout_ratio: RatioValue


def compute_ratios(s: FinancialStatements, price: Decimal | None) -> Ratios:
    """Every ratio above for one fiscal year's statements and the current price."""
    return Ratios(
        price_to_earnings=price_to_earnings(s, price), price_to_book=price_to_book(s, price),
        price_to_sales=price_to_sales(s, price), ev_to_ebitda=ev_to_ebitda(s, price),
        return_on_equity=return_on_equity(s), return_on_assets=return_on_assets(s),
        gross_margin=gross_margin(s), operating_margin=operating_margin(s),
        net_margin=net_margin(s), current_ratio=current_ratio(s), quick_ratio=quick_ratio(s),
        debt_to_equity=debt_to_equity(s), dividend_yield=dividend_yield(s, price),
        payout_ratio=payout_ratio(s))
