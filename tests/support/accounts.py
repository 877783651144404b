"""Helpers for the identity tests: unique accounts and addresses, credentials metadata,
rich error details, and direct reads of the identity tables."""

import hashlib
import ipaddress
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import psycopg
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from psycopg.rows import dict_row

from financehub.v1 import auth_pb2, auth_pb2_grpc
from server.domain.access import Role
from tests.support.services import RunningServer

Metadata = list[tuple[str, str]]

_DETAIL_KINDS: tuple[type[Message], ...] = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.BadRequest,
    error_details_pb2.ResourceInfo,
    error_details_pb2.RetryInfo,
    error_details_pb2.QuotaFailure,
)


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:16]}@example.com"


def strong_password() -> str:
    return f"Violet-Harbour-{uuid.uuid4().hex[:12]}"


def unique_address() -> str:
    """A client address no other test uses (IPv6 documentation range), as the server will
    print it. Sent as `x-forwarded-for` from 127.0.0.1, which the server trusts by default,
    so that per-address counters (login guard, guest rate limits) start fresh per test."""
    return str(ipaddress.IPv6Address((0x20010DB8 << 96) | uuid.uuid4().int >> 32))


def call_metadata(*, token: str | None = None, api_key: str | None = None,
                  address: str | None = None) -> Metadata:
    metadata: Metadata = []
    if token is not None:
        metadata.append(("authorization", f"Bearer {token}"))
    if api_key is not None:
        metadata.append(("x-api-key", api_key))
    if address is not None:
        metadata.append(("x-forwarded-for", address))
    return metadata


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


def error_reason(error: grpc.RpcError) -> str:
    info = status_details(error).get("ErrorInfo")
    assert info is not None, f"no ErrorInfo in {error!r}"
    assert info.domain == "financehub.sa"
    return str(info.reason)


def violated_fields(error: grpc.RpcError) -> list[str]:
    bad_request = status_details(error).get("BadRequest")
    assert bad_request is not None, f"no BadRequest in {error!r}"
    return [violation.field for violation in bad_request.field_violations]


def headers(pairs: Sequence[tuple[str, Any]] | None) -> dict[str, str]:
    return {key: value for key, value in pairs or () if isinstance(value, str)}


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    password: str


def create_account(server: RunningServer, role: Role = Role.USER, *,
                   email: str | None = None, password: str | None = None,
                   verified: bool = True) -> Account:
    """A user of any role, created on `server` directly (no rate limit, no RPC)."""
    email = email or unique_email(role.value)
    password = password or strong_password()
    user = server.loop.run(server.app.accounts.create_user(
        email, password, role, address="test", verified=verified, actor_user_id=None))
    return Account(id=user.id, email=user.email, password=password)


def login(channel: grpc.Channel, account: Account, *,
          address: str | None = None) -> auth_pb2.LoginResponse:
    response: auth_pb2.LoginResponse = auth_pb2_grpc.AuthServiceStub(channel).Login(
        auth_pb2.LoginRequest(email=account.email, password=account.password),
        metadata=call_metadata(address=address), timeout=30)
    return response


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
