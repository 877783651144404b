"""What every service accessor does, whatever the RPC: build the request, call the
generated stub on the client's intercepted channel, turn failures into
`FinanceHubError`. The typed methods in `_services.py` (generated from the
contract) are one line each on top of this.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from financehub_client.errors import FinanceHubError
from financehub_client.pagination import apaginate, paginate
from financehub_client.requests import build_request, prepare
from financehub_client.streams import AsyncResponseStream, ResponseStream

T = TypeVar("T")

MetadataLike = Sequence[tuple[str, str | bytes]]


@functools.lru_cache(maxsize=64)
def _service_descriptor(full_name: str) -> ServiceDescriptor:
    return descriptor_pool.Default().FindServiceByName(full_name)


def _stub_class(descriptor: ServiceDescriptor) -> Any:
    module_name = descriptor.file.name.removesuffix(".proto").replace("/", ".") + "_pb2_grpc"
    return getattr(importlib.import_module(module_name), f"{descriptor.name}Stub")


class ServiceSettings:
    """The per-client defaults every accessor applies."""

    def __init__(self, *, timeout: float | None, stream_timeout: float | None,
                 metadata: MetadataLike) -> None:
        self.timeout = timeout
        self.stream_timeout = stream_timeout
        self.metadata = tuple(metadata)


class ServiceBase:
    """What the sync and asyncio accessors share."""

    SERVICE: ClassVar[str]  # full name, e.g. "financehub.v1.MarketService"

    def __init__(self, channel: Any, settings: ServiceSettings) -> None:
        self._descriptor = _service_descriptor(self.SERVICE)
        self._stub = _stub_class(self._descriptor)(channel)
        self._settings = settings

    @property
    def stub(self) -> Any:
        """The generated stub, on the client's channel (credentials and retries apply;
        errors are grpc's own)."""
        return self._stub

    def _method(self, name: str) -> MethodDescriptor:
        return self._descriptor.methods_by_name[name]

    def _request(self, name: str, request: Message | None, fields: Mapping[str, Any]) -> Message:
        method = self._method(name)
        request_type = message_factory.GetMessageClass(method.input_type)
        if request is None:
            request = build_request(request_type, fields)
        elif fields:
            raise TypeError(f"{name}: pass a request message or keyword fields, not both")
        elif not isinstance(request, request_type):
            raise TypeError(f"{name} takes a {request_type.DESCRIPTOR.full_name}, "
                            f"not {type(request).__name__}")
        return prepare(method.full_name, request)

    def _options(self, timeout: float | None, metadata: MetadataLike | None,
                 default_timeout: float | None) -> dict[str, Any]:
        return {"timeout": default_timeout if timeout is None else timeout,
                "metadata": self._settings.metadata + tuple(metadata or ()) or None}


class SyncService(ServiceBase):
    """Base of the sync accessors (`client.market`, ...)."""

    def _unary(self, name: str, response_type: type[T], request: Message | None,
               fields: Mapping[str, Any], timeout: float | None,
               metadata: MetadataLike | None) -> T:
        message = self._request(name, request, fields)
        try:
            response: T = getattr(self._stub, name)(
                message, **self._options(timeout, metadata, self._settings.timeout))
        except grpc.RpcError as error:
            raise FinanceHubError.from_rpc_error(error) from None
        return response

    def _stream(self, name: str, response_type: type[T], request: Message | None,
                fields: Mapping[str, Any], timeout: float | None,
                metadata: MetadataLike | None) -> ResponseStream[T]:
        message = self._request(name, request, fields)
        try:
            call = getattr(self._stub, name)(
                message, **self._options(timeout, metadata, self._settings.stream_timeout))
        except grpc.RpcError as error:
            raise FinanceHubError.from_rpc_error(error) from None
        return ResponseStream(call)

    def _paginate(self, name: str, item_type: type[T], items_field: str,
                  request: Message | None, fields: Mapping[str, Any], timeout: float | None,
                  metadata: MetadataLike | None) -> Iterator[T]:
        first = self._request(name, request, fields)

        def call(page_request: Message) -> Message:
            return self._unary(name, Message, page_request, {}, timeout, metadata)

        return paginate(call, first, items_field)


class AsyncService(ServiceBase):
    """Base of the asyncio accessors."""

    async def _unary(self, name: str, response_type: type[T], request: Message | None,
                     fields: Mapping[str, Any], timeout: float | None,
                     metadata: MetadataLike | None) -> T:
        message = self._request(name, request, fields)
        try:
            response: T = await getattr(self._stub, name)(
                message, **self._options(timeout, metadata, self._settings.timeout))
        except grpc.RpcError as error:
            raise FinanceHubError.from_rpc_error(error) from None
        return response

    def _stream(self, name: str, response_type: type[T], request: Message | None,
                fields: Mapping[str, Any], timeout: float | None,
                metadata: MetadataLike | None) -> AsyncResponseStream[T]:
        message = self._request(name, request, fields)
        call = getattr(self._stub, name)(
            message, **self._options(timeout, metadata, self._settings.stream_timeout))
        return AsyncResponseStream(call)

    def _paginate(self, name: str, item_type: type[T], items_field: str,
                  request: Message | None, fields: Mapping[str, Any], timeout: float | None,
                  metadata: MetadataLike | None) -> AsyncIterator[T]:
        first = self._request(name, request, fields)

        def call(page_request: Message) -> Awaitable[Message]:
            return self._unary(name, Message, page_request, {}, timeout, metadata)

        return apaginate(call, first, items_field)

