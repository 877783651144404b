"""Security probes on credentials and ownership, against a real server whose JWT signing key
the test holds (so it can forge every kind of bad token), with the paper broker, the
backtest engine and an OpenAI-compatible stub behind the AI chat.

- forged, expired, not-yet-valid, mis-addressed and revoked bearer tokens are refused with
  UNAUTHENTICATED and an ErrorInfo reason before any servicer runs;
- a refresh token used twice ends its whole family;
- a user cannot change their own role, through any RPC;
- user A cannot see, read, cancel, delete or revoke what user B owns, and the refusal is
  the same NOT_FOUND, byte for byte, as for an id that does not exist.
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.type import decimal_pb2

from financehub.v1 import (
    admin_pb2,
    admin_pb2_grpc,
    ai_pb2,
    ai_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    backtests_pb2,
    backtests_pb2_grpc,
    identity_pb2,
    trading_pb2,
    trading_pb2_grpc,
)
from server.contract import METHOD_POLICIES, SERVICE_DESCRIPTORS, full_method_name
from server.domain.access import Role, has_permission
from server.storage.backends import Backends
from tests.resilience.conftest import Recorder
from tests.support.identity import (
    Account,
    api_key,
    bearer,
    create_account,
    create_api_key,
    error_info,
    fetch_all,
    login,
    refusal,
    rpc_error,
    status_details,
)
from tests.support.openai_server import OpenAIStubServer
from tests.support.services import EventLoopThread
from tests.support.tokens import (
    BEARER_ATTACKS,
    KeyedServer,
    Kit,
    counting_get_me,
    start_keyed_server,
    unverified_claims,
)

AREA = "Security"


@dataclass
class Deployment:
    keyed: KeyedServer
    channel: grpc.Channel
    llm: OpenAIStubServer

    @property
    def auth(self) -> auth_pb2_grpc.AuthServiceStub:
        return auth_pb2_grpc.AuthServiceStub(self.channel)

    def account(self, role: Role = Role.USER, label: str = "probe") -> Account:
        return create_account(self.keyed.running, role, label=label)


@pytest.fixture(scope="module")
def deployment(seeded: Backends,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    loop = EventLoopThread()
    with OpenAIStubServer() as llm:
        keyed = start_keyed_server(
            seeded, loop, tmp_path_factory.mktemp("security-jwt"),
            FINANCEHUB_LLM_MODEL="stub-model", FINANCEHUB_LLM_BASE_URL=llm.base_url,
            FINANCEHUB_LLM_API_KEY="sk-security-probe", FINANCEHUB_LLM_MAX_RETRIES="0",
            FINANCEHUB_LLM_TIMEOUT_SECONDS="5")
        try:
            with grpc.insecure_channel(keyed.running.address) as channel:
                grpc.channel_ready_future(channel).result(timeout=10)
                yield Deployment(keyed, channel, llm)
        finally:
            loop.run(keyed.running.app.stop(grace_s=1))
            loop.close()


def stored_role(database_url: str, user_id: str) -> str:
    (row,) = fetch_all(database_url, "SELECT role FROM users WHERE id = %s", (user_id,))
    return str(row["role"])


# --- bearer tokens ------------------------------------------------------------------------


def test_forged_and_revoked_bearer_tokens_never_reach_a_servicer(
        deployment: Deployment, seeded: Backends, resilience: Recorder) -> None:
    auth = deployment.auth
    admin = admin_pb2_grpc.AdminServiceStub(deployment.channel)
    victim = deployment.account(label="forgery-target")
    genuine = login(deployment.channel, victim).tokens.access_token
    kit = Kit(deployment.keyed, victim.user_id, genuine)
    # A logged-out token: genuine, but revoked.
    revoked = login(deployment.channel, victim).tokens.access_token
    auth.Logout(auth_pb2.LogoutRequest(), metadata=bearer(revoked), timeout=10)
    attacks: dict[str, tuple[str, str]] = {
        name: (forge(kit), reason) for name, (forge, reason) in BEARER_ATTACKS.items()}
    attacks["logged-out"] = (revoked, "TOKEN_REVOKED")

    with counting_get_me(deployment.keyed.running) as reached:
        # Control: the genuine token does reach the servicer, so the count can move.
        assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(genuine),
                          timeout=10).user.id == victim.user_id
        assert reached == [victim.user_id]
        outcomes: dict[str, tuple[grpc.StatusCode, str]] = {}
        for name, (token, _) in attacks.items():
            assert token != genuine, name
            error = rpc_error(auth.GetMe, auth_pb2.GetMeRequest(), metadata=bearer(token),
                              timeout=10)
            outcomes[name] = (error.code(), error_info(error).reason)
            assert token not in (error.details() or ""), name
            # Most forgeries claim the admin role: try to use it on an admin RPC too.
            promote = rpc_error(admin.SetUserRole, admin_pb2.SetUserRoleRequest(
                user_id=victim.user_id, role=identity_pb2.ROLE_ADMIN),
                metadata=bearer(token), timeout=10)
            assert promote.code() is grpc.StatusCode.UNAUTHENTICATED, name
        assert reached == [victim.user_id], "a refused token reached AccountService.get_me"

    assert outcomes == {name: (grpc.StatusCode.UNAUTHENTICATED, reason)
                        for name, (_, reason) in attacks.items()}
    assert stored_role(seeded.database_url, victim.user_id) == "user"
    resilience(area=AREA, probe="Forged, stale and revoked JWTs",
               tried="GetMe and AdminService.SetUserRole with bearer tokens forged against a "
                     "server whose Ed25519 key the test holds: " + ", ".join(attacks),
               cases=len(attacks),
               held="each call UNAUTHENTICATED with the expected ErrorInfo reason "
                    "(TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_NOT_YET_VALID, TOKEN_REVOKED), no "
                    "call reached the account service, the token never echoed in the "
                    "message, the victim's role unchanged in Postgres")


def test_a_reused_refresh_token_ends_the_whole_family(deployment: Deployment,
                                                      resilience: Recorder) -> None:
    auth = deployment.auth
    account = deployment.account(label="refresh-reuse")
    first = login(deployment.channel, account).tokens
    second = auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=first.refresh_token),
                               timeout=10).tokens
    third = auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=second.refresh_token),
                              timeout=10).tokens
    family = {unverified_claims(t.access_token)["sid"] for t in (first, second, third)}
    assert len(family) == 1
    assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(third.access_token),
                      timeout=10).user.id == account.user_id
    bystander = login(deployment.channel, account).tokens  # another session of the same user

    reuse = refusal(lambda: auth.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=first.refresh_token), timeout=10))

    assert (reuse.code(), error_info(reuse).reason) == (grpc.StatusCode.UNAUTHENTICATED,
                                                        "REFRESH_TOKEN_REUSED")
    for refresh in (second.refresh_token, third.refresh_token):
        error = rpc_error(auth.RefreshToken,
                          auth_pb2.RefreshTokenRequest(refresh_token=refresh), timeout=10)
        assert error.code() is grpc.StatusCode.UNAUTHENTICATED
        assert error_info(error).reason.startswith("REFRESH_TOKEN_")
    for access in (first.access_token, second.access_token, third.access_token):
        error = rpc_error(auth.GetMe, auth_pb2.GetMeRequest(), metadata=bearer(access),
                          timeout=10)
        assert (error.code(), error_info(error).reason) == (
            grpc.StatusCode.UNAUTHENTICATED, "TOKEN_REVOKED")
    assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(bystander.access_token),
                      timeout=10).user.id == account.user_id
    resilience(area=AREA, probe="Refresh token reuse",
               tried="a session refreshed twice (three generations), then its first refresh "
                     "token presented again; afterwards every token of the family tried",
               cases=1 + 2 + 3,
               held="the reuse is UNAUTHENTICATED REFRESH_TOKEN_REUSED; both newer refresh "
                    "tokens are refused and all three access tokens are TOKEN_REVOKED; "
                    "another session of the same user keeps working")


# --- roles --------------------------------------------------------------------------------


def _role_fields(descriptor: Descriptor, prefix: str = "",
                 seen: frozenset[str] = frozenset()) -> list[str]:
    """Paths of the fields of type financehub.v1.Role in `descriptor`, nested ones too."""
    found = []
    for field in descriptor.fields:
        path = f"{prefix}{field.name}"
        if field.type == FieldDescriptor.TYPE_ENUM and \
                field.enum_type.full_name == "financehub.v1.Role":
            found.append(path)
        elif field.type == FieldDescriptor.TYPE_MESSAGE and \
                field.message_type.full_name not in seen:
            found += _role_fields(field.message_type, f"{path}.",
                                  seen | {descriptor.full_name})
    return found


def test_a_user_cannot_change_their_own_role(deployment: Deployment, seeded: Backends,
                                             resilience: Recorder) -> None:
    # Which requests can carry a role at all, and who may send them.
    carriers = {full_method_name(service, method.name): _role_fields(method.input_type)
                for service in SERVICE_DESCRIPTORS for method in service.methods}
    carriers = {method: paths for method, paths in carriers.items() if paths}
    assert "/financehub.v1.AdminService/SetUserRole" in carriers
    open_to_users = []
    for method in carriers:
        policy = METHOD_POLICIES[method]
        assert policy is not None
        if policy.public or any(has_permission(role, policy.permission)
                                for role in (Role.USER, Role.PREMIUM, Role.PARTNER)):
            open_to_users.append(method)
    assert open_to_users == [], f"non-admins may send a role in {open_to_users}"

    admin = admin_pb2_grpc.AdminServiceStub(deployment.channel)
    cases = 0
    for role in (Role.USER, Role.PREMIUM, Role.PARTNER):
        account = deployment.account(role, label=f"self-promote-{role.value}")
        token = login(deployment.channel, account).tokens.access_token
        secret = create_api_key(deployment.channel, token, name="self-promote").secret
        for metadata in (bearer(token), api_key(secret)):
            for wanted in (identity_pb2.ROLE_ADMIN, identity_pb2.ROLE_PREMIUM):
                error = rpc_error(
                    admin.SetUserRole,
                    admin_pb2.SetUserRoleRequest(user_id=account.user_id, role=wanted),
                    metadata=metadata, timeout=10)
                assert error.code() is grpc.StatusCode.PERMISSION_DENIED
                assert error_info(error).reason == "PERMISSION_DENIED"
                cases += 1
        assert stored_role(seeded.database_url, account.user_id) == role.value
        me = deployment.auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(token), timeout=10)
        assert me.user.role == getattr(identity_pb2, f"ROLE_{role.value.upper()}")
    resilience(area=AREA, probe="A user changing their own role",
               tried=f"every request message of the contract walked for a Role field "
                     f"({len(carriers)} carry one, all AdminService); then USER, PREMIUM and "
                     "PARTNER accounts called SetUserRole on themselves (to ADMIN and to "
                     "PREMIUM) with a bearer token and with an API key",
               cases=cases + len(carriers),
               held="no RPC open to a non-admin can carry a role; every SetUserRole was "
                    "PERMISSION_DENIED; each role unchanged in Postgres and in GetMe")


# --- ownership ----------------------------------------------------------------------------


@dataclass
class Owned:
    """What user B created, by id."""

    order_id: str
    client_order_id: str
    backtest_id: str
    conversation_id: str
    api_key_id: str


def _create_owned(deployment: Deployment, metadata: tuple[tuple[str, str], ...]) -> Owned:
    trading = trading_pb2_grpc.TradingServiceStub(deployment.channel)
    client_order_id = f"owned-{uuid.uuid4().hex[:12]}"
    order = trading.PlaceOrder(trading_pb2.PlaceOrderRequest(
        client_order_id=client_order_id, symbol="2222", side=trading_pb2.ORDER_SIDE_BUY,
        type=trading_pb2.ORDER_TYPE_LIMIT, time_in_force=trading_pb2.TIME_IN_FORCE_GTC,
        quantity=10, limit_price=decimal_pb2.Decimal(value="22.00")),
        metadata=metadata, timeout=30).order
    backtest = list(backtests_pb2_grpc.BacktestServiceStub(deployment.channel).RunBacktest(
        backtests_pb2.RunBacktestRequest(
            symbol="2222", initial_capital=decimal_pb2.Decimal(value="100000"),
            strategy=backtests_pb2.Strategy(
                sma_crossover=backtests_pb2.SmaCrossover(fast_period=20, slow_period=50))),
        metadata=metadata, timeout=60))[-1].backtest
    deployment.llm.queue_text("Aramco is listed as 2222.")
    chat = list(ai_pb2_grpc.AIServiceStub(deployment.channel).Chat(
        ai_pb2.ChatRequest(message="What is Aramco's symbol?"), metadata=metadata, timeout=30))
    key = deployment.auth.CreateApiKey(auth_pb2.CreateApiKeyRequest(name="owned by B"),
                                       metadata=metadata, timeout=10).api_key
    return Owned(order_id=order.order_id, client_order_id=client_order_id,
                 backtest_id=backtest.backtest_id,
                 conversation_id=chat[0].started.conversation_id, api_key_id=key.id)


def _absent_like(value: str) -> str:
    """An id of the same shape as `value` that names nothing."""
    try:
        uuid.UUID(value)
    except ValueError:
        return f"owned-{uuid.uuid4().hex[:12]}" if value.startswith("owned-") else \
            value[:-4] + "zzzz"
    return str(uuid.uuid4())


def _refusal_shape(error: grpc.RpcError, resource_id: str) -> tuple[Any, ...]:
    """Everything a caller sees of a refusal, with the id it asked for and the request id
    (different on every call) blanked out."""
    request_id = error_info(error).metadata.get("request_id", "")
    text = (error.details() or "").replace(resource_id, "<id>")
    details = []
    for name, detail in sorted(status_details(error).items()):
        copy = type(detail)()
        copy.CopyFrom(detail)
        if name == "ErrorInfo" and "request_id" in copy.metadata:
            del copy.metadata["request_id"]
        rendered = str(copy).replace(resource_id, "<id>")
        details.append((name, rendered.replace(request_id, "<request>") if request_id
                        else rendered))
    return error.code(), text, tuple(details)


def test_user_a_cannot_reach_user_bs_resources_and_learns_nothing(
        deployment: Deployment, resilience: Recorder) -> None:
    owner = deployment.account(Role.PREMIUM, label="owner-b")
    owner_token = login(deployment.channel, owner).tokens.access_token
    owned = _create_owned(deployment, bearer(owner_token))
    intruder = deployment.account(Role.PREMIUM, label="intruder-a")
    intruder_token = login(deployment.channel, intruder).tokens.access_token
    as_a = bearer(intruder_token)
    intruder_key = create_api_key(deployment.channel, intruder_token, name="intruder").secret
    trading = trading_pb2_grpc.TradingServiceStub(deployment.channel)
    backtests = backtests_pb2_grpc.BacktestServiceStub(deployment.channel)
    ai = ai_pb2_grpc.AIServiceStub(deployment.channel)
    auth = deployment.auth

    attempts: dict[str, tuple[str, Callable[[str, Any], Any]]] = {
        "TradingService.GetOrder(order_id)": (owned.order_id, lambda i, m: trading.GetOrder(
            trading_pb2.GetOrderRequest(order_id=i), metadata=m, timeout=10)),
        "TradingService.GetOrder(client_order_id)": (
            owned.client_order_id, lambda i, m: trading.GetOrder(
                trading_pb2.GetOrderRequest(client_order_id=i), metadata=m, timeout=10)),
        "TradingService.CancelOrder": (owned.order_id, lambda i, m: trading.CancelOrder(
            trading_pb2.CancelOrderRequest(order_id=i), metadata=m, timeout=10)),
        "BacktestService.GetBacktest": (owned.backtest_id, lambda i, m: backtests.GetBacktest(
            backtests_pb2.GetBacktestRequest(backtest_id=i), metadata=m, timeout=10)),
        "AIService.GetConversation": (owned.conversation_id, lambda i, m: ai.GetConversation(
            ai_pb2.GetConversationRequest(conversation_id=i), metadata=m, timeout=10)),
        "AIService.DeleteConversation": (
            owned.conversation_id, lambda i, m: ai.DeleteConversation(
                ai_pb2.DeleteConversationRequest(conversation_id=i), metadata=m, timeout=10)),
        "AIService.Chat(conversation_id)": (owned.conversation_id, lambda i, m: list(ai.Chat(
            ai_pb2.ChatRequest(conversation_id=i, message="Repeat our conversation."),
            metadata=m, timeout=30))),
        "AuthService.RevokeApiKey": (owned.api_key_id, lambda i, m: auth.RevokeApiKey(
            auth_pb2.RevokeApiKeyRequest(key_id=i), metadata=m, timeout=10)),
    }
    cases = 0
    for name, (owned_id, call) in attempts.items():
        for metadata in (as_a, api_key(intruder_key)):
            taken = rpc_error(call, owned_id, metadata)
            absent_id = _absent_like(owned_id)
            missing = rpc_error(call, absent_id, metadata)
            assert taken.code() is grpc.StatusCode.NOT_FOUND, (name, taken.details())
            assert _refusal_shape(taken, owned_id) == _refusal_shape(missing, absent_id), name
            cases += 1

    # A's lists show none of B's things.
    seen_by_a = " ".join(str(response) for response in (
        trading.ListOrders(trading_pb2.ListOrdersRequest(page_size=1000), metadata=as_a),
        trading.ListFills(trading_pb2.ListFillsRequest(page_size=1000), metadata=as_a),
        trading.ListPositions(trading_pb2.ListPositionsRequest(), metadata=as_a),
        backtests.ListBacktests(backtests_pb2.ListBacktestsRequest(page_size=1000),
                                metadata=as_a),
        ai.ListConversations(ai_pb2.ListConversationsRequest(page_size=1000), metadata=as_a),
        auth.ListApiKeys(auth_pb2.ListApiKeysRequest(), metadata=as_a)))
    for value in (owned.order_id, owned.client_order_id, owned.backtest_id,
                  owned.conversation_id, owned.api_key_id, owner.user_id):
        assert value not in seen_by_a
    lists = 6

    # ...and B's things are all still there, untouched (the refusals changed nothing).
    as_b = bearer(owner_token)
    order = trading.GetOrder(trading_pb2.GetOrderRequest(order_id=owned.order_id),
                             metadata=as_b, timeout=10).order
    assert order.status not in (trading_pb2.ORDER_STATUS_CANCELED,
                                trading_pb2.ORDER_STATUS_UNSPECIFIED)
    assert backtests.GetBacktest(backtests_pb2.GetBacktestRequest(
        backtest_id=owned.backtest_id), metadata=as_b).backtest.backtest_id == owned.backtest_id
    conversation = ai.GetConversation(ai_pb2.GetConversationRequest(
        conversation_id=owned.conversation_id), metadata=as_b)
    assert [m.role for m in conversation.messages] == ["user", "assistant"]
    (key,) = auth.ListApiKeys(auth_pb2.ListApiKeysRequest(), metadata=as_b).api_keys
    assert key.id == owned.api_key_id and not key.HasField("revoke_time")
    # B's own lists do show them: the probe on A's lists is not vacuous.
    assert owned.order_id in str(trading.ListOrders(trading_pb2.ListOrdersRequest(),
                                                    metadata=as_b))
    assert owned.conversation_id in str(ai.ListConversations(
        ai_pb2.ListConversationsRequest(), metadata=as_b))
    resilience(area=AREA, probe="Cross-user access",
               tried="user B placed an order, ran a backtest, chatted and created an API key; "
                     "user A (by bearer token and by API key) called "
                     + ", ".join(attempts) + " on B's ids and on absent ids of the same "
                     "shape, and listed orders, fills, positions, backtests, conversations "
                     "and API keys",
               cases=cases + lists,
               held="every attempt NOT_FOUND with the same message and details as for an "
                    "id that does not exist (existence never revealed); A's lists hold none "
                    "of B's ids; B's order still open, backtest, conversation and key intact")
