"""Outermost interceptor: request id, response headers, one JSON access-log line per call.

The request id is the caller's `x-request-id` when it is well formed (Envoy
sets one), else a new one; it goes back to the caller with the other response
headers the inner interceptors collected (rate-limit state), and is carried by
every log line of the call. The access line never includes request or
response bodies or credentials, only the principal's id.
"""

import logging
import re
import time
import uuid
from typing import Any

import grpc

from server.interceptors.base import ObservingInterceptor, Outcome, status_name
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


class AccessLogInterceptor(ObservingInterceptor[tuple[float, str]]):
    def call_started(self, context: grpc.aio.ServicerContext[Any, Any],
                     method_name: str) -> tuple[float, str]:
        # Read once, up front: touching the context of a call the client already
        # cancelled can crash grpcio (grpc/grpc#29927).
        peer = context.peer()
        request_id = _incoming_request_id(context) or uuid.uuid4().hex
        request_id_var.set(request_id)
        response_headers_var.set([(REQUEST_ID_HEADER, request_id)])
        return time.perf_counter(), peer

    async def responding(self, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await context.send_initial_metadata(response_headers())

    def call_ended(self, observation: tuple[float, str],
                   context: grpc.aio.ServicerContext[Any, Any], method_name: str,
                   outcome: Outcome, *, streamed: bool) -> None:
        started, peer = observation
        log.info(
            "rpc",
            extra={
                "method": method_name,
                "status": status_name(context, outcome),
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "peer": peer,
                "principal": current_principal().label,
            },
        )
