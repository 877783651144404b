"""The load generator: a separate process (grpc.aio) driving the benchmark server.

    python -m bench.loadgen CONFIG.json

The orchestrator (`python -m bench`) writes CONFIG.json, starts this process and reads the
results file it names. Unary scenarios run closed-loop: `concurrency` workers each keep one
call in flight. Per scenario and concurrency there is a warm-up, then a measured window;
a call counts when it completes inside the window. The stream scenario opens many
StreamQuotes calls, spread over several reader processes (this module again, with a part
of the subscribers), and measures, for every live update received inside the window, the
time from the quote's `update_time` (stamped by the market simulator when it publishes the
quote) to its receipt. Progress goes to stderr, one line per measurement.
"""

import asyncio
import itertools
import json
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import grpc
from google.type import date_pb2, decimal_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from redis import Redis

from bench.stats import CpuMeter, latency_summary
from financehub.v1 import (
    auth_pb2,
    auth_pb2_grpc,
    backtests_pb2,
    backtests_pb2_grpc,
    charts_pb2,
    charts_pb2_grpc,
    market_pb2,
    market_pb2_grpc,
    quotes_pb2,
    quotes_pb2_grpc,
    securities_pb2,
    trading_pb2,
    trading_pb2_grpc,
)

GET_BARS_KEY_PATTERN = "fh:v1:financehub.v1.ChartService/GetBars:*"
TOKEN_REFRESH_AFTER_S = 10 * 60  # access tokens live 15 minutes
CHANNEL_OPTIONS = [("grpc.use_local_subchannel_pool", 1)]  # one connection per channel

Call = Callable[[], Awaitable[Any]]

# The baseline and the call compared with it run in alternating segments (see
# run_interleaved); later segments settle for this long instead of a full warm-up.
INTERLEAVED = ("baseline_health", "get_ticker_hit")
INTERLEAVE_SETTLE_S = 0.5


def progress(message: str) -> None:
    print(f"  [loadgen] {message}", file=sys.stderr, flush=True)


def date_message(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


@dataclass
class Client:
    """Channels, stubs and the benchmark principal's credentials."""

    target: str
    email: str
    password: str
    channel_count: int
    database_url: str = ""
    channels: list[grpc.aio.Channel] = field(default_factory=list)
    metadata: tuple[tuple[str, str], ...] = ()
    _token_at: float = 0.0

    async def open(self) -> None:
        self.channels = [grpc.aio.insecure_channel(self.target, options=CHANNEL_OPTIONS)
                         for _ in range(self.channel_count)]
        for channel in self.channels:
            await asyncio.wait_for(channel.channel_ready(), 10)
        await self.login()

    async def login(self) -> None:
        stub = auth_pb2_grpc.AuthServiceStub(self.channels[0])
        answer = await stub.Login(auth_pb2.LoginRequest(email=self.email,
                                                        password=self.password), timeout=10)
        self.metadata = (("authorization", f"Bearer {answer.tokens.access_token}"),)
        self._token_at = time.monotonic()

    async def fresh_metadata(self) -> tuple[tuple[str, str], ...]:
        if time.monotonic() - self._token_at > TOKEN_REFRESH_AFTER_S:
            await self.login()
        return self.metadata

    def channel(self, index: int) -> grpc.aio.Channel:
        return self.channels[index % len(self.channels)]

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


# --- unary scenarios ---------------------------------------------------------------------

@dataclass(frozen=True)
class UnaryScenario:
    name: str
    rpc: str
    note: str
    # (channel, metadata) -> a zero-argument coroutine factory making one call.
    make_call: Callable[[grpc.aio.Channel, tuple[tuple[str, str], ...]], Call]
    # Calls in flight this scenario is measured at, whatever --concurrency says.
    concurrency: tuple[int, ...] | None = None


def _health(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> Call:
    stub = health_pb2_grpc.HealthStub(channel)
    request = health_pb2.HealthCheckRequest()
    return lambda: stub.Check(request)


def _get_ticker(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> Call:
    stub = market_pb2_grpc.MarketServiceStub(channel)
    request = market_pb2.GetTickerRequest(symbol="2222")
    return lambda: stub.GetTicker(request, metadata=metadata)


def _get_quote(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> Call:
    stub = quotes_pb2_grpc.QuoteServiceStub(channel)
    request = quotes_pb2.GetQuoteRequest(symbol="2222")
    return lambda: stub.GetQuote(request, metadata=metadata)


def _bars_hit(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> Call:
    stub = charts_pb2_grpc.ChartServiceStub(channel)
    request = charts_pb2.GetBarsRequest(symbol="2222", interval=charts_pb2.INTERVAL_DAY,
                                        period=charts_pb2.PERIOD_1Y)
    return lambda: stub.GetBars(request, metadata=metadata)


class RequestSpaceExhausted(Exception):
    """More calls than distinct cache-miss requests: a longer run needs more symbols or days."""


class MissRequests:
    """GetBars 1Y daily requests that are all different (symbol x end date, shuffled with a
    fixed seed), so every call misses the cache. One sequence for the whole run: warm-up and
    both concurrencies never repeat a request."""

    def __init__(self, symbols: list[str], end_days: list[date]) -> None:
        pairs = [(symbol, day) for symbol in symbols for day in end_days]
        random.Random(2026).shuffle(pairs)
        self.available = len(pairs)
        self._pairs: Iterator[tuple[str, date]] = iter(pairs)
        self.issued = 0

    def next(self) -> charts_pb2.GetBarsRequest:
        try:
            symbol, day = next(self._pairs)
        except StopIteration:
            raise RequestSpaceExhausted from None
        self.issued += 1
        return charts_pb2.GetBarsRequest(symbol=symbol, interval=charts_pb2.INTERVAL_DAY,
                                         period=charts_pb2.PERIOD_1Y,
                                         end_date=date_message(day))


def _bars_miss(misses: MissRequests) -> Callable[..., Call]:
    def make(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> Call:
        stub = charts_pb2_grpc.ChartServiceStub(channel)
        return lambda: stub.GetBars(misses.next(), metadata=metadata)
    return make


def _list_tickers(page_tokens: list[str]) -> Callable[..., Call]:
    def make(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> Call:
        stub = market_pb2_grpc.MarketServiceStub(channel)
        requests = itertools.cycle([market_pb2.ListTickersRequest(page_size=100, page_token=t)
                                    for t in page_tokens])
        return lambda: stub.ListTickers(next(requests), metadata=metadata)
    return make


def _place_order(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> Call:
    stub = trading_pb2_grpc.TradingServiceStub(channel)
    request = trading_pb2.PlaceOrderRequest(
        symbol="2222", side=trading_pb2.ORDER_SIDE_BUY, type=trading_pb2.ORDER_TYPE_MARKET,
        time_in_force=trading_pb2.TIME_IN_FORCE_DAY, quantity=1)
    return lambda: stub.PlaceOrder(request, metadata=metadata)


def _run_backtest(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> Call:
    stub = backtests_pb2_grpc.BacktestServiceStub(channel)
    request = backtests_pb2.RunBacktestRequest(
        symbol="2222", strategy=backtests_pb2.Strategy(
            sma_crossover=backtests_pb2.SmaCrossover(fast_period=20, slow_period=50)))

    async def run() -> None:
        async for _ in stub.RunBacktest(request, metadata=metadata):
            pass

    return run


async def reset_bench_account(client: Client) -> None:
    """A fresh paper account with cash no benchmark run can spend."""
    stub = trading_pb2_grpc.TradingServiceStub(client.channels[0])
    await stub.ResetAccount(trading_pb2.ResetAccountRequest(
        starting_cash=decimal_pb2.Decimal(value="1000000000")), metadata=client.metadata)


def ledger_check(database_url: str) -> dict[str, Any]:
    """The paper-trading invariants after the load: cash equals the ledger's sum, and no
    account spent more than it had."""
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as conn:
        accounts, mismatched, negative, orders = conn.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE a.cash <> l.total),
                   count(*) FILTER (WHERE a.cash < 0 OR a.reserved_cash > a.cash),
                   (SELECT count(*) FROM orders)
            FROM trading_accounts a
            JOIN (SELECT account_id, sum(amount) AS total FROM ledger_entries
                  GROUP BY account_id) l ON l.account_id = a.id
            """).fetchone() or (0, 0, 0, 0)
    return {"accounts": accounts, "cash_not_equal_to_ledger": mismatched,
            "overspent": negative, "orders": orders,
            "holds": mismatched == 0 and negative == 0}


def screen_request() -> market_pb2.ScreenSecuritiesRequest:
    """Main-market gainers, by turnover, first page of 50."""
    request = market_pb2.ScreenSecuritiesRequest(
        market=securities_pb2.MARKET_MAIN, sort_by=market_pb2.SCREEN_SORT_KEY_TURNOVER,
        descending=True, page_size=50)
    request.change_percent.min = 0.0
    return request


def _screen(channel: grpc.aio.Channel, metadata: tuple[tuple[str, str], ...]) -> Call:
    stub = market_pb2_grpc.MarketServiceStub(channel)
    request = screen_request()
    return lambda: stub.ScreenSecurities(request, metadata=metadata)


async def list_ticker_page_tokens(client: Client) -> list[str]:
    """Every page token of ListTickers at 100 a page ('' first)."""
    stub = market_pb2_grpc.MarketServiceStub(client.channel(0))
    tokens, token = [""], ""
    while True:
        answer = await stub.ListTickers(market_pb2.ListTickersRequest(page_size=100,
                                                                      page_token=token),
                                        metadata=client.metadata, timeout=10)
        if not answer.next_page_token:
            return tokens
        token = answer.next_page_token
        tokens.append(token)


@dataclass
class Window:
    measure_from: float = math.inf
    measure_until: float = math.inf
    stopping: bool = False


async def _worker(call: Call, window: Window, latencies: list[float],
                  errors: Counter[str]) -> None:
    clock = time.perf_counter
    while not window.stopping:
        started = clock()
        try:
            await call()
        except grpc.aio.AioRpcError as error:
            if window.measure_from <= clock() <= window.measure_until:
                errors[error.code().name] += 1
            continue
        except RequestSpaceExhausted:
            errors["REQUEST_SPACE_EXHAUSTED"] += 1
            window.stopping = True
            return
        finished = clock()
        if window.measure_from <= finished <= window.measure_until:
            latencies.append(finished - started)


@dataclass
class Segment:
    """One measured stretch of one scenario."""

    duration_s: float
    latencies: list[float]
    errors: Counter[str]
    usage: dict[str, float | None]


async def measure_segment(client: Client, scenario: UnaryScenario, concurrency: int,
                          warmup_s: float, duration_s: float, cpu: CpuMeter) -> Segment:
    """`concurrency` closed-loop workers: a warm-up, then `duration_s` measured."""
    metadata = await client.fresh_metadata()
    window = Window()
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    calls = [scenario.make_call(client.channel(i), metadata) for i in range(concurrency)]
    workers = [asyncio.create_task(_worker(call, window, latencies, errors)) for call in calls]
    try:
        await asyncio.sleep(warmup_s)
        await refresh_postgres_pids(cpu, client.database_url)
        window.measure_from = time.perf_counter()
        window.measure_until = window.measure_from + duration_s
        cpu.start()
        await asyncio.sleep(duration_s)
        usage = cpu.stop(time.perf_counter() - window.measure_from)
    finally:
        window.stopping = True
        await asyncio.gather(*workers, return_exceptions=True)
    return Segment(duration_s, latencies, errors, usage)


def summarize(scenario: UnaryScenario, concurrency: int, segments: list[Segment],
              note: str = "") -> dict[str, Any]:
    duration = sum(segment.duration_s for segment in segments)
    latencies = [value for segment in segments for value in segment.latencies]
    errors: Counter[str] = Counter()
    usage: dict[str, float | None] = {}
    for segment in segments:
        errors.update(segment.errors)
    for key in segments[0].usage:
        values = [(segment.usage.get(key), segment.duration_s) for segment in segments]
        known = [(value, weight) for value, weight in values if value is not None]
        usage[key] = (round(sum(v * w for v, w in known) / sum(w for _, w in known), 1)
                      if known else None)
    result: dict[str, Any] = {
        "scenario": scenario.name, "rpc": scenario.rpc,
        "note": scenario.note + (f"; {note}" if note else ""),
        "concurrency": concurrency, "duration_s": round(duration, 3),
        "segments": len(segments), "calls": len(latencies), "errors": dict(errors),
        "qps": len(latencies) / duration if duration else 0.0,
        **latency_summary(latencies), **usage,
    }
    progress(f"{scenario.name:<22} c={concurrency:<3} {result['qps']:9.1f} calls/s  "
             f"p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms"
             + (f"  errors {dict(errors)}" if errors else ""))
    return result


async def run_unary(client: Client, scenario: UnaryScenario, concurrency: int,
                    warmup_s: float, duration_s: float, cpu: CpuMeter) -> dict[str, Any]:
    segment = await measure_segment(client, scenario, concurrency, warmup_s, duration_s, cpu)
    return summarize(scenario, concurrency, [segment])


async def run_interleaved(client: Client, pair: tuple[UnaryScenario, UnaryScenario],
                          concurrency: int, warmup_s: float, duration_s: float, rounds: int,
                          cpu: CpuMeter) -> list[dict[str, Any]]:
    """Two scenarios whose ratio matters, measured in alternating segments (A B A B ...):
    on a noisy machine both see the same conditions. Each gets `duration_s` in all."""
    segments: dict[str, list[Segment]] = {scenario.name: [] for scenario in pair}
    for round_index in range(rounds):
        for scenario in pair:
            settle = warmup_s if round_index == 0 else min(warmup_s, INTERLEAVE_SETTLE_S)
            segments[scenario.name].append(await measure_segment(
                client, scenario, concurrency, settle, duration_s / rounds, cpu))
    note = f"measured in {rounds} segments alternating with {{other}}"
    return [summarize(scenario, concurrency, segments[scenario.name],
                      note.format(other=pair[1 - index].name))
            for index, scenario in enumerate(pair)]


def postgres_backend_pids(database_url: str) -> list[int]:
    """The Postgres processes serving the benchmark database (the server's pools)."""
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as conn:
        return [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")]


async def refresh_postgres_pids(cpu: CpuMeter, database_url: str) -> None:
    """After the warm-up, when the server's pools have grown to what the load needs."""
    cpu.groups["postgres"] = await asyncio.to_thread(postgres_backend_pids, database_url)


def count_keys(redis_url: str, pattern: str) -> int:
    client = Redis.from_url(redis_url)
    try:
        return sum(1 for _ in client.scan_iter(match=pattern, count=1000))
    finally:
        client.close()


# --- streaming ---------------------------------------------------------------------------

@dataclass
class StreamState:
    window: Window
    latencies: list[float] = field(default_factory=list)
    ready: int = 0
    all_ready: asyncio.Event = field(default_factory=asyncio.Event)
    subscribers: int = 0
    snapshot_quotes: int = 0
    heartbeats: int = 0
    gaps: int = 0
    dropped: int = 0
    updates_total: int = 0
    updates_in_window: int = 0
    failures: Counter[str] = field(default_factory=Counter)


async def _read_stream(call: Any, state: StreamState) -> None:
    window = state.window
    now = time.time
    first = True
    try:
        async for message in call:
            if first:
                first = False
                state.ready += 1
                if state.ready == state.subscribers:
                    state.all_ready.set()
            kind = message.WhichOneof("event")
            if kind == "quote":
                if message.snapshot:
                    state.snapshot_quotes += 1
                    continue
                received = now()
                state.updates_total += 1
                if window.measure_from <= received <= window.measure_until:
                    stamp = message.quote.update_time
                    state.latencies.append(received - stamp.seconds - stamp.nanos / 1e9)
            elif kind == "gap":
                state.gaps += 1
                state.dropped += message.gap.dropped
            elif kind == "heartbeat":
                state.heartbeats += 1
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.CANCELLED:
            state.failures[error.code().name] += 1
    except asyncio.CancelledError:
        pass
    finally:
        if first:  # never got going: do not keep the others waiting
            state.subscribers -= 1
            if state.ready >= state.subscribers:
                state.all_ready.set()


def watchlists(symbols: list[str], subscribers: int, per_subscriber: int,
               common: str) -> list[list[str]]:
    """Subscriber i watches `common` (everyone watches the bellwether) plus the next
    `per_subscriber - 1` symbols of a rotating slice of the universe."""
    others = [s for s in symbols if s != common]
    lists = []
    for index in range(subscribers):
        extra = [others[(index * (per_subscriber - 1) + k) % len(others)]
                 for k in range(per_subscriber - 1)]
        lists.append([common, *extra][:per_subscriber])
    return lists


async def _read_streams(config: dict[str, Any], lists: list[list[str]],
                        state: StreamState, start_window: Callable[[], Awaitable[None]]
                        ) -> float:
    """Open one stream per watch list, call `start_window` once all have their snapshot
    (it sets the window and waits it out), then cancel them; answers the seconds the
    streams took to open."""
    stream_config = config["stream"]
    per_channel = int(stream_config["streams_per_channel"])
    channel_count = max(1, math.ceil(len(lists) / per_channel))
    client = Client(config["target"], config["email"], config["password"], channel_count)
    await client.open()
    calls = []
    tasks = []
    try:
        opened = time.perf_counter()
        for index, symbols in enumerate(lists):
            stub = quotes_pb2_grpc.QuoteServiceStub(client.channel(index))
            call = stub.StreamQuotes(quotes_pb2.StreamQuotesRequest(symbols=symbols),
                                     metadata=client.metadata)
            calls.append(call)
            tasks.append(asyncio.create_task(_read_stream(call, state)))
        try:
            await asyncio.wait_for(state.all_ready.wait(), 60)
        except TimeoutError:
            progress(f"stream: only {state.ready} of {len(lists)} subscribers got their "
                     "snapshot within 60 s; measuring those")
        open_s = time.perf_counter() - opened
        await start_window()
    finally:
        for call in calls:
            call.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.close()
    return open_s


def _part_result(state: StreamState, open_s: float) -> dict[str, Any]:
    return {"latencies": state.latencies, "ready": state.ready, "open_s": open_s,
            "updates_in_window_total": state.updates_in_window,
            "snapshot_quotes": state.snapshot_quotes, "heartbeats": state.heartbeats,
            "gap_markers": state.gaps, "updates_dropped": state.dropped,
            "failures": dict(state.failures)}


async def run_stream_part(config: dict[str, Any]) -> dict[str, Any]:
    """One reader process of the stream scenario: opens its share of the subscribers, says
    "ready" on stdout, reads the window's bounds (epoch seconds) from stdin, measures."""
    part = config["stream_part"]
    state = StreamState(Window(), subscribers=len(part["lists"]))

    async def start_window() -> None:
        print("ready", flush=True)
        line = await asyncio.to_thread(sys.stdin.readline)
        state.window.measure_from, state.window.measure_until = map(float, line.split())
        await asyncio.sleep(max(0.0, state.window.measure_from - time.time()))
        before = state.updates_total
        await asyncio.sleep(max(0.0, state.window.measure_until - time.time()))
        state.updates_in_window = state.updates_total - before

    open_s = await _read_streams(config, part["lists"], state, start_window)
    return _part_result(state, open_s)


async def run_stream(config: dict[str, Any], cpu: CpuMeter) -> dict[str, Any]:
    """The stream scenario, read by `processes` reader processes: one Python process
    cannot take in 1,000 streams' bursts as fast as they come, and its own queue would be
    measured as delivery latency."""
    stream_config = config["stream"]
    subscribers = int(stream_config["subscribers"])
    processes = max(1, min(int(stream_config["processes"]), subscribers))
    lists = watchlists(config["stream_symbols"], subscribers,
                       int(stream_config["symbols_per_subscriber"]),
                       stream_config["common_symbol"])
    shares = [lists[k::processes] for k in range(processes)]
    with tempfile.TemporaryDirectory(prefix="fh-stream-") as work:
        readers = []
        for k, share in enumerate(shares):
            part_path = Path(work) / f"part-{k}.json"
            part_path.write_text(json.dumps({**config, "stream_part": {"lists": share},
                                             "output": str(Path(work) / f"result-{k}.json")}))
            readers.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.loadgen", str(part_path),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE))
        opened = time.perf_counter()
        for reader in readers:
            assert reader.stdout is not None
            if (await asyncio.wait_for(reader.stdout.readline(), 120)).strip() != b"ready":
                raise RuntimeError("a stream reader process failed to start")
        open_s = time.perf_counter() - opened
        progress(f"stream: {subscribers} subscribers in {processes} reader processes "
                 f"open in {open_s:.1f} s")
        measure_from = time.time() + config["warmup_s"]
        measure_until = measure_from + config["duration_s"]
        for reader in readers:
            assert reader.stdin is not None
            reader.stdin.write(f"{measure_from} {measure_until}\n".encode())
            await reader.stdin.drain()
        cpu.groups["loadgen"] = [*cpu.groups["loadgen"], *(r.pid for r in readers)]
        await refresh_postgres_pids(cpu, config["database_url"])
        await asyncio.sleep(max(0.0, measure_from - time.time()))
        cpu.start()
        await asyncio.sleep(config["duration_s"])
        usage = cpu.stop(config["duration_s"])
        for reader in readers:
            if await asyncio.wait_for(reader.wait(), 60) != 0:
                raise RuntimeError(f"a stream reader process exited with {reader.returncode}")
        parts = [json.loads((Path(work) / f"result-{k}.json").read_text())["stream"]
                 for k in range(processes)]
    latencies = [value for part in parts for value in part["latencies"]]
    failures: Counter[str] = Counter()
    for part in parts:
        failures.update(part["failures"])
    result: dict[str, Any] = {
        "scenario": "stream_quotes", "rpc": "QuoteService/StreamQuotes",
        "subscribers_requested": subscribers,
        "subscribers": sum(part["ready"] for part in parts),
        "reader_processes": processes,
        "channels": sum(max(1, math.ceil(len(share) / int(stream_config["streams_per_channel"])))
                        for share in shares),
        "symbols_per_subscriber": stream_config["symbols_per_subscriber"],
        "common_symbol": stream_config["common_symbol"],
        "open_s": round(open_s, 3), "duration_s": config["duration_s"],
        "updates_received": len(latencies),
        "updates_per_s": len(latencies) / config["duration_s"],
        "updates_in_window_total": sum(part["updates_in_window_total"] for part in parts),
        **{key: sum(part[key] for part in parts)
           for key in ("snapshot_quotes", "heartbeats", "gap_markers", "updates_dropped")},
        "failures": dict(failures),
        **latency_summary(latencies), **usage,
    }
    progress(f"stream: {result['updates_received']} updates to {result['subscribers']} "
             f"subscribers, p50 {result['p50_ms']:.1f} ms  p99 {result['p99_ms']:.1f} ms  "
             f"dropped {result['updates_dropped']}")
    return result


# --- the run -----------------------------------------------------------------------------

async def run(config: dict[str, Any]) -> dict[str, Any]:
    if "stream_part" in config:
        return {"stream": await run_stream_part(config)}
    cpu = CpuMeter({"server": config["server_pids"], "loadgen": [os.getpid()],
                    "redis": [config["redis_pid"]] if config.get("redis_pid") else [],
                    "postgres": []})
    client = Client(config["target"], config["email"], config["password"],
                    int(config["unary_channels"]), config["database_url"])
    await client.open()
    misses = MissRequests(config["miss_symbols"],
                          [date.fromisoformat(d) for d in config["miss_end_days"]])
    page_tokens = (await list_ticker_page_tokens(client)
                   if "list_tickers_100" in config["scenarios"] else [""])
    scenarios = {scenario.name: scenario for scenario in [
        UnaryScenario("baseline_health", "grpc.health.v1.Health/Check",
                      "empty-RPC baseline on the same server", _health),
        UnaryScenario("get_ticker_hit", "MarketService/GetTicker",
                      "2222, cache hit, bearer token: auth + RBAC + rate limit", _get_ticker),
        UnaryScenario("get_quote", "QuoteService/GetQuote",
                      "2222 from the live quote book in Redis (simulator running)", _get_quote),
        UnaryScenario("get_bars_1y_hit", "ChartService/GetBars",
                      "2222 1Y daily, the same request repeated: cache hit", _bars_hit),
        UnaryScenario("get_bars_1y_miss", "ChartService/GetBars",
                      "1Y daily, a new (symbol, end_date) every call: cache miss",
                      _bars_miss(misses)),
        UnaryScenario("list_tickers_100", "MarketService/ListTickers",
                      f"page_size 100, cycling through all {len(page_tokens)} pages (cached)",
                      _list_tickers(page_tokens)),
        UnaryScenario("screen_securities", "MarketService/ScreenSecurities",
                      "main market, change >= 0 %, turnover desc, 50 a page (not cached)",
                      _screen),
        UnaryScenario("place_order", "TradingService/PlaceOrder",
                      "market buys of 1 share of 2222 on one account (fill in session, "
                      "else queued with a reservation)", _place_order, concurrency=(1, 50)),
        UnaryScenario("run_backtest", "BacktestService/RunBacktest",
                      "SMA 20/50 over 2222's whole daily history, streamed to the end",
                      _run_backtest, concurrency=(1, 4)),
    ]}
    results: dict[str, Any] = {"unary": [], "stream": None, "notes": {}}
    try:
        paired = all(name in config["scenarios"] for name in INTERLEAVED)
        for name in config["scenarios"]:
            if name == "stream_quotes" or (paired and name == INTERLEAVED[1]):
                continue
            scenario = scenarios[name]
            keys_before = (count_keys(config["redis_url"], GET_BARS_KEY_PATTERN)
                           if name == "get_bars_1y_miss" else 0)
            issued_before = misses.issued
            if name == "place_order":
                await reset_bench_account(client)
            for concurrency in scenario.concurrency or config["concurrency"]:
                if paired and name == INTERLEAVED[0]:
                    results["unary"].extend(await run_interleaved(
                        client, (scenario, scenarios[INTERLEAVED[1]]), int(concurrency),
                        config["warmup_s"], config["duration_s"],
                        int(config.get("interleave_rounds", 4)), cpu))
                    continue
                results["unary"].append(await run_unary(
                    client, scenario, int(concurrency), config["warmup_s"],
                    config["duration_s"], cpu))
            if name == "place_order":
                check = await asyncio.to_thread(ledger_check, config["database_url"])
                results["notes"]["place_order"] = check
                progress(f"place_order: ledger invariant {'holds' if check['holds'] else 'BROKEN'}"
                         f" over {check['accounts']} account(s), {check['orders']} orders")
            if name == "get_bars_1y_miss":
                new_keys = count_keys(config["redis_url"], GET_BARS_KEY_PATTERN) - keys_before
                results["notes"]["get_bars_1y_miss"] = {
                    "distinct_requests_available": misses.available,
                    "requests_issued": misses.issued - issued_before,
                    "new_cache_keys_written": new_keys,
                }
                progress(f"get_bars_1y_miss: {misses.issued - issued_before} requests issued, "
                         f"{new_keys} new cache keys written (every call a miss)")
    finally:
        await client.close()
    if "stream_quotes" in config["scenarios"]:
        results["stream"] = await run_stream(config, cpu)
    results["grpcio"] = grpc.__version__
    return results


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m bench.loadgen CONFIG.json", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as handle:
        config = json.load(handle)
    results = asyncio.run(run(config))
    with open(config["output"], "w") as handle:
        json.dump(results, handle, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
