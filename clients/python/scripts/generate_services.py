"""Generate `financehub_client/_services.py`: a typed accessor class per service of the
contract (sync and asyncio), with each RPC as a one-line method over the generic
machinery in `financehub_client/_base.py`, an `iter_*` method for every paginated
List RPC, and the proto comments as docstrings.

    .venv/bin/python clients/python/scripts/generate_services.py          # rewrite
    .venv/bin/python clients/python/scripts/generate_services.py --check  # fail if stale

Reads `proto/` (comments, through grpcio-tools' protoc) and the generated stubs in
`generated/python` (the method options); run it after `make generate`.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.resources
import re
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve()
SDK_ROOT = HERE.parents[1]
REPO_ROOT = HERE.parents[3]
PROTO_ROOT = REPO_ROOT / "proto"
STUBS_ROOT = REPO_ROOT / "generated" / "python"
OUTPUT = SDK_ROOT / "financehub_client" / "_services.py"
CONTRACT_DIR = "financehub/v1/"
WIDTH = 100

if str(STUBS_ROOT) not in sys.path:
    sys.path.insert(0, str(STUBS_ROOT))

from google.api import annotations_pb2  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool  # noqa: E402
from grpc_tools import protoc  # noqa: E402

# Source-code-info paths (descriptor.proto field numbers).
_SERVICE, _METHOD = 6, 2


def compile_descriptors() -> descriptor_pb2.FileDescriptorSet:
    """Every file of the contract and its imports, with comments."""
    googleapis = Path(annotations_pb2.__file__).resolve().parents[2]
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "contract.binpb"
        code = protoc.main([
            "protoc", f"-I{PROTO_ROOT}", f"-I{googleapis}", f"-I{well_known}",
            "--include_imports", "--include_source_info", f"--descriptor_set_out={out}",
            *protos,
        ])
        if code != 0:
            raise SystemExit(f"protoc failed ({code})")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


@dataclass(frozen=True)
class PyType:
    module: str  # financehub.v1.market_pb2
    alias: str  # market_pb2
    name: str  # GetTickerRequest (Outer.Inner for nested)

    @property
    def ref(self) -> str:
        return f"{self.alias}.{self.name}"


def module_of(proto_file: str) -> tuple[str, str]:
    module = proto_file.removesuffix(".proto").replace("/", ".") + "_pb2"
    package, _, stem = module.rpartition(".")
    alias = stem if proto_file.startswith(CONTRACT_DIR) else module.replace(".", "_")
    return module, alias


def index_types(files: descriptor_pb2.FileDescriptorSet) -> dict[str, PyType]:
    found: dict[str, PyType] = {}

    def walk(prefix: str, scope: str, messages: list[descriptor_pb2.DescriptorProto],
             module: str, alias: str) -> None:
        for message in messages:
            full = f"{prefix}.{message.name}"
            name = f"{scope}.{message.name}" if scope else message.name
            found[full] = PyType(module, alias, name)
            walk(full, name, list(message.nested_type), module, alias)

    for file in files.file:
        module, alias = module_of(file.name)
        walk(f".{file.package}", "", list(file.message_type), module, alias)
    return found


def comments(file: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    return {tuple(location.path): location.leading_comments
            for location in file.source_code_info.location if location.leading_comments}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def docstring(text: str, indent: str, extra: list[str] | None = None) -> list[str]:
    body = textwrap.dedent(text).strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    paragraphs = [line.rstrip() for line in body.splitlines()] if body else []
    if extra:
        paragraphs += ([""] if paragraphs else []) + extra
    if not paragraphs:
        return []
    if len(paragraphs) == 1 and len(indent) + len(paragraphs[0]) + 6 <= WIDTH:
        return [f'{indent}"""{paragraphs[0]}"""']
    lines = [f'{indent}"""{paragraphs[0]}']
    lines += [f"{indent}{line}" if line else "" for line in paragraphs[1:]]
    lines.append(f'{indent}"""')
    return lines


def permission_of(full_method: str) -> str | None:
    from financehub.options.v1 import options_pb2

    try:
        method = descriptor_pool.Default().FindMethodByName(full_method)
    except KeyError:
        return None
    policy = method.GetOptions().Extensions[options_pb2.method_policy]
    if policy.public:
        return "public (no credentials needed)"
    return f"`{policy.permission}`" if policy.permission else None


@dataclass
class Method:
    name: str
    request: PyType
    response: PyType
    streaming: bool
    comment: str
    permission: str | None
    items: tuple[str, PyType] | None  # (repeated field, item type) when paginated


@dataclass
class Service:
    accessor: str
    name: str
    full_name: str
    comment: str
    methods: list[Method]


def paginated(request: descriptor_pb2.DescriptorProto, response: descriptor_pb2.DescriptorProto,
              types: dict[str, PyType]) -> tuple[str, PyType] | None:
    if not any(f.name == "page_token" for f in request.field):
        return None
    if not any(f.name == "next_page_token" for f in response.field):
        return None
    repeated = [f for f in response.field
                if f.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
                and f.type == descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE]
    if len(repeated) != 1:
        return None
    return repeated[0].name, types[repeated[0].type_name]


def collect(files: descriptor_pb2.FileDescriptorSet) -> list[Service]:
    types = index_types(files)
    messages: dict[str, descriptor_pb2.DescriptorProto] = {}
    for file in files.file:
        for message in file.message_type:
            messages[f".{file.package}.{message.name}"] = message
    services: list[Service] = []
    for file in sorted(files.file, key=lambda f: f.name):
        if not file.name.startswith(CONTRACT_DIR) or not file.service:
            continue
        notes = comments(file)
        importlib.import_module(module_of(file.name)[0])  # its options, for permission_of
        accessor = Path(file.name).stem
        if len(file.service) != 1:
            raise SystemExit(f"{file.name}: one service per file expected")
        for s_index, service in enumerate(file.service):
            methods = []
            for m_index, method in enumerate(service.method):
                if method.client_streaming:
                    raise SystemExit(f"{service.name}.{method.name}: client streaming is not "
                                     "supported by the SDK generator yet")
                request, response = messages[method.input_type], messages[method.output_type]
                methods.append(Method(
                    name=method.name, request=types[method.input_type],
                    response=types[method.output_type], streaming=method.server_streaming,
                    comment=notes.get((_SERVICE, s_index, _METHOD, m_index), ""),
                    permission=permission_of(f"{file.package}.{service.name}.{method.name}"),
                    items=None if method.server_streaming else paginated(request, response,
                                                                         types)))
            services.append(Service(accessor=accessor, name=service.name,
                                    full_name=f"{file.package}.{service.name}",
                                    comment=notes.get((_SERVICE, s_index), ""),
                                    methods=methods))
    return services


def iterator_name(method: Method) -> str:
    base = method.name.removeprefix("List") if method.name.startswith("List") else method.name
    return f"iter_{snake(base)}"


SIGNATURE = """\
    {prefix}def {name}(
        self,
        request: {request} | None = None,
        /,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
        **fields: Any,
    ) -> {returns}:"""


TAIL = ["request", "fields", "timeout", "metadata"]


def call_lines(head: str, args: list[str]) -> list[str]:
    """`head(args)` in a method body, wrapped as ruff format would."""
    one_line = f"        {head}({', '.join(args)})"
    if len(one_line) <= WIDTH:
        return [one_line]
    inner = f"            {', '.join(args)}"
    if len(inner) <= WIDTH:
        return [f"        {head}(", inner, "        )"]
    return [f"        {head}(", *(f"            {arg}," for arg in args), "        )"]


def render_method(method: Method, asyncio: bool) -> list[str]:
    lines: list[str] = []
    extra = [f"Permission: {method.permission}."] if method.permission else []
    unary = not method.streaming
    if unary:
        returns, call = method.response.ref, "_unary"
    elif asyncio:
        returns, call = f"AsyncResponseStream[{method.response.ref}]", "_stream"
    else:
        returns, call = f"ResponseStream[{method.response.ref}]", "_stream"
    is_async = asyncio and unary
    lines.append(SIGNATURE.format(prefix="async " if is_async else "", name=method.name,
                                  request=method.request.ref, returns=returns))
    lines += docstring(method.comment, " " * 8, extra)
    lines += call_lines(f"return {'await ' if is_async else ''}self.{call}",
                        [f'"{method.name}"', method.response.ref, *TAIL])
    if method.items is not None:
        field, item = method.items
        container = "AsyncIterator" if asyncio else "Iterator"
        lines.append("")
        lines.append(SIGNATURE.format(prefix="", name=iterator_name(method),
                                      request=method.request.ref,
                                      returns=f"{container}[{item.ref}]"))
        summary = (f"Every `{item.name}` of `{method.name}`, page after page (follows "
                   "`next_page_token`; the request's filters and `page_size` apply to every "
                   "page).")
        lines += docstring("\n".join(textwrap.wrap(summary, WIDTH - 16)), " " * 8)
        lines += call_lines("return self._paginate",
                            [f'"{method.name}"', item.ref, f'"{field}"', *TAIL])
    return lines


def render_service(service: Service, asyncio: bool) -> list[str]:
    name = f"Async{service.name}" if asyncio else service.name
    base = "AsyncService" if asyncio else "SyncService"
    lines = [f"class {name}({base}):"]
    lines += docstring(service.comment or service.name, " " * 4)
    lines.append("")
    lines.append(f'    SERVICE = "{service.full_name}"')
    for method in service.methods:
        lines.append("")
        lines += render_method(method, asyncio)
    return lines


def render_accessors(services: list[Service], asyncio: bool) -> list[str]:
    name = "AsyncServices" if asyncio else "SyncServices"
    client = "AsyncFinanceHubClient" if asyncio else "FinanceHubClient"
    lines = [f"class {name}:",
             f'    """The service accessors of `{client}` (one instance each, made on first',
             '    use)."""', "",
             "    def _service(self, kind: type[S]) -> S:",
             "        raise NotImplementedError"]
    for service in services:
        kind = f"Async{service.name}" if asyncio else service.name
        summary = textwrap.dedent(service.comment).strip().split("\n\n")[0].replace("\n", " ")
        lines += ["", "    @property", f"    def {service.accessor}(self) -> {kind}:"]
        text = f"`{service.full_name}`: {summary}" if summary else f"`{service.full_name}`."
        lines += docstring("\n".join(textwrap.wrap(text, WIDTH - 16)), " " * 8)
        lines.append(f"        return self._service({kind})")
    return lines


def render(services: list[Service]) -> str:
    modules: dict[str, str] = {}
    for service in services:
        for method in service.methods:
            for kind in (method.request, method.response, *(
                    [method.items[1]] if method.items else [])):
                modules[kind.module] = kind.alias
    by_package: dict[str, list[str]] = {}
    for module, alias in sorted(modules.items()):
        package, _, stem = module.rpartition(".")
        by_package.setdefault(package, []).append(
            stem if alias == stem else f"{stem} as {alias}")
    first_party: list[str] = []
    third_party: list[str] = []
    for package, names in sorted(by_package.items()):
        target = first_party if package.startswith("financehub.") else third_party
        single = f"from {package} import {', '.join(names)}"
        if len(single) <= WIDTH:
            target.append(single)
        else:
            target += [f"from {package} import (", *(f"    {n}," for n in names), ")"]
    third_party_block = [*third_party, ""] if third_party else []
    out = [
        "# Generated by clients/python/scripts/generate_services.py from proto/: do not edit.",
        "# Regenerate: .venv/bin/python clients/python/scripts/generate_services.py",
        '"""Typed accessors for every service of the FinanceHub contract, sync and asyncio.',
        "",
        "Each RPC takes its request message, or its fields as keywords, plus `timeout` and",
        "`metadata`; unary RPCs return the response message, server-streaming RPCs an",
        "iterator of messages, and each paginated List RPC has an `iter_*` companion",
        'that yields every item across pages."""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import AsyncIterator, Iterator",
        "from typing import Any, TypeVar",
        "",
        *third_party_block,
        *first_party,
        "from financehub_client._base import AsyncService, MetadataLike, ServiceBase, SyncService",
        "from financehub_client.streams import AsyncResponseStream, ResponseStream",
        "",
        'S = TypeVar("S", bound=ServiceBase)',
    ]
    for asyncio in (False, True):
        for service in services:
            out += ["", "", *render_service(service, asyncio)]
    for asyncio in (False, True):
        out += ["", "", *render_accessors(services, asyncio)]
    names = sorted([s.name for s in services] + [f"Async{s.name}" for s in services]
                   + ["AsyncServices", "SyncServices"])
    out += ["", "", "__all__ = [", *(f'    "{name}",' for name in names), "]"]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    check = parser.parse_args().check
    text = render(collect(compile_descriptors()))
    relative = OUTPUT.relative_to(REPO_ROOT)
    if check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{relative} is stale: run clients/python/scripts/generate_services.py",
                  file=sys.stderr)
            return 1
        print(f"{relative} is fresh")
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
