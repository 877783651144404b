"""End-to-end fixtures: the real Envoy binary in front of the session's gRPC server."""

import json
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from server.tools.envoy_config import render_from_env
from tests.support.services import RunningServer, free_port

BIN_DIR = Path(sys.executable).parent
ENVOY_BIN = BIN_DIR / "envoy"
GRPCURL_BIN = BIN_DIR / "grpcurl"

READY_TIMEOUT_S = 30.0


@dataclass
class HttpAnswer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        decoded = json.loads(self.body)
        assert isinstance(decoded, dict), decoded
        return decoded

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class RunningEnvoy:
    base_url: str
    admin_url: str
    process: subprocess.Popen[bytes]
    config_path: Path
    # Trusts the certificate of an Envoy that terminates TLS.
    ssl_context: ssl.SSLContext | None = None

    def request(self, path: str, *, method: str = "GET", body: bytes | None = None,
                headers: Mapping[str, str] | None = None, timeout: float = 10) -> HttpAnswer:
        """One HTTP call through Envoy; error statuses are answers, not exceptions."""
        call = urllib.request.Request(self.base_url + path, data=body, method=method,
                                      headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(call, timeout=timeout,  # noqa: S310
                                        context=self.ssl_context) as response:
                return HttpAnswer(response.status,
                                  {k.lower(): v for k, v in response.headers.items()},
                                  response.read())
        except urllib.error.HTTPError as error:
            with error:
                return HttpAnswer(error.code,
                                  {k.lower(): v for k, v in error.headers.items()},
                                  error.read())


def _admin_ready(admin_url: str) -> bool:
    try:
        with urllib.request.urlopen(admin_url + "/ready", timeout=1) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def running_envoy(upstream_port: int, workdir: Path,
                  env: Mapping[str, str] | None = None, *, http_port: int | None = None,
                  admin_port: int | None = None) -> Iterator[RunningEnvoy]:
    """The real Envoy rendered from envoy/envoy.yaml with `env`, in front of `upstream_port`;
    its access log goes to `workdir/access.log` unless `env` says otherwise. It listens on
    free ports unless given `http_port` and `admin_port` (an Envoy started again in the
    place of one that stopped)."""
    assert ENVOY_BIN.exists(), f"no Envoy binary at {ENVOY_BIN}"
    http_port = http_port or free_port()
    admin_port = admin_port or free_port()
    while admin_port == http_port:
        admin_port = free_port()
    config_path = workdir / "envoy.yaml"
    config_path.write_text(render_from_env(
        {"FINANCEHUB_ENVOY_ACCESS_LOG": str(workdir / "access.log"), **(env or {})},
        http_port=http_port, admin_port=admin_port, upstream_port=upstream_port,
    ))
    stderr_path = workdir / "envoy.stderr"
    admin_url = f"http://127.0.0.1:{admin_port}"
    certificate = (env or {}).get("FINANCEHUB_ENVOY_TLS_CERT_FILE")
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [str(ENVOY_BIN), "-c", str(config_path), "--disable-hot-restart",
             "--log-level", "warn"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not _admin_ready(admin_url):
            if process.poll() is not None:
                pytest.fail(f"envoy exited with {process.returncode} before it was ready:\n"
                            f"{stderr_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(f"envoy not ready within {READY_TIMEOUT_S} s:\n"
                            f"{stderr_path.read_text(errors='replace')}")
            time.sleep(0.05)
        yield RunningEnvoy(
            base_url=f"{'https' if certificate else 'http'}://127.0.0.1:{http_port}",
            admin_url=admin_url, process=process, config_path=config_path,
            ssl_context=ssl.create_default_context(cafile=certificate) if certificate else None)
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def envoy(server: RunningServer,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEnvoy]:
    """Envoy rendered from envoy/envoy.yaml, routing to the session's gRPC server."""
    with running_envoy(server.app.port, tmp_path_factory.mktemp("envoy")) as running:
        yield running
