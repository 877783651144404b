"""Tadawul trading days, exchange holidays and the sessions of a trading day.

Trading days are Sunday to Thursday in Asia/Riyadh, less the exchange holidays below.
A holiday here is a Sunday–Thursday on which the exchange is closed: the Fridays and
Saturdays inside an Eid closure are weekends, not holidays.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum

from server.domain.calendar import RIYADH

EID_AL_FITR = "Eid al-Fitr"
EID_AL_ADHA = "Eid al-Adha"
FOUNDING_DAY = "Founding Day"
NATIONAL_DAY = "National Day"
WORLD_CUP_VICTORY_DAY = "World Cup victory holiday"

# The holiday table below covers these years; outside them a Sunday–Thursday cannot be
# called a trading day without knowing that year's Eid closures.
FIRST_COVERED_DAY = date(2019, 1, 1)
LAST_COVERED_DAY = date(2030, 12, 31)


@dataclass(frozen=True)
class _Closure:
    name: str
    first: date
    last: date  # inclusive


# Sources. 2019–2024: the Sunday–Thursday dates missing from the Yahoo daily files of
# 1120.SR and 2222.SR (server/ingest/data; 2019 has only 1120.SR, which carries its
# holidays as zero-volume rows) agree with the exchange's announcements. 2025: the
# exchange's own TASI daily file. Hijri dates are Umm al-Qura.
#
# The Eid closures varied from year to year until 2025, so 2026–2030 are COMPUTED, NOT
# PUBLISHED (Founding Day 2026, Sunday only, matches the clearing house's notice): each
# year's closures as announced by the exchange win over this table. They follow the rule
# that reproduces 2025 (and 2019, and 2022's Eid al-Fitr and 2024's Eid al-Adha):
#   Eid al-Fitr: closed from the day after 29 Ramadan through 4 Shawwal; reopen 5 Shawwal.
#   Eid al-Adha: closed from 9 Dhu al-Hijjah (Arafat) through 14; reopen 15 Dhu al-Hijjah.
# Every year since 2019 reopened on the first Sunday–Thursday from 5 Shawwal except
# 2020 (8 Shawwal), and from 15 Dhu al-Hijjah except 2022 and 2023 (14 Dhu al-Hijjah).
#
# Founding Day (22 February, kept since 2022) and National Day (23 September) falling on
# a Friday close the Thursday before (National Day 2022), on a Saturday the Sunday after
# (National Day 2023, Founding Day 2025).
_CLOSURES: tuple[_Closure, ...] = (
    _Closure(EID_AL_FITR, date(2019, 6, 4), date(2019, 6, 6)),  # 1–3 Shawwal 1440
    _Closure(EID_AL_ADHA, date(2019, 8, 11), date(2019, 8, 15)),  # 10–14 Dhu al-Hijjah 1440
    _Closure(NATIONAL_DAY, date(2019, 9, 23), date(2019, 9, 23)),
    _Closure(EID_AL_FITR, date(2020, 5, 24), date(2020, 5, 28)),  # 1–5 Shawwal 1441
    _Closure(EID_AL_ADHA, date(2020, 7, 29), date(2020, 8, 4)),  # 8–14 Dhu al-Hijjah 1441
    _Closure(NATIONAL_DAY, date(2020, 9, 23), date(2020, 9, 23)),
    _Closure(EID_AL_FITR, date(2021, 5, 11), date(2021, 5, 16)),  # 29 Ramadan–4 Shawwal 1442
    _Closure(EID_AL_ADHA, date(2021, 7, 18), date(2021, 7, 22)),  # 8–12 Dhu al-Hijjah 1442
    _Closure(NATIONAL_DAY, date(2021, 9, 23), date(2021, 9, 23)),
    _Closure(FOUNDING_DAY, date(2022, 2, 22), date(2022, 2, 22)),
    _Closure(EID_AL_FITR, date(2022, 5, 1), date(2022, 5, 5)),  # 30 Ramadan–4 Shawwal 1443
    _Closure(EID_AL_ADHA, date(2022, 7, 7), date(2022, 7, 12)),  # 8–13 Dhu al-Hijjah 1443
    _Closure(NATIONAL_DAY, date(2022, 9, 22), date(2022, 9, 22)),  # 23 Sep: Friday
    # A one-off public holiday by royal order after the national team beat Argentina.
    _Closure(WORLD_CUP_VICTORY_DAY, date(2022, 11, 23), date(2022, 11, 23)),
    _Closure(FOUNDING_DAY, date(2023, 2, 22), date(2023, 2, 22)),
    _Closure(EID_AL_FITR, date(2023, 4, 18), date(2023, 4, 24)),  # 27 Ramadan–4 Shawwal 1444
    _Closure(EID_AL_ADHA, date(2023, 6, 25), date(2023, 6, 29)),  # 7–11 Dhu al-Hijjah 1444
    _Closure(NATIONAL_DAY, date(2023, 9, 24), date(2023, 9, 24)),  # 23 Sep: Saturday
    _Closure(FOUNDING_DAY, date(2024, 2, 22), date(2024, 2, 22)),
    _Closure(EID_AL_FITR, date(2024, 4, 7), date(2024, 4, 11)),  # 28 Ramadan–2 Shawwal 1445
    _Closure(EID_AL_ADHA, date(2024, 6, 16), date(2024, 6, 20)),  # 10–14 Dhu al-Hijjah 1445
    _Closure(NATIONAL_DAY, date(2024, 9, 23), date(2024, 9, 23)),
    _Closure(FOUNDING_DAY, date(2025, 2, 23), date(2025, 2, 23)),  # 22 Feb: Saturday
    _Closure(EID_AL_FITR, date(2025, 3, 30), date(2025, 4, 2)),  # 1–4 Shawwal 1446
    _Closure(EID_AL_ADHA, date(2025, 6, 5), date(2025, 6, 10)),  # 9–14 Dhu al-Hijjah 1446
    _Closure(NATIONAL_DAY, date(2025, 9, 23), date(2025, 9, 23)),
    # Computed from here on (see above).
    _Closure(FOUNDING_DAY, date(2026, 2, 22), date(2026, 2, 22)),
    _Closure(EID_AL_FITR, date(2026, 3, 19), date(2026, 3, 23)),  # 30 Ramadan–4 Shawwal 1447
    _Closure(EID_AL_ADHA, date(2026, 5, 26), date(2026, 5, 31)),  # 9–14 Dhu al-Hijjah 1447
    _Closure(NATIONAL_DAY, date(2026, 9, 23), date(2026, 9, 23)),
    _Closure(FOUNDING_DAY, date(2027, 2, 22), date(2027, 2, 22)),
    _Closure(EID_AL_FITR, date(2027, 3, 9), date(2027, 3, 12)),  # 1–4 Shawwal 1448
    _Closure(EID_AL_ADHA, date(2027, 5, 15), date(2027, 5, 20)),  # 9–14 Dhu al-Hijjah 1448
    _Closure(NATIONAL_DAY, date(2027, 9, 23), date(2027, 9, 23)),
    _Closure(FOUNDING_DAY, date(2028, 2, 22), date(2028, 2, 22)),
    _Closure(EID_AL_FITR, date(2028, 2, 26), date(2028, 2, 29)),  # 1–4 Shawwal 1449
    _Closure(EID_AL_ADHA, date(2028, 5, 4), date(2028, 5, 9)),  # 9–14 Dhu al-Hijjah 1449
    _Closure(NATIONAL_DAY, date(2028, 9, 24), date(2028, 9, 24)),  # 23 Sep: Saturday
    _Closure(EID_AL_FITR, date(2029, 2, 14), date(2029, 2, 17)),  # 1–4 Shawwal 1450
    _Closure(FOUNDING_DAY, date(2029, 2, 22), date(2029, 2, 22)),
    _Closure(EID_AL_ADHA, date(2029, 4, 23), date(2029, 4, 28)),  # 9–14 Dhu al-Hijjah 1450
    _Closure(NATIONAL_DAY, date(2029, 9, 23), date(2029, 9, 23)),
    _Closure(EID_AL_FITR, date(2030, 2, 3), date(2030, 2, 7)),  # 30 Ramadan–4 Shawwal 1451
    _Closure(FOUNDING_DAY, date(2030, 2, 21), date(2030, 2, 21)),  # 22 Feb: Friday
    _Closure(EID_AL_ADHA, date(2030, 4, 12), date(2030, 4, 17)),  # 9–14 Dhu al-Hijjah 1451
    _Closure(NATIONAL_DAY, date(2030, 9, 23), date(2030, 9, 23)),
)

_FRIDAY, _SATURDAY = 4, 5  # date.weekday()


def _is_weekend(day: date) -> bool:
    return day.weekday() in (_FRIDAY, _SATURDAY)


def _holidays(closures: tuple[_Closure, ...]) -> dict[date, str]:
    holidays: dict[date, str] = {}
    for closure in closures:
        day = closure.first
        while day <= closure.last:
            if not _is_weekend(day):
                holidays[day] = closure.name
            day += timedelta(days=1)
    return holidays


_HOLIDAYS = _holidays(_CLOSURES)


def _check_covered(day: date) -> None:
    if not FIRST_COVERED_DAY <= day <= LAST_COVERED_DAY:
        raise ValueError(f"{day} is outside the trading calendar "
                         f"({FIRST_COVERED_DAY} to {LAST_COVERED_DAY})")


def holiday_name(day: date) -> str | None:
    """The occasion the exchange is closed for on `day`; None on trading days and weekends."""
    _check_covered(day)
    return _HOLIDAYS.get(day)


def is_trading_day(day: date) -> bool:
    _check_covered(day)
    return not _is_weekend(day) and day not in _HOLIDAYS


def trading_days(start: date, end: date) -> list[date]:
    """The trading days from `start` to `end`, both included; empty when start > end."""
    _check_covered(start)
    _check_covered(end)
    days: list[date] = []
    day = start
    while day <= end:
        if is_trading_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def next_trading_day(day: date) -> date:
    """The first trading day strictly after `day`."""
    following = day + timedelta(days=1)
    while not is_trading_day(following):
        following += timedelta(days=1)
    return following


def previous_trading_day(day: date) -> date:
    """The last trading day strictly before `day`."""
    preceding = day - timedelta(days=1)
    while not is_trading_day(preceding):
        preceding -= timedelta(days=1)
    return preceding


class MarketSession(Enum):
    PRE_OPEN = "PRE_OPEN"
    CONTINUOUS = "CONTINUOUS"
    CLOSING_AUCTION = "CLOSING_AUCTION"
    TRADE_AT_LAST = "TRADE_AT_LAST"
    CLOSED = "CLOSED"  # weekends, and trading days outside the sessions
    HOLIDAY = "HOLIDAY"  # the whole of an exchange holiday


# When each session of a trading day starts (Riyadh time); each runs until the next
# one starts. The same hours apply all year; temporary schedules (such as the shorter
# hours of spring 2020) are not modelled.
_SESSION_STARTS: tuple[tuple[time, MarketSession], ...] = (
    (time(9, 30), MarketSession.PRE_OPEN),
    (time(10, 0), MarketSession.CONTINUOUS),
    (time(15, 0), MarketSession.CLOSING_AUCTION),
    (time(15, 10), MarketSession.TRADE_AT_LAST),
    (time(15, 20), MarketSession.CLOSED),
)
# "Open" and "close" mean the continuous session's, the span in which orders match as
# they arrive.
OPEN_TIME = time(10, 0)
CLOSE_TIME = time(15, 0)


@dataclass(frozen=True)
class MarketStatus:
    session: MarketSession
    trading_day: date  # the Riyadh calendar date of the instant, trading day or not
    next_open: datetime  # UTC: the first continuous-session open strictly after the instant
    next_close: datetime  # UTC: the first continuous-session close strictly after the instant


def _session_on_trading_day(local_time: time) -> MarketSession:
    session = MarketSession.CLOSED
    for start, starting_session in _SESSION_STARTS:
        if local_time >= start:
            session = starting_session
    return session


def _next_on_a_trading_day(local: datetime, at: time) -> datetime:
    """The first `at` (Riyadh) on a trading day strictly after `local`, in UTC."""
    day = local.date()
    if not (is_trading_day(day) and local.time() < at):
        day = next_trading_day(day)
    return datetime.combine(day, at, tzinfo=RIYADH).astimezone(UTC)


def market_status_at(instant: datetime) -> MarketStatus:
    """Which session Tadawul is in at `instant`, which must carry a time zone.

    During continuous trading next_close is today's 15:00 and next_open the next
    trading day's 10:00.
    """
    if instant.utcoffset() is None:
        raise ValueError("instant must be timezone-aware")
    local = instant.astimezone(RIYADH)
    day = local.date()
    if is_trading_day(day):
        session = _session_on_trading_day(local.time())
    elif holiday_name(day) is not None:
        session = MarketSession.HOLIDAY
    else:
        session = MarketSession.CLOSED
    return MarketStatus(
        session=session,
        trading_day=day,
        next_open=_next_on_a_trading_day(local, OPEN_TIME),
        next_close=_next_on_a_trading_day(local, CLOSE_TIME),
    )
