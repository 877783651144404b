"""Errors raised by every call: `FinanceHubError`, decoded from the rich `google.rpc.Status`.

The server answers every refusal with a `google.rpc.Status` in the
`grpc-status-details-bin` trailer: an `ErrorInfo` (reason, domain `financehub.sa`,
the request id) always, a `BadRequest` with field violations for bad input,
`ResourceInfo` for NOT_FOUND, `RetryInfo` and `QuotaFailure` on rate limits. This
module turns that into attributes, and picks a subclass per status code so callers
can `except NotFoundError:`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import grpc
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2

STATUS_DETAILS_KEY = "grpc-status-details-bin"
REQUEST_ID_KEY = "x-request-id"

MetadataPairs = tuple[tuple[str, str | bytes], ...]


class FieldViolation(NamedTuple):
    """One bad field of a request: `field` is its path (`symbol`, `legs[0].quantity`)."""

    field: str
    description: str


class QuotaViolation(NamedTuple):
    subject: str
    description: str


class FinanceHubError(grpc.RpcError):
    """A failed call, with the server's error details decoded.

    It is a `grpc.RpcError`, so existing `except grpc.RpcError` handlers still catch it;
    unlike grpc's own errors, `code` and `message` are attributes, not methods.

    Attributes:
        code: the gRPC status code.
        message: the status message.
        reason: `ErrorInfo.reason` (`TICKER_NOT_FOUND`, `RATE_LIMIT_EXCEEDED`...), or None
            when the answer carried no ErrorInfo (a transport failure, say).
        domain: `ErrorInfo.domain` (`financehub.sa`).
        metadata: `ErrorInfo.metadata` (the request id, limits...).
        field_violations: the `BadRequest` field violations, as (field, description).
        retry_delay: seconds the server asked to wait (`RetryInfo`), or None.
        quota_violations: the `QuotaFailure` violations, as (subject, description).
        resource_type, resource_name: the `ResourceInfo` of a NOT_FOUND, if any.
        request_id: the server's request id for this call (quote it when reporting).
        status: the decoded `google.rpc.Status`, or None.
        trailing_metadata: the call's trailing metadata.
    """

    def __init__(self, code: grpc.StatusCode, message: str, *,
                 status: status_pb2.Status | None = None,
                 trailing_metadata: MetadataPairs = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.trailing_metadata = trailing_metadata
        self.reason: str | None = None
        self.domain: str | None = None
        self.metadata: dict[str, str] = {}
        self.field_violations: list[FieldViolation] = []
        self.quota_violations: list[QuotaViolation] = []
        self.retry_delay: float | None = None
        self.resource_type: str | None = None
        self.resource_name: str | None = None
        for detail in status.details if status is not None else ():
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                self.reason, self.domain = info.reason, info.domain
                self.metadata = dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                self.field_violations.extend(
                    FieldViolation(v.field, v.description) for v in bad.field_violations)
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry = error_details_pb2.RetryInfo()
                detail.Unpack(retry)
                self.retry_delay = retry.retry_delay.ToNanoseconds() / 1e9
            elif detail.Is(error_details_pb2.QuotaFailure.DESCRIPTOR):
                quota = error_details_pb2.QuotaFailure()
                detail.Unpack(quota)
                self.quota_violations.extend(
                    QuotaViolation(v.subject, v.description) for v in quota.violations)
            elif detail.Is(error_details_pb2.ResourceInfo.DESCRIPTOR):
                resource = error_details_pb2.ResourceInfo()
                detail.Unpack(resource)
                self.resource_type = resource.resource_type
                self.resource_name = resource.resource_name
        self.request_id: str | None = self.metadata.get("request_id") or _text_value(
            trailing_metadata, REQUEST_ID_KEY)

    @property
    def fields(self) -> list[str]:
        """Just the names of the violated fields."""
        return [violation.field for violation in self.field_violations]

    def __str__(self) -> str:
        text = f"{self.code.name}: {self.message}"
        if self.reason:
            text += f" (reason {self.reason})"
        if self.field_violations:
            text += "; " + "; ".join(f"{v.field}: {v.description}"
                                     for v in self.field_violations)
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(code={self.code.name}, message={self.message!r}, "
                f"reason={self.reason!r}, field_violations={self.field_violations!r}, "
                f"retry_delay={self.retry_delay!r}, request_id={self.request_id!r})")

    @classmethod
    def from_status(cls, code: grpc.StatusCode, message: str,
                    trailing_metadata: Iterable[tuple[str, Any]] | None) -> FinanceHubError:
        """The error for a call that ended with `code`, of the subclass for that code."""
        pairs = _pairs(trailing_metadata)
        kind = _BY_CODE.get(code, FinanceHubError)
        return kind(code, message, status=decode_status(code, pairs), trailing_metadata=pairs)

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> FinanceHubError:
        """Wrap an error raised by grpc (sync or asyncio); a FinanceHubError passes through."""
        if isinstance(error, FinanceHubError):
            return error
        code_of = getattr(error, "code", None)
        code = code_of() if callable(code_of) else None
        if not isinstance(code, grpc.StatusCode):
            code = grpc.StatusCode.UNKNOWN
        details_of = getattr(error, "details", None)
        message = details_of() if callable(details_of) else None
        trailers_of = getattr(error, "trailing_metadata", None)
        trailers = trailers_of() if callable(trailers_of) else None
        return cls.from_status(code, message if isinstance(message, str) else str(error),
                               trailers)


def _pairs(metadata: Iterable[tuple[str, Any]] | None) -> MetadataPairs:
    return tuple((str(key), value) for key, value in metadata or ()
                 if isinstance(value, str | bytes))


def _text_value(metadata: Sequence[tuple[str, str | bytes]], key: str) -> str | None:
    for name, value in metadata:
        if name == key and isinstance(value, str):
            return value
    return None


def decode_status(code: grpc.StatusCode,
                  trailing_metadata: Iterable[tuple[str, Any]] | None) -> status_pb2.Status | None:
    """The `google.rpc.Status` carried in `grpc-status-details-bin`, if it matches `code`."""
    for key, value in trailing_metadata or ():
        if key != STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        try:
            status = status_pb2.Status.FromString(value)
        except DecodeError:
            return None
        return status if status.code == code.value[0] else None
    return None


class InvalidArgumentError(FinanceHubError):
    """INVALID_ARGUMENT: see `field_violations`."""


class NotFoundError(FinanceHubError):
    """NOT_FOUND: see `resource_type` / `resource_name`."""


class AlreadyExistsError(FinanceHubError):
    """ALREADY_EXISTS (a client key reused for a different request, say)."""


class FailedPreconditionError(FinanceHubError):
    """FAILED_PRECONDITION (market closed, LLM not configured...)."""


class UnauthenticatedError(FinanceHubError):
    """UNAUTHENTICATED: missing, expired or revoked credentials."""


class PermissionDeniedError(FinanceHubError):
    """PERMISSION_DENIED: the caller's role lacks the RPC's permission."""


class ResourceExhaustedError(FinanceHubError):
    """RESOURCE_EXHAUSTED: rate limit or quota; see `retry_delay`."""


class UnavailableError(FinanceHubError):
    """UNAVAILABLE: the server could not be reached or is shutting down."""


class DeadlineExceededError(FinanceHubError):
    """DEADLINE_EXCEEDED: the call's timeout ran out."""


class InternalError(FinanceHubError):
    """INTERNAL: a server fault; `request_id` identifies it in the server's log."""


_BY_CODE: dict[grpc.StatusCode, type[FinanceHubError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceededError,
    grpc.StatusCode.INTERNAL: InternalError,
}
