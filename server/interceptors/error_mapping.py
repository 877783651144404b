"""Innermost interceptor: domain errors become google.rpc.Status with details.

Every error carries an ErrorInfo (reason, domain `financehub.sa`); bad input
adds a BadRequest with one field violation per problem. Anything unexpected
becomes INTERNAL with only the request id: the exception text goes to the
log, never to the caller.
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


def status_for(error: DomainError) -> status_pb2.Status:
    code = next((c for kind, c in _CODES if isinstance(error, kind)), code_pb2.FAILED_PRECONDITION)
    details = [
        _packed(error_details_pb2.ErrorInfo(
            reason=error.reason, domain=ERROR_DOMAIN,
            metadata={**error.metadata, "request_id": current_request_id()},
        ))
    ]
    if isinstance(error, InvalidArgumentError):
        details.append(_packed(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
            for v in error.violations
        ])))
    if isinstance(error, NotFoundError):
        details.append(_packed(error_details_pb2.ResourceInfo(
            resource_type=error.resource_type, resource_name=error.resource_name,
            description=error.message,
        )))
    if isinstance(error, ResourceExhaustedError):
        retry = duration_pb2.Duration()
        retry.FromMilliseconds(max(1, math.ceil(error.retry_after_s * 1000)))
        details.append(_packed(error_details_pb2.RetryInfo(retry_delay=retry)))
        details.append(_packed(error_details_pb2.QuotaFailure(violations=[
            error_details_pb2.QuotaFailure.Violation(
                subject=error.quota_subject, description=error.quota_description)
        ])))
    return status_pb2.Status(code=code, message=error.message, details=details)


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


async def abort_with(context: grpc.aio.ServicerContext[Any, Any],
                     error: BaseException) -> NoReturn:
    """End the call with the rich status for `error`, plus the collected response headers.

    Every interceptor that refuses a call ends it through here.
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
    await context.abort_with_status(
        _Status(rich.code, rich.details, (*response_headers(), *rich.trailing_metadata)))
    raise AssertionError("abort_with_status always raises")


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
        except grpc.aio.AbortError:
            raise
        except Exception as error:  # noqa: BLE001 - mapped, never leaked
            await abort_with(context, error)

    @staticmethod
    async def _mapped_stream(stream: AsyncIterator[Any],
                             context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
        try:
            async for message in stream:
                yield message
        except grpc.aio.AbortError:
            raise
        except Exception as error:  # noqa: BLE001
            await abort_with(context, error)
