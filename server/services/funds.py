"""FundService: funds, NAV histories and performance computed from them."""

import math
from typing import Any, TypeAlias

import grpc

from financehub.v1 import funds_pb2, funds_pb2_grpc, securities_pb2
from server.domain.errors import (
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    ViolationCollector,
)
from server.domain.fund_metrics import FundPerformance, ReturnPeriod, fund_performance
from server.domain.funds import FundType
from server.services.caching import cached_answer
from server.services.conversions import (
    date_from_message,
    date_message,
    decimal_message,
    enum_value_or_violation,
)
from server.services.pagination import decode_page_token, encode_page_token, page_size_from
from server.storage.cache import ResponseCache
from server.storage.funds import FundRecord, FundRepository

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

FUNDS_TAG = "funds"
LIST_FUNDS = "/financehub.v1.FundService/ListFunds"
GET_FUND = "/financehub.v1.FundService/GetFund"
GET_NAV_HISTORY = "/financehub.v1.FundService/GetNavHistory"
GET_FUND_PERFORMANCE = "/financehub.v1.FundService/GetFundPerformance"
COMPARE_FUNDS = "/financehub.v1.FundService/CompareFunds"
# The Saudi central bank's repo rate at the end of 2025 (4.5%): the Sharpe ratio's default.
DEFAULT_RISK_FREE_RATE = 0.045
MAX_COMPARED = 5
MAX_FUND_ID_LENGTH = 32

_PERIODS = {
    ReturnPeriod.ONE_MONTH: funds_pb2.RETURN_PERIOD_1M,
    ReturnPeriod.THREE_MONTHS: funds_pb2.RETURN_PERIOD_3M,
    ReturnPeriod.YEAR_TO_DATE: funds_pb2.RETURN_PERIOD_YTD,
    ReturnPeriod.ONE_YEAR: funds_pb2.RETURN_PERIOD_1Y,
    ReturnPeriod.THREE_YEARS: funds_pb2.RETURN_PERIOD_3Y,
    ReturnPeriod.FIVE_YEARS: funds_pb2.RETURN_PERIOD_5Y,
}


def fund_message(fund: FundRecord) -> funds_pb2.Fund:
    message = funds_pb2.Fund(
        fund_id=fund.id, name_ar=fund.name_ar, manager=fund.manager,
        type=funds_pb2.FundType.Value(f"FUND_TYPE_{fund.type}"), currency=fund.currency,
        nav_date=date_message(fund.nav_date),
        nav_history_origin=securities_pb2.DATA_ORIGIN_SYNTHETIC
        if fund.latest_nav is not None else securities_pb2.DATA_ORIGIN_UNSPECIFIED)
    if fund.latest_nav is not None:
        message.latest_nav.CopyFrom(decimal_message(fund.latest_nav))
    if fund.published_ytd_return is not None:
        message.published_ytd_return_percent = float(fund.published_ytd_return)
    return message


def performance_message(fund_id: str, performance: FundPerformance) -> funds_pb2.FundPerformance:
    message = funds_pb2.FundPerformance(
        fund_id=fund_id, as_of=date_message(performance.as_of),
        risk_free_rate=performance.risk_free_rate,
        data_origin=securities_pb2.DATA_ORIGIN_SYNTHETIC)
    for item in performance.returns:
        period = message.returns.add(period=_PERIODS[item.period])
        if item.total_return is not None:
            period.total_return = item.total_return
        if item.annualised_return is not None:
            period.annualized_return = item.annualised_return
    if performance.annualised_volatility is not None:
        message.annualized_volatility = performance.annualised_volatility
    if performance.sharpe_ratio is not None:
        message.sharpe_ratio = performance.sharpe_ratio
    drawdown = performance.max_drawdown
    if drawdown is not None:
        message.max_drawdown = drawdown.depth
        message.drawdown_peak_date.CopyFrom(date_message(drawdown.peak_date))
        message.drawdown_trough_date.CopyFrom(date_message(drawdown.trough_date))
        if drawdown.recovery_date is not None:
            message.drawdown_recovery_date.CopyFrom(date_message(drawdown.recovery_date))
    return message


def _fund_id(raw: str, field: str = "fund_id") -> str:
    fund_id = raw.strip()
    if not fund_id or len(fund_id) > MAX_FUND_ID_LENGTH or not fund_id.isalnum():
        raise InvalidArgumentError([FieldViolation(field, "a fund id (digits, as listed)")])
    return fund_id


def _risk_free_rate(request: Any) -> float:
    if not request.HasField("risk_free_rate"):
        return DEFAULT_RISK_FREE_RATE
    rate = float(request.risk_free_rate)
    if not math.isfinite(rate) or not -0.1 <= rate <= 1:
        raise InvalidArgumentError([FieldViolation(
            "risk_free_rate", "an annual rate as a fraction, between -0.1 and 1")])
    return rate


class FundServicer(funds_pb2_grpc.FundServiceServicer):
    def __init__(self, funds: FundRepository, cache: ResponseCache) -> None:
        self._funds = funds
        self._cache = cache

    async def _fund(self, fund_id: str) -> FundRecord:
        fund = await self._funds.get(fund_id)
        if fund is None:
            raise NotFoundError("fund", fund_id, reason="FUND_NOT_FOUND")
        return fund

    async def ListFunds(self, request: funds_pb2.ListFundsRequest,
                        context: Context) -> funds_pb2.ListFundsResponse:
        problems = ViolationCollector()
        size = page_size_from(request.page_size)
        known = dict.fromkeys(funds_pb2.FundType.values())
        enum_value_or_violation(request.type, known, "type", problems)
        problems.raise_if_any()
        fund_type = (FundType[funds_pb2.FundType.Name(request.type).removeprefix("FUND_TYPE_")]
                     .name if request.type else None)
        filters = (request.manager, fund_type or "", request.currency.upper())
        cursor = decode_page_token(request.page_token, filters)
        normalized = funds_pb2.ListFundsRequest(
            page_size=size, page_token=request.page_token, manager=request.manager,
            type=request.type, currency=request.currency.upper())

        async def load() -> funds_pb2.ListFundsResponse:
            funds, total = await self._funds.page(
                manager=request.manager or None, fund_type=fund_type,
                currency=request.currency.upper() or None,
                after_id=cursor.after if cursor else None, limit=size + 1)
            response = funds_pb2.ListFundsResponse(
                funds=[fund_message(fund) for fund in funds[:size]], total_size=total)
            if len(funds) > size:
                response.next_page_token = encode_page_token(funds[size - 1].id, filters)
            return response

        return await cached_answer(self._cache, LIST_FUNDS, normalized,
                                   funds_pb2.ListFundsResponse, load, tags=[FUNDS_TAG])

    async def GetFund(self, request: funds_pb2.GetFundRequest,
                      context: Context) -> funds_pb2.GetFundResponse:
        fund_id = _fund_id(request.fund_id)

        async def load() -> funds_pb2.GetFundResponse:
            return funds_pb2.GetFundResponse(fund=fund_message(await self._fund(fund_id)))

        return await cached_answer(self._cache, GET_FUND, funds_pb2.GetFundRequest(
            fund_id=fund_id), funds_pb2.GetFundResponse, load, tags=[FUNDS_TAG])

    async def GetNavHistory(self, request: funds_pb2.GetNavHistoryRequest,
                            context: Context) -> funds_pb2.GetNavHistoryResponse:
        problems = ViolationCollector()
        fund_id = _fund_id(request.fund_id)
        start = date_from_message(request.start_date, "start_date", problems)
        end = date_from_message(request.end_date, "end_date", problems)
        if start is not None and end is not None and start > end:
            problems.add("end_date", "must not be before start_date")
        problems.raise_if_any()

        async def load() -> funds_pb2.GetNavHistoryResponse:
            await self._fund(fund_id)
            points, origins = await self._funds.navs(fund_id, start, end)
            return funds_pb2.GetNavHistoryResponse(
                fund_id=fund_id,
                points=[funds_pb2.NavPoint(date=date_message(day), nav=decimal_message(nav))
                        for day, nav in points],
                data_origin=securities_pb2.DATA_ORIGIN_SYNTHETIC if origins == {"SYNTHETIC"}
                else securities_pb2.DATA_ORIGIN_REAL if origins == {"REAL"}
                else securities_pb2.DATA_ORIGIN_MIXED if origins
                else securities_pb2.DATA_ORIGIN_UNSPECIFIED)

        normalized = funds_pb2.GetNavHistoryRequest(fund_id=fund_id)
        normalized.start_date.CopyFrom(request.start_date)
        normalized.end_date.CopyFrom(request.end_date)
        return await cached_answer(self._cache, GET_NAV_HISTORY, normalized,
                                   funds_pb2.GetNavHistoryResponse, load, tags=[FUNDS_TAG])

    async def _performance(self, fund_id: str,
                           risk_free_rate: float) -> funds_pb2.GetFundPerformanceResponse:
        fund = await self._fund(fund_id)
        series, _ = await self._funds.navs(fund_id, None, None)
        if not series:
            raise FailedPreconditionError(
                f"fund {fund_id} has no NAV history (the source lists no NAV for it)",
                reason="NO_NAV_HISTORY", metadata={"fund_id": fund_id})
        performance = fund_performance(series, series[-1][0], risk_free_rate)
        return funds_pb2.GetFundPerformanceResponse(
            fund=fund_message(fund), performance=performance_message(fund_id, performance))

    async def GetFundPerformance(self, request: funds_pb2.GetFundPerformanceRequest,
                                 context: Context) -> funds_pb2.GetFundPerformanceResponse:
        fund_id = _fund_id(request.fund_id)
        rate = _risk_free_rate(request)
        return await cached_answer(
            self._cache, GET_FUND_PERFORMANCE,
            funds_pb2.GetFundPerformanceRequest(fund_id=fund_id, risk_free_rate=rate),
            funds_pb2.GetFundPerformanceResponse,
            lambda: self._performance(fund_id, rate), tags=[FUNDS_TAG])

    async def CompareFunds(self, request: funds_pb2.CompareFundsRequest,
                           context: Context) -> funds_pb2.CompareFundsResponse:
        ids = [_fund_id(raw, f"fund_ids[{i}]") for i, raw in enumerate(request.fund_ids)]
        if not 2 <= len(ids) <= MAX_COMPARED or len(set(ids)) != len(ids):
            raise InvalidArgumentError([FieldViolation(
                "fund_ids", f"two to {MAX_COMPARED} distinct fund ids")])
        rate = _risk_free_rate(request)

        async def load() -> funds_pb2.CompareFundsResponse:
            return funds_pb2.CompareFundsResponse(
                funds=[await self._performance(fund_id, rate) for fund_id in ids])

        return await cached_answer(
            self._cache, COMPARE_FUNDS,
            funds_pb2.CompareFundsRequest(fund_ids=ids, risk_free_rate=rate),
            funds_pb2.CompareFundsResponse, load, tags=[FUNDS_TAG])
