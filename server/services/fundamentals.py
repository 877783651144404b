"""FundamentalsService: synthetic statements (consistent by construction), ratios at the
latest close, the real cash-dividend announcements, and an earnings calendar."""

from dataclasses import fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeAlias

import grpc
from google.protobuf.message import Message

from financehub.v1 import fundamentals_pb2, fundamentals_pb2_grpc, securities_pb2
from server.domain.calendar import RIYADH
from server.domain.corporate_actions import CorporateActionType
from server.domain.earnings import earnings_events, report_date_for
from server.domain.errors import NotFoundError, ViolationCollector
from server.domain.fundamentals import FinancialStatements, StatementHistory, synthetic_statements
from server.domain.ratios import Ratios, RatioValue, compute_ratios
from server.domain.symbols import require_symbol
from server.domain.ticks import price_from_float
from server.services.caching import cached_answer
from server.services.conversions import (
    date_from_message,
    date_message,
    decimal_message,
    enum_value_or_violation,
)
from server.services.market import symbol_tag
from server.storage.cache import ResponseCache
from server.storage.corporate_actions import CorporateActionRepository
from server.storage.quotes import EndOfDay, QuoteBook
from server.storage.securities import SecurityRepository

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

GET_FINANCIAL_STATEMENTS = "/financehub.v1.FundamentalsService/GetFinancialStatements"
GET_RATIOS = "/financehub.v1.FundamentalsService/GetRatios"
LIST_DIVIDENDS = "/financehub.v1.FundamentalsService/ListDividends"
GET_EARNINGS_CALENDAR = "/financehub.v1.FundamentalsService/GetEarningsCalendar"
# Statements are generated for the five fiscal years before the one of the latest close,
# and that year's quarters; only what would be published by then is shown: a year's
# statements within 90 days of its end, a quarter's on its report date (earnings.py).
# The generator's seed fixes every company's numbers.
STATEMENT_YEARS = 6
ANNUAL_REPORT_LAG_DAYS = 90
STATEMENTS_SEED = 2026
MAX_DIVIDENDS = 1000


def _fill(message: Message, source: Any) -> None:
    """Copy a domain statement's fields into the message field of the same name."""
    for item in fields(source):
        value = getattr(source, item.name)
        if isinstance(value, Decimal):
            getattr(message, item.name).CopyFrom(decimal_message(value))
        else:
            setattr(message, item.name, value)


def statements_message(s: FinancialStatements) -> fundamentals_pb2.FinancialStatements:
    message = fundamentals_pb2.FinancialStatements(
        fiscal_year=s.period.fiscal_year, quarter=s.period.quarter or 0,
        period_end=date_message(s.period.period_end))
    _fill(message.income_statement, s.income)
    _fill(message.balance_sheet, s.balance_sheet)
    _fill(message.cash_flow, s.cash_flow)
    return message


def ratio_message(ratio: RatioValue) -> fundamentals_pb2.Ratio:
    if ratio.value is None:
        return fundamentals_pb2.Ratio(unavailable_reason=str(ratio.reason))
    return fundamentals_pb2.Ratio(value=decimal_message(ratio.value))


def ratios_message(ratios: Ratios) -> fundamentals_pb2.Ratios:
    message = fundamentals_pb2.Ratios()
    for item in fields(ratios):
        getattr(message, item.name).CopyFrom(ratio_message(getattr(ratios, item.name)))
    return message


class FundamentalsServicer(fundamentals_pb2_grpc.FundamentalsServiceServicer):
    def __init__(self, securities: SecurityRepository, quotes: QuoteBook,
                 actions: CorporateActionRepository, cache: ResponseCache) -> None:
        self._securities = securities
        self._quotes = quotes
        self._actions = actions
        self._cache = cache

    async def _history(self, symbol: str) -> tuple[StatementHistory, EndOfDay | None, date]:
        """The company's generated statements, its latest close, and the day (that close's,
        else today in Riyadh) that decides what has been published."""
        security = await self._securities.get(symbol)
        if security is None:
            raise NotFoundError("ticker", symbol, reason="TICKER_NOT_FOUND")
        eod = (await self._quotes.end_of_day([symbol])).get(symbol)
        as_of = eod.trading_day if eod else datetime.now(RIYADH).date()
        history = synthetic_statements(
            symbol, sector_hint=f"{security.sector} {security.sector_ar} {security.industry}",
            years=STATEMENT_YEARS, end_year=as_of.year, seed=STATEMENTS_SEED,
            shares_outstanding=None, price=price_from_float(eod.close) if eod else None)
        return history, eod, as_of

    @staticmethod
    def _published_years(history: StatementHistory, as_of: date) -> list[FinancialStatements]:
        return [s for s in history.annual if s.period.period_end
                + timedelta(days=ANNUAL_REPORT_LAG_DAYS) <= as_of]

    async def GetFinancialStatements(
            self, request: fundamentals_pb2.GetFinancialStatementsRequest,
            context: Context) -> fundamentals_pb2.GetFinancialStatementsResponse:
        problems = ViolationCollector()
        symbol = require_symbol(request.symbol)
        enum_value_or_violation(request.period_type, dict.fromkeys(
            fundamentals_pb2.StatementPeriodType.values()), "period_type", problems)
        problems.raise_if_any()
        quarterly = request.period_type == fundamentals_pb2.STATEMENT_PERIOD_TYPE_QUARTERLY

        async def load() -> fundamentals_pb2.GetFinancialStatementsResponse:
            history, _, as_of = await self._history(symbol)
            periods = ([q for q in history.quarterly
                        if report_date_for(q.period.period_end) <= as_of] if quarterly
                       else self._published_years(history, as_of))
            return fundamentals_pb2.GetFinancialStatementsResponse(
                symbol=symbol, currency=history.currency,
                statements=[statements_message(s) for s in periods],
                data_origin=securities_pb2.DATA_ORIGIN_SYNTHETIC)

        return await cached_answer(
            self._cache, GET_FINANCIAL_STATEMENTS, fundamentals_pb2.GetFinancialStatementsRequest(
                symbol=symbol, period_type=request.period_type),
            fundamentals_pb2.GetFinancialStatementsResponse, load, tags=[symbol_tag(symbol)])

    async def GetRatios(self, request: fundamentals_pb2.GetRatiosRequest,
                        context: Context) -> fundamentals_pb2.GetRatiosResponse:
        symbol = require_symbol(request.symbol)

        async def load() -> fundamentals_pb2.GetRatiosResponse:
            history, eod, as_of = await self._history(symbol)
            latest = self._published_years(history, as_of)[-1]
            price = price_from_float(eod.close) if eod else None
            response = fundamentals_pb2.GetRatiosResponse(
                symbol=symbol, fiscal_year=latest.period.fiscal_year,
                ratios=ratios_message(compute_ratios(latest, price)),
                data_origin=securities_pb2.DATA_ORIGIN_SYNTHETIC)
            if eod is not None and price is not None:
                response.price.CopyFrom(decimal_message(price))
                response.price_date.CopyFrom(date_message(eod.trading_day))
            return response

        return await cached_answer(self._cache, GET_RATIOS,
                                   fundamentals_pb2.GetRatiosRequest(symbol=symbol),
                                   fundamentals_pb2.GetRatiosResponse, load,
                                   tags=[symbol_tag(symbol)])

    async def ListDividends(self, request: fundamentals_pb2.ListDividendsRequest,
                            context: Context) -> fundamentals_pb2.ListDividendsResponse:
        symbol = require_symbol(request.symbol)

        async def load() -> fundamentals_pb2.ListDividendsResponse:
            if await self._securities.get(symbol) is None:
                raise NotFoundError("ticker", symbol, reason="TICKER_NOT_FOUND")
            rows = await self._actions.page(
                symbol=symbol, types=[CorporateActionType.CASH_DIVIDEND.value], start=None,
                end=None, before=None, limit=MAX_DIVIDENDS)
            response = fundamentals_pb2.ListDividendsResponse(symbol=symbol)
            for row in rows:
                action = row.action
                dividend = response.dividends.add(
                    announcement_date=date_message(action.announcement_date),
                    description=action.description or "")
                if action.ex_date is not None:
                    dividend.ex_date.CopyFrom(date_message(action.ex_date))
                if action.payment_date is not None:
                    dividend.payment_date.CopyFrom(date_message(action.payment_date))
                if action.amount is not None:
                    dividend.amount_per_share.CopyFrom(decimal_message(action.amount))
            return response

        return await cached_answer(self._cache, LIST_DIVIDENDS,
                                   fundamentals_pb2.ListDividendsRequest(symbol=symbol),
                                   fundamentals_pb2.ListDividendsResponse, load,
                                   tags=[symbol_tag(symbol)])

    async def GetEarningsCalendar(self, request: fundamentals_pb2.GetEarningsCalendarRequest,
                                  context: Context
                                  ) -> fundamentals_pb2.GetEarningsCalendarResponse:
        problems = ViolationCollector()
        if not request.symbol:
            problems.add("symbol", "required: a market-wide calendar is not available yet")
        start = date_from_message(request.start_date, "start_date", problems)
        end = date_from_message(request.end_date, "end_date", problems)
        if start is not None and end is not None and start > end:
            problems.add("end_date", "must not be before start_date")
        problems.raise_if_any()
        symbol = require_symbol(request.symbol)

        async def load() -> fundamentals_pb2.GetEarningsCalendarResponse:
            history, _, as_of = await self._history(symbol)
            events = earnings_events(symbol, history.quarterly, as_of=as_of,
                                     seed=STATEMENTS_SEED)
            # Reported quarters, and the next one expected: later ones are not scheduled yet.
            shown = [e for e in events if e.eps_actual is not None]
            shown += [e for e in events if e.eps_actual is None][:1]
            response = fundamentals_pb2.GetEarningsCalendarResponse(
                as_of=date_message(as_of), data_origin=securities_pb2.DATA_ORIGIN_SYNTHETIC)
            for event in shown:
                if (start and event.report_date < start) or (end and event.report_date > end):
                    continue
                message = response.events.add(
                    symbol=symbol, fiscal_year=event.fiscal_year, quarter=event.quarter,
                    period_end=date_message(event.period_end),
                    report_date=date_message(event.report_date),
                    eps_estimate=decimal_message(event.eps_estimate))
                if event.eps_actual is not None and event.surprise is not None:
                    message.eps_actual.CopyFrom(decimal_message(event.eps_actual))
                    message.surprise.CopyFrom(decimal_message(event.surprise))
                    if event.surprise_fraction is not None:
                        message.surprise_fraction.CopyFrom(
                            decimal_message(event.surprise_fraction))
            return response

        normalized = fundamentals_pb2.GetEarningsCalendarRequest(symbol=symbol)
        normalized.start_date.CopyFrom(request.start_date)
        normalized.end_date.CopyFrom(request.end_date)
        return await cached_answer(self._cache, GET_EARNINGS_CALENDAR, normalized,
                                   fundamentals_pb2.GetEarningsCalendarResponse, load,
                                   tags=[symbol_tag(symbol)])
