"""Attacks on bearer tokens and API keys, against a real server whose signing key we hold.

Every forged or spent credential must end the call with UNAUTHENTICATED and the
right ErrorInfo reason before the servicer runs (GetMe is the target: the test
counts the calls that reach AccountService.get_me).
"""

import hashlib
import re
import secrets
import string
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import jwt
import psycopg
import pytest
from google.protobuf import timestamp_pb2
from redis import Redis

from financehub.v1 import (
    admin_pb2,
    admin_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    identity_pb2,
    market_pb2,
    market_pb2_grpc,
)
from server.domain.access import Role
from server.storage.backends import Backends
from tests.support.identity import (
    Account,
    api_key,
    bearer,
    create_account,
    create_api_key,
    error_info,
    login,
    refusal,
    status_details,
)
from tests.support.services import EventLoopThread, RunningServer
from tests.support.tokens import (
    BEARER_ATTACKS,
    KeyedServer,
    Kit,
    counting_get_me,
    signed,
    start_keyed_server,
    unverified_claims,
)


@pytest.fixture(scope="module")
def keyed(seeded: Backends, loop_thread: EventLoopThread,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyedServer]:
    running = start_keyed_server(seeded, loop_thread, tmp_path_factory.mktemp("jwt"))
    yield running
    loop_thread.run(running.running.app.stop(grace_s=1))


@pytest.fixture(scope="module")
def keyed_channel(keyed: KeyedServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(keyed.running.address) as opened:
        grpc.channel_ready_future(opened).result(timeout=10)
        yield opened


@pytest.fixture
def auth(keyed_channel: grpc.Channel) -> auth_pb2_grpc.AuthServiceStub:
    return auth_pb2_grpc.AuthServiceStub(keyed_channel)


@pytest.fixture
def admin_stub(keyed_channel: grpc.Channel) -> admin_pb2_grpc.AdminServiceStub:
    return admin_pb2_grpc.AdminServiceStub(keyed_channel)


@pytest.fixture
def reached(keyed: KeyedServer) -> Iterator[list[str]]:
    """The user ids of the GetMe calls that reached the account service."""
    with counting_get_me(keyed.running) as seen:
        yield seen


@pytest.fixture
def account(keyed: KeyedServer) -> Account:
    return create_account(keyed.running, Role.USER, label="attacked")


@pytest.fixture(scope="module")
def admin(keyed: KeyedServer) -> Account:
    return create_account(keyed.running, Role.ADMIN, label="attack-admin")


@pytest.fixture
def db(seeded: Backends) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(seeded.database_url, autocommit=True) as conn:
        yield conn


def get_me_refusal(auth: auth_pb2_grpc.AuthServiceStub,
                   metadata: tuple[tuple[str, str], ...]) -> grpc.RpcError:
    return refusal(lambda: auth.GetMe(auth_pb2.GetMeRequest(), metadata=metadata, timeout=10))


def test_the_server_signs_with_our_key_and_a_genuine_token_reaches_the_servicer(
        keyed: KeyedServer, auth, account: Account, keyed_channel, reached) -> None:
    jwks = auth.GetJwks(auth_pb2.GetJwksRequest(), timeout=10)
    assert [key.kid for key in jwks.keys] == [keyed.signing_key.kid]
    token = login(keyed_channel, account).tokens.access_token
    assert jwt.get_unverified_header(token)["kid"] == keyed.signing_key.kid
    me = auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(token), timeout=10)
    assert me.user.id == account.user_id
    # ...and so does one we mint with the same key: the forgeries below differ only in
    # the one thing each attack changes.
    minted = keyed.forger().issue_access_token(user_id=account.user_id, role="user",
                                               session_id=unverified_claims(token)["sid"])
    assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(minted.token),
                      timeout=10).user.id == account.user_id
    # The hand-built claims the forgeries start from pass too when honestly signed.
    kit = Kit(keyed, account.user_id, token)
    baseline = signed(kit, kit.claims())
    assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(baseline),
                      timeout=10).user.id == account.user_id
    assert reached == [account.user_id] * 3


# --- forged, malformed and out-of-date bearer tokens -------------------------------------


@pytest.mark.parametrize("attack", BEARER_ATTACKS)
def test_forged_bearer_tokens_are_refused_before_the_servicer(
        attack: str, keyed: KeyedServer, auth, account: Account, keyed_channel,
        reached) -> None:
    genuine = login(keyed_channel, account).tokens.access_token
    forge, reason = BEARER_ATTACKS[attack]
    token = forge(Kit(keyed, account.user_id, genuine))
    assert token != genuine

    error = get_me_refusal(auth, bearer(token))

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_info(error).reason == reason
    assert token not in (error.details() or "")
    assert reached == []


@pytest.mark.parametrize(("authorization", "why"), [
    ("Bearer", "scheme without a token"),
    ("Bearer    ", "scheme and blanks"),
    ("Basic dXNlcjpwYXNzd29yZA==", "another scheme"),
    ("Token abc.def.ghi", "another scheme"),
    ("eyJhbGciOiJFZERTQSJ9.e30.c2ln", "a token without the scheme"),
])
def test_malformed_authorization_headers_are_refused(authorization: str, why: str, auth,
                                                     reached) -> None:
    error = get_me_refusal(auth, (("authorization", authorization),))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED, why
    assert error_info(error).reason == "TOKEN_INVALID"
    assert reached == []


def test_the_genuine_scheme_is_case_insensitive(auth, account: Account, keyed_channel,
                                                reached) -> None:
    token = login(keyed_channel, account).tokens.access_token
    me = auth.GetMe(auth_pb2.GetMeRequest(), metadata=(("authorization", f"bearer {token}"),),
                    timeout=10)
    assert me.user.id == account.user_id
    assert reached == [account.user_id]


# --- revocation ---------------------------------------------------------------------------

def test_logout_revokes_the_access_token_by_jti(auth, account: Account, keyed_channel,
                                                redis_client: Redis, reached) -> None:
    tokens = login(keyed_channel, account).tokens
    assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(tokens.access_token),
                      timeout=10).user.id == account.user_id

    auth.Logout(auth_pb2.LogoutRequest(), metadata=bearer(tokens.access_token), timeout=10)

    error = get_me_refusal(auth, bearer(tokens.access_token))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_info(error).reason == "TOKEN_REVOKED"
    assert reached == [account.user_id]  # only the call before the logout
    claims = unverified_claims(tokens.access_token)
    ttl = redis_client.ttl(f"fh:deny:jti:{claims['jti']}")
    assert 0 < ttl <= 901  # kept until the token would have expired anyway
    refresh_error = refusal(lambda: auth.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token), timeout=10))
    assert refresh_error.code() is grpc.StatusCode.UNAUTHENTICATED


def test_a_reused_refresh_token_revokes_the_whole_family(auth, account: Account,
                                                         keyed_channel, db) -> None:
    first = login(keyed_channel, account).tokens
    second = auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=first.refresh_token),
                               timeout=10).tokens
    assert second.refresh_token != first.refresh_token
    family = unverified_claims(first.access_token)["sid"]
    assert unverified_claims(second.access_token)["sid"] == family
    assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(second.access_token),
                      timeout=10).user.id == account.user_id

    reuse = refusal(lambda: auth.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=first.refresh_token), timeout=10))
    assert reuse.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_info(reuse).reason == "REFRESH_TOKEN_REUSED"

    newer = refusal(lambda: auth.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=second.refresh_token), timeout=10))
    assert newer.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_info(newer).reason.startswith("REFRESH_TOKEN_")
    for access in (second.access_token, first.access_token):
        error = get_me_refusal(auth, bearer(access))
        assert error.code() is grpc.StatusCode.UNAUTHENTICATED
        assert error_info(error).reason == "TOKEN_REVOKED"

    rows = db.execute("SELECT count(*) FILTER (WHERE revoked_at IS NULL), count(*) "
                      "FROM refresh_tokens WHERE family_id = %s", (family,)).fetchone()
    assert rows == (0, 2)
    audit = db.execute("SELECT actor_user_id::text, outcome FROM audit_log "
                       "WHERE action = 'auth.refresh_token_reuse' AND target = %s",
                       (f"session:{family}",)).fetchall()
    assert audit and audit[0] == (account.user_id, "failure")
    # Other sessions of the same user are untouched.
    other = login(keyed_channel, account).tokens
    assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(other.access_token),
                      timeout=10).user.id == account.user_id


def test_refreshing_after_logout_is_not_reported_as_token_reuse(auth, account: Account,
                                                                keyed_channel, db) -> None:
    tokens = login(keyed_channel, account).tokens
    family = unverified_claims(tokens.access_token)["sid"]
    auth.Logout(auth_pb2.LogoutRequest(), metadata=bearer(tokens.access_token), timeout=10)

    error = refusal(lambda: auth.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token), timeout=10))

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    (reuse_events,) = db.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'auth.refresh_token_reuse' "
        "AND target = %s", (f"session:{family}",)).fetchone()
    assert (error_info(error).reason, reuse_events) == ("REFRESH_TOKEN_REVOKED", 0)


def test_a_role_change_revokes_old_tokens_and_a_refresh_carries_the_new_role(
        keyed: KeyedServer, auth, admin_stub, account: Account, admin: Account,
        keyed_channel) -> None:
    old = login(keyed_channel, account).tokens
    admin_token = login(keyed_channel, admin).tokens.access_token
    assert unverified_claims(old.access_token)["role"] == "user"

    changed = admin_stub.SetUserRole(
        admin_pb2.SetUserRoleRequest(user_id=account.user_id, role=identity_pb2.ROLE_PREMIUM),
        metadata=bearer(admin_token), timeout=10)
    assert changed.user.role == identity_pb2.ROLE_PREMIUM

    error = get_me_refusal(auth, bearer(old.access_token))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_info(error).reason == "TOKEN_REVOKED"

    fresh = auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=old.refresh_token),
                              timeout=10).tokens
    claims = jwt.decode(fresh.access_token, keyed.signing_key.public_key, algorithms=["EdDSA"],
                        audience=keyed.audience, issuer=keyed.issuer)
    assert claims["role"] == "premium"
    me = auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(fresh.access_token), timeout=10)
    assert me.user.role == identity_pb2.ROLE_PREMIUM
    assert me.user.rate_limit_tier == identity_pb2.RATE_LIMIT_TIER_PREMIUM


def test_a_deactivated_users_token_and_api_key_stop_working(
        auth, admin_stub, account: Account, admin: Account, keyed_channel) -> None:
    tokens = login(keyed_channel, account).tokens
    secret = create_api_key(keyed_channel, tokens.access_token).secret
    assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=api_key(secret),
                      timeout=10).user.id == account.user_id
    admin_token = login(keyed_channel, admin).tokens.access_token

    admin_stub.DeactivateUser(admin_pb2.DeactivateUserRequest(user_id=account.user_id),
                              metadata=bearer(admin_token), timeout=10)

    token_error = get_me_refusal(auth, bearer(tokens.access_token))
    assert token_error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_info(token_error).reason == "TOKEN_REVOKED"
    key_error = get_me_refusal(auth, api_key(secret))
    assert key_error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_info(key_error).reason == "API_KEY_REVOKED"
    refresh_error = refusal(lambda: auth.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token), timeout=10))
    assert refresh_error.code() is grpc.StatusCode.UNAUTHENTICATED
    login_error = refusal(lambda: login(keyed_channel, account))
    assert login_error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_info(login_error).reason == "INVALID_CREDENTIALS"


# --- API keys -------------------------------------------------------------------------------

SECRET_SHAPE = re.compile(r"^fhp_[A-Za-z0-9]{40}$")


def test_a_revoked_api_key_is_refused(auth, account: Account, keyed_channel, reached) -> None:
    token = login(keyed_channel, account).tokens.access_token
    created = create_api_key(keyed_channel, token)
    assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=api_key(created.secret),
                      timeout=10).user.id == account.user_id

    revoked = auth.RevokeApiKey(auth_pb2.RevokeApiKeyRequest(key_id=created.api_key.id),
                                metadata=bearer(token), timeout=10)
    assert revoked.api_key.HasField("revoke_time")

    error = get_me_refusal(auth, api_key(created.secret))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_info(error).reason == "API_KEY_REVOKED"
    assert reached == [account.user_id]


def test_an_expired_api_key_is_refused(auth, account: Account, keyed_channel, db,
                                       reached) -> None:
    token = login(keyed_channel, account).tokens.access_token
    in_an_hour = timestamp_pb2.Timestamp()
    in_an_hour.FromDatetime(datetime.now(UTC) + timedelta(hours=1))
    created = create_api_key(keyed_channel, token, expire_time=in_an_hour)
    assert created.api_key.expire_time.seconds == in_an_hour.seconds
    assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=api_key(created.secret),
                      timeout=10).user.id == account.user_id

    db.execute("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = %s",
               (created.api_key.id,))

    error = get_me_refusal(auth, api_key(created.secret))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_info(error).reason == "API_KEY_EXPIRED"
    assert reached == [account.user_id]


def test_an_api_key_cannot_be_created_already_expired(account: Account, keyed_channel) -> None:
    token = login(keyed_channel, account).tokens.access_token
    past = timestamp_pb2.Timestamp()
    past.FromDatetime(datetime.now(UTC) - timedelta(seconds=5))
    error = refusal(lambda: create_api_key(keyed_channel, token, expire_time=past))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    violations = status_details(error)["BadRequest"].field_violations
    assert [v.field for v in violations] == ["expire_time"]


@pytest.mark.parametrize("secret", [
    "fhp_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40)),
    "fhp_",
    "not-an-api-key",
    "fhp_" + "x" * 300,
])
def test_unknown_api_keys_are_refused(secret: str, auth, reached) -> None:
    error = get_me_refusal(auth, api_key(secret))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error_info(error).reason == "API_KEY_INVALID"
    assert reached == []


def test_a_call_with_both_a_token_and_an_api_key_is_invalid(auth, account: Account,
                                                            keyed_channel, reached) -> None:
    token = login(keyed_channel, account).tokens.access_token
    secret = create_api_key(keyed_channel, token).secret
    error = get_me_refusal(auth, (*bearer(token), *api_key(secret)))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(error).reason == "AMBIGUOUS_CREDENTIALS"
    assert [v.field for v in status_details(error)["BadRequest"].field_violations] == [
        "x-api-key"]
    assert reached == []


@pytest.mark.parametrize("metadata", [
    bearer("garbage"),
    bearer("a.b.c"),
    (("authorization", "Basic dXNlcjpwYXNzd29yZA=="),),
    api_key("fhp_unknown"),
])
def test_public_rpcs_ignore_bad_credentials(metadata, keyed: KeyedServer, auth) -> None:
    """By design (server/security/authenticator.py): on a public RPC, credentials that fail
    make the caller a guest instead of failing the call."""
    jwks = auth.GetJwks(auth_pb2.GetJwksRequest(), metadata=metadata, timeout=10)
    assert [key.kid for key in jwks.keys] == [keyed.signing_key.kid]
    assert jwks.keys[0].alg == "EdDSA" and jwks.keys[0].crv == "Ed25519"


def test_a_client_may_refresh_while_sending_its_expired_access_token(
        keyed: KeyedServer, auth, account: Account, keyed_channel) -> None:
    tokens = login(keyed_channel, account).tokens
    start = time.time() - 1000
    expired = keyed.forger(clock=lambda: start).issue_access_token(
        user_id=account.user_id, role="user",
        session_id=unverified_claims(tokens.access_token)["sid"]).token
    assert error_info(get_me_refusal(auth, bearer(expired))).reason == "TOKEN_EXPIRED"
    fresh = auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=tokens.refresh_token),
                              metadata=bearer(expired), timeout=10).tokens
    assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(fresh.access_token),
                      timeout=10).user.id == account.user_id


def test_api_key_last_use_is_recorded(auth, account: Account, keyed_channel, db) -> None:
    token = login(keyed_channel, account).tokens.access_token
    created = create_api_key(keyed_channel, token)
    listed = auth.ListApiKeys(auth_pb2.ListApiKeysRequest(), metadata=bearer(token), timeout=10)
    assert not listed.api_keys[0].HasField("last_use_time")
    (before,) = db.execute("SELECT now()").fetchone()

    auth.GetMe(auth_pb2.GetMeRequest(), metadata=api_key(created.secret), timeout=10)

    (after,) = db.execute("SELECT now()").fetchone()
    (last_used,) = db.execute("SELECT last_used_at FROM api_keys WHERE id = %s",
                              (created.api_key.id,)).fetchone()
    assert last_used is not None and before <= last_used <= after
    listed = auth.ListApiKeys(auth_pb2.ListApiKeysRequest(), metadata=bearer(token), timeout=10)
    assert listed.api_keys[0].id == created.api_key.id
    assert listed.api_keys[0].last_use_time.ToDatetime(UTC) == last_used


def test_api_key_secrets_are_shown_once_and_stored_only_as_sha256(
        auth, account: Account, keyed_channel, db) -> None:
    token = login(keyed_channel, account).tokens.access_token
    created = create_api_key(keyed_channel, token, name="shown once")
    secret = created.secret
    assert SECRET_SHAPE.match(secret), secret
    assert created.api_key.prefix == secret[:12]
    assert len(created.api_key.prefix) == 12 and created.api_key.prefix.startswith("fhp_")

    listed = auth.ListApiKeys(auth_pb2.ListApiKeysRequest(), metadata=bearer(token), timeout=10)
    (shown,) = [key for key in listed.api_keys if key.id == created.api_key.id]
    assert shown.prefix == secret[:12]
    wire = listed.SerializeToString()
    assert secret.encode() not in wire and secret[12:].encode() not in wire

    (key_hash,) = db.execute("SELECT key_hash FROM api_keys WHERE id = %s",
                             (created.api_key.id,)).fetchone()
    assert key_hash == hashlib.sha256(secret.encode()).hexdigest()
    for table in ("api_keys", "audit_log"):
        (dump,) = db.execute(f"SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t"  # noqa: S608
                             ).fetchone()
        assert secret[12:] not in dump, table


def test_a_replayed_create_request_does_not_show_the_secret_again(account: Account,
                                                                  keyed_channel) -> None:
    token = login(keyed_channel, account).tokens.access_token
    first = create_api_key(keyed_channel, token, request_id="replay-1")
    again = create_api_key(keyed_channel, token, request_id="replay-1")
    assert SECRET_SHAPE.match(first.secret)
    assert again.api_key.id == first.api_key.id
    assert again.secret == ""


# --- with Redis unreachable ----------------------------------------------------------------


def test_without_redis_a_logged_out_token_is_still_refused(
        server_without_redis: RunningServer) -> None:
    account = create_account(server_without_redis, Role.USER, label="no-redis")
    with grpc.insecure_channel(server_without_redis.address) as channel:
        auth = auth_pb2_grpc.AuthServiceStub(channel)
        ended = login(channel, account).tokens
        kept = login(channel, account).tokens
        assert auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(ended.access_token),
                          timeout=10).user.id == account.user_id

        auth.Logout(auth_pb2.LogoutRequest(), metadata=bearer(ended.access_token), timeout=10)

        error = refusal(lambda: auth.GetMe(auth_pb2.GetMeRequest(),
                                           metadata=bearer(ended.access_token), timeout=10))
        assert error.code() is grpc.StatusCode.UNAUTHENTICATED
        assert error_info(error).reason == "TOKEN_REVOKED"
        me = auth.GetMe(auth_pb2.GetMeRequest(), metadata=bearer(kept.access_token), timeout=10)
        assert me.user.id == account.user_id
        ticker = market_pb2_grpc.MarketServiceStub(channel).GetTicker(
            market_pb2.GetTickerRequest(symbol="2222"), metadata=bearer(kept.access_token),
            timeout=10)
        assert ticker.ticker.symbol == "2222"
