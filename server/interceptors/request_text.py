"""Innermost interceptor: refuses request text that no store can hold.

A protobuf string may carry U+0000; a Postgres `text` value may not (the driver refuses
it with an error that would surface as INTERNAL). No field of the contract has a use for
it, so a request with NUL in any string field, however deeply nested, is refused here as
INVALID_ARGUMENT, one field violation per offending field (`texts[2]`,
`strategy.rules.entry.conditions[0].left.indicator.line`), before any servicer runs.
It sits inside the error-mapping interceptor, which turns the refusal into the status.
"""

from collections.abc import Callable, Iterator
from typing import Any

import grpc
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from server.domain.errors import FieldViolation, InvalidArgumentError
from server.interceptors.base import ServerInterceptor
from server.interceptors.policies import proceed

NUL = "\x00"

_HAS_TEXT: dict[str, bool] = {}


def _has_text(descriptor: Descriptor, seen: frozenset[str] = frozenset()) -> bool:
    """Whether a message of `descriptor` can hold a string anywhere (cached per type)."""
    known = _HAS_TEXT.get(descriptor.full_name)
    if known is not None:
        return known
    if descriptor.full_name in seen:
        return False  # a cycle: its strings, if any, are found on the way in
    inner = seen | {descriptor.full_name}
    found = any(field.type == FieldDescriptor.TYPE_STRING
                or (field.message_type is not None and _has_text(field.message_type, inner))
                for field in descriptor.fields)
    if not seen:
        _HAS_TEXT[descriptor.full_name] = found
    return found


def nul_fields(message: Message, prefix: str = "") -> Iterator[str]:
    """The path of every string field (or map key or value) of `message` holding U+0000."""
    if not _has_text(message.DESCRIPTOR):
        return
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                entry = f"{path}[{key!r}]"
                if isinstance(key, str) and NUL in key:
                    yield entry
                yield from _value_nul_fields(item, entry)
        elif field.is_repeated:
            for index, item in enumerate(value):
                yield from _value_nul_fields(item, f"{path}[{index}]")
        else:
            yield from _value_nul_fields(value, path)


def _value_nul_fields(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, Message):
        yield from nul_fields(value, f"{path}.")


def refuse_nul_text(request: Message) -> None:
    """Raise InvalidArgumentError when any string of `request` holds U+0000."""
    paths = list(nul_fields(request))
    if paths:
        raise InvalidArgumentError([FieldViolation(path, "must not contain NUL (U+0000)")
                                    for path in paths])


class RequestTextInterceptor(ServerInterceptor):
    async def intercept(
        self,
        method: Callable[..., Any],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
    ) -> Any:
        if isinstance(request_or_iterator, Message):  # client streams are not checked
            refuse_nul_text(request_or_iterator)
        return await proceed(method, request_or_iterator, context)
