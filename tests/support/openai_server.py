"""A local, scripted server speaking the OpenAI chat-completions protocol, for tests.

Stdlib only: a `ThreadingHTTPServer` on 127.0.0.1 (a free port) in a daemon thread. A test
queues replies; each request to `POST /v1/chat/completions` takes the next one (retries
too), and answers with `default_text` when none is left:

    with OpenAIStubServer() as llm:
        llm.queue_tool_calls([("get_quote", {"symbol": "2222"})], usage=(50, 12))
        llm.queue_text("Aramco trades at 24.10 SAR.")
        llm.queue_failure(500)
        ...  # point the client at llm.base_url ("http://127.0.0.1:PORT/v1")
        llm.chat_requests[1].messages  # what the client sent the second time

Replies stream like the real API when the request says `stream: true`: server-sent events
`data: {chunk}`, text split into several deltas, each tool call opened by a delta carrying
its id and name and continued by argument fragments, the usage in a last chunk with no
choices when `stream_options.include_usage` is set (and the reply has usage: by default
none is sent, as some local servers do), then `data: [DONE]`. Without `stream` the answer
is one `chat.completion` JSON object.

Like the real API, a request that breaks the protocol is refused with 400 before any
queued reply is taken: no model or messages, a tool message that answers no pending tool
call, a tool call left unanswered, `tool_choice` without `tools`, `stream_options` without
`stream`. This catches a client (or a stored conversation) the real API would refuse.

Every request is recorded (method, path, headers, JSON body), even refused ones.
`GET /v1/models` lists `models`. The server is thread-safe and `close()` ends delayed
replies at once, so one instance can serve a whole module's tests (`reset()` between).
"""

import itertools
import json
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

Usage = tuple[int, int]
"""(prompt_tokens, completion_tokens) as the server reports them."""

DEFAULT_TEXT = "This is the stub model's default reply."
DEFAULT_MODELS = ("stub-model",)

_ERROR_DEFAULTS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
_ROLES = {"system", "developer", "user", "assistant", "tool"}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    """Lower-cased names."""
    body: dict[str, Any] | None
    """The JSON body; None for GET or a body that is not a JSON object."""

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def model(self) -> Any:
        return (self.body or {}).get("model")

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("messages") or [])

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("tools") or [])


@dataclass(frozen=True)
class _TextReply:
    chunks: tuple[str, ...]
    usage: Usage | None
    finish_reason: str
    delay_s: float
    chunk_delay_s: float
    # Streams only: end after the text with an error event, a dropped connection or an
    # event that is not JSON.
    break_with: Literal["error_event", "disconnect", "malformed_chunk"] | None = None


@dataclass(frozen=True)
class _ToolCallsReply:
    calls: tuple[tuple[str, str, str], ...]
    """(call id, name, raw arguments)"""
    text: str
    usage: Usage | None
    delay_s: float


@dataclass(frozen=True)
class _FailureReply:
    status: int
    message: str | None
    error_type: str | None
    code: str | None
    delay_s: float
    retry_after_ms: int | None


_Reply = _TextReply | _ToolCallsReply | _FailureReply


class OpenAIStubServer:
    def __init__(self, *, default_text: str = DEFAULT_TEXT,
                 models: Sequence[str] = DEFAULT_MODELS) -> None:
        self.default_text = default_text
        self.models = tuple(models)
        self._lock = threading.Lock()
        self._replies: deque[_Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> "OpenAIStubServer":
        if self._httpd is not None:
            raise RuntimeError("the stub server is already running")
        self._stopping.clear()
        self._httpd = _HttpServer(self)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name="openai-stub-server", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._httpd is None:
            return
        # Wakes delayed replies so that no handler outlives the server by long.
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> "OpenAIStubServer":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the stub server is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- script ----------------------------------------------------------------------------

    def queue_text(self, text: str | Sequence[str], *, usage: Usage | None = None,
                   finish_reason: str = "stop", delay_s: float = 0.0,
                   chunk_delay_s: float = 0.0) -> None:
        """A text answer. A string streams word by word; a sequence gives the exact deltas.
        `delay_s` waits before the response starts, `chunk_delay_s` before each delta."""
        chunks = _split_words(text) if isinstance(text, str) else tuple(text)
        self._queue(_TextReply(chunks, usage, finish_reason, delay_s, chunk_delay_s))

    def queue_tool_calls(self, calls: Sequence[tuple[str, Mapping[str, Any] | str]], *,
                         text: str = "", usage: Usage | None = None,
                         delay_s: float = 0.0) -> list[str]:
        """An answer asking for tools: (name, arguments) each, arguments as a mapping (sent
        as JSON) or a raw string (to send malformed JSON). Returns the call ids."""
        scripted = []
        for name, arguments in calls:
            raw = arguments if isinstance(arguments, str) else json.dumps(dict(arguments))
            scripted.append((f"call_stub_{next(self._ids)}", name, raw))
        self._queue(_ToolCallsReply(tuple(scripted), text, usage, delay_s))
        return [call_id for call_id, _, _ in scripted]

    def queue_failure(self, status: int, *, message: str | None = None,
                      error_type: str | None = None, code: str | None = None,
                      delay_s: float = 0.0, retry_after_ms: int | None = None,
                      times: int = 1) -> None:
        """`times` answers with HTTP `status` and an OpenAI-style error body. The default
        401 message quotes the bearer token presented in full, a worst case for a client
        that must not repeat it. `retry_after_ms` sets the header the openai client honours
        instead of its own backoff."""
        for _ in range(times):
            self._queue(_FailureReply(status, message, error_type, code, delay_s,
                                      retry_after_ms))

    def queue_delay(self, delay_s: float, text: str | None = None) -> None:
        """A text answer (the default text unless given) that starts after `delay_s`."""
        self.queue_text(self.default_text if text is None else text, delay_s=delay_s)

    def queue_broken_stream(self, text: str | Sequence[str],
                            how: Literal["error_event", "disconnect", "malformed_chunk"]
                            = "error_event") -> None:
        """A stream that sends `text`, then fails: an `{"error": ...}` event (how OpenAI
        reports a failure after the headers), a connection dropped mid-body, or an event
        whose data is not JSON."""
        chunks = _split_words(text) if isinstance(text, str) else tuple(text)
        self._queue(_TextReply(chunks, None, "stop", 0.0, 0.0, break_with=how))

    def reset(self) -> None:
        """Forgets queued replies and recorded requests."""
        with self._lock:
            self._replies.clear()
            self._requests.clear()

    # -- what happened -------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [request for request in self.requests
                if request.method == "POST" and request.path.endswith("/chat/completions")]

    @property
    def pending(self) -> int:
        """Queued replies not yet taken."""
        with self._lock:
            return len(self._replies)

    # -- used by the handler ---------------------------------------------------------------

    def _queue(self, reply: _Reply) -> None:
        with self._lock:
            self._replies.append(reply)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_reply(self) -> _Reply:
        with self._lock:
            if self._replies:
                return self._replies.popleft()
        return _TextReply(_split_words(self.default_text), None, "stop", 0.0, 0.0)

    def _next_id(self) -> int:
        return next(self._ids)

    def _wait(self, seconds: float) -> bool:
        """Sleeps; False when the server closes meanwhile."""
        return seconds <= 0 or not self._stopping.wait(seconds)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    # A handler still sleeping in a delay must not hold up close().
    block_on_close = False

    def __init__(self, stub: OpenAIStubServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stub = stub

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up (timeouts, cancelled calls) is routine here, not worth a trace.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows a failing test's own output, not the access log."""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self._record(path, None)
        if path.rstrip("/") in ("/v1/models", "/models"):
            created = int(time.time())
            self._send_json(200, {"object": "list", "data": [
                {"id": model, "object": "model", "created": created, "owned_by": "stub"}
                for model in self.server.stub.models]})
        else:
            self._send_error(404, f"Unknown path {path}", "invalid_request_error", None)

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self._record(path, body if isinstance(body, dict) else None)
        if path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send_error(404, f"Unknown path {path}", "invalid_request_error", None)
            return
        if not isinstance(body, dict):
            self._send_error(400, "The body must be a JSON object.", "invalid_request_error",
                             None)
            return
        problem = _protocol_problem(body)
        if problem is not None:
            self._send_error(400, problem, "invalid_request_error", None)
            return
        reply = self.server.stub._next_reply()
        if not self.server.stub._wait(reply.delay_s):
            return
        # A client that hung up meanwhile (it timed out, say) ends this in an OSError, which
        # the server's handle_error passes over.
        if isinstance(reply, _FailureReply):
            self._send_failure(reply)
        elif body.get("stream"):
            self._stream(body, reply)
        else:
            self._send_json(200, self._completion(body, reply))

    # -- answers -------------------------------------------------------------------------

    def _completion(self, body: dict[str, Any], reply: _TextReply | _ToolCallsReply
                    ) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "refusal": None}
        if isinstance(reply, _TextReply):
            message["content"] = "".join(reply.chunks)
            finish_reason = reply.finish_reason
        else:
            message["content"] = reply.text or None
            message["tool_calls"] = [
                {"id": call_id, "type": "function",
                 "function": {"name": name, "arguments": arguments}}
                for call_id, name, arguments in reply.calls]
            finish_reason = "tool_calls"
        completion: dict[str, Any] = {
            "id": f"chatcmpl-stub-{self.server.stub._next_id()}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": finish_reason}],
        }
        if reply.usage is not None:
            completion["usage"] = _usage(reply.usage)
        return completion

    def _stream(self, body: dict[str, Any], reply: _TextReply | _ToolCallsReply) -> None:
        stub = self.server.stub
        completion_id = f"chatcmpl-stub-{stub._next_id()}"
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                    "model": body["model"], "system_fingerprint": None,
                    "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                 "finish_reason": finish_reason}]}

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.send_header("x-request-id", completion_id)
        self.end_headers()
        self.close_connection = True

        self._event(chunk({"role": "assistant", "content": "", "refusal": None}))
        if isinstance(reply, _TextReply):
            for text in reply.chunks:
                if not stub._wait(reply.chunk_delay_s):
                    return
                self._event(chunk({"content": text}))
            if reply.break_with == "disconnect":
                # No terminating chunk: the client sees a body cut short.
                return
            if reply.break_with == "malformed_chunk":
                self._write_chunk(b"data: {not json\n\n")
                self._end_of_body()
                return
            if reply.break_with == "error_event":
                self._event({"error": {"message": "The server had an error while processing "
                                                  "your request.", "type": "server_error",
                                       "param": None, "code": None}})
                self._end_of_body()
                return
            self._event(chunk({}, reply.finish_reason))
        else:
            for text in _split_words(reply.text):
                self._event(chunk({"content": text}))
            for index, (call_id, name, arguments) in enumerate(reply.calls):
                self._event(chunk({"tool_calls": [{
                    "index": index, "id": call_id, "type": "function",
                    "function": {"name": name, "arguments": ""}}]}))
                for fragment in _fragments(arguments):
                    self._event(chunk({"tool_calls": [{
                        "index": index, "function": {"arguments": fragment}}]}))
            self._event(chunk({}, "tool_calls"))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if include_usage and reply.usage is not None:
            self._event({"id": completion_id, "object": "chat.completion.chunk",
                         "created": created, "model": body["model"],
                         "system_fingerprint": None, "choices": [],
                         "usage": _usage(reply.usage)})
        self._write_chunk(b"data: [DONE]\n\n")
        self._end_of_body()

    def _send_failure(self, reply: _FailureReply) -> None:
        default_type, default_code = _ERROR_DEFAULTS.get(reply.status, ("server_error", None))
        message = reply.message
        if message is None:
            if reply.status == 401:
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                message = f"Incorrect API key provided: {token}."
            else:
                message = f"Scripted failure (HTTP {reply.status})."
        headers = {}
        if reply.retry_after_ms is not None:
            headers["retry-after-ms"] = str(reply.retry_after_ms)
        self._send_error(reply.status, message, reply.error_type or default_type,
                         reply.code or default_code, headers)

    # -- HTTP plumbing -------------------------------------------------------------------

    def _record(self, path: str, body: dict[str, Any] | None) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.stub._record(RecordedRequest(self.command, path, headers, body))

    def _send_error(self, status: int, message: str, error_type: str, code: str | None,
                    headers: Mapping[str, str] | None = None) -> None:
        self._send_json(status, {"error": {"message": message, "type": error_type,
                                           "param": None, "code": code}}, headers)

    def _send_json(self, status: int, payload: Any,
                   headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.send_header("x-request-id", f"req_stub_{self.server.stub._next_id()}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self._write(data)

    def _event(self, payload: dict[str, Any]) -> None:
        self._write_chunk(f"data: {json.dumps(payload)}\n\n".encode())

    def _write_chunk(self, data: bytes) -> None:
        self._write(b"%x\r\n%s\r\n" % (len(data), data))

    def _end_of_body(self) -> None:
        self._write(b"0\r\n\r\n")

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()


def _protocol_problem(body: dict[str, Any]) -> str | None:
    """Why the real API would refuse this request body with 400, or None."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    unanswered: list[str] = []
    for position, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            return f"messages[{position}]: unknown or missing role"
        role = message["role"]
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in unanswered:
                return (f"messages[{position}]: messages with role 'tool' must be a response "
                        f"to a preceding message with 'tool_calls' (id {call_id!r})")
            if not isinstance(message.get("content"), str):
                return f"messages[{position}]: a tool message needs string content"
            unanswered.remove(call_id)
            continue
        if unanswered:
            return ("an assistant message with 'tool_calls' must be followed by tool messages "
                    f"responding to each 'tool_call_id'; missing: {', '.join(unanswered)}")
        if role == "assistant":
            for call in message.get("tool_calls") or []:
                function = call.get("function") if isinstance(call, dict) else None
                if (not isinstance(function, dict) or not call.get("id")
                        or not isinstance(function.get("arguments"), str)):
                    return f"messages[{position}]: malformed tool call {call!r}"
                unanswered.append(call["id"])
    if unanswered:
        return ("an assistant message with 'tool_calls' must be followed by tool messages "
                f"responding to each 'tool_call_id'; missing: {', '.join(unanswered)}")
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list) or not tools:
            return "'tools' must be a non-empty array when given"
        for tool in tools:
            if (not isinstance(tool, dict) or tool.get("type") != "function"
                    or not isinstance(tool.get("function"), dict)
                    or not tool["function"].get("name")):
                return f"malformed tool {tool!r}"
    if body.get("tool_choice") is not None and not tools:
        return "'tool_choice' is only allowed when 'tools' are specified"
    if body.get("stream_options") is not None and not body.get("stream"):
        return "The 'stream_options' parameter is only allowed when 'stream' is enabled"
    return None


def _usage(usage: Usage) -> dict[str, int]:
    prompt, completion = usage
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


def _split_words(text: str) -> tuple[str, ...]:
    """Word-sized deltas, each carrying the spaces before it."""
    return tuple(re.findall(r"\s*\S+\s*$|\s*\S+", text)) or ((text,) if text else ())


def _fragments(arguments: str, parts: int = 3) -> Iterator[str]:
    """Argument text in a few pieces, as the API streams it."""
    size = max(1, -(-len(arguments) // parts))
    for start in range(0, len(arguments), size):
        yield arguments[start:start + size]
