"""Every RPC of the contract, called with requests generated from its descriptor
(tests/resilience/fuzz_messages.py): random, adversarial and valid-looking values alike.

The server under test is a real `python -m server` child process on the seeded test
database, its LLM the local OpenAI-protocol stub, so that its memory can be read from
/proc. Each call must end with OK or a well-formed client error: never INTERNAL, UNKNOWN
or DATA_LOSS, never a hang, always a google.rpc.Status whose ErrorInfo is in the
financehub.sa domain, and never a stack trace or SQL text in the message or details.
Afterwards the server is still SERVING and its resident memory grew by less than a bound.

Hypothesis runs derandomized with a fixed number of examples per RPC and no shrinking, so
the number of calls (recorded in docs/RESILIENCE.md) is the same on every run. A broken
call does not stop the run: every RPC is fuzzed, and the test then fails listing the first
broken request of each RPC that had one.
"""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from server.domain.access import Role
from server.storage.backends import Backends
from tests.resilience.conftest import Recorder
from tests.resilience.fuzz_messages import (
    Rpc,
    build_message,
    every_rpc,
    requests_for,
)
from tests.support.identity import (
    Account,
    call_metadata,
    create_account,
    login,
    status_details,
    unique_address,
)
from tests.support.internals import leaked_marker
from tests.support.openai_server import OpenAIStubServer
from tests.support.server_process import (
    ServerProcess,
    server_env,
    start_server,
    stop,
    wait_serving,
)
from tests.support.services import TEST_SERVER_ENV, RunningServer, free_port

EXAMPLES_PER_RPC = 100
CALL_TIMEOUT_S = 20.0
"""A unary call still running after this long counts as a hang."""
STREAM_WINDOW_S = 0.5
"""How long a server stream is read before we cancel it (the first answer or error of
a fuzzed stream comes well before)."""
STREAM_MESSAGES = 3
FLOOD_ROUNDS = 2
WARM_UP_ROUNDS = 3
FLOOD_STRING_BYTES = 1_000_000
FLOOD_REQUEST_BYTES = 3_500_000
"""A flooded request stays under the server's 4 MiB limit, to reach the servicers."""
FLOOD_UNITS = ("A", "٢")
MEMORY_GROWTH_LIMIT_MIB = 40
"""Resident memory the server may gain over the fuzzing, after a warm-up. The fuzzed
requests come to about 41 MiB (the report says how much): keeping all of each would
grow the server past this, while it is measured to gain about 5 MiB."""
FLOOD_GROWTH_LIMIT_MIB = 64
"""Resident memory the server may have gained once the megabyte flood (about 154 MiB of
requests, nearly all refused) is over: less than half of what was sent, measured at about
30 MiB (the allocator keeps some freed memory). Before refusals stopped going through
`context.abort` (see server/interceptors/refusal.py), each refused request stayed alive
in a reference cycle until a full garbage collection, and the flood grew the server by
about 130 MiB a round."""

# OK, or a refusal of the request the client can act on. UNAVAILABLE is not allowed: every
# dependency (Postgres, Redis, the LLM stub) is up, so "unavailable" would be a server fault.
# UNIMPLEMENTED is not allowed either: every method of the contract is built (the access
# matrix in tests/integration proves it for empty requests). DEADLINE_EXCEEDED means a hang.
CLIENT_ERRORS = frozenset({
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.OUT_OF_RANGE,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.ABORTED,
})

# Text that would mean a stack trace or SQL escaped into an answer. A marker that the
# request itself carries (the fuzzer sends SQL fragments, which the server may echo back
# as the thing it did not find) is not held against that call.
# Calls that would end the fuzzer's own session are made with a session of their own:
# Logout revokes the token it is called with, so each Logout gets a fresh login of a
# separate account. Nothing else needs constraining: ChangePassword cannot guess the
# admin's password (its failures only throttle logins, and the admin logs in once, before
# the fuzzing); SetUserRole, DeactivateUser and RevokeApiKey take random ids that match no
# account or key of ours.
OWN_SESSION_RPCS = frozenset({"AuthService.Logout"})

RPCS = every_rpc()


@dataclass
class Findings:
    """What the fuzzing found: calls made per RPC, first broken call per RPC."""

    calls: dict[str, int] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    request_bytes: int = 0
    flood_calls: int = 0
    """Calls of the flood rounds (after the fuzzing), and their request bytes."""
    flood_bytes: int = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@dataclass
class FuzzTarget:
    process: ServerProcess
    channel: grpc.Channel
    admin: tuple[tuple[str, str], ...]
    user: tuple[tuple[str, str], ...]
    logout_account: Account


# --- the server under test ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def stub_llm() -> Iterator[OpenAIStubServer]:
    with OpenAIStubServer() as llm:
        yield llm


@pytest.fixture(scope="module")
def fuzz_target(seeded: Backends, server: RunningServer, stub_llm: OpenAIStubServer,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    port = free_port()
    env = {key: value for key, value in TEST_SERVER_ENV.items()
           if key not in ("FINANCEHUB_GRPC_PORT",)}
    tmp_path: Path = tmp_path_factory.mktemp("fuzz-server")
    process = start_server(tmp_path, server_env(
        **env,
        DATABASE_URL=seeded.database_url,
        REDIS_URL=seeded.redis_url,
        FINANCEHUB_GRPC_PORT=str(port),
        FINANCEHUB_AUTO_MIGRATE="false",
        FINANCEHUB_WORKERS="1",
        FINANCEHUB_LLM_MODEL="stub-model",
        FINANCEHUB_LLM_BASE_URL=stub_llm.base_url,
        FINANCEHUB_LLM_API_KEY="sk-fuzz",
        FINANCEHUB_LLM_MAX_RETRIES="0",
        FINANCEHUB_LLM_TIMEOUT_SECONDS="5",
    ))
    running = ServerProcess(process, f"127.0.0.1:{port}", tmp_path / "server.stderr")
    try:
        with grpc.insecure_channel(running.address, options=[
                ("grpc.max_receive_message_length", 8 * 1024 * 1024)]) as channel:
            wait_serving(running, channel)
            # Accounts are made through the in-process server, on the same database.
            admin = create_account(server, Role.ADMIN, label="fuzz-admin")
            user = create_account(server, Role.USER, label="fuzz-user")
            yield FuzzTarget(
                process=running, channel=channel,
                admin=_signed_in(channel, admin), user=_signed_in(channel, user),
                logout_account=create_account(server, Role.ADMIN, label="fuzz-logout"))
    finally:
        stop(process)


def _signed_in(channel: grpc.Channel, account: Account) -> tuple[tuple[str, str], ...]:
    token = login(channel, account, address=unique_address()).tokens.access_token
    return tuple(call_metadata(token=token))


def resident_mib(process: ServerProcess) -> float:
    """The server process's resident set size (VmRSS), in MiB."""
    status = Path(f"/proc/{process.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


# --- one call, checked -------------------------------------------------------------------------


def _serialize(message: Message) -> bytes:
    return bytes(message.SerializeToString())


def call(channel: grpc.Channel, rpc: Rpc, request: Message,
         metadata: tuple[tuple[str, str], ...]) -> grpc.RpcError | None:
    """Call `rpc`; the error it ended with, or None. A server stream is read for at most
    STREAM_WINDOW_S or STREAM_MESSAGES messages, then cancelled (which is not an error)."""
    deserialize = rpc.response_class.FromString
    if not rpc.server_streaming:
        unary = (channel.unary_unary if not rpc.client_streaming else channel.stream_unary)(
            rpc.path, request_serializer=_serialize, response_deserializer=deserialize)
        try:
            unary(request if not rpc.client_streaming else iter([request]),
                  metadata=metadata, timeout=CALL_TIMEOUT_S)
        except grpc.RpcError as error:
            return error
        return None
    streaming = (channel.unary_stream if not rpc.client_streaming else channel.stream_stream)(
        rpc.path, request_serializer=_serialize, response_deserializer=deserialize)
    stream = streaming(request if not rpc.client_streaming else iter([request]),
                       metadata=metadata, timeout=CALL_TIMEOUT_S)
    cancelled = threading.Event()

    def cancel() -> None:
        cancelled.set()
        stream.cancel()

    timer = threading.Timer(STREAM_WINDOW_S, cancel)
    timer.start()
    try:
        for count, _ in enumerate(stream, start=1):
            if count >= STREAM_MESSAGES:
                cancel()
                break
    except grpc.RpcError as error:
        if error.code() is grpc.StatusCode.CANCELLED and cancelled.is_set():
            return None
        return error
    finally:
        timer.cancel()
    return None


def request_strings(message: Message) -> list[str]:
    """Every string value anywhere in `message`."""
    found: list[str] = []
    for descriptor, value in message.ListFields():
        values = value if descriptor.is_repeated else [value]
        for item in values:
            if isinstance(item, str):
                found.append(item)
            elif isinstance(item, Message):
                found += request_strings(item)
    return found


def problem_with(error: grpc.RpcError | None, request: Message) -> str | None:
    """What is wrong with how the call ended, or None when it ended well."""
    if error is None:
        return None
    code = error.code()
    message = error.details() or ""
    if code not in CLIENT_ERRORS:
        return f"{code.name}: {message}"
    try:
        status = rpc_status.from_call(error)
    except ValueError as mismatch:  # e.g. trailers over the client's limit: status lost
        return f"{code.name} whose google.rpc.Status was lost ({mismatch}): {message[:300]}"
    if status is None:
        return f"{code.name} without a google.rpc.Status: {message}"
    details = status_details(error)
    info = details.get("ErrorInfo")
    if info is None or info.domain != "financehub.sa" or not info.reason:
        return f"{code.name} without a financehub.sa ErrorInfo: {message}"
    if code is grpc.StatusCode.INVALID_ARGUMENT and "BadRequest" not in details:
        return f"INVALID_ARGUMENT without BadRequest: {message}"
    text = "\n".join([message, *(str(detail) for detail in details.values())])
    leaked = leaked_marker(text, "\n".join(request_strings(request)))
    if leaked is not None:
        return f"{code.name} leaks {leaked!r}: {text[:2000]}"
    return None


def server_errors(process: ServerProcess, limit: int = 5) -> str:
    """The last few errors the server logged (with their tracebacks), for the failure."""
    errors = [record for record in process.log_lines() if record.get("level") == "ERROR"]
    return "".join(f"\n\nserver log: {record.get('message')} (request "
                   f"{record.get('request_id')})\n{str(record.get('exc_info', ''))[-1500:]}"
                   for record in errors[-limit:])


def describe(request: Message, limit: int = 600) -> str:
    shown = str(request)
    return shown if len(shown) <= limit else f"{shown[:limit]}... ({request.ByteSize()} bytes)"


# --- the fuzzing -------------------------------------------------------------------------------

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_RPC,
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),  # findings are collected, not shrunk
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


def fuzz_rpc(target: FuzzTarget, rpc: Rpc, findings: Findings) -> None:
    """Call `rpc` EXAMPLES_PER_RPC times (fewer when its requests have fewer distinct
    values) with generated requests, as the admin or (one time in four) a plain user."""
    findings.calls.setdefault(rpc.name, 0)

    @FUZZ_SETTINGS
    @given(request=requests_for(rpc.method),
           as_admin=st.sampled_from((True, True, True, False)))
    def one_call(request: Message, as_admin: bool) -> None:
        if rpc.name in OWN_SESSION_RPCS:
            caller = _signed_in(target.channel, target.logout_account)
        else:
            caller = target.admin if as_admin else target.user
        # A fresh client address per call: per-address login throttling never builds up.
        metadata = (*caller, ("x-forwarded-for", unique_address()))
        error = call(target.channel, rpc, request, metadata)
        findings.calls[rpc.name] += 1
        findings.request_bytes += request.ByteSize()
        problem = problem_with(error, request)
        if problem is not None and rpc.name not in findings.broken:
            role = "admin" if as_admin else "user"
            findings.broken[rpc.name] = f"{problem}\n  as {role}, request: {describe(request)}"

    one_call()


def warm_up(target: FuzzTarget) -> None:
    """Every RPC with an empty request, then with its top-level strings 100 KB long, a few
    times: pools, caches, gRPC buffers and the allocator reach their working size before
    the memory baseline is read."""
    for _ in range(WARM_UP_ROUNDS):
        for rpc in RPCS:
            if rpc.name in OWN_SESSION_RPCS:
                continue
            for request in (rpc.request_class(), _flooded(rpc, "A", 100_000)):
                if request is not None:
                    call(target.channel, rpc, request, _as_admin(target))


def _as_admin(target: FuzzTarget) -> tuple[tuple[str, str], ...]:
    return (*target.admin, ("x-forwarded-for", unique_address()))


def flood(target: FuzzTarget, findings: Findings, *, rounds: int) -> None:
    """Every RPC whose request has a string field, with each of its top-level string
    fields about FLOOD_STRING_BYTES long (one item of a repeated one), `rounds` times:
    the large requests the memory probe needs, each checked like a fuzzed one."""
    for round_ in range(rounds):
        unit = FLOOD_UNITS[round_ % len(FLOOD_UNITS)]
        for rpc in RPCS:
            request = _flooded(rpc, unit)
            if request is None or rpc.name in OWN_SESSION_RPCS:
                continue
            error = call(target.channel, rpc, request, _as_admin(target))
            findings.flood_calls += 1
            findings.flood_bytes += request.ByteSize()
            problem = problem_with(error, request)
            name = f"{rpc.name} (flooded)"
            if problem is not None and name not in findings.broken:
                findings.broken[name] = f"{problem}\n  request: {describe(request)}"


def _flooded(rpc: Rpc, unit: str, size: int = FLOOD_STRING_BYTES) -> Message | None:
    strings = [field for field in rpc.method.input_type.fields
               if field.type == field.TYPE_STRING]
    if not strings:
        return None
    each = min(size, FLOOD_REQUEST_BYTES // len(strings))
    value = unit * (each // len(unit.encode()))
    return build_message(rpc.method.input_type, {
        field.name: [value] if field.is_repeated else value for field in strings})


def test_every_rpc_answers_fuzzed_requests_with_ok_or_a_clean_client_error(
        fuzz_target: FuzzTarget, resilience: Recorder) -> None:
    assert len(RPCS) >= 71, "the fuzzer must cover every RPC of the contract"
    assert {rpc.name for rpc in RPCS if rpc.server_streaming} >= {
        "QuoteService.StreamQuotes", "AIService.Chat", "BacktestService.RunBacktest",
        "TradingService.StreamOrderUpdates"}

    findings = Findings()
    warm_up(fuzz_target)
    baseline_mib = resident_mib(fuzz_target.process)
    started = time.monotonic()
    for rpc in RPCS:
        fuzz_rpc(fuzz_target, rpc, findings)
    grown_mib = resident_mib(fuzz_target.process) - baseline_mib
    flood(fuzz_target, findings, rounds=FLOOD_ROUNDS)
    flood_grown_mib = resident_mib(fuzz_target.process) - baseline_mib
    elapsed = time.monotonic() - started
    sent_mib = findings.request_bytes / 2**20
    flood_mib = findings.flood_bytes / 2**20

    resilience(
        area="Fuzzing",
        probe="Every RPC with requests generated from its descriptor",
        tried=(f"all {len(RPCS)} RPCs (the 4 server streams read briefly, then cancelled) "
               f"called with up to {EXAMPLES_PER_RPC} requests each ({sent_mib:.1f} MiB in "
               "all), drawn by Hypothesis from the request descriptors: huge (to 100 KB) and "
               "odd Unicode strings (NUL, RTL marks, combining marks, emoji, Arabic), SQL "
               "fragments, integer extremes, NaN and infinities, unknown enum numbers, "
               "out-of-range timestamps, dates and decimals, repeated fields of up to 5,000 "
               "items, mixed with real symbols and dates; as an admin and as a plain user, "
               "against `python -m server` with the LLM stub"),
        cases=findings.total,
        held=("every call ended OK or with a client error (INVALID_ARGUMENT, NOT_FOUND, "
              "FAILED_PRECONDITION, ...) carrying a google.rpc.Status with a financehub.sa "
              "ErrorInfo (and a BadRequest for INVALID_ARGUMENT); none INTERNAL, UNKNOWN, "
              "UNAVAILABLE or a hang; no stack trace or SQL text in any message or detail"),
    )
    resilience(
        area="Fuzzing",
        probe="Megabyte strings in every text field",
        tried=(f"{findings.flood_calls} calls: every RPC that takes text, with each of its "
               "top-level string fields (one item of a repeated one) about 1 MB long, ASCII "
               "and Arabic, after the fuzzing "
               f"({flood_mib:.0f} MiB in all, each request under the 4 MiB limit)"),
        cases=findings.flood_calls,
        held=("the same as for the fuzzed requests: OK or a clean client error; errors that "
              "echo the megabyte value stay small enough (clipped) for the client to read"),
    )
    resilience(
        area="Fuzzing",
        probe="Server memory and health under the fuzzer",
        tried=("the server's resident memory (VmRSS) read after a warm-up (every RPC with an "
               "empty request and with 100 KB strings, three times) and again after the "
               f"{findings.total} fuzzed calls ({sent_mib:.1f} MiB of requests) and after the "
               "megabyte flood; the process and its health checked at the end"),
        cases=findings.total,
        held=(f"memory grew by less than {MEMORY_GROWTH_LIMIT_MIB} MiB over the fuzzing and "
              f"by less than {FLOOD_GROWTH_LIMIT_MIB} MiB once the megabyte flood was over; "
              "the process kept running and reported SERVING"),
    )
    print(f"\nfuzzed {findings.total} calls ({sent_mib:.1f} MiB), flooded "
          f"{findings.flood_calls} ({flood_mib:.0f} MiB) in {elapsed:.1f} s; "
          f"RSS {baseline_mib:.0f} MiB, grew {grown_mib:+.1f} MiB, "
          f"{flood_grown_mib:+.1f} MiB after the flood")

    assert findings.total > 40 * len(RPCS)  # most RPCs took their full share of examples
    assert set(findings.calls) == {rpc.name for rpc in RPCS}
    assert not findings.broken, "RPCs that broke under fuzzing:\n" + "\n".join(
        f"- {name}: {problem}" for name, problem in findings.broken.items()
    ) + server_errors(fuzz_target.process)
    assert fuzz_target.process.process.poll() is None, fuzz_target.process.stderr()[-5000:]
    health = health_pb2_grpc.HealthStub(fuzz_target.channel).Check(
        health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert grown_mib < MEMORY_GROWTH_LIMIT_MIB, (baseline_mib, grown_mib)
    assert flood_grown_mib < FLOOD_GROWTH_LIMIT_MIB, (baseline_mib, flood_grown_mib)
