"""Parity with backtrader: the same strategies, costs, slippage and sizing on the real
2222 (Saudi Aramco) daily history give the same fills and the same equity.

backtrader is configured as the engine's docstring describes the engine: market orders
created on a bar fill at the next bar's open (cheat-on-open and cheat-on-close off);
commission as a percentage of traded value at rate * (1 + VAT), i.e. commission plus
VAT on it; percentage slippage applied to opens, allowed outside the bar's range (the
engine always slips the open, so `slip_out`); no margin check at submission (the
engine sizes against the fill bar's open, which backtrader's check at the signal bar's
close would second-guess). Its sizer reproduces ALL_IN sizing by reading the next
bar's open, which a preloaded feed exposes; that peek is configuration of the
reference, not a look-ahead of the strategy: it only says where the order will fill.

Indicators are backtrader's own: SMA (the plain mean), RSI (Wilder's smoothing, seeded
with the mean of the first `period` changes, which is TA-Lib's and ours; not
`RSI_SMA`, Cutler's variant) and Bollinger Bands (population standard deviation, as
ours). Comparisons are written out as the engine defines them, rather than with backtrader's
`CrossOver`: a crossing is a > b now and a <= b on the bar before, and values within
EQUAL_RTOL of each other are equal. The tolerance matters on this history: the 20- and
50-day SMAs are both exactly 27.945 on 2024-09-05, and so are the 10- and 30-day ones
(28.94215) on 2021-09-21, but each engine's float sums split such ties by an ulp, in
different directions (numpy's sum against backtrader's fsum), faking a crossing a bar
early in one engine and not the other. Treating the tie as the tie it is, both agree.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import backtrader as bt
import pytest

from server.domain.backtest import (
    EQUAL_RTOL,
    BacktestConfig,
    BacktestResult,
    BuyAndHold,
    Side,
    Strategy,
    bollinger_breakout,
    rsi_mean_reversion,
    run_backtest,
    sma_crossover,
)
from server.domain.bars import DailyBar
from server.ingest.yahoo_csv import parse_yahoo_daily_csv

DATA = Path(__file__).resolve().parents[2] / "server" / "ingest" / "data" / "2222.SR.csv"

CONFIG = BacktestConfig(initial_capital=Decimal("100000"), commission_rate=Decimal("0.0015"),
                        vat_rate=Decimal("0.15"), slippage=Decimal("0.001"))


@pytest.fixture(scope="module")
def bars() -> list[DailyBar]:
    parsed = parse_yahoo_daily_csv(DATA.read_text(), "2222")
    return [stored.bar for stored in parsed.bars]


@dataclass(frozen=True)
class ReferenceFill:
    day: date
    is_buy: bool
    quantity: int
    price: float
    commission: float


class _Feed(bt.feed.DataBase):
    params = (("rows", None),)

    def start(self) -> None:
        super().start()
        self._rows = iter(self.p.rows)

    def _load(self) -> bool:
        bar = next(self._rows, None)
        if bar is None:
            return False
        self.lines.datetime[0] = bt.date2num(datetime.combine(bar.day, time()))
        self.lines.open[0] = bar.open
        self.lines.high[0] = bar.high
        self.lines.low[0] = bar.low
        self.lines.close[0] = bar.close
        self.lines.volume[0] = bar.volume
        self.lines.openinterest[0] = 0.0
        return True


class _AllIn(bt.Sizer):
    params = (("fee_rate", 0.0), ("slippage", 0.0))

    def _getsizing(self, comminfo: Any, cash: float, data: Any, isbuy: bool) -> int:
        if not isbuy:
            return int(self.strategy.position.size)
        if len(data) >= data.buflen():
            return 0  # a signal on the last bar never fills
        price = data.open[1] * (1.0 + self.p.slippage)
        return int(cash // (price * (1.0 + self.p.fee_rate)))


class _Reference(bt.Strategy):
    """Long only: buy when flat on an entry signal, close on an exit signal."""

    params = (("make_signals", None),)

    def __init__(self) -> None:
        self.fills: list[ReferenceFill] = []
        self.values: list[float] = []
        self.entry, self.exit = self.p.make_signals(self.data)

    def notify_order(self, order: Any) -> None:
        if order.status == order.Completed:
            self.fills.append(ReferenceFill(
                bt.num2date(order.executed.dt).date(), order.isbuy(),
                abs(int(order.executed.size)), order.executed.price, order.executed.comm))
        elif order.status in (order.Margin, order.Rejected, order.Canceled):
            raise AssertionError(f"reference order not filled: {order.getstatusname()}")

    def prenext(self) -> None:
        self.values.append(self.broker.getvalue())

    def next(self) -> None:
        self.values.append(self.broker.getvalue())
        if not self.position:
            if self.entry():
                self.buy()
        elif self.exit():
            self.close()


Signals = tuple[Callable[[], bool], Callable[[], bool]]


def _above(a: float, b: float) -> bool:
    """a > b as the engine compares (EQUAL_RTOL); NaN, a warm-up, is never above."""
    return a > b and not math.isclose(a, b, rel_tol=EQUAL_RTOL)


def _below(a: float, b: float) -> bool:
    return _above(b, a)


def _sma_cross(fast_period: int, slow_period: int) -> Callable[[Any], Signals]:
    def make(data: Any) -> Signals:
        fast = bt.indicators.SMA(data.close, period=fast_period)
        slow = bt.indicators.SMA(data.close, period=slow_period)

        def crossed(above: Callable[[float, float], bool]) -> bool:
            # Before the slow SMA's first value the previous bar is NaN: no crossing.
            if math.isnan(fast[-1]) or math.isnan(slow[-1]):
                return False
            return above(fast[0], slow[0]) and not above(fast[-1], slow[-1])

        return lambda: crossed(_above), lambda: crossed(_below)
    return make


def _rsi(period: int, lower: float, upper: float) -> Callable[[Any], Signals]:
    def make(data: Any) -> Signals:
        rsi = bt.indicators.RSI(data.close, period=period)
        return lambda: _below(rsi[0], lower), lambda: _above(rsi[0], upper)
    return make


def _bollinger(period: int, std_dev: float) -> Callable[[Any], Signals]:
    def make(data: Any) -> Signals:
        bands = bt.indicators.BollingerBands(data.close, period=period, devfactor=std_dev)
        return (lambda: _above(data.close[0], bands.top[0]),
                lambda: _below(data.close[0], bands.mid[0]))
    return make


def _buy_and_hold(data: Any) -> Signals:
    return lambda: True, lambda: False


def _reference(bars: list[DailyBar], make_signals: Callable[[Any], Signals],
               config: BacktestConfig) -> tuple[_Reference, float]:
    cerebro = bt.Cerebro(stdstats=False)
    cerebro.adddata(_Feed(rows=bars))
    fee_rate = float(config.commission_rate * (1 + config.vat_rate))
    cerebro.broker.setcash(float(config.initial_capital))
    cerebro.broker.setcommission(commission=fee_rate)
    cerebro.broker.set_slippage_perc(float(config.slippage), slip_open=True, slip_match=True,
                                     slip_out=True)
    cerebro.broker.set_checksubmit(False)
    cerebro.addsizer(_AllIn, fee_rate=fee_rate, slippage=float(config.slippage))
    cerebro.addstrategy(_Reference, make_signals=make_signals)
    (strategy,) = cerebro.run()
    return strategy, cerebro.broker.getvalue()


def _our_fills(result: BacktestResult) -> list[ReferenceFill]:
    fills = []
    for trade in result.trades:
        for fill in (trade.entry, trade.exit):
            if fill is not None:
                fills.append(ReferenceFill(fill.day, fill.side is Side.BUY, fill.quantity,
                                           float(fill.price), float(fill.costs)))
    return fills


CASES: list[tuple[str, Strategy, Callable[[Any], Signals]]] = [
    ("sma_20_50", sma_crossover(20, 50), _sma_cross(20, 50)),
    ("sma_10_30", sma_crossover(10, 30), _sma_cross(10, 30)),
    ("rsi_14_30_70", rsi_mean_reversion(14, 30.0, 70.0), _rsi(14, 30.0, 70.0)),
    ("bollinger_20_2", bollinger_breakout(20, 2.0), _bollinger(20, 2.0)),
    ("buy_and_hold", BuyAndHold(), _buy_and_hold),
]


@pytest.mark.parametrize(("strategy", "make_signals"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_same_fills_and_equity_as_backtrader(
        bars: list[DailyBar], strategy: Strategy,
        make_signals: Callable[[Any], Signals]) -> None:
    ours = run_backtest(bars, strategy, CONFIG)
    reference, reference_value = _reference(bars, make_signals, CONFIG)

    theirs = reference.fills
    mine = _our_fills(ours)
    assert mine
    assert [(f.day, f.is_buy, f.quantity) for f in mine] == \
        [(f.day, f.is_buy, f.quantity) for f in theirs]
    for a, b in zip(mine, theirs, strict=True):
        assert a.price == pytest.approx(b.price, rel=1e-12)
        assert a.commission == pytest.approx(b.commission, rel=1e-9)
    assert abs(float(ours.final_equity) - reference_value) <= 0.01
    assert len(reference.values) == len(ours.equity_curve)
    for point, value in zip(ours.equity_curve, reference.values, strict=True):
        assert abs(float(point.equity) - value) <= 0.01, point.day
