"""Machine facts, the issue 5 target ratios, and the printed tables."""

import math
import os
import platform
import sys
from importlib import metadata
from typing import Any

import psycopg
from redis import Redis

TARGETS = {
    "ticker_hit_vs_baseline_qps_c32": 0.8,
    "cache_hit_p99_ms_c32": 5.0,
    "bars_miss_p50_ms_c1": 5.0,
    "stream_p99_ms": 100.0,
}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_facts(database_url: str, redis_url: str) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_gib": _memory_gib(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "grpcio": _version("grpcio"),
        "protobuf": _version("protobuf"),
        "psycopg": _version("psycopg"),
        "redis_py": _version("redis"),
    }
    try:
        with psycopg.connect(database_url, connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            facts["postgres"] = row[0] if row else "unknown"
    except psycopg.Error:
        facts["postgres"] = "unknown"
    client = Redis.from_url(redis_url)
    try:
        facts["redis"] = client.info("server").get("redis_version", "unknown")
    except Exception:  # noqa: BLE001 - a fact, not a failure
        facts["redis"] = "unknown"
    finally:
        client.close()
    return facts


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _find(unary: list[dict[str, Any]], scenario: str, concurrency: int) -> dict[str, Any] | None:
    for row in unary:
        if row["scenario"] == scenario and row["concurrency"] == concurrency:
            return row
    return None


def target_checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue 5 targets as measured in this run (ratios within one run)."""
    unary = results.get("unary", [])
    checks: list[dict[str, Any]] = []

    def add(name: str, what: str, value: float | None, target: float, higher_is_better: bool,
            unit: str) -> None:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            checks.append({"target": name, "what": what, "value": None, "goal": target,
                           "unit": unit, "met": None, "improvement_needed": None})
            return
        met = value >= target if higher_is_better else value <= target
        # How far off: the factor by which the value must improve to meet the target.
        factor = (target / value if higher_is_better else value / target) if value else None
        checks.append({"target": name, "what": what, "value": value, "goal": target,
                       "unit": unit, "met": met, "improvement_needed": None if met else factor})

    baseline, ticker = _find(unary, "baseline_health", 32), _find(unary, "get_ticker_hit", 32)
    ratio = ticker["qps"] / baseline["qps"] if ticker and baseline and baseline["qps"] else None
    add("ticker_hit_vs_baseline_qps_c32",
        "GetTicker cache-hit QPS / empty-RPC baseline QPS, 32 in flight, 1 worker",
        ratio, TARGETS["ticker_hit_vs_baseline_qps_c32"], True, "x")
    add("cache_hit_p99_ms_c32", "GetTicker cache-hit p99, 32 in flight",
        ticker["p99_ms"] if ticker else None, TARGETS["cache_hit_p99_ms_c32"], False, "ms")
    miss = _find(unary, "get_bars_1y_miss", 1)
    add("bars_miss_p50_ms_c1", "GetBars 1Y daily cache-miss p50, 1 in flight",
        miss["p50_ms"] if miss else None, TARGETS["bars_miss_p50_ms_c1"], False, "ms")
    stream = results.get("stream")
    add("stream_p99_ms",
        f"StreamQuotes delivery p99 (update_time -> receipt), "
        f"{stream['subscribers'] if stream else '?'} subscribers",
        stream["p99_ms"] if stream else None, TARGETS["stream_p99_ms"], False, "ms")
    return checks


def _ms(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def render(results: dict[str, Any]) -> str:
    lines: list[str] = []
    machine = results["machine"]
    config = results["config"]
    lines.append("")
    lines.append("FinanceHub Pro benchmark  "
                 f"{results['started_at']}  ({results['command']})")
    lines.append(f"machine: {machine['cpu_model']}, {machine['cores']} cores "
                 f"({machine['cores_usable']} usable), {machine['memory_gib']} GiB, "
                 f"Linux {machine['kernel']}; {_pct(machine.get('busy_percent_before_run'))} "
                 f"busy just before the run, load average {machine.get('load_average_at_end')} "
                 "at the end")
    lines.append(f"software: Python {machine['python']}, grpcio {machine['grpcio']}, "
                 f"protobuf {machine['protobuf']}, Postgres {machine['postgres']}, "
                 f"Redis {machine['redis']}")
    workers = config["server_workers"]
    processes = "1 process" if workers == 1 else f"{workers} worker processes sharing the port"
    lines.append(f"server: {processes} (python -m server), "
                 f"log level {config['server_log_level']}, "
                 f"market simulator on; load generator: 1 process, grpc.aio, closed loop; "
                 f"warm-up {config['warmup_s']:g} s, measured {config['duration_s']:g} s "
                 f"per row; server, generator, Postgres and Redis share the same cores")
    lines.append(f"baseline_health and get_ticker_hit alternate in "
                 f"{config.get('interleave_rounds', 1)} segments per concurrency (their ratio "
                 "sees the same machine); every other row is one warm-up + one window")
    lines.append(f"principal: bench user (role user, standard tier raised to 10M/min: never "
                 f"throttled, always checked); token deny-list {config['deny_list']}")
    lines.append("")
    cpu_columns = [("server", "srv"), ("loadgen", "gen"), ("redis", "redis"),
                   ("postgres", "pg"), ("other", "other")]
    cpu_header = " ".join(f"{label:>5}" for _, label in cpu_columns)

    def cpu_cells(row: dict[str, Any]) -> str:
        return " ".join(f"{_pct(row.get(f'{name}_cpu_percent')):>5}" for name, _ in cpu_columns)

    header = (f"{'scenario':<18} {'in flight':>9} {'calls/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
              f"{'p99 ms':>7} {'max ms':>7} {'err':>3} | CPU, % of a core: {cpu_header}")
    lines.append(header)
    lines.append("-" * len(header))
    for row in results["unary"]:
        errors = sum(row["errors"].values())
        lines.append(
            f"{row['scenario']:<18} {row['concurrency']:>9} {row['qps']:>8.0f} "
            f"{_ms(row['p50_ms']):>7} {_ms(row['p95_ms']):>7} {_ms(row['p99_ms']):>7} "
            f"{_ms(row['max_ms']):>7} {errors:>3} |                   {cpu_cells(row)}")
    stream = results.get("stream")
    if stream:
        lines.append("")
        lines.append(f"{'stream_quotes':<18} {'subscr.':>9} {'upd/s':>8} {'p50 ms':>7} "
                     f"{'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'gap':>3} |")
        lines.append(
            f"{'delivery latency':<18} {stream['subscribers']:>9} "
            f"{stream['updates_per_s']:>8.0f} {_ms(stream['p50_ms']):>7} "
            f"{_ms(stream['p95_ms']):>7} {_ms(stream['p99_ms']):>7} {_ms(stream['max_ms']):>7} "
            f"{stream['gap_markers']:>3} |                   {cpu_cells(stream)}")
        lines.append(
            f"  {stream['updates_received']} live updates received in the window by "
            f"{stream['subscribers']} subscribers on {stream['channels']} channels in "
            f"{stream.get('reader_processes', 1)} reader processes, each "
            f"watching {stream['symbols_per_subscriber']} symbols ({stream['common_symbol']} + "
            f"a rotating slice); {stream['updates_dropped']} dropped, {stream['heartbeats']} "
            f"heartbeats, failures: {stream['failures'] or 'none'}; streams opened in "
            f"{stream['open_s']:.1f} s")
    lines.append("  CPU: srv = the server process, gen = the load generator, pg = the Postgres "
                 "backends of financehub_bench, other = the rest of the machine (noise)")
    if results.get("server_died_during_run") is not None:
        lines.append("")
        lines.append(f"THE SERVER DIED during the run (exit status "
                     f"{results['server_died_during_run']}; -11 is SIGSEGV): see "
                     "bench/results/server.log for its Python stacks")
    notes = results.get("notes", {})
    miss = notes.get("get_bars_1y_miss")
    if miss:
        lines.append("")
        lines.append(f"get_bars_1y_miss: {miss['requests_issued']} requests issued (warm-up "
                     f"included), {miss['new_cache_keys_written']} new cache keys written: "
                     f"every call missed the cache (space of {miss['distinct_requests_available']}"
                     " distinct symbol x end_date requests)")
    engine = notes.get("backtest_engine_10y")
    if engine:
        lines.append("")
        lines.append(f"backtest engine alone, SMA 20/50 over {engine['bars']} daily bars (ten "
                     f"years, a seeded random walk), {engine['trades']} trades: median "
                     f"{engine['median_ms']} ms, best {engine['best_ms']} ms of {engine['runs']}")
    orders = notes.get("place_order")
    if orders:
        lines.append(f"place_order: ledger invariant {'holds' if orders['holds'] else 'BROKEN'}"
                     f" after the run ({orders['accounts']} account(s), {orders['orders']} "
                     f"orders; cash = ledger sum, nothing overspent)")
    lines.append("")
    lines.append("targets (issue 5)")
    for check in results["targets"]:
        value = check["value"]
        shown = "not measured" if value is None else (
            f"{value:.2f}{'' if check['unit'] == 'x' else ' ' + check['unit']}")
        goal = (f">= {check['goal']:g}" if check["unit"] == "x"
                else f"<= {check['goal']:g} {check['unit']}")
        verdict = ("n/a" if check["met"] is None else "MET" if check["met"] else
                   f"MISSED (needs {check['improvement_needed']:.2f}x better)")
        lines.append(f"  {check['what']:<78} {shown:>12}  goal {goal:<10} {verdict}")
    lines.append("  Two worker processes >= 1.6x one: compare get_ticker_hit QPS of a run with "
                 "--workers 2 to one with --workers 1 (needs spare cores for the generator)")
    lines.append("")
    return "\n".join(lines)
