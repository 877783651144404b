"""Third interceptor: may this principal call this RPC? Fail closed.

The permission comes from the RPC's `method_policy` in the contract; an RPC
without one is refused for everybody.
"""

from collections.abc import Callable
from typing import Any

import grpc

from server.contract import MethodPolicy, policy_for
from server.domain.access import Principal, Role, has_permission
from server.domain.errors import DomainError, PermissionDeniedError, UnauthenticatedError
from server.interceptors.base import ServerInterceptor
from server.interceptors.error_mapping import abort_with
from server.interceptors.policies import is_infrastructure, proceed
from server.interceptors.rate_limit import RateLimitMeter
from server.request_context import current_principal


class AuthorizationInterceptor(ServerInterceptor):
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
        if not is_infrastructure(method_name):
            policy = policy_for(method_name)
            principal = current_principal()
            refusal = self._refusal(method_name, policy, principal)
            if refusal is not None:
                await self._meter.charge(principal, policy.rate_limit_cost if policy else 1)
                await abort_with(context, refusal)
        return await proceed(method, request_or_iterator, context)

    @staticmethod
    def _refusal(method_name: str, policy: MethodPolicy | None,
                 principal: Principal) -> DomainError | None:
        if policy is None:
            return PermissionDeniedError(
                f"{method_name} declares no access policy and is refused",
                reason="METHOD_NOT_DECLARED")
        if policy.public or has_permission(principal.role, policy.permission):
            return None
        if principal.role is Role.GUEST:
            return UnauthenticatedError(
                f"{method_name} needs credentials with {policy.permission}",
                reason="CREDENTIALS_REQUIRED", metadata={"permission": policy.permission})
        return PermissionDeniedError(
            f"role {principal.role.value} lacks {policy.permission}",
            reason="PERMISSION_DENIED",
            metadata={"permission": policy.permission, "role": principal.role.value})
