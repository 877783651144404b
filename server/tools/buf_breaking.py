"""`make check`: `buf breaking` of the working tree against an earlier commit.

The Google protos are not in git (they are copied from
googleapis-common-protos), so the earlier commit's protos are laid out next
to today's copy of them before buf compares the two.
"""

import shutil
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
THIRD_PARTY = Path("build") / "third_party_protos"
BUF = REPO_ROOT / "node_modules" / ".bin" / "buf"


def main(revision: str) -> int:
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "--", "proto", "buf.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
    )
    if archive.returncode != 0:
        print(f"buf breaking: {revision} has no contract yet, skipped")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
            tar.extractall(scratch, filter="data")
        shutil.copytree(REPO_ROOT / THIRD_PARTY, Path(scratch) / THIRD_PARTY)
        result = subprocess.run([str(BUF), "breaking", "--against", scratch], cwd=REPO_ROOT)
    if result.returncode == 0:
        print(f"buf breaking: no breaking change against {revision}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "HEAD~1"))
