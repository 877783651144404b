"""Copy the Google API protos we import out of `googleapis-common-protos`.

buf needs them as files in the workspace; the BSR is out of reach, and the
installed package is the same source the Python runtime imports, so the two
can never disagree.
"""

import shutil
import sys
from pathlib import Path

import google.api

# Only what the contract imports (directly, or for Envoy to render error details).
THIRD_PARTY_PROTO_FILES = (
    "google/api/annotations.proto",
    "google/api/http.proto",
    "google/api/field_behavior.proto",
    "google/api/httpbody.proto",
    "google/type/date.proto",
    "google/type/decimal.proto",
    "google/type/money.proto",
    "google/rpc/code.proto",
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
)


def copy_third_party_protos(destination: Path) -> None:
    source_root = Path(next(iter(google.api.__path__))).parent.parent
    for relative in THIRD_PARTY_PROTO_FILES:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_root / relative, target)


if __name__ == "__main__":
    copy_third_party_protos(Path(sys.argv[1]))
