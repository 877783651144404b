"""ChartService: GetBars, GetIndicators."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeAlias

import grpc

from financehub.v1 import charts_pb2, charts_pb2_grpc
from server.domain.bars import (
    Bar,
    DateRange,
    adjust_for_dividends,
    aggregate_bars,
    aggregate_minutes,
    check_range_request,
    resolve_range,
)
from server.domain.calendar import RIYADH
from server.domain.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    ViolationCollector,
)
from server.domain.indicators import IndicatorKind, IndicatorSpec, PriceSeries, compute_indicator
from server.domain.symbols import require_symbol
from server.domain.trading_calendar import OPEN_TIME
from server.services.caching import cached_answer
from server.services.conversions import (
    INTERVAL_FROM_PROTO,
    ORIGIN_TO_PROTO,
    PERIOD_FROM_PROTO,
    date_from_message,
    date_message,
)
from server.services.market import symbol_tag
from server.storage.bars import DailyBarRepository, IntradayBarRepository
from server.storage.cache import ResponseCache
from server.storage.securities import SecurityRepository

GET_BARS = "/financehub.v1.ChartService/GetBars"

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

# Intraday interval widths in minutes; bars of these come from the minute table.
INTRADAY_MINUTES = {
    charts_pb2.INTERVAL_MINUTE: 1,
    charts_pb2.INTERVAL_FIVE_MINUTES: 5,
    charts_pb2.INTERVAL_FIFTEEN_MINUTES: 15,
    charts_pb2.INTERVAL_HOUR: 60,
}
ADJUSTMENTS = (charts_pb2.ADJUSTMENT_UNSPECIFIED, charts_pb2.ADJUSTMENT_RAW,
               charts_pb2.ADJUSTMENT_SPLIT, charts_pb2.ADJUSTMENT_ALL)
MAX_INDICATORS = 10

INDICATOR_KINDS = {
    charts_pb2.IndicatorType.Value(f"INDICATOR_TYPE_{kind.name}"): kind for kind in IndicatorKind
}
INDICATOR_PARAMETERS = ("period", "fast_period", "slow_period", "signal_period", "std_dev_up",
                        "std_dev_down", "k_period", "k_slowing", "d_period")


@dataclass(frozen=True)
class BarsQuery:
    """A validated, normalised bars request (GetBars and GetIndicators share it)."""

    symbol: str
    interval: int  # a charts_pb2 Interval value, never UNSPECIFIED
    period: int
    start: date | None
    end: date | None
    adjustment: int  # a charts_pb2 Adjustment value, never UNSPECIFIED

    def as_request(self) -> charts_pb2.GetBarsRequest:
        request = charts_pb2.GetBarsRequest(symbol=self.symbol, interval=self.interval,
                                            period=self.period, adjustment=self.adjustment)
        if self.start:
            request.start_date.CopyFrom(date_message(self.start))
        if self.end:
            request.end_date.CopyFrom(date_message(self.end))
        return request


def bars_query(request: charts_pb2.GetBarsRequest | charts_pb2.GetIndicatorsRequest,
               problems: ViolationCollector) -> BarsQuery:
    symbol = require_symbol(request.symbol)
    if request.interval not in INTERVAL_FROM_PROTO and request.interval not in INTRADAY_MINUTES:
        problems.add("interval", f"{request.interval} is not a known interval")
    if request.period not in PERIOD_FROM_PROTO:
        problems.add("period", f"{request.period} is not a known period")
    if request.adjustment not in ADJUSTMENTS:
        problems.add("adjustment", f"{request.adjustment} is not a known adjustment")
    start = date_from_message(request.start_date, "start_date", problems)
    end = date_from_message(request.end_date, "end_date", problems)
    problems.raise_if_any()
    check_range_request(period=PERIOD_FROM_PROTO[request.period], start=start, end=end)
    interval = request.interval or charts_pb2.INTERVAL_DAY
    return BarsQuery(symbol=symbol, interval=interval, period=request.period, start=start,
                     end=end, adjustment=request.adjustment or charts_pb2.ADJUSTMENT_SPLIT)


def _riyadh_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), RIYADH)


def _session_open(instant: datetime) -> datetime:
    return datetime.combine(instant.astimezone(RIYADH).date(), OPEN_TIME, RIYADH)


def bar_message(bar: Bar) -> charts_pb2.Bar:
    message = charts_pb2.Bar(
        start_date=date_message(bar.start), end_date=date_message(bar.end), open=bar.open,
        high=bar.high, low=bar.low, close=bar.close, volume=bar.volume,
        trading_days=bar.trading_days, synthetic=bar.synthetic)
    if bar.start_time is not None:
        message.start_time.FromDatetime(bar.start_time)
    return message


def indicator_spec_from(item: charts_pb2.IndicatorRequest, field: str,
                        problems: ViolationCollector) -> IndicatorSpec:
    """The domain spec of an IndicatorRequest; an unknown type is a violation (and an SMA
    placeholder, so that the caller goes on collecting violations)."""
    kind = INDICATOR_KINDS.get(item.type)
    if kind is None:
        problems.add(f"{field}.type", "must be one of the INDICATOR_TYPE_ values")
        return IndicatorSpec(IndicatorKind.SMA)
    parameters = {name: getattr(item, name) for name in INDICATOR_PARAMETERS
                  if item.HasField(name)}
    return IndicatorSpec(kind, **parameters)


class ChartServicer(charts_pb2_grpc.ChartServiceServicer):
    def __init__(self, securities: SecurityRepository, bars: DailyBarRepository,
                 intraday: IntradayBarRepository, cache: ResponseCache) -> None:
        self._securities = securities
        self._bars = bars
        self._intraday = intraday
        self._cache = cache

    async def GetBars(self, request: charts_pb2.GetBarsRequest,
                      context: Context) -> charts_pb2.GetBarsResponse:
        return await self._answer(bars_query(request, ViolationCollector()))

    async def _answer(self, query: BarsQuery) -> charts_pb2.GetBarsResponse:
        return await cached_answer(self._cache, GET_BARS, query.as_request(),
                                   charts_pb2.GetBarsResponse, lambda: self._load(query),
                                   tags=[symbol_tag(query.symbol)])

    async def _require_security(self, symbol: str) -> None:
        if not await self._securities.exists(symbol):
            raise NotFoundError("ticker", symbol, reason="TICKER_NOT_FOUND")

    async def _load(self, query: BarsQuery) -> charts_pb2.GetBarsResponse:
        # The security's existence is only checked when no bars came back: a cache miss
        # with data costs two queries, not three.
        period = PERIOD_FROM_PROTO[query.period]
        response = charts_pb2.GetBarsResponse(symbol=query.symbol, interval=query.interval,
                                              adjustment=query.adjustment)
        if query.interval in INTRADAY_MINUTES:
            latest_time = await self._intraday.latest_time(query.symbol) \
                if query.end is None else None
            latest = latest_time.astimezone(RIYADH).date() if latest_time else None
            window = resolve_range(period=period, start=query.start, end=query.end,
                                   latest_on_record=latest)
            if window is not None:
                await self._fill_intraday(response, query, window)
            if not response.bars:
                await self._require_security(query.symbol)
            return response
        latest = await self._bars.latest_date(query.symbol) if query.end is None else None
        window = resolve_range(period=period, start=query.start, end=query.end,
                               latest_on_record=latest)
        if window is None:
            await self._require_security(query.symbol)
            return response
        history = await self._bars.history(query.symbol, window.start, window.end)
        daily = history.bars
        if not daily:
            await self._require_security(query.symbol)
        has_real = any(not bar.synthetic for bar in daily)
        if query.adjustment == charts_pb2.ADJUSTMENT_RAW and has_real:
            raise FailedPreconditionError(
                "unadjusted prices are not available for this symbol: its provider publishes "
                "split- and bonus-adjusted prices, and the corporate-action records carry no "
                "ratios to undo them", reason="RAW_PRICES_UNAVAILABLE")
        if query.adjustment == charts_pb2.ADJUSTMENT_ALL:
            daily = adjust_for_dividends(daily)
            response.adjustment_note = (
                "split- and bonus-adjusted by the provider; dividends applied where the "
                "provider publishes an adjusted close (Yahoo Finance does, Stooq does not; "
                "synthetic bars carry no dividends)")
        elif has_real:
            response.adjustment_note = "split- and bonus-adjusted by the provider"
        else:
            response.adjustment_note = "synthetic data: no corporate actions, all adjustments equal"
        response.start_date.CopyFrom(date_message(window.start or (daily[0].day if daily
                                                                   else window.end)))
        response.end_date.CopyFrom(date_message(window.end))
        response.bars.extend(bar_message(bar) for bar in
                             aggregate_bars(daily, INTERVAL_FROM_PROTO[query.interval]))
        if history.origin:
            response.data_origin = ORIGIN_TO_PROTO[history.origin]
        response.provider = history.provider or ""
        return response

    async def _fill_intraday(self, response: charts_pb2.GetBarsResponse, query: BarsQuery,
                             window: DateRange) -> None:
        start = _riyadh_midnight(window.start) if window.start else None
        minutes, origin = await self._intraday.minutes(
            query.symbol, start, _riyadh_midnight(window.end + timedelta(days=1)))
        response.start_date.CopyFrom(date_message(window.start or window.end))
        response.end_date.CopyFrom(date_message(window.end))
        response.bars.extend(bar_message(bar) for bar in aggregate_minutes(
            minutes, INTRADAY_MINUTES[query.interval], _session_open))
        if origin:
            response.data_origin = ORIGIN_TO_PROTO[origin]
            response.provider = "FinanceHub demo generator" if origin == "SYNTHETIC" else ""
        response.adjustment_note = "intraday bars are as traded"

    async def GetIndicators(self, request: charts_pb2.GetIndicatorsRequest,
                            context: Context) -> charts_pb2.GetIndicatorsResponse:
        problems = ViolationCollector()
        if not request.indicators:
            problems.add("indicators", "at least one indicator is required")
        if len(request.indicators) > MAX_INDICATORS:
            problems.add("indicators", f"at most {MAX_INDICATORS} indicators per call")
        specs = [indicator_spec_from(item, f"indicators[{index}]", problems)
                 for index, item in enumerate(request.indicators[:MAX_INDICATORS])]
        query = bars_query(request, problems)
        bars = await self._answer(query)
        series = PriceSeries(open=[b.open for b in bars.bars], high=[b.high for b in bars.bars],
                             low=[b.low for b in bars.bars], close=[b.close for b in bars.bars],
                             volume=[float(b.volume) for b in bars.bars])
        response = charts_pb2.GetIndicatorsResponse(
            symbol=bars.symbol, interval=bars.interval, start_date=bars.start_date,
            end_date=bars.end_date, bars=bars.bars)
        results = []
        for index, spec in enumerate(specs):
            try:
                results.append(compute_indicator(series, spec,
                                                 field_prefix=f"indicators[{index}]"))
            except InvalidArgumentError as error:
                problems.violations.extend(error.violations)
        problems.raise_if_any()
        for item, result in zip(request.indicators, results, strict=True):
            series_message = response.indicators.add(indicator=item)
            for name, values in result.lines.items():
                first = next((i for i, v in enumerate(values) if v is not None), len(values))
                defined = values[first:]
                if any(v is None for v in defined):
                    raise AssertionError(f"{name}: undefined values after the warm-up")
                series_message.lines.add(name=name, first_index=first,
                                         values=[v for v in defined if v is not None])
        return response
