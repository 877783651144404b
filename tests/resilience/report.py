"""The resilience report: what each probe of tests/resilience/ tried, on how many cases, and
how it came out. The suite writes it to docs/RESILIENCE.md when it runs whole."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

AREAS = ("Faults", "Fuzzing", "Concurrency", "Security")

# Worst first: a probe counted in several tests takes the worst of their outcomes.
_OUTCOME_RANK = {"failed": 0, "error": 1, "skipped": 2, "passed": 3}


@dataclass
class Probe:
    area: str
    name: str
    tried: str
    held: str
    cases: int = 0
    outcome: str = "passed"
    tests: list[str] = field(default_factory=list)


class ResilienceReport:
    """Probes keyed by (area, name); recording the same probe again adds its cases."""

    def __init__(self) -> None:
        self._probes: dict[tuple[str, str], Probe] = {}
        self._outcomes: dict[str, str] = {}

    def record(self, nodeid: str, *, area: str, probe: str, tried: str, cases: int,
               held: str) -> None:
        if area not in AREAS:
            raise ValueError(f"unknown area {area!r}: one of {AREAS}")
        if cases < 1:
            raise ValueError(f"a probe of no cases proves nothing: {probe!r}")
        key = (area, probe)
        found = self._probes.setdefault(key, Probe(area=area, name=probe, tried=tried,
                                                    held=held))
        found.cases += cases
        if nodeid not in found.tests:
            found.tests.append(nodeid)

    def test_outcome(self, nodeid: str, outcome: str) -> None:
        """The outcome of one test phase; a test keeps the worst of its phases."""
        previous = self._outcomes.get(nodeid, "passed")
        self._outcomes[nodeid] = min(previous, outcome, key=_OUTCOME_RANK.__getitem__)

    def probes(self) -> list[Probe]:
        for probe in self._probes.values():
            probe.outcome = min((self._outcomes.get(test, "passed") for test in probe.tests),
                                key=_OUTCOME_RANK.__getitem__)
        return sorted(self._probes.values(), key=lambda probe: AREAS.index(probe.area))

    def unrecorded(self) -> list[tuple[str, str]]:
        """Tests that ran but recorded no probe (a failure before the record, usually)."""
        recorded = {test for probe in self._probes.values() for test in probe.tests}
        return [(test, outcome) for test, outcome in self._outcomes.items()
                if test not in recorded]

    def render(self) -> str:
        probes = self.probes()
        lines = [
            "# Resilience report",
            "",
            "Written by the suite in `tests/resilience/` each time it runs whole (`make test`,",
            "`make test-resilience`); do not edit by hand. Every probe runs against real",
            "services: Postgres, Redis, the gRPC server (in-process or as `python -m server`)",
            "and the Envoy binary. Hypothesis runs derandomized, so the case counts repeat.",
            "A case is a call, a request or a client, as each probe says; one call may serve",
            "several probes (the fuzzing's memory probe reads the same calls), so an area's",
            "cases add up its probes, not distinct calls.",
            "",
            "| Area | Probes | Cases | Passed |",
            "|---|---:|---:|---:|",
        ]
        for area in AREAS:
            in_area = [probe for probe in probes if probe.area == area]
            lines.append(f"| {area} | {len(in_area)} | {sum(p.cases for p in in_area):,} | "
                         f"{sum(p.outcome == 'passed' for p in in_area)} |")
        for area in AREAS:
            lines += ["", f"## {area}"]
            in_area = [probe for probe in probes if probe.area == area]
            if not in_area:
                lines += ["", "No probe ran."]
            for probe in in_area:
                lines += _render_probe(probe)
        unrecorded = self.unrecorded()
        if unrecorded:
            lines += ["", "## Tests that recorded no probe", ""]
            lines += [f"- `{test}`: {outcome}" for test, outcome in unrecorded]
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> None:
        path.write_text(self.render(), encoding="utf-8")


def _render_probe(probe: Probe) -> Iterable[str]:
    mark = "passed" if probe.outcome == "passed" else f"**{probe.outcome.upper()}**"
    yield ""
    yield f"### {probe.name}"
    yield ""
    yield f"- Tried: {probe.tried}"
    yield f"- Cases: {probe.cases:,}"
    yield f"- Held: {probe.held}"
    tests = dict.fromkeys(_short(test) for test in probe.tests)
    yield f"- Outcome: {mark} ({', '.join(f'`{test}`' for test in tests)})"


def _short(nodeid: str) -> str:
    """The test's file and function, without its parameters."""
    return nodeid.removeprefix("tests/resilience/").split("[", 1)[0]
