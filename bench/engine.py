"""The backtest engine alone, on ten years of daily bars: no server, no network.

Ten years of real history is not in the data (2222's runs six), so the series is a
seeded random walk of 2,520 trading days (Sunday to Thursday weeks)."""

import random
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from server.domain.backtest import BacktestConfig, run_backtest, sma_crossover
from server.domain.bars import DailyBar

TEN_YEARS_OF_DAYS = 2520
RUNS = 20


def ten_year_series(seed: int = 2026) -> list[DailyBar]:
    rng = random.Random(seed)
    bars: list[DailyBar] = []
    price, day = 30.0, date(2015, 1, 1)
    while len(bars) < TEN_YEARS_OF_DAYS:
        day += timedelta(days=1)
        if day.weekday() in (4, 5):  # Friday, Saturday
            continue
        close = round(max(1.0, price * (1 + rng.gauss(0, 0.015))), 2)
        bars.append(DailyBar(day, price, max(price, close), min(price, close), close, 1000))
        price = close
    return bars


def measure_sma_backtest() -> dict[str, Any]:
    """SMA 20/50 with costs over the series, RUNS times: the median and best wall time."""
    bars = ten_year_series()
    config = BacktestConfig(initial_capital=Decimal(100000), commission_rate=Decimal("0.00155"),
                            vat_rate=Decimal("0.15"), slippage=Decimal("0.001"))
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        result = run_backtest(bars, sma_crossover(20, 50), config)
        times.append(time.perf_counter() - started)
    times.sort()
    return {"bars": len(bars), "trades": len(result.trades), "runs": RUNS,
            "median_ms": round(times[RUNS // 2] * 1000, 2), "best_ms": round(times[0] * 1000, 2)}
