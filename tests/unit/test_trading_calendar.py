"""server.domain.trading_calendar: trading days, holidays and sessions.

The holiday table is checked against the price files shipped in server/ingest/data
(the exchange's TASI file for 2025, Yahoo daily files before it) and, for the computed
years, against the Umm al-Qura calendar as implemented by hijridate.
"""

import csv
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path

import pytest
from hijridate import Hijri

from server.domain.calendar import RIYADH
from server.domain.trading_calendar import (
    EID_AL_ADHA,
    EID_AL_FITR,
    FOUNDING_DAY,
    NATIONAL_DAY,
    WORLD_CUP_VICTORY_DAY,
    MarketSession,
    holiday_name,
    is_trading_day,
    market_status_at,
    next_trading_day,
    previous_trading_day,
    trading_days,
)

DATA = Path(__file__).resolve().parents[2] / "server" / "ingest" / "data"
FRIDAY, SATURDAY = 4, 5


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _sunday_to_thursday(start: date, end: date) -> set[date]:
    return {day for day in _days(start, end) if day.weekday() not in (FRIDAY, SATURDAY)}


@cache
def _tasi_dates() -> frozenset[date]:
    with (DATA / "TASI_indices_2025_daily.csv").open(newline="") as file:
        return frozenset(date.fromisoformat(row["Date"]) for row in csv.DictReader(file))


@cache
def _yahoo_volumes(file_name: str) -> dict[date, float]:
    with (DATA / file_name).open(newline="") as file:
        return {date.fromisoformat(row["Date"]): float(row["Volume"])
                for row in csv.DictReader(file)}


def _traded(file_name: str) -> set[date]:
    return {day for day, volume in _yahoo_volumes(file_name).items() if volume > 0}


def _holidays(start: date, end: date) -> set[date]:
    return {day for day in _days(start, end) if holiday_name(day) is not None}


def _umm_al_qura(year: int, month: int, day: int) -> date:
    return date.fromordinal(Hijri(year, month, day).to_gregorian().toordinal())


# --- against the exchange's and Yahoo's files --------------------------------------------


def test_2025_trading_days_are_exactly_the_days_of_the_exchange_tasi_file():
    assert len(_tasi_dates()) == 251
    assert set(trading_days(date(2025, 1, 1), date(2025, 12, 31))) == _tasi_dates()


def test_every_day_with_volume_in_a_yahoo_file_is_a_trading_day():
    traded = _traded("1120.SR.csv") | _traded("2222.SR.csv")
    assert min(traded) == date(2019, 1, 1)
    assert [day for day in sorted(traded) if not is_trading_day(day)] == []


def test_2020_to_2024_holidays_are_exactly_the_weekdays_missing_from_both_yahoo_files():
    start, end = date(2020, 1, 1), date(2024, 12, 31)
    rows = set(_yahoo_volumes("1120.SR.csv")) | set(_yahoo_volumes("2222.SR.csv"))
    missing = _sunday_to_thursday(start, end) - rows
    assert len(missing) == 57
    # Both ways: no trading day is absent from both files, no holiday has a row.
    assert _holidays(start, end) == missing


def test_2019_holidays_are_the_zero_volume_fillers_of_1120_but_one_data_gap():
    # 2222.SR starts in December 2019; 1120.SR fills 2019 holidays with zero-volume rows.
    start, end = date(2019, 1, 1), date(2019, 12, 31)
    closed = _sunday_to_thursday(start, end) - _traded("1120.SR.csv")
    # 31 Mar 2019 is a single zero-volume row in an ordinary week: a Yahoo gap.
    assert closed - _holidays(start, end) == {date(2019, 3, 31)}
    assert _holidays(start, end) <= closed


# --- holiday names and the rules behind them ---------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 3, 30), EID_AL_FITR),
        (date(2025, 4, 2), EID_AL_FITR),
        (date(2025, 6, 5), EID_AL_ADHA),  # Arafat, the eve of Eid
        (date(2025, 6, 10), EID_AL_ADHA),
        (date(2023, 4, 18), EID_AL_FITR),  # 2023 closed from 27 Ramadan
        (date(2025, 2, 23), FOUNDING_DAY),  # Sunday after a Saturday 22 Feb
        (date(2024, 2, 22), FOUNDING_DAY),
        (date(2025, 9, 23), NATIONAL_DAY),
        (date(2022, 9, 22), NATIONAL_DAY),  # Thursday before a Friday 23 Sep
        (date(2023, 9, 24), NATIONAL_DAY),  # Sunday after a Saturday 23 Sep
        (date(2022, 11, 23), WORLD_CUP_VICTORY_DAY),
        (date(2025, 6, 6), None),  # Eid al-Adha itself, but a Friday: a weekend
        (date(2025, 2, 22), None),  # Founding Day itself, but a Saturday
        (date(2022, 9, 23), None),  # National Day itself, but a Friday
        (date(2025, 4, 3), None),  # trading resumed on 5 Shawwal
        (date(2021, 2, 22), None),  # Founding Day is kept from 2022 on
    ],
)
def test_holiday_name(day, name):
    assert holiday_name(day) == name


@pytest.mark.parametrize("year", range(2019, 2031))
def test_fixed_date_holidays_move_off_the_weekend(year):
    def observed(day: date) -> date:
        if day.weekday() == FRIDAY:
            return day - timedelta(days=1)
        if day.weekday() == SATURDAY:
            return day + timedelta(days=1)
        return day

    year_days = _days(date(year, 1, 1), date(year, 12, 31))
    national_days = [day for day in year_days if holiday_name(day) == NATIONAL_DAY]
    founding_days = [day for day in year_days if holiday_name(day) == FOUNDING_DAY]
    assert national_days == [observed(date(year, 9, 23))]
    assert founding_days == ([observed(date(year, 2, 22))] if year >= 2022 else [])


@pytest.mark.parametrize("year", range(2019, 2031))
def test_eid_closures_surround_the_umm_al_qura_eid_day(year):
    hijri_year = year - 579  # the Hijri year whose two Eids fall in `year`, 2019–2030
    for name, eid in [
        (EID_AL_FITR, _umm_al_qura(hijri_year, 10, 1)),
        (EID_AL_ADHA, _umm_al_qura(hijri_year, 12, 10)),
    ]:
        assert eid.year == year
        assert not is_trading_day(eid)
        closed = [day for day in _days(date(year, 1, 1), date(year, 12, 31))
                  if holiday_name(day) == name]
        assert closed, name
        assert eid - timedelta(days=4) <= closed[0] and closed[-1] <= eid + timedelta(days=5)
        # One closure: every Sunday–Thursday between its first and last day is in it.
        assert set(closed) == _sunday_to_thursday(closed[0], closed[-1])


def _rule_holidays(year: int) -> dict[date, str]:
    """The closures the documented projection rule gives for `year`."""
    spans: list[tuple[str, date, date]] = []
    for hijri_year in (year - 580, year - 579, year - 578):
        spans.append((EID_AL_FITR, _umm_al_qura(hijri_year, 9, 29) + timedelta(days=1),
                      _umm_al_qura(hijri_year, 10, 4)))
        spans.append((EID_AL_ADHA, _umm_al_qura(hijri_year, 12, 9),
                      _umm_al_qura(hijri_year, 12, 14)))
    fixed = [(NATIONAL_DAY, date(year, 9, 23))]
    if year >= 2022:
        fixed.append((FOUNDING_DAY, date(year, 2, 22)))
    for name, day in fixed:
        shift = {FRIDAY: -1, SATURDAY: 1}.get(day.weekday(), 0)
        observed = day + timedelta(days=shift)
        spans.append((name, observed, observed))
    return {
        day: name
        for name, first, last in spans
        for day in _sunday_to_thursday(first, last)
        if day.year == year
    }


# 2025 is the exchange's own data and 2019 the other year the rule fits in full; 2026–2030
# are the computed years.
@pytest.mark.parametrize("year", [2019, 2025, 2026, 2027, 2028, 2029, 2030])
def test_holidays_follow_the_projection_rule(year):
    actual = {day: holiday_name(day) for day in _days(date(year, 1, 1), date(year, 12, 31))
              if holiday_name(day) is not None}
    assert actual == _rule_holidays(year)


@pytest.mark.parametrize("year", [2020, 2021, 2023])
def test_years_whose_eid_closures_differ_from_the_rule(year):
    # Guards the claim in the module's comment that the rule is a projection, not history.
    actual = {day for day in _days(date(year, 1, 1), date(year, 12, 31))
              if holiday_name(day) is not None}
    assert actual != set(_rule_holidays(year))


def test_2026_eid_al_fitr_is_computed_from_30_ramadan_1447():
    # Ramadan 1447 has 30 days in Umm al-Qura: 30 Ramadan is Thursday 19 March 2026.
    assert [day for day in _days(date(2026, 3, 15), date(2026, 3, 26))
            if holiday_name(day) is not None] == [
        date(2026, 3, 19), date(2026, 3, 22), date(2026, 3, 23)
    ]


# --- trading days, next and previous -----------------------------------------------------


@pytest.mark.parametrize(
    ("day", "trading"),
    [
        (date(2025, 12, 1), True),  # Monday
        (date(2025, 11, 30), True),  # Sunday
        (date(2025, 12, 4), True),  # Thursday
        (date(2025, 12, 5), False),  # Friday
        (date(2025, 12, 6), False),  # Saturday
        (date(2025, 9, 23), False),  # National Day
        (date(2025, 3, 20), True),  # zero-volume Yahoo filler, but in the TASI file
    ],
)
def test_is_trading_day(day, trading):
    assert is_trading_day(day) is trading


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Sunday to Thursday of an ordinary week: both ends included.
        (date(2025, 3, 23), date(2025, 3, 27), _days(date(2025, 3, 23), date(2025, 3, 27))),
        # The week of Eid al-Fitr 2025: only Thursday 3 April trades.
        (date(2025, 3, 30), date(2025, 4, 5), [date(2025, 4, 3)]),
        # Ends on a Friday and a Saturday add nothing.
        (date(2025, 12, 4), date(2025, 12, 6), [date(2025, 12, 4)]),
        (date(2025, 12, 1), date(2025, 12, 1), [date(2025, 12, 1)]),
        (date(2025, 9, 23), date(2025, 9, 23), []),
        (date(2025, 12, 2), date(2025, 12, 1), []),
    ],
)
def test_trading_days_range_is_inclusive(start, end, expected):
    assert trading_days(start, end) == expected


@pytest.mark.parametrize(
    ("day", "following"),
    [
        (date(2025, 3, 23), date(2025, 3, 24)),  # strictly after a trading day
        (date(2025, 3, 27), date(2025, 4, 3)),  # weekend, then Eid al-Fitr 2025
        (date(2025, 6, 4), date(2025, 6, 11)),  # Eid al-Adha 2025
        (date(2025, 2, 22), date(2025, 2, 24)),  # Saturday, then Founding Day on Sunday
        (date(2022, 9, 21), date(2022, 9, 25)),  # National Day on the Thursday
    ],
)
def test_next_trading_day(day, following):
    assert next_trading_day(day) == following


@pytest.mark.parametrize(
    ("day", "preceding"),
    [
        (date(2025, 3, 24), date(2025, 3, 23)),  # strictly before a trading day
        (date(2025, 3, 23), date(2025, 3, 20)),  # across a weekend
        (date(2025, 4, 3), date(2025, 3, 27)),  # Eid al-Fitr 2025
        (date(2025, 6, 11), date(2025, 6, 4)),  # Eid al-Adha 2025
        (date(2025, 2, 24), date(2025, 2, 20)),  # Founding Day and the weekend before
    ],
)
def test_previous_trading_day(day, preceding):
    assert previous_trading_day(day) == preceding


def test_the_covered_years_are_usable_up_to_their_edges():
    assert is_trading_day(date(2019, 1, 1))  # a Tuesday with volume in 1120.SR
    assert is_trading_day(date(2030, 12, 31))  # a Tuesday
    assert holiday_name(date(2030, 12, 31)) is None


@pytest.mark.parametrize(
    "call",
    [
        lambda: is_trading_day(date(2018, 12, 31)),
        lambda: holiday_name(date(2031, 1, 1)),
        lambda: trading_days(date(2030, 12, 1), date(2031, 1, 31)),
        lambda: next_trading_day(date(2030, 12, 31)),
        lambda: previous_trading_day(date(2019, 1, 1)),
    ],
)
def test_days_outside_the_covered_years_are_refused(call):
    with pytest.raises(ValueError, match="outside the trading calendar"):
        call()


# --- sessions ----------------------------------------------------------------------------

MONDAY = date(2025, 12, 1)  # an ordinary trading day


def _riyadh(day: date, hour: int, minute: int = 0, second: int = 0,
            microsecond: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second, microsecond), tzinfo=RIYADH)


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@pytest.mark.parametrize(
    ("local", "session"),
    [
        ((0, 0), MarketSession.CLOSED),
        ((9, 29, 59, 999_000), MarketSession.CLOSED),
        ((9, 30), MarketSession.PRE_OPEN),
        ((9, 59, 59), MarketSession.PRE_OPEN),
        ((9, 59, 59, 999_999), MarketSession.PRE_OPEN),
        ((10, 0), MarketSession.CONTINUOUS),
        ((14, 59, 59), MarketSession.CONTINUOUS),
        ((15, 0), MarketSession.CLOSING_AUCTION),
        ((15, 9, 59), MarketSession.CLOSING_AUCTION),
        ((15, 10), MarketSession.TRADE_AT_LAST),
        ((15, 19, 59), MarketSession.TRADE_AT_LAST),
        ((15, 20), MarketSession.CLOSED),
        ((23, 59, 59), MarketSession.CLOSED),
    ],
)
def test_session_boundaries_in_riyadh_time(local, session):
    status = market_status_at(_riyadh(MONDAY, *local))
    assert status.session is session
    assert status.trading_day == MONDAY


@pytest.mark.parametrize(
    ("instant", "session", "riyadh_date"),
    [
        (datetime(2025, 12, 1, 6, 29, 59, 999_000, tzinfo=UTC), MarketSession.CLOSED, MONDAY),
        (_utc(MONDAY, 6, 30), MarketSession.PRE_OPEN, MONDAY),  # 09:30 Riyadh
        (_utc(MONDAY, 7, 0), MarketSession.CONTINUOUS, MONDAY),  # 10:00 Riyadh
        (_utc(MONDAY, 12, 0), MarketSession.CLOSING_AUCTION, MONDAY),  # 15:00 Riyadh
        (_utc(MONDAY, 12, 20), MarketSession.CLOSED, MONDAY),  # 15:20 Riyadh
        # 21:30 UTC is already 00:30 on Tuesday in Riyadh.
        (_utc(MONDAY, 21, 30), MarketSession.CLOSED, date(2025, 12, 2)),
        # 02:00 in New York (UTC-5) on Monday is 10:00 in Riyadh.
        (datetime(2025, 12, 1, 2, 0, tzinfo=timezone(timedelta(hours=-5))),
         MarketSession.CONTINUOUS, MONDAY),
        # 23:00 UTC on Sunday 30 November is 02:00 Monday in Riyadh.
        (_utc(date(2025, 11, 30), 23, 0), MarketSession.CLOSED, MONDAY),
    ],
)
def test_instants_in_other_zones_are_read_in_riyadh(instant, session, riyadh_date):
    status = market_status_at(instant)
    assert status.session is session
    assert status.trading_day == riyadh_date


@pytest.mark.parametrize(
    ("instant", "session"),
    [
        (_riyadh(date(2025, 12, 5), 11, 0), MarketSession.CLOSED),  # Friday
        (_riyadh(date(2025, 12, 6), 10, 0), MarketSession.CLOSED),  # Saturday
        (_riyadh(date(2025, 9, 23), 11, 0), MarketSession.HOLIDAY),  # National Day
        (_riyadh(date(2025, 9, 23), 20, 0), MarketSession.HOLIDAY),
        (_riyadh(date(2025, 3, 31), 9, 45), MarketSession.HOLIDAY),  # Eid al-Fitr
        (_riyadh(date(2025, 6, 6), 11, 0), MarketSession.CLOSED),  # Eid al-Adha, a Friday
    ],
)
def test_weekends_are_closed_and_holidays_are_holidays(instant, session):
    assert market_status_at(instant).session is session


@pytest.mark.parametrize(
    ("instant", "next_open", "next_close"),
    [
        # Before the pre-open: today's open and close.
        (_riyadh(MONDAY, 9, 0), _utc(MONDAY, 7), _utc(MONDAY, 12)),
        # At 10:00 exactly the open is no longer ahead: tomorrow's.
        (_riyadh(MONDAY, 10, 0), _utc(date(2025, 12, 2), 7), _utc(MONDAY, 12)),
        (_riyadh(MONDAY, 12, 0), _utc(date(2025, 12, 2), 7), _utc(MONDAY, 12)),
        (_riyadh(MONDAY, 14, 59, 59), _utc(date(2025, 12, 2), 7), _utc(MONDAY, 12)),
        # At 15:00 exactly the close is no longer ahead either.
        (_riyadh(MONDAY, 15, 0), _utc(date(2025, 12, 2), 7), _utc(date(2025, 12, 2), 12)),
        # Thursday after the close: Sunday.
        (_riyadh(date(2025, 12, 4), 16, 0), _utc(date(2025, 12, 7), 7),
         _utc(date(2025, 12, 7), 12)),
        (_riyadh(date(2025, 12, 6), 23, 0), _utc(date(2025, 12, 7), 7),
         _utc(date(2025, 12, 7), 12)),
        # Thursday 27 March 2025 after the close: Eid al-Fitr until Thursday 3 April.
        (_riyadh(date(2025, 3, 27), 16, 0), _utc(date(2025, 4, 3), 7),
         _utc(date(2025, 4, 3), 12)),
        (_riyadh(date(2025, 3, 31), 11, 0), _utc(date(2025, 4, 3), 7),
         _utc(date(2025, 4, 3), 12)),
        # Wednesday 4 June 2025 in continuous trading: closes today, opens 11 June.
        (_riyadh(date(2025, 6, 4), 11, 0), _utc(date(2025, 6, 11), 7),
         _utc(date(2025, 6, 4), 12)),
    ],
)
def test_next_open_and_close(instant, next_open, next_close):
    status = market_status_at(instant)
    assert status.next_open == next_open
    assert status.next_close == next_close
    assert status.next_open.utcoffset() == timedelta(0)
    assert status.next_close.utcoffset() == timedelta(0)


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        market_status_at(datetime(2025, 12, 1, 10, 0))
