"""Build script of financehub-client: ships the generated stubs with the SDK.

The request/response classes are the repository's generated stubs (`financehub.v1.*`,
`financehub.options.v1.*`, absolute imports among themselves), produced from proto/
by `make generate` into generated/python and checked fresh by `make check`. They are
never copied into clients/python in the repository; each build takes them from the
one place they live:

* from a checkout: `package_dir` maps the `financehub` packages to
  ../../generated/python/financehub, so a wheel (or `pip install clients/python`)
  carries exactly the stubs of that checkout;
* from an sdist: the sdist command copies them into the archive under
  `_generated/financehub`, and a build from the unpacked sdist maps there.

`financehub` stays a namespace package (no `__init__.py`), as in generated/python, so
an editable install next to the repository's own `.pth` entry resolves to the same
files. The wheel adds `py.typed` to each stub package (they come with `.pyi` files).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py as _build_py
from setuptools.command.sdist import sdist as _sdist

HERE = Path(__file__).resolve().parent
SDIST_STUBS = "_generated"
REPO_STUBS = os.path.join("..", "..", "generated", "python")


def stubs_root() -> str:
    """Where the generated `financehub` packages are, relative to this file."""
    for root in (SDIST_STUBS, REPO_STUBS):
        if (HERE / root / "financehub" / "v1").is_dir():
            return root
    raise SystemExit(
        "financehub-client: the generated stubs were not found in "
        f"{HERE / SDIST_STUBS} (an sdist) or {HERE / REPO_STUBS} (the repository); "
        "build from a checkout of the repository or from the sdist"
    )


def stub_packages(root: str) -> list[str]:
    base = HERE / root
    found = sorted(
        str(path.relative_to(base)).replace(os.sep, ".")
        for path in (base / "financehub").rglob("*")
        if path.is_dir() and path.name != "__pycache__"
    )
    return ["financehub", *found]


class build_py(_build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for package in STUB_PACKAGES:
            directory = Path(self.build_lib, *package.split("."))
            if any(directory.glob("*.py")):
                (directory / "py.typed").write_text("")


class sdist(_sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        # The stubs are listed by their path in the repository (outside this project):
        # they go into the archive under _generated/ instead.
        inside = [name for name in files if not name.startswith("..")]
        super().make_release_tree(base_dir, inside)
        target = Path(base_dir, SDIST_STUBS, "financehub")
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(HERE / ROOT / "financehub", target,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


ROOT = stubs_root()
STUB_PACKAGES = stub_packages(ROOT)

setup(
    packages=["financehub_client", *STUB_PACKAGES],
    package_dir={"financehub": os.path.join(ROOT, "financehub")},
    package_data={"financehub_client": ["py.typed"],
                  **{package: ["*.pyi"] for package in STUB_PACKAGES}},
    include_package_data=False,
    cmdclass={"build_py": build_py, "sdist": sdist},
)
