"""The resilience suite's report: a `resilience` fixture through which each probe records
what it tried, and docs/RESILIENCE.md written when the whole suite has run."""

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from server.config import REPO_ROOT
from tests.resilience.report import ResilienceReport

REPORT_PATH = REPO_ROOT / "docs" / "RESILIENCE.md"
SUITE_DIR = Path(__file__).parent

_REPORT = pytest.StashKey[ResilienceReport]()

Recorder = Callable[..., None]


def _in_suite(item: pytest.Item) -> bool:
    return SUITE_DIR in Path(str(item.path)).parents


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_REPORT] = ResilienceReport()


@pytest.fixture
def resilience(request: pytest.FixtureRequest) -> Recorder:
    """`resilience(area=..., probe=..., tried=..., cases=..., held=...)` records a probe
    of this test in the report; its outcome is the test's."""
    report = request.config.stash[_REPORT]
    nodeid = request.node.nodeid

    def record(**fields: Any) -> None:
        report.record(nodeid, **fields)

    return record


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if _in_suite(item):
        outcome = report.outcome
        if report.when != "call" and report.failed:
            outcome = "error"
        item.config.stash[_REPORT].test_outcome(item.nodeid, outcome)
    return report


def _whole_suite_ran(session: pytest.Session) -> bool:
    """Whether the session selected every test of the suite: a run narrowed by -k, -m,
    --lf, --deselect or a path inside the suite would write a partial report."""
    option = session.config.option
    if option.keyword or option.markexpr or getattr(option, "lf", False) \
            or getattr(option, "deselect", None):
        return False
    for arg in session.config.args:
        path = Path(arg.split("::", 1)[0]).resolve()
        if "::" in arg or SUITE_DIR in path.parents:
            return False
    return any(_in_suite(item) for item in session.items)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _whole_suite_ran(session):
        session.config.stash[_REPORT].write(REPORT_PATH)
