"""Third interceptor: may this principal call this RPC? Fail closed.

The permission comes from the RPC's `method_policy` in the contract; an RPC
without one is refused for everybody.
"""

from collections.abc import Callable
from typing import Any

import grpc
from grpc_interceptor import AsyncServerInterceptor

from server.domain.access import Role, has_permission
from server.domain.errors import PermissionDeniedError, UnauthenticatedError
from server.interceptors.error_mapping import abort_with
from server.interceptors.policies import declared_policy, is_infrastructure, proceed
from server.request_context import current_principal


class AuthorizationInterceptor(AsyncServerInterceptor):  # type: ignore[misc]
    async def intercept(
        self,
        method: Callable[..., Any],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
    ) -> Any:
        if not is_infrastructure(method_name):
            policy = declared_policy(method_name)
            principal = current_principal()
            if policy is None:
                await abort_with(context, PermissionDeniedError(
                    f"{method_name} declares no access policy and is refused",
                    reason="METHOD_NOT_DECLARED"))
            elif not policy.public and not has_permission(principal.role, policy.permission):
                if principal.role is Role.GUEST:
                    await abort_with(context, UnauthenticatedError(
                        f"{method_name} needs credentials with {policy.permission}",
                        reason="CREDENTIALS_REQUIRED",
                        metadata={"permission": policy.permission}))
                await abort_with(context, PermissionDeniedError(
                    f"role {principal.role.value} lacks {policy.permission}",
                    reason="PERMISSION_DENIED",
                    metadata={"permission": policy.permission, "role": principal.role.value}))
        return await proceed(method, request_or_iterator, context)
