"""Financial statements of a listed company, typed, and a synthetic generator for the
companies the reference data has no statements for.

Money is exact `Decimal` in Saudi riyals (`CURRENCY`). Sign conventions:

- Income statement: revenue and every expense line are positive amounts; the subtotals
  are derived: gross profit = revenue - cost of revenue, operating income = gross profit -
  operating expenses, pre-tax income = operating income - interest expense, net income =
  pre-tax income - zakat and tax. Depreciation and amortisation is a memo line, already
  inside cost of revenue and operating expenses (it is not subtracted again). Other income
  is folded into operating expenses: a company reporting it nets it there.
- Balance sheet: current assets = cash + receivables + inventory + other current assets;
  total assets = current assets + PP&E + other non-current assets; current liabilities
  include short-term debt; total liabilities = current liabilities + long-term debt + other
  non-current liabilities; total assets = total liabilities + total equity exactly.
- Cash flow: operating, investing and financing are signed (inflows positive); capital
  expenditure and dividends paid are positive amounts of cash spent (inside investing and
  financing respectively); free cash flow = operating - capex.

Each statement checks its identities when built, so a statement that does not add up
cannot exist. Ratios computed from statements are in `server.domain.ratios`.

Synthetic statements. See `synthetic_statements`; everything it produces is demo data, to
be labelled synthetic by whoever serves it.
"""

import calendar
import random
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

CURRENCY = "SAR"
# Generated money is in whole riyals; reported EPS in halalas, as Saudi issuers report it.
MONEY_QUANTUM = Decimal(1)
EPS_QUANTUM = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    """A fiscal year (`quarter` None) or one of its quarters (1-4), ending on `period_end`."""

    fiscal_year: int
    quarter: int | None
    period_end: date

    def __post_init__(self) -> None:
        if self.quarter is not None and not 1 <= self.quarter <= 4:
            raise ValueError(f"quarter must be 1-4 or None, got {self.quarter}")

    @property
    def is_annual(self) -> bool:
        return self.quarter is None


def _check(label: str, actual: Decimal, expected: Decimal) -> None:
    if actual != expected:
        raise ValueError(f"{label} is {actual}, but its components give {expected}")


@dataclass(frozen=True)
class IncomeStatement:
    revenue: Decimal
    cost_of_revenue: Decimal
    gross_profit: Decimal
    operating_expenses: Decimal
    operating_income: Decimal
    interest_expense: Decimal
    depreciation_amortization: Decimal  # memo: inside cost of revenue and opex
    pre_tax_income: Decimal
    zakat_and_tax: Decimal
    net_income: Decimal
    eps: Decimal  # net income / weighted shares, as reported (rounded to EPS_QUANTUM)
    weighted_shares: int

    def __post_init__(self) -> None:
        _check("gross profit", self.gross_profit, self.revenue - self.cost_of_revenue)
        _check("operating income", self.operating_income,
               self.gross_profit - self.operating_expenses)
        _check("pre-tax income", self.pre_tax_income,
               self.operating_income - self.interest_expense)
        _check("net income", self.net_income, self.pre_tax_income - self.zakat_and_tax)
        if self.weighted_shares <= 0:
            raise ValueError(f"weighted shares must be positive, got {self.weighted_shares}")


@dataclass(frozen=True)
class BalanceSheet:
    cash: Decimal
    receivables: Decimal
    inventory: Decimal
    other_current_assets: Decimal
    current_assets: Decimal
    ppe: Decimal
    other_non_current_assets: Decimal
    total_assets: Decimal
    current_liabilities: Decimal  # includes short_term_debt
    short_term_debt: Decimal
    long_term_debt: Decimal
    other_non_current_liabilities: Decimal
    total_liabilities: Decimal
    total_equity: Decimal
    shares_outstanding: int

    def __post_init__(self) -> None:
        _check("current assets", self.current_assets,
               self.cash + self.receivables + self.inventory + self.other_current_assets)
        _check("total assets", self.total_assets,
               self.current_assets + self.ppe + self.other_non_current_assets)
        _check("total liabilities", self.total_liabilities,
               self.current_liabilities + self.long_term_debt
               + self.other_non_current_liabilities)
        _check("total assets", self.total_assets, self.total_liabilities + self.total_equity)
        if self.shares_outstanding <= 0:
            raise ValueError(f"shares outstanding must be positive, got "
                             f"{self.shares_outstanding}")

    @property
    def total_debt(self) -> Decimal:
        return self.short_term_debt + self.long_term_debt


@dataclass(frozen=True)
class CashFlowStatement:
    operating: Decimal
    investing: Decimal  # includes -capex
    financing: Decimal  # includes -dividends_paid
    capex: Decimal  # positive: cash spent
    free_cash_flow: Decimal
    dividends_paid: Decimal  # positive: cash paid out

    def __post_init__(self) -> None:
        _check("free cash flow", self.free_cash_flow, self.operating - self.capex)

    @property
    def net_change_in_cash(self) -> Decimal:
        return self.operating + self.investing + self.financing


@dataclass(frozen=True)
class FinancialStatements:
    """The three statements of one period."""

    period: Period
    income: IncomeStatement
    balance_sheet: BalanceSheet
    cash_flow: CashFlowStatement


@dataclass(frozen=True)
class StatementHistory:
    """A company's statements, oldest first; `synthetic` marks generated demo data."""

    symbol: str
    currency: str
    synthetic: bool
    annual: tuple[FinancialStatements, ...]
    quarterly: tuple[FinancialStatements, ...]


# --- Synthetic generator -------------------------------------------------------------


@dataclass(frozen=True)
class _Profile:
    """Ranges the generator draws a company's drivers from. Flow ratios are fractions of
    revenue; asset ratios fractions of annual revenue; liability and equity ratios
    fractions of total assets (so that their sum, and hence equity, stays plausible)."""

    gross_margin: tuple[float, float]
    operating_margin: tuple[float, float]  # kept below gross margin, so opex >= 0
    depreciation: tuple[float, float]
    cash: tuple[float, float]
    receivables: tuple[float, float]
    inventory: tuple[float, float]
    other_current_assets: tuple[float, float]
    ppe: tuple[float, float]
    other_non_current_assets: tuple[float, float]
    equity_to_assets: tuple[float, float]
    long_term_debt_to_assets: tuple[float, float]
    other_non_current_liabilities_to_assets: tuple[float, float]
    interest_rate: tuple[float, float]  # annual, on total debt


_GENERAL = _Profile(
    gross_margin=(0.25, 0.45), operating_margin=(0.08, 0.20), depreciation=(0.02, 0.06),
    cash=(0.08, 0.20), receivables=(0.10, 0.20), inventory=(0.08, 0.15),
    other_current_assets=(0.02, 0.05), ppe=(0.40, 1.00), other_non_current_assets=(0.05, 0.15),
    equity_to_assets=(0.45, 0.65), long_term_debt_to_assets=(0.10, 0.20),
    other_non_current_liabilities_to_assets=(0.02, 0.04), interest_rate=(0.04, 0.07),
)
# A bank's revenue is its total operating income: special commission income already net
# of the commission it pays, so it has no cost of revenue and no separate interest line
# (rate 0). Receivables are its loans, other non-current assets its investments, and the
# non-debt current liabilities its deposits.
_BANK = _Profile(
    gross_margin=(1.0, 1.0), operating_margin=(0.50, 0.65), depreciation=(0.02, 0.04),
    cash=(1.5, 3.0), receivables=(16.0, 20.0), inventory=(0.0, 0.0),
    other_current_assets=(0.3, 0.6), ppe=(0.4, 0.7), other_non_current_assets=(6.0, 8.0),
    equity_to_assets=(0.11, 0.16), long_term_debt_to_assets=(0.02, 0.05),
    other_non_current_liabilities_to_assets=(0.01, 0.03), interest_rate=(0.0, 0.0),
)
# An insurer's revenue is its written premiums and its cost of revenue the claims; it has
# no inventory, invests its float (other non-current assets) and carries no debt. Its
# technical reserves are the non-debt current liabilities.
_INSURER = _Profile(
    gross_margin=(0.15, 0.25), operating_margin=(0.04, 0.10), depreciation=(0.01, 0.02),
    cash=(0.15, 0.30), receivables=(0.20, 0.35), inventory=(0.0, 0.0),
    other_current_assets=(0.05, 0.10), ppe=(0.02, 0.05), other_non_current_assets=(0.8, 1.2),
    equity_to_assets=(0.20, 0.35), long_term_debt_to_assets=(0.0, 0.0),
    other_non_current_liabilities_to_assets=(0.02, 0.05), interest_rate=(0.0, 0.0),
)

# Matched against the lower-cased sector hint: the reference data's Arabic sector groups
# ('البنوك', 'التأمين', 'الخدمات المالية') and English ones ('Banks', 'Financial Services').
# Financial-services firms other than banks and insurers are modelled as banks: lenders
# and brokers alike carry no inventory and earn their revenue net of funding costs.
_PROFILE_KEYWORDS = (
    (("تأمين", "insur"), _INSURER),
    (("بنوك", "مالية", "bank", "financ"), _BANK),
)


def _profile(sector_hint: str) -> _Profile:
    hint = sector_hint.lower()
    for keywords, profile in _PROFILE_KEYWORDS:
        if any(keyword in hint for keyword in keywords):
            return profile
    return _GENERAL


def _money(value: float | Decimal) -> Decimal:
    return Decimal(value).quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)


def _eps(net_income: Decimal, shares: int) -> Decimal:
    return (net_income / shares).quantize(EPS_QUANTUM, rounding=ROUND_HALF_EVEN)


def _quarter_end(year: int, quarter: int) -> date:
    month = 3 * quarter
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class _Drivers:
    """Everything drawn for one company, independent of its scale, so that the same draws
    can be replayed at another revenue (see `synthetic_statements`)."""

    profile: _Profile
    ratios: dict[str, float]  # one value per profile field, and liabilities to revenue
    seasonality: tuple[float, float, float, float]  # quarter shares of annual revenue
    growth: tuple[float, ...]  # revenue growth into each year, oldest first
    gross_margin: tuple[float, ...]  # per year
    operating_margin: tuple[float, ...]
    capex_to_depreciation: tuple[float, ...]
    zakat_rate: float
    payout: float


_ASSET_RATIOS = ("cash", "receivables", "inventory", "other_current_assets", "ppe",
                 "other_non_current_assets")


def _draw_drivers(rng: random.Random, profile: _Profile, years: int) -> _Drivers:
    ratios = {f.name: rng.uniform(*getattr(profile, f.name)) for f in fields(profile)}
    # Liabilities as fractions of revenue, from their drawn shares of the assets; the
    # non-debt current liabilities take what equity and the rest leave.
    assets = sum(ratios[name] for name in _ASSET_RATIOS)
    ratios["long_term_debt"] = assets * ratios["long_term_debt_to_assets"]
    ratios["other_non_current_liabilities"] = (
        assets * ratios["other_non_current_liabilities_to_assets"])
    ratios["payables"] = assets * (1 - ratios["equity_to_assets"]
                                   - ratios["long_term_debt_to_assets"]
                                   - ratios["other_non_current_liabilities_to_assets"])
    weights = [rng.uniform(0.9, 1.1) for _ in range(4)]
    total = sum(weights)
    seasonality = (weights[0] / total, weights[1] / total, weights[2] / total,
                   weights[3] / total)
    growth, gross, operating, capex = [], [], [], []
    for _ in range(years):
        growth.append(rng.uniform(-0.05, 0.15))
        # Year-to-year jitter: the cost share of revenue by +-3 % of itself (so a bank's
        # stays 0), the operating margin by +-2 points. Even at the extremes the operating
        # margin stays below the gross margin in every profile, so opex stays >= 0.
        gross.append(1 - (1 - ratios["gross_margin"]) * rng.uniform(0.97, 1.03))
        operating.append(ratios["operating_margin"] + rng.uniform(-0.02, 0.02))
        # Capex of at least the depreciation: PP&E never shrinks, so it never runs out.
        capex.append(rng.uniform(1.0, 1.6))
    return _Drivers(profile=profile, ratios=ratios, seasonality=seasonality,
                    growth=tuple(growth), gross_margin=tuple(gross),
                    operating_margin=tuple(operating), capex_to_depreciation=tuple(capex),
                    zakat_rate=rng.uniform(0.05, 0.12), payout=rng.uniform(0.0, 0.7))


@dataclass(frozen=True)
class _Position:
    """The balance sheet items the generator rolls forward from quarter to quarter."""

    receivables: Decimal
    inventory: Decimal
    other_current_assets: Decimal
    ppe: Decimal
    other_non_current_assets: Decimal
    payables: Decimal  # the non-debt current liabilities
    short_term_debt: Decimal
    long_term_debt: Decimal
    other_non_current_liabilities: Decimal
    equity: Decimal
    cash: Decimal

    def balance_sheet(self, shares: int) -> BalanceSheet:
        current_assets = (self.cash + self.receivables + self.inventory
                          + self.other_current_assets)
        current_liabilities = self.payables + self.short_term_debt
        total_liabilities = (current_liabilities + self.long_term_debt
                             + self.other_non_current_liabilities)
        return BalanceSheet(
            cash=self.cash, receivables=self.receivables, inventory=self.inventory,
            other_current_assets=self.other_current_assets, current_assets=current_assets,
            ppe=self.ppe, other_non_current_assets=self.other_non_current_assets,
            total_assets=current_assets + self.ppe + self.other_non_current_assets,
            current_liabilities=current_liabilities, short_term_debt=self.short_term_debt,
            long_term_debt=self.long_term_debt,
            other_non_current_liabilities=self.other_non_current_liabilities,
            total_liabilities=total_liabilities, total_equity=self.equity,
            shares_outstanding=shares)


def _opening_position(d: _Drivers, run_rate: float) -> _Position:
    def scaled(name: str) -> Decimal:
        return _money(run_rate * d.ratios[name])

    position = _Position(
        receivables=scaled("receivables"), inventory=scaled("inventory"),
        other_current_assets=scaled("other_current_assets"), ppe=scaled("ppe"),
        other_non_current_assets=scaled("other_non_current_assets"),
        payables=scaled("payables"), short_term_debt=Decimal(0),
        long_term_debt=scaled("long_term_debt"),
        other_non_current_liabilities=scaled("other_non_current_liabilities"),
        equity=Decimal(0), cash=scaled("cash"))
    # Equity is the plug of the opening balance sheet (about equity_to_assets of the
    # assets, to rounding); from there on it only rolls forward.
    assets = (position.cash + position.receivables + position.inventory
              + position.other_current_assets + position.ppe
              + position.other_non_current_assets)
    liabilities = (position.payables + position.long_term_debt
                   + position.other_non_current_liabilities)
    return replace(position, equity=assets - liabilities)


def _sum_income(quarters: list[IncomeStatement], shares: int) -> IncomeStatement:
    def total(name: str) -> Decimal:
        return sum((getattr(q, name) for q in quarters), Decimal(0))

    net_income = total("net_income")
    return IncomeStatement(
        revenue=total("revenue"), cost_of_revenue=total("cost_of_revenue"),
        gross_profit=total("gross_profit"), operating_expenses=total("operating_expenses"),
        operating_income=total("operating_income"), interest_expense=total("interest_expense"),
        depreciation_amortization=total("depreciation_amortization"),
        pre_tax_income=total("pre_tax_income"), zakat_and_tax=total("zakat_and_tax"),
        net_income=net_income, eps=_eps(net_income, shares), weighted_shares=shares)


def _sum_cash_flow(quarters: list[CashFlowStatement]) -> CashFlowStatement:
    def total(name: str) -> Decimal:
        return sum((getattr(q, name) for q in quarters), Decimal(0))

    return CashFlowStatement(
        operating=total("operating"), investing=total("investing"),
        financing=total("financing"), capex=total("capex"),
        free_cash_flow=total("free_cash_flow"), dividends_paid=total("dividends_paid"))


def synthetic_statements(symbol: str, *, sector_hint: str, years: int, end_year: int,
                         seed: int, shares_outstanding: int | None,
                         price: Decimal | None) -> StatementHistory:
    """Demo statements for `symbol`: `years` fiscal years ending with `end_year` (calendar
    fiscal years, quarters ending 31 March, 30 June, 30 September, 31 December), annual and
    quarterly, oldest first, in whole riyals (EPS in halalas).

    Consistent by construction: the subtotals are derived from their lines; equity rolls
    forward (equity = previous equity + net income - dividends paid, quarter by quarter and
    so year by year); cash is the plug that makes total assets equal total liabilities plus
    equity, kept between half and twice its target by short-term borrowing and repayment;
    the cash flow statement is derived from the balance sheet changes (indirect method), so
    operating + investing + financing equals the change in cash; the quarters' flows add up
    to the year's and the year's balance sheet is its fourth quarter's. The company is
    profitable every quarter, with a constant share count.

    `sector_hint` picks the shape: banks and other financial services (a hint containing
    'بنوك', 'مالية', 'bank' or 'financ') have no cost of revenue, inventory or separate
    interest expense; insurers ('تأمين', 'insur') no inventory or debt; anything else is a
    general company. `shares_outstanding` None draws a share count. With a `price`, revenue
    is scaled so that the last year's P/E (price / EPS) lands near a target drawn from
    10-22; without one, the last year's revenue is drawn from SAR 0.3-20 billion.

    The same arguments give the same statements on any machine: `random.Random` seeded by a
    string, and only IEEE-exact arithmetic on its draws.
    """
    if years < 1:
        raise ValueError(f"years must be at least 1, got {years}")
    if shares_outstanding is not None and shares_outstanding <= 0:
        raise ValueError(f"shares outstanding must be positive, got {shares_outstanding}")
    if price is not None and price <= 0:
        raise ValueError(f"price must be positive, got {price}")
    drivers = _draw_drivers(random.Random(f"{seed}:{symbol}:statements"),
                            _profile(sector_hint), years)
    # Drawn from their own stream, so that the drivers do not depend on which are drawn.
    valuation = random.Random(f"{seed}:{symbol}:valuation")
    revenue = _money(valuation.uniform(0.3e9, 20e9))
    revenue_per_share = valuation.uniform(5.0, 50.0)
    target_pe = valuation.uniform(10.0, 22.0)
    # A drawn share count is a whole number of millions, as Saudi issuers' are.
    shares = shares_outstanding or max(round(float(revenue) / revenue_per_share / 1e6), 1) * 10**6
    if price is not None:
        # Every line is proportional to the revenue (up to rounding to the riyal), so one
        # trial run at the drawn revenue says how much to scale it by to hit the target
        # net income of market cap / target P/E.
        trial = _build(symbol, drivers, end_year, shares, revenue).annual[-1].income.net_income
        target = price * shares / Decimal(repr(target_pe))
        revenue = _money(revenue * target / trial)
    return _build(symbol, drivers, end_year, shares, revenue)


def _build(symbol: str, d: _Drivers, end_year: int, shares: int,
           last_revenue: Decimal) -> StatementHistory:
    """The statements for `d`, scaled so that the last year's revenue is `last_revenue`."""
    years = len(d.growth)
    # Annual revenues, walked back from the last year's by each year's growth.
    revenues = [float(last_revenue)]
    for growth in reversed(d.growth):
        revenues.append(revenues[-1] / (1 + growth))
    revenues.reverse()  # revenues[0] is the year before the first, the opening run rate
    position = _opening_position(d, revenues[0])
    annual: list[FinancialStatements] = []
    quarterly: list[FinancialStatements] = []
    for i in range(years):
        year = end_year - years + 1 + i
        year_revenue = _money(revenues[i + 1])
        quarter_revenue = [_money(year_revenue * Decimal(w)) for w in d.seasonality[:3]]
        # Q4 takes the rounding remainder, so the quarters add up to the year exactly.
        quarter_revenue.append(year_revenue - sum(quarter_revenue, Decimal(0)))
        incomes: list[IncomeStatement] = []
        cash_flows: list[CashFlowStatement] = []
        for q, revenue in enumerate(quarter_revenue, start=1):
            # Balance sheet items scale with the revenue run rate, moving from last year's
            # revenue to this year's over the four quarters instead of jumping with the
            # seasonality of a single quarter.
            run_rate = revenues[i] + (revenues[i + 1] - revenues[i]) * q / 4
            income, position, cash_flow = _quarter(d, i, revenue, run_rate, position, shares)
            incomes.append(income)
            cash_flows.append(cash_flow)
            quarterly.append(FinancialStatements(
                period=Period(year, q, _quarter_end(year, q)), income=income,
                balance_sheet=position.balance_sheet(shares), cash_flow=cash_flow))
        annual.append(FinancialStatements(
            period=Period(year, None, _quarter_end(year, 4)),
            income=_sum_income(incomes, shares), balance_sheet=quarterly[-1].balance_sheet,
            cash_flow=_sum_cash_flow(cash_flows)))
    return StatementHistory(symbol=symbol, currency=CURRENCY, synthetic=True,
                            annual=tuple(annual), quarterly=tuple(quarterly))


def _quarter(d: _Drivers, year_index: int, revenue: Decimal, run_rate: float,
             prev: _Position, shares: int
             ) -> tuple[IncomeStatement, _Position, CashFlowStatement]:
    r = d.ratios
    cost = _money(revenue * Decimal(1 - d.gross_margin[year_index]))
    operating_income = _money(revenue * Decimal(d.operating_margin[year_index]))
    depreciation = _money(revenue * Decimal(r["depreciation"]))
    # Interest on the debt carried into the quarter, at a quarter of the annual rate.
    interest = _money((prev.short_term_debt + prev.long_term_debt)
                      * Decimal(r["interest_rate"] / 4))
    pre_tax = operating_income - interest
    # Zakat and tax on a profit only: no credit for a loss.
    zakat = _money(max(pre_tax, Decimal(0)) * Decimal(d.zakat_rate))
    net_income = pre_tax - zakat
    dividends = _money(max(net_income, Decimal(0)) * Decimal(d.payout))
    capex = _money(depreciation * Decimal(d.capex_to_depreciation[year_index]))
    income = IncomeStatement(
        revenue=revenue, cost_of_revenue=cost, gross_profit=revenue - cost,
        operating_expenses=revenue - cost - operating_income,
        operating_income=operating_income, interest_expense=interest,
        depreciation_amortization=depreciation, pre_tax_income=pre_tax,
        zakat_and_tax=zakat, net_income=net_income, eps=_eps(net_income, shares),
        weighted_shares=shares)

    def scaled(name: str) -> Decimal:
        return _money(run_rate * r[name])

    receivables, inventory = scaled("receivables"), scaled("inventory")
    other_current_assets = scaled("other_current_assets")
    other_non_current_assets = scaled("other_non_current_assets")
    ppe = prev.ppe + capex - depreciation
    payables, long_term_debt = scaled("payables"), scaled("long_term_debt")
    other_ncl = scaled("other_non_current_liabilities")
    equity = prev.equity + net_income - dividends
    short_term_debt = prev.short_term_debt
    # Cash is the plug that makes assets equal liabilities plus equity ...
    cash = (payables + short_term_debt + long_term_debt + other_ncl + equity
            - receivables - inventory - other_current_assets - ppe - other_non_current_assets)
    # ... kept within a band around its target by short-term borrowing and repayment.
    floor, ceiling = scaled("cash") / 2, scaled("cash") * 2
    if cash < floor:
        short_term_debt += floor - cash
        cash = floor
    elif cash > ceiling and short_term_debt > 0:
        repayment = min(short_term_debt, cash - ceiling)
        short_term_debt -= repayment
        cash -= repayment
    position = _Position(
        receivables=receivables, inventory=inventory,
        other_current_assets=other_current_assets, ppe=ppe,
        other_non_current_assets=other_non_current_assets, payables=payables,
        short_term_debt=short_term_debt, long_term_debt=long_term_debt,
        other_non_current_liabilities=other_ncl, equity=equity, cash=cash)
    working_capital_change = (receivables + inventory + other_current_assets
                              - prev.receivables - prev.inventory - prev.other_current_assets)
    # Indirect method, from the balance sheet changes, so that operating + investing +
    # financing equals the change in balance-sheet cash exactly.
    operating = (net_income + depreciation - working_capital_change
                 + payables - prev.payables
                 + other_ncl - prev.other_non_current_liabilities)
    investing = -capex - (other_non_current_assets - prev.other_non_current_assets)
    financing = (short_term_debt - prev.short_term_debt + long_term_debt - prev.long_term_debt
                 - dividends)
    cash_flow = CashFlowStatement(
        operating=operating, investing=investing, financing=financing, capex=capex,
        free_cash_flow=operating - capex, dividends_paid=dividends)
    return income, position, cash_flow
