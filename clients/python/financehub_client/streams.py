"""Server-streaming answers as iterators (sync) and async iterators (asyncio).

Both raise `FinanceHubError` when the stream fails, can be cancelled, and cancel
the call when used as a context manager and left early:

    with client.quotes.StreamQuotes(symbols=["2222"]) as stream:
        for event in stream:
            ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

import grpc
import grpc.aio

from financehub_client.errors import FinanceHubError

T = TypeVar("T")


class ResponseStream(Generic[T]):
    """The messages of a server-streaming call."""

    def __init__(self, call: Any) -> None:
        self._call = call

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        try:
            message: T = next(self._call)
        except grpc.RpcError as error:
            raise FinanceHubError.from_rpc_error(error) from None
        return message

    def cancel(self) -> None:
        """Stop the stream; the server sees the call cancelled."""
        self._call.cancel()

    def initial_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        """The response headers (waits for them)."""
        return tuple(self._call.initial_metadata() or ())

    def __enter__(self) -> ResponseStream[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.cancel()


class AsyncResponseStream(Generic[T]):
    """The messages of a server-streaming call, for `async for`."""

    def __init__(self, call: Any) -> None:
        self._call = call
        self._messages: AsyncIterator[T] | None = None

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        if self._messages is None:
            self._messages = self._call.__aiter__()
        try:
            return await self._messages.__anext__()
        except grpc.RpcError as error:
            raise FinanceHubError.from_rpc_error(error) from None

    def cancel(self) -> None:
        self._call.cancel()

    async def initial_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        return tuple(await self._call.initial_metadata() or ())

    async def __aenter__(self) -> AsyncResponseStream[T]:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        self.cancel()
