"""What a call is told when the database cuts it short: a retryable status of the right kind,
never the driver's text."""

import psycopg
import pytest
from psycopg.errors import DeadlockDetected, QueryCanceled, SerializationFailure
from psycopg_pool import PoolTimeout

from server.domain.errors import AbortedError, UnavailableError
from server.storage.database import refusal_for


@pytest.mark.parametrize(("error", "kind", "reason"), [
    (DeadlockDetected("deadlock detected DETAIL: Process 1 waits for ShareLock"),
     AbortedError, "TRANSACTION_CONFLICT"),
    (SerializationFailure("could not serialize access"), AbortedError, "TRANSACTION_CONFLICT"),
    (QueryCanceled("canceling statement due to statement timeout"),
     UnavailableError, "DATABASE_TIMEOUT"),
    (PoolTimeout("couldn't get a connection after 5.00 sec"), UnavailableError, "DATABASE_BUSY"),
    (psycopg.OperationalError("server closed the connection unexpectedly"),
     UnavailableError, "DATABASE_UNAVAILABLE"),
])
def test_each_kind_of_cut_short_call_gets_its_own_retryable_refusal(
        error: psycopg.OperationalError, kind: type, reason: str) -> None:
    refusal = refusal_for(error)
    assert type(refusal) is kind
    assert refusal.reason == reason
    assert str(error) not in refusal.message
