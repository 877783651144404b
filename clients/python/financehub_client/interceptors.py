"""The client interceptors that apply credentials and retries to every call.

Order, outermost first: retry (unary calls) -> credentials (every call) -> the
caller's own interceptors -> the wire. Each retry attempt therefore gets fresh
credentials, and the caller's interceptors see every attempt as it is sent.
The sync and asyncio versions share their decisions (`RetryPlan`,
`method_info`, the sessions' rules) and differ only in blocking vs awaiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Protocol

import grpc
import grpc.aio

from financehub_client._methods import method_info
from financehub_client.auth import Headers
from financehub_client.retry import RetryPlan, RetryPolicy

_CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key"})


class SyncAuth(Protocol):
    def headers(self, public: bool) -> tuple[Headers, str | None]: ...


class AsyncAuth(Protocol):
    async def aheaders(self, public: bool) -> tuple[Headers, str | None]: ...


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Sequence[tuple[str, str | bytes]] | None
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None


class _SyncCallDetails(_CallDetails, grpc.ClientCallDetails):
    pass


_SAME: Any = object()  # keep the call's timeout


def _sync_details(details: grpc.ClientCallDetails, *, timeout: float | None = _SAME,
                  extra: Iterable[tuple[str, str]] = ()) -> grpc.ClientCallDetails:
    """`details` with another timeout and/or more metadata."""
    metadata = tuple(getattr(details, "metadata", None) or ()) + tuple(extra)
    return _SyncCallDetails(
        method=details.method,
        timeout=details.timeout if timeout is _SAME else timeout,
        metadata=metadata or None,
        credentials=getattr(details, "credentials", None),
        wait_for_ready=getattr(details, "wait_for_ready", None),
        compression=getattr(details, "compression", None),
    )


def _aio_details(details: grpc.aio.ClientCallDetails, *, timeout: float | None = _SAME,
                 extra: Iterable[tuple[str, str]] = ()) -> grpc.aio.ClientCallDetails:
    metadata = grpc.aio.Metadata(*(details.metadata or ()), *extra)
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout if timeout is _SAME else timeout, metadata,
        details.credentials, details.wait_for_ready)


def _has_own_credentials(metadata: Iterable[tuple[str, Any]] | None) -> bool:
    """The caller put credentials on this call: leave them alone."""
    return any(key in _CREDENTIAL_HEADERS for key, _ in metadata or ())


def _is_public(method: str | bytes) -> bool:
    info = method_info(method)
    return bool(info and info.public)


# --- sync -----------------------------------------------------------------------------------


class SyncRetryInterceptor(grpc.UnaryUnaryClientInterceptor):
    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def intercept_unary_unary(self, continuation: Any, client_call_details: Any,
                              request: Any) -> Any:
        plan = RetryPlan(self._policy, method_info(client_call_details.method), request,
                         client_call_details.timeout)
        while True:
            attempt = _sync_details(client_call_details, timeout=plan.attempt_timeout())
            outcome = continuation(attempt, request)
            code = outcome.code()
            delay = plan.delay_after(code, outcome.trailing_metadata()) if isinstance(
                code, grpc.StatusCode) else None
            if delay is None:
                return outcome
            time.sleep(delay)


class SyncAuthInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    def __init__(self, auth: SyncAuth) -> None:
        self._auth = auth

    def _authorize(self, details: Any) -> tuple[Any, str | None]:
        if _has_own_credentials(details.metadata):
            return details, None
        headers, token = self._auth.headers(_is_public(details.method))
        return _sync_details(details, extra=headers), token

    def intercept_unary_unary(self, continuation: Any, client_call_details: Any,
                              request: Any) -> Any:
        details, token = self._authorize(client_call_details)
        outcome = continuation(details, request)
        renew = getattr(self._auth, "renew", None)
        if token is not None and renew is not None and (
                outcome.code() is grpc.StatusCode.UNAUTHENTICATED):
            renew(token)
            details, token = self._authorize(client_call_details)
            outcome = continuation(details, request)
        return outcome

    def intercept_unary_stream(self, continuation: Any, client_call_details: Any,
                               request: Any) -> Any:
        return continuation(self._authorize(client_call_details)[0], request)

    def intercept_stream_unary(self, continuation: Any, client_call_details: Any,
                               request_iterator: Any) -> Any:
        return continuation(self._authorize(client_call_details)[0], request_iterator)

    def intercept_stream_stream(self, continuation: Any, client_call_details: Any,
                                request_iterator: Any) -> Any:
        return continuation(self._authorize(client_call_details)[0], request_iterator)


# --- asyncio --------------------------------------------------------------------------------


class AsyncRetryInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    async def intercept_unary_unary(self, continuation: Any,
                                    client_call_details: grpc.aio.ClientCallDetails,
                                    request: Any) -> Any:
        plan = RetryPlan(self._policy, method_info(client_call_details.method), request,
                         client_call_details.timeout)
        while True:
            attempt = _aio_details(client_call_details, timeout=plan.attempt_timeout())
            try:
                call = await continuation(attempt, request)
            except grpc.aio.AioRpcError as error:
                # Raised by an inner interceptor before the call went out (the session's
                # Login or RefreshToken failed): retried like the call's own failure.
                delay = plan.delay_after(error.code(), error.trailing_metadata())
                if delay is None:
                    raise
                await asyncio.sleep(delay)
                continue
            code = await call.code()
            delay = (plan.delay_after(code, await call.trailing_metadata())
                     if code is not grpc.StatusCode.OK else None)
            if delay is None:
                return call
            await asyncio.sleep(delay)


class AsyncAuthInterceptor(
    grpc.aio.UnaryUnaryClientInterceptor,
    grpc.aio.UnaryStreamClientInterceptor,
    grpc.aio.StreamUnaryClientInterceptor,
    grpc.aio.StreamStreamClientInterceptor,
):
    def __init__(self, auth: AsyncAuth) -> None:
        self._auth = auth

    async def _authorize(self, details: grpc.aio.ClientCallDetails,
                         ) -> tuple[grpc.aio.ClientCallDetails, str | None]:
        if _has_own_credentials(details.metadata):
            return details, None
        headers, token = await self._auth.aheaders(_is_public(details.method))
        return _aio_details(details, extra=headers), token

    async def intercept_unary_unary(self, continuation: Any,
                                    client_call_details: grpc.aio.ClientCallDetails,
                                    request: Any) -> Any:
        details, token = await self._authorize(client_call_details)
        call = await continuation(details, request)
        renew = getattr(self._auth, "renew", None)
        if token is not None and renew is not None and (
                await call.code() is grpc.StatusCode.UNAUTHENTICATED):
            await renew(token)
            details, token = await self._authorize(client_call_details)
            call = await continuation(details, request)
        return call

    async def intercept_unary_stream(self, continuation: Any,
                                     client_call_details: grpc.aio.ClientCallDetails,
                                     request: Any) -> Any:
        return await continuation((await self._authorize(client_call_details))[0], request)

    async def intercept_stream_unary(self, continuation: Any,
                                     client_call_details: grpc.aio.ClientCallDetails,
                                     request_iterator: Any) -> Any:
        return await continuation((await self._authorize(client_call_details))[0],
                                  request_iterator)

    async def intercept_stream_stream(self, continuation: Any,
                                      client_call_details: grpc.aio.ClientCallDetails,
                                      request_iterator: Any) -> Any:
        return await continuation((await self._authorize(client_call_details))[0],
                                  request_iterator)
