"""Reference docs generated from `proto/`; `--check` fails when docs/ is stale.

Writes, from the `.proto` files and their comments:

- `docs/reference/api.md`: every service and RPC (comment, request and response, HTTP
  mapping, permission, rate-limit cost, cache category, streaming), every message with
  its fields and every enum with its values;
- `docs/openapi.json`: OpenAPI 3.1 for the JSON API Envoy transcodes from the
  `google.api.http` annotations (proto3 JSON mapping, google.rpc.Status errors, bearer JWT
  and `x-api-key` security per RPC from its `method_policy`).

The protos are compiled with grpcio-tools' protoc and source info (the committed
descriptor set has none), so the output depends on `proto/` and the pinned Google protos
only, and is deterministic: `--check` compares byte for byte.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import google.api
import grpc_tools
from google.api import annotations_pb2, field_behavior_pb2
from google.protobuf import descriptor_pb2
from grpc_tools import protoc

from financehub.options.v1 import options_pb2
from server.domain.access import ROLE_PERMISSIONS, Role

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = REPO_ROOT / "proto"
DOCS_ROOT = REPO_ROOT / "docs"
API_MARKDOWN = "reference/api.md"
OPENAPI_JSON = "openapi.json"
# Directories under docs/ this tool owns whole (a file there it did not write is stale).
OWNED_DIRECTORIES = ("reference",)
OWN_PACKAGE = "financehub."
# Compiled too, so the error answers can be described.
ERROR_PROTOS = ("google/rpc/status.proto", "google/rpc/error_details.proto")
# The details the server puts in a google.rpc.Status (server/interceptors/error_mapping.py).
ERROR_DETAIL_TYPES = ("google.rpc.ErrorInfo", "google.rpc.BadRequest",
                      "google.rpc.ResourceInfo", "google.rpc.RetryInfo",
                      "google.rpc.QuotaFailure")
REGENERATE = "make generate"

F = descriptor_pb2.FieldDescriptorProto

# FileDescriptorProto / DescriptorProto / ... field numbers used in SourceCodeInfo paths.
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM = 2, 3, 4
_ENUM_VALUE, _SERVICE_METHOD = 2, 2

_SCALAR_NAMES = {
    F.TYPE_DOUBLE: "double", F.TYPE_FLOAT: "float", F.TYPE_INT64: "int64",
    F.TYPE_UINT64: "uint64", F.TYPE_INT32: "int32", F.TYPE_FIXED64: "fixed64",
    F.TYPE_FIXED32: "fixed32", F.TYPE_BOOL: "bool", F.TYPE_STRING: "string",
    F.TYPE_BYTES: "bytes", F.TYPE_UINT32: "uint32", F.TYPE_SFIXED32: "sfixed32",
    F.TYPE_SFIXED64: "sfixed64", F.TYPE_SINT32: "sint32", F.TYPE_SINT64: "sint64",
}

# proto3 JSON: 64-bit integers are strings, bytes base64.
_SCALAR_SCHEMAS: dict[int, dict[str, Any]] = {
    F.TYPE_DOUBLE: {"type": "number", "format": "double"},
    F.TYPE_FLOAT: {"type": "number", "format": "float"},
    F.TYPE_INT32: {"type": "integer", "format": "int32"},
    F.TYPE_SINT32: {"type": "integer", "format": "int32"},
    F.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    F.TYPE_UINT32: {"type": "integer", "format": "uint32", "minimum": 0},
    F.TYPE_FIXED32: {"type": "integer", "format": "uint32", "minimum": 0},
    F.TYPE_INT64: {"type": "string", "format": "int64"},
    F.TYPE_SINT64: {"type": "string", "format": "int64"},
    F.TYPE_SFIXED64: {"type": "string", "format": "int64"},
    F.TYPE_UINT64: {"type": "string", "format": "uint64"},
    F.TYPE_FIXED64: {"type": "string", "format": "uint64"},
    F.TYPE_BOOL: {"type": "boolean"},
    F.TYPE_STRING: {"type": "string"},
    F.TYPE_BYTES: {"type": "string", "format": "byte"},
}

# Well-known types whose JSON form is not an object of their fields.
_WELL_KNOWN_SCHEMAS: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {
        "type": "string", "format": "date-time",
        "description": "An instant, RFC 3339 in UTC (`Z`), e.g. `2025-12-24T12:00:00Z`; "
                       "0, 3, 6 or 9 fractional digits.",
    },
    "google.protobuf.Duration": {
        "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$",
        "description": "A duration in seconds with an `s` suffix, e.g. `1.500s`.",
    },
    "google.protobuf.Any": {
        "type": "object", "required": ["@type"],
        "properties": {"@type": {"type": "string",
                                 "description": "`type.googleapis.com/` + the message's "
                                                "full name."}},
        "additionalProperties": True,
        "description": "A message of the type `@type` names, its fields beside `@type`.",
    },
}

# The JSON form of the Google (non-well-known) types the contract uses; their own
# comments are written for every API and long.
_GOOGLE_TYPE_NOTES = {
    "google.type.Date": "A calendar day, `{\"year\": 2025, \"month\": 12, \"day\": 24}` "
                        "(trading days are Asia/Riyadh days).",
    "google.type.Decimal": "An exact decimal number as a string, `{\"value\": \"100000.00\"}` "
                           "(money, quantities and balances in trading).",
}

_GRPC_TO_HTTP = (
    "INVALID_ARGUMENT, FAILED_PRECONDITION and OUT_OF_RANGE 400, UNAUTHENTICATED 401, "
    "PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS and ABORTED 409, "
    "RESOURCE_EXHAUSTED 429, CANCELLED 499, UNIMPLEMENTED 501, UNAVAILABLE 503, "
    "DEADLINE_EXCEEDED 504, INTERNAL and others 500"
)


class ContractError(Exception):
    """The protos could not be compiled, or use something the generator cannot map."""


# --- reading the contract ---------------------------------------------------------------


def _include_paths() -> list[Path]:
    """google/protobuf from grpcio-tools, google/api|type|rpc from googleapis-common-protos
    (the same package `make` copies into build/third_party_protos)."""
    well_known = Path(next(iter(grpc_tools.__path__))) / "_proto"
    google_apis = Path(next(iter(google.api.__path__))).parent.parent
    return [well_known, google_apis]


def compile_protos(proto_root: Path = PROTO_ROOT) -> descriptor_pb2.FileDescriptorSet:
    files = sorted(path.relative_to(proto_root).as_posix()
                   for path in proto_root.rglob("*.proto"))
    if not files:
        raise ContractError(f"no .proto files under {proto_root}")
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "contract.binpb"
        arguments = ["grpc_tools.protoc", f"-I{proto_root}",
                     *(f"-I{path}" for path in _include_paths()),
                     "--include_imports", "--include_source_info",
                     f"--descriptor_set_out={output}", *files, *ERROR_PROTOS]
        if protoc.main(arguments) != 0:
            raise ContractError("protoc could not compile proto/ (its messages are above)")
        return descriptor_pb2.FileDescriptorSet.FromString(output.read_bytes())


def clean_comment(text: str) -> str:
    lines = textwrap.dedent(text.rstrip()).splitlines()
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def paragraphs(text: str) -> list[str]:
    """A comment's paragraphs, each on one line."""
    return [" ".join(part.split()) for part in re.split(r"\n\s*\n", text) if part.strip()]


def _first_paragraph(text: str) -> str:
    found = paragraphs(text)
    return found[0] if found else ""


def first_sentence(text: str) -> str:
    first = paragraphs(text)[0] if text.strip() else ""
    match = re.match(r"(.+?[.!?])(?:\s|$)", first)
    return match.group(1) if match else first


@dataclass
class FieldInfo:
    proto: Any  # FieldDescriptorProto
    comment: str

    @property
    def name(self) -> str:
        return str(self.proto.name)

    @property
    def json_name(self) -> str:
        return str(self.proto.json_name) or _lower_camel(self.name)

    @property
    def repeated(self) -> bool:
        return bool(self.proto.label == F.LABEL_REPEATED)

    @property
    def type_name(self) -> str:
        return str(self.proto.type_name).lstrip(".")

    @property
    def behaviors(self) -> list[str]:
        return [field_behavior_pb2.FieldBehavior.Name(value) for value in
                self.proto.options.Extensions[field_behavior_pb2.field_behavior]]

    @property
    def required(self) -> bool:
        return "REQUIRED" in self.behaviors


@dataclass
class MessageInfo:
    full_name: str
    package: str
    file: str
    proto: Any  # DescriptorProto
    comment: str
    fields: list[FieldInfo]

    @property
    def is_map_entry(self) -> bool:
        return bool(self.proto.options.map_entry)

    def oneofs(self) -> dict[str, list[FieldInfo]]:
        """Real oneofs (not the synthetic ones of proto3 `optional`) and their fields."""
        found: dict[str, list[FieldInfo]] = {}
        for info in self.fields:
            if info.proto.HasField("oneof_index") and not info.proto.proto3_optional:
                name = self.proto.oneof_decl[info.proto.oneof_index].name
                found.setdefault(name, []).append(info)
        return found

    def field(self, name: str) -> FieldInfo:
        for info in self.fields:
            if info.name == name:
                return info
        raise ContractError(f"{self.full_name} has no field {name!r}")


@dataclass
class EnumInfo:
    full_name: str
    package: str
    file: str
    proto: Any  # EnumDescriptorProto
    comment: str
    value_comments: list[str]


@dataclass(frozen=True)
class HttpBinding:
    verb: str
    path: str
    body: str
    response_body: str

    @property
    def openapi_path(self) -> str:
        return re.sub(r"\{([^}=]+)=[^}]*\}", r"{\1}", self.path)

    @property
    def path_fields(self) -> list[str]:
        return re.findall(r"\{([^}=]+)(?:=[^}]*)?\}", self.path)


@dataclass(frozen=True)
class Policy:
    permission: str
    public: bool
    rate_limit_cost: int
    cache_category: str

    @property
    def roles(self) -> list[str]:
        return [role.value for role in Role if self.permission in ROLE_PERMISSIONS[role]]

    @property
    def guests_allowed(self) -> bool:
        return self.public or self.permission in ROLE_PERMISSIONS[Role.GUEST]


@dataclass
class MethodInfo:
    service: str
    name: str
    input: str
    output: str
    client_streaming: bool
    server_streaming: bool
    comment: str
    bindings: list[HttpBinding]
    policy: Policy | None

    @property
    def grpc_path(self) -> str:
        return f"/{self.service}/{self.name}"

    @property
    def short_service(self) -> str:
        return self.service.rsplit(".", 1)[-1]


@dataclass
class ServiceInfo:
    full_name: str
    file: str
    comment: str
    methods: list[MethodInfo] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.full_name.rsplit(".", 1)[-1]


def _lower_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _bindings(rule: Any) -> Iterator[HttpBinding]:
    pattern = rule.WhichOneof("pattern")
    if pattern is not None:
        if pattern == "custom":
            verb, path = rule.custom.kind.upper(), rule.custom.path
        else:
            verb, path = pattern.upper(), getattr(rule, pattern)
        yield HttpBinding(verb=verb, path=path, body=rule.body,
                          response_body=rule.response_body)
    for additional in rule.additional_bindings:
        yield from _bindings(additional)


class Contract:
    """The compiled protos, indexed, with their comments."""

    def __init__(self, descriptors: descriptor_pb2.FileDescriptorSet) -> None:
        self.messages: dict[str, MessageInfo] = {}
        self.enums: dict[str, EnumInfo] = {}
        self.services: list[ServiceInfo] = []
        self.files: list[str] = []
        for file in descriptors.file:
            comments = {tuple(location.path): clean_comment(
                location.leading_comments or location.trailing_comments)
                for location in file.source_code_info.location}
            if file.package.startswith(OWN_PACKAGE):
                self.files.append(file.name)
            self._index(file, comments)
        self.files.sort()
        self.services.sort(key=lambda service: service.full_name)

    def _index(self, file: Any, comments: dict[tuple[int, ...], str]) -> None:
        prefix = f"{file.package}." if file.package else ""

        def enum(proto: Any, scope: str, path: tuple[int, ...]) -> None:
            full_name = scope + proto.name
            self.enums[full_name] = EnumInfo(
                full_name=full_name, package=file.package, file=file.name, proto=proto,
                comment=comments.get(path, ""),
                value_comments=[comments.get((*path, _ENUM_VALUE, index), "")
                                for index in range(len(proto.value))])

        def message(proto: Any, scope: str, path: tuple[int, ...]) -> None:
            full_name = scope + proto.name
            self.messages[full_name] = MessageInfo(
                full_name=full_name, package=file.package, file=file.name, proto=proto,
                comment=comments.get(path, ""),
                fields=[FieldInfo(proto=item,
                                  comment=comments.get((*path, _MESSAGE_FIELD, index), ""))
                        for index, item in enumerate(proto.field)])
            for index, nested in enumerate(proto.nested_type):
                message(nested, f"{full_name}.", (*path, _MESSAGE_NESTED, index))
            for index, nested_enum in enumerate(proto.enum_type):
                enum(nested_enum, f"{full_name}.", (*path, _MESSAGE_ENUM, index))

        for index, proto in enumerate(file.message_type):
            message(proto, prefix, (_FILE_MESSAGE, index))
        for index, proto in enumerate(file.enum_type):
            enum(proto, prefix, (_FILE_ENUM, index))
        for index, proto in enumerate(file.service):
            service = ServiceInfo(full_name=prefix + proto.name, file=file.name,
                                  comment=comments.get((_FILE_SERVICE, index), ""))
            for number, method in enumerate(proto.method):
                options = method.options
                policy = None
                if options.HasExtension(options_pb2.method_policy):
                    declared = options.Extensions[options_pb2.method_policy]
                    policy = Policy(
                        permission=declared.permission, public=declared.public,
                        rate_limit_cost=max(1, declared.rate_limit_cost),
                        cache_category=options_pb2.CacheCategory.Name(
                            declared.cache_category))
                bindings = (list(_bindings(options.Extensions[annotations_pb2.http]))
                            if options.HasExtension(annotations_pb2.http) else [])
                service.methods.append(MethodInfo(
                    service=service.full_name, name=method.name,
                    input=method.input_type.lstrip("."), output=method.output_type.lstrip("."),
                    client_streaming=method.client_streaming,
                    server_streaming=method.server_streaming,
                    comment=comments.get((_FILE_SERVICE, index, _SERVICE_METHOD, number), ""),
                    bindings=bindings, policy=policy))
            if file.package.startswith(OWN_PACKAGE):
                self.services.append(service)

    def own_messages(self, file: str) -> list[MessageInfo]:
        return [info for info in self.messages.values()
                if info.file == file and not info.is_map_entry]

    def own_enums(self, file: str) -> list[EnumInfo]:
        return [info for info in self.enums.values() if info.file == file]

    def map_entry(self, info: FieldInfo) -> MessageInfo | None:
        if info.proto.type != F.TYPE_MESSAGE or not info.repeated:
            return None
        entry = self.messages[info.type_name]
        return entry if entry.is_map_entry else None

    def field_path(self, message: str, dotted: str) -> FieldInfo:
        """The field a path template's `{a.b}` names, starting from `message`."""
        current = self.messages[message]
        *parents, last = dotted.split(".")
        for name in parents:
            current = self.messages[current.field(name).type_name]
        return current.field(last)


# --- HTTP mapping, shared by the markdown and OpenAPI -------------------------------------


@dataclass(frozen=True)
class QueryParameter:
    name: str
    field: FieldInfo
    # The message fields it is nested in (`start_date` for `startDate.year`).
    parents: tuple[FieldInfo, ...] = ()


def query_parameters(contract: Contract, method: MethodInfo,
                     binding: HttpBinding) -> list[QueryParameter]:
    """Fields bound to neither the path nor the body, as query parameters: nested
    messages flattened with dots (`startDate.year`), maps and repeated messages left out
    (the transcoder cannot take them from a query string)."""
    if binding.body == "*":
        return []
    bound = {name.split(".")[0] for name in binding.path_fields}
    if binding.body:
        bound.add(binding.body)
    found: list[QueryParameter] = []

    def walk(message: MessageInfo, prefix: str, seen: frozenset[str],
             parents: tuple[FieldInfo, ...]) -> None:
        for info in message.fields:
            if not prefix and info.name in bound:
                continue
            name = prefix + info.json_name
            if info.proto.type == F.TYPE_MESSAGE and info.type_name not in _WELL_KNOWN_SCHEMAS:
                if info.repeated or info.type_name in seen:
                    continue
                walk(contract.messages[info.type_name], f"{name}.", seen | {info.type_name},
                     (*parents, info))
            elif info.proto.type == F.TYPE_MESSAGE and info.repeated:
                continue
            else:
                found.append(QueryParameter(name=name, field=info, parents=parents))

    walk(contract.messages[method.input], "", frozenset({method.input}), ())
    return found


def body_fields(contract: Contract, method: MethodInfo, binding: HttpBinding) -> list[FieldInfo]:
    """The request fields a `body: "*"` binding takes from the body (all but the path's)."""
    in_path = {name.split(".")[0] for name in binding.path_fields}
    return [info for info in contract.messages[method.input].fields if info.name not in in_path]


def operation_ids(method: MethodInfo) -> list[str]:
    base = f"{method.short_service}_{method.name}"
    return [base if index == 0 else f"{base}_{index + 1}"
            for index in range(len(method.bindings))]


# --- markdown -------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _markdown(text: str) -> str:
    """Comment text for markdown: `<` outside code spans escaped (`"user:<id>"` is no tag)."""
    parts = re.split(r"(`[^`\n]*`)", text)
    return "".join(part if index % 2 else part.replace("<", "&lt;")
                   for index, part in enumerate(parts))


def _cell(text: str) -> str:
    """Comment text for a table cell: paragraphs on one line, pipes escaped."""
    return "<br>".join(_markdown(part) for part in paragraphs(text)).replace("|", "\\|")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _cache_label(category: str) -> str:
    if category == "CACHE_CATEGORY_UNSPECIFIED":
        return "not cached"
    return f"`{category.removeprefix('CACHE_CATEGORY_').lower()}`"


class MarkdownWriter:
    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.lines: list[str] = []
        self.anchors: set[str] = set()
        self.external_types: set[str] = set()

    def heading(self, level: int, text: str) -> None:
        anchor = slug(text)
        if anchor in self.anchors:
            raise ContractError(f"two headings would share the anchor #{anchor}")
        self.anchors.add(anchor)
        self.lines += [f"{'#' * level} {text}", ""]

    def paragraph(self, text: str) -> None:
        if text.strip():
            self.lines += [_markdown(text), ""]

    def type_link(self, full_name: str) -> str:
        if not full_name.startswith(OWN_PACKAGE):
            self.external_types.add(full_name)
        package = (self.contract.messages.get(full_name) or self.contract.enums[full_name]).package
        shown = full_name[len(package) + 1:] if package.startswith(OWN_PACKAGE) else full_name
        return f"[{shown}](#{slug(full_name)})"

    def field_type(self, info: FieldInfo) -> str:
        entry = self.contract.map_entry(info)
        if entry is not None:
            key, value = entry.fields
            return f"map&lt;{self.plain_type(key)}, {self.plain_type(value)}&gt;"
        shown = self.plain_type(info)
        if info.repeated:
            return f"repeated {shown}"
        if info.proto.proto3_optional:
            return f"optional {shown}"
        return shown

    def plain_type(self, info: FieldInfo) -> str:
        if info.proto.type in (F.TYPE_MESSAGE, F.TYPE_ENUM):
            return self.type_link(info.type_name)
        return _SCALAR_NAMES[info.proto.type]

    def render(self) -> str:
        contract = self.contract
        self.lines += [
            "# API reference", "",
            "<!-- Generated from proto/ by `python -m server.tools.reference_docs` "
            f"(`{REGENERATE}`); do not edit. -->", "",
            "Generated from the `.proto` files in `proto/` and their comments: "
            f"`{REGENERATE}` rewrites it and `make check` fails when it is stale. The JSON "
            "API as OpenAPI 3.1: [`docs/openapi.json`](../openapi.json).", "",
            "Every RPC is served over gRPC (`localhost:50051`, with server reflection) and, "
            "through Envoy's JSON transcoding, on the HTTP route shown "
            "(`http://localhost:8080`). JSON follows the proto3 JSON mapping: lowerCamelCase "
            "field names (the proto names are accepted too), 64-bit integers as strings, "
            "enums by name, `google.protobuf.Timestamp` as an RFC 3339 string, "
            "`google.type.Decimal` as `{\"value\": \"123.45\"}`. For GET and DELETE the "
            "request's fields not in the path are query parameters (`startDate.year=2025`, "
            "`symbols=2222&symbols=1120`). Server streams arrive over HTTP as "
            "newline-delimited JSON, one message per line. Errors are `google.rpc.Status` "
            f"(HTTP status from the gRPC code: {_GRPC_TO_HTTP}).", "",
            "**Access.** An RPC is *public* (no credentials needed; any sent are ignored) or "
            "needs a permission, which the caller's role must hold. Credentials: "
            "`authorization: Bearer <JWT>` (from `AuthService.Login`) or "
            "`x-api-key: fhp_…` (from `AuthService.CreateApiKey`); a call without them is a "
            "guest's. **Cost**: units the call takes from the caller's per-minute rate-limit "
            "budget. **Cache**: the category its answers are cached under (fresh for "
            "tickers 30 s, ohlc 60 s, financials 1 h, funds 5 min, news 2 min, AI insights "
            "5 min).", "",
        ]
        self.heading(2, "Services")
        self.lines += ["| service | RPCs | |", "|---|---|---|"]
        for service in contract.services:
            summary = _cell(first_sentence(service.comment))
            self.lines.append(f"| [{service.full_name}](#{slug(service.full_name)}) | "
                              f"{len(service.methods)} | {summary} |")
        self.lines.append("")
        self.heading(2, "Messages and enums")
        for file in contract.files:
            self.lines.append(f"- [{file}](#{slug(file)}): "
                              f"{_count(len(contract.own_messages(file)), 'message')}, "
                              f"{_count(len(contract.own_enums(file)), 'enum')}")
        self.lines += ["- [Google types](#google-types)", ""]
        for service in contract.services:
            self.service(service)
        for file in contract.files:
            self.heading(2, file)
            for message in contract.own_messages(file):
                self.message(message)
            for enum in contract.own_enums(file):
                self.enum(enum)
        self.heading(2, "Google types")
        self.paragraph("Types from Google's protos that the contract uses, with their JSON form.")
        done: set[str] = set()
        while self.external_types - done:
            name = sorted(self.external_types - done)[0]
            done.add(name)
            if name in _WELL_KNOWN_SCHEMAS:
                self.heading(3, name)
                self.paragraph(f"JSON: {_WELL_KNOWN_SCHEMAS[name]['description']}")
            elif name in _GOOGLE_TYPE_NOTES:
                self.message(contract.messages[name], level=3, summary_only=True)
            elif name in contract.messages:
                self.message(contract.messages[name], level=3, summary_only=True)
            else:
                self.enum(contract.enums[name], level=3)
        return "\n".join(self.lines).rstrip("\n") + "\n"

    def service(self, service: ServiceInfo) -> None:
        self.heading(2, service.full_name)
        self.paragraph(f"`{service.file}`")
        self.paragraph(service.comment)
        self.lines += ["| RPC | HTTP | access | cost | cache |", "|---|---|---|---|---|"]
        for method in service.methods:
            http = "<br>".join(f"`{b.verb} {b.path}`" for b in method.bindings) or "none"
            policy = method.policy
            access = ("**none declared: refused**" if policy is None else
                      "public" if policy.public else f"`{policy.permission}`")
            cost = str(policy.rate_limit_cost) if policy else ""
            cache = _cache_label(policy.cache_category) if policy else ""
            stream = " (stream)" if method.server_streaming else ""
            self.lines.append(
                f"| [{method.name}](#{slug(f'{service.name}.{method.name}')}){stream} | "
                f"{http} | {access} | {cost} | {cache} |")
        self.lines.append("")
        for method in service.methods:
            self.method(service, method)

    def method(self, service: ServiceInfo, method: MethodInfo) -> None:
        self.heading(3, f"{service.name}.{method.name}")
        self.paragraph(method.comment)
        request = self.type_link(method.input)
        response = self.type_link(method.output)
        if method.client_streaming:
            request = f"stream of {request}"
        if method.server_streaming:
            response = (f"**server stream** of {response} (over HTTP: newline-delimited "
                        "JSON, one message per line)")
        rows = [("gRPC", f"`{method.grpc_path}`"), ("request", request),
                ("response", response)]
        for binding in method.bindings:
            rows.append(("HTTP", self.binding(method, binding)))
        if not method.bindings:
            rows.append(("HTTP", "none"))
        policy = method.policy
        if policy is None:
            rows.append(("access", "**no `method_policy`: the server refuses every call**"))
        else:
            if policy.public:
                access = "public: no credentials needed"
            else:
                access = (f"permission `{policy.permission}`, held by "
                          f"{', '.join(policy.roles) or 'no role'}")
            rows += [("access", access), ("rate-limit cost", str(policy.rate_limit_cost)),
                     ("cache", _cache_label(policy.cache_category))]
        self.lines += ["| | |", "|---|---|"]
        self.lines += [f"| {key} | {value} |" for key, value in rows]
        self.lines.append("")

    def binding(self, method: MethodInfo, binding: HttpBinding) -> str:
        parts = [f"`{binding.verb} {binding.path}`"]
        if binding.path_fields:
            parts.append("path: " + ", ".join(f"`{name}`" for name in binding.path_fields))
        if binding.body == "*":
            if not body_fields(self.contract, method, binding):
                parts.append("body: `{}`")
            elif binding.path_fields:
                parts.append("body: the request's other fields")
            else:
                parts.append("body: the request")
        elif binding.body:
            parts.append(f"body: field `{binding.body}`")
        query = query_parameters(self.contract, method, binding)
        if query:
            parts.append("query: " + ", ".join(f"`{parameter.name}`" for parameter in query))
        if binding.response_body:
            parts.append(f"answer: field `{binding.response_body}`")
        return "; ".join(parts)

    def message(self, message: MessageInfo, level: int = 3, summary_only: bool = False) -> None:
        self.heading(level, message.full_name)
        comment = message.comment
        if summary_only:
            comment = _GOOGLE_TYPE_NOTES.get(message.full_name) or _first_paragraph(comment)
        self.paragraph(comment)
        if not message.fields:
            self.paragraph("No fields.")
            return
        oneof_of = {info.name: name for name, members in message.oneofs().items()
                    for info in members}
        self.lines += ["| field | # | type | description |", "|---|---|---|---|"]
        for info in message.fields:
            shown = f"`{info.name}`"
            if info.json_name != info.name:
                shown += f"<br>JSON `{info.json_name}`"
            notes = []
            if info.behaviors:
                notes.append(" ".join(f"**{b.replace('_', ' ').capitalize()}.**"
                                      for b in info.behaviors))
            if info.name in oneof_of:
                others = [f"`{member.name}`" for member in
                          message.oneofs()[oneof_of[info.name]] if member is not info]
                notes.append(f"Oneof `{oneof_of[info.name]}` (at most one of this, "
                             f"{', '.join(others)}).")
            comment = _first_paragraph(info.comment) if summary_only else info.comment
            description = " ".join([*notes, _cell(comment)]).strip()
            self.lines.append(f"| {shown} | {info.proto.number} | "
                              f"{self.field_type(info)} | {description} |")
        self.lines.append("")
        if not summary_only:
            return
        for info in message.fields:  # pull in the types a Google message refers to
            if info.proto.type in (F.TYPE_MESSAGE, F.TYPE_ENUM):
                self.type_link(info.type_name)

    def enum(self, enum: EnumInfo, level: int = 3) -> None:
        self.heading(level, enum.full_name)
        self.paragraph(enum.comment)
        self.lines += ["| value | # | description |", "|---|---|---|"]
        for value, comment in zip(enum.proto.value, enum.value_comments, strict=True):
            self.lines.append(f"| `{value.name}` | {value.number} | {_cell(comment)} |")
        self.lines.append("")


def render_markdown(contract: Contract) -> str:
    return MarkdownWriter(contract).render()


# --- OpenAPI ----------------------------------------------------------------------------


def _ref(full_name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{full_name}"}


class OpenApiWriter:
    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.wanted: set[str] = set()

    def ref(self, full_name: str) -> dict[str, Any]:
        self.wanted.add(full_name)
        return _ref(full_name)

    def value_schema(self, info: FieldInfo) -> dict[str, Any]:
        """The schema of one value of the field (an element, for a repeated field)."""
        if info.proto.type in (F.TYPE_MESSAGE, F.TYPE_ENUM):
            return self.ref(info.type_name)
        if info.proto.type not in _SCALAR_SCHEMAS:
            raise ContractError(f"field {info.name}: no JSON mapping for type {info.proto.type}")
        return dict(_SCALAR_SCHEMAS[info.proto.type])

    def field_schema(self, info: FieldInfo, oneof: str | None = None,
                     brief: bool = False) -> dict[str, Any]:
        entry = self.contract.map_entry(info)
        if entry is not None:
            key, value = entry.fields
            schema: dict[str, Any] = {
                "type": "object", "additionalProperties": self.value_schema(value)}
            if key.proto.type != F.TYPE_STRING:
                schema["x-proto-map-key"] = _SCALAR_NAMES[key.proto.type]
        elif info.repeated:
            schema = {"type": "array", "items": self.value_schema(info)}
        else:
            schema = self.value_schema(info)
        notes = []
        if info.proto.proto3_optional:
            notes.append("Omitted when not set.")
        if oneof:
            notes.append(f"Part of oneof `{oneof}`: at most one of its fields is set.")
        comment = _first_paragraph(info.comment) if brief else info.comment
        description = "\n\n".join(part for part in (comment, " ".join(notes)) if part)
        if description:
            schema["description"] = description
        if "OUTPUT_ONLY" in info.behaviors:
            schema["readOnly"] = True
        if "INPUT_ONLY" in info.behaviors:
            schema["writeOnly"] = True
        return schema

    def object_schema(self, message: MessageInfo, fields: Iterable[FieldInfo],
                      description: str) -> dict[str, Any]:
        brief = not message.full_name.startswith(OWN_PACKAGE)
        oneof_of = {info.name: name for name, members in message.oneofs().items()
                    for info in members}
        chosen = list(fields)
        schema: dict[str, Any] = {"type": "object"}
        if description:
            schema["description"] = description
        schema["properties"] = {
            info.json_name: self.field_schema(info, oneof_of.get(info.name), brief)
            for info in chosen}
        required = [info.json_name for info in chosen if info.required]
        if required:
            schema["required"] = required
        oneofs = {name: [info.json_name for info in members if info in chosen]
                  for name, members in message.oneofs().items()}
        oneofs = {name: members for name, members in oneofs.items() if members}
        if oneofs:
            schema["x-proto-oneofs"] = oneofs
        return schema

    def message_schema(self, full_name: str) -> dict[str, Any]:
        if full_name in _WELL_KNOWN_SCHEMAS:
            return dict(_WELL_KNOWN_SCHEMAS[full_name])
        if full_name in self.contract.enums:
            enum = self.contract.enums[full_name]
            described = [f"- `{value.name}`" + (f": {' '.join(comment.split())}" if comment else "")
                         for value, comment in zip(enum.proto.value, enum.value_comments,
                                                   strict=True)]
            return {"type": "string",
                    "description": "\n\n".join(filter(None, [enum.comment,
                                                             "\n".join(described)])),
                    "enum": [value.name for value in enum.proto.value]}
        if full_name not in self.contract.messages:
            raise ContractError(f"no schema for {full_name}")
        if full_name.startswith("google.protobuf."):
            raise ContractError(f"no JSON mapping for well-known type {full_name}")
        message = self.contract.messages[full_name]
        comment = message.comment
        if not full_name.startswith(OWN_PACKAGE):
            comment = _GOOGLE_TYPE_NOTES.get(full_name) or _first_paragraph(comment)
        return self.object_schema(message, message.fields, comment)

    def status_schema(self) -> dict[str, Any]:
        schema = self.message_schema("google.rpc.Status")
        details = schema["properties"]["details"]
        details["items"] = {"anyOf": [
            *({"allOf": [{"type": "object", "required": ["@type"], "properties": {
                "@type": {"const": f"type.googleapis.com/{name}"}}}, self.ref(name)]}
              for name in ERROR_DETAIL_TYPES),
            self.ref("google.protobuf.Any")]}
        details["description"] = (
            "ErrorInfo (reason, domain `financehub.sa`, the request id) always; BadRequest "
            "field violations for bad input, ResourceInfo for NOT_FOUND, RetryInfo and "
            "QuotaFailure when rate-limited or over quota.")
        return schema

    def parameter(self, name: str, location: str, info: FieldInfo, required: bool,
                  parents: tuple[FieldInfo, ...] = ()) -> dict[str, Any]:
        schema = self.field_schema(info, brief=bool(parents))
        description = schema.pop("description", "")
        if parents:
            context = " ".join(f"`{parent.json_name}`: {first_sentence(parent.comment)}"
                               for parent in parents if parent.comment)
            description = " ".join(part for part in (context, description) if part)
        parameter: dict[str, Any] = {"name": name, "in": location}
        if description:
            parameter["description"] = description
        if required:
            parameter["required"] = True
        parameter["schema"] = schema
        if schema.get("type") == "array":
            parameter |= {"style": "form", "explode": True}
        return parameter

    def operation(self, method: MethodInfo, binding: HttpBinding,
                  operation_id: str) -> dict[str, Any]:
        contract = self.contract
        request = contract.messages[method.input]
        policy = method.policy
        if policy is None:
            raise ContractError(f"{method.grpc_path} declares no method_policy")
        description = [method.comment] if method.comment else []
        if policy.public:
            description.append("**Public**: no credentials needed.")
        else:
            description.append(f"**Permission** `{policy.permission}` (roles: "
                               f"{', '.join(policy.roles) or 'none'}).")
        description.append(f"**Rate-limit cost** {policy.rate_limit_cost}. **Cache** "
                           f"`{policy.cache_category}`. gRPC `{method.grpc_path}`.")
        if method.server_streaming:
            description.append("**Server stream**: the answer is newline-delimited JSON, "
                               "one message per line as it is sent, until the call ends.")
        operation: dict[str, Any] = {
            "tags": [method.short_service],
            "operationId": operation_id,
            "summary": first_sentence(method.comment) or method.name,
            "description": "\n\n".join(description),
        }
        parameters = [self.parameter(name, "path", contract.field_path(method.input, name),
                                     True) for name in binding.path_fields]
        parameters += [self.parameter(item.name, "query", item.field,
                                      item.field.required and not item.parents, item.parents)
                       for item in query_parameters(contract, method, binding)]
        if parameters:
            operation["parameters"] = parameters
        if binding.body == "*":
            fields = body_fields(contract, method, binding)
            if binding.path_fields:
                schema = self.object_schema(request, fields,
                                            f"{method.input} without its path fields.")
            else:
                schema = self.ref(method.input)
            operation["requestBody"] = {
                "required": any(info.required for info in fields),
                "content": {"application/json": {"schema": schema}}}
        elif binding.body:
            body_field = request.field(binding.body)
            operation["requestBody"] = {
                "required": body_field.required,
                "content": {"application/json": {"schema": self.field_schema(body_field)}}}
        answer: dict[str, Any] = self.ref(method.output)
        if binding.response_body:
            answer = self.field_schema(contract.messages[method.output]
                                       .field(binding.response_body))
        if method.server_streaming:
            answer = {"type": "array", "items": answer,
                      "description": "Newline-delimited JSON: each message on its own "
                                     "line, as it is sent (not one JSON array)."}
        ok = {"description": "A stream of messages" if method.server_streaming else "OK",
              "headers": {name: {"$ref": f"#/components/headers/{name}"}
                          for name in _RATE_LIMIT_HEADERS},
              "content": {"application/json": {"schema": answer}}}
        responses: dict[str, Any] = {"200": ok}
        if not policy.public:
            responses["401"] = {"$ref": "#/components/responses/Unauthenticated"}
            if len(policy.roles) < len(Role):
                responses["403"] = {"$ref": "#/components/responses/PermissionDenied"}
        responses["429"] = {"$ref": "#/components/responses/RateLimited"}
        responses["default"] = {"$ref": "#/components/responses/Error"}
        operation["responses"] = responses
        if policy.public:
            operation["security"] = []
        else:
            operation["security"] = [*([{}] if policy.guests_allowed else []),
                                      {"bearerAuth": []}, {"apiKeyAuth": []}]
        operation["x-financehub-policy"] = {
            "permission": policy.permission, "public": policy.public,
            "rateLimitCost": policy.rate_limit_cost, "cacheCategory": policy.cache_category}
        operation["x-grpc-method"] = method.grpc_path
        if method.server_streaming:
            operation["x-server-streaming"] = True
        return operation

    def render(self) -> dict[str, Any]:
        contract = self.contract
        paths: dict[str, dict[str, Any]] = {}
        for service in contract.services:
            for method in service.methods:
                for binding, operation_id in zip(method.bindings, operation_ids(method),
                                                 strict=True):
                    item = paths.setdefault(binding.openapi_path, {})
                    verb = binding.verb.lower()
                    if verb in item:
                        raise ContractError(f"two RPCs map to {binding.verb} {binding.path}")
                    item[verb] = self.operation(method, binding, operation_id)
        error = self.status_schema()
        schemas: dict[str, Any] = {"google.rpc.Status": error}
        done = {"google.rpc.Status"}
        while self.wanted - done:
            name = sorted(self.wanted - done)[0]
            done.add(name)
            schemas[name] = self.message_schema(name)
        return {
            "openapi": "3.1.0",
            "info": {
                "title": "FinanceHub Pro API",
                "version": "v1",
                "description": _OPENAPI_DESCRIPTION,
            },
            "servers": [{"url": "http://localhost:8080",
                         "description": "Envoy, as `make run` starts it"}],
            "tags": [{"name": service.name, "description": service.comment}
                     for service in contract.services],
            "paths": {path: paths[path] for path in sorted(paths)},
            "components": {
                "schemas": {name: schemas[name] for name in sorted(schemas)},
                "responses": _ERROR_RESPONSES,
                "headers": _RATE_LIMIT_HEADERS,
                "securitySchemes": _SECURITY_SCHEMES,
            },
        }


_OPENAPI_DESCRIPTION = (
    "Market data, research, paper trading and AI for the Saudi Exchange (Tadawul). The "
    "gRPC API (`financehub.v1`) as JSON over HTTP, transcoded by Envoy from the "
    "`google.api.http` annotations of the contract; generated from `proto/` by "
    "`python -m server.tools.reference_docs`, do not edit.\n\n"
    "JSON is the proto3 JSON mapping: lowerCamelCase names (proto names accepted too), "
    "64-bit integers as strings, enums by name, Timestamps as RFC 3339 strings, "
    "`google.type.Decimal` as `{\"value\": \"123.45\"}`; fields at their default value "
    "are still printed, except unset messages, oneof members and `optional` fields. "
    "Unknown query parameters are refused. Server streams are newline-delimited JSON.\n\n"
    "Errors are `google.rpc.Status` with details; the HTTP status follows the gRPC code: "
    f"{_GRPC_TO_HTTP}.\n\n"
    "Each operation's `security` says how it may be called: `[]` public, `{}` also "
    "anonymously (as a guest), else a bearer token or an API key whose role holds the "
    "permission in `x-financehub-policy`."
)

_RATE_LIMIT_HEADERS: dict[str, Any] = {
    "x-ratelimit-limit": {"description": "The caller's budget per minute.",
                          "schema": {"type": "integer"}},
    "x-ratelimit-remaining": {"description": "Units left in the budget.",
                              "schema": {"type": "integer"}},
    "x-ratelimit-reset": {"description": "Seconds until the budget is full again.",
                          "schema": {"type": "integer"}},
}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("google.rpc.Status")}}}


_ERROR_RESPONSES: dict[str, Any] = {
    "Error": _error_response("An error: `google.rpc.Status`, HTTP status from the gRPC "
                             "code."),
    "Unauthenticated": _error_response(
        "UNAUTHENTICATED: credentials sent but not valid (ErrorInfo reason such as "
        "`TOKEN_EXPIRED`, `TOKEN_REVOKED`, `API_KEY_REVOKED`), or needed and missing."),
    "PermissionDenied": _error_response(
        "PERMISSION_DENIED: the caller's role lacks the permission."),
    "RateLimited": _error_response(
        "RESOURCE_EXHAUSTED: over the rate limit (`RATE_LIMIT_EXCEEDED`, with RetryInfo "
        "and QuotaFailure) or over a quota.") | {
        "headers": {name: {"$ref": f"#/components/headers/{name}"}
                    for name in _RATE_LIMIT_HEADERS}},
}

_SECURITY_SCHEMES: dict[str, Any] = {
    "bearerAuth": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "`authorization: Bearer <access token>`: the token from "
                       "`POST /v1/auth:login` (valid 15 minutes; `POST /v1/auth:refresh` "
                       "renews it).",
    },
    "apiKeyAuth": {
        "type": "apiKey", "in": "header", "name": "x-api-key",
        "description": "An API key (`fhp_` + 40 characters) from "
                       "`POST /v1/users/me/apiKeys`; it acts with its owner's role.",
    },
}


def render_openapi(contract: Contract) -> str:
    return json.dumps(OpenApiWriter(contract).render(), indent=2, ensure_ascii=False) + "\n"


# --- writing and checking -----------------------------------------------------------------


def render_all(proto_root: Path = PROTO_ROOT) -> dict[str, str]:
    """Every generated file, by its path under docs/."""
    contract = Contract(compile_protos(proto_root))
    return {API_MARKDOWN: render_markdown(contract), OPENAPI_JSON: render_openapi(contract)}


def stale_files(rendered: dict[str, str], docs_root: Path) -> list[str]:
    problems = []
    for relative, text in sorted(rendered.items()):
        path = docs_root / relative
        if not path.is_file():
            problems.append(f"missing: {relative}")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"stale: {relative}")
    for directory in OWNED_DIRECTORIES:
        for path in sorted((docs_root / directory).rglob("*")):
            relative = path.relative_to(docs_root).as_posix()
            if path.is_file() and relative not in rendered:
                problems.append(f"unexpected: {relative}")
    return problems


def write_all(rendered: dict[str, str], docs_root: Path) -> None:
    for directory in OWNED_DIRECTORIES:
        for path in (docs_root / directory).rglob("*"):
            if path.is_file() and path.relative_to(docs_root).as_posix() not in rendered:
                path.unlink()
    for relative, text in rendered.items():
        path = docs_root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--check", action="store_true",
                        help="fail, listing the files, if docs/ is not what proto/ gives")
    parser.add_argument("--docs-dir", type=Path, default=DOCS_ROOT,
                        help="where the docs are (default: docs/ of this repository)")
    arguments = parser.parse_args(argv)
    docs_root: Path = arguments.docs_dir
    try:
        rendered = render_all()
    except ContractError as error:
        print(f"reference docs: {error}", file=sys.stderr)
        return 1
    if arguments.check:
        problems = stale_files(rendered, docs_root)
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print(f"reference docs are stale: run `{REGENERATE}` and commit", file=sys.stderr)
            return 1
        print("reference docs are fresh")
        return 0
    write_all(rendered, docs_root)
    print("wrote " + ", ".join(str(docs_root / relative) for relative in sorted(rendered)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
