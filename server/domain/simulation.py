"""Synthetic Tadawul prices for symbols with no real history: reproducible, and within the rules.

Everything produced here is demo data; whoever serves it labels it synthetic.

The model, per market (parameters in `_MODELS`):

- Daily closes follow a geometric random walk, close = previous close × (1 + r), with
  r = drift + volatility × Z + J. Z is standard normal; J is a news jump that comes on a
  small share of days and is uniform in ±jump_size. Main market: drift 0.02 %/day (about
  5 %/year), volatility 1.8 %/day, a jump on 1 % of days of up to 12 %. Nomu's smaller
  companies move more: volatility 2.8 %/day, a jump on 2 % of days of up to 35 %. Jumps past
  the daily limit end the day at the limit, as a limit-up or limit-down day does.
- The open gaps from the previous close by a quarter of the day's volatility (the opening
  auction prices in overnight news, not a day's worth of it); high and low reach past the
  open-close body by half-normal wicks of half the day's volatility.
- Volume is lognormal (dispersion 0.5) around a typical turnover drawn once per symbol,
  log-uniform in SAR 2M-150M a day on the main market and SAR 0.1M-5M on Nomu, divided by
  the price; big moves trade more (+50 % per standard deviation of the move).
- Minute bars run the same walk over the 300 minutes of continuous trading with the day's
  volatility spread evenly (volatility / sqrt(300) per minute) and volume in a U shape,
  three times heavier at the open and close than at midday.
- Live ticks step one tick (70 %), two (20 %) or three (10 %) ticks from the last trade,
  leaning back toward the middle of the day's band so prices do not sit on a limit.

Every price is clamped into the day's limits around the previous close and rounded to the
tick grid (the limits are themselves on the grid, so rounding cannot leave them).

Determinism: the same inputs give the same output on every machine and Python version.
Generators are `random.Random` seeded with strings such as "7:2222:closes"; CPython seeds
from a string through SHA-512, unlike `hash()`, which is salted per process. Only
`random()` is drawn, and floats only meet operations IEEE 754 rounds correctly (+, -, ×, /,
sqrt, `math.fsum`): `random.gauss` and `math.exp` go through the platform's libm, which may
differ in the last bit, and one bit can move a price onto the neighbouring tick. Logarithms
and exponentials are taken in Decimal, whose `ln` and `exp` are correctly rounded everywhere
(in the default 28-digit context).
"""

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from server.domain.calendar import RIYADH
from server.domain.securities import Market
from server.domain.ticks import RoundingDirection, is_on_tick_grid, price_limits, round_to_tick
from server.domain.trading_calendar import CLOSE_TIME, OPEN_TIME, is_trading_day, trading_days

# SAR's minor unit: the smallest tick and so the lowest price a share can trade at.
_HALALA = Decimal("0.01")
# Caps the band of prices from which a target close can still be reached: over a long span
# that band widens by the daily limit every day (×1.3^250 after a year of Nomu), beyond what
# 28-digit Decimal arithmetic holds exactly. No Tadawul share has come near a million riyals.
_PRICE_CEILING = Decimal(1_000_000)

_OPENING_GAP_SHARE = 0.25
_WICK_SHARE = 0.5
_VOLUME_DISPERSION = 0.5
_VOLUME_PER_SIGMA_MOVED = 0.5

# The continuous session, 10:00-15:00 Riyadh time: 300 one-minute bars.
_SESSION_MINUTES = (datetime.combine(date.min, CLOSE_TIME)
                    - datetime.combine(date.min, OPEN_TIME)) // timedelta(minutes=1)
_MINUTE_VOLUME_DISPERSION = 0.8
_OPEN_CLOSE_VOLUME_BOOST = 2.0

_TICK_STEP_CUMULATIVE = (0.7, 0.9, 1.0)  # one, two or three ticks per trade
# The chance of an up-tick falls from 0.6 at the lower limit to 0.4 at the upper one.
_BAND_REVERSION = 0.1
_TRADE_PROBABILITY = 0.4  # share of symbols that trade in one `QuoteSimulator.step`
_TYPICAL_TRADE_SAR = Decimal(20_000)
_TRADE_SIZE_DISPERSION = 1.0


@dataclass(frozen=True)
class _MarketModel:
    daily_drift: float
    daily_volatility: float
    jump_probability: float
    jump_size: float
    turnover_low_sar: Decimal
    turnover_high_sar: Decimal


_MODELS: dict[Market, _MarketModel] = {
    Market.MAIN: _MarketModel(
        daily_drift=0.0002, daily_volatility=0.018, jump_probability=0.01, jump_size=0.12,
        turnover_low_sar=Decimal(2_000_000), turnover_high_sar=Decimal(150_000_000),
    ),
    Market.NOMU: _MarketModel(
        daily_drift=0.0002, daily_volatility=0.028, jump_probability=0.02, jump_size=0.35,
        turnover_low_sar=Decimal(100_000), turnover_high_sar=Decimal(5_000_000),
    ),
}


@dataclass(frozen=True)
class SyntheticDailyBar:
    symbol: str
    day: date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int


@dataclass(frozen=True)
class SyntheticMinuteBar:
    """One minute of continuous trading; `start` is an aware datetime in UTC."""

    symbol: str
    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int


@dataclass(frozen=True)
class SimulatedTick:
    """One simulated trade. `sequence` counts the symbol's ticks from 1, so a subscriber to
    one symbol can spot a gap."""

    symbol: str
    price: Decimal
    change_from_reference: Decimal
    volume: int
    sequence: int


@dataclass(frozen=True)
class _Band:
    """An inclusive price interval whose ends are on the tick grid."""

    lower: Decimal
    upper: Decimal


# --- random process --------------------------------------------------------------------


def _generator(seed: int, symbol: str, purpose: str) -> random.Random:
    # One stream per purpose, so that (for instance) the closes of a path do not depend
    # on how many draws its intraday detail took.
    return random.Random(f"{seed}:{symbol}:{purpose}")


def _standard_normal(rng: random.Random) -> float:
    """An approximately standard normal draw: the Irwin-Hall sum of twelve uniforms, less six.

    Exact on every platform (see the module docstring); `math.fsum` because the built-in
    `sum` of floats changed its rounding in Python 3.12. The tails stop at +-6; the news
    jumps supply the fat tails.
    """
    return math.fsum(rng.random() for _ in range(12)) - 6.0


def _lognormal(rng: random.Random, dispersion: float) -> Decimal:
    """A lognormal factor with mean about 1."""
    exponent = dispersion * _standard_normal(rng) - dispersion * dispersion / 2
    return Decimal(exponent).exp()


def _daily_return(rng: random.Random, model: _MarketModel) -> float:
    shock = model.daily_drift + model.daily_volatility * _standard_normal(rng)
    if rng.random() < model.jump_probability:
        shock += model.jump_size * (2.0 * rng.random() - 1.0)
    return shock


def _daily_returns(seed: int, symbol: str, model: _MarketModel, count: int) -> list[float]:
    rng = _generator(seed, symbol, "closes")
    return [_daily_return(rng, model) for _ in range(count)]


def _typical_turnover_sar(seed: int, symbol: str, model: _MarketModel) -> Decimal:
    """The symbol's typical daily turnover, log-uniform over the market's range."""
    position = Decimal(_generator(seed, symbol, "profile").random())
    low, high = model.turnover_low_sar.ln(), model.turnover_high_sar.ln()
    return (low + position * (high - low)).exp()


# --- tick grid and limits --------------------------------------------------------------


def _allowed(price: Decimal, lower: Decimal, upper: Decimal) -> Decimal:
    # Clamp before rounding: the bounds are on the grid, so the nearest grid price of a
    # clamped value stays inside them, and rounding never sees a price at or below zero.
    return round_to_tick(min(max(price, lower), upper), RoundingDirection.NEAREST)


def _tick_above(price: Decimal) -> Decimal:
    return round_to_tick(price + _HALALA, RoundingDirection.UP)


def _tick_below(price: Decimal) -> Decimal:
    # Not price - tick_size_for(price): at the foot of a band (50.00) the next price down
    # belongs to the finer band below (49.98, not 49.95).
    return round_to_tick(price - _HALALA, RoundingDirection.DOWN)


def _lowest_reference_reaching(price: Decimal, market: Market) -> Decimal:
    """The lowest grid price whose daily upper limit reaches `price`."""
    # Start from the estimate price / (1 + limit), then walk the few ticks to the exact answer.
    growth = price_limits(price, market).upper / price
    candidate = round_to_tick(price / growth, RoundingDirection.UP)
    while price_limits(candidate, market).upper < price:
        candidate = _tick_above(candidate)
    while candidate > _HALALA and price_limits(_tick_below(candidate), market).upper >= price:
        candidate = _tick_below(candidate)
    return candidate


def _highest_reference_reaching(price: Decimal, market: Market) -> Decimal:
    """The highest grid price (up to the ceiling) whose daily lower limit reaches `price`."""
    shrink = price_limits(price, market).lower / price
    candidate = min(round_to_tick(price / shrink, RoundingDirection.DOWN), _PRICE_CEILING)
    while price_limits(candidate, market).lower > price:
        candidate = _tick_below(candidate)
    while (candidate < _PRICE_CEILING
           and price_limits(_tick_above(candidate), market).lower <= price):
        candidate = _tick_above(candidate)
    return candidate


def _reachable_bands(target: Decimal, days: int, market: Market) -> list[_Band]:
    """bands[k]: the grid prices from which a close k days on can still be `target` on day
    `days` while every day stays within its limits (bands[0] is for the reference price).

    Each band is the set of references whose limits overlap the next day's band; limits
    rise with the reference, so that set is an interval again.
    """
    bands = [_Band(target, target)]
    for _ in range(days):
        following = bands[-1]
        bands.append(_Band(_lowest_reference_reaching(following.lower, market),
                           _highest_reference_reaching(following.upper, market)))
    bands.reverse()
    return bands


def _tradable_part(band: _Band, reference: Decimal, market: Market) -> _Band:
    """The part of `band` within the limits around `reference`; empty when lower > upper."""
    limits = price_limits(reference, market)
    return _Band(max(limits.lower, band.lower), min(limits.upper, band.upper))


# --- daily history ---------------------------------------------------------------------


def _walk_closes(returns: Sequence[float], start_price: Decimal, market: Market) -> list[Decimal]:
    closes: list[Decimal] = []
    previous = start_price
    for daily_return in returns:
        limits = price_limits(previous, market)
        previous = _allowed(previous * Decimal(1.0 + daily_return), limits.lower, limits.upper)
        closes.append(previous)
    return closes


def _log_returns(returns: Sequence[float]) -> list[Decimal]:
    return [Decimal(1.0 + daily_return).ln() for daily_return in returns]


def _bridge_closes(log_returns: Sequence[Decimal], start_price: Decimal, end_price: Decimal,
                   bands: Sequence[_Band], market: Market) -> list[Decimal]:
    """Closes that follow the walk's log-returns plus a drift correction, recomputed each
    day, that spreads what still separates the last close from `end_price` evenly over the
    days left (a Brownian bridge that absorbs clamping and rounding as it goes). Each close
    is kept inside the day's limits and its reachable band, so the last one is `end_price`.
    """
    # still_to_come[k]: the walk's log-return over days k.. to the end.
    still_to_come = list(accumulate(reversed(log_returns)))[::-1]
    target_log = end_price.ln()
    closes: list[Decimal] = []
    previous = start_price
    for day_index, log_return in enumerate(log_returns):
        days_left = len(log_returns) - day_index
        correction = (target_log - previous.ln() - still_to_come[day_index]) / days_left
        desired = previous * (log_return + correction).exp()
        # Never empty: `previous` lies in bands[day_index], the references whose limits
        # meet bands[day_index + 1] (the caller checked the start price).
        allowed = _tradable_part(bands[day_index + 1], previous, market)
        previous = _allowed(desired, allowed.lower, allowed.upper)
        closes.append(previous)
    return closes


def _daily_bars(symbol: str, days: Sequence[date], start_price: Decimal,
                closes: Sequence[Decimal], market: Market, seed: int) -> list[SyntheticDailyBar]:
    """Open, high, low and volume around closes already chosen (see the module docstring)."""
    model = _MODELS[market]
    rng = _generator(seed, symbol, "bars")
    turnover = _typical_turnover_sar(seed, symbol, model)
    bars: list[SyntheticDailyBar] = []
    reference = start_price
    for day, close in zip(days, closes, strict=True):
        limits = price_limits(reference, market)
        gap = _OPENING_GAP_SHARE * model.daily_volatility * _standard_normal(rng)
        opening = _allowed(reference * Decimal(1.0 + gap), limits.lower, limits.upper)
        wick = _WICK_SHARE * model.daily_volatility
        up_wick = Decimal(1.0 + wick * abs(_standard_normal(rng)))
        down_wick = Decimal(1.0 - wick * abs(_standard_normal(rng)))
        # max/min with the body makes the bar consistent whatever the rounding at band edges.
        high = max(_allowed(max(opening, close) * up_wick, limits.lower, limits.upper),
                   opening, close)
        low = min(_allowed(min(opening, close) * down_wick, limits.lower, limits.upper),
                  opening, close)
        sigmas_moved = abs(close / reference - 1) / Decimal(model.daily_volatility)
        activity = 1 + Decimal(_VOLUME_PER_SIGMA_MOVED) * sigmas_moved
        volume = turnover / reference * activity * _lognormal(rng, _VOLUME_DISPERSION)
        bars.append(SyntheticDailyBar(symbol=symbol, day=day, open=opening, high=high,
                                      low=low, close=close, volume=int(volume)))
        reference = close
    return bars


def _check_positive(name: str, price: Decimal) -> None:
    if price <= 0:
        raise ValueError(f"{name} must be positive, got {price}")


def _span(start: date, end: date) -> list[date]:
    if start > end:
        raise ValueError(f"start {start.isoformat()} is after end {end.isoformat()}")
    return trading_days(start, end)


def generate_daily_history(symbol: str, *, start: date, end: date, start_price: Decimal,
                           market: Market, seed: int) -> list[SyntheticDailyBar]:
    """One bar per trading day from `start` to `end` (inclusive). `start_price` is the close
    before the first bar: the reference for the first day's limits."""
    _check_positive("start_price", start_price)
    days = _span(start, end)
    returns = _daily_returns(seed, symbol, _MODELS[market], len(days))
    closes = _walk_closes(returns, start_price, market)
    return _daily_bars(symbol, days, start_price, closes, market, seed)


def generate_daily_history_ending_at(symbol: str, *, start: date, end: date, end_price: Decimal,
                                     market: Market, seed: int,
                                     start_price: Decimal | None = None,
                                     ) -> list[SyntheticDailyBar]:
    """Like `generate_daily_history`, but the last close is exactly `end_price` (for demo
    history that ends at a real snapshot), by bridging the same random walk to it.

    Without `start_price`, the walk is run backwards from `end_price` to pick the close
    before the first bar. Raises ValueError when `end_price` is off the tick grid, when the
    span has no trading day, or when `end_price` cannot be reached from `start_price` within
    the daily limits over the span.
    """
    _check_positive("end_price", end_price)
    if not is_on_tick_grid(end_price):
        raise ValueError(f"end_price {end_price} is not on the tick grid")
    if end_price > _PRICE_CEILING:
        raise ValueError(f"end_price {end_price} is above {_PRICE_CEILING}")
    days = _span(start, end)
    if not days:
        raise ValueError(f"no trading day between {start.isoformat()} and {end.isoformat()}")
    log_returns = _log_returns(_daily_returns(seed, symbol, _MODELS[market], len(days)))
    bands = _reachable_bands(end_price, len(days), market)
    if start_price is None:
        backwards = end_price * (-sum(log_returns, Decimal(0))).exp()
        start_price = _allowed(backwards, bands[0].lower, bands[0].upper)
    else:
        _check_positive("start_price", start_price)
        reachable = _tradable_part(bands[1], start_price, market)
        if reachable.lower > reachable.upper:
            raise ValueError(f"end_price {end_price} cannot be reached from {start_price} "
                             f"within the daily limits in {len(days)} trading days")
    closes = _bridge_closes(log_returns, start_price, end_price, bands, market)
    return _daily_bars(symbol, days, start_price, closes, market, seed)


# --- minute bars -----------------------------------------------------------------------


def _intraday_volume_weight(minute: int) -> float:
    """U-shaped: 1 at midday, 1 + boost at the first and last minute."""
    middle = (_SESSION_MINUTES - 1) / 2
    distance = (minute - middle) / middle
    return 1.0 + _OPEN_CLOSE_VOLUME_BOOST * distance * distance


def generate_minute_bars(symbol: str, *, day: date, previous_close: Decimal, market: Market,
                         seed: int) -> list[SyntheticMinuteBar]:
    """The 300 one-minute bars of continuous trading (10:00-14:59 Riyadh time) on `day`,
    all within the day's limits around `previous_close`."""
    _check_positive("previous_close", previous_close)
    if not is_trading_day(day):
        raise ValueError(f"{day.isoformat()} is not a trading day")
    model = _MODELS[market]
    rng = _generator(seed, symbol, f"minutes:{day.isoformat()}")
    limits = price_limits(previous_close, market)
    minute_volatility = model.daily_volatility / math.sqrt(_SESSION_MINUTES)
    weights = [_intraday_volume_weight(minute) for minute in range(_SESSION_MINUTES)]
    expected_volume = _typical_turnover_sar(seed, symbol, model) / previous_close
    volume_per_weight = expected_volume / Decimal(math.fsum(weights))
    gap = _OPENING_GAP_SHARE * model.daily_volatility * _standard_normal(rng)
    # The walk runs on an unrounded price: stepping from the rounded one would stall
    # wherever a minute's typical move is under half a tick.
    latent = min(max(previous_close * Decimal(1.0 + gap), limits.lower), limits.upper)
    opening = _allowed(latent, limits.lower, limits.upper)
    session_start = datetime.combine(day, OPEN_TIME, tzinfo=RIYADH).astimezone(UTC)
    bars: list[SyntheticMinuteBar] = []
    for minute, weight in enumerate(weights):
        step = model.daily_drift / _SESSION_MINUTES + minute_volatility * _standard_normal(rng)
        latent = min(max(latent * Decimal(1.0 + step), limits.lower), limits.upper)
        close = _allowed(latent, limits.lower, limits.upper)
        wick = _WICK_SHARE * minute_volatility
        up_wick = Decimal(1.0 + wick * abs(_standard_normal(rng)))
        down_wick = Decimal(1.0 - wick * abs(_standard_normal(rng)))
        high = max(_allowed(max(opening, close) * up_wick, limits.lower, limits.upper),
                   opening, close)
        low = min(_allowed(min(opening, close) * down_wick, limits.lower, limits.upper),
                  opening, close)
        volume = volume_per_weight * Decimal(weight) * _lognormal(rng, _MINUTE_VOLUME_DISPERSION)
        bars.append(SyntheticMinuteBar(symbol=symbol,
                                       start=session_start + timedelta(minutes=minute),
                                       open=opening, high=high, low=low, close=close,
                                       volume=int(volume)))
        opening = close
    return bars


def daily_bar_from_minutes(minutes: Sequence[SyntheticMinuteBar]) -> SyntheticDailyBar:
    """The day's bar from its minute bars (oldest first), dated in Riyadh time."""
    if not minutes:
        raise ValueError("no minute bars to aggregate")
    first, last = minutes[0], minutes[-1]
    day = first.start.astimezone(RIYADH).date()
    if any(bar.symbol != first.symbol or bar.start.astimezone(RIYADH).date() != day
           for bar in minutes):
        raise ValueError("minute bars must share one symbol and one trading day")
    return SyntheticDailyBar(
        symbol=first.symbol,
        day=day,
        open=first.open,
        high=max(bar.high for bar in minutes),
        low=min(bar.low for bar in minutes),
        close=last.close,
        volume=sum(bar.volume for bar in minutes),
    )


# --- live ticks ------------------------------------------------------------------------


@dataclass
class _QuoteState:
    reference: Decimal
    limits: _Band
    price: Decimal
    sequence: int
    rng: random.Random


class QuoteSimulator:
    """Live ticks for a set of symbols, each within its day's limits around its reference.

    Pure: no clock, no sleeping; the caller decides when to call. Every symbol draws from
    its own generator, so its ticks depend only on the seed and how often it was asked,
    not on the other symbols; `step` picks who trades from a generator of its own.
    """

    def __init__(self, instruments: Mapping[str, tuple[Decimal, Market]], seed: int,
                 resume: Mapping[str, tuple[Decimal, int]] | None = None) -> None:
        """`resume` continues symbols from their last (price, sequence), so a simulator
        taking over from another keeps the day going instead of restarting it."""
        self._states: dict[str, _QuoteState] = {}
        for symbol, (reference, market) in sorted(instruments.items()):
            _check_positive(f"reference price of {symbol}", reference)
            limits = price_limits(reference, market)
            last_price, sequence = (resume or {}).get(symbol, (reference, 0))
            self._states[symbol] = _QuoteState(
                reference=reference,
                limits=_Band(limits.lower, limits.upper),
                price=_allowed(last_price, limits.lower, limits.upper),
                sequence=sequence,
                rng=_generator(seed, symbol, "ticks"),
            )
        self._chooser = _generator(seed, "", "step")

    def next_tick(self, symbol: str) -> SimulatedTick:
        """A trade one to three ticks from the symbol's last price (KeyError if unknown)."""
        state = self._states[symbol]
        rng = state.rng
        lower, upper = state.limits.lower, state.limits.upper
        width = upper - lower
        band_position = float((state.price - lower) / width) if width else 0.5
        going_up = rng.random() < 0.5 - _BAND_REVERSION * (2 * band_position - 1)
        # At a limit the price can only come back; a band with no room at all (prices
        # under 0.10, where 10 % is less than a tick) keeps the price where it is.
        if state.price == (upper if going_up else lower):
            going_up = not going_up
        draw = rng.random()
        steps = next(count for count, cumulative in enumerate(_TICK_STEP_CUMULATIVE, start=1)
                     if draw < cumulative)
        price = state.price
        for _ in range(steps):
            if going_up and price < upper:
                price = _tick_above(price)
            elif not going_up and price > lower:
                price = _tick_below(price)
        state.price = price
        state.sequence += 1
        volume = _TYPICAL_TRADE_SAR / price * _lognormal(rng, _TRADE_SIZE_DISPERSION)
        return SimulatedTick(symbol=symbol, price=price,
                             change_from_reference=price - state.reference,
                             volume=max(1, int(volume)), sequence=state.sequence)

    def step(self) -> list[SimulatedTick]:
        """One beat of the market: each symbol trades with probability _TRADE_PROBABILITY
        (so a beat may be empty), in symbol order."""
        trading = [symbol for symbol in self._states
                   if self._chooser.random() < _TRADE_PROBABILITY]
        return [self.next_tick(symbol) for symbol in trading]
