"""Retries of unary calls: UNAVAILABLE with exponential backoff and jitter, and
RESOURCE_EXHAUSTED when the server says (RetryInfo) how long to wait.

Which calls are retried:

* RESOURCE_EXHAUSTED carrying a `RetryInfo`: any unary RPC. The server's rate
  limiter and quotas refuse a call before it runs, so repeating it is always safe.
  The wait is the server's `retry_delay` (plus up to 10% jitter); a delay longer
  than `max_retry_delay` is not waited for: the error is raised at once, with its
  `retry_delay`, for the caller to decide. Without RetryInfo (a server at its
  concurrency limit) it is not retried.
* UNAVAILABLE: only RPCs that are safe to repeat when the first attempt's fate is
  unknown: those the contract maps to HTTP GET or DELETE, the read-only POSTs
  (ScreenSecurities, GetIndicators, AnalyzeSentiment), and `PlaceOrder` when it
  carries a `client_order_id` (the SDK fills one in when you leave it empty, so
  the server replays the first answer instead of placing twice).
  `RetryPolicy(retry_non_idempotent=True)` retries every unary RPC on UNAVAILABLE;
  that is the caller's choice (ResetAccount, CreateApiKey, Register... may then
  happen twice, and a repeated RefreshToken ends the session).
* Streams are never retried; neither is any other status.

A call's `timeout` bounds all of its attempts and waits together.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import Message

from financehub_client._methods import MethodInfo
from financehub_client.errors import FinanceHubError

log = logging.getLogger("financehub_client")

_random = random.Random()
_RETRY_INFO_JITTER = 0.1


@dataclass(frozen=True)
class RetryPolicy:
    """How unary calls are retried (see the module's docstring for which ones).

    Attributes:
        max_attempts: attempts in all, the first included (1 turns retries off).
        initial_backoff: seconds before the first retry after UNAVAILABLE.
        max_backoff: the longest backoff after UNAVAILABLE.
        backoff_multiplier: growth of the backoff per attempt.
        max_retry_delay: the longest server-requested (RetryInfo) wait honoured.
        retry_non_idempotent: also retry RPCs that are not safe to repeat on UNAVAILABLE.
    """

    max_attempts: int = 4
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    backoff_multiplier: float = 2.0
    max_retry_delay: float = 30.0
    retry_non_idempotent: bool = False

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.max_retry_delay < 0:
            raise ValueError("backoffs and delays must not be negative")
        if self.backoff_multiplier < 1:
            raise ValueError("backoff_multiplier must be at least 1")

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """One attempt per call."""
        return cls(max_attempts=1)

    def backoff(self, retry_number: int) -> float:
        """The wait before retry `retry_number` (1-based) after UNAVAILABLE: exponential,
        capped, with "equal jitter" (between half and all of the exponential value)."""
        ceiling = min(self.max_backoff,
                      self.initial_backoff * self.backoff_multiplier ** (retry_number - 1))
        return ceiling / 2 + _random.uniform(0, ceiling / 2)


class RetryPlan:
    """One unary call's retry state, shared by the sync and asyncio interceptors (which
    only differ in how they sleep)."""

    def __init__(self, policy: RetryPolicy, method: MethodInfo | None, request: Any,
                 timeout: float | None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._policy = policy
        self._method = method
        self._idempotent = (method is not None and isinstance(request, Message)
                            and method.idempotent(request))
        self._clock = clock
        self._deadline = clock() + timeout if timeout is not None else None
        self.attempts = 0

    def attempt_timeout(self) -> float | None:
        """The timeout for the next attempt: what is left of the call's."""
        self.attempts += 1
        if self._deadline is None:
            return None
        return max(0.001, self._deadline - self._clock())

    def delay_after(self, code: grpc.StatusCode,
                    trailing_metadata: Iterable[tuple[str, Any]] | None) -> float | None:
        """Seconds to wait before the next attempt after one that ended with `code`, or
        None when the call should fail with this answer."""
        if code is grpc.StatusCode.OK or self.attempts >= self._policy.max_attempts:
            return None
        if code is grpc.StatusCode.RESOURCE_EXHAUSTED:
            requested = FinanceHubError.from_status(code, "", trailing_metadata).retry_delay
            if requested is None or requested > self._policy.max_retry_delay:
                return None
            delay = requested * (1 + _random.uniform(0, _RETRY_INFO_JITTER))
        elif code is grpc.StatusCode.UNAVAILABLE:
            if not (self._idempotent or self._policy.retry_non_idempotent):
                return None
            delay = self._policy.backoff(self.attempts)
        else:
            return None
        if self._deadline is not None and self._clock() + delay >= self._deadline:
            return None
        name = self._method.full_name if self._method else "call"
        log.info("retrying %s after %s in %.2f s (attempt %d of %d)", name, code.name, delay,
                 self.attempts + 1, self._policy.max_attempts)
        return delay
