"""`make generate`: regenerate `generated/` from `proto/`; `--check` fails when it is stale.

Everything is produced into a scratch directory first, so a failed run never
leaves `generated/` half-written, and `--check` compares byte for byte.
"""

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
GENERATED = REPO_ROOT / "generated"
BUF = REPO_ROOT / "node_modules" / ".bin" / "buf"
# The descriptor set Envoy's JSON transcoder loads: our files, their imports
# and google.rpc.error_details (so error details render in JSON).
DESCRIPTOR_SET = Path("descriptor") / "financehub.binpb"


def _buf(*args: str) -> None:
    subprocess.run([str(BUF), *args], cwd=REPO_ROOT, check=True)


def generate_into(target: Path) -> None:
    _buf("generate", "--path", "proto/financehub", "-o", str(target))
    produced = target / "generated"
    (produced / DESCRIPTOR_SET).parent.mkdir(parents=True)
    _buf("build", "--exclude-source-info", "-o", str(produced / DESCRIPTOR_SET))


def differences(expected: Path, actual: Path) -> list[str]:
    comparison = filecmp.dircmp(expected, actual, ignore=["__pycache__"])
    found: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        found.extend(f"missing: {prefix}{name}" for name in cmp.left_only)
        found.extend(f"unexpected: {prefix}{name}" for name in cmp.right_only)
        _, mismatch, errors = filecmp.cmpfiles(
            cmp.left, cmp.right, cmp.common_files, shallow=False
        )
        found.extend(f"stale: {prefix}{name}" for name in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(comparison, "")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if generated/ is stale")
    check = parser.parse_args().check
    with tempfile.TemporaryDirectory() as scratch:
        generate_into(Path(scratch))
        fresh = Path(scratch) / "generated"
        if check:
            stale = differences(fresh, GENERATED)
            for line in stale:
                print(line, file=sys.stderr)
            if stale:
                print("generated/ is stale: run `make generate` and commit", file=sys.stderr)
                return 1
            print("generated/ is fresh")
            return 0
        shutil.rmtree(GENERATED, ignore_errors=True)
        shutil.copytree(fresh, GENERATED)
    print(f"regenerated {GENERATED.relative_to(REPO_ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
