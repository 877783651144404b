"""server.domain.indicators against TA-Lib, the reference (used by tests only), on real
2222.SR bars; VWAP, which TA-Lib lacks, against a hand computation."""

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from talib import abstract

from server.domain.errors import InvalidArgumentError
from server.domain.indicators import (
    IndicatorKind,
    IndicatorSpec,
    PriceSeries,
    compute_indicator,
    warm_up,
)

DATA_FILE = Path(__file__).resolve().parents[2] / "server" / "ingest" / "data" / "2222.SR.csv"
PRICE_DECIMALS = 4  # as the importer (server.ingest.yahoo_csv) rounds Yahoo's float32 noise
TOLERANCE = 1e-9    # absolute, or relative to the reference value, whichever is looser

K = IndicatorKind

# The API's output lines, in the order TA-Lib returns its outputs.
LINES = {K.MACD: ("macd", "signal", "histogram"), K.BBANDS: ("upper", "middle", "lower"),
         K.STOCH: ("k", "d")}


@dataclass(frozen=True)
class Bars:
    columns: dict[str, np.ndarray]  # TA-Lib's input names: open, high, low, close, volume

    @property
    def series(self) -> PriceSeries:
        c = self.columns
        return PriceSeries(open=c["open"].tolist(), high=c["high"].tolist(),
                           low=c["low"].tolist(), close=c["close"].tolist(),
                           volume=c["volume"].tolist())


def bars_of(open_, high, low, close, volume) -> Bars:
    return Bars({name: np.asarray(values, dtype=np.float64) for name, values in
                 zip(("open", "high", "low", "close", "volume"),
                     (open_, high, low, close, volume), strict=True)})


@pytest.fixture(scope="module")
def real() -> Bars:
    """Every traded day of 2222.SR in the shipped Yahoo export, as the importer keeps it."""
    rows = []
    with DATA_FILE.open(newline="") as handle:
        for row in csv.DictReader(handle):
            open_, high, low, close = (round(float(row[c]), PRICE_DECIMALS)
                                       for c in ("Open", "High", "Low", "Close"))
            volume = float(row["Volume"])
            if volume == 0 and open_ == high == low == close:
                continue  # a holiday filler
            rows.append((open_, high, low, close, volume))
    assert len(rows) > 1000
    return bars_of(*zip(*rows, strict=True))


def assert_matches(ours: list[float | None], reference: np.ndarray) -> None:
    """Undefined at exactly TA-Lib's NaN positions, every other value within TOLERANCE."""
    assert len(ours) == len(reference)
    values = np.array([np.nan if value is None else value for value in ours])
    assert np.array_equal(np.isnan(values), np.isnan(reference)), "undefined positions differ"
    defined = ~np.isnan(reference)
    assert defined.any(), "nothing to compare"
    deviation = np.abs(values[defined] - reference[defined])
    allowed = TOLERANCE * np.maximum(1.0, np.abs(reference[defined]))
    worst = int(np.argmax(deviation - allowed))
    assert deviation[worst] <= allowed[worst], (
        f"bar {np.flatnonzero(defined)[worst]}: {values[defined][worst]!r} vs TA-Lib "
        f"{reference[defined][worst]!r}")


def assert_matches_talib(bars: Bars, spec: IndicatorSpec, function: str,
                         parameters: dict[str, float]) -> None:
    result = compute_indicator(bars.series, spec)
    reference = abstract.Function(function, **parameters)(bars.columns)
    references = reference if isinstance(reference, list) else [reference]
    names = LINES.get(spec.kind, ("value",))
    assert tuple(result.lines) == names
    for name, expected in zip(names, references, strict=True):
        assert_matches(result.lines[name], expected)


STOCH_SMA = {"slowk_matype": 0, "slowd_matype": 0}

CASES = [
    pytest.param(IndicatorSpec(K.SMA, period=5), "SMA", {"timeperiod": 5}, id="SMA 5"),
    pytest.param(IndicatorSpec(K.SMA, period=20), "SMA", {"timeperiod": 20}, id="SMA 20"),
    pytest.param(IndicatorSpec(K.SMA, period=200), "SMA", {"timeperiod": 200}, id="SMA 200"),
    pytest.param(IndicatorSpec(K.SMA, period=1), "SMA", {"timeperiod": 1}, id="SMA 1"),
    pytest.param(IndicatorSpec(K.EMA, period=12), "EMA", {"timeperiod": 12}, id="EMA 12"),
    pytest.param(IndicatorSpec(K.EMA, period=26), "EMA", {"timeperiod": 26}, id="EMA 26"),
    pytest.param(IndicatorSpec(K.EMA, period=50), "EMA", {"timeperiod": 50}, id="EMA 50"),
    pytest.param(IndicatorSpec(K.EMA, period=1), "EMA", {"timeperiod": 1}, id="EMA 1"),
    pytest.param(IndicatorSpec(K.WMA, period=5), "WMA", {"timeperiod": 5}, id="WMA 5"),
    pytest.param(IndicatorSpec(K.WMA, period=20), "WMA", {"timeperiod": 20}, id="WMA 20"),
    pytest.param(IndicatorSpec(K.WMA, period=200), "WMA", {"timeperiod": 200}, id="WMA 200"),
    pytest.param(IndicatorSpec(K.RSI, period=2), "RSI", {"timeperiod": 2}, id="RSI 2"),
    pytest.param(IndicatorSpec(K.RSI, period=14), "RSI", {"timeperiod": 14}, id="RSI 14"),
    pytest.param(IndicatorSpec(K.MACD, fast_period=12, slow_period=26, signal_period=9),
                 "MACD", {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9},
                 id="MACD 12/26/9"),
    pytest.param(IndicatorSpec(K.MACD, fast_period=5, slow_period=35, signal_period=5),
                 "MACD", {"fastperiod": 5, "slowperiod": 35, "signalperiod": 5},
                 id="MACD 5/35/5"),
    pytest.param(IndicatorSpec(K.MACD, fast_period=2, slow_period=3, signal_period=1),
                 "MACD", {"fastperiod": 2, "slowperiod": 3, "signalperiod": 1},
                 id="MACD 2/3/1"),
    pytest.param(IndicatorSpec(K.BBANDS, period=20, std_dev_up=2.0, std_dev_down=2.0),
                 "BBANDS", {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0},
                 id="BBANDS 20/2/2"),
    pytest.param(IndicatorSpec(K.BBANDS, period=10, std_dev_up=1.5, std_dev_down=2.5),
                 "BBANDS", {"timeperiod": 10, "nbdevup": 1.5, "nbdevdn": 2.5, "matype": 0},
                 id="BBANDS 10/1.5/2.5"),
    pytest.param(IndicatorSpec(K.ATR, period=14), "ATR", {"timeperiod": 14}, id="ATR 14"),
    pytest.param(IndicatorSpec(K.ATR, period=5), "ATR", {"timeperiod": 5}, id="ATR 5"),
    pytest.param(IndicatorSpec(K.ATR, period=1), "ATR", {"timeperiod": 1}, id="ATR 1"),
    pytest.param(IndicatorSpec(K.STOCH, k_period=14, k_slowing=3, d_period=3), "STOCH",
                 {"fastk_period": 14, "slowk_period": 3, "slowd_period": 3, **STOCH_SMA},
                 id="STOCH 14/3/3"),
    pytest.param(IndicatorSpec(K.STOCH, k_period=5, k_slowing=3, d_period=3), "STOCH",
                 {"fastk_period": 5, "slowk_period": 3, "slowd_period": 3, **STOCH_SMA},
                 id="STOCH 5/3/3"),
    pytest.param(IndicatorSpec(K.STOCH, k_period=3, k_slowing=1, d_period=4), "STOCH",
                 {"fastk_period": 3, "slowk_period": 1, "slowd_period": 4, **STOCH_SMA},
                 id="STOCH 3/1/4"),
    pytest.param(IndicatorSpec(K.OBV), "OBV", {}, id="OBV"),
]

# A spec left at its defaults, and the TA-Lib call those defaults stand for.
DEFAULT_CASES = [
    pytest.param(IndicatorSpec(K.SMA), "SMA", {"timeperiod": 20}, id="SMA"),
    pytest.param(IndicatorSpec(K.EMA), "EMA", {"timeperiod": 20}, id="EMA"),
    pytest.param(IndicatorSpec(K.WMA), "WMA", {"timeperiod": 20}, id="WMA"),
    pytest.param(IndicatorSpec(K.RSI), "RSI", {"timeperiod": 14}, id="RSI"),
    pytest.param(IndicatorSpec(K.MACD), "MACD",
                 {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}, id="MACD"),
    pytest.param(IndicatorSpec(K.BBANDS), "BBANDS",
                 {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0}, id="BBANDS"),
    pytest.param(IndicatorSpec(K.ATR), "ATR", {"timeperiod": 14}, id="ATR"),
    pytest.param(IndicatorSpec(K.STOCH), "STOCH",
                 {"fastk_period": 14, "slowk_period": 3, "slowd_period": 3, **STOCH_SMA},
                 id="STOCH"),
]


# --- values and warm-up against TA-Lib on real bars ------------------------------------------


@pytest.mark.parametrize(("spec", "function", "parameters"), CASES)
def test_matches_talib_on_real_bars(real, spec, function, parameters):
    assert_matches_talib(real, spec, function, parameters)


@pytest.mark.parametrize(("spec", "function", "parameters"), DEFAULT_CASES)
def test_defaults_match_the_documented_talib_call(real, spec, function, parameters):
    assert_matches_talib(real, spec, function, parameters)


@pytest.mark.parametrize(("spec", "function", "parameters"), CASES + DEFAULT_CASES)
def test_warm_up_is_talib_lookback_and_leading_nones(real, spec, function, parameters):
    lookback = abstract.Function(function, **parameters).lookback
    assert warm_up(spec) == lookback
    for line in compute_indicator(real.series, spec).lines.values():
        assert [value is None for value in line[:lookback + 1]] == [True] * lookback + [False]


def test_a_series_exactly_one_bar_longer_than_the_warm_up_gives_one_value(real):
    spec = IndicatorSpec(K.MACD)
    bars = warm_up(spec) + 1
    short = bars_of(*(real.columns[name][:bars]
                      for name in ("open", "high", "low", "close", "volume")))
    assert_matches_talib(short, spec, "MACD",
                         {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9})
    assert compute_indicator(short.series, spec).lines["macd"][-1] is not None


def test_flat_prices_reproduce_talib_zero_answers():
    # No close moves for 30 bars, then one move and flat again: TA-Lib answers RSI 0
    # before any move, %K 0 over a window with no range, and zero-width bands.
    closes = [10.0] * 30 + [10.5, 10.25] + [10.25] * 30
    flat = bars_of(closes, closes, closes, closes, range(len(closes)))
    assert_matches_talib(flat, IndicatorSpec(K.RSI, period=5), "RSI", {"timeperiod": 5})
    assert_matches_talib(flat, IndicatorSpec(K.STOCH, k_period=5, k_slowing=2, d_period=2),
                         "STOCH", {"fastk_period": 5, "slowk_period": 2, "slowd_period": 2,
                                   **STOCH_SMA})
    assert_matches_talib(flat, IndicatorSpec(K.BBANDS, period=5), "BBANDS",
                         {"timeperiod": 5, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0})
    rsi = compute_indicator(flat.series, IndicatorSpec(K.RSI, period=5)).lines["value"]
    assert rsi[5] == 0.0


def test_the_comparison_catches_a_wrong_value_or_a_wrong_warm_up():
    reference = np.array([np.nan, np.nan, 30.0, 31.0])
    assert_matches([None, None, 30.0, 31.0 + 30 * TOLERANCE], reference)
    with pytest.raises(AssertionError):
        assert_matches([None, None, 30.0, 31.0 + 40 * TOLERANCE], reference)
    with pytest.raises(AssertionError):
        assert_matches([None, 29.5, 30.0, 31.0], reference)
    with pytest.raises(AssertionError):
        assert_matches([None, None, None, 31.0], reference)


# --- VWAP (TA-Lib has none) ----------------------------------------------------------------


def test_vwap_is_cumulative_typical_price_times_volume_over_volume():
    bars = bars_of(open_=[10, 11, 12, 11], high=[11, 12, 13, 12], low=[9, 10, 11, 10],
                   close=[10, 11, 12, 11], volume=[100, 200, 0, 300])
    # Typical prices 10, 11, 12, 11. Running price x volume: 1000, 3200, 3200, 6500;
    # running volume: 100, 300, 300, 600.
    expected = [10.0, 3200 / 300, 3200 / 300, 6500 / 600]
    result = compute_indicator(bars.series, IndicatorSpec(K.VWAP))
    assert result.lines["value"] == pytest.approx(expected, rel=1e-12)
    assert warm_up(IndicatorSpec(K.VWAP)) == 0


def test_vwap_is_undefined_until_volume_trades():
    bars = bars_of(open_=[5, 6, 7], high=[6, 7, 9], low=[4, 5, 6], close=[5, 6, 6],
                   volume=[0, 0, 50])
    assert compute_indicator(bars.series, IndicatorSpec(K.VWAP)).lines["value"] == [
        None, None, pytest.approx(7.0)]


def test_vwap_on_real_bars_matches_a_direct_computation(real):
    c = real.columns
    typical = (c["high"] + c["low"] + c["close"]) / 3
    expected = np.cumsum(typical * c["volume"]) / np.cumsum(c["volume"])
    assert_matches(compute_indicator(real.series, IndicatorSpec(K.VWAP)).lines["value"],
                   expected)


def test_volume_indicators_on_no_bars_are_empty():
    empty = bars_of([], [], [], [], [])
    for kind in (K.OBV, K.VWAP):
        assert compute_indicator(empty.series, IndicatorSpec(kind)).lines == {"value": []}


# --- validation ----------------------------------------------------------------------------


def violations(spec, series=None, field_prefix="indicators[0]"):
    with pytest.raises(InvalidArgumentError) as caught:
        if series is None:
            warm_up(spec, field_prefix=field_prefix)
        else:
            compute_indicator(series, spec, field_prefix=field_prefix)
    return {v.field: v.description for v in caught.value.violations}


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        (IndicatorSpec(K.SMA, period=0), "period", "at least 1"),
        (IndicatorSpec(K.EMA, period=-5), "period", "at least 1"),
        (IndicatorSpec(K.RSI, period=1), "period", "at least 2"),
        (IndicatorSpec(K.BBANDS, period=1), "period", "at least 2"),
        (IndicatorSpec(K.ATR, period=0), "period", "at least 1"),
        (IndicatorSpec(K.MACD, signal_period=0), "signal_period", "at least 1"),
        (IndicatorSpec(K.STOCH, d_period=0), "d_period", "at least 1"),
        (IndicatorSpec(K.MACD, fast_period=26, slow_period=12), "fast_period",
         "less than slow_period (12)"),
        (IndicatorSpec(K.MACD, fast_period=12, slow_period=12), "fast_period",
         "less than slow_period (12)"),
        (IndicatorSpec(K.BBANDS, std_dev_up=-1.0), "std_dev_up", "zero or more"),
        (IndicatorSpec(K.BBANDS, std_dev_down=float("nan")), "std_dev_down", "finite"),
        (IndicatorSpec(K.SMA, fast_period=5), "fast_period", "does not apply to SMA"),
        (IndicatorSpec(K.OBV, period=5), "period", "does not apply to OBV"),
        (IndicatorSpec(K.RSI, std_dev_up=2.0), "std_dev_up", "does not apply to RSI"),
    ],
)
def test_bad_parameters_name_their_field(real, spec, field, words):
    for found in (violations(spec), violations(spec, real.series)):
        assert list(found) == [f"indicators[0].{field}"]
        assert words in found[f"indicators[0].{field}"]


def test_every_bad_parameter_is_reported_at_once():
    found = violations(IndicatorSpec(K.MACD, fast_period=0, signal_period=0),
                       field_prefix="indicators[3]")
    assert set(found) == {"indicators[3].fast_period", "indicators[3].signal_period"}


def test_without_a_prefix_the_field_is_the_parameter_name():
    assert list(violations(IndicatorSpec(K.SMA, period=0), field_prefix="")) == ["period"]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (IndicatorSpec(K.SMA, period=20), "period"),
        (IndicatorSpec(K.RSI, period=19), "period"),  # RSI's first value needs period + 1
        (IndicatorSpec(K.ATR, period=19), "period"),
        (IndicatorSpec(K.MACD, fast_period=2, slow_period=12, signal_period=9), "slow_period"),
        (IndicatorSpec(K.STOCH, k_period=16, k_slowing=3, d_period=3), "k_period"),
    ],
)
def test_a_series_too_short_for_one_value_is_refused(real, spec, field):
    short = bars_of(*(real.columns[name][:19]
                      for name in ("open", "high", "low", "close", "volume")))
    found = violations(spec, short.series, field_prefix="indicators[1]")
    assert list(found) == [f"indicators[1].{field}"]
    assert f"needs at least {warm_up(spec) + 1} bars" in found[f"indicators[1].{field}"]
    assert "19 available" in found[f"indicators[1].{field}"]


def test_a_period_as_long_as_the_series_gives_one_value(real):
    series = real.series
    value = compute_indicator(series, IndicatorSpec(K.SMA, period=len(series.close)))
    assert value.lines["value"][-1] == pytest.approx(float(np.mean(real.columns["close"])))
    assert value.lines["value"][-2] is None


def test_price_columns_must_be_equally_long():
    with pytest.raises(ValueError, match="differ in length"):
        PriceSeries(open=[1.0], high=[1.0], low=[1.0], close=[1.0, 2.0], volume=[1.0])
