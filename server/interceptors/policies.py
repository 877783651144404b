"""Which contract policy governs a call; shared by the access interceptors."""

from server.contract import MethodPolicy, policy_for

# Infrastructure every deployment needs reachable by probes and tools: always
# public, never rate-limited.
INFRASTRUCTURE_SERVICES = frozenset({
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
})


def is_infrastructure(method_name: str) -> bool:
    return method_name.strip("/").split("/", 1)[0] in INFRASTRUCTURE_SERVICES


def declared_policy(method_name: str) -> MethodPolicy | None:
    return policy_for(method_name)
