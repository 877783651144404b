"""Every RPC of every service, called over a real channel as each of the five roles
(and as a partner's API key), against the permission table in server.domain.access.

The list of methods comes from the service descriptors, never from a hand-written list,
so a new RPC is covered the moment it is added to the contract.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.protobuf import empty_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from financehub.v1 import admin_pb2, auth_pb2, auth_pb2_grpc, market_pb2, market_pb2_grpc
from server.app import interceptor_chain
from server.contract import METHOD_POLICIES, SERVICE_DESCRIPTORS, full_method_name
from server.domain.access import RateLimitTier, Role, has_permission
from server.interceptors.policies import INFRASTRUCTURE_SERVICES
from server.interceptors.rate_limit import RateLimitMeter
from server.security.authenticator import Authenticator
from server.security.rate_limiter import RateLimiter
from server.security.revocations import RevocationList
from server.security.tokens import SigningKey, TokenService
from server.storage.api_keys import ApiKeyRepository
from server.storage.backends import Backends
from tests.support.identity import (
    Account,
    api_key,
    bearer,
    create_account,
    create_api_key,
    error_info,
    invoke,
    login,
    refusal,
    status_details,
)
from tests.support.services import EventLoopThread, RunningServer, start_test_server

SIGNED_IN = (Role.USER, Role.PREMIUM, Role.PARTNER, Role.ADMIN)
# Errors that say the call never got past the access checks, or broke: an allowed
# call must end with none of them.
NOT_AN_ALLOWED_OUTCOME = {
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
ACCESS_REASONS = {"CREDENTIALS_REQUIRED", "PERMISSION_DENIED", "METHOD_NOT_DECLARED"}
# Methods whose contract is ahead of the server: an allowed call passes every access
# check and then gets UNIMPLEMENTED (reason NOT_IMPLEMENTED). Remove one when it is built.
NOT_BUILT_YET: set[str] = set()


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role
    credential: str  # "none", "token" or "api_key"


CALLERS = (
    Caller("guest", Role.GUEST, "none"),
    *(Caller(role.value, role, "token") for role in SIGNED_IN),
    Caller("partner-api-key", Role.PARTNER, "api_key"),
)

METHODS = [(service, method) for service in SERVICE_DESCRIPTORS for method in service.methods]


def allowed(role: Role, full_method: str) -> bool:
    policy = METHOD_POLICIES[full_method]
    return policy is not None and (policy.public or has_permission(role, policy.permission))


def test_the_matrix_has_methods_and_both_outcomes() -> None:
    """Guards against a vacuous matrix (no methods, or a table that allows or denies all)."""
    assert len(METHODS) >= 20
    outcomes = {(caller.name, allowed(caller.role, full_method_name(service, method.name)))
                for caller in CALLERS for service, method in METHODS}
    for caller in CALLERS:
        assert (caller.name, True) in outcomes, caller
        if caller.role is not Role.ADMIN:
            assert (caller.name, False) in outcomes, caller


@pytest.fixture(scope="module")
def accounts(server: RunningServer) -> dict[Role, Account]:
    return {role: create_account(server, role, label=f"matrix-{role.value}") for role in SIGNED_IN}


@pytest.fixture(scope="module")
def partner_api_key(accounts: dict[Role, Account], channel: grpc.Channel) -> str:
    token = login(channel, accounts[Role.PARTNER]).tokens.access_token
    return create_api_key(channel, token, name="matrix partner").secret


def credentials_for(caller: Caller, accounts: dict[Role, Account], channel: grpc.Channel,
                    partner_key: str) -> tuple[tuple[str, str], ...]:
    if caller.credential == "none":
        return ()
    if caller.credential == "api_key":
        return api_key(partner_key)
    # A fresh login for every call: Logout (or anything else that ends a session) must not
    # spoil the credentials of the calls that follow.
    return bearer(login(channel, accounts[caller.role]).tokens.access_token)


@pytest.mark.parametrize("caller", CALLERS, ids=lambda caller: caller.name)
@pytest.mark.parametrize(("service", "method"), METHODS,
                         ids=[f"{s.name}.{m.name}" for s, m in METHODS])
def test_every_rpc_as_every_role(service, method, caller: Caller, accounts, partner_api_key,
                                 channel: grpc.Channel) -> None:
    full_method = full_method_name(service, method.name)
    policy = METHOD_POLICIES[full_method]
    assert policy is not None, f"{full_method} declares no access policy"
    metadata = credentials_for(caller, accounts, channel, partner_api_key)

    outcome = invoke(channel, service, method, metadata)

    if allowed(caller.role, full_method):
        if full_method in NOT_BUILT_YET:
            assert outcome.code is grpc.StatusCode.UNIMPLEMENTED
            assert outcome.error is not None
            assert error_info(outcome.error).reason == "NOT_IMPLEMENTED"
            return
        assert outcome.code not in NOT_AN_ALLOWED_OUTCOME, (
            f"{caller.name} may call {full_method} but got {outcome.code}: "
            f"{outcome.error and outcome.error.details()}")
        if outcome.error is not None:  # a domain refusal of the empty request, not an access one
            assert error_info(outcome.error).reason not in ACCESS_REASONS
        return
    assert outcome.error is not None, f"{caller.name} called {full_method} without permission"
    info = error_info(outcome.error)
    if caller.role is Role.GUEST:
        assert outcome.code is grpc.StatusCode.UNAUTHENTICATED
        assert info.reason == "CREDENTIALS_REQUIRED"
        assert info.metadata["permission"] == policy.permission
    else:
        assert outcome.code is grpc.StatusCode.PERMISSION_DENIED
        assert info.reason == "PERMISSION_DENIED"
        assert info.metadata["permission"] == policy.permission
        assert info.metadata["role"] == caller.role.value
    assert info.metadata["request_id"]


def test_the_matrix_covers_every_service_the_server_exposes(channel: grpc.Channel) -> None:
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = reflection.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10)
    served = {service.name for response in responses
              for service in response.list_services_response.service}
    application_services = served - INFRASTRUCTURE_SERVICES
    assert application_services == {service.full_name for service in SERVICE_DESCRIPTORS}


def test_an_api_key_acts_with_its_owners_role(accounts, partner_api_key,
                                              channel: grpc.Channel) -> None:
    me = auth_pb2_grpc.AuthServiceStub(channel).GetMe(
        auth_pb2.GetMeRequest(), metadata=api_key(partner_api_key), timeout=10)
    assert me.user.id == accounts[Role.PARTNER].user_id
    assert me.user.email == accounts[Role.PARTNER].email


# --- a method without a declaration, on a server with the same interceptor chain --------

UNDECLARED = "/financehub.v1.Undeclared/Call"
LIST_USERS = "/financehub.v1.AdminService/ListUsers"


@dataclass
class ChainServer:
    address: str
    tokens: TokenService
    reached: list[str]


@pytest.fixture(scope="module")
def chain_server(server: RunningServer, loop_thread: EventLoopThread) -> Iterator[ChainServer]:
    """A grpc.aio server with app.py's interceptor chain (over the app's Redis and Postgres)
    serving a method the contract does not know, next to a declared one."""
    tokens = TokenService(signing_key=SigningKey.from_private_key(Ed25519PrivateKey.generate()),
                          issuer=server.app.settings.jwt_issuer,
                          audience=server.app.settings.jwt_audience)
    reached: list[str] = []

    async def undeclared(request: empty_pb2.Empty, context: object) -> empty_pb2.Empty:
        reached.append(UNDECLARED)
        return empty_pb2.Empty()

    async def list_users(request: admin_pb2.ListUsersRequest,
                         context: object) -> admin_pb2.ListUsersResponse:
        reached.append(LIST_USERS)
        return admin_pb2.ListUsersResponse()

    async def start() -> tuple[grpc.aio.Server, int]:
        app = server.app
        revocations = RevocationList(app.redis, app.database, access_ttl_s=900)
        chain = grpc.aio.server(interceptors=interceptor_chain(
            Authenticator(tokens, revocations, ApiKeyRepository(app.database)),
            RateLimitMeter(RateLimiter(app.redis), {tier: 100_000 for tier in RateLimitTier}),
            frozenset()))
        chain.add_generic_rpc_handlers((
            grpc.method_handlers_generic_handler("financehub.v1.Undeclared", {
                "Call": grpc.unary_unary_rpc_method_handler(
                    undeclared, request_deserializer=empty_pb2.Empty.FromString,
                    response_serializer=empty_pb2.Empty.SerializeToString)}),
            grpc.method_handlers_generic_handler("financehub.v1.AdminService", {
                "ListUsers": grpc.unary_unary_rpc_method_handler(
                    list_users, request_deserializer=admin_pb2.ListUsersRequest.FromString,
                    response_serializer=admin_pb2.ListUsersResponse.SerializeToString)}),
        ))
        port = chain.add_insecure_port("127.0.0.1:0")
        await chain.start()
        return chain, port

    chain, port = loop_thread.run(start())
    yield ChainServer(f"127.0.0.1:{port}", tokens, reached)
    loop_thread.run(chain.stop(1))


def test_a_method_without_a_declaration_is_refused_even_to_an_admin(
        chain_server: ChainServer, accounts) -> None:
    assert METHOD_POLICIES.get(UNDECLARED, "absent") == "absent"
    admin = accounts[Role.ADMIN]
    token = chain_server.tokens.issue_access_token(
        user_id=admin.user_id, role="admin", session_id=str(uuid.uuid4())).token
    with grpc.insecure_channel(chain_server.address) as chain_channel:
        undeclared = chain_channel.unary_unary(
            UNDECLARED, request_serializer=empty_pb2.Empty.SerializeToString,
            response_deserializer=empty_pb2.Empty.FromString)
        declared = chain_channel.unary_unary(
            LIST_USERS, request_serializer=admin_pb2.ListUsersRequest.SerializeToString,
            response_deserializer=admin_pb2.ListUsersResponse.FromString)

        # Control: the same admin token passes the same chain on a declared method.
        declared(admin_pb2.ListUsersRequest(), metadata=bearer(token), timeout=10)
        assert chain_server.reached == [LIST_USERS]

        metadata: tuple[tuple[str, str], ...]
        for metadata in (bearer(token), ()):
            error = refusal(partial(undeclared, empty_pb2.Empty(), metadata=metadata,
                                    timeout=10))
            assert error.code() is grpc.StatusCode.PERMISSION_DENIED
            assert error_info(error).reason == "METHOD_NOT_DECLARED"
        assert chain_server.reached == [LIST_USERS]  # the undeclared handler never ran

        guest_error = refusal(lambda: declared(admin_pb2.ListUsersRequest(), timeout=10))
        assert guest_error.code() is grpc.StatusCode.UNAUTHENTICATED
        assert chain_server.reached == [LIST_USERS]


# --- rate-limit headers ---------------------------------------------------------------

RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
STANDARD_LIMIT = 5


def rate_headers(metadata: object) -> dict[str, str]:
    return {key: value for key, value in (metadata or ())  # type: ignore[attr-defined]
            if key in RATE_HEADERS}


@pytest.fixture(scope="module")
def tight_server(seeded: Backends) -> Iterator[RunningServer]:
    """A server whose standard tier allows 5 units a minute (own loop, same backends)."""
    loop = EventLoopThread()
    running = start_test_server(seeded, loop, FINANCEHUB_RATE_LIMIT_STANDARD=str(STANDARD_LIMIT))
    yield running
    loop.run(running.app.stop(grace_s=1))
    loop.close()


def test_successful_calls_carry_rate_limit_headers_that_count_down(
        tight_server: RunningServer) -> None:
    account = create_account(tight_server, Role.USER, label="headers")
    with grpc.insecure_channel(tight_server.address) as tight:
        token = login(tight, account).tokens.access_token
        auth = auth_pb2_grpc.AuthServiceStub(tight)
        seen = []
        for _ in range(STANDARD_LIMIT):
            response, call = auth.GetMe.with_call(auth_pb2.GetMeRequest(),
                                                  metadata=bearer(token), timeout=10)
            assert response.user.id == account.user_id
            seen.append(rate_headers(call.initial_metadata()))
        assert [h["x-ratelimit-limit"] for h in seen] == [str(STANDARD_LIMIT)] * STANDARD_LIMIT
        assert [int(h["x-ratelimit-remaining"]) for h in seen] == [4, 3, 2, 1, 0]
        # Seconds until the bucket is full again: one unit refills every 60/5 = 12 s.
        assert [int(h["x-ratelimit-reset"]) for h in seen] == [12, 24, 36, 48, 60]

        refused = refusal(lambda: auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(token),
                                             timeout=10))
        assert refused.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
        headers = rate_headers(refused.trailing_metadata())
        assert headers["x-ratelimit-limit"] == str(STANDARD_LIMIT)
        assert headers["x-ratelimit-remaining"] == "0"
        assert 59 <= int(headers["x-ratelimit-reset"]) <= 60
        details = status_details(refused)
        assert details["ErrorInfo"].reason == "RATE_LIMIT_EXCEEDED"
        retry_s = details["RetryInfo"].retry_delay.ToMilliseconds() / 1000
        assert 11 < retry_s <= 12
        assert details["QuotaFailure"].violations[0].subject == f"user:{account.user_id}"


def test_guest_success_carries_the_guest_tier_headers(channel: grpc.Channel,
                                                       server: RunningServer) -> None:
    market = market_pb2_grpc.MarketServiceStub(channel)
    response, call = market.GetTicker.with_call(market_pb2.GetTickerRequest(symbol="2222"),
                                                timeout=10)
    assert response.ticker.symbol == "2222"
    headers = rate_headers(call.initial_metadata())
    assert headers["x-ratelimit-limit"] == str(server.app.settings.rate_limits_per_minute["guest"])
    assert 0 <= int(headers["x-ratelimit-remaining"]) < int(headers["x-ratelimit-limit"])
    assert int(headers["x-ratelimit-reset"]) >= 0


def test_a_call_the_servicer_refuses_carries_rate_limit_headers_in_its_trailers(
        channel: grpc.Channel) -> None:
    market = market_pb2_grpc.MarketServiceStub(channel)
    error = refusal(lambda: market.GetTicker(market_pb2.GetTickerRequest(symbol="9998"),
                                             timeout=10))
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert set(rate_headers(error.trailing_metadata())) == set(RATE_HEADERS)


@pytest.mark.parametrize("who", ["guest", "user", "bad-token"])
def test_calls_refused_for_access_carry_rate_limit_headers(who: str, accounts,
                                                           channel: grpc.Channel) -> None:
    metadata: tuple[tuple[str, str], ...] = ()
    if who == "user":
        metadata = bearer(login(channel, accounts[Role.USER]).tokens.access_token)
    elif who == "bad-token":
        metadata = bearer("not-a-jwt")
    admin = channel.unary_unary(
        LIST_USERS, request_serializer=admin_pb2.ListUsersRequest.SerializeToString,
        response_deserializer=admin_pb2.ListUsersResponse.FromString)
    error = refusal(lambda: admin(admin_pb2.ListUsersRequest(), metadata=metadata, timeout=10))
    assert error.code() in {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED}
    assert set(rate_headers(error.trailing_metadata())) == set(RATE_HEADERS)

