"""The resilience report: probes add up, take the worst outcome of their tests, and render
the same text for the same records."""

import pytest

from tests.resilience.report import ResilienceReport


def _report() -> ResilienceReport:
    report = ResilienceReport()
    report.record("tests/resilience/test_a.py::test_one[x]", area="Fuzzing", probe="Every RPC",
                  tried="random requests", cases=40, held="no INTERNAL")
    report.record("tests/resilience/test_a.py::test_one[y]", area="Fuzzing", probe="Every RPC",
                  tried="random requests", cases=60, held="no INTERNAL")
    report.record("tests/resilience/test_b.py::test_two", area="Faults", probe="Redis stopped",
                  tried="killed Redis", cases=500, held="0 failed reads")
    return report


def test_a_probe_recorded_by_several_tests_adds_their_cases_and_keeps_the_worst_outcome() -> None:
    report = _report()
    report.test_outcome("tests/resilience/test_a.py::test_one[x]", "passed")
    report.test_outcome("tests/resilience/test_a.py::test_one[y]", "failed")
    report.test_outcome("tests/resilience/test_b.py::test_two", "passed")
    probes = {probe.name: probe for probe in report.probes()}
    assert probes["Every RPC"].cases == 100
    assert probes["Every RPC"].outcome == "failed"
    assert probes["Redis stopped"].outcome == "passed"
    # Areas in their fixed order, whatever order the tests ran in.
    assert [probe.area for probe in report.probes()] == ["Faults", "Fuzzing"]


def test_the_rendering_names_counts_and_flags_failures() -> None:
    report = _report()
    report.test_outcome("tests/resilience/test_a.py::test_one[x]", "failed")
    text = report.render()
    assert "| Fuzzing | 1 | 100 | 0 |" in text
    assert "| Faults | 1 | 500 | 1 |" in text
    assert "- Outcome: **FAILED** (`test_a.py::test_one`)" in text
    assert text == report.render()


def test_a_test_that_failed_before_recording_is_listed() -> None:
    report = _report()
    report.test_outcome("tests/resilience/test_c.py::test_three", "error")
    assert "- `tests/resilience/test_c.py::test_three`: error" in report.render()


@pytest.mark.parametrize(("area", "cases"), [("Weather", 1), ("Faults", 0)])
def test_unknown_areas_and_empty_probes_are_refused(area: str, cases: int) -> None:
    with pytest.raises(ValueError):
        ResilienceReport().record("t", area=area, probe="p", tried="t", cases=cases, held="h")
