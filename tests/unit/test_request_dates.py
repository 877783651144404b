"""server.services.conversions.date_from_message: request dates, valid and in range."""

import pytest
from google.type import date_pb2

from server.domain.errors import ViolationCollector
from server.services.conversions import date_from_message


@pytest.mark.parametrize(("year", "month", "day"), [
    (1, 1, 1), (9999, 12, 31), (1899, 12, 31), (2200, 1, 1),  # out of range: no overflow later
    (2025, 2, 29), (2025, 13, 1), (0, 1, 1),                   # not calendar dates
])
def test_dates_that_are_refused(year: int, month: int, day: int) -> None:
    problems = ViolationCollector()
    found = date_from_message(date_pb2.Date(year=year, month=month, day=day), "end_date",
                              problems)
    assert found is None
    assert [v.field for v in problems.violations] == ["end_date"]


def test_unset_and_valid_dates() -> None:
    problems = ViolationCollector()
    assert date_from_message(date_pb2.Date(), "start_date", problems) is None
    found = date_from_message(date_pb2.Date(year=2024, month=2, day=29), "start_date", problems)
    assert found is not None and found.isoformat() == "2024-02-29"
    assert date_from_message(date_pb2.Date(year=1900, month=1, day=1), "start_date", problems)
    assert date_from_message(date_pb2.Date(year=2199, month=12, day=31), "start_date", problems)
    assert not problems.violations
