"""SQL injection in every string field of every RPC, called as an admin (who may call them
all), against a real server on the real Postgres: no call breaks (INTERNAL, UNKNOWN), none
answers with SQL or driver text, none runs long enough to mean `pg_sleep` ran, and the
database is intact afterwards.

RPCs and string field paths come from tests/resilience/fuzz_messages.py (the contract's
descriptors), so a new RPC or field is probed the moment it is added.
"""

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf.message import Message

from financehub.v1 import auth_pb2, auth_pb2_grpc
from server.domain.access import Role
from server.storage.backends import Backends
from tests.resilience.conftest import Recorder
from tests.resilience.fuzz_messages import Rpc, every_rpc, string_field_paths, with_value_at
from tests.support.identity import (
    Account,
    bearer,
    create_account,
    fetch_all,
    login,
    status_details,
    unique_address,
)
from tests.support.openai_server import OpenAIStubServer
from tests.support.services import EventLoopThread, RunningServer, start_test_server

PAYLOADS = (
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    "1; SELECT pg_sleep(5)--",
    "'; SELECT pg_sleep(5); --",
    "$$",
    "\\'",
    "%' AND 1=1 --",
    "' UNION SELECT id::text, email, password_hash FROM users --",
)
CALL_TIMEOUT_S = 10.0
# pg_sleep(5) would hold a call for at least five seconds; the calls take milliseconds.
SLOW_CALL_S = 4.9
STREAM_MESSAGES = 3
# Codes that mean the call broke, or never got past the access checks (an admin may call
# everything, so a refusal for access would make the probe vacuous).
BROKEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS,
          grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE,
          grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED,
          grpc.StatusCode.UNIMPLEMENTED}
# What SQL or the driver would say if a query or its error reached the caller.
SQL_TEXT = re.compile(
    r"syntax error|psycopg|sqlstate|traceback|unterminated|at or near|relation \"|"
    r"column \"|\bLINE \d|\bSELECT\b|\bINSERT\b|\bUPDATE\b|\bDELETE\b|\bDROP\b|\bFROM\b|"
    r"pg_sleep|password_hash", re.IGNORECASE)
# Methods whose request carries the credential itself: a bad one is UNAUTHENTICATED.
CREDENTIALS_IN_BODY = {"AuthService.Login", "AuthService.RefreshToken"}
# Methods that end the caller's session: they get a fresh login for every call.
ENDS_SESSION = {"AuthService.Logout"}


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


@dataclass
class Target:
    running: RunningServer
    channel: grpc.Channel
    admin_email: str
    admin_password: str
    admin_metadata: tuple[tuple[str, str], ...]

    def metadata_for(self, rpc: Rpc) -> tuple[tuple[str, str], ...]:
        if rpc.name not in ENDS_SESSION:
            return self.admin_metadata
        account = Account("", self.admin_email, self.admin_password, Role.ADMIN)
        return bearer(login(self.channel, account, address=unique_address()).tokens.access_token)


@pytest.fixture(scope="module")
def target(seeded: Backends) -> Iterator[Target]:
    loop = EventLoopThread()
    with OpenAIStubServer() as llm:
        running = start_test_server(
            seeded, loop, FINANCEHUB_STREAM_HEARTBEAT_SECONDS="0.2",
            FINANCEHUB_LLM_MODEL="stub-model", FINANCEHUB_LLM_BASE_URL=llm.base_url,
            FINANCEHUB_LLM_API_KEY="sk-injection", FINANCEHUB_LLM_MAX_RETRIES="0",
            FINANCEHUB_LLM_TIMEOUT_SECONDS="5")
        try:
            admin = create_account(running, Role.ADMIN, label="injection-admin")
            with grpc.insecure_channel(running.address) as channel:
                token = login(channel, admin, address=unique_address()).tokens.access_token
                yield Target(running, channel, admin.email, admin.password, bearer(token))
        finally:
            loop.run(running.app.stop(grace_s=1))
            loop.close()


def call(channel: grpc.Channel, rpc: Rpc, request: Message,
         metadata: tuple[tuple[str, str], ...]) -> grpc.RpcError | None:
    """The error `rpc` ended with, or None; a server stream is read for at most
    STREAM_MESSAGES messages, then cancelled (not an error)."""
    deserialize = rpc.response_class.FromString
    assert not rpc.client_streaming, f"{rpc.name}: client streaming is not probed here"
    try:
        if not rpc.server_streaming:
            channel.unary_unary(rpc.path, request_serializer=_serialize,
                                response_deserializer=deserialize)(
                request, metadata=metadata, timeout=CALL_TIMEOUT_S)
            return None
        stream = channel.unary_stream(rpc.path, request_serializer=_serialize,
                                      response_deserializer=deserialize)(
            request, metadata=metadata, timeout=CALL_TIMEOUT_S)
        for count, _ in enumerate(stream, start=1):
            if count >= STREAM_MESSAGES:
                stream.cancel()
                break
    except grpc.RpcError as error:
        if error.code() is grpc.StatusCode.CANCELLED:  # type: ignore[attr-defined]
            return None  # cancelled by us
        return error
    return None


def _without_payload(text: str, payload: str) -> str:
    """`text` with the payload's echoes cut: verbatim or escaped (as repr or JSON do), whole
    or cut short (messages quote at most a few dozen characters of a bad value)."""
    for echo in {payload, repr(payload)[1:-1], payload.replace("\\", "\\\\"),
                 payload.replace("'", "\\'"), payload.replace('"', '\\"')}:
        for length in range(len(echo), 7, -1):
            text = text.replace(echo[:length], "")
    return text


def problem_with(rpc: Rpc, error: grpc.RpcError | None, payload: str,
                 elapsed_s: float) -> str | None:
    if elapsed_s > SLOW_CALL_S:
        return f"took {elapsed_s:.1f} s"
    if error is None:
        return None
    code = error.code()  # type: ignore[attr-defined]
    refused_credential = (code is grpc.StatusCode.UNAUTHENTICATED
                          and rpc.name in CREDENTIALS_IN_BODY)
    if code in BROKEN and not refused_credential:
        return f"{code.name}: {error.details()}"  # type: ignore[attr-defined]
    seen = " ".join([error.details() or "",  # type: ignore[attr-defined]
                     *(str(detail) for detail in status_details(error).values())])
    leak = SQL_TEXT.search(_without_payload(seen, payload))
    if leak:
        return f"{code.name} says {leak.group(0)!r}: {seen[:300]}"
    return None


@dataclass
class Snapshot:
    tables: set[str]
    counts: dict[str, int]
    canary: dict[str, Any]
    users: int
    admins: int


PROTECTED_TABLES = ("securities", "daily_bars", "api_keys", "refresh_tokens", "orders",
                    "backtests", "audit_log")


def snapshot(database_url: str, canary_id: str) -> Snapshot:
    tables = {row["tablename"] for row in fetch_all(
        database_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    counts = {}
    for table in PROTECTED_TABLES:
        if table in tables and table not in ("audit_log", "refresh_tokens"):
            (row,) = fetch_all(database_url, f"SELECT count(*) AS n FROM {table}")  # noqa: S608
            counts[table] = int(row["n"])
    (canary,) = fetch_all(database_url, "SELECT * FROM users WHERE id = %s", (canary_id,))
    (users,) = fetch_all(database_url, "SELECT count(*) AS n FROM users "
                                       "WHERE NOT (email = ANY(%s))", (list(PAYLOADS),))
    (admins,) = fetch_all(database_url, "SELECT count(*) AS n FROM users WHERE role = 'admin'")
    return Snapshot(tables, counts, dict(canary), int(users["n"]), int(admins["n"]))


def test_sql_injection_in_every_string_field_of_every_rpc(
        target: Target, seeded: Backends, resilience: Recorder) -> None:
    canary = create_account(target.running, Role.USER, label="injection-canary")
    before = snapshot(seeded.database_url, canary.user_id)
    probed = [(rpc, path) for rpc in every_rpc()
              for path in string_field_paths(rpc.method.input_type)]
    assert len({rpc.name for rpc, _ in probed}) >= 40, "the walk found too few RPCs"

    problems: list[str] = []
    answered_ok = calls = 0
    for rpc, path in probed:
        empty = rpc.request_class()
        for payload in PAYLOADS:
            request = with_value_at(empty, path, payload)
            started = time.monotonic()
            error = call(target.channel, rpc, request, target.metadata_for(rpc))
            elapsed = time.monotonic() - started
            calls += 1
            answered_ok += error is None
            problem = problem_with(rpc, error, payload, elapsed)
            if problem:
                problems.append(f"{rpc.name} {'.'.join(path)}={payload!r}: {problem}")
    # The server still answers, and the admin's session (used throughout) still works.
    me = auth_pb2_grpc.AuthServiceStub(target.channel).GetMe(
        auth_pb2.GetMeRequest(), metadata=target.admin_metadata, timeout=10)
    assert me.user.email == target.admin_email

    assert problems == [], f"{len(problems)} of {calls} calls:\n" + "\n".join(
        problem[:300] for problem in problems[:40])
    assert answered_ok > 0, "no injected call got an answer: the probe never reached storage"
    after = snapshot(seeded.database_url, canary.user_id)
    assert after.tables == before.tables, "tables dropped or created"
    assert after.canary == before.canary, "the canary user row changed"
    assert after.users == before.users, "users created or deleted (other than the probe's)"
    assert after.admins == before.admins, "someone became (or stopped being) an admin"
    for table, count in before.counts.items():
        if table in ("orders", "backtests", "api_keys"):
            assert after.counts[table] >= count, f"rows deleted from {table}"
        else:
            assert after.counts[table] == count, f"{table} changed"
    resilience(area="Security", probe="SQL injection in every string field",
               tried=f"each of {len(PAYLOADS)} SQL payloads (quote breaks, stacked DROP TABLE, "
                     "pg_sleep, dollar quoting, backslash-quote, LIKE wildcards, UNION SELECT) "
                     f"put alone in each of the {len(probed)} string field paths (nested ones "
                     f"too) of the {len({rpc.name for rpc, _ in probed})} RPCs that have one, "
                     "called as an admin",
               cases=calls,
               held="no INTERNAL, UNKNOWN or access refusal; no SQL or driver text in any "
                    "message or detail; no call slow enough for pg_sleep; afterwards every "
                    "table still there, a canary user row byte-identical, the user and admin "
                    "counts and the seeded tables unchanged")
