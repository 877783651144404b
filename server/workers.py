"""Several server processes on one port: a supervisor and its workers.

With `FINANCEHUB_WORKERS` above 1, `python -m server` becomes a supervisor: it
resolves the backends (starting embedded ones if it must, and keeping them
alive), applies the migrations once, then starts the workers as fresh
interpreters (`python -m server --worker N`). Each worker builds its own
Postgres and Redis pools and gRPC server after it starts, so nothing made
before a fork is shared, and binds the same port with `grpc.so_reuseport`:
the kernel spreads new connections across them. A worker that dies is started
again; SIGTERM or SIGINT is passed on to every worker, which drains as a single
server would, and the supervisor waits for them (killing any that overstay the
grace period). A worker that refuses its configuration (status 2) stops the
whole server with that status: starting it again would fail the same way.
"""

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from types import FrameType

from prometheus_client import multiprocess

from server.config import REPO_ROOT, Settings
from server.metrics import serve_metrics
from server.security.tokens import load_signing_keys, shared_key_environment
from server.storage.backends import Backends, ensure_database, resolve_backends
from server.storage.migrations import apply_migrations

log = logging.getLogger(__name__)

WORKER_FLAG = "--worker"
# prometheus_client's multiprocess mode: where each worker writes its samples.
MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
RESTART_DELAY_S = 1.0
SUPERVISOR_CHECK_S = 1.0
# What `python -m server` exits with on a configuration error.
CONFIGURATION_ERROR_STATUS = 2
POLL_INTERVAL_S = 0.2
# Beyond the drain delay and grace period, how long a stopping worker may take to exit.
EXIT_ALLOWANCE_S = 5.0


def worker_environment(backends: Backends, port: int, metrics_dir: str,
                       signing_key: dict[str, str]) -> dict[str, str]:
    """The workers' variables: the supervisor's, with what it settled for all of them."""
    env = {**os.environ, "DATABASE_URL": backends.database_url, "REDIS_URL": backends.redis_url,
           "FINANCEHUB_GRPC_PORT": str(port), "FINANCEHUB_AUTO_MIGRATE": "false",
           MULTIPROCESS_DIR_VARIABLE: metrics_dir, **signing_key}
    if backends.read_replica_url:
        env["READ_REPLICA_URL"] = backends.read_replica_url
    return env


def shared_signing_key(settings: Settings) -> dict[str, str]:
    """In development without a configured key, one generated key for every worker: a
    token one worker issues must verify on the others. Refuses a bad key configuration
    (ConfigError) before anything is started."""
    keys = load_signing_keys(settings.source_env, environment=settings.environment)
    if keys.ephemeral:
        log.warning("no JWT signing key configured: the workers share an ephemeral "
                    "development key; tokens stop working when the server restarts "
                    "(set FINANCEHUB_JWT_PRIVATE_KEY_FILE)")
    return shared_key_environment(keys)


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class Supervisor:
    def __init__(self, settings: Settings, env: dict[str, str]) -> None:
        self._settings = settings
        self._env = env
        self._workers: dict[int, subprocess.Popen[bytes]] = {}
        self._stopping = False

    def _start(self, index: int) -> None:
        self._workers[index] = subprocess.Popen(
            [sys.executable, "-m", "server", WORKER_FLAG, str(index)], env=self._env,
            cwd=REPO_ROOT)
        log.info("worker started",
                 extra={"worker": index, "worker_pid": self._workers[index].pid})

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._request_stop)
        for index in range(self._settings.workers):
            self._start(index)
        while not self._stopping:
            time.sleep(POLL_INTERVAL_S)
            for index, worker in list(self._workers.items()):
                if worker.poll() is None or self._stopping:
                    continue
                multiprocess.mark_process_dead(worker.pid, self._env[MULTIPROCESS_DIR_VARIABLE])
                if worker.returncode == CONFIGURATION_ERROR_STATUS:
                    # It would fail the same way again: stop, saying why (the worker did).
                    log.error("worker refused its configuration; stopping",
                              extra={"worker": index, "worker_pid": worker.pid})
                    self._stop_workers()
                    return CONFIGURATION_ERROR_STATUS
                log.error("worker exited; starting it again",
                          extra={"worker": index, "worker_pid": worker.pid,
                                 "status": worker.returncode})
                time.sleep(RESTART_DELAY_S)
                self._start(index)
        return self._stop_workers()

    def _stop_workers(self) -> int:
        log.info("stopping workers", extra={"workers": len(self._workers)})
        for worker in self._workers.values():
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        deadline = (time.monotonic() + self._settings.shutdown_drain_delay_s
                    + self._settings.shutdown_grace_s + EXIT_ALLOWANCE_S)
        failed = 0
        for index, worker in self._workers.items():
            try:
                worker.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("worker overstayed its grace period; killed", extra={"worker": index})
                worker.kill()
                worker.wait()
            failed += worker.returncode not in (0, -signal.SIGTERM)
        return 1 if failed else 0


def supervise(settings: Settings) -> int:
    signing_key = shared_signing_key(settings)
    backends = resolve_backends(settings)
    log.info("backends", extra={"origin": backends.origin})
    try:
        if settings.auto_migrate:
            ensure_database(backends.database_url)
            log.info("migrations", extra={"applied": apply_migrations(backends.database_url)})
        # Workers must agree on the port: an ephemeral one is chosen here, once.
        port = settings.grpc_port or free_port(settings.grpc_host)
        with tempfile.TemporaryDirectory(prefix="financehub-metrics-") as metrics_dir:
            metrics_server = (serve_metrics(settings.grpc_host, settings.metrics_port,
                                            multiprocess_dir=metrics_dir)
                              if settings.metrics_port else None)
            supervisor = Supervisor(settings, worker_environment(backends, port, metrics_dir,
                                                                 signing_key))
            log.info("supervising workers", extra={"workers": settings.workers, "port": port})
            try:
                return supervisor.run()
            finally:
                if metrics_server is not None:
                    metrics_server.shutdown()
                    metrics_server.server_close()
    finally:
        backends.close()


async def stop_when_orphaned(stopping: asyncio.Event) -> None:
    """In a worker: set `stopping` once the supervisor is gone (killed without passing a
    SIGTERM on), so no worker keeps serving the port on its own."""
    supervisor = os.getppid()
    while os.getppid() == supervisor:
        await asyncio.sleep(SUPERVISOR_CHECK_S)
    log.warning("supervisor gone; stopping", extra={"supervisor_pid": supervisor})
    stopping.set()


def worker_index(argv: Sequence[str]) -> int | None:
    """N when started as `python -m server --worker N`, else None."""
    if len(argv) == 2 and argv[0] == WORKER_FLAG and argv[1].isdigit():
        return int(argv[1])
    return None
