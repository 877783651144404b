"""Innermost interceptor: domain errors become google.rpc.Status with details.

Every error carries an ErrorInfo (reason, domain `financehub.sa`); bad input
adds a BadRequest with one field violation per problem. Anything unexpected
becomes INTERNAL with only the request id: the exception text goes to the
log, never to the caller.

The status travels in the trailers (`grpc-message`, `grpc-status-details-bin`), which
clients cap at 8 KiB: past that they drop the whole status and report RESOURCE_EXHAUSTED
instead. Errors may echo what the caller sent (a 100 KB symbol that was not found, one
violation per item of a 5,000-item list), so every text is clipped and the violations
are capped, keeping the trailers under about 5 KiB whatever the request.
"""

import collections
import logging
import math
from collections.abc import AsyncIterator, Callable
from typing import Any, NoReturn

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from server.domain.errors import (
    AbortedError,
    AlreadyExistsError,
    DeadlineExceededError,
    DomainError,
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    UnauthenticatedError,
    UnavailableError,
    UnimplementedError,
)
from server.interceptors.base import ServerInterceptor
from server.request_context import current_request_id, response_headers

log = logging.getLogger(__name__)

ERROR_DOMAIN = "financehub.sa"

_CODES: tuple[tuple[type[DomainError], int], ...] = (
    (InvalidArgumentError, code_pb2.INVALID_ARGUMENT),
    (NotFoundError, code_pb2.NOT_FOUND),
    (FailedPreconditionError, code_pb2.FAILED_PRECONDITION),
    (AlreadyExistsError, code_pb2.ALREADY_EXISTS),
    (UnauthenticatedError, code_pb2.UNAUTHENTICATED),
    (PermissionDeniedError, code_pb2.PERMISSION_DENIED),
    (ResourceExhaustedError, code_pb2.RESOURCE_EXHAUSTED),
    (UnimplementedError, code_pb2.UNIMPLEMENTED),
    (AbortedError, code_pb2.ABORTED),
    (UnavailableError, code_pb2.UNAVAILABLE),
    (DeadlineExceededError, code_pb2.DEADLINE_EXCEEDED),
)


def _packed(message: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


# Bounds on what one status may carry (UTF-8 bytes; `grpc-message` percent-encodes
# non-ASCII bytes, tripling them, and the details are sent again in base64).
MAX_MESSAGE_BYTES = 400
MAX_TEXT_BYTES = 100
MAX_FIELD_VIOLATIONS = 10
_ELLIPSIS = "…"


def clipped(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    """`text`, cut to at most `limit` UTF-8 bytes (on a character boundary) and marked."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    keep = limit - len(_ELLIPSIS.encode())
    return encoded[:keep].decode(errors="ignore") + _ELLIPSIS


def status_for(error: DomainError) -> status_pb2.Status:
    code = next((c for kind, c in _CODES if isinstance(error, kind)), code_pb2.FAILED_PRECONDITION)
    metadata = {clipped(key): clipped(value) for key, value in error.metadata.items()}
    violations: list[FieldViolation] = []
    if isinstance(error, InvalidArgumentError):
        violations = error.violations[:MAX_FIELD_VIOLATIONS]
        if len(error.violations) > len(violations):
            metadata["omitted_field_violations"] = str(len(error.violations) - len(violations))
    details = [
        _packed(error_details_pb2.ErrorInfo(
            reason=clipped(error.reason), domain=ERROR_DOMAIN,
            metadata={**metadata, "request_id": current_request_id()},
        ))
    ]
    if isinstance(error, InvalidArgumentError):
        details.append(_packed(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=clipped(v.field),
                                                        description=clipped(v.description))
            for v in violations
        ])))
    message = clipped(error.message, MAX_MESSAGE_BYTES)
    if isinstance(error, NotFoundError):
        details.append(_packed(error_details_pb2.ResourceInfo(
            resource_type=clipped(error.resource_type),
            resource_name=clipped(error.resource_name), description=message,
        )))
    if isinstance(error, ResourceExhaustedError):
        retry = duration_pb2.Duration()
        retry.FromMilliseconds(max(1, math.ceil(error.retry_after_s * 1000)))
        details.append(_packed(error_details_pb2.RetryInfo(retry_delay=retry)))
        details.append(_packed(error_details_pb2.QuotaFailure(violations=[
            error_details_pb2.QuotaFailure.Violation(
                subject=clipped(error.quota_subject),
                description=clipped(error.quota_description))
        ])))
    return status_pb2.Status(code=code, message=message, details=details)


def internal_status() -> status_pb2.Status:
    request_id = current_request_id()
    return status_pb2.Status(
        code=code_pb2.INTERNAL,
        message=f"internal error; quote request id {request_id} when reporting it",
        details=[_packed(error_details_pb2.ErrorInfo(
            reason="INTERNAL", domain=ERROR_DOMAIN, metadata={"request_id": request_id},
        ))],
    )


class _Status(
    collections.namedtuple("_Status", ("code", "details", "trailing_metadata")), grpc.Status
):
    pass


class CallRefused(Exception):  # noqa: N818 - a signal, not a failure
    """A refused call's status, unwinding the interceptors to `RefusalInterceptor`, the
    outermost, which ends the call with it (each interceptor inside sees a failed call).

    Why not `context.abort` where the refusal happens: grpc keeps the AbortError on the
    call's state, and that error's traceback holds every interceptor frame, which hold the
    context and the request: a reference cycle that keeps each refused request (up to
    4 MiB) alive until a full garbage collection, which a server with a large heap runs
    rarely. Aborting from the outermost frame only, with the request let go first, leaves
    nothing large in that cycle."""

    def __init__(self, status: grpc.Status) -> None:
        super().__init__(status.code)
        self.status = status


async def abort_with(context: grpc.aio.ServicerContext[Any, Any],
                     error: BaseException) -> NoReturn:
    """End the call with the rich status for `error`, plus the collected response headers.

    Every interceptor that refuses a call ends it through here. The code and message are
    set on the context at once, for the interceptors that observe how calls end.
    """
    if isinstance(error, NotImplementedError):
        # What a generated servicer base raises for a method nobody has built yet.
        error = UnimplementedError("this method is not available yet")
    if isinstance(error, DomainError):
        status = status_for(error)
    else:
        log.error("unhandled error", exc_info=error)
        status = internal_status()
    rich = rpc_status.to_status(status)
    context.set_code(rich.code)
    context.set_details(rich.details)
    raise CallRefused(
        _Status(rich.code, rich.details, (*response_headers(), *rich.trailing_metadata)))


class ErrorMappingInterceptor(ServerInterceptor):
    async def intercept(
        self,
        method: Callable[..., Any],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
    ) -> Any:
        try:
            result = method(request_or_iterator, context)
            if hasattr(result, "__aiter__"):
                # Errors raised mid-stream never reach `intercept`: map them here.
                return self._mapped_stream(result, context)
            return await result
        except (CallRefused, grpc.aio.AbortError):
            raise
        except Exception as error:  # noqa: BLE001 - mapped, never leaked
            await abort_with(context, error)

    @staticmethod
    async def _mapped_stream(stream: AsyncIterator[Any],
                             context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
        try:
            async for message in stream:
                yield message
        except (CallRefused, grpc.aio.AbortError):
            raise
        except Exception as error:  # noqa: BLE001
            await abort_with(context, error)
