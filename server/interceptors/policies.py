"""What the access interceptors share: which calls are infrastructure, and how to hand a
call on. The contract's policy of a call comes from `server.contract.policy_for`."""

from collections.abc import Callable
from typing import Any

import grpc

# Infrastructure every deployment needs reachable by probes and tools: always
# public, never rate-limited.
INFRASTRUCTURE_SERVICES = frozenset({
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
})


def is_infrastructure(method_name: str) -> bool:
    return method_name.strip("/").split("/", 1)[0] in INFRASTRUCTURE_SERVICES



async def proceed(method: Callable[..., Any], request_or_iterator: Any,
                  context: grpc.aio.ServicerContext[Any, Any]) -> Any:
    """Call the next handler: a coroutine for unary answers, an async iterator for streams."""
    result = method(request_or_iterator, context)
    return result if hasattr(result, "__aiter__") else await result
