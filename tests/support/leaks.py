"""Looking for secrets where they must never be: every flow that handles a password, a
token, an API key or a one-time mailed secret, driven over a real channel, with each secret
(and each part of it that would still be dangerous alone) collected by name, and every
error the flows met kept for inspection."""

import re
from dataclasses import dataclass, field
from functools import partial

import grpc

from financehub.v1 import admin_pb2, admin_pb2_grpc, auth_pb2, auth_pb2_grpc
from server.domain.access import Role
from tests.support.identity import (
    Account,
    api_key,
    bearer,
    login,
    refusal,
    status_details,
    strong_password,
    unique_email,
)


@dataclass
class Secrets:
    """Everything a log or an error must never show, by what it is."""

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

    def in_text(self, text: str) -> list[str]:
        """The names of the secrets `text` shows."""
        return [name for name, value in self.found.items() if value in text]


def mailed_token(admin: admin_pb2_grpc.AdminServiceStub, admin_token: str, recipient: str,
                 subject_word: str) -> str:
    outbox = admin.ListOutboxMessages(admin_pb2.ListOutboxMessagesRequest(recipient=recipient),
                                      metadata=bearer(admin_token), timeout=10)
    bodies = [m.body for m in outbox.messages if subject_word in m.subject.lower()]
    assert bodies, [m.subject for m in outbox.messages]
    match = re.search(r"\n\n(\S+)\n", bodies[0])  # the newest first
    assert match, bodies[0]
    return match.group(1)


def error_text(error: grpc.RpcError) -> str:
    """All a caller sees of a failed call: code, message, rich details, trailers."""
    parts = [str(error.code()), error.details() or ""]  # type: ignore[attr-defined]
    try:
        parts += [str(detail) for detail in status_details(error).values()]
    except AssertionError:  # no google.rpc.Status attached
        pass
    parts += [f"{key}={value!r}" for key, value in
              (error.trailing_metadata() or ())]  # type: ignore[attr-defined]
    return "\n".join(parts)


@dataclass
class SecretFlows:
    """What `drive_secret_flows` did: the user it registered, its API key's id, a valid
    access token of the user, and every error it met (each one expected by the flow)."""

    user_id: str
    api_key_id: str
    access_token: str
    errors: list[grpc.RpcError]


def drive_secret_flows(channel: grpc.Channel, admin: Account, secrets: Secrets) -> SecretFlows:
    """Register, verify, log in (a wrong password first), refresh, reuse a spent refresh
    token, create and use an API key, change the password (a wrong current one first),
    reset it through the outbox (then reuse the reset token), and present bad credentials
    of every kind; every secret involved goes into `secrets`."""
    auth = auth_pb2_grpc.AuthServiceStub(channel)
    admin_stub = admin_pb2_grpc.AdminServiceStub(channel)
    errors: list[grpc.RpcError] = []

    def refused(call: partial[object], code: grpc.StatusCode) -> None:
        error = refusal(call)
        assert error.code() is code, (error.code(), error.details())  # type: ignore[attr-defined]
        errors.append(error)

    secrets.add("admin password", admin.password)
    admin_tokens = login(channel, admin).tokens
    admin_token = secrets.add("admin access token", admin_tokens.access_token)
    secrets.add("admin refresh token", admin_tokens.refresh_token)

    # Register, verify, log in (wrong password first), refresh, reuse the spent refresh token.
    email = unique_email("logs")
    password = secrets.add("password", strong_password())
    user = auth.Register(auth_pb2.RegisterRequest(email=email, password=password),
                         timeout=10).user
    verification = secrets.add("verification token",
                               mailed_token(admin_stub, admin_token, email, "verify"))
    auth.VerifyEmail(auth_pb2.VerifyEmailRequest(token=verification), timeout=10)
    wrong = secrets.add("wrong password", strong_password())
    refused(partial(auth.Login, auth_pb2.LoginRequest(email=email, password=wrong), timeout=10),
            grpc.StatusCode.UNAUTHENTICATED)
    first = auth.Login(auth_pb2.LoginRequest(email=email, password=password), timeout=10).tokens
    secrets.add("access token", first.access_token)
    secrets.add("refresh token", first.refresh_token)
    second = auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=first.refresh_token),
                               timeout=10).tokens
    secrets.add("refreshed access token", second.access_token)
    secrets.add("refreshed refresh token", second.refresh_token)
    refused(partial(auth.RefreshToken,
                    auth_pb2.RefreshTokenRequest(refresh_token=first.refresh_token), timeout=10),
            grpc.StatusCode.UNAUTHENTICATED)  # (ends that session)
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
    refused(partial(auth.ChangePassword, auth_pb2.ChangePasswordRequest(
        current_password=bad_current, new_password=strong_password()),
        metadata=bearer(access), timeout=10), grpc.StatusCode.INVALID_ARGUMENT)
    changed = secrets.add("changed password", strong_password())
    auth.ChangePassword(auth_pb2.ChangePasswordRequest(current_password=password,
                                                       new_password=changed),
                        metadata=bearer(access), timeout=10)

    # A password reset through the outbox, and the reset token used twice.
    auth.RequestPasswordReset(auth_pb2.RequestPasswordResetRequest(email=email), timeout=10)
    reset = secrets.add("reset token", mailed_token(admin_stub, admin_token, email, "reset"))
    after_reset = secrets.add("password after reset", strong_password())
    auth.ResetPassword(auth_pb2.ResetPasswordRequest(token=reset, new_password=after_reset),
                       timeout=10)
    refused(partial(auth.ResetPassword, auth_pb2.ResetPasswordRequest(
        token=reset, new_password=strong_password()), timeout=10),
        grpc.StatusCode.INVALID_ARGUMENT)
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
        refused(partial(auth.GetMe, auth_pb2.GetMeRequest(), metadata=metadata, timeout=10),
                grpc.StatusCode.UNAUTHENTICATED)
    return SecretFlows(user_id=user.id, api_key_id=created.api_key.id,
                       access_token=final.access_token, errors=errors)
