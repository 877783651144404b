"""`python -m server` as a real process: readiness, JSON logs, graceful SIGTERM, bad config."""

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from financehub.v1 import market_pb2, market_pb2_grpc
from server.storage.backends import Backends
from tests.support.server_process import (
    SERVING,
    ServerProcess,
    server_env,
    start_server,
    stop,
    wait_serving,
)
from tests.support.services import free_port

pytestmark = pytest.mark.e2e

GRACE_S = 3
EXIT_MARGIN_S = 10
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
GET_TICKER = "/financehub.v1.MarketService/GetTicker"


@pytest.fixture
def server_process(seeded: Backends, tmp_path: Path) -> Iterator[ServerProcess]:
    port = free_port()
    process = start_server(tmp_path, server_env(
        DATABASE_URL=seeded.database_url,
        REDIS_URL=seeded.redis_url,
        FINANCEHUB_GRPC_HOST="127.0.0.1",
        FINANCEHUB_GRPC_PORT=str(port),
        FINANCEHUB_AUTO_MIGRATE="false",
        FINANCEHUB_SHUTDOWN_GRACE_SECONDS=str(GRACE_S),
        FINANCEHUB_WORKERS="1",
    ))
    try:
        yield ServerProcess(process, f"127.0.0.1:{port}", tmp_path / "server.stderr")
    finally:
        stop(process)


def test_server_process_serves_logs_json_and_drains_on_sigterm(server_process: ServerProcess):
    with grpc.insecure_channel(server_process.address) as channel:
        wait_serving(server_process, channel)

        market = market_pb2_grpc.MarketServiceStub(channel)
        response, call = market.GetTicker.with_call(
            market_pb2.GetTickerRequest(symbol="2222.SR"), timeout=10,
            metadata=(("x-request-id", "e2e-process-1"),))
        assert response.ticker.name_en == "Saudi Arabian Oil Company"
        assert dict(call.initial_metadata())["x-request-id"] == "e2e-process-1"
        with pytest.raises(grpc.RpcError) as caught:
            market.GetTicker(market_pb2.GetTickerRequest(symbol="9998"), timeout=10)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND

        access = server_process.wait_for_log(
            lambda r: r.get("method") == GET_TICKER and r.get("status") == "OK")
        assert access["request_id"] == "e2e-process-1"
        assert access["level"] == "INFO"
        assert access["message"] == "rpc"
        assert isinstance(access["duration_ms"], int | float) and access["duration_ms"] >= 0
        failed = server_process.wait_for_log(
            lambda r: r.get("method") == GET_TICKER and r.get("status") == "NOT_FOUND")
        assert failed["request_id"] not in ("", None, "e2e-process-1")

        # Watch the overall health before SIGTERM: draining must announce NOT_SERVING.
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=""), timeout=GRACE_S + EXIT_MARGIN_S)
        try:
            assert next(watch).status == SERVING
            server_process.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            assert next(watch).status == NOT_SERVING
        finally:
            watch.cancel()

        try:
            returncode = server_process.process.wait(timeout=GRACE_S + EXIT_MARGIN_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"server still running {GRACE_S + EXIT_MARGIN_S} s after SIGTERM:\n"
                        f"{server_process.stderr()}")
        elapsed = time.monotonic() - signalled
    assert returncode == 0, server_process.stderr()
    # Nothing was in flight any more: the drain must not sit out the grace period.
    assert elapsed < GRACE_S, elapsed

    records = server_process.log_lines()  # every line JSON, including the shutdown ones
    assert records, "the server logged nothing"
    for record in records:
        assert {"level", "message", "time", "logger"} <= record.keys(), record
    messages = [record["message"] for record in records]
    assert "gRPC server listening" in messages
    assert "shutting down" in messages
    assert messages[-1] == "stopped"
    assert "Traceback" not in server_process.stderr()


def test_drain_refuses_new_calls_and_cuts_streams_at_the_grace_period(
        server_process: ServerProcess):
    with grpc.insecure_channel(server_process.address) as channel:
        wait_serving(server_process, channel)
        health = health_pb2_grpc.HealthStub(channel)
        # An in-flight call that never finishes by itself: the drain must end it at GRACE_S.
        watch = health.Watch(health_pb2.HealthCheckRequest(service=""),
                             timeout=GRACE_S + EXIT_MARGIN_S)
        try:
            assert next(watch).status == SERVING
            server_process.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            assert next(watch).status == NOT_SERVING

            with grpc.insecure_channel(server_process.address) as fresh:
                with pytest.raises(grpc.RpcError) as refused:
                    market_pb2_grpc.MarketServiceStub(fresh).GetTicker(
                        market_pb2.GetTickerRequest(symbol="2222"), timeout=2)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            assert server_process.process.poll() is None, "exited before the grace period"

            with pytest.raises(grpc.RpcError) as cut:
                next(watch)
            cut_after = time.monotonic() - signalled
        finally:
            watch.cancel()
        assert cut.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
        assert GRACE_S - 0.5 <= cut_after < GRACE_S + EXIT_MARGIN_S, cut_after
        assert server_process.process.wait(timeout=EXIT_MARGIN_S) == 0, server_process.stderr()
    assert server_process.log_lines()[-1]["message"] == "stopped"
    assert "Traceback" not in server_process.stderr()


def test_access_log_reports_a_cancelled_stream_as_cancelled(server_process: ServerProcess):
    with grpc.insecure_channel(server_process.address) as channel:
        wait_serving(server_process, channel)
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=""), timeout=10,
            metadata=(("x-request-id", "e2e-cancelled-watch"),))
        assert next(watch).status == SERVING
        watch.cancel()
        record = server_process.wait_for_log(
            lambda r: r.get("request_id") == "e2e-cancelled-watch")
    assert record["method"] == "/grpc.health.v1.Health/Watch"
    assert record["status"] == "CANCELLED", record


@pytest.mark.parametrize(("variable", "value"), [
    ("FINANCEHUB_GRPC_PORT", "abc"),
    ("FINANCEHUB_AUTO_MIGRATE", "maybe"),
    ("FINANCEHUB_SHUTDOWN_GRACE_SECONDS", "-1"),
])
def test_bad_configuration_exits_2_naming_the_variable(tmp_path: Path, variable: str,
                                                       value: str):
    process = start_server(tmp_path, server_env(**{variable: value}))
    try:
        returncode = process.wait(timeout=30)
    finally:
        stop(process)
    stderr = (tmp_path / "server.stderr").read_text(errors="replace")
    assert returncode == 2, stderr
    assert "configuration error" in stderr
    assert variable in stderr
    assert value in stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr



def test_production_mode_without_signing_keys_refuses_to_start(tmp_path: Path,
                                                               seeded: Backends) -> None:
    env = server_env(FINANCEHUB_ENV="production", DATABASE_URL=seeded.database_url,
                     REDIS_URL=seeded.redis_url, FINANCEHUB_GRPC_PORT=str(free_port()),
                     FINANCEHUB_AUTO_MIGRATE="false")
    process = start_server(tmp_path, env)
    try:
        returncode = process.wait(timeout=30)
    finally:
        stop(process)
    stderr = (tmp_path / "server.stderr").read_text(errors="replace")
    assert returncode == 2, stderr
    assert "configuration error" in stderr and "production" in stderr
    assert "Traceback" not in stderr
