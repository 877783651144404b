"""Per-call state shared by the interceptors and the servicers.

The aio servicer context takes no attributes, so per-call values live in
context variables, which asyncio copies into each call's task.
"""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


def current_request_id() -> str:
    return request_id_var.get()
