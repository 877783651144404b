"""Errors the domain and storage layers raise; the error-mapping interceptor
turns each into a google.rpc.Status with details. Pure Python: no gRPC here."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request: `field` is its path, e.g. `start_date.month`."""

    field: str
    description: str


class DomainError(Exception):
    """Base class. `reason` is an UPPER_SNAKE_CASE code clients can switch on."""

    reason: str = "DOMAIN_ERROR"

    def __init__(self, message: str, *, reason: str | None = None,
                 metadata: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.metadata = dict(metadata or {})


class InvalidArgumentError(DomainError):
    reason = "INVALID_ARGUMENT"

    def __init__(self, violations: list[FieldViolation], *, message: str | None = None,
                 reason: str | None = None) -> None:
        self.violations = list(violations)
        summary = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        super().__init__(message or f"invalid request: {summary}", reason=reason)


class NotFoundError(DomainError):
    reason = "NOT_FOUND"

    def __init__(self, resource_type: str, resource_name: str, *,
                 reason: str | None = None) -> None:
        self.resource_type = resource_type
        self.resource_name = resource_name
        super().__init__(
            f"{resource_type} {resource_name!r} not found",
            reason=reason,
            metadata={"resource_type": resource_type, "resource_name": resource_name},
        )


class FailedPreconditionError(DomainError):
    reason = "FAILED_PRECONDITION"


class AlreadyExistsError(DomainError):
    reason = "ALREADY_EXISTS"


class UnauthenticatedError(DomainError):
    """No valid credentials (or credentials that were refused)."""

    reason = "UNAUTHENTICATED"


class PermissionDeniedError(DomainError):
    reason = "PERMISSION_DENIED"


class AbortedError(DomainError):
    """The operation was cut short; the caller should start it again (and reconcile)."""

    reason = "ABORTED"


class UnimplementedError(DomainError):
    """A method of the contract that is not built yet."""

    reason = "NOT_IMPLEMENTED"


class UnavailableError(DomainError):
    """A service the answer depends on (the LLM, say) cannot be reached now; retry later."""

    reason = "UNAVAILABLE"


class DeadlineExceededError(DomainError):
    """A service the answer depends on did not answer in time."""

    reason = "DEADLINE_EXCEEDED"


class ResourceExhaustedError(DomainError):
    """A limit was reached; the caller may retry after `retry_after_s`.

    `quota_subject` and `quota_description` say which limit (QuotaFailure).
    """

    reason = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, *, retry_after_s: float, quota_subject: str,
                 quota_description: str, reason: str | None = None,
                 metadata: dict[str, str] | None = None) -> None:
        super().__init__(message, reason=reason, metadata=metadata)
        self.retry_after_s = retry_after_s
        self.quota_subject = quota_subject
        self.quota_description = quota_description


@dataclass
class ViolationCollector:
    """Collects every field violation of a request before failing, so a client
    sees all of its mistakes in one answer."""

    violations: list[FieldViolation] = field(default_factory=list)

    def add(self, field_path: str, description: str) -> None:
        self.violations.append(FieldViolation(field_path, description))

    def raise_if_any(self) -> None:
        if self.violations:
            raise InvalidArgumentError(self.violations)
