"""`make generate` for the TypeScript SDK: regenerate `clients/typescript/src/gen/` from
`proto/` with protoc-gen-es (npm); `--check` fails when the committed code is stale.

The template is `clients/typescript/buf.gen.yaml`. Besides our own files (and, through
`include_imports`, the google/api and google/type files they import), it generates
google/rpc/error_details.proto so the SDK can decode rich error details. Well-known
types come from `@bufbuild/protobuf/wkt` and are not generated.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from server.tools.generate import BUF, REPO_ROOT, differences

TEMPLATE = Path("clients") / "typescript" / "buf.gen.yaml"
OUTPUT = Path("clients") / "typescript" / "src" / "gen"
PATHS = ("proto/financehub", "build/third_party_protos/google/rpc/error_details.proto")


def generate_into(target: Path) -> Path:
    """Generate into `target`; return the directory that mirrors OUTPUT there."""
    paths = [arg for path in PATHS for arg in ("--path", path)]
    subprocess.run([str(BUF), "generate", "--template", str(TEMPLATE), *paths,
                    "-o", str(target)], cwd=REPO_ROOT, check=True)
    return target / OUTPUT


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help=f"fail if {OUTPUT}/ is stale")
    check = parser.parse_args().check
    committed = REPO_ROOT / OUTPUT
    with tempfile.TemporaryDirectory() as scratch:
        fresh = generate_into(Path(scratch))
        if check:
            stale = differences(fresh, committed) if committed.is_dir() else [f"missing: {OUTPUT}"]
            for line in stale:
                print(line, file=sys.stderr)
            if stale:
                print(f"{OUTPUT}/ is stale: run `make generate` and commit", file=sys.stderr)
                return 1
            print(f"{OUTPUT}/ is fresh")
            return 0
        shutil.rmtree(committed, ignore_errors=True)
        shutil.copytree(fresh, committed)
    print(f"regenerated {OUTPUT}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
