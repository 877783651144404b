from financehub.options.v1 import options_pb2 as _options_pb2
from financehub.v1 import securities_pb2 as _securities_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.type import date_pb2 as _date_pb2
from google.type import decimal_pb2 as _decimal_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StatementPeriodType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATEMENT_PERIOD_TYPE_UNSPECIFIED: _ClassVar[StatementPeriodType]
    STATEMENT_PERIOD_TYPE_ANNUAL: _ClassVar[StatementPeriodType]
    STATEMENT_PERIOD_TYPE_QUARTERLY: _ClassVar[StatementPeriodType]
STATEMENT_PERIOD_TYPE_UNSPECIFIED: StatementPeriodType
STATEMENT_PERIOD_TYPE_ANNUAL: StatementPeriodType
STATEMENT_PERIOD_TYPE_QUARTERLY: StatementPeriodType

class IncomeStatement(_message.Message):
    __slots__ = ("revenue", "cost_of_revenue", "gross_profit", "operating_expenses", "operating_income", "interest_expense", "depreciation_amortization", "pre_tax_income", "zakat_and_tax", "net_income", "eps", "weighted_shares")
    REVENUE_FIELD_NUMBER: _ClassVar[int]
    COST_OF_REVENUE_FIELD_NUMBER: _ClassVar[int]
    GROSS_PROFIT_FIELD_NUMBER: _ClassVar[int]
    OPERATING_EXPENSES_FIELD_NUMBER: _ClassVar[int]
    OPERATING_INCOME_FIELD_NUMBER: _ClassVar[int]
    INTEREST_EXPENSE_FIELD_NUMBER: _ClassVar[int]
    DEPRECIATION_AMORTIZATION_FIELD_NUMBER: _ClassVar[int]
    PRE_TAX_INCOME_FIELD_NUMBER: _ClassVar[int]
    ZAKAT_AND_TAX_FIELD_NUMBER: _ClassVar[int]
    NET_INCOME_FIELD_NUMBER: _ClassVar[int]
    EPS_FIELD_NUMBER: _ClassVar[int]
    WEIGHTED_SHARES_FIELD_NUMBER: _ClassVar[int]
    revenue: _decimal_pb2.Decimal
    cost_of_revenue: _decimal_pb2.Decimal
    gross_profit: _decimal_pb2.Decimal
    operating_expenses: _decimal_pb2.Decimal
    operating_income: _decimal_pb2.Decimal
    interest_expense: _decimal_pb2.Decimal
    depreciation_amortization: _decimal_pb2.Decimal
    pre_tax_income: _decimal_pb2.Decimal
    zakat_and_tax: _decimal_pb2.Decimal
    net_income: _decimal_pb2.Decimal
    eps: _decimal_pb2.Decimal
    weighted_shares: int
    def __init__(self, revenue: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., cost_of_revenue: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., gross_profit: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., operating_expenses: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., operating_income: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., interest_expense: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., depreciation_amortization: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., pre_tax_income: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., zakat_and_tax: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., net_income: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., eps: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., weighted_shares: _Optional[int] = ...) -> None: ...

class BalanceSheet(_message.Message):
    __slots__ = ("cash", "receivables", "inventory", "other_current_assets", "current_assets", "ppe", "other_non_current_assets", "total_assets", "current_liabilities", "short_term_debt", "long_term_debt", "other_non_current_liabilities", "total_liabilities", "total_equity", "shares_outstanding")
    CASH_FIELD_NUMBER: _ClassVar[int]
    RECEIVABLES_FIELD_NUMBER: _ClassVar[int]
    INVENTORY_FIELD_NUMBER: _ClassVar[int]
    OTHER_CURRENT_ASSETS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_ASSETS_FIELD_NUMBER: _ClassVar[int]
    PPE_FIELD_NUMBER: _ClassVar[int]
    OTHER_NON_CURRENT_ASSETS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ASSETS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_LIABILITIES_FIELD_NUMBER: _ClassVar[int]
    SHORT_TERM_DEBT_FIELD_NUMBER: _ClassVar[int]
    LONG_TERM_DEBT_FIELD_NUMBER: _ClassVar[int]
    OTHER_NON_CURRENT_LIABILITIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LIABILITIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_EQUITY_FIELD_NUMBER: _ClassVar[int]
    SHARES_OUTSTANDING_FIELD_NUMBER: _ClassVar[int]
    cash: _decimal_pb2.Decimal
    receivables: _decimal_pb2.Decimal
    inventory: _decimal_pb2.Decimal
    other_current_assets: _decimal_pb2.Decimal
    current_assets: _decimal_pb2.Decimal
    ppe: _decimal_pb2.Decimal
    other_non_current_assets: _decimal_pb2.Decimal
    total_assets: _decimal_pb2.Decimal
    current_liabilities: _decimal_pb2.Decimal
    short_term_debt: _decimal_pb2.Decimal
    long_term_debt: _decimal_pb2.Decimal
    other_non_current_liabilities: _decimal_pb2.Decimal
    total_liabilities: _decimal_pb2.Decimal
    total_equity: _decimal_pb2.Decimal
    shares_outstanding: int
    def __init__(self, cash: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., receivables: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., inventory: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., other_current_assets: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., current_assets: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., ppe: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., other_non_current_assets: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., total_assets: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., current_liabilities: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., short_term_debt: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., long_term_debt: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., other_non_current_liabilities: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., total_liabilities: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., total_equity: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., shares_outstanding: _Optional[int] = ...) -> None: ...

class CashFlowStatement(_message.Message):
    __slots__ = ("operating", "investing", "financing", "capex", "free_cash_flow", "dividends_paid")
    OPERATING_FIELD_NUMBER: _ClassVar[int]
    INVESTING_FIELD_NUMBER: _ClassVar[int]
    FINANCING_FIELD_NUMBER: _ClassVar[int]
    CAPEX_FIELD_NUMBER: _ClassVar[int]
    FREE_CASH_FLOW_FIELD_NUMBER: _ClassVar[int]
    DIVIDENDS_PAID_FIELD_NUMBER: _ClassVar[int]
    operating: _decimal_pb2.Decimal
    investing: _decimal_pb2.Decimal
    financing: _decimal_pb2.Decimal
    capex: _decimal_pb2.Decimal
    free_cash_flow: _decimal_pb2.Decimal
    dividends_paid: _decimal_pb2.Decimal
    def __init__(self, operating: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., investing: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., financing: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., capex: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., free_cash_flow: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., dividends_paid: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ...) -> None: ...

class FinancialStatements(_message.Message):
    __slots__ = ("fiscal_year", "quarter", "period_end", "income_statement", "balance_sheet", "cash_flow")
    FISCAL_YEAR_FIELD_NUMBER: _ClassVar[int]
    QUARTER_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    INCOME_STATEMENT_FIELD_NUMBER: _ClassVar[int]
    BALANCE_SHEET_FIELD_NUMBER: _ClassVar[int]
    CASH_FLOW_FIELD_NUMBER: _ClassVar[int]
    fiscal_year: int
    quarter: int
    period_end: _date_pb2.Date
    income_statement: IncomeStatement
    balance_sheet: BalanceSheet
    cash_flow: CashFlowStatement
    def __init__(self, fiscal_year: _Optional[int] = ..., quarter: _Optional[int] = ..., period_end: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., income_statement: _Optional[_Union[IncomeStatement, _Mapping]] = ..., balance_sheet: _Optional[_Union[BalanceSheet, _Mapping]] = ..., cash_flow: _Optional[_Union[CashFlowStatement, _Mapping]] = ...) -> None: ...

class GetFinancialStatementsRequest(_message.Message):
    __slots__ = ("symbol", "period_type")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_TYPE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    period_type: StatementPeriodType
    def __init__(self, symbol: _Optional[str] = ..., period_type: _Optional[_Union[StatementPeriodType, str]] = ...) -> None: ...

class GetFinancialStatementsResponse(_message.Message):
    __slots__ = ("symbol", "currency", "statements", "data_origin")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    STATEMENTS_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    currency: str
    statements: _containers.RepeatedCompositeFieldContainer[FinancialStatements]
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, symbol: _Optional[str] = ..., currency: _Optional[str] = ..., statements: _Optional[_Iterable[_Union[FinancialStatements, _Mapping]]] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class Ratio(_message.Message):
    __slots__ = ("value", "unavailable_reason")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_REASON_FIELD_NUMBER: _ClassVar[int]
    value: _decimal_pb2.Decimal
    unavailable_reason: str
    def __init__(self, value: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., unavailable_reason: _Optional[str] = ...) -> None: ...

class Ratios(_message.Message):
    __slots__ = ("price_to_earnings", "price_to_book", "price_to_sales", "ev_to_ebitda", "return_on_equity", "return_on_assets", "gross_margin", "operating_margin", "net_margin", "current_ratio", "quick_ratio", "debt_to_equity", "dividend_yield", "payout_ratio")
    PRICE_TO_EARNINGS_FIELD_NUMBER: _ClassVar[int]
    PRICE_TO_BOOK_FIELD_NUMBER: _ClassVar[int]
    PRICE_TO_SALES_FIELD_NUMBER: _ClassVar[int]
    EV_TO_EBITDA_FIELD_NUMBER: _ClassVar[int]
    RETURN_ON_EQUITY_FIELD_NUMBER: _ClassVar[int]
    RETURN_ON_ASSETS_FIELD_NUMBER: _ClassVar[int]
    GROSS_MARGIN_FIELD_NUMBER: _ClassVar[int]
    OPERATING_MARGIN_FIELD_NUMBER: _ClassVar[int]
    NET_MARGIN_FIELD_NUMBER: _ClassVar[int]
    CURRENT_RATIO_FIELD_NUMBER: _ClassVar[int]
    QUICK_RATIO_FIELD_NUMBER: _ClassVar[int]
    DEBT_TO_EQUITY_FIELD_NUMBER: _ClassVar[int]
    DIVIDEND_YIELD_FIELD_NUMBER: _ClassVar[int]
    PAYOUT_RATIO_FIELD_NUMBER: _ClassVar[int]
    price_to_earnings: Ratio
    price_to_book: Ratio
    price_to_sales: Ratio
    ev_to_ebitda: Ratio
    return_on_equity: Ratio
    return_on_assets: Ratio
    gross_margin: Ratio
    operating_margin: Ratio
    net_margin: Ratio
    current_ratio: Ratio
    quick_ratio: Ratio
    debt_to_equity: Ratio
    dividend_yield: Ratio
    payout_ratio: Ratio
    def __init__(self, price_to_earnings: _Optional[_Union[Ratio, _Mapping]] = ..., price_to_book: _Optional[_Union[Ratio, _Mapping]] = ..., price_to_sales: _Optional[_Union[Ratio, _Mapping]] = ..., ev_to_ebitda: _Optional[_Union[Ratio, _Mapping]] = ..., return_on_equity: _Optional[_Union[Ratio, _Mapping]] = ..., return_on_assets: _Optional[_Union[Ratio, _Mapping]] = ..., gross_margin: _Optional[_Union[Ratio, _Mapping]] = ..., operating_margin: _Optional[_Union[Ratio, _Mapping]] = ..., net_margin: _Optional[_Union[Ratio, _Mapping]] = ..., current_ratio: _Optional[_Union[Ratio, _Mapping]] = ..., quick_ratio: _Optional[_Union[Ratio, _Mapping]] = ..., debt_to_equity: _Optional[_Union[Ratio, _Mapping]] = ..., dividend_yield: _Optional[_Union[Ratio, _Mapping]] = ..., payout_ratio: _Optional[_Union[Ratio, _Mapping]] = ...) -> None: ...

class GetRatiosRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class GetRatiosResponse(_message.Message):
    __slots__ = ("symbol", "fiscal_year", "price", "price_date", "ratios", "data_origin")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FISCAL_YEAR_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    PRICE_DATE_FIELD_NUMBER: _ClassVar[int]
    RATIOS_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    fiscal_year: int
    price: _decimal_pb2.Decimal
    price_date: _date_pb2.Date
    ratios: Ratios
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, symbol: _Optional[str] = ..., fiscal_year: _Optional[int] = ..., price: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., price_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., ratios: _Optional[_Union[Ratios, _Mapping]] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...

class Dividend(_message.Message):
    __slots__ = ("announcement_date", "ex_date", "payment_date", "amount_per_share", "description")
    ANNOUNCEMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    EX_DATE_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_PER_SHARE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    announcement_date: _date_pb2.Date
    ex_date: _date_pb2.Date
    payment_date: _date_pb2.Date
    amount_per_share: _decimal_pb2.Decimal
    description: str
    def __init__(self, announcement_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., ex_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., payment_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., amount_per_share: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., description: _Optional[str] = ...) -> None: ...

class ListDividendsRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class ListDividendsResponse(_message.Message):
    __slots__ = ("symbol", "dividends")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    DIVIDENDS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    dividends: _containers.RepeatedCompositeFieldContainer[Dividend]
    def __init__(self, symbol: _Optional[str] = ..., dividends: _Optional[_Iterable[_Union[Dividend, _Mapping]]] = ...) -> None: ...

class GetEarningsCalendarRequest(_message.Message):
    __slots__ = ("symbol", "start_date", "end_date")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    start_date: _date_pb2.Date
    end_date: _date_pb2.Date
    def __init__(self, symbol: _Optional[str] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class EarningsEvent(_message.Message):
    __slots__ = ("symbol", "fiscal_year", "quarter", "period_end", "report_date", "eps_estimate", "eps_actual", "surprise", "surprise_fraction")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FISCAL_YEAR_FIELD_NUMBER: _ClassVar[int]
    QUARTER_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    REPORT_DATE_FIELD_NUMBER: _ClassVar[int]
    EPS_ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    EPS_ACTUAL_FIELD_NUMBER: _ClassVar[int]
    SURPRISE_FIELD_NUMBER: _ClassVar[int]
    SURPRISE_FRACTION_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    fiscal_year: int
    quarter: int
    period_end: _date_pb2.Date
    report_date: _date_pb2.Date
    eps_estimate: _decimal_pb2.Decimal
    eps_actual: _decimal_pb2.Decimal
    surprise: _decimal_pb2.Decimal
    surprise_fraction: _decimal_pb2.Decimal
    def __init__(self, symbol: _Optional[str] = ..., fiscal_year: _Optional[int] = ..., quarter: _Optional[int] = ..., period_end: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., report_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., eps_estimate: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., eps_actual: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., surprise: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ..., surprise_fraction: _Optional[_Union[_decimal_pb2.Decimal, _Mapping]] = ...) -> None: ...

class GetEarningsCalendarResponse(_message.Message):
    __slots__ = ("events", "as_of", "data_origin")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    DATA_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[EarningsEvent]
    as_of: _date_pb2.Date
    data_origin: _securities_pb2.DataOrigin
    def __init__(self, events: _Optional[_Iterable[_Union[EarningsEvent, _Mapping]]] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., data_origin: _Optional[_Union[_securities_pb2.DataOrigin, str]] = ...) -> None: ...
