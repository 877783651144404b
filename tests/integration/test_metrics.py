"""/metrics of one server process: pool gauges and cache counters, scraped over HTTP."""

import re
import urllib.request

import grpc
import pytest

from financehub.v1 import market_pb2, market_pb2_grpc
from server.storage.backends import Backends
from tests.support.services import EventLoopThread, free_port, start_test_server


def scrape(port: int) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {match.group(1): float(match.group(2))
            for match in re.finditer(r"^(\S+) (\S+)$", text, re.MULTILINE)}


def test_metrics_expose_pool_usage_and_cache_outcomes(
        seeded: Backends, loop_thread: EventLoopThread, clean_cache: None) -> None:
    port = free_port()
    running = start_test_server(seeded, loop_thread, FINANCEHUB_METRICS_PORT=str(port),
                                FINANCEHUB_DB_POOL_MIN="2", FINANCEHUB_DB_POOL_MAX="7")
    try:
        before = scrape(port)
        with grpc.insecure_channel(running.address) as channel:
            stub = market_pb2_grpc.MarketServiceStub(channel)
            for _ in range(3):
                stub.GetTicker(market_pb2.GetTickerRequest(symbol="2222"), timeout=10)
            with pytest.raises(grpc.RpcError):
                stub.GetTicker(market_pb2.GetTickerRequest(symbol="9999"), timeout=10)
        after = scrape(port)
    finally:
        loop_thread.run(running.app.stop(grace_s=1))

    def grew(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    assert after['financehub_db_pool_connections{pool="write",state="min"}'] == 2
    assert after['financehub_db_pool_connections{pool="write",state="max"}'] == 7
    size = after['financehub_db_pool_connections{pool="write",state="size"}']
    idle = after['financehub_db_pool_connections{pool="write",state="idle"}']
    in_use = after['financehub_db_pool_connections{pool="write",state="in_use"}']
    assert 2 <= size <= 7 and size == idle + in_use
    assert 'financehub_db_pool_requests_waiting{pool="write"}' in after
    # 2222: one miss, then two hits; 9999: a miss (then cached as NOT_FOUND).
    assert grew('financehub_cache_lookups_total{outcome="miss"}') == 2
    assert grew('financehub_cache_lookups_total{outcome="hit"}') == 2


def test_a_busy_metrics_port_stops_the_start_with_the_variable_named(
        seeded: Backends, loop_thread: EventLoopThread) -> None:
    port = free_port()
    first = start_test_server(seeded, loop_thread, FINANCEHUB_METRICS_PORT=str(port))
    try:
        with pytest.raises(Exception, match=f"FINANCEHUB_METRICS_PORT={port}"):
            start_test_server(seeded, loop_thread, FINANCEHUB_METRICS_PORT=str(port))
    finally:
        loop_thread.run(first.app.stop(grace_s=1))
