"""Secrets never in logs or error messages: `python -m server` as a child process, logging
JSON at DEBUG on stderr, configured with secrets of its own (a JWT signing key, a password
in DATABASE_URL that trust authentication ignores, an LLM API key); every flow that handles
a user's secret driven against it, then its whole log and every error it answered searched
for all of them."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import grpc
import pytest

from server.domain.access import Role
from server.security.tokens import generate_ed25519_pem
from server.storage.backends import Backends
from tests.resilience.conftest import Recorder
from tests.support.identity import create_account
from tests.support.leaks import Secrets, drive_secret_flows, error_text
from tests.support.server_process import ServerProcess, server_env, start_server, stop, wait_serving
from tests.support.services import TEST_SERVER_ENV, RunningServer, free_port

DATABASE_PASSWORD = "Db-Pass-8c1e5f0a7b"  # noqa: S105 - the secret under test
LLM_API_KEY = "sk-resilience-9f3b2d71c4"


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    assert parts.username and not parts.password, url
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class Child:
    process: ServerProcess
    channel: grpc.Channel
    signing_pem: bytes


@pytest.fixture(scope="module")
def child(seeded: Backends, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Child]:
    tmp_path: Path = tmp_path_factory.mktemp("secrets-server")
    pem = generate_ed25519_pem()
    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(pem)
    port = free_port()
    env = {key: value for key, value in TEST_SERVER_ENV.items()
           if key != "FINANCEHUB_GRPC_PORT"}
    process = start_server(tmp_path, server_env(
        **env,
        DATABASE_URL=with_password(seeded.database_url, DATABASE_PASSWORD),
        REDIS_URL=seeded.redis_url,
        FINANCEHUB_GRPC_PORT=str(port),
        FINANCEHUB_AUTO_MIGRATE="false",
        FINANCEHUB_WORKERS="1",
        FINANCEHUB_LOG_LEVEL="DEBUG",
        FINANCEHUB_JWT_PRIVATE_KEY_FILE=str(key_file),
        # Nothing listens there: configured, never reached by these flows.
        FINANCEHUB_LLM_MODEL="stub-model",
        FINANCEHUB_LLM_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
        FINANCEHUB_LLM_API_KEY=LLM_API_KEY,
    ))
    running = ServerProcess(process, f"127.0.0.1:{port}", tmp_path / "server.stderr")
    try:
        with grpc.insecure_channel(running.address) as channel:
            wait_serving(running, channel)
            yield Child(running, channel, pem)
    finally:
        stop(process)


def test_no_secret_reaches_the_log_or_an_error(child: Child, server: RunningServer,
                                                resilience: Recorder) -> None:
    secrets = Secrets()
    secrets.add("DATABASE_URL password", DATABASE_PASSWORD)
    secrets.add("LLM API key", LLM_API_KEY)
    body = b"".join(line for line in child.signing_pem.splitlines()
                    if not line.startswith(b"-----")).decode()
    secrets.add("JWT signing key (PEM body)", body)
    # The account is made through the in-process server, on the same database.
    admin = create_account(server, Role.ADMIN, label="secrets-admin")

    flows = drive_secret_flows(child.channel, admin, secrets)

    records = child.process.log_lines()  # every line JSON, or the test fails
    log = child.process.stderr()
    assert len(records) >= 25, "the child logged too little for the search to mean much"
    assert any(record.get("logger") == "financehub.access" for record in records)
    assert secrets.in_text(log) == [], "secrets in the server's log"
    assert len(flows.errors) == 8
    leaks = {index: secrets.in_text(error_text(error)) for index, error in
             enumerate(flows.errors)}
    assert {index: names for index, names in leaks.items() if names} == {}, \
        "secrets in error messages"
    resilience(area="Security", probe="Secrets in logs and errors",
               tried="`python -m server` logging JSON at DEBUG, configured with a JWT signing "
                     "key, a password in DATABASE_URL and an LLM API key; register, verify, "
                     "wrong and right logins, refresh and refresh reuse, API key creation and "
                     "use, wrong and right password changes, password reset and reset-token "
                     "reuse, tampered, misplaced and unknown credentials",
               cases=len(secrets.found) + len(flows.errors),
               held=f"none of the {len(secrets.found)} secrets (or the dangerous parts of "
                    "tokens and keys) appears in any log line, nor in the code, message, "
                    f"details or trailers of the {len(flows.errors)} errors returned; every "
                    "log line is JSON")
