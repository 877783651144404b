"""AdminService over real gRPC, and the operator CLI (`python -m server.admin`) as a
subprocess against the test database."""

import os
import re
import subprocess
import sys
from pathlib import Path

import grpc
import jwt
import pytest

from financehub.v1 import admin_pb2, admin_pb2_grpc, auth_pb2, auth_pb2_grpc, identity_pb2
from server.domain.access import Role
from server.storage.backends import Backends
from tests.support.identity import (
    Account,
    audit_rows,
    call_metadata,
    create_account,
    error_reason,
    fetch_all,
    login,
    outbox_bodies,
    rpc_error,
    status_details,
    strong_password,
    unique_address,
    unique_email,
    violated_fields,
)
from tests.support.services import RunningServer

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def address() -> str:
    return unique_address()


@pytest.fixture
def admin(server: RunningServer) -> Account:
    return create_account(server, Role.ADMIN)


@pytest.fixture
def as_admin(channel: grpc.Channel, admin: Account, address: str) -> list[tuple[str, str]]:
    token = login(channel, admin, address=address).tokens.access_token
    return call_metadata(token=token, address=address)


@pytest.fixture
def admin_stub(channel: grpc.Channel) -> admin_pb2_grpc.AdminServiceStub:
    return admin_pb2_grpc.AdminServiceStub(channel)


@pytest.fixture
def auth(channel: grpc.Channel) -> auth_pb2_grpc.AuthServiceStub:
    return auth_pb2_grpc.AuthServiceStub(channel)


def walk_users(admin_stub, metadata, **filters) -> list[identity_pb2.User]:  # type: ignore[no-untyped-def]
    users: list[identity_pb2.User] = []
    token = ""
    for _ in range(10_000):
        page = admin_stub.ListUsers(admin_pb2.ListUsersRequest(page_size=2, page_token=token,
                                                               **filters), metadata=metadata)
        assert len(page.users) <= 2
        users.extend(page.users)
        token = page.next_page_token
        if not token:
            return users
        assert len(page.users) == 2  # only the last page may be short
    raise AssertionError("the listing never ended")


# --- who may call it ------------------------------------------------------------------------

ADMIN_CALLS = [
    ("ListUsers", admin_pb2.ListUsersRequest()),
    ("GetUser", admin_pb2.GetUserRequest(user_id="00000000-0000-4000-8000-000000000000")),
    ("SetUserRole", admin_pb2.SetUserRoleRequest(user_id="00000000-0000-4000-8000-000000000000",
                                                 role=identity_pb2.ROLE_ADMIN)),
    ("DeactivateUser",
     admin_pb2.DeactivateUserRequest(user_id="00000000-0000-4000-8000-000000000000")),
    ("ListAuditEvents", admin_pb2.ListAuditEventsRequest()),
    ("ListOutboxMessages", admin_pb2.ListOutboxMessagesRequest()),
]


@pytest.mark.parametrize(("method", "request_message"), ADMIN_CALLS,
                         ids=[name for name, _ in ADMIN_CALLS])
def test_non_admins_are_refused(admin_stub, channel: grpc.Channel, server: RunningServer,
                                method: str, request_message, address: str) -> None:
    for role in (Role.USER, Role.PREMIUM, Role.PARTNER):
        token = login(channel, create_account(server, role),
                      address=address).tokens.access_token
        error = rpc_error(getattr(admin_stub, method), request_message,
                          metadata=call_metadata(token=token))
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, role
        assert error_reason(error) == "PERMISSION_DENIED"
    guest = rpc_error(getattr(admin_stub, method), request_message)
    assert guest.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(guest) == "CREDENTIALS_REQUIRED"


# --- users ----------------------------------------------------------------------------------


def test_list_users_pages_newest_first_without_duplicates(
        admin_stub, server: RunningServer, seeded: Backends, as_admin) -> None:
    created = [create_account(server).user_id for _ in range(3)]

    users = walk_users(admin_stub, as_admin)

    ids = [user.id for user in users]
    assert len(ids) == len(set(ids))
    total = fetch_all(seeded.database_url, "SELECT count(*) AS n FROM users")[0]["n"]
    assert len(ids) == total
    assert ids[:3] == list(reversed(created))  # the newest accounts come first
    times = [user.create_time.ToDatetime() for user in users]
    assert times == sorted(times, reverse=True)


def test_list_users_filters_by_role_and_activity(
        admin_stub, server: RunningServer, seeded: Backends, as_admin) -> None:
    premium = create_account(server, Role.PREMIUM)
    retired = create_account(server)
    admin_stub.DeactivateUser(admin_pb2.DeactivateUserRequest(user_id=retired.user_id),
                              metadata=as_admin)

    premiums = walk_users(admin_stub, as_admin, role=identity_pb2.ROLE_PREMIUM)
    assert premium.user_id in {user.id for user in premiums}
    assert {user.role for user in premiums} == {identity_pb2.ROLE_PREMIUM}
    assert len(premiums) == fetch_all(
        seeded.database_url, "SELECT count(*) AS n FROM users WHERE role = 'premium'")[0]["n"]

    inactive = walk_users(admin_stub, as_admin, activity=admin_pb2.ACTIVITY_FILTER_INACTIVE)
    assert retired.user_id in {user.id for user in inactive}
    assert not any(user.is_active for user in inactive)
    active = walk_users(admin_stub, as_admin, activity=admin_pb2.ACTIVITY_FILTER_ACTIVE)
    assert retired.user_id not in {user.id for user in active}
    assert premium.user_id in {user.id for user in active}
    assert all(user.is_active for user in active)

    active_users = walk_users(admin_stub, as_admin, role=identity_pb2.ROLE_USER,
                              activity=admin_pb2.ACTIVITY_FILTER_ACTIVE)
    assert retired.user_id not in {user.id for user in active_users}
    assert {(user.role, user.is_active) for user in active_users} == {
        (identity_pb2.ROLE_USER, True)}

    # A page token only continues the listing it came from.
    first = admin_stub.ListUsers(admin_pb2.ListUsersRequest(page_size=1), metadata=as_admin)
    error = rpc_error(admin_stub.ListUsers,
                      admin_pb2.ListUsersRequest(page_size=1, page_token=first.next_page_token,
                                                 role=identity_pb2.ROLE_PREMIUM),
                      metadata=as_admin)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == ["page_token"]


def test_get_user(admin_stub, server: RunningServer, as_admin) -> None:
    account = create_account(server, Role.PARTNER)
    user = admin_stub.GetUser(admin_pb2.GetUserRequest(user_id=account.user_id),
                              metadata=as_admin).user
    assert (user.id, user.email, user.role, user.rate_limit_tier) == (
        account.user_id, account.email, identity_pb2.ROLE_PARTNER,
        identity_pb2.RATE_LIMIT_TIER_PARTNER)

    missing = rpc_error(admin_stub.GetUser,
                        admin_pb2.GetUserRequest(user_id="00000000-0000-4000-8000-000000000000"),
                        metadata=as_admin)
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(missing) == "USER_NOT_FOUND"
    malformed = rpc_error(admin_stub.GetUser, admin_pb2.GetUserRequest(user_id="42"),
                          metadata=as_admin)
    assert malformed.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(malformed) == ["user_id"]


def test_set_user_role_applies_at_once_and_is_audited(
        admin_stub, auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        admin: Account, as_admin, address: str) -> None:
    account = create_account(server)
    tokens = login(channel, account, address=address).tokens

    user = admin_stub.SetUserRole(
        admin_pb2.SetUserRoleRequest(user_id=account.user_id, role=identity_pb2.ROLE_PREMIUM),
        metadata=as_admin).user
    assert (user.role, user.rate_limit_tier) == (identity_pb2.ROLE_PREMIUM,
                                                 identity_pb2.RATE_LIMIT_TIER_PREMIUM)

    error = rpc_error(auth.GetMe, auth_pb2.GetMeRequest(),
                      metadata=call_metadata(token=tokens.access_token))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(error) == "TOKEN_REVOKED"
    renewed = auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token),
                                metadata=call_metadata(address=address)).tokens
    assert jwt.decode(renewed.access_token, options={"verify_signature": False})["role"] == \
        "premium"
    assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=call_metadata(
        token=renewed.access_token)).user.role == identity_pb2.ROLE_PREMIUM

    rows = audit_rows(seeded.database_url, action="admin.set_role",
                      target=f"user:{account.user_id}")
    assert [(r["actor"], r["source_address"], r["outcome"], r["detail"]) for r in rows] == [
        (admin.user_id, address, "success", "user -> premium")]


@pytest.mark.parametrize("role", [identity_pb2.ROLE_GUEST, identity_pb2.ROLE_UNSPECIFIED, 99])
def test_set_user_role_refuses_roles_that_cannot_be_held(
        admin_stub, server: RunningServer, as_admin, role: int) -> None:
    account = create_account(server)
    error = rpc_error(admin_stub.SetUserRole,
                      admin_pb2.SetUserRoleRequest(user_id=account.user_id, role=role),
                      metadata=as_admin)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == ["role"]
    assert admin_stub.GetUser(admin_pb2.GetUserRequest(user_id=account.user_id),
                              metadata=as_admin).user.role == identity_pb2.ROLE_USER


def test_admins_cannot_change_their_own_role_or_deactivate_themselves(
        admin_stub, admin: Account, as_admin) -> None:
    error = rpc_error(admin_stub.SetUserRole,
                      admin_pb2.SetUserRoleRequest(user_id=admin.user_id,
                                                   role=identity_pb2.ROLE_USER),
                      metadata=as_admin)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "SELF_ROLE_CHANGE"
    error = rpc_error(admin_stub.DeactivateUser,
                      admin_pb2.DeactivateUserRequest(user_id=admin.user_id),
                      metadata=as_admin)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert admin_stub.GetUser(admin_pb2.GetUserRequest(user_id=admin.user_id),
                              metadata=as_admin).user.role == identity_pb2.ROLE_ADMIN


def test_set_user_role_of_an_unknown_user_is_not_found(admin_stub, as_admin) -> None:
    error = rpc_error(admin_stub.SetUserRole, admin_pb2.SetUserRoleRequest(
        user_id="00000000-0000-4000-8000-000000000000", role=identity_pb2.ROLE_USER),
        metadata=as_admin)
    assert error.code() == grpc.StatusCode.NOT_FOUND


def test_deactivate_user_stops_logins_sessions_and_api_keys_at_once(
        admin_stub, auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        admin: Account, as_admin, address: str) -> None:
    account = create_account(server)
    tokens = login(channel, account, address=address).tokens
    secret = auth.CreateApiKey(auth_pb2.CreateApiKeyRequest(name="bot"),
                               metadata=call_metadata(token=tokens.access_token)).secret
    assert auth.GetMe(auth_pb2.GetMeRequest(),
                      metadata=call_metadata(api_key=secret)).user.id == account.user_id

    user = admin_stub.DeactivateUser(admin_pb2.DeactivateUserRequest(user_id=account.user_id),
                                     metadata=as_admin).user
    assert not user.is_active

    def refused(**credentials: str) -> str:
        error = rpc_error(auth.GetMe, auth_pb2.GetMeRequest(),
                          metadata=call_metadata(**credentials))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        return error_reason(error)

    assert refused(token=tokens.access_token) == "TOKEN_REVOKED"
    assert refused(api_key=secret) == "API_KEY_REVOKED"
    # Revoked in the records too, not only refused because the owner is inactive.
    assert fetch_all(seeded.database_url,
                     "SELECT revoked_at IS NOT NULL AS revoked FROM api_keys WHERE user_id = %s",
                     (account.user_id,)) == [{"revoked": True}]
    assert fetch_all(seeded.database_url,
                     "SELECT bool_and(revoked_at IS NOT NULL) AS revoked FROM refresh_tokens "
                     "WHERE user_id = %s", (account.user_id,)) == [{"revoked": True}]
    error = rpc_error(auth.RefreshToken,
                      auth_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token),
                      metadata=call_metadata(address=address))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED

    deactivated = rpc_error(auth.Login, auth_pb2.LoginRequest(email=account.email,
                                                              password=account.password),
                            metadata=call_metadata(address=address))
    unknown = rpc_error(auth.Login, auth_pb2.LoginRequest(email=unique_email("nobody"),
                                                          password=account.password),
                        metadata=call_metadata(address=address))
    assert (deactivated.code(), deactivated.details(), error_reason(deactivated)) == (
        unknown.code(), unknown.details(), error_reason(unknown))
    assert error_reason(deactivated) == "INVALID_CREDENTIALS"

    rows = audit_rows(seeded.database_url, action="admin.deactivate_user",
                      target=f"user:{account.user_id}")
    assert [(r["actor"], r["source_address"], r["outcome"]) for r in rows] == [
        (admin.user_id, address, "success")]


# --- audit trail and outbox -----------------------------------------------------------------


def test_list_audit_events_filters_by_action_and_actor_and_paginates(
        admin_stub, server: RunningServer, admin: Account, as_admin, address: str) -> None:
    targets = [create_account(server) for _ in range(3)]
    for account in targets:
        admin_stub.SetUserRole(
            admin_pb2.SetUserRoleRequest(user_id=account.user_id, role=identity_pb2.ROLE_PARTNER),
            metadata=as_admin)

    events, token = [], ""
    while True:
        page = admin_stub.ListAuditEvents(
            admin_pb2.ListAuditEventsRequest(page_size=1, page_token=token,
                                             action="admin.set_role", actor_user_id=admin.user_id),
            metadata=as_admin)
        assert len(page.events) <= 1
        events.extend(page.events)
        token = page.next_page_token
        if not token:
            break
    assert [event.target for event in events] == [f"user:{a.user_id}" for a in reversed(targets)]
    assert all(event.action == "admin.set_role" and event.actor_user_id == admin.user_id
               and event.source_address == address
               and event.outcome == admin_pb2.AUDIT_OUTCOME_SUCCESS
               and event.detail == "user -> partner" for event in events)
    ids = [int(event.id) for event in events]
    assert ids == sorted(ids, reverse=True)

    logins = admin_stub.ListAuditEvents(
        admin_pb2.ListAuditEventsRequest(page_size=1000, action="auth.login"),
        metadata=as_admin).events
    assert logins and {event.action for event in logins} == {"auth.login"}
    assert any(event.actor_user_id == admin.user_id and event.source_address == address
               for event in logins)


def test_list_outbox_messages_filters_by_recipient(
        admin_stub, auth, seeded: Backends, as_admin, address: str) -> None:
    email = unique_email("mailbox")
    auth.Register(auth_pb2.RegisterRequest(email=email, password=strong_password()),
                  metadata=call_metadata(address=address))
    auth.RequestPasswordReset(auth_pb2.RequestPasswordResetRequest(email=email),
                              metadata=call_metadata(address=address))
    other = unique_email("someone-else")
    auth.Register(auth_pb2.RegisterRequest(email=other, password=strong_password()),
                  metadata=call_metadata(address=address))

    messages = admin_stub.ListOutboxMessages(
        admin_pb2.ListOutboxMessagesRequest(recipient=email.upper()), metadata=as_admin).messages

    assert [message.recipient for message in messages] == [email, email]
    assert [message.subject for message in messages] == [
        "Reset your FinanceHub Pro password", "Verify your FinanceHub Pro email"]
    assert [message.body for message in reversed(messages)] == outbox_bodies(
        seeded.database_url, email)
    everything = admin_stub.ListOutboxMessages(admin_pb2.ListOutboxMessagesRequest(
        page_size=1000), metadata=as_admin).messages
    assert {email, other} <= {message.recipient for message in everything}


# --- operator CLI ---------------------------------------------------------------------------


def cli(seeded: Backends, *args: str, password: str | None = None,
        stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FINANCEHUB_", "DATABASE_URL", "REDIS_URL"))}
    env.update(DATABASE_URL=seeded.database_url, REDIS_URL=seeded.redis_url,
               FINANCEHUB_ARGON2_TIME_COST="1", FINANCEHUB_ARGON2_MEMORY_KIB="8192",
               FINANCEHUB_ARGON2_PARALLELISM="1")
    if password is not None:
        env["FINANCEHUB_ADMIN_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "server.admin", *args], input=stdin,
                          capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120,
                          check=False)


@pytest.mark.parametrize("source", ["stdin", "environment"])
def test_cli_creates_an_admin_who_can_sign_in(
        channel: grpc.Channel, seeded: Backends, admin_stub, source: str) -> None:
    email, password = unique_email("Operator"), strong_password()
    if source == "stdin":
        result = cli(seeded, "create-user", email, "--role", "admin", stdin=password + "\n")
    else:
        result = cli(seeded, "create-user", email, "--role", "admin", password=password,
                     stdin="not the password\n")
    assert result.returncode == 0, result.stderr
    assert email.lower() in result.stdout and "admin" in result.stdout
    assert password not in result.stdout + result.stderr

    signed_in = login(channel, Account("", email.lower(), password, Role.ADMIN),
                      address=unique_address())
    assert signed_in.user.role == identity_pb2.ROLE_ADMIN and signed_in.user.is_verified
    # A working admin: the token passes AdminService's permission check.
    admin_stub.GetUser(admin_pb2.GetUserRequest(user_id=signed_in.user.id),
                       metadata=call_metadata(token=signed_in.tokens.access_token))


def test_cli_refuses_a_weak_password_and_creates_nothing(seeded: Backends) -> None:
    email = unique_email("weakop")
    result = cli(seeded, "create-user", email, "--role", "admin", password="short")
    assert result.returncode == 1
    assert "refused: password:" in result.stderr
    assert "at least 12 characters" in result.stderr
    assert fetch_all(seeded.database_url, "SELECT 1 FROM users WHERE email = %s", (email,)) == []


def test_cli_refuses_a_taken_email_and_an_unknown_role(
        server: RunningServer, seeded: Backends) -> None:
    existing = create_account(server)
    result = cli(seeded, "create-user", existing.email.upper(), "--role", "admin",
                 password=strong_password())
    assert result.returncode == 1
    assert "refused:" in result.stderr and "already exists" in result.stderr
    assert fetch_all(seeded.database_url, "SELECT role FROM users WHERE email = %s",
                     (existing.email,)) == [{"role": "user"}]

    guest = cli(seeded, "create-user", unique_email("g"), "--role", "guest",
                password=strong_password())
    assert guest.returncode == 2 and "invalid choice: 'guest'" in guest.stderr


def test_cli_takes_no_password_argument(seeded: Backends) -> None:
    for args in (("--help",), ("create-user", "--help")):
        result = cli(seeded, *args)
        assert result.returncode == 0, result.stderr
        options = set(re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", result.stdout))
        assert "--help" in options
        assert not [option for option in options if "pass" in option.lower()], options
    assert "--role" in options
    passed_as_argument = cli(seeded, "create-user", unique_email("x"), "--password",
                             strong_password())
    assert passed_as_argument.returncode == 2  # argparse: unrecognised argument
    assert "unrecognized arguments" in passed_as_argument.stderr


def test_error_details_of_refusals_carry_the_request_id(admin_stub, as_admin) -> None:
    error = rpc_error(admin_stub.GetUser, admin_pb2.GetUserRequest(user_id="42"),
                      metadata=[*as_admin, ("x-request-id", "admin-test-req-1")])
    assert status_details(error)["ErrorInfo"].metadata["request_id"] == "admin-test-req-1"
