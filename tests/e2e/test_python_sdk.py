"""The Python SDK (`clients/python`, package financehub-client) against real servers.

The session server (real Postgres and Redis) for auth, pagination, errors, streams and
the README's examples; a second server with 6-second access tokens and a low guest rate
limit for token refresh and RetryInfo; a small in-process gRPC server that fails on
command for the UNAVAILABLE retries; and the package itself, built as a wheel and as an
sdist from a copy of the checkout, for the stubs it ships.
"""

import asyncio
import importlib
import inspect
import itertools
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest
from financehub_client import (
    AsyncFinanceHubClient,
    FinanceHubClient,
    FinanceHubError,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
    RetryPolicy,
    UnauthenticatedError,
    UnavailableError,
    pages,
    paginate,
)
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from financehub.v1 import (
    auth_pb2,
    auth_pb2_grpc,
    identity_pb2,
    market_pb2,
    market_pb2_grpc,
    research_pb2,
    research_pb2_grpc,
    securities_pb2,
    trading_pb2,
    trading_pb2_grpc,
)
from server import app as server_app
from server.domain.access import Role
from server.storage.backends import Backends
from tests.support.identity import (
    Account,
    bearer,
    create_account,
    create_api_key,
    error_reason,
    login,
    rpc_error,
    unique_address,
    violated_fields,
)
from tests.support.services import EventLoopThread, RunningServer, start_test_server

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
SDK_ROOT = REPO_ROOT / "clients" / "python"
STUBS_ROOT = REPO_ROOT / "generated" / "python"
README = SDK_ROOT / "README.md"

SECTOR = "Financial Services"  # 46 companies: several pages of 7
SHORT_TTL_S = 6
REFRESH_MARGIN_S = 2.0
GUEST_LIMIT_PER_MINUTE = 30  # as in production: one unit every 2 s once the burst is spent


# --- what the client sent: an interceptor of our own, innermost -------------------------------


@dataclass
class Attempt:
    method: str
    code: grpc.StatusCode
    metadata: dict[str, str]
    retry_delay: float | None


@dataclass
class Recorder:
    attempts: list[Attempt] = field(default_factory=list)

    def record(self, method: str | bytes, code: grpc.StatusCode, metadata: Any,
               trailers: Any) -> None:
        name = (method.decode() if isinstance(method, bytes) else method).rsplit("/", 1)[-1]
        delay = (FinanceHubError.from_status(code, "", trailers).retry_delay
                 if code is not grpc.StatusCode.OK else None)
        self.attempts.append(Attempt(name, code, {k: v for k, v in metadata or ()
                                                  if isinstance(v, str)}, delay))

    def methods(self) -> list[str]:
        return [attempt.method for attempt in self.attempts]

    def outcomes(self) -> list[tuple[str, grpc.StatusCode]]:
        return [(attempt.method, attempt.code) for attempt in self.attempts]


class SyncRecorder(Recorder, grpc.UnaryUnaryClientInterceptor):
    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        outcome = continuation(details, request)
        self.record(details.method, outcome.code(), details.metadata,
                    outcome.trailing_metadata())
        return outcome


class AsyncRecorder(Recorder, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        call = await continuation(details, request)
        code = await call.code()
        self.record(details.method, code, details.metadata, await call.trailing_metadata())
        return call


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def account(server: RunningServer) -> Account:
    return create_account(server, Role.USER, label="sdk")


@pytest.fixture
def api_key_secret(channel: grpc.Channel, account: Account) -> str:
    token = login(channel, account).tokens.access_token
    return create_api_key(channel, token, name="sdk test").secret


@pytest.fixture(scope="module")
def short_lived_server(seeded: Backends) -> Iterator[RunningServer]:
    """A server whose access tokens live SHORT_TTL_S seconds, with a low guest limit."""
    loop = EventLoopThread()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(server_app, "ACCESS_TOKEN_TTL_S", SHORT_TTL_S)
        running = start_test_server(seeded, loop,
                                    FINANCEHUB_RATE_LIMIT_GUEST=str(GUEST_LIMIT_PER_MINUTE))
    yield running
    loop.run(running.app.stop(grace_s=1))
    loop.close()


def _status(code: int, message: str, *details: Any) -> grpc.Status:
    packed = []
    for detail in details:
        wrapper = any_pb2.Any()
        wrapper.Pack(detail)
        packed.append(wrapper)
    return rpc_status.to_status(status_pb2.Status(code=code, message=message, details=packed))


def unavailable() -> grpc.Status:
    return _status(code_pb2.UNAVAILABLE, "try again")


def exhausted(retry_delay_s: float | None) -> grpc.Status:
    if retry_delay_s is None:
        return _status(code_pb2.RESOURCE_EXHAUSTED, "too many calls in flight")
    delay = duration_pb2.Duration()
    delay.FromNanoseconds(int(retry_delay_s * 1e9))
    return _status(code_pb2.RESOURCE_EXHAUSTED, "slow down",
                   error_details_pb2.ErrorInfo(reason="RATE_LIMIT_EXCEEDED",
                                               domain="financehub.sa"),
                   error_details_pb2.RetryInfo(retry_delay=delay))


@dataclass
class FlakyServer:
    """A real gRPC server (MarketService.GetTicker, TradingService.PlaceOrder and
    ResetAccount) that answers with the statuses queued per method before succeeding."""

    address: str
    failures: dict[str, list[grpc.Status]] = field(default_factory=dict)
    calls: dict[str, list[tuple[Any, dict[str, str]]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str, request: Any, context: grpc.ServicerContext,
               response: Any) -> Any:
        with self.lock:
            metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
            self.calls.setdefault(method, []).append((request, metadata))
            queued = self.failures.get(method)
            status = queued.pop(0) if queued else None
        if status is not None:
            context.abort_with_status(status)
        return response

    def count(self, method: str) -> int:
        return len(self.calls.get(method, []))


@pytest.fixture
def flaky() -> Iterator[FlakyServer]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    port = server.add_insecure_port("127.0.0.1:0")
    state = FlakyServer(address=f"127.0.0.1:{port}")

    class Market(market_pb2_grpc.MarketServiceServicer):
        def GetTicker(self, request: Any, context: Any) -> Any:
            return state.answer("GetTicker", request, context, market_pb2.GetTickerResponse(
                ticker=securities_pb2.Ticker(symbol=request.symbol, name_en="Flaky")))

    class Trading(trading_pb2_grpc.TradingServiceServicer):
        def PlaceOrder(self, request: Any, context: Any) -> Any:
            return state.answer("PlaceOrder", request, context, trading_pb2.PlaceOrderResponse(
                order=trading_pb2.Order(order_id="o-1", client_order_id=request.client_order_id,
                                        symbol=request.symbol)))

        def ResetAccount(self, request: Any, context: Any) -> Any:
            return state.answer("ResetAccount", request, context,
                                trading_pb2.ResetAccountResponse())

    market_pb2_grpc.add_MarketServiceServicer_to_server(Market(), server)
    trading_pb2_grpc.add_TradingServiceServicer_to_server(Trading(), server)
    server.start()
    yield state
    server.stop(0)


FAST_RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.05, max_backoff=0.2)


# --- credentials ----------------------------------------------------------------------------------


def test_api_key_is_sent_as_x_api_key(server: RunningServer, account: Account,
                                      api_key_secret: str):
    recorder = SyncRecorder()
    with FinanceHubClient(server.address, api_key=api_key_secret,
                          interceptors=[recorder]) as client:
        me = client.auth.GetMe().user
        assert me.email == account.email
        assert recorder.attempts[-1].metadata["x-api-key"] == api_key_secret
        assert "authorization" not in recorder.attempts[-1].metadata

    with FinanceHubClient(server.address) as guest:
        refused = pytest.raises(UnauthenticatedError, guest.auth.GetMe)
    assert refused.value.code is grpc.StatusCode.UNAUTHENTICATED

    with FinanceHubClient(server.address, api_key="fhp_" + "x" * 40) as wrong:
        with pytest.raises(UnauthenticatedError) as refused:
            wrong.market.GetTicker(symbol="2222")
    assert refused.value.reason == "API_KEY_INVALID"


def test_email_and_password_log_in_once_on_first_use(server: RunningServer, account: Account):
    recorder = SyncRecorder()
    with FinanceHubClient(server.address, email=account.email, password=account.password,
                          interceptors=[recorder]) as client:
        assert client.tokens is None  # nothing happens before the first call
        assert client.auth.GetMe().user.email == account.email
        assert client.trading.GetAccount().account.currency == "SAR"
        assert recorder.methods() == ["Login", "GetMe", "GetAccount"]
        token = client.tokens.access_token if client.tokens else ""
        assert recorder.attempts[1].metadata["authorization"] == f"Bearer {token}"
        assert "authorization" not in recorder.attempts[0].metadata  # Login is public


def test_concurrent_first_calls_share_one_login(server: RunningServer, account: Account):
    recorder = SyncRecorder()
    with FinanceHubClient(server.address, email=account.email, password=account.password,
                          interceptors=[recorder]) as client:
        with futures.ThreadPoolExecutor(max_workers=12) as pool:
            emails = list(pool.map(lambda _: client.auth.GetMe().user.email, range(24)))
    assert set(emails) == {account.email}
    assert recorder.methods().count("Login") == 1


def test_wrong_password_raises_with_the_reason(server: RunningServer, account: Account):
    with FinanceHubClient(server.address, email=account.email, password="not-the-password",
                          metadata=[("x-forwarded-for", unique_address())]) as client:
        with pytest.raises(UnauthenticatedError) as refused:
            client.auth.GetMe()
    assert refused.value.reason == "INVALID_CREDENTIALS"


def test_access_token_is_refreshed_before_it_expires(short_lived_server: RunningServer):
    account = create_account(short_lived_server, label="sdk-refresh")
    recorder = SyncRecorder()
    raw = grpc.insecure_channel(short_lived_server.address)
    with raw, FinanceHubClient(short_lived_server.address, email=account.email,
                               password=account.password, refresh_margin=REFRESH_MARGIN_S,
                               interceptors=[recorder]) as client:
        client.login()
        logged_in = time.monotonic()
        first = client.tokens.access_token if client.tokens else ""
        assert client.auth.GetMe().user.email == account.email

        # Inside the refresh margin, before the token expires: the next call refreshes first.
        time.sleep(max(0.0, logged_in + SHORT_TTL_S - 1.5 - time.monotonic()))
        still_valid = auth_pb2_grpc.AuthServiceStub(raw).GetMe(
            auth_pb2.GetMeRequest(), metadata=bearer(first), timeout=5)
        assert still_valid.user.email == account.email
        assert client.auth.GetMe().user.email == account.email
        second = client.tokens.access_token if client.tokens else ""
        assert second and second != first
        assert recorder.outcomes() == [
            ("Login", grpc.StatusCode.OK), ("GetMe", grpc.StatusCode.OK),
            ("RefreshToken", grpc.StatusCode.OK), ("GetMe", grpc.StatusCode.OK),
        ]  # no call was ever refused

        # The first token really was short-lived: the refresh was needed.
        time.sleep(max(0.0, logged_in + SHORT_TTL_S + 0.5 - time.monotonic()))
        expired = rpc_error(auth_pb2_grpc.AuthServiceStub(raw).GetMe, auth_pb2.GetMeRequest(),
                            metadata=bearer(first), timeout=5)
        assert error_reason(expired) == "TOKEN_EXPIRED"
        assert client.auth.GetMe().user.email == account.email


def test_refused_token_is_refreshed_and_the_call_repeated(server: RunningServer):
    user = create_account(server, label="sdk-promoted")
    admin = create_account(server, Role.ADMIN, label="sdk-admin")
    recorder = SyncRecorder()
    with FinanceHubClient(server.address, email=user.email, password=user.password,
                          interceptors=[recorder]) as client, \
            FinanceHubClient(server.address, email=admin.email,
                             password=admin.password) as operator:
        assert client.auth.GetMe().user.role == identity_pb2.ROLE_USER
        before = client.tokens.access_token if client.tokens else ""
        # A role change revokes the user's access tokens at once; a refresh carries the new role.
        operator.admin.SetUserRole(user_id=user.user_id, role="PREMIUM")
        assert client.auth.GetMe().user.role == identity_pb2.ROLE_PREMIUM
        assert client.tokens is not None and client.tokens.access_token != before
    assert recorder.outcomes()[-3:] == [
        ("GetMe", grpc.StatusCode.UNAUTHENTICATED),
        ("RefreshToken", grpc.StatusCode.OK),
        ("GetMe", grpc.StatusCode.OK),
    ]


def test_refused_refresh_logs_in_again(short_lived_server: RunningServer):
    account = create_account(short_lived_server, label="sdk-relogin")
    recorder = SyncRecorder()
    raw = grpc.insecure_channel(short_lived_server.address)
    with raw, FinanceHubClient(short_lived_server.address, email=account.email,
                               password=account.password, refresh_margin=REFRESH_MARGIN_S,
                               interceptors=[recorder]) as client:
        client.login()
        logged_in = time.monotonic()
        stolen = client.tokens.refresh_token if client.tokens else ""
        # Someone else spends the refresh token: presenting it again ends the session.
        auth_pb2_grpc.AuthServiceStub(raw).RefreshToken(
            auth_pb2.RefreshTokenRequest(refresh_token=stolen), timeout=5)
        time.sleep(max(0.0, logged_in + SHORT_TTL_S - 1.0 - time.monotonic()))
        assert client.auth.GetMe().user.email == account.email
    assert recorder.outcomes() == [
        ("Login", grpc.StatusCode.OK),
        ("RefreshToken", grpc.StatusCode.UNAUTHENTICATED),
        ("Login", grpc.StatusCode.OK),
        ("GetMe", grpc.StatusCode.OK),
    ]


# --- retries --------------------------------------------------------------------------------------


def test_unavailable_is_retried_with_backoff(flaky: FlakyServer):
    flaky.failures["GetTicker"] = [unavailable(), unavailable()]
    with FinanceHubClient(flaky.address, retry=FAST_RETRY) as client:
        assert client.market.GetTicker(symbol="2222").ticker.name_en == "Flaky"
    assert flaky.count("GetTicker") == 3


def test_unavailable_retries_stop_at_max_attempts(flaky: FlakyServer):
    flaky.failures["GetTicker"] = [unavailable() for _ in range(10)]
    with FinanceHubClient(flaky.address, retry=FAST_RETRY) as client:
        with pytest.raises(UnavailableError) as failed:
            client.market.GetTicker(symbol="2222")
    assert failed.value.message == "try again"
    assert flaky.count("GetTicker") == FAST_RETRY.max_attempts


def test_the_call_timeout_bounds_all_attempts(flaky: FlakyServer):
    flaky.failures["GetTicker"] = [unavailable() for _ in range(100)]
    slow = RetryPolicy(max_attempts=100, initial_backoff=0.2, max_backoff=0.2)
    with FinanceHubClient(flaky.address, retry=slow) as client:
        started = time.monotonic()
        with pytest.raises(UnavailableError):
            client.market.GetTicker(symbol="2222", timeout=0.7)
        assert time.monotonic() - started < 2.0  # not 100 attempts x 0.2 s
    assert 2 <= flaky.count("GetTicker") <= 8


def test_unsafe_rpcs_are_not_retried_on_unavailable_unless_asked(flaky: FlakyServer):
    flaky.failures["ResetAccount"] = [unavailable(), unavailable()]
    with FinanceHubClient(flaky.address, retry=FAST_RETRY) as client:
        with pytest.raises(UnavailableError):
            client.trading.ResetAccount()
    assert flaky.count("ResetAccount") == 1

    with FinanceHubClient(flaky.address, retry=RetryPolicy(
            max_attempts=3, initial_backoff=0.05, retry_non_idempotent=True)) as client:
        client.trading.ResetAccount()
    assert flaky.count("ResetAccount") == 3


def test_place_order_is_retried_under_one_client_order_id(flaky: FlakyServer):
    flaky.failures["PlaceOrder"] = [unavailable(), unavailable()]
    with FinanceHubClient(flaky.address, retry=FAST_RETRY) as client:
        order = client.trading.PlaceOrder(symbol="2222", side="buy", type="LIMIT",
                                          time_in_force="day",
                                          quantity=5, limit_price=Decimal("27.50")).order
    sent = [request for request, _ in flaky.calls["PlaceOrder"]]
    assert len(sent) == 3
    keys = {request.client_order_id for request in sent}
    assert len(keys) == 1 and order.client_order_id in keys
    assert order.client_order_id.startswith("sdk-")
    assert sent[0].side == trading_pb2.ORDER_SIDE_BUY
    assert sent[0].type == trading_pb2.ORDER_TYPE_LIMIT
    assert sent[0].time_in_force == trading_pb2.TIME_IN_FORCE_DAY
    assert sent[0].limit_price.value == "27.50"


def test_retry_info_is_waited_for(flaky: FlakyServer):
    flaky.failures["GetTicker"] = [exhausted(0.4)]
    with FinanceHubClient(flaky.address, retry=FAST_RETRY) as client:
        started = time.monotonic()
        client.market.GetTicker(symbol="2222")
        assert time.monotonic() - started >= 0.4
    assert flaky.count("GetTicker") == 2


def test_resource_exhausted_without_retry_info_or_beyond_the_cap_is_raised(flaky: FlakyServer):
    flaky.failures["GetTicker"] = [exhausted(None), exhausted(60.0)]
    with FinanceHubClient(flaky.address, retry=RetryPolicy(max_retry_delay=5.0)) as client:
        with pytest.raises(ResourceExhaustedError) as first:
            client.market.GetTicker(symbol="2222")
        assert first.value.retry_delay is None
        started = time.monotonic()
        with pytest.raises(ResourceExhaustedError) as second:
            client.market.GetTicker(symbol="2222")
        assert time.monotonic() - started < 5.0  # the 60 s were not waited for
    assert second.value.retry_delay == pytest.approx(60.0)
    assert second.value.reason == "RATE_LIMIT_EXCEEDED"
    assert flaky.count("GetTicker") == 2


def _spend_guest_budget(address: str, metadata: list[tuple[str, str]]) -> None:
    with grpc.insecure_channel(address) as raw:
        stub = market_pb2_grpc.MarketServiceStub(raw)
        for _ in range(GUEST_LIMIT_PER_MINUTE * 3):
            try:
                stub.GetTicker(market_pb2.GetTickerRequest(symbol="2222"), metadata=metadata,
                               timeout=5)
            except grpc.RpcError as error:
                assert error.code() is grpc.StatusCode.RESOURCE_EXHAUSTED  # type: ignore[attr-defined]
                return
    pytest.fail("the guest rate limit never refused a call")


def test_rate_limit_retry_info_from_the_server_is_honoured(short_lived_server: RunningServer):
    metadata = [("x-forwarded-for", unique_address())]
    _spend_guest_budget(short_lived_server.address, metadata)
    recorder = SyncRecorder()
    with FinanceHubClient(short_lived_server.address, metadata=metadata,
                          interceptors=[recorder]) as client:
        started = time.monotonic()
        assert client.market.GetTicker(symbol="2222").ticker.symbol == "2222"
        elapsed = time.monotonic() - started
    assert [a.code for a in recorder.attempts] == [grpc.StatusCode.RESOURCE_EXHAUSTED,
                                                  grpc.StatusCode.OK]
    requested = recorder.attempts[0].retry_delay
    assert requested is not None and 0 < requested <= 60 / GUEST_LIMIT_PER_MINUTE + 0.01
    assert elapsed >= requested


def test_rate_limit_error_exposes_retry_delay_and_quota(short_lived_server: RunningServer):
    metadata = [("x-forwarded-for", unique_address())]
    _spend_guest_budget(short_lived_server.address, metadata)
    with FinanceHubClient(short_lived_server.address, metadata=metadata,
                          retry=RetryPolicy(max_retry_delay=0.0)) as client:
        with pytest.raises(ResourceExhaustedError) as refused:
            client.market.GetTicker(symbol="2222")
    error = refused.value
    assert error.reason == "RATE_LIMIT_EXCEEDED"
    assert error.retry_delay is not None and error.retry_delay > 0
    assert error.quota_violations and error.metadata["limit"] == str(GUEST_LIMIT_PER_MINUTE)


# --- pagination -----------------------------------------------------------------------------------


def _list_all_pages(channel: grpc.Channel) -> list[market_pb2.ListTickersResponse]:
    stub = market_pb2_grpc.MarketServiceStub(channel)
    found, token = [], ""
    while True:
        page = stub.ListTickers(market_pb2.ListTickersRequest(
            sector=SECTOR, page_size=7, page_token=token), timeout=10)
        found.append(page)
        token = page.next_page_token
        if not token:
            return found


def test_iter_tickers_yields_every_page_in_order(server: RunningServer, channel: grpc.Channel):
    expected_pages = _list_all_pages(channel)
    expected = [ticker for page in expected_pages for ticker in page.tickers]
    assert len(expected_pages) > 2
    assert len(expected) == expected_pages[0].total_size
    recorder = SyncRecorder()
    with FinanceHubClient(server.address, interceptors=[recorder]) as client:
        tickers = list(client.market.iter_tickers(sector=SECTOR, page_size=7))
        assert tickers == expected
        assert {ticker.sector for ticker in tickers} == {SECTOR}
        assert recorder.methods().count("ListTickers") == len(expected_pages)

        fetched = pages(client.market.ListTickers,
                        market_pb2.ListTickersRequest(sector=SECTOR, page_size=7))
        assert list(fetched) == expected_pages

        recorder.attempts.clear()
        first_three = list(itertools.islice(
            client.market.iter_tickers(market_pb2.ListTickersRequest(
                sector=SECTOR, page_size=7)), 3))
        assert first_three == expected[:3]
        assert recorder.methods() == ["ListTickers"]  # pages are fetched lazily


def test_paginate_any_list_rpc(server: RunningServer, channel: grpc.Channel):
    stub = research_pb2_grpc.ResearchServiceStub(channel)
    expected, token = [], ""
    while True:
        page = stub.ListCorporateActions(research_pb2.ListCorporateActionsRequest(
            symbol="2222", page_size=10, page_token=token), timeout=10)
        expected.extend(page.corporate_actions)
        token = page.next_page_token
        if not token:
            break
    assert len(expected) > 10
    with FinanceHubClient(server.address) as client:
        request = research_pb2.ListCorporateActionsRequest(symbol="2222", page_size=10)
        assert list(paginate(client.research.ListCorporateActions, request,
                             "corporate_actions")) == expected
        assert list(client.research.iter_corporate_actions(symbol="2222",
                                                           page_size=10)) == expected


# --- errors and requests --------------------------------------------------------------------------


def test_errors_expose_reason_field_violations_and_request_id(server: RunningServer,
                                                               channel: grpc.Channel):
    raw_bad = rpc_error(market_pb2_grpc.MarketServiceStub(channel).GetTicker,
                        market_pb2.GetTickerRequest(symbol="!!"), timeout=5)
    with FinanceHubClient(server.address) as client:
        with pytest.raises(InvalidArgumentError) as bad:
            client.market.GetTicker(symbol="!!")
        with pytest.raises(NotFoundError) as missing:
            client.market.GetTicker(market_pb2.GetTickerRequest(symbol="9999"))
    error = bad.value
    assert isinstance(error, grpc.RpcError) and isinstance(error, FinanceHubError)
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason == error_reason(raw_bad) and error.reason
    assert error.domain == "financehub.sa"
    assert "symbol" in error.fields
    assert [v.field for v in error.field_violations] == violated_fields(raw_bad)
    assert all(v.description for v in error.field_violations)
    assert error.request_id and error.metadata["request_id"] == error.request_id
    assert "symbol" in str(error) and error.reason in str(error)

    assert missing.value.code is grpc.StatusCode.NOT_FOUND
    assert missing.value.reason == "TICKER_NOT_FOUND"
    assert missing.value.resource_name == "9999"
    assert missing.value.request_id


def test_requests_are_checked_before_sending(server: RunningServer):
    with FinanceHubClient(server.address) as client:
        with pytest.raises(TypeError, match="no field 'symbl'"):
            client.market.GetTicker(symbl="2222")
        with pytest.raises(TypeError, match="not both"):
            client.market.GetTicker(market_pb2.GetTickerRequest(symbol="2222"), symbol="1120")
        with pytest.raises(TypeError, match="takes a financehub.v1.GetTickerRequest"):
            client.market.GetTicker(market_pb2.ListTickersRequest())  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="not a OrderSide"):
            client.trading.PlaceOrder(symbol="2222", side="sideways")
        with pytest.raises(TypeError, match="exact"):
            client.trading.PlaceOrder(symbol="2222", limit_price=27.5)


# --- streams --------------------------------------------------------------------------------------


def test_stream_quotes_yields_the_snapshot_and_cancels(server: RunningServer,
                                                       api_key_secret: str):
    with FinanceHubClient(server.address, api_key=api_key_secret) as client:
        with client.quotes.StreamQuotes(symbols=["2222", "1120"], timeout=30) as stream:
            snapshot = [next(stream) for _ in range(2)]
        assert {event.quote.symbol for event in snapshot} == {"2222", "1120"}
        assert all(event.snapshot and event.quote.price > 0 for event in snapshot)

        with pytest.raises(InvalidArgumentError) as refused:
            next(iter(client.quotes.StreamQuotes(symbols=["!!"], timeout=10)))
        assert refused.value.field_violations


# --- asyncio --------------------------------------------------------------------------------------


def test_async_client_does_the_same(server: RunningServer, channel: grpc.Channel,
                                    account: Account, api_key_secret: str):
    expected = [t for page in _list_all_pages(channel) for t in page.tickers]
    user = create_account(server, label="sdk-async-promoted")
    admin = create_account(server, Role.ADMIN, label="sdk-async-admin")

    async def scenario() -> None:
        async with AsyncFinanceHubClient(server.address, api_key=api_key_secret) as client:
            assert (await client.auth.GetMe()).user.email == account.email
            ticker = await client.market.GetTicker(symbol="2222.SR")
            assert ticker.ticker.symbol == "2222"
            assert [t async for t in client.market.iter_tickers(sector=SECTOR,
                                                                page_size=7)] == expected
            with pytest.raises(InvalidArgumentError) as bad:
                await client.market.GetTicker(symbol="!!")
            assert "symbol" in bad.value.fields
            with pytest.raises(NotFoundError) as missing:
                await client.market.GetTicker(symbol="9999")
            assert missing.value.reason == "TICKER_NOT_FOUND"
            async with client.quotes.StreamQuotes(symbols=["2222"], timeout=30) as stream:
                async for event in stream:
                    assert event.snapshot and event.quote.symbol == "2222"
                    break

        recorder = AsyncRecorder()
        async with AsyncFinanceHubClient(server.address, email=user.email,
                                         password=user.password,
                                         interceptors=[recorder]) as client, \
                AsyncFinanceHubClient(server.address, email=admin.email,
                                      password=admin.password) as operator:
            answers = await asyncio.gather(*(client.auth.GetMe() for _ in range(10)))
            assert {answer.user.email for answer in answers} == {user.email}
            assert recorder.methods().count("Login") == 1  # concurrent calls, one login
            await operator.admin.SetUserRole(user_id=user.user_id, role="PREMIUM")
            assert (await client.auth.GetMe()).user.role == identity_pb2.ROLE_PREMIUM
            assert recorder.outcomes()[-3:] == [
                ("GetMe", grpc.StatusCode.UNAUTHENTICATED),
                ("RefreshToken", grpc.StatusCode.OK),
                ("GetMe", grpc.StatusCode.OK),
            ]

    asyncio.run(scenario())


def test_async_client_retries(flaky: FlakyServer):
    flaky.failures["GetTicker"] = [unavailable(), exhausted(0.2)]
    flaky.failures["ResetAccount"] = [unavailable()]

    async def scenario() -> None:
        async with AsyncFinanceHubClient(flaky.address, retry=FAST_RETRY) as client:
            started = time.monotonic()
            assert (await client.market.GetTicker(symbol="1120")).ticker.symbol == "1120"
            assert time.monotonic() - started >= 0.2
            with pytest.raises(UnavailableError):
                await client.trading.ResetAccount()

    asyncio.run(scenario())
    assert flaky.count("GetTicker") == 3
    assert flaky.count("ResetAccount") == 1


# --- the README's examples ------------------------------------------------------------------------


def readme_examples() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README.read_text(), re.DOTALL | re.MULTILINE)


def test_readme_has_the_documented_examples():
    examples = readme_examples()
    assert len(examples) >= 9
    text = "\n".join(examples)
    for needle in ("api_key=", "password=", "GetTicker", "iter_tickers(sector=", "paginate(",
                   "StreamQuotes", "PlaceOrder", "field_violations", "AsyncFinanceHubClient",
                   "RetryPolicy("):
        assert needle in text, f"no README example uses {needle}"


@pytest.fixture
def example_env(server: RunningServer, channel: grpc.Channel, account: Account,
                api_key_secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINANCEHUB_")}
    env.update(FINANCEHUB_TARGET=server.address, FINANCEHUB_API_KEY=api_key_secret,
               FINANCEHUB_EMAIL=account.email, FINANCEHUB_PASSWORD=account.password)
    return env


@pytest.mark.parametrize("index", range(len(readme_examples())))
def test_readme_example_runs(index: int, example_env: dict[str, str], tmp_path: Path):
    code = readme_examples()[index]
    script = tmp_path / f"example_{index}.py"
    script.write_text(code)
    result = subprocess.run([sys.executable, str(script)], env=example_env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, (
        f"README example {index} failed ({result.returncode}):\n{code}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    assert result.stdout.strip(), "the example printed nothing"


# --- the package ----------------------------------------------------------------------------------


def _stub_files() -> dict[str, bytes]:
    return {str(path.relative_to(STUBS_ROOT)): path.read_bytes()
            for path in sorted((STUBS_ROOT / "financehub").rglob("*"))
            if path.suffix in (".py", ".pyi")}


def _build_wheel(source: Path, out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(out), str(source)],
                   check=True, timeout=300, capture_output=True)
    (wheel,) = out.glob("financehub_client-0.1.0-*.whl")
    return wheel


def _check_wheel(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name, content in _stub_files().items():
            assert name in names, f"{name} missing from the wheel"
            assert archive.read(name) == content, f"{name} in the wheel is stale"
        assert {"financehub/v1/py.typed", "financehub/options/v1/py.typed",
                "financehub_client/py.typed", "financehub_client/_services.py"} <= names
        assert "financehub/__init__.py" not in names  # a namespace package, as in generated/
        metadata = archive.read("financehub_client-0.1.0.dist-info/METADATA").decode()
    for requirement in ("grpcio==1.85.1", "grpcio-status==1.85.1",
                        "googleapis-common-protos==1.76.0", "protobuf"):
        assert f"Requires-Dist: {requirement}" in metadata


def _checkout_copy(tmp_path: Path) -> Path:
    """clients/python and generated/python as a fresh clone has them (no build leftovers),
    so that building leaves the working tree alone."""
    ignore = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", "_generated")
    copy = tmp_path / "checkout"
    shutil.copytree(SDK_ROOT, copy / "clients" / "python", ignore=ignore)
    shutil.copytree(STUBS_ROOT, copy / "generated" / "python", ignore=ignore)
    return copy / "clients" / "python"


def test_wheel_and_sdist_ship_the_generated_stubs(tmp_path: Path):
    sdk = _checkout_copy(tmp_path)
    _check_wheel(_build_wheel(sdk, tmp_path / "wheel"))

    built = subprocess.run(
        [sys.executable, "-c", "import sys; from setuptools import build_meta; "
                               "print(build_meta.build_sdist(sys.argv[1]))",
         str(tmp_path / "sdist")],
        cwd=sdk, check=True, capture_output=True, text=True, timeout=300)
    sdist = tmp_path / "sdist" / built.stdout.strip().splitlines()[-1]
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
        assert all(".." not in name.split("/") for name in members)
        archive.extractall(tmp_path / "unpacked", filter="data")
    (unpacked,) = (tmp_path / "unpacked").iterdir()
    assert (unpacked / "_generated" / "financehub" / "v1" / "market_pb2.py").exists()
    assert (unpacked / "README.md").exists()
    _check_wheel(_build_wheel(unpacked, tmp_path / "from-sdist"))


def test_installed_wheel_works_on_its_own(server: RunningServer, tmp_path: Path):
    """Installed alone (no checkout on the path): the stubs come from the wheel."""
    wheel = _build_wheel(_checkout_copy(tmp_path), tmp_path / "wheel")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(wheel)], check=True, timeout=300,
                   capture_output=True)
    dependencies = Path(grpc.__file__).resolve().parents[1]  # grpc, protobuf, googleapis
    program = (
        "import sys\n"
        f"sys.path[:0] = [{str(target)!r}, {str(dependencies)!r}]\n"
        "import financehub.v1.market_pb2 as stubs\n"
        "from financehub_client import FinanceHubClient\n"
        f"assert stubs.__file__.startswith({str(target)!r}), stubs.__file__\n"
        f"with FinanceHubClient({server.address!r}) as client:\n"
        "    print(client.market.GetTicker(symbol='2222').ticker.symbol)\n"
    )
    # -S: no site-packages .pth files, so neither the checkout's generated/python nor an
    # editable install of the SDK is on the path.
    result = subprocess.run([sys.executable, "-S", "-c", program], capture_output=True,
                            text=True, timeout=60, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2222"


def test_typed_accessors_are_fresh():
    result = subprocess.run([sys.executable, str(SDK_ROOT / "scripts" / "generate_services.py"),
                             "--check"], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr


def test_every_rpc_of_the_contract_has_a_typed_method():
    from financehub_client import _services

    checked = 0
    for path in sorted((STUBS_ROOT / "financehub" / "v1").glob("*_pb2.py")):
        module = importlib.import_module(f"financehub.v1.{path.stem}")
        for service in module.DESCRIPTOR.services_by_name.values():
            sync_class = getattr(_services, service.name)
            async_class = getattr(_services, f"Async{service.name}")
            accessor = path.stem.removesuffix("_pb2")
            for holder, kind in ((_services.SyncServices, service.name),
                                 (_services.AsyncServices, f"Async{service.name}")):
                getter: Callable[..., Any] = getattr(holder, accessor).fget
                assert getter.__annotations__["return"] == kind
            for method in service.methods:
                assert callable(getattr(sync_class, method.name))
                is_coroutine = inspect.iscoroutinefunction(getattr(async_class, method.name))
                assert is_coroutine is not method.server_streaming, method.full_name
                checked += 1
    assert checked > 60
