"""Outermost interceptor: request id, response headers, one JSON access-log line per call.

The request id is the caller's `x-request-id` when it is well formed (Envoy
sets one), else a new one; it goes back to the caller with the other response
headers the inner interceptors collected (rate-limit state), and is carried by
every log line of the call. The access line never includes request or
response bodies or credentials, only the principal's id.
"""

import asyncio
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc

from server.interceptors.base import ServerInterceptor
from server.request_context import (
    current_principal,
    request_id_var,
    response_headers,
    response_headers_var,
)

log = logging.getLogger("financehub.access")

REQUEST_ID_HEADER = "x-request-id"
_WELL_FORMED_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _incoming_request_id(context: grpc.aio.ServicerContext[Any, Any]) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == REQUEST_ID_HEADER and isinstance(value, str) and _WELL_FORMED_ID.match(value):
            return value
    return None


def _status_name(context: grpc.aio.ServicerContext[Any, Any], outcome: str) -> str:
    """`outcome` is "ok", "failed" or "cancelled" (the client went away, or shutdown cut it)."""
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code.name
    return {"ok": "OK", "cancelled": "CANCELLED"}.get(outcome, "UNKNOWN")


class AccessLogInterceptor(ServerInterceptor):
    async def intercept(
        self,
        method: Callable[..., Any],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
    ) -> Any:
        # Read once, up front: touching the context of a call the client already
        # cancelled can crash grpcio (grpc/grpc#29927).
        peer = context.peer()
        request_id = _incoming_request_id(context) or uuid.uuid4().hex
        request_id_var.set(request_id)
        response_headers_var.set([(REQUEST_ID_HEADER, request_id)])
        started = time.perf_counter()
        try:
            result = method(request_or_iterator, context)
            if hasattr(result, "__aiter__"):
                return self._observe_stream(result, context, method_name, started, peer)
            response = await result
            await context.send_initial_metadata(response_headers())
        except asyncio.CancelledError:
            self._log(context, method_name, started, peer, outcome="cancelled")
            raise
        except BaseException:
            self._log(context, method_name, started, peer, outcome="failed")
            raise
        self._log(context, method_name, started, peer, outcome="ok")
        return response

    async def _observe_stream(self, stream: AsyncIterator[Any],
                              context: grpc.aio.ServicerContext[Any, Any],
                              method_name: str, started: float,
                              peer: str) -> AsyncIterator[Any]:
        outcome = "failed"
        try:
            await context.send_initial_metadata(response_headers())
            async for message in stream:
                yield message
            outcome = "ok"
        except (asyncio.CancelledError, GeneratorExit):
            outcome = "cancelled"
            raise
        finally:
            self._log(context, method_name, started, peer, outcome=outcome)

    @staticmethod
    def _log(context: grpc.aio.ServicerContext[Any, Any], method_name: str, started: float,
             peer: str, *, outcome: str) -> None:
        log.info(
            "rpc",
            extra={
                "method": method_name,
                "status": _status_name(context, outcome),
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "peer": peer,
                "principal": current_principal().label,
            },
        )
