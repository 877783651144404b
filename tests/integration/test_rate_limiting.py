"""Rate limits through the real interceptor chain, with the issue's limits (guest 30/min,
standard 100/min), on a dedicated server; and with Redis unreachable.

Guest budgets are per client address: each test calls from its own address
(`x-forwarded-for`, trusted from 127.0.0.1) unless it means the socket's own address.
"""

import logging
import time
from collections.abc import Iterator
from datetime import timedelta

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from financehub.v1 import (
    admin_pb2,
    admin_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    charts_pb2,
    charts_pb2_grpc,
    market_pb2,
    market_pb2_grpc,
)
from server.domain.access import Role
from server.storage.backends import Backends
from tests.support.identity import (
    call_metadata,
    create_account,
    headers,
    login,
    status_details,
    unique_address,
)
from tests.support.services import EventLoopThread, RunningServer, free_port, start_test_server

GUEST_LIMIT = 30
STANDARD_LIMIT = 100
LIMITS = {"FINANCEHUB_RATE_LIMIT_GUEST": str(GUEST_LIMIT),
          "FINANCEHUB_RATE_LIMIT_STANDARD": str(STANDARD_LIMIT)}
TICKER = market_pb2.GetTickerRequest(symbol="2222")
BARS = charts_pb2.GetBarsRequest(symbol="2222", period=charts_pb2.PERIOD_1M)


@pytest.fixture(scope="module")
def limited_server(seeded: Backends) -> Iterator[RunningServer]:
    loop = EventLoopThread()
    running = start_test_server(seeded, loop, **LIMITS)
    yield running
    loop.run(running.app.stop(grace_s=1))
    loop.close()


@pytest.fixture(scope="module")
def limited_channel(limited_server: RunningServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(limited_server.address) as opened:
        grpc.channel_ready_future(opened).result(timeout=10)
        yield opened


@pytest.fixture(autouse=True)
def _flushed_redis(clean_cache: None) -> None:
    """Every test starts with empty buckets (this session owns its Redis database)."""


def ticker_headers(channel: grpc.Channel, metadata: list[tuple[str, str]]) -> dict[str, str]:
    _, call = market_pb2_grpc.MarketServiceStub(channel).GetTicker.with_call(
        TICKER, metadata=metadata)
    return headers(call.initial_metadata())


def refused(call, request, metadata: list[tuple[str, str]]) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        call(request, metadata=metadata)
    error = caught.value
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
    return error


def assert_rate_limited(error: grpc.RpcError, *, limit: int, tier: str, retry_s: float,
                        elapsed_s: float | None = None) -> None:
    """`retry_s`: the wait a burst spent at once would get; whatever refilled during the
    burst (`elapsed_s` of it, when measured) shortens it."""
    details = status_details(error)
    info = details["ErrorInfo"]
    assert info.reason == "RATE_LIMIT_EXCEEDED"
    assert info.domain == "financehub.sa"
    assert (info.metadata["tier"], info.metadata["limit"]) == (tier, str(limit))
    delay = details["RetryInfo"].retry_delay.ToTimedelta()
    shortest = retry_s - elapsed_s - 0.05 if elapsed_s is not None else 0.0
    assert timedelta(seconds=max(shortest, 0.0)) < delay <= timedelta(seconds=retry_s), delay
    violations = details["QuotaFailure"].violations
    assert len(violations) == 1 and f"{limit} request units per minute" in \
        violations[0].description
    trailing = headers(error.trailing_metadata())
    assert trailing["x-ratelimit-limit"] == str(limit)
    assert trailing["x-ratelimit-remaining"] == "0"


def test_the_31st_guest_call_is_the_first_refused_with_retry_info(
        limited_channel: grpc.Channel) -> None:
    # No forwarded address: the budget is the socket peer's (127.0.0.1).
    started = time.monotonic()
    seen = [ticker_headers(limited_channel, []) for _ in range(GUEST_LIMIT)]

    assert {h["x-ratelimit-limit"] for h in seen} == {str(GUEST_LIMIT)}
    assert [int(h["x-ratelimit-remaining"]) for h in seen] == list(range(GUEST_LIMIT - 1, -1, -1))
    assert seen[0]["x-ratelimit-reset"] == "2"  # one unit refills in 60/30 s
    assert seen[-1]["x-ratelimit-reset"] == "60"
    assert all(h.get("x-request-id") for h in seen)

    error = refused(market_pb2_grpc.MarketServiceStub(limited_channel).GetTicker, TICKER, [])
    assert_rate_limited(error, limit=GUEST_LIMIT, tier="guest", retry_s=60 / GUEST_LIMIT,
                        elapsed_s=time.monotonic() - started)
    assert status_details(error)["QuotaFailure"].violations[0].subject == "guest"


def test_get_bars_costs_two_units(limited_channel: grpc.Channel) -> None:
    metadata = call_metadata(address=unique_address())
    charts = charts_pb2_grpc.ChartServiceStub(limited_channel)
    remaining = []
    for _ in range(GUEST_LIMIT // 2):
        _, call = charts.GetBars.with_call(BARS, metadata=metadata)
        remaining.append(int(headers(call.initial_metadata())["x-ratelimit-remaining"]))
    assert remaining == list(range(GUEST_LIMIT - 2, -1, -2))

    error = refused(charts.GetBars, BARS, metadata)
    assert_rate_limited(error, limit=GUEST_LIMIT, tier="guest", retry_s=2 * 60 / GUEST_LIMIT)


def test_guests_are_limited_per_address(limited_channel: grpc.Channel) -> None:
    market = market_pb2_grpc.MarketServiceStub(limited_channel)
    spent = call_metadata(address=unique_address())
    for _ in range(GUEST_LIMIT):
        market.GetTicker(TICKER, metadata=spent)
    refused(market.GetTicker, TICKER, spent)

    fresh = ticker_headers(limited_channel, call_metadata(address=unique_address()))
    assert fresh["x-ratelimit-remaining"] == str(GUEST_LIMIT - 1)


def test_a_signed_in_user_has_a_standard_budget_of_their_own(
        limited_server: RunningServer, limited_channel: grpc.Channel) -> None:
    account = create_account(limited_server)
    token = login(limited_channel, account, address=unique_address()).tokens.access_token
    address = unique_address()
    market = market_pb2_grpc.MarketServiceStub(limited_channel)
    for _ in range(GUEST_LIMIT):
        market.GetTicker(TICKER, metadata=call_metadata(address=address))
    refused(market.GetTicker, TICKER, call_metadata(address=address))

    as_user = call_metadata(token=token, address=address)
    first = ticker_headers(limited_channel, as_user)
    assert (first["x-ratelimit-limit"], first["x-ratelimit-remaining"]) == (
        str(STANDARD_LIMIT), str(STANDARD_LIMIT - 1))
    # One unit refills every 0.6 s at 100 a minute: count the calls allowed until the first
    # refusal, and allow for what refilled meanwhile.
    started = time.monotonic()
    allowed = 1
    while True:
        try:
            market.GetTicker(TICKER, metadata=as_user)
        except grpc.RpcError as caught:
            assert caught.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            error = caught
            break
        allowed += 1
        assert allowed <= 2 * STANDARD_LIMIT, "the user's budget never ran out"
    refilled = (time.monotonic() - started) / (60 / STANDARD_LIMIT)
    assert STANDARD_LIMIT <= allowed <= STANDARD_LIMIT + int(refilled) + 1, (allowed, refilled)
    assert_rate_limited(error, limit=STANDARD_LIMIT, tier="standard",
                        retry_s=60 / STANDARD_LIMIT)
    assert status_details(error)["QuotaFailure"].violations[0].subject == f"user:{account.user_id}"


def test_health_checks_are_never_limited(limited_channel: grpc.Channel) -> None:
    metadata = call_metadata(address=unique_address())
    market = market_pb2_grpc.MarketServiceStub(limited_channel)
    for _ in range(GUEST_LIMIT):
        market.GetTicker(TICKER, metadata=metadata)
    refused(market.GetTicker, TICKER, metadata)

    health = health_pb2_grpc.HealthStub(limited_channel)
    for _ in range(100):
        response, call = health.Check.with_call(health_pb2.HealthCheckRequest(),
                                                metadata=metadata)
        assert response.status == health_pb2.HealthCheckResponse.SERVING
    assert "x-ratelimit-limit" not in headers(call.initial_metadata())


def test_admins_go_through_the_limiter_with_an_unlimited_tier(
        limited_server: RunningServer, limited_channel: grpc.Channel) -> None:
    admin = create_account(limited_server, Role.ADMIN)
    token = login(limited_channel, admin, address=unique_address()).tokens.access_token
    as_admin = call_metadata(token=token, address=unique_address())

    seen = ticker_headers(limited_channel, as_admin)
    limit = int(seen["x-ratelimit-limit"])
    assert limit >= 1_000_000
    assert int(seen["x-ratelimit-remaining"]) == limit - 1

    _, call = admin_pb2_grpc.AdminServiceStub(limited_channel).ListUsers.with_call(
        admin_pb2.ListUsersRequest(page_size=1), metadata=as_admin)
    after = headers(call.initial_metadata())
    # At 10M units a minute one unit refills in 6 µs: the bucket is (nearly) full again.
    assert limit - 2 <= int(after["x-ratelimit-remaining"]) <= limit - 1
    assert after["x-ratelimit-limit"] == str(limit)
    assert auth_pb2_grpc.AuthServiceStub(limited_channel).GetMe(
        auth_pb2.GetMeRequest(), metadata=as_admin).user.id == admin.user_id


@pytest.fixture
def limited_server_without_redis(seeded: Backends) -> Iterator[RunningServer]:
    unreachable = Backends(database_url=seeded.database_url,
                           redis_url=f"redis://127.0.0.1:{free_port()}/0")
    loop = EventLoopThread()
    running = start_test_server(unreachable, loop, **LIMITS)
    yield running
    loop.run(running.app.stop(grace_s=1))
    loop.close()


def test_without_redis_calls_are_served_and_still_limited_per_process(
        limited_server_without_redis: RunningServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="server.security.rate_limiter")
    metadata = call_metadata(address=unique_address())
    with grpc.insecure_channel(limited_server_without_redis.address) as channel:
        market = market_pb2_grpc.MarketServiceStub(channel)
        seen = []
        for _ in range(GUEST_LIMIT):
            response, call = market.GetTicker.with_call(TICKER, metadata=metadata)
            assert response.ticker.symbol == "2222"
            seen.append(headers(call.initial_metadata()))
        assert {h["x-ratelimit-limit"] for h in seen} == {str(GUEST_LIMIT)}
        assert seen[0]["x-ratelimit-remaining"] == str(GUEST_LIMIT - 1)

        error = refused(market.GetTicker, TICKER, metadata)
        assert_rate_limited(error, limit=GUEST_LIMIT, tier="guest", retry_s=60 / GUEST_LIMIT)
        # Another address has its own local bucket.
        market.GetTicker(TICKER, metadata=call_metadata(address=unique_address()))
    assert any("Redis unavailable" in record.getMessage() for record in caplog.records)


def test_failed_calls_carry_the_rate_limit_headers_and_spend_the_budget(
        limited_channel: grpc.Channel) -> None:
    metadata = call_metadata(address=unique_address())
    market = market_pb2_grpc.MarketServiceStub(limited_channel)
    with pytest.raises(grpc.RpcError) as caught:
        market.GetTicker(market_pb2.GetTickerRequest(symbol="9998"), metadata=metadata)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    trailing = headers(caught.value.trailing_metadata())
    assert (trailing["x-ratelimit-limit"], trailing["x-ratelimit-remaining"]) == (
        str(GUEST_LIMIT), str(GUEST_LIMIT - 1))
    assert ticker_headers(limited_channel, metadata)["x-ratelimit-remaining"] == str(
        GUEST_LIMIT - 2)


def test_calls_refused_for_credentials_are_charged_and_carry_the_headers(
        limited_channel: grpc.Channel) -> None:
    address = unique_address()
    auth = auth_pb2_grpc.AuthServiceStub(limited_channel)
    remaining = []
    for metadata in (call_metadata(address=address),  # no credentials at all
                     call_metadata(token="not.a.jwt", address=address),
                     call_metadata(api_key="fhp_" + "0" * 40, address=address)):
        with pytest.raises(grpc.RpcError) as caught:
            auth.GetMe(auth_pb2.GetMeRequest(), metadata=metadata)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        trailing = headers(caught.value.trailing_metadata())
        assert trailing["x-ratelimit-limit"] == str(GUEST_LIMIT)
        remaining.append(int(trailing["x-ratelimit-remaining"]))
    assert remaining == [GUEST_LIMIT - 1, GUEST_LIMIT - 2, GUEST_LIMIT - 3]
    # Hammering with bad keys spends the address's budget like any other call.
    for _ in range(GUEST_LIMIT - 3):
        with pytest.raises(grpc.RpcError):
            auth.GetMe(auth_pb2.GetMeRequest(),
                       metadata=call_metadata(api_key="fhp_" + "1" * 40, address=address))
    error = refused(market_pb2_grpc.MarketServiceStub(limited_channel).GetTicker, TICKER,
                    call_metadata(address=address))
    assert status_details(error)["ErrorInfo"].reason == "RATE_LIMIT_EXCEEDED"
