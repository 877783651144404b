"""server.interceptors.error_mapping: domain errors -> google.rpc.Status with details."""

import contextvars

import pytest
from google.rpc import code_pb2, error_details_pb2

from server.domain.errors import (
    DomainError,
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
)
from server.interceptors.error_mapping import ERROR_DOMAIN, internal_status, status_for
from server.request_context import request_id_var


def _in_request(request_id, fn, *args):
    """Run fn as if inside a call with the given request id (a fresh context)."""
    context = contextvars.copy_context()

    def run():
        request_id_var.set(request_id)
        return fn(*args)

    return context.run(run)


def _details(status):
    kinds = {
        "ErrorInfo": error_details_pb2.ErrorInfo,
        "BadRequest": error_details_pb2.BadRequest,
        "ResourceInfo": error_details_pb2.ResourceInfo,
    }
    found = {}
    for packed in status.details:
        name = packed.TypeName().rsplit(".", 1)[-1]
        message = kinds[name]()
        assert packed.Unpack(message)
        assert name not in found, f"{name} twice"
        found[name] = message
    return found


def test_error_domain():
    assert ERROR_DOMAIN == "financehub.sa"


def test_invalid_argument_status():
    error = InvalidArgumentError([FieldViolation("page_size", "must not be negative"),
                                  FieldViolation("symbol", "is required")])
    status = _in_request("req-42", status_for, error)
    assert status.code == 3 == code_pb2.INVALID_ARGUMENT
    assert status.message == ("invalid request: page_size: must not be negative; "
                              "symbol: is required")
    details = _details(status)
    assert set(details) == {"ErrorInfo", "BadRequest"}
    info = details["ErrorInfo"]
    assert info.domain == "financehub.sa"
    assert info.reason == "INVALID_ARGUMENT"
    assert dict(info.metadata) == {"request_id": "req-42"}
    assert [(v.field, v.description) for v in details["BadRequest"].field_violations] == [
        ("page_size", "must not be negative"),
        ("symbol", "is required"),
    ]


def test_custom_reason_is_carried():
    error = InvalidArgumentError([FieldViolation("x", "y")], reason="BAD_RANGE")
    assert _details(status_for(error))["ErrorInfo"].reason == "BAD_RANGE"


def test_not_found_status():
    status = _in_request("req-7", status_for, NotFoundError("ticker", "1234"))
    assert status.code == 5 == code_pb2.NOT_FOUND
    assert status.message == "ticker '1234' not found"
    details = _details(status)
    assert set(details) == {"ErrorInfo", "ResourceInfo"}
    info = details["ErrorInfo"]
    assert (info.domain, info.reason) == ("financehub.sa", "NOT_FOUND")
    assert dict(info.metadata) == {"resource_type": "ticker", "resource_name": "1234",
                                   "request_id": "req-7"}
    resource = details["ResourceInfo"]
    assert (resource.resource_type, resource.resource_name) == ("ticker", "1234")
    assert resource.description == "ticker '1234' not found"


def test_failed_precondition_and_unknown_domain_errors():
    status = status_for(FailedPreconditionError("market closed", reason="MARKET_CLOSED"))
    assert status.code == 9 == code_pb2.FAILED_PRECONDITION
    assert _details(status)["ErrorInfo"].reason == "MARKET_CLOSED"
    assert set(_details(status)) == {"ErrorInfo"}
    plain = status_for(DomainError("something"))
    assert plain.code == code_pb2.FAILED_PRECONDITION
    assert _details(plain)["ErrorInfo"].reason == "DOMAIN_ERROR"


def test_request_id_defaults_outside_a_call():
    status = contextvars.Context().run(status_for, NotFoundError("ticker", "1"))
    assert _details(status)["ErrorInfo"].metadata["request_id"] == "-"


def test_internal_status_carries_only_the_request_id():
    secret = "password=hunter2 at /srv/db.py line 12"
    try:
        raise RuntimeError(secret)
    except RuntimeError:
        status = _in_request("abc-123", internal_status)
    assert status.code == 13 == code_pb2.INTERNAL
    assert "abc-123" in status.message
    assert "hunter2" not in status.message and "RuntimeError" not in status.message
    assert "hunter2" not in status.SerializeToString().decode("utf-8", "replace")
    details = _details(status)
    assert set(details) == {"ErrorInfo"}
    info = details["ErrorInfo"]
    assert (info.reason, info.domain) == ("INTERNAL", "financehub.sa")
    assert dict(info.metadata) == {"request_id": "abc-123"}


@pytest.mark.parametrize("request_id", ["r1", "r2"])
def test_internal_status_follows_the_current_request(request_id):
    assert request_id in _in_request(request_id, internal_status).message


def test_a_status_stays_small_whatever_the_error_echoes():
    # Trailers over the client's 8 KiB limit lose the whole status: clip and cap.
    huge = "\U0001f4c8" * 50_000
    error = InvalidArgumentError([FieldViolation(f"symbols[{i}]", f"{huge} is not a symbol")
                                  for i in range(5_000)])
    status = _in_request("req-big", status_for, error)
    details = _details(status)
    violations = details["BadRequest"].field_violations
    assert len(violations) == 10
    assert details["ErrorInfo"].metadata["omitted_field_violations"] == "4990"
    assert all(len(v.description.encode()) <= 100 for v in violations)
    assert len(status.message.encode()) <= 400 and status.message.endswith("…")
    assert status.ByteSize() < 4096

    missing = _in_request("req-big", status_for, NotFoundError("ticker", huge))
    assert missing.ByteSize() < 4096
    assert _details(missing)["ResourceInfo"].resource_name.endswith("…")
