"""Helpers for the identity and access tests: unique emails, passwords and client addresses;
accounts of any role and their logins; credentials metadata; API keys; generic RPC calls
built from the service descriptors; rich-error unpacking; direct reads of the identity
tables (users, audit log, mail outbox)."""

import hashlib
import ipaddress
import re
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import psycopg
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from psycopg.rows import dict_row

from financehub.v1 import auth_pb2, auth_pb2_grpc
from server.domain.access import Role
from tests.support.services import RunningServer

Metadata = Sequence[tuple[str, str]]

# --- unique test data --------------------------------------------------------------------------


def unique_email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:16]}@example.com"


def strong_password() -> str:
    return "Pw-" + secrets.token_urlsafe(18)


def unique_address() -> str:
    """A client address no other test uses (IPv6 documentation range), as the server will
    print it. Sent as `x-forwarded-for` from 127.0.0.1, which the server trusts by default,
    so that per-address counters (login guard, guest rate limits) start fresh per test."""
    return str(ipaddress.IPv6Address((0x20010DB8 << 96) | uuid.uuid4().int >> 32))


# --- credentials metadata ----------------------------------------------------------------------


def call_metadata(*, token: str | None = None, api_key: str | None = None,
                  address: str | None = None) -> list[tuple[str, str]]:
    metadata: list[tuple[str, str]] = []
    if token is not None:
        metadata.append(("authorization", f"Bearer {token}"))
    if api_key is not None:
        metadata.append(("x-api-key", api_key))
    if address is not None:
        metadata.append(("x-forwarded-for", address))
    return metadata


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return tuple(call_metadata(token=token))


def api_key(secret: str) -> tuple[tuple[str, str], ...]:
    return tuple(call_metadata(api_key=secret))


def headers(pairs: Sequence[tuple[str, Any]] | None) -> dict[str, str]:
    return {key: value for key, value in pairs or () if isinstance(value, str)}


# --- accounts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    user_id: str
    email: str
    password: str
    role: Role


def create_account(server: RunningServer, role: Role = Role.USER, *, label: str | None = None,
                   email: str | None = None, password: str | None = None,
                   verified: bool = True) -> Account:
    """A user of any role, created on `server` directly (no rate limit, no RPC), the way the
    operator command does; its email is labelled `label` (by default the role's name)."""
    email = email or unique_email(label or role.value)
    password = password or strong_password()
    user = server.loop.run(server.app.accounts.create_user(
        email, password, role, address="127.0.0.1", verified=verified, actor_user_id=None))
    return Account(user_id=user.id, email=user.email, password=password, role=role)


def login(channel: grpc.Channel, account: Account, *,
          address: str | None = None) -> auth_pb2.LoginResponse:
    response: auth_pb2.LoginResponse = auth_pb2_grpc.AuthServiceStub(channel).Login(
        auth_pb2.LoginRequest(email=account.email, password=account.password),
        metadata=call_metadata(address=address), timeout=30)
    return response


def create_api_key(channel: grpc.Channel, access_token: str, name: str = "test key",
                   **fields: Any) -> auth_pb2.CreateApiKeyResponse:
    stub = auth_pb2_grpc.AuthServiceStub(channel)
    response: auth_pb2.CreateApiKeyResponse = stub.CreateApiKey(
        auth_pb2.CreateApiKeyRequest(name=name, **fields), metadata=bearer(access_token),
        timeout=10)
    return response


# --- refusals and their rich error details -----------------------------------------------------

_DETAIL_KINDS: tuple[type[Message], ...] = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.BadRequest,
    error_details_pb2.ResourceInfo,
    error_details_pb2.RetryInfo,
    error_details_pb2.QuotaFailure,
)


def refusal(call: Callable[[], Any]) -> grpc.RpcError:
    """Run `call`, which must fail; return its error."""
    try:
        call()
    except grpc.RpcError as error:
        return error
    raise AssertionError("the call succeeded but was expected to be refused")


def rpc_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> grpc.RpcError:
    """`call(*args, **kwargs)`, which must fail; return its error."""
    return refusal(lambda: call(*args, **kwargs))


def status_details(error: grpc.RpcError) -> dict[str, Any]:
    """The rich error details of a failed call, keyed by their type name."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, f"the error carries no google.rpc.Status: {error!r}"
    found: dict[str, Any] = {}
    for detail in status.details:
        for kind in _DETAIL_KINDS:
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                found[kind.DESCRIPTOR.name] = message
    return found


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    info = status_details(error).get("ErrorInfo")
    assert info is not None, f"no ErrorInfo on {error.code()} {error.details()}"  # type: ignore[attr-defined]
    assert info.domain == "financehub.sa"
    return info


def error_reason(error: grpc.RpcError) -> str:
    return str(error_info(error).reason)


def violated_fields(error: grpc.RpcError) -> list[str]:
    bad_request = status_details(error).get("BadRequest")
    assert bad_request is not None, f"no BadRequest in {error!r}"
    return [violation.field for violation in bad_request.field_violations]


# --- any method, called from its descriptor ----------------------------------------------------


def message_class(descriptor: Any) -> type[Message]:
    return message_factory.GetMessageClass(descriptor)  # type: ignore[no-any-return]


@dataclass
class Outcome:
    """How a call ended: its status code and, when it failed, the error."""

    code: grpc.StatusCode
    error: grpc.RpcError | None


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


def invoke(channel: grpc.Channel, service: ServiceDescriptor, method: MethodDescriptor,
           metadata: Metadata = (), timeout: float = 10) -> Outcome:
    """Call any method of `service` with an empty request, built from its descriptor alone.

    Streaming methods send one empty message and read at most one response.
    """
    path = f"/{service.full_name}/{method.name}"
    request = message_class(method.input_type)()
    deserialize = message_class(method.output_type).FromString
    try:
        if not method.client_streaming and not method.server_streaming:
            channel.unary_unary(path, request_serializer=_serialize,
                                response_deserializer=deserialize)(
                request, metadata=metadata, timeout=timeout)
        elif not method.client_streaming:
            stream = channel.unary_stream(path, request_serializer=_serialize,
                                          response_deserializer=deserialize)(
                request, metadata=metadata, timeout=timeout)
            next(iter(stream), None)
            stream.cancel()
        elif not method.server_streaming:
            channel.stream_unary(path, request_serializer=_serialize,
                                 response_deserializer=deserialize)(
                iter([request]), metadata=metadata, timeout=timeout)
        else:
            stream = channel.stream_stream(path, request_serializer=_serialize,
                                           response_deserializer=deserialize)(
                iter([request]), metadata=metadata, timeout=timeout)
            next(iter(stream), None)
            stream.cancel()
    except grpc.RpcError as error:
        if error.code() is grpc.StatusCode.CANCELLED:  # type: ignore[attr-defined]
            return Outcome(grpc.StatusCode.OK, None)  # cancelled by us after the first message
        return Outcome(error.code(), error)  # type: ignore[attr-defined]
    return Outcome(grpc.StatusCode.OK, None)


# --- the identity tables, read directly --------------------------------------------------------


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def fetch_all(database_url: str, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        return list(conn.execute(query, params).fetchall())


def execute(database_url: str, query: str, params: Sequence[Any] = ()) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute(query, params).rowcount


def outbox_bodies(database_url: str, recipient: str) -> list[str]:
    rows = fetch_all(database_url,
                     "SELECT body FROM outbox_messages WHERE recipient = %s ORDER BY id",
                     (recipient,))
    return [row["body"] for row in rows]


_MAILED_TOKEN = re.compile(r"^([A-Za-z0-9_-]{40,})$", re.MULTILINE)


def token_in(body: str) -> str:
    """The one-time token a verification or reset mail carries (on a line of its own)."""
    found = _MAILED_TOKEN.findall(body)
    assert len(found) == 1, f"expected exactly one token in the mail body: {body!r}"
    return str(found[0])


def audit_rows(database_url: str, *, action: str, target: str) -> list[dict[str, Any]]:
    return fetch_all(
        database_url,
        "SELECT actor_user_id::text AS actor, action, target, source_address, outcome, detail "
        "FROM audit_log WHERE action = %s AND target = %s ORDER BY id", (action, target))
