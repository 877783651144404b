"""Per-call state shared by the interceptors and the servicers.

The aio servicer context takes no attributes, so per-call values live in
context variables, which asyncio copies into each call's task.
"""

from contextvars import ContextVar

from server.domain.access import Principal, guest

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
principal_var: ContextVar[Principal | None] = ContextVar("principal", default=None)
# Headers for the caller (request id, rate-limit state): sent as initial
# metadata on success, as trailing metadata when the call is refused.
response_headers_var: ContextVar[list[tuple[str, str]] | None] = ContextVar(
    "response_headers", default=None)


def current_request_id() -> str:
    return request_id_var.get()


def current_principal() -> Principal:
    """The caller; a guest when no interceptor established one (never in a served call)."""
    return principal_var.get() or guest("")


def current_user_id() -> str:
    """The signed-in caller's user id, for RPCs whose permission only users hold."""
    user_id = current_principal().user_id
    if user_id is None:
        raise AssertionError("a call for signed-in users reached its servicer without a user")
    return user_id


def add_response_header(key: str, value: str) -> None:
    headers = response_headers_var.get()
    if headers is not None:
        headers.append((key, value))


def response_headers() -> tuple[tuple[str, str], ...]:
    return tuple(response_headers_var.get() or ())
