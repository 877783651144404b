"""What the contract declares about each RPC, read from the service descriptors.

Every RPC carries a `financehub.options.v1.method_policy` option; interceptors
and the cache look it up here by full method name ("/pkg.Service/Method").
"""

from collections.abc import Iterable
from dataclasses import dataclass

from google.protobuf.descriptor import ServiceDescriptor

from financehub.options.v1 import options_pb2
from financehub.v1 import (
    admin_pb2,
    ai_pb2,
    auth_pb2,
    backtests_pb2,
    charts_pb2,
    fundamentals_pb2,
    funds_pb2,
    indices_pb2,
    market_pb2,
    quotes_pb2,
    research_pb2,
    trading_pb2,
)

# Every service the server exposes, in the order they are registered.
SERVICE_DESCRIPTORS: tuple[ServiceDescriptor, ...] = (
    market_pb2.DESCRIPTOR.services_by_name["MarketService"],
    quotes_pb2.DESCRIPTOR.services_by_name["QuoteService"],
    indices_pb2.DESCRIPTOR.services_by_name["IndexService"],
    charts_pb2.DESCRIPTOR.services_by_name["ChartService"],
    auth_pb2.DESCRIPTOR.services_by_name["AuthService"],
    admin_pb2.DESCRIPTOR.services_by_name["AdminService"],
    trading_pb2.DESCRIPTOR.services_by_name["TradingService"],
    backtests_pb2.DESCRIPTOR.services_by_name["BacktestService"],
    funds_pb2.DESCRIPTOR.services_by_name["FundService"],
    research_pb2.DESCRIPTOR.services_by_name["ResearchService"],
    fundamentals_pb2.DESCRIPTOR.services_by_name["FundamentalsService"],
    ai_pb2.DESCRIPTOR.services_by_name["AIService"],
)


@dataclass(frozen=True)
class MethodPolicy:
    full_method: str
    permission: str
    public: bool
    rate_limit_cost: int
    cache_category: int


def full_method_name(service: ServiceDescriptor, method_name: str) -> str:
    return f"/{service.full_name}/{method_name}"


def read_policies(services: Iterable[ServiceDescriptor]) -> dict[str, MethodPolicy | None]:
    """Each method's declared policy; None for a method that declares none."""
    policies: dict[str, MethodPolicy | None] = {}
    for service in services:
        for method in service.methods:
            name = full_method_name(service, method.name)
            options = method.GetOptions()
            if not options.HasExtension(options_pb2.method_policy):
                policies[name] = None
                continue
            declared = options.Extensions[options_pb2.method_policy]
            policies[name] = MethodPolicy(
                full_method=name,
                permission=declared.permission,
                public=declared.public,
                rate_limit_cost=max(1, declared.rate_limit_cost),
                cache_category=declared.cache_category,
            )
    return policies


METHOD_POLICIES: dict[str, MethodPolicy | None] = read_policies(SERVICE_DESCRIPTORS)


def policy_for(full_method: str) -> MethodPolicy | None:
    return METHOD_POLICIES.get(full_method)
