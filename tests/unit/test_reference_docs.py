"""The reference docs generated from the protos: fresh, and a sound OpenAPI document.

The checks compare the generator's output with the contract as the generated Python
modules see it (another compiler run than the generator's), so a generator that drops an
RPC, a field or an HTTP rule fails here.
"""

import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.api import annotations_pb2, http_pb2
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor

import financehub.v1
from financehub.options.v1 import options_pb2
from server.domain.access import ROLE_PERMISSIONS, Role
from server.tools import reference_docs
from server.tools.reference_docs import API_MARKDOWN, OPENAPI_JSON

DOCS = reference_docs.DOCS_ROOT


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return reference_docs.render_all()


@pytest.fixture(scope="module")
def openapi(rendered: dict[str, str]) -> dict[str, Any]:
    document = json.loads(rendered[OPENAPI_JSON])
    assert isinstance(document, dict)
    return document


def contract_methods() -> Iterator[MethodDescriptor]:
    """Every RPC of every service in the generated modules of financehub.v1."""
    for module_info in sorted(pkgutil.iter_modules(financehub.v1.__path__),
                              key=lambda info: info.name):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"financehub.v1.{module_info.name}")
        for service in module.DESCRIPTOR.services_by_name.values():
            yield from service.methods


def http_rules(method: MethodDescriptor) -> list[tuple[str, str, str]]:
    """(verb, path, body) of each google.api.http binding of the method."""
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return []
    found = []

    def add(rule: http_pb2.HttpRule) -> None:
        pattern = rule.WhichOneof("pattern")
        if pattern == "custom":
            found.append((rule.custom.kind.upper(), rule.custom.path, rule.body))
        elif pattern:
            found.append((pattern.upper(), getattr(rule, pattern), rule.body))
        for additional in rule.additional_bindings:
            add(additional)

    add(options.Extensions[annotations_pb2.http])
    return found


def openapi_path(template: str) -> str:
    return re.sub(r"\{([^}=]+)=[^}]*\}", r"{\1}", template)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for verb, operation in item.items():
            yield path, verb, operation


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(document: dict[str, Any], pointer: str) -> Any:
    assert pointer.startswith("#/"), pointer
    node: Any = document
    for part in pointer[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolved $ref {pointer}"
        node = node[part]
    return node


# --- freshness ---------------------------------------------------------------------------


def test_docs_are_fresh(tmp_path: Path) -> None:
    """The generator, run into a scratch directory, writes exactly what docs/ holds."""
    assert reference_docs.main(["--docs-dir", str(tmp_path)]) == 0
    written = sorted(path.relative_to(tmp_path).as_posix()
                     for path in tmp_path.rglob("*") if path.is_file())
    assert written == sorted([API_MARKDOWN, OPENAPI_JSON])
    for relative in written:
        committed = DOCS / relative
        assert committed.is_file(), f"docs/{relative} is missing: run `make generate`"
        assert committed.read_text(encoding="utf-8") == \
            (tmp_path / relative).read_text(encoding="utf-8"), \
            f"docs/{relative} is stale: run `make generate`"
    assert reference_docs.main(["--check"]) == 0


def test_output_is_deterministic(rendered: dict[str, str]) -> None:
    assert reference_docs.render_all() == rendered


def test_check_names_each_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert reference_docs.main(["--docs-dir", str(tmp_path)]) == 0
    assert reference_docs.main(["--check", "--docs-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    with (tmp_path / OPENAPI_JSON).open("a") as stale:
        stale.write(" ")
    (tmp_path / "reference" / "old.md").write_text("left over\n")
    (tmp_path / API_MARKDOWN).unlink()
    assert reference_docs.main(["--check", "--docs-dir", str(tmp_path)]) == 1
    errors = capsys.readouterr().err
    assert f"stale: {OPENAPI_JSON}" in errors
    assert f"missing: {API_MARKDOWN}" in errors
    assert "unexpected: reference/old.md" in errors
    assert "make generate" in errors
    # Writing again puts everything right, the stray file included.
    assert reference_docs.main(["--docs-dir", str(tmp_path)]) == 0
    assert reference_docs.main(["--check", "--docs-dir", str(tmp_path)]) == 0


# --- OpenAPI -----------------------------------------------------------------------------


def test_openapi_document_shape(openapi: dict[str, Any]) -> None:
    assert openapi["openapi"] == "3.1.0"
    assert openapi["info"]["title"] and openapi["info"]["version"]
    assert openapi["paths"]
    for path, verb, operation in operations(openapi):
        assert path.startswith("/v1/"), path
        assert verb in {"get", "post", "put", "patch", "delete"}, (path, verb)
        assert {"operationId", "summary", "responses", "security"} <= operation.keys()
        assert {"200", "default"} <= operation["responses"].keys()
        declared = {parameter["name"] for parameter in operation.get("parameters", [])
                    if parameter["in"] == "path"}
        assert declared == set(re.findall(r"\{([^}]+)\}", path)), (path, declared)
        for parameter in operation.get("parameters", []):
            assert parameter["in"] in {"path", "query"} and "schema" in parameter
            if parameter["in"] == "path":
                assert parameter["required"] is True


def test_every_http_rule_has_its_operation(openapi: dict[str, Any]) -> None:
    by_route = {(path, verb.upper()): operation for path, verb, operation in operations(openapi)}
    expected = set()
    for method in contract_methods():
        rules = http_rules(method)
        assert rules, f"{method.full_name} has no google.api.http rule"
        for index, (verb, template, body) in enumerate(rules):
            route = (openapi_path(template), verb)
            expected.add(route)
            assert route in by_route, f"no operation for {verb} {template} ({method.full_name})"
            operation = by_route[route]
            service = method.containing_service
            operation_id = f"{service.name}_{method.name}" + (f"_{index + 1}" if index else "")
            assert operation["operationId"] == operation_id
            assert operation["x-grpc-method"] == f"/{service.full_name}/{method.name}"
            assert operation["tags"] == [service.name]
            assert ("requestBody" in operation) == bool(body), route
            assert bool(operation.get("x-server-streaming")) == method.server_streaming
    assert set(by_route) == expected, f"operations for no rule: {set(by_route) - expected}"


def test_operation_ids_are_unique(openapi: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(openapi)]
    assert len(ids) == len(set(ids))


def test_every_ref_resolves(openapi: dict[str, Any]) -> None:
    found = list(refs(openapi))
    assert found
    for pointer in found:
        resolve(openapi, pointer)
    # ...and no schema is there for nothing.
    used = {pointer.rsplit("/", 1)[1] for pointer in found
            if pointer.startswith("#/components/schemas/")}
    assert set(openapi["components"]["schemas"]) == used


def test_security_follows_the_method_policy(openapi: dict[str, Any]) -> None:
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http",
                                     "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["apiKeyAuth"] == {**schemes["apiKeyAuth"], "type": "apiKey",
                                     "in": "header", "name": "x-api-key"}
    by_method = {operation["x-grpc-method"]: operation for _, _, operation in operations(openapi)}
    publics = 0
    for method in contract_methods():
        policy = method.GetOptions().Extensions[options_pb2.method_policy]
        operation = by_method[f"/{method.containing_service.full_name}/{method.name}"]
        security = operation["security"]
        if policy.public:
            publics += 1
            assert security == [], method.full_name
            assert "401" not in operation["responses"]
            continue
        assert {"bearerAuth": []} in security and {"apiKeyAuth": []} in security
        assert ({} in security) == (policy.permission in ROLE_PERMISSIONS[Role.GUEST])
        assert operation["x-financehub-policy"]["permission"] == policy.permission
        assert operation["x-financehub-policy"]["rateLimitCost"] == max(1, policy.rate_limit_cost)
        assert "401" in operation["responses"]
        for requirement in security:
            assert set(requirement) <= set(schemes)
    assert publics > 0  # Login, Register, ... are public


def test_schemas_follow_the_proto3_json_mapping(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    quote = schemas["financehub.v1.Quote"]["properties"]
    assert quote["volume"]["type"] == "string" and quote["volume"]["format"] == "int64"
    assert quote["previousClose"]["type"] == "number"
    assert quote["updateTime"]["$ref"] == "#/components/schemas/google.protobuf.Timestamp"
    assert quote["tradingDay"]["$ref"] == "#/components/schemas/google.type.Date"
    assert quote["dataOrigin"]["$ref"] == "#/components/schemas/financehub.v1.DataOrigin"
    assert schemas["google.protobuf.Timestamp"] == {**schemas["google.protobuf.Timestamp"],
                                                    "type": "string", "format": "date-time"}
    assert schemas["google.type.Decimal"]["properties"]["value"]["type"] == "string"
    assert schemas["google.type.Date"]["properties"].keys() == {"year", "month", "day"}
    origin = schemas["financehub.v1.DataOrigin"]
    assert origin["type"] == "string"
    assert origin["enum"][:2] == ["DATA_ORIGIN_UNSPECIFIED", "DATA_ORIGIN_REAL"]
    stream = schemas["financehub.v1.StreamQuotesResponse"]
    assert stream["x-proto-oneofs"] == {"event": ["quote", "gap", "heartbeat"]}
    status = schemas["google.rpc.Status"]["properties"]
    assert status.keys() == {"code", "message", "details"}
    assert schemas["google.rpc.ErrorInfo"]["properties"].keys() >= {"reason", "domain"}


def _descriptors() -> Iterator[Descriptor]:
    """The messages of the JSON API's bodies: every answer, every request sent whole as
    the body (a GET's request is only query parameters), and the messages inside them."""
    seen: set[str] = set()

    def walk(descriptor: Descriptor) -> Iterator[Descriptor]:
        if descriptor.full_name in seen or descriptor.GetOptions().map_entry:
            return
        seen.add(descriptor.full_name)
        yield descriptor
        for field in descriptor.fields:
            if field.message_type is not None:
                yield from walk(field.message_type)

    for method in contract_methods():
        # (with path fields, the body is the rest of the request, described in place)
        if any(body == "*" and "{" not in path for _, path, body in http_rules(method)):
            yield from walk(method.input_type)
        yield from walk(method.output_type)


def test_every_message_has_a_schema_with_its_json_names(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    for descriptor in _descriptors():
        if descriptor.full_name.startswith("google.protobuf."):
            continue
        schema = schemas[descriptor.full_name]
        assert schema["type"] == "object"
        assert set(schema["properties"]) == {field.json_name for field in descriptor.fields}, \
            descriptor.full_name


def _sample(descriptor: Descriptor, ancestors: frozenset[str] = frozenset()) -> Any:
    """A message of the type with every field set (one element per repeated field; a
    field of a type it is nested in is left unset)."""
    inner = ancestors | {descriptor.full_name}
    message = message_factory.GetMessageClass(descriptor)()
    if descriptor.full_name == "google.protobuf.Timestamp":
        message.FromJsonString("2025-12-24T12:00:00.250Z")
        return message
    if descriptor.full_name == "google.type.Decimal":
        message.value = "100000.25"
        return message
    for field in descriptor.fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            entry = field.message_type
            key = _scalar(entry.fields_by_name["key"])
            value_field = entry.fields_by_name["value"]
            if value_field.message_type is not None:
                getattr(message, field.name)[key].CopyFrom(_sample(value_field.message_type,
                                                                   inner))
            else:
                getattr(message, field.name)[key] = _scalar(value_field)
        elif field.message_type is not None:
            if field.message_type.full_name in inner:
                continue
            value = _sample(field.message_type, inner)
            if field.is_repeated:
                getattr(message, field.name).add().CopyFrom(value)
            else:
                getattr(message, field.name).CopyFrom(value)
        elif field.is_repeated:
            getattr(message, field.name).append(_scalar(field))
        else:
            setattr(message, field.name, _scalar(field))
    return message


def _scalar(field: FieldDescriptor) -> Any:
    if field.enum_type is not None:
        return field.enum_type.values[-1].number
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return 1.5
    if field.type == FieldDescriptor.TYPE_BOOL:
        return True
    if field.type == FieldDescriptor.TYPE_STRING:
        return "text"
    if field.type == FieldDescriptor.TYPE_BYTES:
        return b"\x00\x01"
    return 7


def test_json_of_every_message_matches_its_schema(openapi: dict[str, Any]) -> None:
    """What protobuf's own JSON printer (Envoy's mapping) makes of a fully set message of
    each type validates against that type's schema, unknown properties refused."""
    jsonschema = pytest.importorskip("jsonschema")
    closed = json.loads(json.dumps(openapi["components"]),
                        object_hook=lambda node: ({**node, "additionalProperties": False}
                                                  if node.get("type") == "object"
                                                  and "properties" in node
                                                  and "additionalProperties" not in node
                                                  else node))
    checked = 0
    for descriptor in _descriptors():
        root = {"$ref": f"#/components/schemas/{descriptor.full_name}", "components": closed}
        jsonschema.Draft202012Validator.check_schema(root)
        answer = json_format.MessageToDict(_sample(descriptor))
        errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message[:200]}"
                  for error in jsonschema.Draft202012Validator(root).iter_errors(answer)]
        assert not errors, f"{descriptor.full_name}: {errors}"
        checked += 1
    assert checked > 100


def test_openapi_spec_validator_accepts_it(openapi: dict[str, Any]) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(openapi)


# --- markdown ----------------------------------------------------------------------------


def test_markdown_covers_every_rpc_message_and_enum(rendered: dict[str, str]) -> None:
    markdown = rendered[API_MARKDOWN]
    headings = set(re.findall(r"^#+ (.+)$", markdown, re.MULTILINE))
    for method in contract_methods():
        service = method.containing_service
        assert f"{service.name}.{method.name}" in headings
        assert service.full_name in headings
        section = markdown.split(f"### {service.name}.{method.name}\n", 1)[1].split("\n### ")[0]
        for verb, template, _ in http_rules(method):
            assert f"`{verb} {template}`" in section
        policy = method.GetOptions().Extensions[options_pb2.method_policy]
        if policy.public:
            assert "public" in section
        else:
            assert f"permission `{policy.permission}`" in section
        assert f"| rate-limit cost | {max(1, policy.rate_limit_cost)} |" in section
        assert ("server stream" in section) == method.server_streaming
    for descriptor in _descriptors():
        assert descriptor.full_name in headings
        for enum in descriptor.enum_types:
            assert enum.full_name in headings
        for field in descriptor.fields:
            if field.enum_type is not None:
                assert field.enum_type.full_name in headings


def test_markdown_links_resolve(rendered: dict[str, str]) -> None:
    markdown = rendered[API_MARKDOWN]
    anchors = [reference_docs.slug(heading)
               for heading in re.findall(r"^#+ (.+)$", markdown, re.MULTILINE)]
    assert len(anchors) == len(set(anchors))
    links = re.findall(r"\]\(#([^)]+)\)", markdown)
    assert links
    assert set(links) <= set(anchors), set(links) - set(anchors)
    assert "](../openapi.json)" in markdown
