"""Percentiles and CPU accounting shared by the load generator and the report."""

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (NaN when there are none)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_summary(latencies_s: list[float]) -> dict[str, float]:
    """p50/p95/p99/max/mean in milliseconds."""
    ordered = sorted(latencies_s)
    mean = sum(ordered) / len(ordered) if ordered else math.nan
    return {
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p95_ms": percentile(ordered, 0.95) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "max_ms": (ordered[-1] * 1000) if ordered else math.nan,
        "mean_ms": mean * 1000,
    }


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far (None if it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (a supervised server's workers), from /proc."""
    tree = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            for child in children.read().split():
                tree.extend(process_tree(int(child)))
    except OSError:
        pass
    return tree


@dataclass(frozen=True)
class MachineCpu:
    busy: float
    total: float


def machine_cpu() -> MachineCpu | None:
    """Busy and total jiffies over all cores since boot (from /proc/stat)."""
    try:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return MachineCpu(busy=total - idle, total=total)


class CpuMeter:
    """CPU use of a few groups of processes, and of the whole machine, over one interval.

    Groups are named lists of pids (the server, the load generator, Redis, the Postgres
    backends serving the benchmark database); `other` is what the rest of the machine used
    (other Postgres databases, other people's work on a shared machine: noise).
    """

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self._start: dict[str, float | None] = {}
        self._machine: MachineCpu | None = None
        self._cores = os.cpu_count() or 1

    def _group_seconds(self, pids: list[int]) -> float | None:
        values = [process_cpu_seconds(pid) for pid in pids]
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    def start(self) -> None:
        self._start = {name: self._group_seconds(pids) for name, pids in self.groups.items()}
        self._machine = machine_cpu()

    def stop(self, wall_s: float) -> dict[str, float | None]:
        """Percent of one core per group; `machine_cpu_percent` is of all cores together."""
        result: dict[str, float | None] = {}
        accounted = 0.0
        for name, pids in self.groups.items():
            before, after = self._start.get(name), self._group_seconds(pids)
            value = (round((after - before) / wall_s * 100, 1)
                     if before is not None and after is not None and wall_s > 0 else None)
            result[f"{name}_cpu_percent"] = value
            accounted += value or 0.0
        now = machine_cpu()
        if self._machine is not None and now is not None and now.total > self._machine.total:
            machine = (now.busy - self._machine.busy) / (now.total - self._machine.total) * 100
            result["machine_cpu_percent"] = round(machine, 1)
            result["other_cpu_percent"] = round(max(0.0, machine * self._cores - accounted), 1)
        else:
            result["machine_cpu_percent"] = result["other_cpu_percent"] = None
        result["cores"] = self._cores
        return result


def sample_machine_busy(seconds: float = 1.0) -> float | None:
    """Percent of all cores busy over the next `seconds` (before the benchmark starts)."""
    import time

    before = machine_cpu()
    time.sleep(seconds)
    after = machine_cpu()
    if before is None or after is None or after.total <= before.total:
        return None
    return round((after.busy - before.busy) / (after.total - before.total) * 100, 1)
