"""server.contract: every RPC declares its policy and an HTTP mapping."""

import importlib
import pkgutil

import pytest
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2, descriptor_pool

import financehub.v1
from financehub.options.v1 import options_pb2
from server.contract import (
    METHOD_POLICIES,
    SERVICE_DESCRIPTORS,
    MethodPolicy,
    full_method_name,
    policy_for,
    read_policies,
)

ALL_METHODS = [(service, method) for service in SERVICE_DESCRIPTORS for method in service.methods]


def _ids(pairs):
    return [f"{service.name}.{method.name}" for service, method in pairs]


def test_there_are_methods_to_check():
    assert len(SERVICE_DESCRIPTORS) >= 2
    assert len(ALL_METHODS) >= 3


def test_every_generated_service_is_registered():
    """A service missing from SERVICE_DESCRIPTORS would escape every check below."""
    declared = set()
    for module_info in pkgutil.iter_modules(financehub.v1.__path__):
        if module_info.name.endswith("_pb2"):
            module = importlib.import_module(f"financehub.v1.{module_info.name}")
            declared |= {s.full_name for s in module.DESCRIPTOR.services_by_name.values()}
    assert declared == {s.full_name for s in SERVICE_DESCRIPTORS}


@pytest.mark.parametrize(("service", "method"), ALL_METHODS, ids=_ids(ALL_METHODS))
def test_every_method_declares_a_policy(service, method):
    options = method.GetOptions()
    assert options.HasExtension(options_pb2.method_policy), (
        f"{service.full_name}.{method.name} lacks (financehub.options.v1.method_policy)")
    declared = options.Extensions[options_pb2.method_policy]
    assert declared.public or declared.permission, (
        f"{service.full_name}.{method.name} has neither a permission nor public=true")


@pytest.mark.parametrize(("service", "method"), ALL_METHODS, ids=_ids(ALL_METHODS))
def test_every_method_has_an_http_mapping(service, method):
    options = method.GetOptions()
    assert options.HasExtension(annotations_pb2.http), (
        f"{service.full_name}.{method.name} lacks (google.api.http)")
    rule = options.Extensions[annotations_pb2.http]
    pattern = rule.WhichOneof("pattern")
    assert pattern in {"get", "put", "post", "delete", "patch", "custom"}
    path = rule.custom.path if pattern == "custom" else getattr(rule, pattern)
    assert path.startswith("/v1/")


def test_method_policies_table_covers_every_method_and_has_no_gaps():
    expected = {f"/{s.full_name}/{m.name}" for s, m in ALL_METHODS}
    assert set(METHOD_POLICIES) == expected
    missing = [name for name, policy in METHOD_POLICIES.items() if policy is None]
    assert missing == []
    for name, policy in METHOD_POLICIES.items():
        assert policy.full_method == name
        assert policy.rate_limit_cost >= 1
        assert policy.public or policy.permission


def test_declared_policies_match_the_protos():
    # Values typed out from proto/financehub/v1/market.proto and charts.proto.
    assert policy_for("/financehub.v1.MarketService/ListTickers") == MethodPolicy(
        "/financehub.v1.MarketService/ListTickers", "read:tickers", False, 1,
        options_pb2.CACHE_CATEGORY_TICKERS)
    assert policy_for("/financehub.v1.MarketService/GetTicker") == MethodPolicy(
        "/financehub.v1.MarketService/GetTicker", "read:tickers", False, 1,
        options_pb2.CACHE_CATEGORY_TICKERS)
    assert policy_for("/financehub.v1.ChartService/GetBars") == MethodPolicy(
        "/financehub.v1.ChartService/GetBars", "read:tickers", False, 2,
        options_pb2.CACHE_CATEGORY_OHLC)


def test_unknown_method_has_no_policy():
    assert policy_for("/financehub.v1.MarketService/DropTables") is None
    assert policy_for("financehub.v1.MarketService/ListTickers") is None  # no leading slash


def test_full_method_name():
    service = SERVICE_DESCRIPTORS[0]
    assert full_method_name(service, "X") == f"/{service.full_name}/X"


# --- read_policies on a hand-built service -------------------------------------------------


def _probe_service():
    """A service with one declared method, one undeclared, one public with cost 0."""
    pool = descriptor_pool.DescriptorPool()
    for file in (descriptor_pb2.DESCRIPTOR, options_pb2.DESCRIPTOR):
        proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(proto)
        pool.Add(proto)
    proto = descriptor_pb2.FileDescriptorProto(
        name="probe/v1/probe.proto", package="probe.v1", syntax="proto3",
        dependency=["financehub/options/v1/options.proto"],
    )
    proto.message_type.add(name="Req")
    proto.message_type.add(name="Resp")
    service = proto.service.add(name="ProbeService")

    def method(name):
        return service.method.add(name=name, input_type=".probe.v1.Req",
                                  output_type=".probe.v1.Resp")

    declared = method("Declared").options.Extensions[options_pb2.method_policy]
    declared.permission = "read:premium"
    declared.rate_limit_cost = 5
    declared.cache_category = options_pb2.CACHE_CATEGORY_FUNDS
    method("Undeclared")
    public = method("Login").options.Extensions[options_pb2.method_policy]
    public.public = True
    pool.Add(proto)
    return pool.FindServiceByName("probe.v1.ProbeService")


def test_read_policies_returns_none_for_a_method_without_the_option():
    policies = read_policies([_probe_service()])
    assert list(policies) == ["/probe.v1.ProbeService/Declared",
                              "/probe.v1.ProbeService/Undeclared",
                              "/probe.v1.ProbeService/Login"]
    assert policies["/probe.v1.ProbeService/Undeclared"] is None
    assert policies["/probe.v1.ProbeService/Declared"] == MethodPolicy(
        "/probe.v1.ProbeService/Declared", "read:premium", False, 5,
        options_pb2.CACHE_CATEGORY_FUNDS)
    # rate_limit_cost 0 (unset) counts as 1
    assert policies["/probe.v1.ProbeService/Login"] == MethodPolicy(
        "/probe.v1.ProbeService/Login", "", True, 1, options_pb2.CACHE_CATEGORY_UNSPECIFIED)


def test_contract_check_would_catch_the_undeclared_method():
    service = _probe_service()
    offenders = [m.name for m in service.methods
                 if not m.GetOptions().HasExtension(options_pb2.method_policy)]
    assert offenders == ["Undeclared"]
    # and read_policies agrees with the check used on the real services
    assert [name for name, p in read_policies([service]).items() if p is None] == [
        "/probe.v1.ProbeService/Undeclared"]


def test_read_policies_of_several_services_merges_them():
    policies = read_policies([*SERVICE_DESCRIPTORS, _probe_service()])
    assert len(policies) == len(ALL_METHODS) + 3
    assert policies["/financehub.v1.ChartService/GetBars"] == METHOD_POLICIES[
        "/financehub.v1.ChartService/GetBars"]
