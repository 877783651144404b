"""`python -m server` as a real child process: its environment, its JSON log on stderr,
and waiting until its health service says SERVING."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from server.config import REPO_ROOT

START_TIMEOUT_S = 30
SERVING = health_pb2.HealthCheckResponse.SERVING


# Variables the test process may carry that must not leak into the server under test.
_OWN_PREFIXES = ("FINANCEHUB_", "DATABASE_URL", "READ_REPLICA_URL", "REDIS_URL")


def server_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env["FINANCEHUB_METRICS_PORT"] = "0"  # unless a test asks: a developer's may be running
    env.update(values)
    return env


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    address: str
    stderr_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def log_lines(self) -> list[dict[str, object]]:
        """Every non-empty stderr line, parsed; fails on one that is not a JSON object."""
        parsed = []
        for line in self.stderr().splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                pytest.fail(f"log line is not JSON: {line!r}")
            assert isinstance(record, dict), line
            parsed.append(record)
        return parsed

    def wait_for_log(self, match: Callable[[dict[str, object]], bool],
                     timeout: float = 10) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while True:
            found = [record for record in self.log_lines() if match(record)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                pytest.fail(f"no matching log line within {timeout} s:\n{self.stderr()}")
            time.sleep(0.05)


def start_server(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    stderr_path = tmp_path / "server.stderr"
    with stderr_path.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "server"], cwd=REPO_ROOT, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def wait_serving(running: ServerProcess, channel: grpc.Channel) -> None:
    """Poll the health service until the server and MarketService report SERVING."""
    health = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + START_TIMEOUT_S
    pending = ["", "financehub.v1.MarketService"]
    while pending:
        if running.process.poll() is not None:
            pytest.fail(f"server exited with {running.process.returncode} before serving:\n"
                        f"{running.stderr()}")
        if time.monotonic() > deadline:
            pytest.fail(f"server not SERVING within {START_TIMEOUT_S} s:\n{running.stderr()}")
        try:
            reply = health.Check(health_pb2.HealthCheckRequest(service=pending[0]), timeout=1)
        except grpc.RpcError:
            time.sleep(0.05)
            continue
        if reply.status == SERVING:
            pending.pop(0)
        else:
            time.sleep(0.05)
