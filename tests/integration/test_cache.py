"""Redis cache-aside: hits never reach Postgres; Redis down never fails a call."""

import struct
import time

import grpc
import pytest
from prometheus_client import REGISTRY
from redis import Redis

from financehub.v1 import charts_pb2, charts_pb2_grpc, market_pb2, market_pb2_grpc
from tests.support.services import RunningServer


def cache_hits() -> float:
    """Response-cache hits counted by this process (every server in it) so far."""
    return REGISTRY.get_sample_value("financehub_cache_lookups_total", {"outcome": "hit"}) or 0


def cache_redis_errors() -> float:
    return REGISTRY.get_sample_value("financehub_cache_redis_errors_total") or 0


def test_get_ticker_hit_is_served_without_touching_postgres(
        server: RunningServer, channel: grpc.Channel, redis_client: Redis,
        clean_cache: None) -> None:
    market = market_pb2_grpc.MarketServiceStub(channel)
    database = server.app.database

    before_miss = database.statements_executed
    first = market.GetTicker(market_pb2.GetTickerRequest(symbol="2222"))
    assert database.statements_executed > before_miss  # the miss read Postgres
    assert any(key.startswith(b"fh:v1:financehub.v1.MarketService/GetTicker")
               for key in redis_client.scan_iter("fh:v1:*"))

    before_hit = database.statements_executed
    hits_before = cache_hits()
    for alias in ("2222", "2222.SR"):  # aliases share the entry
        again = market.GetTicker(market_pb2.GetTickerRequest(symbol=alias))
        assert again == first
    assert database.statements_executed == before_hit
    assert cache_hits() == hits_before + 2


def test_get_bars_hit_is_served_without_touching_postgres_and_expires_per_category(
        server: RunningServer, channel: grpc.Channel, redis_client: Redis,
        clean_cache: None) -> None:
    charts = charts_pb2_grpc.ChartServiceStub(channel)
    request = charts_pb2.GetBarsRequest(symbol="2222", period=charts_pb2.PERIOD_1Y,
                                        interval=charts_pb2.INTERVAL_WEEK)
    first = charts.GetBars(request)
    before_hit = server.app.database.statements_executed
    assert charts.GetBars(request) == first
    assert server.app.database.statements_executed == before_hit

    keys = [k for k in redis_client.scan_iter("fh:v1:financehub.v1.ChartService/GetBars:*")
            if not k.endswith(b":lock")]
    assert len(keys) == 1
    # ohlc: fresh 60 s, then served stale (while refreshed) for up to an hour more.
    assert 60 < redis_client.ttl(keys[0]) <= 60 + 3600
    assert 0 < fresh_seconds_left(redis_client.get(keys[0])) <= 60
    ticker_request = market_pb2.GetTickerRequest(symbol="1120")
    market_pb2_grpc.MarketServiceStub(channel).GetTicker(ticker_request)
    ticker_keys = list(redis_client.scan_iter("fh:v1:financehub.v1.MarketService/GetTicker:*"))
    assert 0 < fresh_seconds_left(redis_client.get(ticker_keys[0])) <= 30  # tickers: 30 s


def fresh_seconds_left(envelope: bytes | None) -> float:
    """Seconds until a cache entry goes stale (the envelope's 9-byte header: kind, ms)."""
    assert envelope is not None
    _, fresh_until_ms = struct.unpack(">BQ", envelope[:9])
    return (fresh_until_ms - time.time() * 1000) / 1000


def test_not_found_is_cached_briefly_and_answered_the_same(
        server: RunningServer, channel: grpc.Channel, redis_client: Redis,
        clean_cache: None) -> None:
    market = market_pb2_grpc.MarketServiceStub(channel)
    database = server.app.database
    with pytest.raises(grpc.RpcError) as first:
        market.GetTicker(market_pb2.GetTickerRequest(symbol="9998"))
    keys = list(redis_client.scan_iter("fh:v1:financehub.v1.MarketService/GetTicker:*"))
    assert len(keys) == 1 and 0 < redis_client.ttl(keys[0]) <= 5
    before = database.statements_executed
    with pytest.raises(grpc.RpcError) as again:
        market.GetTicker(market_pb2.GetTickerRequest(symbol="9998"))
    assert database.statements_executed == before  # answered from the negative entry
    assert again.value.code() == first.value.code() == grpc.StatusCode.NOT_FOUND
    assert again.value.details() == first.value.details()



def test_calls_succeed_from_postgres_when_redis_is_unreachable(
        server_without_redis: RunningServer) -> None:
    hits_before, errors_before = cache_hits(), cache_redis_errors()
    with grpc.insecure_channel(server_without_redis.address) as channel:
        market = market_pb2_grpc.MarketServiceStub(channel)
        charts = charts_pb2_grpc.ChartServiceStub(channel)
        for _ in range(2):
            ticker = market.GetTicker(market_pb2.GetTickerRequest(symbol="2222"), timeout=5)
            assert ticker.ticker.name_en == "Saudi Arabian Oil Company"
            bars = charts.GetBars(charts_pb2.GetBarsRequest(symbol="2222"), timeout=5)
            assert len(bars.bars) > 200
    assert cache_hits() == hits_before
    # The first failure opens the breaker: later calls do not wait on Redis again.
    assert 1 <= cache_redis_errors() - errors_before <= 2
