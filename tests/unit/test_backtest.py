"""The backtest engine on tiny hand-made series: fill timing, costs, sizing, the rule
language and every metric, each expected value worked out here from first principles."""

import math
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from server.domain.backtest import (
    BacktestConfig,
    BuyAndHold,
    Comparison,
    Constant,
    IndicatorOperand,
    Join,
    Operator,
    PositionSizing,
    PriceField,
    PriceOperand,
    RuleSet,
    RuleStrategy,
    Side,
    SizingKind,
    indicator_kind,
    run_backtest,
    signals,
    sma_crossover,
)
from server.domain.backtest_metrics import compute_metrics
from server.domain.bars import DailyBar
from server.domain.errors import InvalidArgumentError
from server.domain.indicators import IndicatorKind, IndicatorSpec

START = date(2024, 1, 1)
CLOSE = PriceOperand(PriceField.CLOSE)


def _bars(*prices: tuple[float, float]) -> list[DailyBar]:
    """(open, close) per day, on consecutive calendar days from START."""
    return [DailyBar(START + timedelta(days=i), o, max(o, c), min(o, c), c, 1000)
            for i, (o, c) in enumerate(prices)]


def _closes(*closes: float) -> list[DailyBar]:
    return _bars(*((c, c) for c in closes))


def _rule(operator: Operator, value: float) -> RuleSet:
    return RuleSet((Comparison(CLOSE, operator, Constant(value)),))


# Enter on a close above 10.5, exit on a close below 10.
THRESHOLDS = RuleStrategy(entry=_rule(Operator.GT, 10.5), exit=_rule(Operator.LT, 10.0))

# Signals: entry on the close of bar 1, exit on bar 3, entry again on bar 5.
SERIES = _bars((10, 10), (10, 11), (12, 12), (12, 9.5), (9, 9), (10, 11), (11.5, 12))

COSTS = BacktestConfig(initial_capital=D("1000"), commission_rate=D("0.01"),
                       vat_rate=D("0.15"), slippage=D("0.01"))


def test_fills_at_the_next_open_with_slippage_costs_and_all_in_sizing() -> None:
    result = run_backtest(SERIES, THRESHOLDS, COSTS)
    fee = D("0.01") * D("1.15")  # commission, plus 15 % VAT on it

    first, second = result.trades
    # Signal on bar 1's close; the buy fills at bar 2's open, 12, slipped up 1 %.
    buy_price = D("12.12")
    assert (first.entry.day, first.entry.side, first.entry.price) == \
        (SERIES[2].day, Side.BUY, buy_price)
    # All in: 81 shares with costs fit in 1000 SAR, 82 do not.
    assert 81 * buy_price * (1 + fee) <= 1000 < 82 * buy_price * (1 + fee)
    assert first.entry.quantity == 81
    assert first.entry.commission == D("981.72") * D("0.01") == D("9.8172")
    assert first.entry.vat == D("9.8172") * D("0.15") == D("1.47258")
    cash = D(1000) - D("981.72") - D("9.8172") - D("1.47258")
    # Exit signal on bar 3's close; the sell fills at bar 4's open, 9, slipped down 1 %.
    sell_value = 81 * D("8.91")
    assert (first.exit is not None and first.exit.day == SERIES[4].day
            and first.exit.price == D("8.91") and first.exit.quantity == 81)
    assert first.exit.commission == sell_value * D("0.01")
    cash += sell_value - sell_value * D("0.01") * D("1.15")
    assert first.pnl == cash - 1000 == D("-279.599445")

    # Entry again on bar 5's close, filled at bar 6's open 11.5 * 1.01 with what is left.
    assert second.entry.day == SERIES[6].day and second.entry.price == D("11.615")
    assert 61 * D("11.615") * (1 + fee) <= cash < 62 * D("11.615") * (1 + fee)
    assert second.entry.quantity == 61 and second.exit is None
    entry_costs = 61 * D("11.615") * fee
    cash -= 61 * D("11.615") + entry_costs
    # Open at the end: valued at the last close, 12, without exit costs.
    assert second.pnl == 61 * (D(12) - D("11.615")) - entry_costs
    assert result.final_equity == cash + 61 * 12 == D("735.7376325")

    holding_1 = D(1000) - D("981.72") - D("9.8172") - D("1.47258")
    assert [p.equity for p in result.equity_curve] == [
        D(1000), D(1000), holding_1 + 81 * 12, holding_1 + 81 * D("9.5"),
        first.pnl + 1000, first.pnl + 1000, result.final_equity]
    assert [p.day for p in result.equity_curve] == [bar.day for bar in SERIES]


def test_engine_metrics_on_the_hand_series() -> None:
    result = run_backtest(SERIES, THRESHOLDS, COSTS)
    m = result.metrics
    assert m.total_return == pytest.approx(735.7376325 / 1000 - 1)
    assert m.max_drawdown == pytest.approx(1 - 720.400555 / 1000)  # peak 1000, low after exit
    assert m.win_rate == 0.0  # one closed trade, a loss; the open one does not count
    assert m.exposure == pytest.approx(3 / 7)  # held on the closes of bars 2, 3 and 6
    assert m.cagr == pytest.approx((735.7376325 / 1000) ** (365.25 / 6) - 1)


def test_metrics_by_hand() -> None:
    # Returns +10 %, -10 %, 0, +10 %.
    equity = [D(100), D(110), D(99), D(99), D("108.9")]
    m = compute_metrics(initial_capital=D(100), equity=equity, calendar_days=1461,
                        closed_trade_pnls=[D(10), D(-5), D(0), D(3)], bars_held=2)
    mean = (0.1 - 0.1 + 0.0 + 0.1) / 4  # 0.025
    sample_variance = (0.075 ** 2 + 0.125 ** 2 + 0.025 ** 2 + 0.075 ** 2) / 3  # = 0.0275 / 3
    downside_deviation = math.sqrt(0.1 ** 2 / 4)  # one losing day of four: 0.05
    assert m.total_return == pytest.approx(0.089)
    assert m.cagr == pytest.approx(1.089 ** (1 / 4) - 1)  # 1461 days = 4 * 365.25
    assert m.annualised_volatility == pytest.approx(math.sqrt(sample_variance * 252))
    assert m.sharpe == pytest.approx(mean / math.sqrt(sample_variance) * math.sqrt(252))
    assert m.sortino == pytest.approx(mean / downside_deviation * math.sqrt(252))
    assert m.sortino == pytest.approx(0.5 * math.sqrt(252))
    assert m.max_drawdown == pytest.approx(0.1)  # 110 -> 99
    assert m.win_rate == 0.5  # a zero P&L is not a win
    assert m.exposure == 0.4


def test_metrics_without_variation_or_losses_are_undefined() -> None:
    m = compute_metrics(initial_capital=D(100), equity=[D(100)], calendar_days=0,
                        closed_trade_pnls=[], bars_held=0)
    assert (m.total_return, m.cagr, m.annualised_volatility, m.sharpe, m.sortino,
            m.max_drawdown, m.win_rate, m.exposure) == (0.0, None, None, None, None,
                                                        0.0, None, 0.0)
    rising = compute_metrics(initial_capital=D(100), equity=[D(100), D(110), D(121)],
                             calendar_days=2, closed_trade_pnls=[], bars_held=0)
    assert rising.sharpe is None and rising.sortino is None  # constant +10 %, no losing day
    assert rising.annualised_volatility == pytest.approx(0.0)
    # A drawdown from the initial capital counts even when the curve starts lower.
    assert compute_metrics(initial_capital=D(100), equity=[D(80), D(90)], calendar_days=1,
                           closed_trade_pnls=[], bars_held=2).max_drawdown == pytest.approx(0.2)


def test_fixed_fraction_sizing_uses_that_share_of_equity() -> None:
    config = BacktestConfig(initial_capital=D("1000"), commission_rate=D("0.01"),
                            vat_rate=D("0.15"), slippage=D("0.01"),
                            sizing=PositionSizing(SizingKind.FIXED_FRACTION, D("0.5")))
    trade = run_backtest(SERIES, THRESHOLDS, config).trades[0]
    unit_cost = D("12.12") * (1 + D("0.01") * D("1.15"))
    assert 40 * unit_cost <= 500 < 41 * unit_cost
    assert trade.entry.quantity == 40


def test_no_costs_no_slippage_fills_at_the_plain_open() -> None:
    result = run_backtest(SERIES, THRESHOLDS, BacktestConfig(initial_capital=D(1000)))
    first = result.trades[0]
    assert first.entry.price == 12 and first.entry.quantity == 83  # 83 * 12 = 996
    assert first.exit is not None and first.exit.price == 9
    assert first.pnl == 83 * (9 - 12)


def test_a_signal_on_the_last_bar_never_fills() -> None:
    result = run_backtest(_closes(10, 10, 11), THRESHOLDS, COSTS)
    assert result.trades == [] and result.final_equity == 1000
    assert result.metrics.exposure == 0.0


def test_too_little_cash_for_one_share_places_no_order() -> None:
    config = BacktestConfig(initial_capital=D("11"))
    assert run_backtest(_closes(10, 11, 12, 12), THRESHOLDS, config).trades == []


def test_buy_and_hold_buys_at_the_second_open_and_stays_open() -> None:
    result = run_backtest(_bars((10, 10), (11, 12), (13, 14)), BuyAndHold(),
                          BacktestConfig(initial_capital=D(100)))
    (trade,) = result.trades
    assert (trade.entry.day, trade.entry.price, trade.entry.quantity, trade.exit) == \
        (START + timedelta(days=1), 11, 9, None)
    assert trade.pnl == 9 * (14 - 11)
    assert result.final_equity == 100 - 99 + 9 * 14


@pytest.mark.parametrize(("closes", "expected"), [
    ((9, 11, 12), [False, True, False]),
    ((9, 10, 11), [False, False, True]),  # touching is not crossing; leaving the tie is
    ((11, 12, 9, 12), [False, False, False, True]),
    ((10, 10), [False, False]),
])
def test_crosses_above(closes: tuple[float, ...], expected: list[bool]) -> None:
    strategy = RuleStrategy(entry=_rule(Operator.CROSSES_ABOVE, 10),
                            exit=_rule(Operator.CROSSES_BELOW, 10))
    entry, _ = signals(strategy, _closes(*closes))
    assert entry.tolist() == expected


def test_crosses_below_and_comparisons_at_equality() -> None:
    strategy = RuleStrategy(entry=_rule(Operator.LE, 10), exit=_rule(Operator.CROSSES_BELOW, 10))
    entry, exit_ = signals(strategy, _closes(11, 10, 9, 9, 11))
    assert entry.tolist() == [False, True, True, True, False]
    assert exit_.tolist() == [False, False, True, False, False]
    ge = RuleStrategy(entry=_rule(Operator.GE, 10), exit=_rule(Operator.LT, 10))
    entry, exit_ = signals(ge, _closes(11, 10, 9))
    assert entry.tolist() == [True, True, False]
    assert exit_.tolist() == [False, False, True]


def test_values_equal_but_for_float_noise_are_equal() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in floats.
    strategy = RuleStrategy(entry=_rule(Operator.GT, 0.1 + 0.2), exit=_rule(Operator.LT, 0.1))
    entry, _ = signals(strategy, _closes(0.3, 0.3001))
    assert entry.tolist() == [False, True]


def test_and_or_joins() -> None:
    above, below = (Comparison(CLOSE, Operator.GT, Constant(10)),
                    Comparison(CLOSE, Operator.LT, Constant(12)))
    bars = _closes(9, 11, 13)
    both = RuleStrategy(entry=RuleSet((above, below), Join.AND), exit=RuleSet((below,)))
    either = RuleStrategy(entry=RuleSet((above, below), Join.OR), exit=RuleSet((below,)))
    assert signals(both, bars)[0].tolist() == [False, True, False]
    assert signals(either, bars)[0].tolist() == [True, True, True]


def test_an_indicator_in_warm_up_compares_false() -> None:
    sma_3 = IndicatorOperand(IndicatorSpec(IndicatorKind.SMA, period=3))
    strategy = RuleStrategy(entry=RuleSet((Comparison(CLOSE, Operator.GT, sma_3),)),
                            exit=RuleSet((Comparison(CLOSE, Operator.LT, sma_3),)))
    # SMA(3) is undefined on bars 0 and 1, then (1 + 2 + 6) / 3 = 3 and (2 + 6 + 1) / 3 = 3.
    entry, exit_ = signals(strategy, _closes(1, 2, 6, 1))
    assert entry.tolist() == [False, False, True, False]
    assert exit_.tolist() == [False, False, False, True]


def test_sma_crossover_is_a_rule_strategy_over_smas() -> None:
    # SMA(2) against SMA(3): on bar 3 the fast one goes from 2.5 <= 2.67 to 3.5 > 3.33;
    # it stays above on bar 4 (3 > 2.67) and falls below on bar 5 (0.5 < 2).
    entry, exit_ = signals(sma_crossover(2, 3), _closes(3, 3, 2, 5, 1, 0))
    assert entry.tolist() == [False, False, False, True, False, False]
    assert exit_.tolist() == [False, False, False, False, False, True]


def test_progress_reports_every_bar() -> None:
    seen: list[tuple[int, int]] = []
    run_backtest(SERIES, THRESHOLDS, COSTS, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 7) for i in range(1, 8)]


def _violations(error: pytest.ExceptionInfo[InvalidArgumentError]) -> dict[str, str]:
    return {v.field: v.description for v in error.value.violations}


def test_unknown_indicator_is_invalid_argument() -> None:
    assert indicator_kind(" RSI ", field="x") is IndicatorKind.RSI
    with pytest.raises(InvalidArgumentError) as error:
        indicator_kind("supertrend", field="strategy.entry.conditions[0].left.indicator")
    assert error.value.reason == "UNKNOWN_INDICATOR"
    assert "unknown indicator 'supertrend'" in \
        _violations(error)["strategy.entry.conditions[0].left.indicator"]


def test_bad_rules_are_all_reported() -> None:
    sma = IndicatorSpec(IndicatorKind.SMA, period=0)
    strategy = RuleStrategy(
        entry=RuleSet((Comparison(Constant(1), Operator.LT, Constant(2)),
                       Comparison(CLOSE, Operator.GT, IndicatorOperand(sma, "upper")))),
        exit=RuleSet(()))
    with pytest.raises(InvalidArgumentError) as error:
        run_backtest(SERIES, strategy, COSTS)
    assert set(_violations(error)) == {
        "strategy.entry.conditions[0]",
        "strategy.entry.conditions[1].right.line",
        "strategy.entry.conditions[1].right.spec.period",
        "strategy.exit.conditions",
    }


def test_a_series_shorter_than_the_warm_up_is_invalid() -> None:
    with pytest.raises(InvalidArgumentError) as error:
        run_backtest(_closes(1, 2, 3), sma_crossover(2, 5), COSTS)
    assert "strategy.entry.conditions[0].right.spec.period" in _violations(error)


def test_bad_config_is_invalid_argument() -> None:
    config = BacktestConfig(initial_capital=D(0), commission_rate=D(-1), vat_rate=D("NaN"),
                            slippage=D(1), sizing=PositionSizing(SizingKind.FIXED_FRACTION))
    with pytest.raises(InvalidArgumentError) as error:
        run_backtest(SERIES, THRESHOLDS, config)
    assert set(_violations(error)) == {"initial_capital", "commission_rate", "vat_rate",
                                       "slippage", "sizing.fraction"}
    with pytest.raises(InvalidArgumentError) as error:
        run_backtest(SERIES, THRESHOLDS, BacktestConfig(
            initial_capital=D(1), sizing=PositionSizing(SizingKind.ALL_IN, D("0.5"))))
    assert set(_violations(error)) == {"sizing.fraction"}
    with pytest.raises(InvalidArgumentError):
        sma_crossover(50, 20)


def test_bars_must_be_given_and_in_order() -> None:
    with pytest.raises(InvalidArgumentError):
        run_backtest([], THRESHOLDS, COSTS)
    with pytest.raises(InvalidArgumentError) as error:
        run_backtest(list(reversed(SERIES)), THRESHOLDS, COSTS)
    assert set(_violations(error)) == {"bars[1]"}
