"""Bars computed by hand from the shipped Yahoo CSV, independently of the server's code."""

import csv
from collections import OrderedDict
from datetime import date, timedelta
from pathlib import Path


def daily_rows(path: Path) -> list[dict[str, object]]:
    """Trading days of the file (fillers dropped), prices rounded as the importer documents."""
    rows = []
    for raw in csv.DictReader(path.open()):
        volume = int(float(raw["Volume"]))
        prices = {k: round(float(raw[k]), 4) for k in ("Open", "High", "Low", "Close")}
        if volume == 0 and len(set(prices.values())) == 1:
            continue
        rows.append({"day": date.fromisoformat(raw["Date"]), "volume": volume, **prices})
    rows.sort(key=lambda r: r["day"])  # type: ignore[arg-type, return-value]
    return rows


def by_hand(rows: list[dict[str, object]], key) -> list[dict[str, object]]:  # noqa: ANN001
    groups: OrderedDict[object, list[dict[str, object]]] = OrderedDict()
    for row in rows:
        groups.setdefault(key(row["day"]), []).append(row)
    return [
        {
            "start": days[0]["day"], "end": days[-1]["day"],
            "open": days[0]["Open"], "close": days[-1]["Close"],
            "high": max(d["High"] for d in days),  # type: ignore[type-var]
            "low": min(d["Low"] for d in days),  # type: ignore[type-var]
            "volume": sum(d["volume"] for d in days),  # type: ignore[misc]
            "trading_days": len(days),
        }
        for days in groups.values()
    ]


def tadawul_week(day: date) -> tuple[int, int]:
    # Shift by a day so that Sunday lands on an ISO Monday: ISO weeks then run Sunday–Saturday.
    iso = (day + timedelta(days=1)).isocalendar()
    return iso[0], iso[1]


def calendar_month(day: date) -> tuple[int, int]:
    return day.year, day.month
