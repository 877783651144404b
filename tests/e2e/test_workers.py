"""`python -m server` with several workers: one port, calls spread across processes, a
dead worker replaced, SIGTERM stopping them all."""

import os
import re
import signal
import time
import urllib.request
from pathlib import Path

import grpc
import pytest

from financehub.v1 import market_pb2, market_pb2_grpc
from server.storage.backends import Backends
from tests.support.identity import bearer, create_account, login
from tests.support.server_process import ServerProcess, server_env, start_server, wait_serving
from tests.support.services import RunningServer, free_port

pytestmark = pytest.mark.e2e

WORKERS = 2
CALLS = 40


def serving_pids(running: ServerProcess) -> set[int]:
    return {int(str(record["pid"])) for record in running.log_lines()
            if record.get("message") == "rpc"}


def one_call_per_connection(address: str, calls: int, token: str | None = None) -> None:
    for _ in range(calls):
        # A fresh channel is a fresh TCP connection: the kernel picks a worker for each.
        with grpc.insecure_channel(address) as channel:
            reply = market_pb2_grpc.MarketServiceStub(channel).GetTicker(
                market_pb2.GetTickerRequest(symbol="2222"), timeout=10,
                wait_for_ready=True, metadata=bearer(token) if token else None)
            assert reply.ticker.symbol == "2222"


def metric(metrics_port: int, name: str, labels: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics",
                                  timeout=5).read().decode()
    found = re.search(rf"^{re.escape(name)}{{{re.escape(labels)}}} (\S+)$", text, re.MULTILINE)
    assert found, f"{name}{{{labels}}} not in:\n{text}"
    return float(found.group(1))


def test_workers_share_the_port_survive_a_crash_and_stop_together(
        seeded: Backends, server: RunningServer, tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    process = start_server(tmp_path, server_env(
        DATABASE_URL=seeded.database_url, REDIS_URL=seeded.redis_url,
        FINANCEHUB_METRICS_PORT=str(metrics_port), FINANCEHUB_DB_POOL_MIN="2",
        FINANCEHUB_GRPC_HOST="127.0.0.1", FINANCEHUB_GRPC_PORT=str(port),
        FINANCEHUB_WORKERS=str(WORKERS), FINANCEHUB_AUTO_MIGRATE="false",
        FINANCEHUB_DEMO_MODE="false", FINANCEHUB_SHUTDOWN_GRACE_SECONDS="2",
        FINANCEHUB_RATE_LIMIT_GUEST="100000"))
    running = ServerProcess(process, f"127.0.0.1:{port}", tmp_path / "server.stderr")
    try:
        with grpc.insecure_channel(running.address) as channel:
            wait_serving(running, channel)
        started = running.wait_for_log(lambda r: r.get("message") == "supervising workers")
        assert started["workers"] == WORKERS

        # Without a configured key the workers share the supervisor's: a token one issued
        # is good on every one of them.
        with grpc.insecure_channel(running.address) as channel:
            token = login(channel, create_account(server)).tokens.access_token
        one_call_per_connection(running.address, CALLS, token)
        pids = serving_pids(running)
        assert len(pids) == WORKERS, f"calls were answered by {pids}"
        assert process.pid not in pids  # the supervisor itself serves nothing
        # The supervisor's /metrics sums the workers: two pools of at least two connections.
        assert metric(metrics_port, "financehub_db_pool_connections",
                      'pool="write",state="min"') == 2 * WORKERS
        lookups = sum(metric(metrics_port, "financehub_cache_lookups_total", f'outcome="{o}"')
                      for o in ("hit", "miss", "stale"))
        assert lookups >= CALLS

        victim = min(pids)
        os.kill(victim, signal.SIGKILL)
        running.wait_for_log(lambda r: r.get("message") == "worker exited; starting it again"
                             and r.get("pid") == process.pid)
        one_call_per_connection(running.address, CALLS)  # the survivor answers meanwhile
        deadline = time.monotonic() + 30
        while len(serving_pids(running) - pids) < 1:
            assert time.monotonic() < deadline, "the replacement worker never answered"
            one_call_per_connection(running.address, 10)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        for pid in serving_pids(running) - {victim}:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_workers_stop_when_their_supervisor_is_killed(seeded: Backends, tmp_path: Path) -> None:
    port = free_port()
    process = start_server(tmp_path, server_env(
        DATABASE_URL=seeded.database_url, REDIS_URL=seeded.redis_url,
        FINANCEHUB_GRPC_HOST="127.0.0.1", FINANCEHUB_GRPC_PORT=str(port),
        FINANCEHUB_WORKERS=str(WORKERS), FINANCEHUB_AUTO_MIGRATE="false",
        FINANCEHUB_DEMO_MODE="false", FINANCEHUB_SHUTDOWN_GRACE_SECONDS="1"))
    running = ServerProcess(process, f"127.0.0.1:{port}", tmp_path / "server.stderr")
    try:
        with grpc.insecure_channel(running.address) as channel:
            wait_serving(running, channel)
        workers = [int(str(r["worker_pid"])) for r in running.log_lines()
                   if r.get("message") == "worker started"]
        assert len(workers) == WORKERS
    finally:
        process.kill()  # no SIGTERM to pass on
        process.wait(timeout=10)
    deadline = time.monotonic() + 15
    for pid in workers:
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline, f"worker {pid} outlived its supervisor"
            time.sleep(0.1)
    running.wait_for_log(lambda r: r.get("message") == "supervisor gone; stopping")
