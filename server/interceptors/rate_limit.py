"""Fourth interceptor: per-principal, per-tier rate limiting, weighted by RPC cost.

Every call (admins' included) goes through the limiter; the unlimited tier just
has a ceiling no client reaches. `x-ratelimit-limit`, `-remaining` and
`-reset` (seconds until the budget is full again) go back on every response;
calls refused earlier for their credentials or permissions are charged too
(through the same meter), so hammering with bad tokens spends a budget like
any other call. Refusals are counted in `financehub_rate_limit_refusals_total`.
"""

import math
from collections.abc import Callable, Mapping
from typing import Any

import grpc

from server.contract import policy_for
from server.domain.access import Principal, RateLimitTier
from server.domain.errors import ResourceExhaustedError
from server.interceptors.base import ServerInterceptor
from server.interceptors.error_mapping import abort_with
from server.interceptors.policies import is_infrastructure, proceed
from server.metrics import RATE_LIMIT_REFUSALS
from server.request_context import add_response_header, current_principal
from server.security.rate_limiter import RateLimitDecision, RateLimiter


class RateLimitMeter:
    """Charges a principal's budget for a call and reports its state in the response headers."""

    def __init__(self, limiter: RateLimiter, limits: Mapping[RateLimitTier, int]) -> None:
        self._limiter = limiter
        self._limits = dict(limits)

    def limit_for(self, principal: Principal) -> int:
        return self._limits[principal.tier]

    async def charge(self, principal: Principal, cost: int) -> RateLimitDecision:
        decision = await self._limiter.check(principal.rate_limit_key,
                                             limit_per_minute=self.limit_for(principal),
                                             cost=cost)
        add_response_header("x-ratelimit-limit", str(decision.limit))
        add_response_header("x-ratelimit-remaining", str(decision.remaining))
        add_response_header("x-ratelimit-reset", str(math.ceil(decision.reset_after_s)))
        return decision


class RateLimitInterceptor(ServerInterceptor):
    def __init__(self, meter: RateLimitMeter) -> None:
        super().__init__()
        self._meter = meter

    async def intercept(
        self,
        method: Callable[..., Any],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
    ) -> Any:
        policy = policy_for(method_name)
        if not is_infrastructure(method_name) and policy is not None:
            principal = current_principal()
            limit = self._meter.limit_for(principal)
            decision = await self._meter.charge(principal, policy.rate_limit_cost)
            if not decision.allowed:
                RATE_LIMIT_REFUSALS.labels(principal.tier.value, method_name).inc()
                await abort_with(context, ResourceExhaustedError(
                    f"rate limit of {limit} per minute for tier {principal.tier.value} reached; "
                    f"retry in {decision.retry_after_s:.1f} s",
                    retry_after_s=decision.retry_after_s,
                    quota_subject=principal.label,
                    quota_description=f"{limit} request units per minute "
                                      f"(tier {principal.tier.value}); this call costs "
                                      f"{policy.rate_limit_cost}",
                    reason="RATE_LIMIT_EXCEEDED",
                    metadata={"tier": principal.tier.value, "limit": str(limit)}))
        return await proceed(method, request_or_iterator, context)
