"""server.domain.simulation: synthetic prices that keep every Tadawul rule, reproducibly.

Property-style: each rule is checked on every bar or tick over many seeds, symbols, start
prices (every tick band and its edges) and both markets.
"""

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from server.domain.securities import Market
from server.domain.simulation import (
    QuoteSimulator,
    SimulatedTick,
    SyntheticDailyBar,
    SyntheticMinuteBar,
    daily_bar_from_minutes,
    generate_daily_history,
    generate_daily_history_ending_at,
    generate_minute_bars,
)
from server.domain.ticks import is_on_tick_grid, price_limits, tick_size_for
from server.domain.trading_calendar import is_trading_day, trading_days

# The published percentages, kept here so the checks do not rest on price_limits alone.
LIMIT_FRACTION = {Market.MAIN: Decimal("0.10"), Market.NOMU: Decimal("0.30")}

# One price inside every tick band, plus the grid prices either side of each band edge.
START_PRICES = [Decimal(p) for p in (
    "0.85", "7.30", "24.99", "25.00", "37.46", "49.98", "50.00", "72.35", "99.95",
    "100.00", "187.20", "249.90", "250.00", "333.40", "499.80", "500.00", "1040.50",
)]
SYMBOLS = ("2222", "1120", "4330", "9510", "7010")
SEEDS = (0, 1, 2)
HALF_YEAR = (date(2024, 1, 1), date(2024, 6, 30))


def assert_price_allowed(price: Decimal, reference: Decimal, market: Market) -> None:
    assert price > 0
    assert is_on_tick_grid(price), f"{price} is off the {tick_size_for(price)} grid"
    limits = price_limits(reference, market)
    assert limits.lower <= price <= limits.upper, f"{price} outside {limits} of {reference}"
    assert abs(price / reference - 1) <= LIMIT_FRACTION[market]


def assert_bar_consistent(bar: SyntheticDailyBar | SyntheticMinuteBar) -> None:
    for price in (bar.open, bar.high, bar.low, bar.close):
        assert price > 0
        assert is_on_tick_grid(price), f"{price} is off the {tick_size_for(price)} grid"
    assert bar.low <= bar.open <= bar.high, bar
    assert bar.low <= bar.close <= bar.high, bar
    assert isinstance(bar.volume, int)
    assert bar.volume >= 0


def assert_bar_obeys_rules(bar: SyntheticDailyBar | SyntheticMinuteBar, reference: Decimal,
                           market: Market) -> None:
    assert_bar_consistent(bar)
    for price in (bar.open, bar.high, bar.low, bar.close):
        assert_price_allowed(price, reference, market)


def assert_history_obeys_rules(bars: list[SyntheticDailyBar], *, symbol: str, start: date,
                               end: date, reference: Decimal, market: Market) -> None:
    """`reference` is the close before the first bar."""
    days = [bar.day for bar in bars]
    assert days == trading_days(start, end)  # exactly one bar per trading day, in order
    assert len(set(days)) == len(days)
    for bar in bars:
        assert bar.symbol == symbol
        assert is_trading_day(bar.day)
        assert bar.day.weekday() not in (4, 5)  # never a Friday or Saturday
        assert start <= bar.day <= end
        assert_bar_obeys_rules(bar, reference, market)
        reference = bar.close


def close_to_close_returns(bars: list[SyntheticDailyBar], reference: Decimal) -> list[Decimal]:
    closes = [reference] + [bar.close for bar in bars]
    return [today / yesterday - 1 for yesterday, today in zip(closes, closes[1:], strict=False)]


def grid_steps_between(a: Decimal, b: Decimal) -> int:
    """How many tick-grid steps separate two grid prices (walking the table's ticks)."""
    low, high = min(a, b), max(a, b)
    steps = 0
    while low < high:
        low += tick_size_for(low)
        steps += 1
    assert low == high, f"{a} and {b} are not both on the grid"
    return steps


# --- daily history ---------------------------------------------------------------------


@pytest.mark.parametrize("market", list(Market))
@pytest.mark.parametrize("start_price", START_PRICES)
def test_daily_history_obeys_every_rule(market, start_price):
    start, end = HALF_YEAR
    for symbol in SYMBOLS:
        for seed in SEEDS:
            bars = generate_daily_history(symbol, start=start, end=end, start_price=start_price,
                                          market=market, seed=seed)
            assert_history_obeys_rules(bars, symbol=symbol, start=start, end=end,
                                       reference=start_price, market=market)


def test_daily_history_from_an_off_grid_start_price():
    # A reference need not be a grid price (an adjusted close, say); the bars still are.
    bars = generate_daily_history("2222", start=date(2025, 1, 1), end=date(2025, 3, 31),
                                  start_price=Decimal("27.123"), market=Market.MAIN, seed=4)
    assert_history_obeys_rules(bars, symbol="2222", start=date(2025, 1, 1),
                               end=date(2025, 3, 31), reference=Decimal("27.123"),
                               market=Market.MAIN)


def test_daily_history_skips_weekends_and_holidays():
    # Founding Day 2025 (observed Sunday 23 Feb) and Eid al-Fitr (30 Mar-2 Apr) fall here.
    start, end = date(2025, 2, 1), date(2025, 4, 30)
    holidays = {date(2025, 2, 23), date(2025, 3, 30), date(2025, 3, 31), date(2025, 4, 1),
                date(2025, 4, 2)}
    sunday_to_thursday = {start + timedelta(days=n) for n in range((end - start).days + 1)
                          if (start + timedelta(days=n)).weekday() not in (4, 5)}
    bars = generate_daily_history("2222", start=start, end=end, start_price=Decimal("27.50"),
                                  market=Market.MAIN, seed=1)
    assert [bar.day for bar in bars] == sorted(sunday_to_thursday - holidays)


def test_daily_history_of_a_span_without_trading_days_is_empty():
    friday, saturday = date(2025, 1, 3), date(2025, 1, 4)
    assert generate_daily_history("2222", start=friday, end=saturday, start_price=Decimal(10),
                                  market=Market.MAIN, seed=0) == []


@pytest.mark.parametrize("start_price", [Decimal(0), Decimal("-5")])
def test_daily_history_rejects_a_non_positive_start_price(start_price):
    with pytest.raises(ValueError):
        generate_daily_history("2222", start=date(2025, 1, 1), end=date(2025, 2, 1),
                               start_price=start_price, market=Market.MAIN, seed=0)


def test_daily_history_rejects_a_reversed_span():
    with pytest.raises(ValueError):
        generate_daily_history("2222", start=date(2025, 2, 1), end=date(2025, 1, 1),
                               start_price=Decimal(10), market=Market.MAIN, seed=0)


def test_daily_history_looks_like_a_market():
    # Daily volatility 1.5-2.5 % on the main market, and prices that do move.
    start, end = date(2023, 1, 1), date(2024, 12, 31)
    returns = []
    for seed in range(5):
        bars = generate_daily_history("1120", start=start, end=end, start_price=Decimal("80"),
                                      market=Market.MAIN, seed=seed)
        returns += close_to_close_returns(bars, Decimal("80"))
        assert len({bar.close for bar in bars}) > len(bars) / 4
        assert any(bar.high > max(bar.open, bar.close) for bar in bars)
        assert any(bar.low < min(bar.open, bar.close) for bar in bars)
        turnovers = sorted(bar.volume * bar.close for bar in bars)
        assert Decimal(1_000_000) < turnovers[len(turnovers) // 2] < Decimal(500_000_000)
    mean = sum(returns) / len(returns)
    volatility = (sum((r - mean) ** 2 for r in returns) / len(returns)).sqrt()
    assert Decimal("0.015") < volatility < Decimal("0.025")


def test_nomu_moves_more_than_the_main_market_allows_but_within_its_own_limits():
    start, end = HALF_YEAR
    nomu_moves: list[Decimal] = []
    main_moves: list[Decimal] = []
    for seed in range(10):
        for symbol in ("9510", "9520"):
            for moves, market in ((nomu_moves, Market.NOMU), (main_moves, Market.MAIN)):
                bars = generate_daily_history(symbol, start=start, end=end,
                                              start_price=Decimal("42.00"), market=market,
                                              seed=seed)
                moves += [abs(r) for r in close_to_close_returns(bars, Decimal("42.00"))]
    assert max(nomu_moves) > Decimal("0.10")
    assert max(nomu_moves) <= Decimal("0.30")
    assert max(main_moves) <= Decimal("0.10")
    # Jumps past the limit close the day at it: limit days exist on the main market.
    assert max(main_moves) > Decimal("0.09")


# --- determinism -----------------------------------------------------------------------


def test_same_inputs_give_the_same_history():
    arguments = dict(start=date(2024, 1, 1), end=date(2024, 12, 31),
                     start_price=Decimal("31.40"), market=Market.MAIN, seed=11)
    assert generate_daily_history("2222", **arguments) == generate_daily_history("2222",
                                                                                 **arguments)


def test_seed_and_symbol_change_the_history():
    arguments = dict(start=date(2024, 1, 1), end=date(2024, 3, 31),
                     start_price=Decimal("31.40"), market=Market.MAIN)
    base = generate_daily_history("2222", seed=1, **arguments)
    assert generate_daily_history("2222", seed=2, **arguments) != base
    assert generate_daily_history("1120", seed=1, **arguments) != base
    # Not only the volumes: the price path itself differs.
    assert ([bar.close for bar in generate_daily_history("2222", seed=2, **arguments)]
            != [bar.close for bar in base])


REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
_PRINT_HISTORY = """
from datetime import date
from decimal import Decimal
from server.domain.securities import Market
from server.domain.simulation import generate_daily_history
print(repr(generate_daily_history("2222", start=date(2024, 1, 1), end=date(2024, 2, 29),
                                  start_price=Decimal("31.40"), market=Market.NOMU, seed=5)))
"""


def test_history_does_not_depend_on_the_process_hash_seed():
    # Python salts hash() per process; a generator seeded through it would differ here.
    expected = repr(generate_daily_history("2222", start=date(2024, 1, 1),
                                           end=date(2024, 2, 29), start_price=Decimal("31.40"),
                                           market=Market.NOMU, seed=5))
    for hash_seed in ("0", "1", "12345"):
        result = subprocess.run([sys.executable, "-c", _PRINT_HISTORY], capture_output=True,
                                text=True, check=True, cwd=REPOSITORY_ROOT,
                                env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert result.stdout.strip() == expected


PINNED_BARS = [
    (date(2025, 1, 5), Decimal("27.46"), Decimal("28.08"), Decimal("26.26"), Decimal("27.06"),
     9690979),
    (date(2025, 1, 6), Decimal("27.04"), Decimal("27.84"), Decimal("26.80"), Decimal("27.16"),
     11135814),
    (date(2025, 1, 7), Decimal("27.22"), Decimal("27.60"), Decimal("27.04"), Decimal("27.12"),
     10201672),
    (date(2025, 1, 8), Decimal("27.20"), Decimal("27.40"), Decimal("26.68"), Decimal("26.78"),
     15151076),
    (date(2025, 1, 9), Decimal("26.58"), Decimal("26.90"), Decimal("26.56"), Decimal("26.86"),
     4275280),
]


def test_history_is_pinned():
    # The same bars on every machine and Python version: a change to the model or its
    # generators shows up here and must be deliberate (demo data would change under users).
    bars = generate_daily_history("2222", start=date(2025, 1, 5), end=date(2025, 1, 9),
                                  start_price=Decimal("27.50"), market=Market.MAIN, seed=42)
    assert [(bar.day, bar.open, bar.high, bar.low, bar.close, bar.volume) for bar in bars] == (
        PINNED_BARS)




# --- ending at a target ----------------------------------------------------------------


@pytest.mark.parametrize("market", list(Market))
@pytest.mark.parametrize("end_price", [Decimal(p) for p in (
    "0.85", "24.99", "27.50", "49.98", "99.95", "100.00", "260.40", "1040.50")])
def test_history_ending_at_a_target_hits_it_and_obeys_every_rule(market, end_price):
    start, end = date(2024, 7, 1), date(2024, 12, 31)
    for symbol in SYMBOLS:
        for seed in SEEDS:
            bars = generate_daily_history_ending_at(symbol, start=start, end=end,
                                                    end_price=end_price, market=market,
                                                    seed=seed)
            assert bars[-1].close == end_price
            # The reference before the first bar is the generator's choice; every later
            # bar is checked against the close before it.
            assert [bar.day for bar in bars] == trading_days(start, end)
            assert_bar_consistent(bars[0])
            assert_history_obeys_rules(bars[1:], symbol=symbol, start=bars[1].day, end=end,
                                       reference=bars[0].close, market=market)


@pytest.mark.parametrize("market", list(Market))
@pytest.mark.parametrize(("start_price", "end_price"), [
    (Decimal("27.50"), Decimal("27.50")),
    (Decimal("27.50"), Decimal("55.00")),   # doubling in a quarter: the bridge drifts up
    (Decimal("120.00"), Decimal("48.02")),  # across two tick bands on the way down
    (Decimal("9.99"), Decimal("10.01")),
    (Decimal("700.00"), Decimal("501.50")),
])
def test_history_bridged_from_a_start_price_hits_the_target(market, start_price, end_price):
    start, end = date(2025, 1, 1), date(2025, 3, 31)
    for symbol in SYMBOLS:
        for seed in SEEDS:
            bars = generate_daily_history_ending_at(symbol, start=start, end=end,
                                                    end_price=end_price, market=market,
                                                    seed=seed, start_price=start_price)
            assert bars[-1].close == end_price
            assert_history_obeys_rules(bars, symbol=symbol, start=start, end=end,
                                       reference=start_price, market=market)


@pytest.mark.parametrize("market", list(Market))
def test_history_ending_at_a_target_over_six_years(market):
    # The band of prices that can still reach the target outgrows any price over such a
    # span (1.3^1500 on Nomu); the path must stay exact and within the rules all the same.
    start, end = date(2019, 1, 1), date(2024, 12, 31)
    bars = generate_daily_history_ending_at("9510", start=start, end=end,
                                            end_price=Decimal("27.50"), market=market, seed=1)
    assert bars[-1].close == Decimal("27.50")
    assert len(bars) > 1400
    assert_history_obeys_rules(bars[1:], symbol="9510", start=bars[1].day, end=end,
                               reference=bars[0].close, market=market)


def test_bridging_keeps_the_shape_of_the_walk():
    # With the walk's own end as the target the bridge only has the walk's tick rounding
    # (and its clamped limit days) to spread over the span: the same path, within 1 %.
    arguments = dict(start=date(2024, 1, 1), end=date(2024, 6, 30), market=Market.MAIN,
                     start_price=Decimal("45.00"))
    for seed in SEEDS:
        walk = generate_daily_history("2222", seed=seed, **arguments)
        bridged = generate_daily_history_ending_at("2222", end_price=walk[-1].close, seed=seed,
                                                   **arguments)
        assert [bar.day for bar in bridged] == [bar.day for bar in walk]
        for walked, bridged_bar in zip(walk, bridged, strict=True):
            assert abs(bridged_bar.close / walked.close - 1) < Decimal("0.01")


@pytest.mark.parametrize(("market", "start_price", "end_price", "expected_closes"), [
    # Two days, each at the limit: the only path there is.
    (Market.MAIN, Decimal("100.00"), Decimal("121.00"), ["110.00", "121.00"]),
    (Market.MAIN, Decimal("100.00"), Decimal("81.00"), ["90.00", "81.00"]),
    (Market.NOMU, Decimal("100.00"), Decimal("169.00"), ["130.00", "169.00"]),
    (Market.NOMU, Decimal("100.00"), Decimal("49.00"), ["70.00", "49.00"]),
])
def test_a_target_at_the_edge_of_reach_forces_limit_days(market, start_price, end_price,
                                                         expected_closes):
    monday, tuesday = date(2025, 1, 6), date(2025, 1, 7)
    bars = generate_daily_history_ending_at("2222", start=monday, end=tuesday,
                                            end_price=end_price, market=market, seed=0,
                                            start_price=start_price)
    assert [bar.close for bar in bars] == [Decimal(c) for c in expected_closes]
    assert_history_obeys_rules(bars, symbol="2222", start=monday, end=tuesday,
                               reference=start_price, market=market)


@pytest.mark.parametrize(("market", "start_price", "end_price"), [
    (Market.MAIN, Decimal("100.00"), Decimal("121.10")),  # one tick past two limit-up days
    (Market.MAIN, Decimal("100.00"), Decimal("80.95")),
    (Market.NOMU, Decimal("100.00"), Decimal("169.10")),
    (Market.NOMU, Decimal("100.00"), Decimal("48.98")),
    (Market.MAIN, Decimal("10.00"), Decimal("300.00")),
])
def test_an_unreachable_target_is_refused(market, start_price, end_price):
    with pytest.raises(ValueError, match="cannot be reached"):
        generate_daily_history_ending_at("2222", start=date(2025, 1, 6), end=date(2025, 1, 7),
                                         end_price=end_price, market=market, seed=0,
                                         start_price=start_price)


@pytest.mark.parametrize("end_price", [Decimal("50.01"), Decimal("27.51"), Decimal(0),
                                       Decimal("-1.00")])
def test_a_target_off_the_grid_or_not_positive_is_refused(end_price):
    with pytest.raises(ValueError):
        generate_daily_history_ending_at("2222", start=date(2025, 1, 1), end=date(2025, 3, 31),
                                         end_price=end_price, market=Market.MAIN, seed=0)


def test_a_target_over_a_span_without_trading_days_is_refused():
    with pytest.raises(ValueError, match="no trading day"):
        generate_daily_history_ending_at("2222", start=date(2025, 1, 3), end=date(2025, 1, 4),
                                         end_price=Decimal("27.50"), market=Market.MAIN, seed=0)


def test_history_ending_at_a_target_is_deterministic():
    arguments = dict(start=date(2024, 1, 1), end=date(2024, 12, 31),
                     end_price=Decimal("27.50"), market=Market.NOMU)
    first = generate_daily_history_ending_at("9510", seed=8, **arguments)
    assert generate_daily_history_ending_at("9510", seed=8, **arguments) == first
    assert generate_daily_history_ending_at("9510", seed=9, **arguments) != first


# --- minute bars -----------------------------------------------------------------------


MINUTE_DAYS = (date(2025, 1, 5), date(2025, 3, 13), date(2025, 6, 19))


@pytest.mark.parametrize("market", list(Market))
@pytest.mark.parametrize("previous_close", START_PRICES)
def test_minute_bars_cover_the_continuous_session_within_the_days_limits(market,
                                                                         previous_close):
    for day in MINUTE_DAYS:
        for seed in SEEDS:
            minutes = generate_minute_bars("2222", day=day, previous_close=previous_close,
                                           market=market, seed=seed)
            assert len(minutes) == 300
            opening = datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC)
            assert [bar.start for bar in minutes] == [opening + timedelta(minutes=m)
                                                      for m in range(300)]
            assert minutes[-1].start == datetime(day.year, day.month, day.day, 11, 59,
                                                 tzinfo=UTC)
            for bar in minutes:
                assert bar.start.utcoffset() == timedelta(0)
                assert bar.symbol == "2222"
                assert_bar_obeys_rules(bar, previous_close, market)

            daily = daily_bar_from_minutes(minutes)
            assert daily == SyntheticDailyBar(
                symbol="2222", day=day, open=minutes[0].open,
                high=max(bar.high for bar in minutes), low=min(bar.low for bar in minutes),
                close=minutes[-1].close, volume=sum(bar.volume for bar in minutes))
            assert_bar_obeys_rules(daily, previous_close, market)


def test_minute_bars_trade_through_the_day():
    minutes = generate_minute_bars("1120", day=date(2025, 1, 5), previous_close=Decimal("88.15"),
                                   market=Market.MAIN, seed=1)
    assert len({bar.close for bar in minutes}) > 10
    assert sum(bar.volume for bar in minutes) > 0
    # Heavier at the open and the close than at midday (U-shaped volume).
    first_hour = sum(bar.volume for bar in minutes[:60])
    midday = sum(bar.volume for bar in minutes[120:180])
    last_hour = sum(bar.volume for bar in minutes[240:])
    assert first_hour > midday
    assert last_hour > midday


def test_minute_bars_are_deterministic_and_differ_by_day_and_seed():
    arguments = dict(previous_close=Decimal("27.50"), market=Market.MAIN)
    base = generate_minute_bars("2222", day=date(2025, 1, 5), seed=1, **arguments)
    assert generate_minute_bars("2222", day=date(2025, 1, 5), seed=1, **arguments) == base
    assert generate_minute_bars("2222", day=date(2025, 1, 5), seed=2, **arguments) != base
    other_day = generate_minute_bars("2222", day=date(2025, 1, 6), seed=1, **arguments)
    assert [bar.close for bar in other_day] != [bar.close for bar in base]


def test_minute_bars_refuse_a_day_without_trading():
    with pytest.raises(ValueError):
        generate_minute_bars("2222", day=date(2025, 1, 3), previous_close=Decimal("27.50"),
                             market=Market.MAIN, seed=0)  # a Friday


def test_daily_bar_from_minutes_refuses_nothing_or_mixed_days():
    with pytest.raises(ValueError):
        daily_bar_from_minutes([])
    monday = generate_minute_bars("2222", day=date(2025, 1, 5), previous_close=Decimal("27.50"),
                                  market=Market.MAIN, seed=0)
    tuesday = generate_minute_bars("2222", day=date(2025, 1, 6),
                                   previous_close=monday[-1].close, market=Market.MAIN, seed=0)
    with pytest.raises(ValueError):
        daily_bar_from_minutes(monday + tuesday)


# --- live ticks ------------------------------------------------------------------------


INSTRUMENTS = {
    "1050": (Decimal("1.50"), Market.MAIN),     # a band of 15 ticks each side: hits limits
    "2222": (Decimal("27.50"), Market.MAIN),
    "1120": (Decimal("49.98"), Market.MAIN),    # straddles the 0.02/0.05 band edge
    "7010": (Decimal("100.00"), Market.MAIN),
    "4001": (Decimal("501.00"), Market.MAIN),
    "9510": (Decimal("24.99"), Market.NOMU),
    "9520": (Decimal("0.50"), Market.NOMU),     # 15 ticks each side as well
}


def test_ticks_respect_grid_and_limits_over_ten_thousand_steps():
    simulator = QuoteSimulator(INSTRUMENTS, seed=7)
    last = {symbol: reference for symbol, (reference, _) in INSTRUMENTS.items()}
    sequences = dict.fromkeys(INSTRUMENTS, 0)
    touched_a_limit: set[str] = set()
    crossed_a_band_edge = False
    for _ in range(10_000):
        ticks = simulator.step()
        assert [tick.symbol for tick in ticks] == sorted(tick.symbol for tick in ticks)
        for tick in ticks:
            reference, market = INSTRUMENTS[tick.symbol]
            assert_price_allowed(tick.price, reference, market)
            assert 1 <= grid_steps_between(last[tick.symbol], tick.price) <= 3
            assert tick.change_from_reference == tick.price - reference
            assert tick.sequence == sequences[tick.symbol] + 1
            assert isinstance(tick.volume, int)
            assert tick.volume >= 1
            limits = price_limits(reference, market)
            if tick.price in (limits.lower, limits.upper):
                touched_a_limit.add(tick.symbol)
            if tick.symbol == "1120" and tick.price >= Decimal(50) > last[tick.symbol]:
                crossed_a_band_edge = True
            last[tick.symbol] = tick.price
            sequences[tick.symbol] = tick.sequence
    assert all(count > 3000 for count in sequences.values())  # about 4000 each
    assert {"1050", "9520"} <= touched_a_limit
    assert crossed_a_band_edge


def test_next_tick_drives_one_symbol_on_demand():
    simulator = QuoteSimulator(INSTRUMENTS, seed=1)
    ticks = [simulator.next_tick("2222") for _ in range(100)]
    assert [tick.sequence for tick in ticks] == list(range(1, 101))
    assert all(isinstance(tick, SimulatedTick) and tick.symbol == "2222" for tick in ticks)
    with pytest.raises(KeyError):
        simulator.next_tick("9999")


def test_ticks_are_deterministic_by_seed_and_call_order():
    def run(seed: int) -> list[SimulatedTick]:
        simulator = QuoteSimulator(INSTRUMENTS, seed=seed)
        ticks: list[SimulatedTick] = []
        for _ in range(500):
            ticks += simulator.step()
            ticks.append(simulator.next_tick("7010"))
        return ticks

    assert run(3) == run(3)
    assert run(3) != run(4)
    # The order the instruments are listed in is not an input.
    reordered = QuoteSimulator(dict(reversed(list(INSTRUMENTS.items()))), seed=3)
    ordered = QuoteSimulator(INSTRUMENTS, seed=3)
    assert [reordered.step() for _ in range(200)] == [ordered.step() for _ in range(200)]


def test_a_symbols_ticks_do_not_depend_on_the_others():
    alone = QuoteSimulator(INSTRUMENTS, seed=5)
    busy = QuoteSimulator(INSTRUMENTS, seed=5)
    mine = [alone.next_tick("2222") for _ in range(300)]
    interleaved = []
    for _ in range(300):
        busy.next_tick("1120")
        busy.next_tick("9510")
        interleaved.append(busy.next_tick("2222"))
    assert interleaved == mine


def test_step_advances_a_changing_subset():
    simulator = QuoteSimulator(INSTRUMENTS, seed=2)
    subsets = [tuple(tick.symbol for tick in simulator.step()) for _ in range(200)]
    assert len(set(subsets)) > 20
    assert any(0 < len(subset) < len(INSTRUMENTS) for subset in subsets)


def test_quote_simulator_refuses_a_non_positive_reference():
    with pytest.raises(ValueError):
        QuoteSimulator({"2222": (Decimal(0), Market.MAIN)}, seed=0)
