"""Aggregates over one trading day's moves: breadth and sector performance."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from server.domain.industry_groups import IndustryGroup


@dataclass(frozen=True)
class Move:
    industry_group: IndustryGroup | None
    change_percent: float | None
    volume: int
    turnover: float


@dataclass(frozen=True)
class SectorStats:
    industry_group: IndustryGroup
    change_percent: float
    advancers: int
    decliners: int
    unchanged: int
    volume: int
    turnover: float


def sector_performance(moves: Iterable[Move]) -> list[SectorStats]:
    """Per industry group, best first: the members' changes weighted by the day's turnover
    (where money moved, not how many small names ticked), breadth, volume and turnover.

    Securities without a group or without a previous close are left out.
    """
    changes: dict[IndustryGroup, list[tuple[float, Move]]] = defaultdict(list)
    for move in moves:
        if move.industry_group is not None and move.change_percent is not None:
            changes[move.industry_group].append((move.change_percent, move))
    stats = []
    for group, members in changes.items():
        turnover = sum(move.turnover for _, move in members)
        if turnover > 0:
            change = sum(pct * move.turnover for pct, move in members) / turnover
        else:
            change = sum(pct for pct, _ in members) / len(members)
        stats.append(SectorStats(
            industry_group=group, change_percent=change,
            advancers=sum(1 for pct, _ in members if pct > 0),
            decliners=sum(1 for pct, _ in members if pct < 0),
            unchanged=sum(1 for pct, _ in members if pct == 0),
            volume=sum(move.volume for _, move in members), turnover=turnover))
    return sorted(stats, key=lambda s: (-s.change_percent, s.industry_group.value))
