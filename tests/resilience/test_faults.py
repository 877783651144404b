"""Faults: the parts the server depends on fail under load, for real, and the promises hold.

- Redis (a private redis-server, SIGKILLed mid-load and started again on its port): no
  read fails, the rate limiter falls back to per-process limits, the cache resumes.
- Postgres (`pg_terminate_backend` on the server's pooled connections, over and over,
  during reads and orders): every answer is OK or a clean refusal, every order is
  committed exactly once, the ledger adds up, and the pool recovers.
- SIGTERM to `python -m server` with streams and unary calls open: every stream ends with
  a status and the process exits 0 within the grace period.
- Envoy (the real binary, crashed and stopped, started again on the same ports): JSON,
  gRPC-Web and gRPC clients fail only while it is down, only with connection errors, and
  recover within a bounded time.
"""

import http.client
import itertools
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from financehub_client import FinanceHubClient, FinanceHubError, RetryPolicy
from google.type import decimal_pb2

from financehub.v1 import (
    charts_pb2,
    charts_pb2_grpc,
    market_pb2,
    market_pb2_grpc,
    quotes_pb2,
    quotes_pb2_grpc,
    trading_pb2,
    trading_pb2_grpc,
)
from server.domain.access import Role
from server.domain.securities import Market
from server.domain.ticks import price_limits
from server.storage.backends import Backends
from server.storage.cache import KEY_PREFIX as CACHE_KEY_PREFIX
from server.storage.database import APPLICATION_NAME
from tests.e2e.conftest import running_envoy
from tests.e2e.test_grpc_web import DATA_FRAME, TRAILER_FRAME, frame, parse_frames, parse_trailers
from tests.resilience.conftest import Recorder
from tests.support.identity import (
    bearer,
    call_metadata,
    create_account,
    error_info,
    fetch_all,
    login,
    unique_address,
)
from tests.support.internals import leaked_marker
from tests.support.private_redis import PrivateRedis
from tests.support.server_process import ServerProcess, server_env, start_server, stop, wait_serving
from tests.support.services import (
    TEST_SERVER_ENV,
    EventLoopThread,
    RunningServer,
    free_port,
    start_test_server,
)

AREA = "Faults"
Metadata = tuple[tuple[str, str], ...]

GET_TICKER = "/financehub.v1.MarketService/GetTicker"


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(interval)


def describe(error: BaseException) -> str:
    if isinstance(error, grpc.RpcError):
        return f"{error.code()}: {error.details()}"  # type: ignore[attr-defined]
    return repr(error)


# --- 1. Redis killed during a load of reads ----------------------------------------------------

GUEST_LIMIT = 20
READERS = 4
READS_PER_PHASE = 40  # per reader, in each of: before the kill, Redis down, after the restart
CACHE_RESUME_S = 15.0  # the cache and the limiter probe a dead Redis again every 5 s


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.close()


@pytest.fixture
def server_on_private_redis(seeded: Backends,
                            private_redis: PrivateRedis) -> Iterator[RunningServer]:
    loop = EventLoopThread()
    running = start_test_server(
        Backends(database_url=seeded.database_url, redis_url=private_redis.url()), loop,
        FINANCEHUB_RATE_LIMIT_GUEST=str(GUEST_LIMIT))
    yield running
    loop.run(running.app.stop(grace_s=1))
    loop.close()


def one_read(channel: grpc.Channel, metadata: Metadata, n: int) -> None:
    """A cacheable read (four kinds in turn), checked for content."""
    market = market_pb2_grpc.MarketServiceStub(channel)
    kind = n % 4
    if kind in (0, 3):
        symbol = "2222" if kind == 0 else "1120"
        reply = market.GetTicker(market_pb2.GetTickerRequest(symbol=symbol),
                                 metadata=metadata, timeout=10)
        assert reply.ticker.symbol == symbol, reply
    elif kind == 1:
        bars = charts_pb2_grpc.ChartServiceStub(channel).GetBars(
            charts_pb2.GetBarsRequest(symbol="1120"), metadata=metadata, timeout=10)
        assert len(bars.bars) > 200, len(bars.bars)
    else:
        listed = market.ListTickers(market_pb2.ListTickersRequest(page_size=20),
                                    metadata=metadata, timeout=10)
        assert len(listed.tickers) == 20, len(listed.tickers)


def guest_calls_until_refused(channel: grpc.Channel, address: str) -> tuple[int, grpc.RpcError]:
    """GetTicker as a guest from `address` until refused: (calls allowed, the refusal)."""
    market = market_pb2_grpc.MarketServiceStub(channel)
    metadata = call_metadata(address=address)
    for allowed in range(2 * GUEST_LIMIT + 1):
        try:
            market.GetTicker(market_pb2.GetTickerRequest(symbol="2222"), metadata=metadata,
                             timeout=10)
        except grpc.RpcError as error:
            return allowed, error
    pytest.fail(f"{2 * GUEST_LIMIT + 1} guest calls from one address, none refused")


def test_redis_killed_during_reads(server_on_private_redis: RunningServer,
                                   private_redis: PrivateRedis, resilience: Recorder) -> None:
    server = server_on_private_redis
    total = READERS * READS_PER_PHASE * 3
    resilience(
        area=AREA, probe="Redis killed during a load of reads",
        tried=f"{READERS} signed-in clients made {total} cacheable reads (GetTicker, GetBars, "
              f"ListTickers) against a server on a private redis-server; it was SIGKILLed "
              f"mid-load, {READERS * READS_PER_PHASE} reads ran with it down, then it was "
              f"started again (empty) on the same port; a guest limited to {GUEST_LIMIT} "
              f"calls a minute spent its shared budget before the kill and called again "
              f"during the outage",
        cases=total + 2 * (GUEST_LIMIT + 1),
        held="no read failed; during the outage the spent guest got a fresh per-process "
             f"budget of exactly {GUEST_LIMIT} calls and the next was refused "
             "RESOURCE_EXHAUSTED (limited locally, neither open nor closed); after the "
             "restart cached answers and rate-limit buckets were written to Redis again")
    with grpc.insecure_channel(server.address) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        account = create_account(server, Role.USER)
        metadata = bearer(login(channel, account, address=unique_address()).tokens.access_token)
        guest = unique_address()
        allowed, refusal = guest_calls_until_refused(channel, guest)  # Redis up: shared bucket
        assert allowed == GUEST_LIMIT
        assert refusal.code() == grpc.StatusCode.RESOURCE_EXHAUSTED  # type: ignore[attr-defined]
        assert private_redis.client().keys("fh:rl:*"), "the limiter did not use Redis"

        done = Counter[int]()
        lock = threading.Lock()
        failures: list[str] = []
        killed, restarted = threading.Event(), threading.Event()

        def reader(index: int) -> None:
            for phase, gate in enumerate((None, killed, restarted)):
                if gate is not None and not gate.wait(timeout=60):
                    failures.append(f"reader {index}: gate of phase {phase} never opened")
                    return
                for n in range(READS_PER_PHASE):
                    try:
                        one_read(channel, metadata, index + n)
                    except (grpc.RpcError, AssertionError) as error:
                        failures.append(f"phase {phase} read {n}: {describe(error)}")
                    with lock:
                        done[phase] += 1

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
        for thread in threads:
            thread.start()
        try:
            # Mid-load: half the first phase done, the other half in flight.
            wait_until(lambda: done[0] >= READERS * READS_PER_PHASE // 2, 30,
                       "half the reads before the kill")
            private_redis.kill()
            killed.set()
            allowed, refusal = guest_calls_until_refused(channel, guest)  # Redis down
            wait_until(lambda: done[1] == READERS * READS_PER_PHASE, 60,
                       "the reads with Redis down")
            private_redis.start()
            restarted.set()
        finally:
            killed.set()
            restarted.set()
            for thread in threads:
                thread.join(timeout=60)
        assert not failures, failures[:10]
        assert sum(done.values()) == total
        assert allowed == GUEST_LIMIT, f"{allowed} guest calls allowed during the outage"
        assert refusal.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, describe(refusal)  # type: ignore[attr-defined]
        assert error_info(refusal).reason == "RATE_LIMIT_EXCEEDED"

        # The restarted Redis is empty: what appears in it was written after the restart.
        fresh = private_redis.client()
        tickers = itertools.cycle(["2222", "1120", "2010", "1180"])

        def cache_and_limiter_back() -> bool:
            one_read(channel, metadata, 0)
            market_pb2_grpc.MarketServiceStub(channel).GetTicker(
                market_pb2.GetTickerRequest(symbol=next(tickers)), timeout=10,
                metadata=call_metadata(address=unique_address()))
            return bool(fresh.keys(f"{CACHE_KEY_PREFIX}:*GetTicker*")
                        and fresh.keys("fh:rl:*"))

        wait_until(cache_and_limiter_back, CACHE_RESUME_S,
                   "cache entries and rate-limit buckets written to the restarted Redis",
                   interval=0.2)
        fresh.close()


# --- 2. Postgres connections killed during reads and orders ------------------------------------

TRADERS = 4
ORDERS_PER_TRADER = 24  # alternately a market buy (fills at once) and a resting limit buy
READS_DURING = 60  # per reader thread, while the connections are being killed
READ_THREADS = 2
READS_AFTER = 40
MAX_ATTEMPTS = 20
KILL_INTERVAL_S = 0.25
# Wednesday 3 December 2025, 11:00 Riyadh: continuous trading, the day after the last bar.
IN_SESSION = datetime(2025, 12, 3, 8, 0, tzinfo=UTC)
CLEAN_REFUSALS = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED)


def terminate_server_backends(database_url: str) -> int:
    """Terminate the server pool's connections to this test's own database (only them)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s "
            "AND pid <> pg_backend_pid()", (APPLICATION_NAME,)).fetchall()
    return sum(1 for row in rows if row[0])


@dataclass
class Trader:
    user_id: str
    metadata: Metadata
    client_ids: list[str] = field(default_factory=list)


@dataclass
class OrderLog:
    answers: dict[str, list[str]] = field(default_factory=dict)  # client id -> order ids
    refusals: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def clean_refusal(error: grpc.RpcError) -> str | None:
    """The refusal's code when it is a clean, retryable one (with its ErrorInfo), else None."""
    code = error.code()  # type: ignore[attr-defined]
    if code not in CLEAN_REFUSALS:
        return None
    try:
        reason = error_info(error).reason
    except AssertionError:
        return None
    message = str(error.details())  # type: ignore[attr-defined]
    if leaked_marker(message) is not None:
        return None
    return f"{code.name}/{reason}"


def order_request(trader: int, n: int, reference: Decimal, lower: Decimal,
                  client_id: str) -> trading_pb2.PlaceOrderRequest:
    request = trading_pb2.PlaceOrderRequest(
        client_order_id=client_id, symbol="2222", side=trading_pb2.ORDER_SIDE_BUY,
        time_in_force=trading_pb2.TIME_IN_FORCE_DAY, quantity=1 + (trader + n) % 3)
    if n % 2:
        request.type = trading_pb2.ORDER_TYPE_LIMIT
        request.limit_price.CopyFrom(decimal_pb2.Decimal(value=str(lower)))
    else:
        request.type = trading_pb2.ORDER_TYPE_MARKET
    return request


def assert_accounts_consistent(database_url: str, user_ids: list[str]) -> None:
    """The paper broker's invariants, for these users' accounts."""
    accounts = fetch_all(database_url, """
        SELECT a.id, a.cash, a.reserved_cash,
          (SELECT COALESCE(sum(amount), 0) FROM ledger_entries l WHERE l.account_id = a.id)
            AS ledger,
          (SELECT count(*) FROM ledger_entries l
            WHERE l.account_id = a.id AND l.kind = 'DEPOSIT') AS deposits,
          (SELECT COALESCE(sum(reserved_cash), 0) FROM orders o WHERE o.account_id = a.id
            AND o.status IN ('ACCEPTED', 'NEW', 'PARTIALLY_FILLED')) AS held_by_open_orders
        FROM trading_accounts a WHERE a.user_id = ANY(%s::uuid[])""", (user_ids,))
    assert len(accounts) == len(user_ids), accounts
    for row in accounts:
        assert row["deposits"] == 1, row
        assert Decimal(row["cash"]) == Decimal(row["ledger"]), row
        assert Decimal(row["reserved_cash"]) == Decimal(row["held_by_open_orders"]), row
    # Each fill booked exactly once, by its net amount; each position is the sum of fills.
    assert not fetch_all(database_url, """
        SELECT f.id FROM fills f JOIN trading_accounts a ON a.id = f.account_id
        LEFT JOIN ledger_entries l ON l.fill_id = f.id
        WHERE a.user_id = ANY(%s::uuid[])
        GROUP BY f.id, f.net HAVING count(l.id) <> 1 OR sum(l.amount) <> f.net""", (user_ids,))
    assert not fetch_all(database_url, """
        SELECT p.account_id FROM positions p JOIN trading_accounts a ON a.id = p.account_id
        WHERE a.user_id = ANY(%s::uuid[]) AND p.quantity <> (
          SELECT COALESCE(sum(quantity), 0) FROM fills f
          WHERE f.account_id = p.account_id AND f.symbol = p.symbol)""", (user_ids,))


def test_postgres_connections_killed_during_reads_and_orders(
        server: RunningServer, channel: grpc.Channel, seeded: Backends,
        monkeypatch: pytest.MonkeyPatch, resilience: Recorder) -> None:
    orders_total = TRADERS * ORDERS_PER_TRADER
    reads_total = READ_THREADS * READS_DURING + READS_AFTER
    resilience(
        area=AREA, probe="Postgres connections killed during reads and orders",
        tried=f"{TRADERS} users placed {orders_total} orders (market buys that fill at once, "
              f"limit buys that rest), each with its own client_order_id, from {TRADERS} "
              f"threads, while {READ_THREADS} threads made {READ_THREADS * READS_DURING} "
              f"account and order reads and every {int(KILL_INTERVAL_S * 1000)} ms all of "
              f"the server pool's connections were terminated (pg_terminate_backend); "
              f"refused orders were sent again with the same client_order_id; then "
              f"{READS_AFTER} reads with the killing stopped",
        cases=orders_total + reads_total,
        held="every answer was OK or a clean UNAVAILABLE/ABORTED refusal with ErrorInfo "
             "(never INTERNAL or UNKNOWN); every order is in the table exactly once, every "
             "OK answer names it and replays answer the same order; cash equals the "
             "ledger, reservations equal the open orders', each fill is booked once, "
             "positions equal their fills, one deposit per account; every read after the "
             "killing stopped succeeded")
    database_url = seeded.database_url
    readings = itertools.count()
    monkeypatch.setattr(server.app.broker, "clock",
                        lambda: IN_SESSION + timedelta(milliseconds=next(readings)))
    reference = Decimal(str(fetch_all(
        database_url, "SELECT close FROM daily_bars WHERE symbol = '2222' "
                      "ORDER BY trade_date DESC LIMIT 1")[0]["close"]))
    server.loop.run(server.app.broker.set_quote("2222", reference))
    lower = price_limits(reference, Market.MAIN).lower

    traders = []
    for _ in range(TRADERS):
        account = create_account(server, Role.USER)
        traders.append(Trader(account.user_id,
                              bearer(login(channel, account).tokens.access_token)))
    trading = trading_pb2_grpc.TradingServiceStub(channel)
    log = OrderLog()
    lock = threading.Lock()
    load_done = threading.Event()
    kills: list[int] = []

    def killer() -> None:
        while not load_done.wait(KILL_INTERVAL_S):
            kills.append(terminate_server_backends(database_url))

    def place_orders(index: int, trader: Trader) -> None:
        run = uuid.uuid4().hex[:8]
        for n in range(ORDERS_PER_TRADER):
            client_id = f"fault-{run}-{index}-{n}"
            trader.client_ids.append(client_id)
            request = order_request(index, n, reference, lower, client_id)
            for _ in range(MAX_ATTEMPTS):
                try:
                    reply = trading.PlaceOrder(request, metadata=trader.metadata, timeout=15)
                except grpc.RpcError as error:
                    kind = clean_refusal(error)
                    with lock:
                        if kind is None:
                            log.problems.append(f"PlaceOrder {client_id}: {describe(error)}")
                        else:
                            log.refusals[kind] += 1
                    if kind is None:
                        break
                    time.sleep(0.02)
                    continue
                with lock:
                    log.answers.setdefault(client_id, []).append(reply.order.order_id)
                    if reply.order.client_order_id != client_id:
                        log.problems.append(f"{client_id} answered as "
                                            f"{reply.order.client_order_id}")
                break
            else:
                with lock:
                    log.problems.append(f"{client_id} refused {MAX_ATTEMPTS} times")

    read_refusals = Counter[str]()

    def read(trader: Trader, n: int) -> None:
        if n % 2:
            trading.GetAccount(trading_pb2.GetAccountRequest(), metadata=trader.metadata,
                               timeout=15)
        else:
            trading.ListOrders(trading_pb2.ListOrdersRequest(page_size=20),
                               metadata=trader.metadata, timeout=15)

    def reader(index: int) -> None:
        for n in range(READS_DURING):
            try:
                read(traders[(index + n) % TRADERS], n)
            except grpc.RpcError as error:
                kind = clean_refusal(error)
                with lock:
                    if kind is None:
                        log.problems.append(f"read {n}: {describe(error)}")
                    else:
                        read_refusals[kind] += 1

    kill_thread = threading.Thread(target=killer)
    workers = [threading.Thread(target=place_orders, args=(i, t)) for i, t in enumerate(traders)]
    workers += [threading.Thread(target=reader, args=(i,)) for i in range(READ_THREADS)]
    kill_thread.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    load_done.set()
    kill_thread.join(timeout=10)
    assert not any(worker.is_alive() for worker in workers), "the load hung"
    assert not log.problems, log.problems[:10]
    assert sum(1 for killed in kills if killed) >= 3, f"too few connections killed: {kills}"

    # The pool recovered: with the killing stopped, every read succeeds.
    for n in range(READS_AFTER):
        read(traders[n % TRADERS], n)

    sent = {client_id for trader in traders for client_id in trader.client_ids}
    assert len(sent) == orders_total
    assert set(log.answers) == sent, sent - set(log.answers)
    replayed = {cid: ids for cid, ids in log.answers.items() if len(set(ids)) != 1}
    assert not replayed, replayed
    rows = fetch_all(database_url, """
        SELECT o.client_order_id, o.id::text AS id, o.type, o.status, o.quantity,
               (SELECT count(*) FROM fills f WHERE f.order_id = o.id) AS fills
        FROM orders o JOIN trading_accounts a ON a.id = o.account_id
        WHERE a.user_id = ANY(%s::uuid[])""", ([t.user_id for t in traders],))
    stored = Counter(row["client_order_id"] for row in rows)
    assert set(stored) == sent and set(stored.values()) == {1}, stored
    by_client = {row["client_order_id"]: row for row in rows}
    assert all(by_client[cid]["id"] == ids[0] for cid, ids in log.answers.items())
    for row in rows:
        if row["type"] == "MARKET":
            assert (row["status"], row["fills"]) == ("FILLED", 1), row
        else:
            assert (row["status"], row["fills"]) == ("NEW", 0), row
    assert_accounts_consistent(database_url, [t.user_id for t in traders])


# --- 3. SIGTERM with streams and calls open ----------------------------------------------------

GRACE_S = 2
EXIT_MARGIN_S = 8
QUOTE_STREAMS = 3
ORDER_STREAMS = 3
UNARY_CLIENTS = 4
STREAM_END_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


@pytest.fixture
def server_child(seeded: Backends, tmp_path: Path) -> Iterator[ServerProcess]:
    port = free_port()
    # Cheap hashing, and limits the loops below never reach (they all call as 127.0.0.1).
    cheap = {name: TEST_SERVER_ENV[name] for name in TEST_SERVER_ENV
             if name.startswith(("FINANCEHUB_ARGON2_", "FINANCEHUB_RATE_LIMIT_"))}
    process = start_server(tmp_path, server_env(
        DATABASE_URL=seeded.database_url, REDIS_URL=seeded.redis_url,
        FINANCEHUB_GRPC_HOST="127.0.0.1", FINANCEHUB_GRPC_PORT=str(port),
        FINANCEHUB_AUTO_MIGRATE="false", FINANCEHUB_WORKERS="1",
        FINANCEHUB_SHUTDOWN_GRACE_SECONDS=str(GRACE_S), FINANCEHUB_DEMO_MODE="false",
        FINANCEHUB_STREAM_HEARTBEAT_SECONDS="0.5", FINANCEHUB_MATCHER_INTERVAL_MS="0",
        **cheap))
    try:
        yield ServerProcess(process, f"127.0.0.1:{port}", tmp_path / "server.stderr")
    finally:
        stop(process)


@dataclass
class StreamEnd:
    first_message: threading.Event = field(default_factory=threading.Event)
    code: grpc.StatusCode | None = None
    detail: str = ""
    ended_at: float | None = None


def test_sigterm_with_streams_and_calls_open(server_child: ServerProcess, server: RunningServer,
                                             resilience: Recorder) -> None:
    streams_total = QUOTE_STREAMS + ORDER_STREAMS
    resilience(
        area=AREA, probe="SIGTERM with streams and calls open",
        tried=f"`python -m server` (grace {GRACE_S} s) with {QUOTE_STREAMS} StreamQuotes and "
              f"{ORDER_STREAMS} StreamOrderUpdates open (each past its first message) and "
              f"{UNARY_CLIENTS} clients calling GetTicker and GetBars in a loop, sent SIGTERM",
        cases=streams_total + UNARY_CLIENTS,
        held=f"every stream ended with a gRPC status (UNAVAILABLE or CANCELLED) within the "
             f"grace period plus {EXIT_MARGIN_S} s, never a hang; every unary call was OK, "
             f"UNAVAILABLE (draining) or CANCELLED (caught as the connections closed); "
             f"the process exited 0 within the grace period plus "
             f"{EXIT_MARGIN_S} s, its last log line 'stopped', no traceback")
    account = create_account(server, Role.USER)
    with grpc.insecure_channel(server_child.address) as channel:
        wait_serving(server_child, channel)
        metadata = bearer(login(channel, account).tokens.access_token)
        quotes = quotes_pb2_grpc.QuoteServiceStub(channel)
        trading = trading_pb2_grpc.TradingServiceStub(channel)
        ends = [StreamEnd() for _ in range(streams_total)]
        deadline_s = 30.0  # a stream still open this long after its start has hung

        def consume(index: int) -> None:
            end = ends[index]
            if index < QUOTE_STREAMS:
                stream: Any = quotes.StreamQuotes(
                    quotes_pb2.StreamQuotesRequest(symbols=["2222", "1120"]),
                    timeout=deadline_s)
            else:
                stream = trading.StreamOrderUpdates(trading_pb2.StreamOrderUpdatesRequest(),
                                                    metadata=metadata, timeout=deadline_s)
            try:
                for _ in stream:
                    end.first_message.set()
                end.code = grpc.StatusCode.OK
            except grpc.RpcError as error:
                end.code = error.code()  # type: ignore[attr-defined]
                end.detail = str(error.details())  # type: ignore[attr-defined]
            end.ended_at = time.monotonic()

        stopping = threading.Event()
        unary_outcomes: list[Counter[str]] = [Counter() for _ in range(UNARY_CLIENTS)]

        def call_loop(index: int) -> None:
            market = market_pb2_grpc.MarketServiceStub(channel)
            charts = charts_pb2_grpc.ChartServiceStub(channel)
            for n in itertools.count():
                if stopping.is_set():
                    return
                try:
                    if (index + n) % 2:
                        market.GetTicker(market_pb2.GetTickerRequest(symbol="2222"), timeout=5)
                    else:
                        charts.GetBars(charts_pb2.GetBarsRequest(symbol="2222"), timeout=5)
                    unary_outcomes[index]["OK"] += 1
                except grpc.RpcError as error:
                    unary_outcomes[index][error.code().name] += 1  # type: ignore[attr-defined]
                    if server_child.process.poll() is not None:
                        return
                    time.sleep(0.02)

        threads = [threading.Thread(target=consume, args=(i,)) for i in range(streams_total)]
        threads += [threading.Thread(target=call_loop, args=(i,)) for i in range(UNARY_CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            for end in ends:
                assert end.first_message.wait(10), "a stream never got its first message"
            wait_until(lambda: all(outcome["OK"] for outcome in unary_outcomes), 10,
                       "every unary client served once")
            server_child.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            try:
                returncode = server_child.process.wait(timeout=GRACE_S + EXIT_MARGIN_S)
            except subprocess.TimeoutExpired:
                pytest.fail(f"still running {GRACE_S + EXIT_MARGIN_S} s after SIGTERM:\n"
                            f"{server_child.stderr()}")
            exited_after = time.monotonic() - signalled
        finally:
            stopping.set()
            for thread in threads:
                thread.join(timeout=deadline_s)
    assert returncode == 0, server_child.stderr()
    assert exited_after < GRACE_S + EXIT_MARGIN_S
    for end in ends:
        assert end.code in STREAM_END_CODES, (end.code, end.detail)
        assert end.ended_at is not None and end.ended_at - signalled < GRACE_S + EXIT_MARGIN_S
    for outcome in unary_outcomes:
        # UNAVAILABLE: refused once draining began. CANCELLED: a call caught between the
        # client sending it and the server closing its connections (grpc cancels it; the
        # server's access log never sees it).
        assert set(outcome) <= {"OK", "UNAVAILABLE", "CANCELLED"}, outcome
    assert server_child.log_lines()[-1]["message"] == "stopped"
    assert "Traceback" not in server_child.stderr()


# --- 4. Envoy crashed and restarted ------------------------------------------------------------

RECOVERY_S = 5.0  # from Envoy ready again to a client's first success
OUTAGES = ("SIGKILL", "SIGTERM")
# The native gRPC client is our Python SDK with its default channel options (its reconnect
# backoff is what makes recovery quick) and retries off, so that the outage shows.
CLIENT_KINDS = ("json", "grpc-web", "python-sdk")


@dataclass
class ClientLog:
    kind: str
    events: list[tuple[float, str]] = field(default_factory=list)  # (when, "ok" | error)

    def successes_after(self, moment: float) -> int:
        return sum(1 for when, outcome in self.events if when >= moment and outcome == "ok")


def connection_error(error: BaseException) -> bool:
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        return isinstance(error.reason, ConnectionError | OSError)
    return isinstance(error, ConnectionError | http.client.RemoteDisconnected
                      | http.client.IncompleteRead | TimeoutError)


def json_call(base_url: str) -> None:
    with urllib.request.urlopen(base_url + "/v1/tickers/2222", timeout=5) as answer:  # noqa: S310
        assert answer.status == 200
        body = answer.read()
    assert b'"symbol":"2222"' in body, body[:200]


def grpc_web_call(base_url: str) -> None:
    request = urllib.request.Request(
        base_url + GET_TICKER, method="POST",
        data=frame(market_pb2.GetTickerRequest(symbol="2222").SerializeToString()),
        headers={"content-type": "application/grpc-web+proto", "x-grpc-web": "1"})
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
        assert answer.status == 200
        frames = parse_frames(answer.read())
    data = [payload for flag, payload in frames if flag == DATA_FRAME]
    trailers = [parse_trailers(payload) for flag, payload in frames if flag == TRAILER_FRAME]
    assert trailers and trailers[0].get("grpc-status") == "0", trailers
    assert market_pb2.GetTickerResponse.FromString(data[0]).ticker.symbol == "2222"


def test_envoy_restarted_clients_recover(server: RunningServer, tmp_path: Path,
                                         resilience: Recorder) -> None:
    resilience(
        area=AREA, probe="Envoy restarted under client load",
        tried=f"{len(CLIENT_KINDS)} clients (JSON over HTTP, gRPC-Web, and native gRPC through "
              f"our Python SDK with its default channel options) called "
              f"GetTicker through the real Envoy in a loop while it was stopped "
              f"{len(OUTAGES)} times ({' then '.join(OUTAGES)}) and started again on the "
              f"same ports",
        cases=len(CLIENT_KINDS) * len(OUTAGES),
        held=f"every client succeeded before each stop and within {RECOVERY_S:.0f} s of "
             f"Envoy being ready again; its only failures fell between a stop and its "
             f"recovery, and were connection errors (refused, reset, UNAVAILABLE), never an "
             f"HTTP or gRPC error answer")
    ports: dict[str, int] = {}
    logs = {kind: ClientLog(kind) for kind in CLIENT_KINDS}
    stopping = threading.Event()
    stops: list[float] = []
    readies: list[float] = []

    def client(kind: str) -> None:
        base_url = f"http://127.0.0.1:{ports['http']}"
        with FinanceHubClient(f"127.0.0.1:{ports['http']}", retry=RetryPolicy.disabled(),
                              timeout=5) as sdk:
            while not stopping.is_set():
                try:
                    if kind == "json":
                        json_call(base_url)
                    elif kind == "grpc-web":
                        grpc_web_call(base_url)
                    else:
                        assert sdk.market.GetTicker(symbol="2222").ticker.symbol == "2222"
                    outcome = "ok"
                except FinanceHubError as error:
                    outcome = ("connection" if error.code == grpc.StatusCode.UNAVAILABLE
                               else f"grpc {error.code.name}: {error.message}")
                except Exception as error:  # noqa: BLE001 - classified, asserted below
                    outcome = "connection" if connection_error(error) else f"other {error!r}"
                # Stamped when the call ended: one cut by the stop fails after it.
                logs[kind].events.append((time.monotonic(), outcome))
                time.sleep(0.03)

    def all_served_since(moment: float) -> bool:
        return all(log.successes_after(moment) >= 3 for log in logs.values())

    threads: list[threading.Thread] = []
    try:
        for round_ in range(len(OUTAGES) + 1):
            workdir = tmp_path / f"envoy-{round_}"
            workdir.mkdir()
            with running_envoy(server.app.port, workdir, http_port=ports.get("http"),
                               admin_port=ports.get("admin")) as envoy:
                readies.append(time.monotonic())
                if not ports:
                    ports["http"] = int(envoy.base_url.rsplit(":", 1)[1])
                    ports["admin"] = int(envoy.admin_url.rsplit(":", 1)[1])
                    threads = [threading.Thread(target=client, args=(kind,))
                               for kind in CLIENT_KINDS]
                    for thread in threads:
                        thread.start()
                wait_until(lambda: all_served_since(readies[-1]), RECOVERY_S + 3,
                           f"every client served through Envoy start {round_ + 1}")
                if round_ == len(OUTAGES):
                    stopping.set()  # before this last Envoy stops
                    for thread in threads:
                        thread.join(timeout=10)
                    break
                stops.append(time.monotonic())
                if OUTAGES[round_] == "SIGKILL":
                    envoy.process.kill()
                else:
                    envoy.process.terminate()
                envoy.process.wait(timeout=10)
                # The outage is seen by every client before Envoy comes back.
                wait_until(lambda: all(any(when >= stops[-1] and outcome != "ok"
                                           for when, outcome in log.events)
                                       for log in logs.values()), 10,
                           "every client saw the outage")
    finally:
        stopping.set()
        for thread in threads:
            thread.join(timeout=10)

    for log in logs.values():
        bad = [outcome for _, outcome in log.events if outcome not in ("ok", "connection")]
        assert not bad, (log.kind, bad[:5])
        first_stop = stops[0]
        assert all(outcome == "ok" for when, outcome in log.events if when < first_stop), \
            log.kind
        for outage, (stopped, ready) in enumerate(zip(stops, readies[1:], strict=True)):
            recovered = min(when for when, outcome in log.events
                            if when >= ready and outcome == "ok")
            assert recovered - ready <= RECOVERY_S, (log.kind, outage, recovered - ready)
            next_stop = stops[outage + 1] if outage + 1 < len(stops) else float("inf")
            late = [when - recovered for when, outcome in log.events
                    if recovered <= when < next_stop and outcome != "ok"]
            assert not late, (log.kind, outage, "failed after recovering", late)
            assert stopped < ready
