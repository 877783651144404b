"""Every route of the JSON gateway, fuzzed through the real Envoy binary in front of the
real gRPC server (the session's in-process server on the seeded test database).

The routes come from the contract's descriptors (each method's google.api.http option),
checked against docs/openapi.json so that none is missed. Each route gets the same fixed
number of Hypothesis-generated HTTP requests: adversarial path parameters (odd and huge
Unicode, percent-encoded NUL, slashes, dots, invalid escapes), query parameters (unknown,
wrongly typed, huge, repeated), JSON bodies (malformed, wrong JSON types, huge numbers,
deep nesting, unknown fields, 100 KB strings, enum names that do not exist), as a signed-in
admin, without credentials or with a garbage token.

Every answer must be 2xx or 4xx; a 4xx JSON answer is a google.rpc.Status (code, message,
details) whose ErrorInfo, when the server wrote it, is in the financehub.sa domain; no
answer carries a stack trace or SQL/driver text. Afterwards Envoy is ready and serves a
plain GET /v1/tickers/2222. Hypothesis runs derandomized, without shrinking: the number of
requests is the same on every run, and a broken answer does not stop the run; the test
fails at the end listing the first broken request of each route that had one.
"""

import http.client
import json
import re
import string
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.api import annotations_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.json_format import Error as JsonFormatError
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from server.config import REPO_ROOT
from server.domain.access import Role
from tests.e2e.conftest import RunningEnvoy, running_envoy
from tests.resilience.conftest import Recorder
from tests.resilience.fuzz_messages import (
    INT64_MAX,
    Rpc,
    adversarial_strings,
    every_rpc,
    huge_strings,
    requests_for,
    scalar_values,
    valid_looking_strings,
)
from tests.support.identity import Account, create_account, login, unique_address
from tests.support.internals import leaked_marker
from tests.support.services import RunningServer

pytestmark = pytest.mark.e2e

EXAMPLES_PER_ROUTE = 30
CALL_TIMEOUT_S = 20.0
"""A unary call without an answer after this long counts as a hang."""
STREAM_WINDOW_S = 0.3
"""How long the answer of a server-streaming route is read before the connection closes."""

ENVOY_ENV = {
    # The fuzzing sends a couple of thousand requests in seconds: Envoy's listener-wide
    # token bucket (a probe of its own in test_security_limits) would turn most into 429s.
    "FINANCEHUB_ENVOY_RATE_LIMIT_BURST": "1000000",
    "FINANCEHUB_ENVOY_RATE_LIMIT_PER_SECOND": "1000000",
    "FINANCEHUB_ENVOY_ROUTE_TIMEOUT_SECONDS": "30",
}

# Text that must never reach a caller: stack traces and driver/SQL text. A marker the request
# itself carried (the fuzzer sends SQL fragments, which may be echoed back as the thing not
# found) is not held against that answer.

SERVER_ERROR_STATUSES = range(500, 600)
HEAD_LIMIT_BYTES = 60 * 1024
"""Envoy's default max_request_headers_kb: a longer request head is refused with 431."""
HEAD_TOO_LARGE = 431

# Calls that would end the fuzzer's own session get a session of their own (Logout revokes
# the token it is called with); see tests/resilience/test_fuzzing.py for the others.
OWN_SESSION_PATHS = frozenset({"/v1/auth:logout"})

# --- the routes --------------------------------------------------------------------------------

_PARAMETER = re.compile(r"\{([^}=]+)(?:=[^}]*)?\}")


@dataclass(frozen=True)
class Route:
    rpc: Rpc
    verb: str
    template: str
    body: str
    """The google.api.http body: "*" (the whole request), a field name, or "" (none)."""

    @property
    def name(self) -> str:
        return f"{self.verb} {self.template}"

    @property
    def path_parameters(self) -> tuple[str, ...]:
        return tuple(_PARAMETER.findall(self.template))

    @property
    def streaming(self) -> bool:
        return self.rpc.server_streaming


def every_route() -> tuple[Route, ...]:
    """Every HTTP binding of every method of the contract, additional bindings included."""
    routes: list[Route] = []
    for rpc in every_rpc():
        options = rpc.method.GetOptions()
        if not options.HasExtension(annotations_pb2.http):
            continue
        rule = options.Extensions[annotations_pb2.http]
        for binding in (rule, *rule.additional_bindings):
            verb = binding.WhichOneof("pattern")
            assert verb is not None and verb != "custom", (rpc.name, binding)
            routes.append(Route(rpc, verb.upper(), getattr(binding, verb), binding.body))
    return tuple(routes)


ROUTES = every_route()


def openapi_routes() -> set[str]:
    document = json.loads((REPO_ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    return {f"{verb.upper()} {path}" for path, operations in document["paths"].items()
            for verb in operations}


def query_fields(route: Route) -> list[tuple[str, FieldDescriptor]]:
    """The request fields a query string may set: every scalar, enum or well-known-type
    leaf not bound by the path or the body, by its JSON name (nested ones dotted)."""
    if route.body == "*":
        return []
    bound = set(route.path_parameters) | ({route.body} if route.body else set())
    return [(name, leaf) for name, leaf in _leaves(route.rpc.method.input_type, "", 0)
            if name.split(".")[0] not in bound
            and leaf.name not in bound]


def _leaves(descriptor: Descriptor, prefix: str,
            depth: int) -> Iterator[tuple[str, FieldDescriptor]]:
    for item in descriptor.fields:
        name = prefix + item.json_name
        nested = item.message_type
        if (nested is None or nested.full_name.startswith("google.protobuf.")
                or depth >= 2):
            yield name, item
        elif not nested.GetOptions().map_entry:
            yield from _leaves(nested, name + ".", depth + 1)


# --- adversarial HTTP pieces -------------------------------------------------------------------

RAW_SEGMENTS: tuple[str, ...] = (
    "%00", "2222%00", "%002222", "%2F", "2222%2F..%2F..", "%2F%2F", "..", ".", "%2e%2e",
    "%2E", "..%2F..%2Fetc%2Fpasswd", "%252F", "%25", "%ZZ", "%", "%G0", "%C0%AE", "%C0%AF",
    "%FF%FE", "%ED%A0%80", "%E2%80%AE2222", "a%20b", "+", "%2B", "~", ";x=1", ",", "*", "$",
    "!", "'", "%0D%0AX-Injected:%201", "%09", "2222:cancel", "2222:", ":", "%3A",
    "2222%3Fx=1", "2222%23frag", "%7B%7D", "%5B%5D", "@", "%40",
)
"""Path segments sent as they are, already percent-encoded (or broken on purpose)."""


def _encoded(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def _quoted(strategy: SearchStrategy[str]) -> SearchStrategy[str]:
    return strategy.map(lambda text: urllib.parse.quote(text, safe=""))


def path_values(parameter: str) -> SearchStrategy[str]:
    """A path segment for `parameter`: valid-looking, adversarial (percent-encoded) or raw."""
    raw = st.sampled_from(RAW_SEGMENTS)
    return st.one_of(
        _quoted(valid_looking_strings(parameter)),
        _quoted(adversarial_strings()),
        raw,
        st.builds(lambda valid, suffix: valid + suffix,
                  _quoted(valid_looking_strings(parameter)), raw),
    )


WRONG_QUERY_VALUES: tuple[str, ...] = (
    "", "abc", "-1", "0", "1.5", "1e3", "1e400", "0x10", "99999999999999999999999999",
    str(INT64_MAX + 1), "-9223372036854775809", "NaN", "Infinity", "true", "null", "[]",
    "{}", "MARKET_MOON", "NOT_AN_ENUM_VALUE", "market_main", "٢٢", "2222,1120",
    "2024-13-45", "2024-01-01T00:00:00Z", "9999-99-99T99:99:99Z", "0001-01-01T00:00:00Z",
    "1s", "-1s",
)


def _query_value(item: FieldDescriptor) -> SearchStrategy[str]:
    """A query value for `item`: typed (enum names known and unknown, numbers), wrong, or
    adversarial text."""
    wrong = st.sampled_from(WRONG_QUERY_VALUES)
    if item.message_type is not None:  # a well-known type: its JSON string form
        return st.one_of(wrong, adversarial_strings())
    if item.type == FieldDescriptor.TYPE_ENUM:
        names = [value.name for value in item.enum_type.values]
        typed: SearchStrategy[str] = st.one_of(
            st.sampled_from(names),
            st.sampled_from(names).map(lambda name: name + "_MOON"),
            st.sampled_from(names).map(str.lower),
            scalar_values(item).map(str),
        )
    elif item.type == FieldDescriptor.TYPE_STRING:
        typed = valid_looking_strings(item.name)
    else:
        typed = scalar_values(item).map(lambda value: json.dumps(value)
                                        if isinstance(value, bool) else str(value))
    return st.one_of(typed, wrong, adversarial_strings())


def query_strings(route: Route) -> SearchStrategy[str]:
    """A query string of known fields (sometimes repeated) and unknown ones, with values
    typed, wrong or adversarial; names and values percent-encoded, or raw escapes."""
    known = query_fields(route)
    pair_strategies: list[SearchStrategy[tuple[str, str]]] = [
        st.tuples(st.sampled_from(["colour", "page_size_", "__proto__", "a[b]", "",
                                   "startDate.foo", "symbol.x", "%00", "$filter",
                                   "fields", "alt", "callback"]), st.sampled_from(
            WRONG_QUERY_VALUES)),
        st.tuples(_quoted(adversarial_strings()), _quoted(odd_short())),
    ]
    if known:
        pair_strategies.append(st.one_of(*(
            st.tuples(st.just(name), _quoted(_query_value(item))) for name, item in known)))
    pairs = st.lists(st.one_of(*pair_strategies), max_size=6)
    small_pairs = [st.tuples(st.sampled_from([name for name, _ in known] or ["colour"]),
                             st.sampled_from(WRONG_QUERY_VALUES).map(_encoded))]
    repeated = st.builds(lambda pair, count: [pair] * count,
                         st.one_of(*small_pairs), st.sampled_from([2, 3, 50]))
    raw = st.sampled_from(["%00=1", "pageSize=%00", "=", "&&&", "a=%ZZ", "?", "pageSize",
                           "symbol=2222&symbol=1120", "x=" + "%41" * 20_000])
    return st.one_of(
        st.just(""),
        st.one_of(pairs, repeated).map(lambda items: "&".join(f"{k}={v}" for k, v in items)),
        raw,
    )


def odd_short() -> SearchStrategy[str]:
    return st.sampled_from(["", "x", "\x00", "٢", "\U0001f4c8", "' OR 1=1 --", "9" * 40])


# --- JSON bodies -------------------------------------------------------------------------------

MALFORMED_BODIES: tuple[bytes, ...] = (
    b"", b"{", b"}", b"{\"", b"{\"symbol\":", b"{\"symbol\": \"2222\",}", b"{'symbol': '2222'}",
    b"[]", b"[{}]", b"null", b"true", b"0", b"\"2222\"", b"NaN", b"{\"a\":NaN}",
    b"{\"a\":Infinity}", b"\xff\xfe{\x00}\x00", b"\xef\xbb\xbf{}", b"\x00", b"{\"\\ud800\":1}",
    b"{\"symbol\":\"\\ud800\"}", b"{\"symbol\":\"\\u0000\"}", b"{} {}", b"{}garbage",
    b"{\"a\":1,\"a\":2}", b"/* comment */ {}", b"{\"pageSize\": 01}", b"{\"x\": 1e999999}",
    b"[" * 10_000 + b"]" * 10_000, b"{\"a\":" * 5_000 + b"1" + b"}" * 5_000,
    b"[" * 100_000, b"{\"a\":\"" + b"\\" * 1001 + b"\"}",
)

WRONG_JSON_VALUES: tuple[str, ...] = (
    "null", "true", "false", "0", "-1", "1.5", "-0", "1e400", "-1e400", "1e-400",
    "123456789012345678901234567890", "-9223372036854775809", "18446744073709551616",
    "\"\"", "\"abc\"", "\"NaN\"", "\"Infinity\"", "\"1e400\"", "\"99999999999999999999999\"",
    "[]", "[1,2,3]", "[null]", "{}", "{\"value\":{}}", "{\"seconds\":\"x\"}",
    "\"NOT_AN_ENUM_VALUE\"", "\"MARKET_MOON\"", "\"2024-13-45T99:99:99Z\"",
)
"""Raw JSON put in place of a field's value: wrong types, huge numbers, odd shapes."""


def _nested(depth: int) -> str:
    return "{\"a\":" * depth + "1" + "}" * depth if depth % 2 else "[" * depth + "]" * depth


def _proto_json(message: Message) -> dict[str, Any]:
    """`message` as proto3 JSON (camelCase names); fields JSON cannot print (timestamps out
    of range, for one) are left out one by one."""
    try:
        return MessageToDict(message)
    except (JsonFormatError, ValueError, TypeError):
        kept = type(message)()
        for item, value in message.ListFields():
            probe = type(message)()
            if item.is_repeated:
                getattr(probe, item.name).MergeFrom(value)
            elif item.message_type is not None:
                getattr(probe, item.name).CopyFrom(value)
            else:
                setattr(probe, item.name, value)
            try:
                MessageToDict(probe)
            except (JsonFormatError, ValueError, TypeError):
                continue
            kept.MergeFrom(probe)
        return MessageToDict(kept)


@dataclass(frozen=True)
class Mutation:
    """A change to a JSON object: `field` set to the raw JSON `value`."""

    field: str
    value: str


def _mutations(descriptor: Descriptor) -> SearchStrategy[Mutation]:
    names = [item.json_name for item in descriptor.fields] or ["symbol"]
    enums = [item.json_name for item in descriptor.fields
             if item.type == FieldDescriptor.TYPE_ENUM]
    strings = [item.json_name for item in descriptor.fields
               if item.type == FieldDescriptor.TYPE_STRING]
    unknown = st.sampled_from(["unknownField", "__proto__", "", "constructor", "symbol ",
                               "SYMBOL", "page_size", "@type", "\u0000", "٢"])
    choices: list[SearchStrategy[Mutation]] = [
        st.builds(Mutation, st.sampled_from(names), st.sampled_from(WRONG_JSON_VALUES)),
        st.builds(Mutation, unknown, st.sampled_from(WRONG_JSON_VALUES)),
        st.builds(Mutation, st.sampled_from(names),
                  st.sampled_from([64, 101, 1_000, 20_001]).map(_nested)),
        st.builds(Mutation, st.sampled_from(names), huge_strings().map(json.dumps)),
    ]
    if enums:
        choices.append(st.builds(Mutation, st.sampled_from(enums), st.sampled_from(
            ["\"NOT_AN_ENUM_VALUE\"", "\"\"", "\"market_main\"", "2147483648", "-1", "999"])))
    if strings:
        choices.append(st.builds(Mutation, st.sampled_from(strings),
                                 adversarial_strings().map(json.dumps)))
    return st.one_of(choices)


def _with_mutations(fields: dict[str, Any], mutations: list[Mutation]) -> bytes:
    """`fields` as JSON text with each mutation's raw JSON in place (so that nesting and
    numbers beyond what Python's json would write survive)."""
    placeholders: dict[str, str] = {}
    merged = dict(fields)
    for index, mutation in enumerate(mutations):
        marker = f"@@raw{index}@@"
        placeholders[json.dumps(marker)] = mutation.value
        merged[mutation.field] = marker
    text = json.dumps(merged, ensure_ascii=False)
    for marker, raw in placeholders.items():
        text = text.replace(marker, raw)
    return text.encode("utf-8", "surrogatepass")


def bodies(route: Route) -> SearchStrategy[bytes | None]:
    """A request body: none for a route without one (mostly), else a generated request as
    proto3 JSON, mutated or not, or malformed JSON."""
    if not route.body:
        return st.one_of(st.just(None), st.sampled_from([b"{}", b"{", b"{\"symbol\":1}"]))
    descriptor = route.rpc.method.input_type
    if route.body != "*":
        descriptor = descriptor.fields_by_name[route.body].message_type
    requests = requests_for(route.rpc.method).map(_proto_json)
    mutated = st.builds(_with_mutations, requests, st.lists(_mutations(descriptor),
                                                            min_size=1, max_size=3))
    return st.one_of(
        requests.map(lambda fields: json.dumps(fields).encode()),
        mutated,
        st.sampled_from(MALFORMED_BODIES),
    )


CONTENT_TYPES = ("application/json", "application/json", "application/json",
                 "application/json; charset=utf-8", "text/plain", None,
                 "application/x-www-form-urlencoded", "application/json; charset=utf-16")
CALLERS = ("admin", "admin", "admin", "admin", "anonymous", "garbage")


_SENT_AS_IS = "".join(c for c in string.punctuation if c != "#")
"""What stays as it is in a request target; anything else (non-ASCII text, controls,
spaces) left unencoded by a strategy is percent-encoded at the end."""


@dataclass(frozen=True)
class Case:
    route: Route
    path: str
    body: bytes | None
    content_type: str | None
    caller: str


def cases(route: Route) -> SearchStrategy[Case]:
    def build(values: tuple[str, ...], query: str, body: bytes | None,
              content_type: str | None, caller: str) -> Case:
        path = route.template
        for name, value in zip(route.path_parameters, values, strict=True):
            start = path.index("{" + name)
            path = path[:start] + value + path[path.index("}", start) + 1:]
        target = path + (f"?{query}" if query else "")
        return Case(route, urllib.parse.quote(target, safe=_SENT_AS_IS), body, content_type,
                    caller)

    return st.builds(build, st.tuples(*(path_values(name) for name in route.path_parameters)),
                     query_strings(route), bodies(route), st.sampled_from(CONTENT_TYPES),
                     st.sampled_from(CALLERS))


# --- calling Envoy -----------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    open_stream: bool = False
    """A streaming route still sending when its window ended (or before any header)."""


def send(envoy: RunningEnvoy, case: Case, authorization: str | None) -> Answer:
    """One request through Envoy on a connection of its own."""
    host, port = envoy.base_url.removeprefix("http://").rsplit(":", 1)
    timeout = STREAM_WINDOW_S * 4 if case.route.streaming else CALL_TIMEOUT_S
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    headers = {"x-forwarded-for": unique_address()}
    if authorization is not None:
        headers["authorization"] = authorization
    if case.content_type is not None:
        headers["content-type"] = case.content_type
    try:
        connection.request(case.route.verb, case.path, body=case.body, headers=headers)
        try:
            response = connection.getresponse()
        except TimeoutError:
            if case.route.streaming:
                return Answer(0, {}, b"", open_stream=True)
            raise
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, b"")
        if case.route.streaming and response.status == 200:
            connection.sock.settimeout(STREAM_WINDOW_S)  # type: ignore[union-attr]
            try:
                while chunk := response.read1(65_536):
                    answer.body += chunk
            except TimeoutError:
                answer.open_stream = True
        else:
            answer.body = response.read()
        return answer
    finally:
        connection.close()


def sent_text(case: Case) -> str:
    """Everything the request said, decoded, lowercased (to excuse echoed markers)."""
    body = (case.body or b"").decode("utf-8", "replace")
    return (urllib.parse.unquote(case.path) + "\n" + body).lower()


def problem_with(answer: Answer, case: Case) -> str | None:
    """What is wrong with this answer, or None."""
    if answer.open_stream and answer.status in (0, 200):
        return None
    if answer.status in SERVER_ERROR_STATUSES or not 200 <= answer.status < 500:
        return f"HTTP {answer.status}: {answer.body[:500]!r}"
    text = answer.body.decode("utf-8", "replace")
    sent = sent_text(case)
    leaked = leaked_marker(text, sent, error=answer.status >= 400)
    if leaked is not None:
        return f"HTTP {answer.status} leaks {leaked!r}: {text[:1500]}"
    if answer.status >= 400 and answer.headers.get("content-type", "").startswith(
            "application/json"):
        return _status_problem(answer, text)
    return None


def _status_problem(answer: Answer, text: str) -> str | None:
    """What is wrong with a 4xx JSON body as a google.rpc.Status, or None."""
    try:
        status = json.loads(text)
    except ValueError:
        return f"HTTP {answer.status} JSON that does not parse: {text[:500]}"
    if not isinstance(status, dict) or not isinstance(status.get("code"), int) \
            or not isinstance(status.get("message"), str):
        return f"HTTP {answer.status} JSON that is no google.rpc.Status: {text[:500]}"
    details = status.get("details", [])
    if not isinstance(details, list) or not all(isinstance(d, dict) for d in details):
        return f"HTTP {answer.status} google.rpc.Status with broken details: {text[:500]}"
    from_server = "grpc-status" in answer.headers or bool(details)
    if from_server:
        infos = [d for d in details
                 if str(d.get("@type", "")).endswith("google.rpc.ErrorInfo")]
        if not infos or infos[0].get("domain") != "financehub.sa" \
                or not infos[0].get("reason"):
            return f"HTTP {answer.status} without a financehub.sa ErrorInfo: {text[:500]}"
    return None


# --- the fuzzing -------------------------------------------------------------------------------

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_ROUTE,
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),  # findings are collected, not shrunk
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


@dataclass
class Findings:
    calls: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@dataclass
class Callers:
    admin_token: str
    session_of_its_own: Callable[[], str]
    """A fresh access token of another admin, for calls that end their session."""


def describe(case: Case, limit: int = 400) -> str:
    body = case.body or b""
    shown = body[:limit] + (f"... ({len(body)} bytes)".encode() if len(body) > limit else b"")
    path = case.path if len(case.path) <= limit else f"{case.path[:limit]}... " \
        f"({len(case.path)} chars)"
    return (f"{case.route.verb} {path} as {case.caller}, content-type {case.content_type}, "
            f"body {shown!r}")


def fuzz_route(envoy: RunningEnvoy, route: Route, callers: Callers, findings: Findings) -> None:
    findings.calls.setdefault(route.name, 0)

    @FUZZ_SETTINGS
    @given(case=cases(route))
    def one_call(case: Case) -> None:
        authorization: str | None = None
        if case.caller == "admin":
            token = (callers.session_of_its_own() if route.template in OWN_SESSION_PATHS
                     else callers.admin_token)
            authorization = f"Bearer {token}"
        elif case.caller == "garbage":
            authorization = "Bearer not.a.token"
        try:
            answer = send(envoy, case, authorization)
        except (ConnectionResetError, BrokenPipeError) as error:
            # Envoy answers 431 and closes as soon as the request head passes its limit;
            # a client still sending the rest of a huge head may see the reset first.
            status = HEAD_TOO_LARGE if len(case.path) > HEAD_LIMIT_BYTES else -1
            answer = Answer(status, {}, repr(error).encode())
        except (OSError, http.client.HTTPException) as error:
            answer = Answer(-1, {}, repr(error).encode())
        findings.calls[route.name] += 1
        findings.statuses[answer.status] = findings.statuses.get(answer.status, 0) + 1
        problem = problem_with(answer, case)
        if problem is not None and route.name not in findings.broken:
            findings.broken[route.name] = f"{problem}\n  request: {describe(case)}"

    one_call()


def _bearer_login(channel: grpc.Channel, account: Account) -> str:
    return login(channel, account, address=unique_address()).tokens.access_token


def test_every_json_route_answers_fuzzed_requests_with_a_clean_client_error(
        server: RunningServer, channel: grpc.Channel, tmp_path: Path,
        resilience: Recorder) -> None:
    assert {route.name for route in ROUTES} == openapi_routes(), \
        "the contract's google.api.http routes and docs/openapi.json disagree"
    admin = create_account(server, Role.ADMIN, label="gateway-fuzz-admin")
    logout_admin = create_account(server, Role.ADMIN, label="gateway-fuzz-logout")
    callers = Callers(admin_token=_bearer_login(channel, admin),
                      session_of_its_own=lambda: _bearer_login(channel, logout_admin))
    findings = Findings()
    with running_envoy(server.app.port, tmp_path, ENVOY_ENV) as envoy:
        for route in ROUTES:
            fuzz_route(envoy, route, callers, findings)

        # Percent-encoded bytes that are no UTF-8 reach the server as a broken string field:
        # refused as INVALID_ARGUMENT (it was UNKNOWN, HTTP 500, with the DecodeError's text).
        undecodable = envoy.request("/v1/tickers/%C0%AF")
        ready = urllib_status(envoy.admin_url + "/ready")
        ticker = envoy.request("/v1/tickers/2222")
        assert envoy.process.poll() is None, "Envoy exited during the fuzzing"

    assert not findings.broken, (
        f"{len(findings.broken)} of {len(ROUTES)} routes answered badly "
        f"({findings.total} requests; statuses {sorted(findings.statuses.items())}):\n\n"
        + "\n\n".join(f"{name}: {problem}" for name, problem in findings.broken.items()))
    assert undecodable.status == 400, undecodable.body
    assert undecodable.json()["details"][0]["reason"] == "MALFORMED_REQUEST", undecodable.body
    assert ready == 200, f"Envoy's /ready answered {ready} after the fuzzing"
    assert ticker.status == 200, ticker.body
    assert ticker.json()["ticker"]["symbol"] == "2222"
    assert set(findings.calls) == {route.name for route in ROUTES}
    assert all(count > 0 for count in findings.calls.values()), findings.calls

    resilience(
        area="Fuzzing",
        probe="Every JSON route through Envoy",
        tried=(f"{len(ROUTES)} HTTP routes of the JSON gateway (every google.api.http "
               f"binding of the contract, checked against docs/openapi.json), "
               f"{EXAMPLES_PER_ROUTE} Hypothesis-generated requests each through the real "
               "Envoy binary: path parameters with odd and 100 KB Unicode, percent-encoded "
               "NUL, slashes and dots, broken escapes; query strings with unknown, repeated, "
               "wrongly typed and huge parameters and unknown enum names; JSON bodies "
               "generated from the request descriptors then mutated (wrong JSON types, "
               "numbers past int64 and double, nesting 20,000 deep, unknown fields, 100 KB "
               "strings, enum names that do not exist) or malformed outright; odd "
               "content types; as an admin, without credentials or with a garbage token"),
        cases=findings.total,
        held=("every answer 2xx or 4xx, none 5xx; every 4xx JSON answer a google.rpc.Status "
              "(code, message, details) whose ErrorInfo, when the server wrote it, is in "
              "the financehub.sa domain; no stack trace or driver/SQL text in any answer; "
              "Envoy still ready and serving GET /v1/tickers/2222 afterwards"),
    )
    print(f"gateway fuzzing: {findings.total} requests, statuses "
          f"{sorted(findings.statuses.items())}")


def urllib_status(url: str) -> int:
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port,
                                            timeout=5)
    try:
        connection.request("GET", parsed.path)
        return connection.getresponse().status
    finally:
        connection.close()
