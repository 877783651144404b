"""server.domain.errors: violations, collector and error classes."""

import pytest

from server.domain.errors import (
    DomainError,
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    ViolationCollector,
)


def test_collector_without_violations_does_not_raise():
    collector = ViolationCollector()
    assert collector.raise_if_any() is None
    assert collector.violations == []


def test_collector_raises_once_with_every_violation_in_order():
    collector = ViolationCollector()
    collector.add("page_size", "must not be negative")
    collector.add("start_date.month", "must be 1 to 12")
    collector.add("symbol", "is required")
    with pytest.raises(InvalidArgumentError) as caught:
        collector.raise_if_any()
    assert caught.value.violations == [
        FieldViolation("page_size", "must not be negative"),
        FieldViolation("start_date.month", "must be 1 to 12"),
        FieldViolation("symbol", "is required"),
    ]


def test_collectors_do_not_share_their_list():
    first, second = ViolationCollector(), ViolationCollector()
    first.add("a", "b")
    assert second.violations == []
    second.raise_if_any()  # still nothing to raise


def test_invalid_argument_message_mentions_each_field():
    error = InvalidArgumentError([FieldViolation("page_size", "must not be negative"),
                                  FieldViolation("symbol", "is required")])
    assert error.message == ("invalid request: page_size: must not be negative; "
                             "symbol: is required")
    assert str(error) == error.message
    assert error.reason == "INVALID_ARGUMENT"
    assert isinstance(error, DomainError)


def test_invalid_argument_copies_violations_and_takes_custom_message_and_reason():
    violations = [FieldViolation("x", "bad")]
    error = InvalidArgumentError(violations, message="nope", reason="BAD_X")
    violations.append(FieldViolation("y", "late"))
    assert error.violations == [FieldViolation("x", "bad")]
    assert error.message == "nope"
    assert error.reason == "BAD_X"
    # the class default is untouched
    assert InvalidArgumentError.reason == "INVALID_ARGUMENT"


def test_not_found_error():
    error = NotFoundError("ticker", "1234")
    assert error.message == "ticker '1234' not found"
    assert error.reason == "NOT_FOUND"
    assert error.metadata == {"resource_type": "ticker", "resource_name": "1234"}
    assert (error.resource_type, error.resource_name) == ("ticker", "1234")
    assert NotFoundError("ticker", "1234", reason="TICKER_NOT_FOUND").reason == "TICKER_NOT_FOUND"


def test_domain_error_metadata_is_copied():
    metadata = {"k": "v"}
    error = FailedPreconditionError("not yet", metadata=metadata)
    metadata["k"] = "changed"
    assert error.metadata == {"k": "v"}
    assert error.reason == "FAILED_PRECONDITION"
    assert DomainError("x").metadata == {}
