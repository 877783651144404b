"""`python -m bench` (`make bench`): prepare, start the server, run the load generator,
report.

    python -m bench                  # defaults: 2 s warm-up + 8 s measured per row
    python -m bench --quick          # 0.5 s + 2 s per row: a smoke run
    python -m bench --duration 20 --scenarios get_ticker_hit,baseline_health
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.engine import measure_sma_backtest
from bench.environment import (
    BENCH_USER_PASSWORD,
    ServerProcess,
    create_bench_user,
    prepare_data,
    resolve_bench_backends,
    settle_deny_list,
    start_server,
)
from bench.report import machine_facts, render, target_checks
from bench.stats import process_tree, sample_machine_busy
from server.config import REPO_ROOT

RESULTS_DIR = Path(__file__).resolve().parent / "results"
UNARY_SCENARIOS = ["baseline_health", "get_ticker_hit", "get_quote", "get_bars_1y_hit",
                   "get_bars_1y_miss", "list_tickers_100", "screen_securities", "place_order",
                   "run_backtest"]
ALL_SCENARIOS = [*UNARY_SCENARIOS, "stream_quotes"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=None,
                        help="measured seconds per scenario and concurrency (default 8)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="warm-up seconds before each measurement (default 2)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 0.5 s warm-up, 2 s measured (unless given)")
    parser.add_argument("--concurrency", default="1,32",
                        help="calls in flight, comma-separated (default 1,32)")
    parser.add_argument("--scenarios", default=",".join(ALL_SCENARIOS),
                        help=f"comma-separated subset of: {', '.join(ALL_SCENARIOS)}")
    parser.add_argument("--subscribers", type=int, default=1000,
                        help="StreamQuotes subscribers (default 1000)")
    parser.add_argument("--stream-symbols", type=int, default=5,
                        help="symbols each subscriber watches (default 5: 2222 + 4 others)")
    parser.add_argument("--stream-processes", type=int,
                        default=max(1, (os.cpu_count() or 1) // 4),
                        help="load-generator processes reading the streams (default: a "
                             "quarter of the cores, at least 1; on a big machine one Python "
                             "process cannot take in 1,000 streams' bursts as fast as they "
                             "come, on a small one more readers take cores from the server)")
    parser.add_argument("--streams-per-channel", type=int, default=100,
                        help="streams per client channel/connection (default 100)")
    parser.add_argument("--unary-channels", type=int, default=1,
                        help="client channels for unary calls (default 1)")
    parser.add_argument("--workers", type=int, default=1,
                        help="server worker processes sharing the port (default 1: the "
                             "issue's single-process targets)")
    parser.add_argument("--server-log-level", default="WARNING",
                        help="the server's FINANCEHUB_LOG_LEVEL (default WARNING: the access "
                             "log interceptor runs, its INFO lines are not written)")
    parser.add_argument("--interleave-rounds", type=int, default=4,
                        help="the baseline and GetTicker alternate in this many segments per "
                             "concurrency, so their ratio sees the same machine (default 4)")
    parser.add_argument("--cold-deny-list", action="store_true",
                        help="leave the flushed Redis as it is: every authenticated call then "
                             "also checks Postgres for revocations (the server's first 15 "
                             "minutes after Redis lost its data)")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.json")
    args = parser.parse_args(argv)
    if args.warmup is None:
        args.warmup = 0.5 if args.quick else 2.0
    if args.duration is None:
        args.duration = 2.0 if args.quick else 8.0
    args.scenario_list = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = sorted(set(args.scenario_list) - set(ALL_SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    args.concurrency_list = [int(c) for c in args.concurrency.split(",") if c.strip()]
    if not args.concurrency_list or min(args.concurrency_list) < 1:
        parser.error("--concurrency needs positive integers")
    return args


def load_average() -> str | None:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return None


def redis_pid(url: str) -> int | None:
    """The Redis server's pid when it runs on this machine (for its CPU use)."""
    from redis import Redis

    client = Redis.from_url(url)
    try:
        pid = int(client.info("server").get("process_id", 0))
    except Exception:  # noqa: BLE001 - only a CPU column is lost
        return None
    finally:
        client.close()
    return pid if pid and Path(f"/proc/{pid}").exists() else None


def run_loadgen(config: dict[str, Any], work_dir: Path, timeout_s: float) -> dict[str, Any]:
    config_path = work_dir / "loadgen-config.json"
    config_path.write_text(json.dumps(config, default=str))
    process = subprocess.Popen([sys.executable, "-m", "bench.loadgen", str(config_path)],
                               cwd=REPO_ROOT)
    try:
        status = process.wait(timeout=timeout_s)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    if status != 0:
        raise RuntimeError(f"the load generator exited with status {status}")
    loaded: dict[str, Any] = json.loads(Path(config["output"]).read_text())
    return loaded


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started_at = datetime.now(UTC).replace(microsecond=0)
    command = "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    busy_before = sample_machine_busy()
    backends = resolve_bench_backends()
    server: ServerProcess | None = None
    began = time.perf_counter()
    try:
        if busy_before is not None and busy_before > 25:
            print(f"bench: WARNING the machine was {busy_before:.0f}% busy before the run "
                  "(other work on it): expect noisy figures", flush=True)
        print(f"bench: Postgres {backends.origin.get('postgres')}, Redis "
              f"{backends.origin.get('redis')}; preparing financehub_bench ...", flush=True)
        prepared = prepare_data(backends)
        print(f"bench: data ready in {prepared.seconds:.1f} s (demo {prepared.demo.start} .. "
              f"{prepared.demo.end}, seed {prepared.demo.seed}, intraday days "
              f"{prepared.demo.intraday_days})", flush=True)
        email = create_bench_user(backends)
        deny_list_settled = False if args.cold_deny_list else settle_deny_list(backends)
        server = start_server(backends, RESULTS_DIR / "server.log",
                              log_level=args.server_log_level, demo_mode=True,
                              workers=args.workers)
        print(f"bench: server pid {server.process.pid} SERVING on {server.target}", flush=True)
        with tempfile.TemporaryDirectory(prefix="fh-bench-") as work:
            config = {
                "target": server.target, "server_pids": process_tree(server.process.pid),
                "email": email, "password": BENCH_USER_PASSWORD,
                "redis_url": backends.redis_url, "redis_pid": redis_pid(backends.redis_url),
                "database_url": backends.database_url,
                "warmup_s": args.warmup, "duration_s": args.duration,
                "concurrency": args.concurrency_list, "scenarios": args.scenario_list,
                "unary_channels": args.unary_channels,
                "interleave_rounds": max(1, args.interleave_rounds),
                "miss_symbols": prepared.full_history_symbols,
                "miss_end_days": [d.isoformat() for d in prepared.full_year_end_days],
                "stream_symbols": prepared.full_history_symbols,
                "stream": {"subscribers": args.subscribers,
                           "symbols_per_subscriber": args.stream_symbols,
                           "streams_per_channel": args.streams_per_channel,
                           "processes": args.stream_processes,
                           "common_symbol": "2222"},
                "output": str(Path(work) / "loadgen-results.json"),
            }
            rows = len([s for s in args.scenario_list if s != "stream_quotes"]) \
                * len(args.concurrency_list)
            budget = rows * (2 * args.warmup + args.duration + 5) + 180
            measured = run_loadgen(config, Path(work), timeout_s=budget)
        if "stream_quotes" in args.scenario_list:
            time.sleep(2)  # 1,000 streams were just cancelled: does the server survive that?
        crashed_during_run = server.process.poll() is not None
        if crashed_during_run:
            print(f"bench: the server died during the run (status {server.process.returncode}); "
                  f"see {server.log_path}", file=sys.stderr)
        results: dict[str, Any] = {
            "started_at": started_at.isoformat(),
            "command": command,
            "machine": {**machine_facts(backends.database_url, backends.redis_url),
                        "busy_percent_before_run": busy_before,
                        "load_average_at_end": load_average()},
            "config": {
                "warmup_s": args.warmup, "duration_s": args.duration,
                "concurrency": args.concurrency_list, "scenarios": args.scenario_list,
                "server_workers": args.workers, "server_log_level": args.server_log_level,
                "unary_channels": args.unary_channels,
                "interleave_rounds": max(1, args.interleave_rounds),
                "rate_limit_tier": "standard, raised to 10,000,000/min for the benchmark",
                "database": backends.database_url.rsplit("/", 1)[-1],
                "redis": backends.redis_url,
                "demo": {"start": str(prepared.demo.start), "end": str(prepared.demo.end),
                         "seed": prepared.demo.seed,
                         "intraday_days": prepared.demo.intraday_days},
                "data_prepare_s": round(prepared.seconds, 1),
                "deny_list": ("steady state: Redis authoritative" if deny_list_settled else
                              "cold: Postgres checked on every authenticated call"),
            },
            **measured,
        }
        results["server_died_during_run"] = (server.process.returncode
                                             if crashed_during_run else None)
        if "run_backtest" in args.scenario_list:
            results.setdefault("notes", {})["backtest_engine_10y"] = measure_sma_backtest()
        results["targets"] = target_checks(results)
        results["total_s"] = round(time.perf_counter() - began, 1)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2, default=str))
        print(render(results))
        print(f"results: {args.output}  (server log: {RESULTS_DIR / 'server.log'}; "
              f"total {results['total_s']:.0f} s)")
        if crashed_during_run:
            return 1
        failed = [f"{row['scenario']} c={row['concurrency']}: {row['errors']}"
                  for row in results["unary"] if row["errors"]]
        if results.get("stream") and results["stream"]["failures"]:
            failed.append(f"stream_quotes: {results['stream']['failures']}")
        if failed:
            print("bench: calls failed, so these figures are not valid: " + "; ".join(failed),
                  file=sys.stderr)
            return 1
        return 0
    finally:
        if server is not None:
            already_dead = server.process.poll() is not None
            status = server.stop()
            if status not in (0, None) and not already_dead:
                print(f"bench: the server exited with status {status}; see {server.log_path}",
                      file=sys.stderr)
        backends.close()


if __name__ == "__main__":
    sys.exit(main())
