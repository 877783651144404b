"""The TypeScript SDK's own unit tests (clients/typescript/test, Node's built-in test
runner against the built package in dist/), as part of `make test`. `make setup` builds
the package; this test builds nothing."""

import shutil
import subprocess

import pytest

from server.config import REPO_ROOT

pytestmark = pytest.mark.timeout(120)

SDK = REPO_ROOT / "clients" / "typescript"


def test_the_typescript_sdk_unit_tests_pass() -> None:
    node = shutil.which("node")
    assert node, "node is not on PATH (make setup needs Node 20 or later)"
    if not (SDK / "dist" / "index.js").is_file():
        pytest.fail(f"the TypeScript SDK is not built ({SDK / 'dist'} is missing):"
                    " run `make setup`")
    tests = sorted(str(path.relative_to(SDK)) for path in (SDK / "test").glob("*.test.mjs"))
    assert tests, f"no unit tests in {SDK / 'test'}"
    run = subprocess.run([node, "--test", "--test-reporter=spec", *tests], cwd=SDK,
                         capture_output=True, text=True, timeout=100, check=False)
    assert run.returncode == 0, f"node --test failed:\n{run.stdout}\n{run.stderr}"
    assert "# fail 0" in run.stdout or "ℹ fail 0" in run.stdout, run.stdout
