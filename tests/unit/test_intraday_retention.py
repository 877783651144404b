"""Month arithmetic of the intraday partitions, and the retention setting."""

from datetime import UTC, datetime

import pytest

from server.config import ConfigError, Settings
from server.domain.calendar import RIYADH
from server.storage.bars import riyadh_month_start


@pytest.mark.parametrize(("moment", "months", "expected"), [
    # 21:30 UTC on 30 November is 00:30 on 1 December in Riyadh.
    (datetime(2025, 11, 30, 21, 30, tzinfo=UTC), 0, datetime(2025, 12, 1, tzinfo=RIYADH)),
    (datetime(2025, 11, 30, 20, 59, tzinfo=UTC), 0, datetime(2025, 11, 1, tzinfo=RIYADH)),
    (datetime(2025, 12, 15, tzinfo=RIYADH), 1, datetime(2026, 1, 1, tzinfo=RIYADH)),
    (datetime(2026, 1, 15, tzinfo=RIYADH), -1, datetime(2025, 12, 1, tzinfo=RIYADH)),
    (datetime(2025, 12, 15, tzinfo=RIYADH), -3, datetime(2025, 9, 1, tzinfo=RIYADH)),
    (datetime(2025, 3, 31, tzinfo=RIYADH), -15, datetime(2023, 12, 1, tzinfo=RIYADH)),
])
def test_riyadh_month_start(moment: datetime, months: int, expected: datetime) -> None:
    assert riyadh_month_start(moment, months) == expected


def test_retention_defaults_to_three_months_and_zero_keeps_all() -> None:
    assert Settings.from_env({}).intraday_retention_months == 3
    assert Settings.from_env(
        {"FINANCEHUB_INTRADAY_RETENTION_MONTHS": "0"}).intraday_retention_months == 0
    assert Settings.from_env(
        {"FINANCEHUB_INTRADAY_RETENTION_MONTHS": "24"}).intraday_retention_months == 24


@pytest.mark.parametrize("raw", ["-1", "three", "1.5"])
def test_bad_retention_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="FINANCEHUB_INTRADAY_RETENTION_MONTHS"):
        Settings.from_env({"FINANCEHUB_INTRADAY_RETENTION_MONTHS": raw})
