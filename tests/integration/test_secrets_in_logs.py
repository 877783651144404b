"""No password, token, key or one-time secret ever reaches a log line.

One test drives every flow that handles a secret over a real channel while a
handler on the root logger records everything at DEBUG, formatted by the
project's own JSON formatter (exceptions included). Then it looks for each
secret, and for the parts of it that would still be dangerous alone, in every
line; and checks the access log names callers only by id.
"""

import json
import logging
import re
from collections.abc import Iterator

import grpc
import pytest

from financehub.v1 import auth_pb2, auth_pb2_grpc
from server.domain.access import Role
from server.logging_setup import configure_logging
from tests.support.identity import (
    bearer,
    create_account,
)
from tests.support.leaks import Secrets, drive_secret_flows
from tests.support.services import RunningServer

ACCESS_LOGGER = "financehub.access"


def project_formatter() -> tuple[logging.Formatter, list[logging.Filter]]:
    """The formatter and filters `configure_logging` installs, without keeping its handler."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        configure_logging("DEBUG")
        handler = root.handlers[0]
        assert handler.formatter is not None
        return handler.formatter, [f for f in handler.filters if isinstance(f, logging.Filter)]
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


class Capture(logging.Handler):
    """Formats each record as it is emitted (in the call's context, so the request-id filter
    sees the call's id) and keeps the JSON line."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        formatter, filters = project_formatter()
        self.setFormatter(formatter)
        for log_filter in filters:
            self.addFilter(log_filter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[Capture]:
    capture = Capture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(level)


def test_no_secret_reaches_the_logs_and_the_access_log_names_callers_by_id(
        server: RunningServer, channel: grpc.Channel, captured: Capture) -> None:
    auth = auth_pb2_grpc.AuthServiceStub(channel)
    secrets = Secrets()
    admin = create_account(server, Role.ADMIN, label="logs-admin")
    flows = drive_secret_flows(channel, admin, secrets)
    user_id = flows.user_id
    marked = auth.GetMe.with_call(auth_pb2.GetMeRequest(),
                                  metadata=(*bearer(flows.access_token),
                                            ("x-request-id", "logs-test-0001")), timeout=10)
    assert marked[0].user.id == user_id

    lines = captured.lines
    assert len(lines) >= 25
    leaks = [(name, line) for line in lines for name, value in secrets.found.items()
             if value in line]
    assert leaks == [], f"secrets in the logs: {[name for name, _ in leaks]}"

    access_lines = [json.loads(line) for line in lines
                    if json.loads(line).get("logger") == ACCESS_LOGGER]

    def seen(method: str, principal: str, status: str) -> bool:
        return any(entry["method"] == f"/financehub.v1.{method}"
                   and entry["principal"] == principal and entry["status"] == status
                   for entry in access_lines)

    assert seen("AuthService/Register", "guest", "OK")
    assert seen("AuthService/Login", "guest", "UNAUTHENTICATED")
    assert seen("AuthService/Login", "guest", "OK")
    assert seen("AuthService/RefreshToken", "guest", "OK")
    assert seen("AuthService/CreateApiKey", f"user:{user_id}", "OK")
    assert seen("AuthService/GetMe", f"apikey:{flows.api_key_id}", "OK")
    assert seen("AuthService/ChangePassword", f"user:{user_id}", "INVALID_ARGUMENT")
    assert seen("AuthService/ResetPassword", "guest", "OK")
    assert seen("AuthService/GetMe", "guest", "UNAUTHENTICATED")
    assert seen("AdminService/ListOutboxMessages", f"user:{admin.user_id}", "OK")
    for entry in access_lines:
        assert set(entry) >= {"time", "level", "message", "request_id", "method", "status",
                              "duration_ms", "principal"}
        assert re.fullmatch(r"guest|user:[0-9a-f-]{36}|apikey:[0-9a-f-]{36}",
                            entry["principal"]), entry
        assert entry["request_id"] not in ("", "-", None)
    assert [entry["principal"] for entry in access_lines
            if entry["request_id"] == "logs-test-0001"] == [f"user:{user_id}"]
