"""Every environment variable the code reads is documented in README's Configuration."""

import re

from server.config import REPO_ROOT

# Names the code reads: FINANCEHUB_*, the backends' URLs, the model path, OpenAI's key.
READ = re.compile(r'"((?:FINANCEHUB|OTEL)_[A-Z0-9_]+|DATABASE_URL|REDIS_URL|READ_REPLICA_URL'
                  r'|FINBERT_MODEL_PATH|OPENAI_API_KEY)"')
# README rows name related variables once: `FINANCEHUB_SMTP_HOST` / `_PORT` / `_FROM`.
FULL = re.compile(r"`([A-Z][A-Z0-9_]+)(?:=[^`]*)?`")
SUFFIX = re.compile(r"`(_[A-Z0-9_]+)`")


def documented_names(readme: str) -> set[str]:
    names: set[str] = set()
    for line in readme.splitlines():
        full = FULL.findall(line)
        names.update(full)
        for suffix in SUFFIX.findall(line):
            for name in full:
                parts = name.split("_")
                names.update("_".join(parts[:-n]) + suffix for n in range(1, len(parts)))
    return names


def read_names() -> set[str]:
    return {match for path in (REPO_ROOT / "server").rglob("*.py")
            for match in READ.findall(path.read_text())}


def test_every_variable_the_server_reads_is_in_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    read = read_names()
    assert "FINANCEHUB_GRPC_PORT" in read and "DATABASE_URL" in read  # the scan works
    missing = sorted(read - documented_names(readme))
    assert not missing, f"read in server/ but not documented in README.md: {missing}"


def test_suffix_rows_expand_to_full_names() -> None:
    names = documented_names("| `FINANCEHUB_SMTP_HOST` / `_PORT` | x |")
    assert {"FINANCEHUB_SMTP_HOST", "FINANCEHUB_SMTP_PORT"} <= names
    assert "FINANCEHUB_SMTP_HOSTX" not in names
