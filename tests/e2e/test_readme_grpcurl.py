"""The README's "Try it with grpcurl" section, run as it stands against the test server.

The section's ```bash / ```sh blocks are joined into one script and run by bash from the
repository root, with these mechanical substitutions and nothing else:

- `localhost:50051` (the address `make run` serves on) becomes the test server's address;
- the `EMAIL=...` and `PASSWORD=...` lines get a fresh account's values (the session's
  database is shared by the whole suite);
- `grpcurl` is a shell function that runs the real `.venv/bin/grpcurl` and records each
  call's arguments, output and exit status, so every call is checked, including the one
  inside `TOKEN=$(...)`;
- when `jq` is not installed, a stand-in that understands only `jq -r .a.b` is put on PATH.

Every grpcurl command found in the section must have been run (the counts are compared)
and each must have answered what its kind of call should answer.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import GRPCURL_BIN
from tests.support.services import RunningServer

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
SECTION_HEADING = "## Try it with grpcurl"
README_ADDRESS = "localhost:50051"
PASSWORD = "readme-grpcurl-passphrase-7"
# grpcurl's exit status for an RPC ending with DeadlineExceeded (64 + gRPC code 4):
# how a stream cut short by -max-time ends.
DEADLINE_EXCEEDED_EXIT = 68

_FENCE = re.compile(r"^```(?:bash|sh)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
# `grpcurl` in command position: at the start, or after `$(`, `(`, `;`, `|`, `&`, space.
_GRPCURL_WORD = re.compile(r"(?:^|[\s(;|&])grpcurl(?=\s)")

# Runs the real binary and records the call under $FH_CALLS/NNN; it writes files rather
# than counting in a variable because `TOKEN=$(grpcurl ...)` runs in a subshell.
_RECORDER = r"""
set -euo pipefail
grpcurl() {
  local dir rc=0
  dir="$FH_CALLS/$(printf '%03d' "$(find "$FH_CALLS" -mindepth 1 -maxdepth 1 | wc -l)")"
  mkdir "$dir"
  printf '%s\0' "$@" > "$dir/args"
  "$FH_GRPCURL" "$@" > "$dir/stdout" 2> "$dir/stderr" || rc=$?
  echo "$rc" > "$dir/rc"
  cat "$dir/stdout"
  cat "$dir/stderr" >&2
  # A stream cut short by -max-time is the documented ending; the test checks it.
  if [[ $rc -eq 68 && " $* " == *" -max-time "* ]]; then return 0; fi
  return "$rc"
}
"""

_JQ_STANDIN = """#!{python}
# Test stand-in for `jq -r .a.b` (jq is not installed here).
import json, sys
args = sys.argv[1:]
assert args[0] == "-r" and args[1].startswith("."), args
value = json.load(sys.stdin)
for key in args[1][1:].split("."):
    value = value[key] if isinstance(value, dict) and key in value else None
print("null" if value is None else value)
"""


def readme_section(text: str) -> str:
    start = text.find(f"\n{SECTION_HEADING}\n")
    assert start >= 0, f"README.md has no '{SECTION_HEADING}' section"
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else len(text)]


def shell_blocks(section: str) -> list[str]:
    return _FENCE.findall(section)


def logical_lines(script: str) -> list[str]:
    """Lines with backslash continuations joined, comments and blanks dropped."""
    joined = re.sub(r"\\\n", " ", script)
    return [line.strip() for line in joined.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def grpcurl_commands(script: str) -> list[str]:
    return [line for line in logical_lines(script)
            for _ in _GRPCURL_WORD.finditer(line)]


def substitute(script: str, address: str, email: str, password: str) -> str:
    for variable, value in (("EMAIL", email), ("PASSWORD", password)):
        assignment = re.compile(rf"^{variable}=.*$", re.MULTILINE)
        assert len(assignment.findall(script)) == 1, f"expected one {variable}= line"
        script = assignment.sub(f"{variable}='{value}'", script)
    return script.replace(README_ADDRESS, address)


@dataclass
class Call:
    args: list[str]
    stdout: str
    stderr: str
    rc: int

    @property
    def target(self) -> str:
        """The method (`pkg.Service/Method`) or verb (`list`, `describe X`) called."""
        words = [arg for arg in self.args if not arg.startswith("-")]
        for index, arg in enumerate(self.args[:-1]):
            if arg in ("-d", "-H", "-max-time", "-rpc-header", "-connect-timeout"):
                words.remove(self.args[index + 1])
        # words: address, then the verb/method and its argument.
        return " ".join(words[1:])

    def header(self, name: str) -> str | None:
        for index, arg in enumerate(self.args[:-1]):
            if arg in ("-H", "-rpc-header"):
                key, _, value = self.args[index + 1].partition(":")
                if key.strip().lower() == name:
                    return value.strip()
        return None

    def messages(self) -> list[dict[str, Any]]:
        """The JSON messages grpcurl printed (one or many, pretty-printed, back to back)."""
        decoder, found, text, at = json.JSONDecoder(), [], self.stdout, 0
        while True:
            while at < len(text) and text[at].isspace():
                at += 1
            if at == len(text):
                return found
            message, at = decoder.raw_decode(text, at)
            found.append(message)


def recorded_calls(calls_dir: Path) -> list[Call]:
    calls = []
    for entry in sorted(calls_dir.iterdir()):
        args = (entry / "args").read_bytes().decode().split("\0")[:-1]
        calls.append(Call(args=args, stdout=(entry / "stdout").read_text(),
                          stderr=(entry / "stderr").read_text(),
                          rc=int((entry / "rc").read_text())))
    return calls


def one(call: Call) -> dict[str, Any]:
    messages = call.messages()
    assert len(messages) == 1, f"{call.target}: expected one answer, got {call.stdout!r}"
    return messages[0]


@dataclass
class Account:
    email: str
    token: str = ""


def check_list(call: Call, account: Account) -> None:
    services = set(call.stdout.split())
    assert {"financehub.v1.MarketService", "financehub.v1.QuoteService",
            "financehub.v1.AuthService", "grpc.health.v1.Health"} <= services, call.stdout


def check_describe(call: Call, account: Account) -> None:
    name = call.target.split()[1]
    assert f"{name} is a service:" in call.stdout, call.stdout
    assert "rpc " in call.stdout, call.stdout


def check_register(call: Call, account: Account) -> None:
    assert one(call)["user"]["email"] == account.email


def check_login(call: Call, account: Account) -> None:
    tokens = one(call)["tokens"]
    assert tokens["accessToken"].count(".") == 2, tokens  # a JWT
    assert tokens["refreshToken"]
    account.token = tokens["accessToken"]


def check_get_me(call: Call, account: Account) -> None:
    assert one(call)["user"]["email"] == account.email


def check_get_account(call: Call, account: Account) -> None:
    answer = one(call)["account"]
    assert answer["currency"] == "SAR", answer
    assert float(answer["cash"]["value"]) > 0, answer


def check_batch_quotes(call: Call, account: Account) -> None:
    quotes = one(call)["quotes"]
    assert [quote["symbol"] for quote in quotes] == ["2222", "1120"], quotes
    assert all(quote["price"] > 0 for quote in quotes), quotes


def check_stream_quotes(call: Call, account: Account) -> None:
    messages = call.messages()
    snapshot = {m["quote"]["symbol"] for m in messages if m.get("snapshot") and "quote" in m}
    assert snapshot == {"2222", "1120"}, call.stdout
    if "-max-time" in call.args:
        assert "DeadlineExceeded" in call.stderr, call.stderr


CHECKS: dict[str, Callable[[Call, Account], None]] = {
    "list": check_list,
    "describe": check_describe,
    "financehub.v1.AuthService/Register": check_register,
    "financehub.v1.AuthService/Login": check_login,
    "financehub.v1.AuthService/GetMe": check_get_me,
    "financehub.v1.TradingService/GetAccount": check_get_account,
    "financehub.v1.QuoteService/BatchGetQuotes": check_batch_quotes,
    "financehub.v1.QuoteService/StreamQuotes": check_stream_quotes,
}

STREAMING = {"financehub.v1.QuoteService/StreamQuotes"}


def jq_standin(directory: Path) -> Path:
    path = directory / "jq"
    path.write_text(_JQ_STANDIN.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return directory


def test_section_parsing_finds_every_command() -> None:
    script = "```bash\n# grpcurl in a comment\ngrpcurl -plaintext a list\n" \
             "X=$(grpcurl -d '{}' \\\n  a b/C | jq -r .x)\necho grpcurl-free\n```\n" \
             "```python\ngrpcurl -plaintext a list\n```\n"
    blocks = shell_blocks(script)
    assert len(blocks) == 1
    assert grpcurl_commands(blocks[0]) == ["grpcurl -plaintext a list",
                                           "X=$(grpcurl -d '{}'    a b/C | jq -r .x)"]


def test_readme_grpcurl_section_runs(server: RunningServer, tmp_path: Path) -> None:
    assert GRPCURL_BIN.exists(), f"no grpcurl binary at {GRPCURL_BIN}"
    blocks = shell_blocks(readme_section(README.read_text(encoding="utf-8")))
    assert blocks, "the grpcurl section has no ```bash block"
    script = "\n".join(blocks)
    commands = grpcurl_commands(script)
    assert commands, "the grpcurl section runs no grpcurl command"
    for command in commands:
        assert README_ADDRESS in command, f"not aimed at {README_ADDRESS}: {command}"

    account = Account(email=f"readme-{uuid.uuid4().hex[:12]}@example.com")
    calls_dir = tmp_path / "calls"
    calls_dir.mkdir()
    path = f"{GRPCURL_BIN.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    if shutil.which("jq", path=path) is None:
        path = f"{jq_standin(tmp_path)}{os.pathsep}{path}"
    run = subprocess.run(
        ["bash", "-c", _RECORDER + substitute(script, server.address, account.email, PASSWORD)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=180, check=False,
        env={**os.environ, "PATH": path, "FH_CALLS": str(calls_dir),
             "FH_GRPCURL": str(GRPCURL_BIN)},
    )
    calls = recorded_calls(calls_dir)
    assert run.returncode == 0, (
        f"the section failed ({run.returncode}) after {len(calls)} grpcurl calls:\n"
        f"{run.stdout}\n{run.stderr}")
    assert len(calls) == len(commands), (
        f"{len(commands)} grpcurl commands in the README, {len(calls)} run")

    seen = set()
    for call in calls:
        kind = call.target.split()[0]
        assert kind in CHECKS, f"no check for `grpcurl {' '.join(call.args)}`: add one"
        if kind in STREAMING and "-max-time" in call.args:
            assert call.rc in (0, DEADLINE_EXCEEDED_EXIT), (kind, call.rc, call.stderr)
        else:
            assert call.rc == 0, f"{kind} exited {call.rc}: {call.stderr}"
        CHECKS[kind](call, account)
        seen.add(kind)
        authorization = call.header("authorization")
        if authorization is not None:
            # $TOKEN was the access token this very section logged in for.
            assert account.token and authorization == f"Bearer {account.token}", authorization
            seen.add("authorised call")

    # What the issue asks the section to show.
    assert {"list", "describe", "financehub.v1.AuthService/Login", "authorised call"} <= seen
    assert seen & STREAMING, "the section streams nothing"
