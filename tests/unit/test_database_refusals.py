"""What a call is told when the database cuts it short: a retryable status of the right kind,
never the driver's text."""

import psycopg
import pytest
from psycopg.errors import DeadlockDetected, QueryCanceled, SerializationFailure
from psycopg_pool import PoolTimeout

from server.domain.errors import AbortedError, UnavailableError
from server.storage.database import is_connection_lost, refusal_for


@pytest.mark.parametrize(("error", "kind", "reason", "lost"), [
    (DeadlockDetected("deadlock detected DETAIL: Process 1 waits for ShareLock"),
     AbortedError, "TRANSACTION_CONFLICT", False),
    (SerializationFailure("could not serialize access"), AbortedError, "TRANSACTION_CONFLICT",
     False),
    (QueryCanceled("canceling statement due to statement timeout"),
     UnavailableError, "DATABASE_TIMEOUT", False),
    (PoolTimeout("couldn't get a connection after 5.00 sec"), UnavailableError, "DATABASE_BUSY",
     False),
    (psycopg.OperationalError("server closed the connection unexpectedly"),
     UnavailableError, "DATABASE_UNAVAILABLE", True),
])
def test_each_kind_of_cut_short_call_gets_its_own_retryable_refusal(
        error: psycopg.OperationalError, kind: type, reason: str, lost: bool) -> None:
    # Only a lost connection is retried (for reads): the others would fail again as slowly.
    assert is_connection_lost(error) is lost
    refusal = refusal_for(error)
    assert type(refusal) is kind
    assert refusal.reason == reason
    assert str(error) not in refusal.message
