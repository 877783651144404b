"""No password, token, key or one-time secret ever reaches a log line.

One test drives every flow that handles a secret over a real channel while a
handler on the root logger records everything at DEBUG, formatted by the
project's own JSON formatter (exceptions included). Then it looks for each
secret, and for the parts of it that would still be dangerous alone, in every
line; and checks the access log names callers only by id.
"""

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial

import grpc
import pytest

from financehub.v1 import admin_pb2, admin_pb2_grpc, auth_pb2, auth_pb2_grpc
from server.domain.access import Role
from server.logging_setup import configure_logging
from tests.support.identity import (
    Account,
    api_key,
    bearer,
    create_account,
    login,
    refusal,
    strong_password,
    unique_email,
)
from tests.support.services import RunningServer

ACCESS_LOGGER = "financehub.access"


def project_formatter() -> tuple[logging.Formatter, list[logging.Filter]]:
    """The formatter and filters `configure_logging` installs, without keeping its handler."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        configure_logging("DEBUG")
        handler = root.handlers[0]
        assert handler.formatter is not None
        return handler.formatter, [f for f in handler.filters if isinstance(f, logging.Filter)]
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


class Capture(logging.Handler):
    """Formats each record as it is emitted (in the call's context, so the request-id filter
    sees the call's id) and keeps the JSON line."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        formatter, filters = project_formatter()
        self.setFormatter(formatter)
        for log_filter in filters:
            self.addFilter(log_filter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[Capture]:
    capture = Capture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(level)


@dataclass
class Secrets:
    """Everything a log must never show, by what it is."""

    found: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str) -> str:
        assert value, f"{name} is empty: the flow under test did not produce it"
        self.found[name] = value
        if value.count(".") == 2:  # a JWT: its payload or signature alone still matter
            _, payload, signature = value.split(".")
            self.found[f"{name} payload"] = payload
            self.found[f"{name} signature"] = signature
        if value.startswith("fhp_"):  # an API key: everything past the listed prefix
            self.found[f"{name} past prefix"] = value[12:]
        if value.startswith("fhr_"):
            self.found[f"{name} body"] = value[4:]
        return value


def mailed_token(admin: admin_pb2_grpc.AdminServiceStub, admin_token: str, recipient: str,
                 subject_word: str) -> str:
    outbox = admin.ListOutboxMessages(admin_pb2.ListOutboxMessagesRequest(recipient=recipient),
                                      metadata=bearer(admin_token), timeout=10)
    bodies = [m.body for m in outbox.messages if subject_word in m.subject.lower()]
    assert bodies, [m.subject for m in outbox.messages]
    match = re.search(r"\n\n(\S+)\n", bodies[0])  # the newest first
    assert match, bodies[0]
    return match.group(1)


def test_no_secret_reaches_the_logs_and_the_access_log_names_callers_by_id(
        server: RunningServer, channel: grpc.Channel, captured: Capture) -> None:
    auth = auth_pb2_grpc.AuthServiceStub(channel)
    admin_stub = admin_pb2_grpc.AdminServiceStub(channel)
    secrets = Secrets()
    admin = create_account(server, Role.ADMIN, label="logs-admin")
    secrets.add("admin password", admin.password)
    admin_tokens = login(channel, admin).tokens
    admin_token = secrets.add("admin access token", admin_tokens.access_token)
    secrets.add("admin refresh token", admin_tokens.refresh_token)

    # Register, verify, log in (wrong password first), refresh.
    email = unique_email("logs")
    password = secrets.add("password", strong_password())
    user = auth.Register(auth_pb2.RegisterRequest(email=email, password=password),
                         timeout=10).user
    verification = secrets.add("verification token",
                               mailed_token(admin_stub, admin_token, email, "verify"))
    auth.VerifyEmail(auth_pb2.VerifyEmailRequest(token=verification), timeout=10)
    wrong = secrets.add("wrong password", strong_password())
    failed_login = refusal(lambda: auth.Login(auth_pb2.LoginRequest(email=email, password=wrong),
                                              timeout=10))
    assert failed_login.code() is grpc.StatusCode.UNAUTHENTICATED
    first = auth.Login(auth_pb2.LoginRequest(email=email, password=password), timeout=10).tokens
    secrets.add("access token", first.access_token)
    secrets.add("refresh token", first.refresh_token)
    second = auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=first.refresh_token),
                               timeout=10).tokens
    access = secrets.add("refreshed access token", second.access_token)
    secrets.add("refreshed refresh token", second.refresh_token)
    reuse = refusal(lambda: auth.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=first.refresh_token), timeout=10))
    assert reuse.code() is grpc.StatusCode.UNAUTHENTICATED  # (ends that session)
    third = login(channel, Account(user.id, email, password, Role.USER)).tokens
    access = secrets.add("third access token", third.access_token)
    secrets.add("third refresh token", third.refresh_token)

    # An API key, used; a wrong change of password, then a right one.
    created = auth.CreateApiKey(auth_pb2.CreateApiKeyRequest(name="logs"),
                                metadata=bearer(access), timeout=10)
    key = secrets.add("api key", created.secret)
    me = auth.GetMe(auth_pb2.GetMeRequest(), metadata=api_key(key), timeout=10)
    assert me.user.id == user.id
    bad_current = secrets.add("wrong current password", strong_password())
    refusal(lambda: auth.ChangePassword(auth_pb2.ChangePasswordRequest(
        current_password=bad_current, new_password=strong_password()),
        metadata=bearer(access), timeout=10))
    changed = secrets.add("changed password", strong_password())
    auth.ChangePassword(auth_pb2.ChangePasswordRequest(current_password=password,
                                                       new_password=changed),
                        metadata=bearer(access), timeout=10)

    # A password reset through the outbox.
    auth.RequestPasswordReset(auth_pb2.RequestPasswordResetRequest(email=email), timeout=10)
    reset = secrets.add("reset token", mailed_token(admin_stub, admin_token, email, "reset"))
    after_reset = secrets.add("password after reset", strong_password())
    auth.ResetPassword(auth_pb2.ResetPasswordRequest(token=reset, new_password=after_reset),
                       timeout=10)
    reused_reset = refusal(lambda: auth.ResetPassword(auth_pb2.ResetPasswordRequest(
        token=reset, new_password=strong_password()), timeout=10))
    assert reused_reset.code() is grpc.StatusCode.INVALID_ARGUMENT
    final = auth.Login(auth_pb2.LoginRequest(email=email, password=after_reset),
                       timeout=10).tokens
    secrets.add("access token after reset", final.access_token)
    secrets.add("refresh token after reset", final.refresh_token)

    # Bad credentials: a tampered token, a refresh token sent as a bearer, an unknown key,
    # and a header of the wrong scheme.
    header, payload, signature = final.access_token.split(".")
    tampered = secrets.add("tampered token",
                           f"{header}.{payload}.{'A' if signature[0] != 'A' else 'B'}"
                           f"{signature[1:]}")
    unknown_key = secrets.add("unknown api key", "fhp_" + "Z" * 40)
    basic = secrets.add("basic credentials", "dXNlcjpzM2NyZXQtcGFzc3dvcmQ=")
    for metadata in (bearer(tampered), bearer(final.refresh_token), api_key(unknown_key),
                     (("authorization", f"Basic {basic}"),)):
        error = refusal(partial(auth.GetMe, auth_pb2.GetMeRequest(), metadata=metadata,
                                timeout=10))
        assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    marked = auth.GetMe.with_call(auth_pb2.GetMeRequest(),
                                  metadata=(*bearer(final.access_token),
                                            ("x-request-id", "logs-test-0001")), timeout=10)
    assert marked[0].user.id == user.id

    lines = captured.lines
    assert len(lines) >= 25
    leaks = [(name, line) for line in lines for name, value in secrets.found.items()
             if value in line]
    assert leaks == [], f"secrets in the logs: {[name for name, _ in leaks]}"

    access_lines = [json.loads(line) for line in lines
                    if json.loads(line).get("logger") == ACCESS_LOGGER]

    def seen(method: str, principal: str, status: str) -> bool:
        return any(entry["method"] == f"/financehub.v1.{method}"
                   and entry["principal"] == principal and entry["status"] == status
                   for entry in access_lines)

    assert seen("AuthService/Register", "guest", "OK")
    assert seen("AuthService/Login", "guest", "UNAUTHENTICATED")
    assert seen("AuthService/Login", "guest", "OK")
    assert seen("AuthService/RefreshToken", "guest", "OK")
    assert seen("AuthService/CreateApiKey", f"user:{user.id}", "OK")
    assert seen("AuthService/GetMe", f"apikey:{created.api_key.id}", "OK")
    assert seen("AuthService/ChangePassword", f"user:{user.id}", "INVALID_ARGUMENT")
    assert seen("AuthService/ResetPassword", "guest", "OK")
    assert seen("AuthService/GetMe", "guest", "UNAUTHENTICATED")
    assert seen("AdminService/ListOutboxMessages", f"user:{admin.user_id}", "OK")
    for entry in access_lines:
        assert set(entry) >= {"time", "level", "message", "request_id", "method", "status",
                              "duration_ms", "principal"}
        assert re.fullmatch(r"guest|user:[0-9a-f-]{36}|apikey:[0-9a-f-]{36}",
                            entry["principal"]), entry
        assert entry["request_id"] not in ("", "-", None)
    assert [entry["principal"] for entry in access_lines
            if entry["request_id"] == "logs-test-0001"] == [f"user:{user.id}"]
