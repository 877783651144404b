"""Technical indicators over a price series, value for value what TA-Lib computes.

Every indicator but VWAP reproduces TA-Lib 0.8 (the `ta-lib` package, which the
unit tests use as the reference and which is never called here): the same values
to within 1e-9, and undefined (None) at exactly the leading positions where TA-Lib
answers NaN. Where TA-Lib departs from the textbook definition, the departure is
reproduced and commented. TA-Lib has no VWAP; ours is documented on `_series_vwap`.

Pure: numpy and the standard library, no I/O.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from server.domain.errors import FieldViolation, InvalidArgumentError, ViolationCollector

FloatArray = npt.NDArray[np.float64]


class IndicatorKind(Enum):
    SMA = "sma"        # simple moving average of closes
    EMA = "ema"        # exponential moving average of closes
    WMA = "wma"        # linearly weighted moving average of closes
    RSI = "rsi"        # Wilder's relative strength index of closes
    MACD = "macd"      # moving average convergence/divergence of closes
    BBANDS = "bbands"  # Bollinger Bands around the SMA of closes
    ATR = "atr"        # Wilder's average true range
    STOCH = "stoch"    # slow stochastic oscillator
    OBV = "obv"        # on-balance volume
    VWAP = "vwap"      # volume-weighted typical price, anchored at the first bar given


@dataclass(frozen=True)
class PriceSeries:
    """Daily bars as parallel columns, oldest first."""

    open: Sequence[float]
    high: Sequence[float]
    low: Sequence[float]
    close: Sequence[float]
    volume: Sequence[float]

    def __post_init__(self) -> None:
        lengths = {len(self.open), len(self.high), len(self.low), len(self.close),
                   len(self.volume)}
        if len(lengths) != 1:
            raise ValueError(f"price columns differ in length: {sorted(lengths)}")


@dataclass(frozen=True)
class IndicatorSpec:
    """Which indicator, and its parameters; None means the kind's default.

    Parameters by kind, with defaults (a parameter set for a kind it does not apply
    to is rejected, so a client's mistake is not silently ignored):

    - SMA, EMA, WMA: `period` 20 (TA-Lib's own default is 30; 20 is the charting
      convention and matches the Bollinger middle band).
    - RSI: `period` 14. ATR: `period` 14.
    - MACD: `fast_period` 12, `slow_period` 26, `signal_period` 9.
    - BBANDS: `period` 20, `std_dev_up` 2.0, `std_dev_down` 2.0.
    - STOCH: `k_period` 14 (the high-low window of fast %K), `k_slowing` 3 (the SMA
      turning fast %K into %K), `d_period` 3 (the SMA of %K that is %D).
    - OBV, VWAP: none.
    """

    kind: IndicatorKind
    period: int | None = None
    fast_period: int | None = None
    slow_period: int | None = None
    signal_period: int | None = None
    std_dev_up: float | None = None
    std_dev_down: float | None = None
    k_period: int | None = None
    k_slowing: int | None = None
    d_period: int | None = None


@dataclass(frozen=True)
class IndicatorResult:
    """Named output lines, each aligned with the input bars; None where undefined.

    Lines by kind: MACD `macd`, `signal`, `histogram`; BBANDS `upper`, `middle`,
    `lower`; STOCH `k`, `d`; every other kind `value`.
    """

    lines: dict[str, list[float | None]]


_PERIOD_FIELDS = ("period", "fast_period", "slow_period", "signal_period",
                  "k_period", "k_slowing", "d_period")
_STD_DEV_FIELDS = ("std_dev_up", "std_dev_down")
_DEFAULT_STD_DEV = 2.0

# kind -> period parameter -> (default, smallest value TA-Lib accepts)
_PERIODS: dict[IndicatorKind, dict[str, tuple[int, int]]] = {
    IndicatorKind.SMA: {"period": (20, 1)},
    IndicatorKind.EMA: {"period": (20, 1)},
    IndicatorKind.WMA: {"period": (20, 1)},
    IndicatorKind.RSI: {"period": (14, 2)},
    IndicatorKind.MACD: {"fast_period": (12, 2), "slow_period": (26, 2),
                         "signal_period": (9, 1)},
    IndicatorKind.BBANDS: {"period": (20, 2)},
    IndicatorKind.ATR: {"period": (14, 1)},
    IndicatorKind.STOCH: {"k_period": (14, 1), "k_slowing": (3, 1), "d_period": (3, 1)},
    IndicatorKind.OBV: {},
    IndicatorKind.VWAP: {},
}

# The parameter named when the series is too short: the one that sets most of the
# warm-up.
_LENGTH_FIELD = {
    IndicatorKind.SMA: "period",
    IndicatorKind.EMA: "period",
    IndicatorKind.WMA: "period",
    IndicatorKind.RSI: "period",
    IndicatorKind.MACD: "slow_period",
    IndicatorKind.BBANDS: "period",
    IndicatorKind.ATR: "period",
    IndicatorKind.STOCH: "k_period",
}


@dataclass(frozen=True)
class _Parameters:
    """A spec's parameters with defaults filled in, all checked."""

    periods: dict[str, int]
    std_dev_up: float
    std_dev_down: float


def warm_up(spec: IndicatorSpec, *, field_prefix: str = "") -> int:
    """How many leading values are undefined (TA-Lib's lookback).

    Raises InvalidArgumentError, naming fields under `field_prefix`, for bad parameters.
    """
    return _lookback(spec.kind, _resolve(spec, field_prefix))


def compute_indicator(series: PriceSeries, spec: IndicatorSpec, *,
                      field_prefix: str = "") -> IndicatorResult:
    """Compute `spec` over `series`.

    Raises InvalidArgumentError for bad parameters, or for a series too short to give
    a single value; fields are named under `field_prefix` (e.g. "indicators[0]").
    """
    parameters = _resolve(spec, field_prefix)
    bars = len(series.close)
    lookback = _lookback(spec.kind, parameters)
    length_field = _LENGTH_FIELD.get(spec.kind)
    if length_field is not None and bars <= lookback:
        raise InvalidArgumentError([FieldViolation(
            _path(field_prefix, length_field),
            f"{spec.kind.name} needs at least {lookback + 1} bars with these parameters; "
            f"{bars} available")])
    lines = _COMPUTE[spec.kind](series, parameters)
    return IndicatorResult({name: _optional(values) for name, values in lines.items()})


def _path(field_prefix: str, name: str) -> str:
    return f"{field_prefix}.{name}" if field_prefix else name


def _resolve(spec: IndicatorSpec, field_prefix: str) -> _Parameters:
    problems = ViolationCollector()
    rules = _PERIODS[spec.kind]
    periods: dict[str, int] = {}
    too_small: set[str] = set()
    for name in _PERIOD_FIELDS:
        given: int | None = getattr(spec, name)
        if name not in rules:
            if given is not None:
                problems.add(_path(field_prefix, name), f"does not apply to {spec.kind.name}")
            continue
        default, minimum = rules[name]
        value = default if given is None else given
        if value < minimum:
            problems.add(_path(field_prefix, name), f"must be at least {minimum}")
            too_small.add(name)
        periods[name] = value
    std_devs: dict[str, float] = {}
    for name in _STD_DEV_FIELDS:
        given_std_dev: float | None = getattr(spec, name)
        if spec.kind is not IndicatorKind.BBANDS:
            if given_std_dev is not None:
                problems.add(_path(field_prefix, name), f"does not apply to {spec.kind.name}")
            continue
        value_std_dev = _DEFAULT_STD_DEV if given_std_dev is None else given_std_dev
        if not math.isfinite(value_std_dev) or value_std_dev < 0:
            problems.add(_path(field_prefix, name), "must be a finite number, zero or more")
        std_devs[name] = value_std_dev
    # Unlike TA-Lib, which quietly swaps them, a fast period at or above the slow one
    # is refused: it is a client's mistake. Only checked when both are otherwise valid,
    # so one mistake is not reported twice.
    if spec.kind is IndicatorKind.MACD and not too_small & {"fast_period", "slow_period"}:
        fast, slow = periods["fast_period"], periods["slow_period"]
        if fast >= slow:
            problems.add(_path(field_prefix, "fast_period"),
                         f"must be less than slow_period ({slow})")
    problems.raise_if_any()
    return _Parameters(periods, std_devs.get("std_dev_up", _DEFAULT_STD_DEV),
                       std_devs.get("std_dev_down", _DEFAULT_STD_DEV))


def _lookback(kind: IndicatorKind, parameters: _Parameters) -> int:
    p = parameters.periods
    match kind:
        case IndicatorKind.SMA | IndicatorKind.EMA | IndicatorKind.WMA | IndicatorKind.BBANDS:
            return p["period"] - 1
        case IndicatorKind.RSI | IndicatorKind.ATR:
            # One bar more than the window: the first change (or true range) needs
            # the bar before it.
            return p["period"]
        case IndicatorKind.MACD:
            return p["slow_period"] - 1 + p["signal_period"] - 1
        case IndicatorKind.STOCH:
            return p["k_period"] - 1 + p["k_slowing"] - 1 + p["d_period"] - 1
        case IndicatorKind.OBV | IndicatorKind.VWAP:
            return 0


def _optional(values: FloatArray) -> list[float | None]:
    return [None if math.isnan(value) else value for value in values.tolist()]


def _array(values: Sequence[float]) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _undefined(length: int) -> FloatArray:
    return np.full(length, np.nan)


def _sma(values: FloatArray, period: int) -> FloatArray:
    """Mean of each window of `period` values; NaN until the first full window, and
    wherever a window holds a NaN, so it chains onto another indicator's warm-up."""
    out = _undefined(len(values))
    out[period - 1:] = sliding_window_view(values, period).sum(axis=1) / period
    return out


def _wma(values: FloatArray, period: int) -> FloatArray:
    """Weights 1..period, the newest bar weighing most."""
    out = _undefined(len(values))
    weights = np.arange(1, period + 1, dtype=np.float64)
    out[period - 1:] = sliding_window_view(values, period) @ weights / weights.sum()
    return out


def _ema(values: FloatArray, period: int, first: int) -> FloatArray:
    """TA-Lib's EMA: its first value, at index `first`, is the plain mean of the
    `period` values ending there; each later one moves k = 2 / (period + 1) of the
    way towards the new value."""
    out = _undefined(len(values))
    if period == 1:
        # TA-Lib copies the input: at k = 1 the recursion below can be an ulp off.
        out[first:] = values[first:]
        return out
    k = 2.0 / (period + 1)
    # Summed in input order, as TA-Lib does.
    current = sum(values[first - period + 1:first + 1].tolist()) / period
    smoothed = [current]
    for value in values[first + 1:].tolist():
        current += (value - current) * k
        smoothed.append(current)
    out[first:] = smoothed
    return out


def _wilder(values: list[float], period: int) -> list[float]:
    """Wilder's smoothing: the mean of the first `period` values, then each later
    value weighs 1/period."""
    current = sum(values[:period]) / period
    smoothed = [current]
    for value in values[period:]:
        current = (current * (period - 1) + value) / period
        smoothed.append(current)
    return smoothed


def _rsi(close: FloatArray, period: int) -> FloatArray:
    changes = np.diff(close)
    average_gain = _wilder(np.maximum(changes, 0.0).tolist(), period)
    average_loss = _wilder(np.maximum(-changes, 0.0).tolist(), period)
    out = _undefined(len(close))
    # TA-Lib 0.8 answers 0, not a neutral 50, while no close has moved at all.
    out[period:] = [100.0 * (gain / (gain + loss)) if gain + loss > 0.0 else 0.0
                    for gain, loss in zip(average_gain, average_loss, strict=True)]
    return out


def _true_range(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    """From the second bar on: the bar's range stretched to the previous close."""
    previous_close = close[:-1]
    return np.maximum(high[1:] - low[1:], np.maximum(np.abs(previous_close - high[1:]),
                                                     np.abs(previous_close - low[1:])))


def _series_sma(series: PriceSeries, p: _Parameters) -> dict[str, FloatArray]:
    return {"value": _sma(_array(series.close), p.periods["period"])}


def _series_ema(series: PriceSeries, p: _Parameters) -> dict[str, FloatArray]:
    period = p.periods["period"]
    return {"value": _ema(_array(series.close), period, period - 1)}


def _series_wma(series: PriceSeries, p: _Parameters) -> dict[str, FloatArray]:
    return {"value": _wma(_array(series.close), p.periods["period"])}


def _series_rsi(series: PriceSeries, p: _Parameters) -> dict[str, FloatArray]:
    return {"value": _rsi(_array(series.close), p.periods["period"])}


def _series_macd(series: PriceSeries, p: _Parameters) -> dict[str, FloatArray]:
    fast, slow, signal = (p.periods["fast_period"], p.periods["slow_period"],
                          p.periods["signal_period"])
    first = slow - 1
    close = _array(series.close)
    # TA-Lib starts both EMAs on the slow one's first bar, so the fast EMA is seeded
    # with the mean of the `fast` closes ending there, not of the first `fast` closes.
    macd = _ema(close, fast, first) - _ema(close, slow, first)
    signal_line = _ema(macd, signal, first + signal - 1)
    # TA-Lib leaves the MACD line undefined until the signal line is defined too.
    macd[:_lookback(IndicatorKind.MACD, p)] = np.nan
    return {"macd": macd, "signal": signal_line, "histogram": macd - signal_line}


def _series_bbands(series: PriceSeries, p: _Parameters) -> dict[str, FloatArray]:
    period = p.periods["period"]
    close = _array(series.close)
    middle = _sma(close, period)
    deviation = _undefined(len(close))
    # Population standard deviation (divided by period, not period - 1), computed
    # two-pass: TA-Lib 0.8's running variance is cancellation-free, so the naive
    # mean-of-squares form would drift from it.
    deviation[period - 1:] = np.sqrt(sliding_window_view(close, period).var(axis=1))
    return {"upper": middle + deviation * p.std_dev_up, "middle": middle,
            "lower": middle - deviation * p.std_dev_down}


def _series_atr(series: PriceSeries, p: _Parameters) -> dict[str, FloatArray]:
    period = p.periods["period"]
    close = _array(series.close)
    true_range = _true_range(_array(series.high), _array(series.low), close)
    out = _undefined(len(close))
    out[period:] = _wilder(true_range.tolist(), period)
    return {"value": out}


def _series_stoch(series: PriceSeries, p: _Parameters) -> dict[str, FloatArray]:
    k_period, k_slowing, d_period = (p.periods["k_period"], p.periods["k_slowing"],
                                     p.periods["d_period"])
    close = _array(series.close)
    highest = _undefined(len(close))
    lowest = _undefined(len(close))
    highest[k_period - 1:] = sliding_window_view(_array(series.high), k_period).max(axis=1)
    lowest[k_period - 1:] = sliding_window_view(_array(series.low), k_period).min(axis=1)
    span = highest - lowest
    # TA-Lib answers 0 for a flat window, taking as flat a range within 1e-14 of the
    # extremes' own magnitude (rounding residue), and divides by range/100 rather
    # than multiplying by 100.
    flat = np.abs(span) <= 1e-14 * (np.abs(highest) + np.abs(lowest))
    with np.errstate(divide="ignore", invalid="ignore"):
        fast_k = np.where(flat, 0.0, (close - lowest) / (span / 100.0))
    slow_k = _sma(fast_k, k_slowing)
    slow_d = _sma(slow_k, d_period)
    # TA-Lib leaves %K undefined until %D is defined too.
    slow_k[:_lookback(IndicatorKind.STOCH, p)] = np.nan
    return {"k": slow_k, "d": slow_d}


def _series_obv(series: PriceSeries, p: _Parameters) -> dict[str, FloatArray]:
    close = _array(series.close)
    volume = _array(series.volume)
    if len(close) == 0:
        return {"value": close}
    # TA-Lib starts from the first bar's whole volume, not from 0.
    signed = np.concatenate((volume[:1], np.sign(np.diff(close)) * volume[1:]))
    return {"value": np.cumsum(signed)}


def _series_vwap(series: PriceSeries, p: _Parameters) -> dict[str, FloatArray]:
    """Session (anchored) VWAP over the given bars: the running sum of typical price
    (high + low + close) / 3 times volume, over the running sum of volume; undefined
    while no volume has traded."""
    volume = _array(series.volume)
    typical = (_array(series.high) + _array(series.low) + _array(series.close)) / 3.0
    traded = np.cumsum(volume)
    with np.errstate(divide="ignore", invalid="ignore"):
        vwap = np.cumsum(typical * volume) / traded
    return {"value": np.where(traded > 0, vwap, np.nan)}


_COMPUTE: dict[IndicatorKind, Callable[[PriceSeries, _Parameters], dict[str, FloatArray]]] = {
    IndicatorKind.SMA: _series_sma,
    IndicatorKind.EMA: _series_ema,
    IndicatorKind.WMA: _series_wma,
    IndicatorKind.RSI: _series_rsi,
    IndicatorKind.MACD: _series_macd,
    IndicatorKind.BBANDS: _series_bbands,
    IndicatorKind.ATR: _series_atr,
    IndicatorKind.STOCH: _series_stoch,
    IndicatorKind.OBV: _series_obv,
    IndicatorKind.VWAP: _series_vwap,
}
