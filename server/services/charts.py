"""ChartService: GetBars."""

from typing import Any, TypeAlias

import grpc

from financehub.v1 import charts_pb2, charts_pb2_grpc
from server.domain.bars import aggregate_bars, check_range_request, resolve_range
from server.domain.errors import NotFoundError, ViolationCollector
from server.domain.symbols import require_symbol
from server.services.caching import cached_answer
from server.services.conversions import (
    INTERVAL_FROM_PROTO,
    INTERVAL_TO_PROTO,
    ORIGIN_TO_PROTO,
    PERIOD_FROM_PROTO,
    date_from_message,
    date_message,
)
from server.services.market import symbol_tag
from server.storage.bars import DailyBarRepository
from server.storage.cache import ResponseCache
from server.storage.securities import SecurityRepository

GET_BARS = "/financehub.v1.ChartService/GetBars"

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class ChartServicer(charts_pb2_grpc.ChartServiceServicer):
    def __init__(self, securities: SecurityRepository, bars: DailyBarRepository,
                 cache: ResponseCache) -> None:
        self._securities = securities
        self._bars = bars
        self._cache = cache

    async def GetBars(self, request: charts_pb2.GetBarsRequest,
                      context: Context) -> charts_pb2.GetBarsResponse:
        symbol = require_symbol(request.symbol)
        problems = ViolationCollector()
        if request.interval not in INTERVAL_FROM_PROTO:
            problems.add("interval", f"{request.interval} is not a known interval")
        if request.period not in PERIOD_FROM_PROTO:
            problems.add("period", f"{request.period} is not a known period")
        start = date_from_message(request.start_date, "start_date", problems)
        end = date_from_message(request.end_date, "end_date", problems)
        problems.raise_if_any()
        interval = INTERVAL_FROM_PROTO[request.interval]
        period = PERIOD_FROM_PROTO[request.period]
        check_range_request(period=period, start=start, end=end)

        normalized = charts_pb2.GetBarsRequest(
            symbol=symbol, interval=INTERVAL_TO_PROTO[interval], period=request.period,
            start_date=request.start_date, end_date=request.end_date,
        )

        async def load() -> charts_pb2.GetBarsResponse:
            if not await self._securities.exists(symbol):
                raise NotFoundError("ticker", symbol, reason="TICKER_NOT_FOUND")
            latest = await self._bars.latest_date(symbol) if end is None else None
            window = resolve_range(period=period, start=start, end=end, latest_on_record=latest)
            response = charts_pb2.GetBarsResponse(symbol=symbol,
                                                  interval=INTERVAL_TO_PROTO[interval])
            if window is None:
                return response
            history = await self._bars.history(symbol, window.start, window.end)
            if window.start is not None:
                response.start_date.CopyFrom(date_message(window.start))
            elif history.bars:
                response.start_date.CopyFrom(date_message(history.bars[0].day))
            response.end_date.CopyFrom(date_message(window.end))
            for bar in aggregate_bars(history.bars, interval):
                response.bars.add(
                    start_date=date_message(bar.start), end_date=date_message(bar.end),
                    open=bar.open, high=bar.high, low=bar.low, close=bar.close,
                    volume=bar.volume, trading_days=bar.trading_days,
                )
            if history.origin:
                response.data_origin = ORIGIN_TO_PROTO[history.origin]
            response.provider = history.provider or ""
            return response

        return await cached_answer(self._cache, GET_BARS, normalized,
                                   charts_pb2.GetBarsResponse, load, tags=[symbol_tag(symbol)])
