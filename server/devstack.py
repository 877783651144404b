"""`make run`: the whole system in the foreground; Ctrl-C stops everything it started.

Picks Postgres and Redis (environment, local servers or embedded ones),
applies migrations, loads the seed data, then starts the gRPC server and
Envoy as child processes and prints how to reach them.
"""

import asyncio
import functools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from redis.asyncio import Redis

from server.config import REPO_ROOT, Settings, settings_or_exit
from server.ingest.demo import demo_settings_from
from server.ingest.loader import seed
from server.logging_setup import configure_logging
from server.security.tokens import generate_ed25519_pem
from server.storage.backends import Backends, ensure_database, resolve_backends
from server.storage.cache import ResponseCache
from server.storage.database import Database
from server.storage.migrations import apply_migrations
from server.tools.envoy_config import render_from_env

STARTUP_TIMEOUT_S = 60.0
# The browser demo, built by `make setup` (clients/web/build.mjs).
WEB_DIST = REPO_ROOT / "clients" / "web" / "dist"


class _StaticFiles(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".map": "application/json"}

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # quiet: the page's API calls show in Envoy's access log


def serve_directory(directory: Path, port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:  # noqa: S104
    """Serve `directory`'s files over HTTP on a daemon thread; `port` 0 picks a free one.
    Stop it with `.shutdown()`."""
    handler = functools.partial(_StaticFiles, directory=str(directory))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="web-page", daemon=True).start()
    return server


def _start_web_page(settings: Settings) -> tuple[ThreadingHTTPServer | None, str]:
    """The browser demo's server and its banner line (a hint instead when it cannot start)."""
    if not (WEB_DIST / "index.html").is_file():
        return None, f"  Browser demo   not built ({WEB_DIST} is missing): run `make setup`"
    try:
        server = serve_directory(WEB_DIST, settings.web_port)
    except OSError as error:
        return None, (f"  Browser demo   not served: port {settings.web_port} ({error.strerror});"
                      " set FINANCEHUB_WEB_PORT")
    page = f"http://localhost:{settings.web_port}/"
    api = f"http://localhost:{settings.http_port}"
    query = "" if settings.http_port == 8080 else f"?api={api}"
    return server, f"  Browser demo   {page}{query}   (TypeScript SDK over gRPC-Web)"


async def _prepare_data(settings: Settings, backends: Backends) -> str:
    ensure_database(backends.database_url)
    applied = apply_migrations(backends.database_url)
    database = Database(backends.database_url, min_size=1, max_size=2,
                        statement_timeout_ms=120_000)
    redis = Redis.from_url(backends.redis_url)
    await database.open()
    try:
        report = await seed(database, ResponseCache(redis), demo_settings_from(settings))
    finally:
        await database.close()
        await redis.aclose()
    return f"migrations applied now: {len(applied)}\n{report.summary()}"


def _development_signing_key(settings: Settings) -> dict[str, str]:
    """A signing key kept under the data dir, so tokens survive a restart of `make run`.

    Only in development and only when no key is configured.
    """
    env = settings.source_env
    if settings.environment != "development" or env.get("FINANCEHUB_JWT_PRIVATE_KEY_FILE") \
            or env.get("FINANCEHUB_JWT_PRIVATE_KEY") or env.get("FINANCEHUB_JWT_SECRET") \
            or env.get("FINANCEHUB_JWT_ALGORITHM", "EdDSA") != "EdDSA":
        return {}
    key_file = settings.data_dir / "dev-jwt-ed25519.pem"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        key_file.write_bytes(generate_ed25519_pem())
    return {"FINANCEHUB_JWT_PRIVATE_KEY_FILE": str(key_file)}


def wait_until_serving(port: int, server: subprocess.Popen[bytes],
                       timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    """Poll the health service of a server started as `server` until it reports SERVING;
    RuntimeError when the process exits or `timeout_s` passes first."""
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"the gRPC server exited with status {server.returncode}")
            try:
                answer = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if answer.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"the gRPC server did not report SERVING within {timeout_s:.0f} s")


def _banner(settings: Settings, backends: Backends, web_line: str) -> str:
    grpc_addr = f"localhost:{settings.grpc_port}"
    http_addr = f"localhost:{settings.http_port}"
    return "\n".join([
        "",
        "FinanceHub Pro is running.",
        f"  gRPC           {grpc_addr}   (reflection on; health: grpc.health.v1.Health)",
        f"  HTTP (Envoy)   http://{http_addr}   (JSON /v1/... and gRPC-Web)",
        web_line,
        f"  Postgres       {backends.origin.get('postgres')}",
        f"  Redis          {backends.origin.get('redis')}",
        "",
        "Try:",
        f"  .venv/bin/grpcurl -plaintext -d '{{\"symbol\": \"2222\"}}' {grpc_addr} "
        "financehub.v1.MarketService/GetTicker",
        f"  curl 'http://{http_addr}/v1/tickers/2222/bars?period=PERIOD_1Y&interval=INTERVAL_WEEK'",
        "  README.md, 'Accounts and API keys', shows registering, logging in and API keys.",
        "",
        "Ctrl-C stops everything.",
    ])


def _stop(children: list[subprocess.Popen[bytes]], grace_s: float) -> None:
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s + 5
    for child in reversed(children):
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()


def main() -> int:
    settings = settings_or_exit()
    configure_logging(settings.log_level)
    backends = resolve_backends(settings)
    children: list[subprocess.Popen[bytes]] = []
    web_page: ThreadingHTTPServer | None = None
    stop_requested = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        print(asyncio.run(_prepare_data(settings, backends)), flush=True)
        child_env = {
            **os.environ,
            "DATABASE_URL": backends.database_url,
            "REDIS_URL": backends.redis_url,
            "FINANCEHUB_AUTO_MIGRATE": "false",
            # Envoy allows the origins the settings name (by default including the demo's).
            "FINANCEHUB_CORS_ORIGINS": ",".join(settings.cors_allowed_origins),
            **_development_signing_key(settings),
        }
        children.append(subprocess.Popen([sys.executable, "-m", "server"], env=child_env))
        wait_until_serving(settings.grpc_port, children[0])
        envoy_config = settings.data_dir / "envoy.yaml"
        envoy_config.parent.mkdir(parents=True, exist_ok=True)
        envoy_config.write_text(render_from_env(child_env))
        envoy = shutil.which("envoy", path=str(Path(sys.executable).parent)) or "envoy"
        children.append(subprocess.Popen(
            [envoy, "-c", str(envoy_config), "--log-level", "warn", "--disable-hot-restart"],
        ))
        web_page, web_line = _start_web_page(settings)
        print(_banner(settings, backends, web_line), flush=True)
        while not stop_requested:
            for name, child in zip(("gRPC server", "Envoy"), children, strict=False):
                if child.poll() is not None:
                    print(f"{name} exited with status {child.returncode}; stopping",
                          file=sys.stderr)
                    stop_requested = True
            time.sleep(0.5)
        return 0
    finally:
        if web_page is not None:
            web_page.shutdown()
        _stop(children, settings.shutdown_grace_s)
        backends.close()
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
