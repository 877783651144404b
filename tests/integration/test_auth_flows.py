"""AuthService end to end: real gRPC calls against a server on real Postgres and Redis.

Every test signs up its own accounts (unique emails) and calls from its own client
address (`x-forwarded-for`, trusted from 127.0.0.1), so the login guard's per-address
counters and the audit rows it checks belong to it alone.
"""

import logging
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import jwt
import pytest
from google.protobuf import timestamp_pb2
from pythonjsonlogger.json import JsonFormatter

from financehub.v1 import auth_pb2, auth_pb2_grpc, identity_pb2
from server.domain.access import Role
from server.storage.backends import Backends
from tests.support.identity import (
    Account,
    audit_rows,
    call_metadata,
    create_account,
    error_reason,
    execute,
    fetch_all,
    login,
    outbox_bodies,
    rpc_error,
    sha256_hex,
    status_details,
    strong_password,
    token_in,
    unique_address,
    unique_email,
    violated_fields,
)
from tests.support.services import EventLoopThread, RunningServer, start_test_server

ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)


def _common_long_password() -> str:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return next(p for p in FREQUENCY_LISTS["passwords"] if len(p) >= 12)


@pytest.fixture
def auth(channel: grpc.Channel) -> auth_pb2_grpc.AuthServiceStub:
    return auth_pb2_grpc.AuthServiceStub(channel)


@pytest.fixture
def address() -> str:
    return unique_address()


def as_datetime(stamp: timestamp_pb2.Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def get_me(auth: auth_pb2_grpc.AuthServiceStub, **credentials: str) -> identity_pb2.User:
    return auth.GetMe(auth_pb2.GetMeRequest(), metadata=call_metadata(**credentials)).user


def refused_token_reason(auth: auth_pb2_grpc.AuthServiceStub, token: str) -> str:
    error = rpc_error(auth.GetMe, auth_pb2.GetMeRequest(), metadata=call_metadata(token=token))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    return error_reason(error)


def refresh_error(auth: auth_pb2_grpc.AuthServiceStub, refresh_token: str,
                  address: str) -> grpc.RpcError:
    error = rpc_error(auth.RefreshToken, auth_pb2.RefreshTokenRequest(refresh_token=refresh_token),
                      metadata=call_metadata(address=address))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    return error


def login_error(auth: auth_pb2_grpc.AuthServiceStub, email: str, password: str,
                address: str) -> grpc.RpcError:
    return rpc_error(auth.Login, auth_pb2.LoginRequest(email=email, password=password),
                     metadata=call_metadata(address=address))


def session_id(access_token: str) -> str:
    return str(jwt.decode(access_token, options={"verify_signature": False})["sid"])


# --- registration and email verification ------------------------------------------------


def test_register_normalises_the_email_and_verify_email_spends_the_mailed_token(
        auth, seeded: Backends, address: str) -> None:
    tag = unique_email("Trader").split("@")[0]
    response = auth.Register(
        auth_pb2.RegisterRequest(email=f"  {tag}@Example.COM ", password=strong_password()),
        metadata=call_metadata(address=address))
    normalized = f"{tag.lower()}@example.com"
    user = response.user
    assert user.email == normalized
    assert user.role == identity_pb2.ROLE_USER
    assert user.rate_limit_tier == identity_pb2.RATE_LIMIT_TIER_STANDARD
    assert user.is_active and not user.is_verified
    assert not user.HasField("last_login_time")

    bodies = outbox_bodies(seeded.database_url, normalized)
    assert len(bodies) == 1
    token = token_in(bodies[0])
    rows = fetch_all(seeded.database_url,
                     "SELECT user_id::text AS user_id, used_at FROM email_verification_tokens "
                     "WHERE token_hash = %s", (sha256_hex(token),))
    assert rows == [{"user_id": user.id, "used_at": None}]  # stored hashed, not in clear
    assert fetch_all(seeded.database_url,
                     "SELECT 1 FROM email_verification_tokens WHERE token_hash = %s",
                     (token,)) == []

    verified = auth.VerifyEmail(auth_pb2.VerifyEmailRequest(token=token),
                                metadata=call_metadata(address=address)).user
    assert verified.id == user.id and verified.is_verified
    assert fetch_all(seeded.database_url, "SELECT is_verified FROM users WHERE id = %s",
                     (user.id,)) == [{"is_verified": True}]

    again = rpc_error(auth.VerifyEmail, auth_pb2.VerifyEmailRequest(token=token),
                      metadata=call_metadata(address=address))
    assert again.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(again) == ["token"]


def test_an_expired_verification_token_is_refused(
        auth, seeded: Backends, address: str) -> None:
    email = unique_email("late")
    user = auth.Register(auth_pb2.RegisterRequest(email=email, password=strong_password()),
                         metadata=call_metadata(address=address)).user
    token = token_in(outbox_bodies(seeded.database_url, email)[0])
    rows = fetch_all(seeded.database_url,
                     "SELECT expires_at - created_at AS ttl FROM email_verification_tokens "
                     "WHERE token_hash = %s", (sha256_hex(token),))
    assert rows == [{"ttl": timedelta(hours=48)}]
    execute(seeded.database_url,
            "UPDATE email_verification_tokens SET expires_at = now() - interval '1 second' "
            "WHERE token_hash = %s", (sha256_hex(token),))

    error = rpc_error(auth.VerifyEmail, auth_pb2.VerifyEmailRequest(token=token),
                      metadata=call_metadata(address=address))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == ["token"]
    assert fetch_all(seeded.database_url, "SELECT is_verified FROM users WHERE id = %s",
                     (user.id,)) == [{"is_verified": False}]


@pytest.mark.parametrize("kind", ["short", "common", "email"])
def test_register_refuses_weak_passwords_as_a_password_field_violation(
        auth, seeded: Backends, address: str, kind: str) -> None:
    email = unique_email("weak")
    password = {"short": "Xq7!mZ2#pL9", "common": _common_long_password(), "email": email}[kind]
    assert (len(password) == 11) if kind == "short" else (len(password) >= 12)

    error = rpc_error(auth.Register, auth_pb2.RegisterRequest(email=email, password=password),
                      metadata=call_metadata(address=address))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == ["password"]
    assert fetch_all(seeded.database_url, "SELECT 1 FROM users WHERE email = %s", (email,)) == []
    assert outbox_bodies(seeded.database_url, email) == []


def test_register_refuses_a_malformed_email(auth, address: str) -> None:
    error = rpc_error(auth.Register, auth_pb2.RegisterRequest(email="not-an-email",
                                                              password=strong_password()),
                      metadata=call_metadata(address=address))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == ["email"]


def test_register_reports_every_bad_field_at_once(auth, address: str) -> None:
    error = rpc_error(auth.Register, auth_pb2.RegisterRequest(email="not-an-email",
                                                              password="short"),
                      metadata=call_metadata(address=address))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert sorted(violated_fields(error)) == ["email", "password"]


def test_register_refuses_a_taken_email_whatever_its_case(auth, address: str) -> None:
    email = unique_email("dup")
    auth.Register(auth_pb2.RegisterRequest(email=email, password=strong_password()),
                  metadata=call_metadata(address=address))
    for candidate in (email, email.upper()):
        error = rpc_error(auth.Register,
                          auth_pb2.RegisterRequest(email=candidate, password=strong_password()),
                          metadata=call_metadata(address=address))
        assert error.code() == grpc.StatusCode.ALREADY_EXISTS
        assert error_reason(error) == "EMAIL_TAKEN"


# --- login, refresh, logout ---------------------------------------------------------------


def test_login_returns_a_bearer_pair_with_the_documented_lifetimes_and_records_the_login(
        auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        address: str) -> None:
    account = create_account(server)
    before = datetime.now(UTC)
    response = login(channel, account, address=address)
    after = datetime.now(UTC)

    tokens = response.tokens
    assert tokens.token_type == "Bearer"
    assert tokens.access_token.count(".") == 2
    assert tokens.refresh_token and tokens.refresh_token != tokens.access_token
    slack = timedelta(seconds=5)
    assert (before + ACCESS_TTL - slack <= as_datetime(tokens.access_token_expire_time)
            <= after + ACCESS_TTL + slack)
    assert (before + REFRESH_TTL - slack <= as_datetime(tokens.refresh_token_expire_time)
            <= after + REFRESH_TTL + slack)
    assert response.user.id == account.user_id
    assert before - slack <= as_datetime(response.user.last_login_time) <= after + slack
    row = fetch_all(seeded.database_url, "SELECT last_login FROM users WHERE id = %s",
                    (account.user_id,))[0]
    assert row["last_login"] is not None and before - slack <= row["last_login"] <= after + slack

    me = get_me(auth, token=tokens.access_token)
    assert (me.id, me.email, me.role) == (account.user_id, account.email, identity_pb2.ROLE_USER)
    stored = fetch_all(seeded.database_url,
                       "SELECT token_hash FROM refresh_tokens WHERE user_id = %s",
                       (account.user_id,))
    assert stored == [{"token_hash": sha256_hex(tokens.refresh_token)}]  # hashed, never clear
    claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
    assert claims["sub"] == account.user_id and claims["role"] == "user"


def test_refresh_rotates_and_a_replayed_refresh_token_ends_the_session(
        auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        address: str) -> None:
    account = create_account(server)
    first = login(channel, account, address=address).tokens

    second = auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=first.refresh_token),
                               metadata=call_metadata(address=address)).tokens
    assert second.token_type == "Bearer"
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert session_id(second.access_token) == session_id(first.access_token)
    assert get_me(auth, token=second.access_token).id == account.user_id

    reused = refresh_error(auth, first.refresh_token, address)
    assert error_reason(reused) == "REFRESH_TOKEN_REUSED"
    # The whole family is gone: the rotated refresh token and its access token too.
    refresh_error(auth, second.refresh_token, address)
    assert refused_token_reason(auth, second.access_token) == "TOKEN_REVOKED"

    rows = audit_rows(seeded.database_url, action="auth.refresh_token_reuse",
                      target=f"session:{session_id(first.access_token)}")
    assert rows, "no audit row for the reused refresh token"
    assert rows[0]["actor"] == account.user_id
    assert rows[0]["source_address"] == address
    assert rows[0]["outcome"] == "failure"


def test_refresh_refuses_an_unknown_token(auth, address: str) -> None:
    error = refresh_error(auth, "fhr_" + "x" * 43, address)
    assert error_reason(error) == "REFRESH_TOKEN_INVALID"


def test_refresh_refuses_an_expired_token(
        auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        address: str) -> None:
    account = create_account(server)
    tokens = login(channel, account, address=address).tokens
    assert execute(seeded.database_url,
                   "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' "
                   "WHERE token_hash = %s", (sha256_hex(tokens.refresh_token),)) == 1
    error = refresh_error(auth, tokens.refresh_token, address)
    assert error_reason(error) == "REFRESH_TOKEN_EXPIRED"


def test_login_accepts_the_email_in_any_case_and_spacing(
        channel: grpc.Channel, server: RunningServer, address: str) -> None:
    account = create_account(server)
    shouted = Account(account.user_id, f"  {account.email.upper()} ", account.password,
                      account.role)
    assert login(channel, shouted, address=address).user.id == account.user_id


def test_logout_revokes_the_access_token_and_its_refresh_token_only(
        auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        address: str) -> None:
    account = create_account(server)
    ending = login(channel, account, address=address).tokens
    other = login(channel, account, address=address).tokens

    auth.Logout(auth_pb2.LogoutRequest(), metadata=call_metadata(token=ending.access_token))

    assert refused_token_reason(auth, ending.access_token) == "TOKEN_REVOKED"
    assert error_reason(refresh_error(auth, ending.refresh_token, address)) == \
        "REFRESH_TOKEN_REVOKED"
    # An ended session is no theft signal: nothing is reported as refresh-token reuse.
    assert audit_rows(seeded.database_url, action="auth.refresh_token_reuse",
                      target=f"session:{session_id(ending.access_token)}") == []
    assert [row["actor"] for row in audit_rows(
        seeded.database_url, action="auth.logout",
        target=f"session:{session_id(ending.access_token)}")] == [account.user_id]
    # Another session of the same user goes on.
    assert get_me(auth, token=other.access_token).id == account.user_id
    auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=other.refresh_token),
                      metadata=call_metadata(address=address))


def test_logout_with_an_api_key_is_a_failed_precondition(
        auth, channel: grpc.Channel, server: RunningServer, address: str) -> None:
    account = create_account(server)
    token = login(channel, account, address=address).tokens.access_token
    secret = auth.CreateApiKey(auth_pb2.CreateApiKeyRequest(name="bot"),
                               metadata=call_metadata(token=token)).secret

    error = rpc_error(auth.Logout, auth_pb2.LogoutRequest(),
                      metadata=call_metadata(api_key=secret))

    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(error) == "NOT_A_SESSION"
    assert get_me(auth, api_key=secret).id == account.user_id  # the key still works


def test_get_me_needs_credentials(auth) -> None:
    error = rpc_error(auth.GetMe, auth_pb2.GetMeRequest())
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(error) == "CREDENTIALS_REQUIRED"


# --- login failures -------------------------------------------------------------------------


def _comparable(error: grpc.RpcError) -> tuple[object, ...]:
    info = status_details(error)["ErrorInfo"]
    metadata = {key: value for key, value in info.metadata.items() if key != "request_id"}
    return (error.code(), error.details(), info.reason, info.domain, metadata,
            sorted(status_details(error)))


def test_unknown_email_and_wrong_password_get_the_same_answer(
        auth, server: RunningServer, address: str) -> None:
    account = create_account(server)
    unknown = login_error(auth, unique_email("nobody"), account.password, address)
    wrong = login_error(auth, account.email, account.password + "x", address)

    assert _comparable(unknown) == _comparable(wrong)
    assert wrong.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(wrong) == "INVALID_CREDENTIALS"


@pytest.fixture(scope="module")
def realistic_hashing_server(seeded: Backends) -> Iterator[RunningServer]:
    """A server whose password hashing costs tens of milliseconds, as in production."""
    loop = EventLoopThread()
    running = start_test_server(seeded, loop, FINANCEHUB_ARGON2_TIME_COST="2",
                                FINANCEHUB_ARGON2_MEMORY_KIB="32768")
    yield running
    loop.run(running.app.stop(grace_s=1))
    loop.close()


def _timed_failure(auth: auth_pb2_grpc.AuthServiceStub, email: str, password: str,
                   address: str) -> float:
    started = time.perf_counter()
    error = login_error(auth, email, password, address)
    elapsed = time.perf_counter() - started
    assert error_reason(error) == "INVALID_CREDENTIALS"
    return elapsed


def test_unknown_email_takes_as_long_as_a_wrong_password(
        realistic_hashing_server: RunningServer) -> None:
    account = create_account(realistic_hashing_server)  # hashed with the same parameters
    with grpc.insecure_channel(realistic_hashing_server.address) as channel:
        auth = auth_pb2_grpc.AuthServiceStub(channel)
        address = unique_address()
        _timed_failure(auth, unique_email("warmup"), "Warm-up-password-1", address)
        unknown, wrong = [], []
        for _ in range(5):  # five failures: the account's lock starts after the fifth
            unknown.append(_timed_failure(auth, unique_email("nobody"), account.password,
                                          address))
            wrong.append(_timed_failure(auth, account.email, account.password + "x", address))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 <= ratio <= 2.0, (unknown, wrong)
    # The hash is what takes the time (tens of ms); a skipped dummy hash would show here.
    assert statistics.median(unknown) > 0.005


def test_five_failures_throttle_the_account_even_for_the_right_password(
        auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        address: str) -> None:
    victim = create_account(server)
    bystander = create_account(server)
    for _ in range(5):
        error = login_error(auth, victim.email, "Wrong-password-123", address)
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert error_reason(error) == "INVALID_CREDENTIALS"

    throttled = login_error(auth, victim.email, victim.password, address)

    assert throttled.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    details = status_details(throttled)
    assert details["ErrorInfo"].reason == "LOGIN_THROTTLED"
    delay = details["RetryInfo"].retry_delay.ToTimedelta()
    assert timedelta(0) < delay <= timedelta(seconds=1)
    assert details["QuotaFailure"].violations[0].subject == "login:account"
    # The lock is per account: the same address still signs in someone else.
    assert login(channel, bystander, address=address).user.id == bystander.user_id
    # ...and from elsewhere the victim is still locked (the account, not the address).
    elsewhere = login_error(auth, victim.email, victim.password, unique_address())
    assert error_reason(elsewhere) == "LOGIN_THROTTLED"

    failures = audit_rows(seeded.database_url, action="auth.login", target=f"user:{victim.user_id}")
    assert [row["outcome"] for row in failures] == ["failure"] * 5
    assert all(row["source_address"] == address and row["actor"] == victim.user_id
               for row in failures)
    throttled_rows = audit_rows(seeded.database_url, action="auth.login",
                                target=f"email:{victim.email}")
    assert throttled_rows and throttled_rows[0]["detail"] == "throttled (account)"


def test_twenty_failures_from_one_address_throttle_every_account_from_it(
        auth, channel: grpc.Channel, server: RunningServer, address: str) -> None:
    account = create_account(server)
    for _ in range(19):  # distinct unknown accounts, so no account lock interferes
        error = login_error(auth, unique_email("spray"), "Spray-password-123", address)
        assert error_reason(error) == "INVALID_CREDENTIALS"
    assert login(channel, account, address=address).user.id == account.user_id  # below the limit

    login_error(auth, unique_email("spray"), "Spray-password-123", address)  # the 20th

    throttled = login_error(auth, account.email, account.password, address)
    assert throttled.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    details = status_details(throttled)
    assert details["ErrorInfo"].reason == "LOGIN_THROTTLED"
    assert details["QuotaFailure"].violations[0].subject == "login:address"
    assert "RetryInfo" in details
    # Another address is not affected.
    assert login(channel, account, address=unique_address()).user.id == account.user_id


def test_login_audit_rows_record_outcome_actor_and_source_address(
        auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        address: str) -> None:
    account = create_account(server)
    login_error(auth, account.email, "Not-the-password-1", address)
    login(channel, account, address=address)
    stranger = unique_email("stranger")
    login_error(auth, stranger, "Not-the-password-1", address)

    rows = audit_rows(seeded.database_url, action="auth.login", target=f"user:{account.user_id}")
    assert [(r["outcome"], r["actor"], r["source_address"]) for r in rows] == [
        ("failure", account.user_id, address), ("success", account.user_id, address)]
    unknown_rows = audit_rows(seeded.database_url, action="auth.login", target=f"email:{stranger}")
    assert [(r["outcome"], r["actor"], r["source_address"]) for r in unknown_rows] == [
        ("failure", None, address)]
    # Never a password in the trail.
    assert not fetch_all(seeded.database_url,
                         "SELECT 1 FROM audit_log WHERE detail LIKE %s OR target LIKE %s",
                         (f"%{account.password}%", f"%{account.password}%"))


# --- password reset and change ----------------------------------------------------------------


def test_password_reset_for_an_unknown_email_answers_ok_and_mails_nothing(
        auth, seeded: Backends, address: str) -> None:
    email = unique_email("ghost")
    response = auth.RequestPasswordReset(auth_pb2.RequestPasswordResetRequest(email=email),
                                         metadata=call_metadata(address=address))
    assert response == auth_pb2.RequestPasswordResetResponse()
    assert outbox_bodies(seeded.database_url, email) == []


def _request_reset_token(auth: auth_pb2_grpc.AuthServiceStub, database_url: str,
                         account: Account, address: str) -> str:
    before = len(outbox_bodies(database_url, account.email))
    auth.RequestPasswordReset(auth_pb2.RequestPasswordResetRequest(email=account.email.upper()),
                              metadata=call_metadata(address=address))
    bodies = outbox_bodies(database_url, account.email)
    assert len(bodies) == before + 1
    return token_in(bodies[-1])


def test_password_reset_is_single_use_and_ends_every_session(
        auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        address: str) -> None:
    account = create_account(server)
    session = login(channel, account, address=address).tokens
    token = _request_reset_token(auth, seeded.database_url, account, address)
    row = fetch_all(seeded.database_url,
                    "SELECT user_id::text AS user_id, expires_at - created_at AS ttl "
                    "FROM password_reset_tokens WHERE token_hash = %s", (sha256_hex(token),))
    assert row == [{"user_id": account.user_id, "ttl": timedelta(minutes=30)}]

    weak = rpc_error(auth.ResetPassword,
                     auth_pb2.ResetPasswordRequest(token=token, new_password="short"),
                     metadata=call_metadata(address=address))
    assert weak.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(weak) == ["new_password"]

    new_password = strong_password()
    auth.ResetPassword(auth_pb2.ResetPasswordRequest(token=token, new_password=new_password),
                       metadata=call_metadata(address=address))  # the refusal left it usable

    assert refused_token_reason(auth, session.access_token) == "TOKEN_REVOKED"
    refresh_error(auth, session.refresh_token, address)
    old = login_error(auth, account.email, account.password, address)
    assert error_reason(old) == "INVALID_CREDENTIALS"
    renewed = Account(account.user_id, account.email, new_password, account.role)
    fresh = login(channel, renewed, address=address).tokens
    assert get_me(auth, token=fresh.access_token).id == account.user_id

    again = rpc_error(auth.ResetPassword,
                      auth_pb2.ResetPasswordRequest(token=token, new_password=strong_password()),
                      metadata=call_metadata(address=address))
    assert again.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(again) == ["token"]
    login(channel, renewed, address=address)  # the refused reuse changed nothing


def test_a_reset_voids_the_other_outstanding_reset_tokens(
        auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        address: str) -> None:
    account = create_account(server)
    older = _request_reset_token(auth, seeded.database_url, account, address)
    newer = _request_reset_token(auth, seeded.database_url, account, address)
    assert older != newer
    new_password = strong_password()
    auth.ResetPassword(auth_pb2.ResetPasswordRequest(token=newer, new_password=new_password),
                       metadata=call_metadata(address=address))

    error = rpc_error(auth.ResetPassword,
                      auth_pb2.ResetPasswordRequest(token=older, new_password=strong_password()),
                      metadata=call_metadata(address=address))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == ["token"]
    login(channel, Account(account.user_id, account.email, new_password, account.role),
          address=address)


def test_an_expired_reset_token_is_refused(
        auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        address: str) -> None:
    account = create_account(server)
    token = _request_reset_token(auth, seeded.database_url, account, address)
    assert execute(seeded.database_url,
                   "UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' "
                   "WHERE token_hash = %s", (sha256_hex(token),)) == 1

    error = rpc_error(auth.ResetPassword,
                      auth_pb2.ResetPasswordRequest(token=token, new_password=strong_password()),
                      metadata=call_metadata(address=address))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == ["token"]
    assert login(channel, account, address=address).user.id == account.user_id  # unchanged


def test_change_password_ends_other_sessions_and_keeps_the_current_one(
        auth, channel: grpc.Channel, server: RunningServer, address: str) -> None:
    account = create_account(server)
    current = login(channel, account, address=address).tokens
    other = login(channel, account, address=address).tokens
    as_current = call_metadata(token=current.access_token)

    wrong = rpc_error(auth.ChangePassword,
                      auth_pb2.ChangePasswordRequest(current_password="Not-my-password-1",
                                                     new_password=strong_password()),
                      metadata=as_current)
    assert wrong.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(wrong) == ["current_password"]
    weak = rpc_error(auth.ChangePassword,
                     auth_pb2.ChangePasswordRequest(current_password=account.password,
                                                    new_password=_common_long_password()),
                     metadata=as_current)
    assert violated_fields(weak) == ["new_password"]

    new_password = strong_password()
    auth.ChangePassword(auth_pb2.ChangePasswordRequest(current_password=account.password,
                                                       new_password=new_password),
                        metadata=as_current)

    refresh_error(auth, other.refresh_token, address)
    assert refused_token_reason(auth, other.access_token) == "TOKEN_REVOKED"
    assert get_me(auth, token=current.access_token).id == account.user_id
    auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=current.refresh_token),
                      metadata=call_metadata(address=address))
    assert error_reason(login_error(auth, account.email, account.password, address)) \
        == "INVALID_CREDENTIALS"
    login(channel, Account(account.user_id, account.email, new_password, account.role),
          address=address)


def test_change_password_is_throttled_like_login(
        auth, channel: grpc.Channel, server: RunningServer, address: str) -> None:
    account = create_account(server)
    as_user = call_metadata(token=login(channel, account, address=address).tokens.access_token,
                            address=address)
    for attempt in range(5):
        wrong = rpc_error(auth.ChangePassword, auth_pb2.ChangePasswordRequest(
            current_password=f"Guess-number-{attempt}", new_password=strong_password()),
            metadata=as_user)
        assert violated_fields(wrong) == ["current_password"]
    # Login is locked by now (the failures were recorded)...
    assert error_reason(login_error(auth, account.email, account.password, address)) == \
        "LOGIN_THROTTLED"

    # ...and so must the same check through ChangePassword be.
    sixth = rpc_error(auth.ChangePassword, auth_pb2.ChangePasswordRequest(
        current_password=account.password, new_password=strong_password()), metadata=as_user)
    assert sixth.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_reason(sixth) == "LOGIN_THROTTLED"
    assert "RetryInfo" in status_details(sixth)


# --- API keys --------------------------------------------------------------------------------


def test_api_key_is_shown_once_stored_hashed_and_replayed_by_request_id(
        auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        address: str) -> None:
    account = create_account(server)
    token = login(channel, account, address=address).tokens.access_token
    request = auth_pb2.CreateApiKeyRequest(name="trading-bot", request_id="req-" + address)
    created = auth.CreateApiKey(request, metadata=call_metadata(token=token, address=address))

    secret = created.secret
    assert secret.startswith("fhp_") and len(secret) == 44 and secret[4:].isalnum()
    assert created.api_key.prefix == secret[:12]
    assert created.api_key.name == "trading-bot"
    assert not created.api_key.HasField("expire_time")
    stored = fetch_all(seeded.database_url,
                       "SELECT key_hash, prefix FROM api_keys WHERE id = %s",
                       (created.api_key.id,))
    assert stored == [{"key_hash": sha256_hex(secret), "prefix": secret[:12]}]

    replay = auth.CreateApiKey(request, metadata=call_metadata(token=token))
    assert replay.api_key.id == created.api_key.id
    assert replay.secret == ""
    assert fetch_all(seeded.database_url, "SELECT count(*) AS n FROM api_keys WHERE user_id = %s",
                     (account.user_id,)) == [{"n": 1}]

    me = get_me(auth, api_key=secret)
    assert me.id == account.user_id
    listed = auth.ListApiKeys(auth_pb2.ListApiKeysRequest(),
                              metadata=call_metadata(token=token)).api_keys
    assert [key.id for key in listed] == [created.api_key.id]
    assert listed[0].HasField("last_use_time")

    rows = audit_rows(seeded.database_url, action="api_key.create",
                      target=f"api_key:{created.api_key.id}")
    assert [(r["actor"], r["source_address"], r["outcome"]) for r in rows] == [
        (account.user_id, address, "success")]
    assert secret not in rows[0]["detail"]


def test_list_api_keys_paginates_newest_first(
        auth, channel: grpc.Channel, server: RunningServer, address: str) -> None:
    account = create_account(server)
    token = login(channel, account, address=address).tokens.access_token
    created = [auth.CreateApiKey(auth_pb2.CreateApiKeyRequest(name=f"key-{n}"),
                                 metadata=call_metadata(token=token)).api_key.id
               for n in range(3)]

    first = auth.ListApiKeys(auth_pb2.ListApiKeysRequest(page_size=2),
                             metadata=call_metadata(token=token))
    assert len(first.api_keys) == 2 and first.next_page_token
    second = auth.ListApiKeys(
        auth_pb2.ListApiKeysRequest(page_size=2, page_token=first.next_page_token),
        metadata=call_metadata(token=token))
    assert len(second.api_keys) == 1 and second.next_page_token == ""

    listed = [key.id for key in [*first.api_keys, *second.api_keys]]
    assert listed == list(reversed(created))
    assert all(key.prefix.startswith("fhp_") and len(key.prefix) == 12
               for key in [*first.api_keys, *second.api_keys])


def test_revoking_someone_elses_key_is_not_found_and_revoking_ones_own_stops_it(
        auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        address: str) -> None:
    owner, intruder = create_account(server), create_account(server)
    owner_token = login(channel, owner, address=address).tokens.access_token
    intruder_token = login(channel, intruder, address=address).tokens.access_token
    created = auth.CreateApiKey(auth_pb2.CreateApiKeyRequest(name="mine"),
                                metadata=call_metadata(token=owner_token))
    key_id = created.api_key.id

    foreign = rpc_error(auth.RevokeApiKey, auth_pb2.RevokeApiKeyRequest(key_id=key_id),
                        metadata=call_metadata(token=intruder_token))
    missing = rpc_error(auth.RevokeApiKey,
                        auth_pb2.RevokeApiKeyRequest(key_id="00000000-0000-4000-8000-000000000000"),
                        metadata=call_metadata(token=intruder_token))
    assert foreign.code() == missing.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(foreign) == error_reason(missing) == "API_KEY_NOT_FOUND"
    assert get_me(auth, api_key=created.secret).id == owner.user_id  # untouched

    revoked = auth.RevokeApiKey(auth_pb2.RevokeApiKeyRequest(key_id=key_id),
                                metadata=call_metadata(token=owner_token, address=address))
    assert revoked.api_key.HasField("revoke_time")
    error = rpc_error(auth.GetMe, auth_pb2.GetMeRequest(),
                      metadata=call_metadata(api_key=created.secret))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(error) == "API_KEY_REVOKED"

    rows = audit_rows(seeded.database_url, action="api_key.revoke", target=f"api_key:{key_id}")
    assert [(r["actor"], r["source_address"], r["outcome"]) for r in rows] == [
        (owner.user_id, address, "success")]

    malformed = rpc_error(auth.RevokeApiKey, auth_pb2.RevokeApiKeyRequest(key_id="nope"),
                          metadata=call_metadata(token=owner_token))
    assert malformed.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(malformed) == ["key_id"]


def test_api_key_expiry_must_be_future_and_an_expired_key_is_refused(
        auth, channel: grpc.Channel, server: RunningServer, seeded: Backends,
        address: str) -> None:
    account = create_account(server)
    token = login(channel, account, address=address).tokens.access_token
    past = timestamp_pb2.Timestamp()
    past.FromDatetime(datetime.now(UTC) - timedelta(minutes=1))
    error = rpc_error(auth.CreateApiKey,
                      auth_pb2.CreateApiKeyRequest(name="old", expire_time=past),
                      metadata=call_metadata(token=token))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == ["expire_time"]

    future = timestamp_pb2.Timestamp()
    future.FromDatetime(datetime.now(UTC) + timedelta(days=1))
    created = auth.CreateApiKey(auth_pb2.CreateApiKeyRequest(name="soon", expire_time=future),
                                metadata=call_metadata(token=token))
    assert created.api_key.expire_time.seconds == future.seconds
    assert get_me(auth, api_key=created.secret).id == account.user_id
    execute(seeded.database_url,
            "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = %s",
            (created.api_key.id,))
    expired = rpc_error(auth.GetMe, auth_pb2.GetMeRequest(),
                        metadata=call_metadata(api_key=created.secret))
    assert expired.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(expired) == "API_KEY_EXPIRED"


# --- JWKS ----------------------------------------------------------------------------------------


def test_jwks_publishes_the_key_that_verifies_login_tokens(
        auth, channel: grpc.Channel, server: RunningServer, address: str) -> None:
    account = create_account(server)
    access_token = login(channel, account, address=address).tokens.access_token
    kid = jwt.get_unverified_header(access_token)["kid"]

    keys = auth.GetJwks(auth_pb2.GetJwksRequest()).keys
    matching = [key for key in keys if key.kid == kid]
    assert len(matching) == 1
    jwk = matching[0]
    assert jwk.use == "sig"
    assert (jwk.kty, jwk.alg, jwk.crv) == ("OKP", "EdDSA", "Ed25519") or (
        jwk.kty, jwk.alg) == ("RSA", "RS256")
    members = {name: value for name, value in
               (("kty", jwk.kty), ("kid", jwk.kid), ("alg", jwk.alg), ("crv", jwk.crv),
                ("x", jwk.x), ("n", jwk.n), ("e", jwk.e)) if value}
    public_key = jwt.PyJWK(members).key
    claims = jwt.decode(access_token, public_key, algorithms=[jwk.alg],
                        audience="financehub-api", issuer="https://financehub.sa")
    assert claims["sub"] == account.user_id
    assert not any(key.kty == "oct" for key in keys)  # never a shared secret


# --- secrets stay out of the logs ----------------------------------------------------------------


def test_no_password_token_or_key_reaches_the_logs(
        auth, channel: grpc.Channel, seeded: Backends, caplog: pytest.LogCaptureFixture,
        address: str) -> None:
    caplog.set_level(logging.DEBUG)
    email, password = unique_email("quiet"), strong_password()
    auth.Register(auth_pb2.RegisterRequest(email=email, password=password),
                  metadata=call_metadata(address=address))
    verification = token_in(outbox_bodies(seeded.database_url, email)[0])
    auth.VerifyEmail(auth_pb2.VerifyEmailRequest(token=verification))
    account = Account("", email, password, Role.USER)
    login_error(auth, email, password + "-wrong", address)
    tokens = login(channel, account, address=address).tokens
    renewed = auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token),
                                metadata=call_metadata(address=address)).tokens
    refresh_error(auth, tokens.refresh_token, address)  # reuse: ends that session
    fresh = login(channel, account, address=address).tokens
    secret = auth.CreateApiKey(auth_pb2.CreateApiKeyRequest(name="bot"),
                               metadata=call_metadata(token=fresh.access_token)).secret
    get_me(auth, api_key=secret)
    rpc_error(auth.GetMe, auth_pb2.GetMeRequest(), metadata=call_metadata(api_key=secret + "x"))
    auth.RequestPasswordReset(auth_pb2.RequestPasswordResetRequest(email=email))
    reset = token_in(outbox_bodies(seeded.database_url, email)[-1])
    new_password = strong_password()
    auth.ResetPassword(auth_pb2.ResetPasswordRequest(token=reset, new_password=new_password))
    refused_token_reason(auth, fresh.access_token)

    formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    access_lines = [r for r in caplog.records if r.name == "financehub.access"]
    assert len(access_lines) >= 12  # the calls above were logged...
    assert any(getattr(r, "method", "") == "/financehub.v1.AuthService/Login"
               for r in access_lines)
    secrets = {"password": password, "new password": new_password,
               "verification token": verification, "reset token": reset,
               "access token": tokens.access_token, "rotated access token": renewed.access_token,
               "refresh token": tokens.refresh_token, "rotated refresh": renewed.refresh_token,
               "api key": secret}
    for name, value in secrets.items():  # ...and none of their secrets
        assert value not in logged, f"the {name} appears in the logs"
        assert value[-16:] not in logged, f"part of the {name} appears in the logs"


# --- Redis unreachable ----------------------------------------------------------------------------



def test_sessions_revocation_and_throttling_work_without_redis(
        server_without_redis: RunningServer) -> None:
    account = create_account(server_without_redis)
    address = unique_address()
    with grpc.insecure_channel(server_without_redis.address) as channel:
        auth = auth_pb2_grpc.AuthServiceStub(channel)
        ending = login(channel, account, address=address).tokens
        other = login(channel, account, address=address).tokens
        assert get_me(auth, token=ending.access_token).id == account.user_id

        auth.Logout(auth_pb2.LogoutRequest(), metadata=call_metadata(token=ending.access_token))
        # The deny-list cannot be written to Redis: Postgres answers instead.
        assert refused_token_reason(auth, ending.access_token) == "TOKEN_REVOKED"
        assert get_me(auth, token=other.access_token).id == account.user_id

        for _ in range(5):
            assert error_reason(login_error(auth, account.email, "Wrong-password-12",
                                            address)) == "INVALID_CREDENTIALS"
        throttled = login_error(auth, account.email, account.password, address)
        assert throttled.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error_reason(throttled) == "LOGIN_THROTTLED"
