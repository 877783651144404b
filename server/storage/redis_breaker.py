"""A small circuit breaker for the places that treat Redis as optional."""

import logging
import time
from collections.abc import Callable

from redis.exceptions import RedisError

# What a failing Redis raises: its own errors, and socket errors from a dead server.
REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)


class RedisBreaker:
    """Skips Redis for a while after it fails, and logs each outage once.

    After a failure nobody tries Redis for `retry_after_s`; then a single call
    probes it while the others keep using the fallback, so a dead Redis costs
    one timeout per window instead of one per call.
    """

    def __init__(self, *, purpose: str, fallback: str, logger: logging.Logger,
                 retry_after_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._purpose = purpose
        self._fallback = fallback
        self._log = logger
        self._retry_after_s = retry_after_s
        self._clock = clock
        self._down = False
        self._skip_until = float("-inf")

    def should_try(self) -> bool:
        now = self._clock()
        if now < self._skip_until:
            return False
        if self._down:
            self._skip_until = now + self._retry_after_s  # this caller is the probe
        return True

    def record_failure(self, error: Exception) -> None:
        self._skip_until = self._clock() + self._retry_after_s
        if not self._down:
            self._down = True
            self._log.warning("Redis unavailable: %s falls back to %s",
                              self._purpose, self._fallback, extra={"error": repr(error)})

    def record_success(self) -> None:
        if self._down:
            self._down = False
            self._skip_until = float("-inf")
            self._log.info("Redis answers again: %s uses it again", self._purpose)
