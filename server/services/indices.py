"""IndexService: ListIndices, GetIndex, GetIndexBars."""

from typing import Any, TypeAlias

import grpc

from financehub.v1 import charts_pb2, indices_pb2, indices_pb2_grpc, securities_pb2
from server.domain.bars import aggregate_bars, check_range_request, resolve_range
from server.domain.errors import (
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    ViolationCollector,
)
from server.services.caching import cached_answer
from server.services.charts import bar_message
from server.services.conversions import (
    INTERVAL_FROM_PROTO,
    PERIOD_FROM_PROTO,
    date_from_message,
    date_message,
    origin_message,
)
from server.storage.cache import ResponseCache
from server.storage.indices import IndexLevel, IndexRepository

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

LIST_INDICES = "/financehub.v1.IndexService/ListIndices"
GET_INDEX = "/financehub.v1.IndexService/GetIndex"
GET_INDEX_BARS = "/financehub.v1.IndexService/GetIndexBars"
INDICES_TAG = "indices"


def index_code(raw: str) -> str:
    code = raw.strip().upper()
    if not code:
        raise InvalidArgumentError([FieldViolation("code", "is required")])
    if not code.isascii() or not code.isalnum() or len(code) > 16:
        raise InvalidArgumentError([FieldViolation(
            "code", f"{raw[:32]!r} is not an index code such as TASI or MT30")])
    return code


def summary_message(level: IndexLevel) -> indices_pb2.IndexSummary:
    summary = indices_pb2.IndexSummary(code=level.code, name_en=level.name_en,
                                       data_origin=securities_pb2.DATA_ORIGIN_REAL
                                       if level.level is not None else 0)
    if level.level is not None and level.as_of is not None:
        summary.level = level.level
        summary.as_of.CopyFrom(date_message(level.as_of))
        if level.previous_level:
            summary.change = level.level - level.previous_level
            summary.change_percent = (level.level / level.previous_level - 1) * 100
    return summary


class IndexServicer(indices_pb2_grpc.IndexServiceServicer):
    def __init__(self, indices: IndexRepository, cache: ResponseCache) -> None:
        self._indices = indices
        self._cache = cache

    async def ListIndices(self, request: indices_pb2.ListIndicesRequest,
                          context: Context) -> indices_pb2.ListIndicesResponse:
        async def load() -> indices_pb2.ListIndicesResponse:
            return indices_pb2.ListIndicesResponse(
                indices=[summary_message(level) for level in await self._indices.levels()])

        return await cached_answer(self._cache, LIST_INDICES, indices_pb2.ListIndicesRequest(),
                                   indices_pb2.ListIndicesResponse, load, tags=[INDICES_TAG])

    async def GetIndex(self, request: indices_pb2.GetIndexRequest,
                       context: Context) -> indices_pb2.GetIndexResponse:
        code = index_code(request.code)

        async def load() -> indices_pb2.GetIndexResponse:
            levels = await self._indices.levels(code)
            if not levels:
                raise NotFoundError("index", code, reason="INDEX_NOT_FOUND")
            membership = await self._indices.membership(code)
            response = indices_pb2.GetIndexResponse(
                index=summary_message(levels[0]),
                constituents_origin=origin_message(membership.origin),
                constituents_method=membership.method)
            for member in membership.constituents:
                response.constituents.add(symbol=member.symbol, name_en=member.name_en,
                                          weight_percent=float(member.weight_percent))
            return response

        return await cached_answer(self._cache, GET_INDEX, indices_pb2.GetIndexRequest(code=code),
                                   indices_pb2.GetIndexResponse, load, tags=[INDICES_TAG])

    async def GetIndexBars(self, request: indices_pb2.GetIndexBarsRequest,
                           context: Context) -> indices_pb2.GetIndexBarsResponse:
        code = index_code(request.code)
        problems = ViolationCollector()
        if request.interval not in INTERVAL_FROM_PROTO:
            problems.add("interval", "indices have daily, weekly and monthly bars")
        if request.period not in PERIOD_FROM_PROTO:
            problems.add("period", f"{request.period} is not a known period")
        start = date_from_message(request.start_date, "start_date", problems)
        end = date_from_message(request.end_date, "end_date", problems)
        problems.raise_if_any()
        period = PERIOD_FROM_PROTO[request.period]
        check_range_request(period=period, start=start, end=end)
        interval = request.interval or charts_pb2.INTERVAL_DAY
        normalized = indices_pb2.GetIndexBarsRequest(
            code=code, interval=interval, period=request.period,
            start_date=request.start_date, end_date=request.end_date)

        async def load() -> indices_pb2.GetIndexBarsResponse:
            if not await self._indices.levels(code):
                raise NotFoundError("index", code, reason="INDEX_NOT_FOUND")
            latest = await self._indices.latest_date(code) if end is None else None
            window = resolve_range(period=period, start=start, end=end, latest_on_record=latest)
            response = indices_pb2.GetIndexBarsResponse(code=code, interval=interval)
            if window is None:
                return response
            daily = await self._indices.history(code, window.start, window.end)
            response.start_date.CopyFrom(date_message(window.start or (
                daily[0].day if daily else window.end)))
            response.end_date.CopyFrom(date_message(window.end))
            response.bars.extend(bar_message(bar) for bar in
                                 aggregate_bars(daily, INTERVAL_FROM_PROTO[interval]))
            if daily:
                response.data_origin = securities_pb2.DATA_ORIGIN_REAL
                response.provider = "Saudi Exchange"
            return response

        return await cached_answer(self._cache, GET_INDEX_BARS, normalized,
                                   indices_pb2.GetIndexBarsResponse, load, tags=[INDICES_TAG])
