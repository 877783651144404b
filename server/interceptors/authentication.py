"""Second interceptor: establish who is calling (bearer token, API key or guest)."""

from collections.abc import Callable
from typing import Any

import grpc

from server.contract import policy_for
from server.domain.access import guest
from server.domain.errors import DomainError
from server.interceptors.base import ServerInterceptor
from server.interceptors.error_mapping import abort_with
from server.interceptors.policies import is_infrastructure, proceed
from server.interceptors.rate_limit import RateLimitMeter
from server.request_context import principal_var
from server.security.authenticator import Authenticator, ProxyNetworks, client_address


class AuthenticationInterceptor(ServerInterceptor):
    def __init__(self, authenticator: Authenticator, trusted_proxies: ProxyNetworks,
                 meter: RateLimitMeter) -> None:
        super().__init__()
        self._authenticator = authenticator
        self._trusted_proxies = trusted_proxies
        self._meter = meter

    async def intercept(
        self,
        method: Callable[..., Any],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
    ) -> Any:
        metadata = {key: value for key, value in context.invocation_metadata() or ()
                    if isinstance(value, str)}
        address = client_address(context.peer(), metadata.get("x-forwarded-for"),
                                 self._trusted_proxies)
        if is_infrastructure(method_name):
            principal_var.set(guest(address))
            return await proceed(method, request_or_iterator, context)
        policy = policy_for(method_name)
        try:
            principal = await self._authenticator.authenticate(
                metadata, address, credentials_optional=bool(policy and policy.public))
        except DomainError as error:
            refused = guest(address)
            principal_var.set(refused)
            await self._meter.charge(refused, policy.rate_limit_cost if policy else 1)
            await abort_with(context, error)
        principal_var.set(principal)
        return await proceed(method, request_or_iterator, context)
