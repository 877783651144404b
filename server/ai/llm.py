"""The LLM client of the AI engine: chat completions with tool calls over the OpenAI protocol.

Any server that speaks `POST /v1/chat/completions` works (OpenAI, vLLM, llama.cpp, Ollama,
LiteLLM ...): the endpoint, key and model are configuration (`LlmSettings`).

Choices a caller relies on:

- Tool rounds. A "round" is one model reply that asks for tools, followed by running them.
  After `max_tool_rounds` rounds the model is asked once more with `tool_choice="none"`, so
  the user still gets an answer built from what the tools returned; a chat therefore makes
  at most `max_tool_rounds + 1` requests. If a server ignores `tool_choice` and still asks
  for tools, those calls are not run and the chat ends with finish reason
  `FINISH_TOOL_ROUND_LIMIT`.
- Tool calls of one reply run one after another, in the order the model gave them, so the
  `ToolCalled` events and the replayable history have a stable order. A call naming a tool
  that was not offered, or whose arguments are not a JSON object, is not run: the model gets
  an `{"error": ...}` result and may try again.
- Usage. The server's counts are used when it sends them. Some local servers send none (or
  zeros); then tokens are estimated at `CHARS_PER_TOKEN` characters per token over the JSON of
  the messages and tools sent and over the text and tool calls received, at least one token
  each way. The JSON overhead makes this err high for English, close for Arabic, which is
  the safe side for the per-user token quota that depends on it.
- Time. `LlmSettings.timeout_s` bounds each HTTP exchange (connect, and each wait for the
  next bytes: a stream that keeps producing tokens is not cut). A call's `timeout_s` (what
  is left of the gRPC deadline) bounds the whole call, every round and retry included, and
  also caps each request's own timeout.
- Retries are the openai client's: `max_retries` more attempts with exponential backoff
  (0.5 s doubling up to 8 s, minus up to 25 % jitter, or the server's `Retry-After`) on
  connection errors, timeouts, 408, 409, 429 and 5xx. Only the opening of a request is
  retried; a stream that fails after its first bytes is not replayed (its tokens may already
  be on the user's screen).
- Errors leave as domain errors only (`DomainError.reason` in parentheses):
  timeout -> `DeadlineExceededError` (LLM_TIMEOUT); unreachable, 429, 5xx, an error inside
  the stream -> `UnavailableError` (LLM_UNAVAILABLE); 401/403 -> `UnavailableError`
  (LLM_CREDENTIALS_REJECTED: the operator's configuration, not the caller's fault);
  400/404/422, e.g. an unknown model -> `UnavailableError` (LLM_REJECTED_REQUEST); a reply
  that does not follow the protocol -> `UnavailableError` (LLM_BAD_RESPONSE). No message
  carries the API key.
- Metrics. Each request (a completion, or one streamed round of a chat from its opening
  to its last chunk, retries included) is timed in `financehub_llm_request_seconds` by kind
  (`complete`, `stream`) and outcome (`ok`, `cancelled`, or the error's reason in lower case
  without `LLM_`, e.g. `timeout`, `unavailable`).
"""

import asyncio
import json
import math
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Sequence,
)
from contextlib import aclosing, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import openai
from openai.types.chat import (
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ChatCompletionToolChoiceOptionParam,
    ChatCompletionToolUnionParam,
)
from openai.types.completion_usage import CompletionUsage

from server.domain.errors import DeadlineExceededError, DomainError, UnavailableError
from server.metrics import LLM_REQUESTS

CHARS_PER_TOKEN = 4
FINISH_TOOL_ROUND_LIMIT = "tool_round_limit"
# A stream that ended without saying why (cut off before its last chunk).
FINISH_UNKNOWN = "unknown"

REASON_TIMEOUT = "LLM_TIMEOUT"
REASON_UNAVAILABLE = "LLM_UNAVAILABLE"
REASON_CREDENTIALS_REJECTED = "LLM_CREDENTIALS_REJECTED"
REASON_REJECTED_REQUEST = "LLM_REJECTED_REQUEST"
REASON_BAD_RESPONSE = "LLM_BAD_RESPONSE"

# The openai client refuses to start without a key; local servers need none, so an empty
# configured key becomes this stand-in (sent as a bearer token they ignore).
_KEYLESS_PLACEHOLDER = "no-key-configured"
# Provider error texts help operators (e.g. "model 'x' does not exist") but are not ours to
# forward at any length.
_PROVIDER_MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class LlmSettings:
    base_url: str
    api_key: str
    model: str
    timeout_s: float = 30.0
    max_retries: int = 2
    max_tool_rounds: int = 4
    temperature: float = 0.2

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if self.max_retries < 0 or self.max_tool_rounds < 0:
            raise ValueError("max_retries and max_tool_rounds must not be negative")

    def __repr__(self) -> str:
        # Settings end up in logs; the key must not.
        return (f"LlmSettings(base_url={self.base_url!r}, model={self.model!r}, "
                f"timeout_s={self.timeout_s}, max_retries={self.max_retries}, "
                f"max_tool_rounds={self.max_tool_rounds}, temperature={self.temperature})")


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call; `parameters` is its arguments' JSON schema."""

    name: str
    description: str
    parameters: dict[str, Any]

    def as_openai_tool(self) -> dict[str, Any]:
        """The entry of the request's `tools` list."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


# Runs one tool by name with the parsed arguments; reports refusals and failures inside the
# returned dict (e.g. {"error": "..."}) so the model can read them.
ToolExecutor = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class TokenUsage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: "TokenUsage") -> "TokenUsage":
        return TokenUsage(self.prompt_tokens + other.prompt_tokens,
                          self.completion_tokens + other.completion_tokens)


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCalled:
    call_id: str
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]


@dataclass(frozen=True)
class ChatFinished:
    """The end of a chat turn. `messages` are the assistant and tool messages the turn added,
    in OpenAI chat format: appended to the messages sent, they replay the conversation."""

    finish_reason: str
    usage: TokenUsage
    messages: list[dict[str, Any]]


ChatEvent = TextDelta | ToolCalled | ChatFinished


@dataclass(frozen=True)
class Completion:
    text: str
    usage: TokenUsage
    finish_reason: str


def estimate_tokens(text: str) -> int:
    """Tokens in `text` by the characters-per-token rule; at least one."""
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN))


@dataclass
class _PendingToolCall:
    """One tool call as its stream fragments arrive."""

    call_id: str | None = None
    name: str = ""
    arguments: str = ""


@dataclass
class _Round:
    """What one streamed reply said."""

    text: str = ""
    calls: dict[int, _PendingToolCall] = field(default_factory=dict)
    finish_reason: str | None = None
    server_usage: CompletionUsage | None = None

    def add(self, chunk: ChatCompletionChunk) -> str:
        """Takes in one chunk; returns its text (possibly empty)."""
        if chunk.usage is not None:
            self.server_usage = chunk.usage
        text = ""
        # One choice (n=1) is requested; chunks with none carry only the usage.
        for choice in chunk.choices[:1]:
            text = choice.delta.content or ""
            self.text += text
            for fragment in choice.delta.tool_calls or []:
                pending = self.calls.setdefault(fragment.index, _PendingToolCall())
                # The id comes with the first fragment; some servers repeat it later.
                if fragment.id and pending.call_id is None:
                    pending.call_id = fragment.id
                # Names and arguments are concatenated, as the openai SDK's own accumulator
                # does: servers may split either.
                if fragment.function is not None:
                    pending.name += fragment.function.name or ""
                    pending.arguments += fragment.function.arguments or ""
            if choice.finish_reason is not None:
                self.finish_reason = choice.finish_reason
        return text

    def tool_calls(self, round_number: int) -> list[dict[str, Any]]:
        """The tool calls in OpenAI message format, in the model's order. Servers that send
        no id get one made up, so that tool results can refer to their call."""
        return [
            {
                "id": pending.call_id or f"call_r{round_number}_{index}",
                "type": "function",
                "function": {"name": pending.name, "arguments": pending.arguments},
            }
            for index, pending in sorted(self.calls.items())
        ]


class LlmClient:
    """Chat and completion against one OpenAI-protocol endpoint and model. One instance is
    shared by all calls (it holds the HTTP connection pool); `close` it at shutdown."""

    def __init__(self, settings: LlmSettings) -> None:
        self._settings = settings
        self._client = openai.AsyncOpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or _KEYLESS_PLACEHOLDER,
            timeout=settings.timeout_s,
            max_retries=settings.max_retries,
        )

    @property
    def model(self) -> str:
        return self._settings.model

    async def close(self) -> None:
        await self._client.close()

    async def stream_chat(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: Sequence[ToolSpec],
        execute_tool: ToolExecutor,
        timeout_s: float | None = None,
    ) -> AsyncGenerator[ChatEvent, None]:
        """Streams the model's answer to `messages`, running the tools it asks for, and ends
        with one `ChatFinished`. Raises domain errors only (see the module's docstring).
        A caller that stops early should `aclose()` it: that closes the HTTP stream."""
        deadline = self._deadline(timeout_s)
        offered = {tool.name for tool in tools}
        tool_params = [tool.as_openai_tool() for tool in tools]
        conversation = list(messages)
        added: list[dict[str, Any]] = []
        usage = TokenUsage(0, 0)
        rounds_done = 0
        while True:
            may_call_tools = rounds_done < self._settings.max_tool_rounds
            reply = _Round()
            # aclosing: a caller that closes this generator mid-text closes the HTTP stream
            # now, not whenever the inner generator is collected.
            async with aclosing(self._stream_round(conversation, tool_params, may_call_tools,
                                                   deadline, reply)) as texts:
                async for text in texts:
                    yield TextDelta(text)
            usage += self._round_usage(conversation, tool_params, reply)
            tool_calls = reply.tool_calls(rounds_done + 1)
            # Some local servers finish a tool-calling reply with "stop": the calls decide.
            if not tool_calls or not may_call_tools:
                if reply.text:
                    added.append({"role": "assistant", "content": reply.text})
                if tool_calls:
                    finish_reason = FINISH_TOOL_ROUND_LIMIT
                else:
                    finish_reason = reply.finish_reason or FINISH_UNKNOWN
                yield ChatFinished(finish_reason, usage, added)
                return
            assistant = {"role": "assistant", "content": reply.text or None,
                         "tool_calls": tool_calls}
            conversation.append(assistant)
            added.append(assistant)
            for call in tool_calls:
                name = call["function"]["name"]
                arguments, result = await self._run_tool(
                    name, call["function"]["arguments"], offered, execute_tool)
                yield ToolCalled(call["id"], name, arguments, result)
                tool_message = {"role": "tool", "tool_call_id": call["id"],
                                "content": _json(result)}
                conversation.append(tool_message)
                added.append(tool_message)
            rounds_done += 1

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        timeout_s: float | None = None,
    ) -> Completion:
        """One non-streamed answer, without tools."""
        deadline = self._deadline(timeout_s)
        with _timed_request("complete"):
            async with self._mapped_errors(deadline):
                response = await self._client.chat.completions.create(
                    model=self._settings.model,
                    messages=cast(list[ChatCompletionMessageParam], messages),
                    temperature=self._settings.temperature,
                    # `max_tokens` rather than `max_completion_tokens`: every OpenAI-protocol
                    # server accepts it, the newer name is not understood by all local ones.
                    max_tokens=openai.omit if max_tokens is None else max_tokens,
                    timeout=self._request_timeout(deadline),
                )
            if not response.choices:
                raise UnavailableError("the language model sent an answer without choices",
                                       reason=REASON_BAD_RESPONSE, metadata=self._metadata())
        choice = response.choices[0]
        text = choice.message.content or ""
        usage = _server_usage(response.usage)
        if usage is None:
            usage = TokenUsage(estimate_tokens(_json(messages)), estimate_tokens(text))
        return Completion(text, usage, choice.finish_reason or FINISH_UNKNOWN)

    async def _stream_round(
        self,
        conversation: list[dict[str, Any]],
        tool_params: list[dict[str, Any]],
        may_call_tools: bool,
        deadline: float | None,
        reply: _Round,
    ) -> AsyncGenerator[str, None]:
        """One streamed request: fills `reply` and yields its text as it arrives."""
        with _timed_request("stream"):
            # OpenAI refuses an empty `tools` list, and `tool_choice` without tools.
            tool_choice: ChatCompletionToolChoiceOptionParam | openai.Omit = openai.omit
            if tool_params and not may_call_tools:
                tool_choice = "none"
            async with self._mapped_errors(deadline):
                stream = await self._client.chat.completions.create(
                    model=self._settings.model,
                    messages=cast(list[ChatCompletionMessageParam], conversation),
                    tools=cast(list[ChatCompletionToolUnionParam], tool_params) or openai.omit,
                    tool_choice=tool_choice,
                    temperature=self._settings.temperature,
                    stream=True,
                    stream_options={"include_usage": True},
                    timeout=self._request_timeout(deadline),
                )
            try:
                while True:
                    # The deadline guards each wait, never a `yield`: the time our caller takes
                    # with a piece of text must not raise inside its own code.
                    async with self._mapped_errors(deadline):
                        chunk = await anext(stream, None)
                    if chunk is None:
                        return
                    text = reply.add(chunk)
                    if text:
                        yield text
            finally:
                # Also on cancellation or an abandoned chat: frees the connection at once.
                await stream.close()

    def _round_usage(self, conversation: list[dict[str, Any]],
                     tool_params: list[dict[str, Any]], reply: _Round) -> TokenUsage:
        usage = _server_usage(reply.server_usage)
        if usage is not None:
            return usage
        sent = _json(conversation) + (_json(tool_params) if tool_params else "")
        received = reply.text + "".join(
            pending.name + pending.arguments for pending in reply.calls.values())
        return TokenUsage(estimate_tokens(sent), estimate_tokens(received))

    async def _run_tool(self, name: str, raw_arguments: str, offered: set[str],
                        execute_tool: ToolExecutor) -> tuple[dict[str, Any], dict[str, Any]]:
        """Parses and runs one call; a call that cannot run gets an error result instead,
        so the model can correct itself."""
        if name not in offered:
            return {}, {"error": f"unknown tool {name!r}; the tools available are: "
                                 f"{', '.join(sorted(offered)) or 'none'}"}
        try:
            # An empty string is how some servers send a call without arguments.
            arguments = json.loads(raw_arguments) if raw_arguments.strip() else {}
        except json.JSONDecodeError as err:
            return {}, {"error": f"the arguments are not valid JSON ({err.msg} at position "
                                 f"{err.pos}); call {name} again with a JSON object"}
        if not isinstance(arguments, dict):
            return {}, {"error": f"the arguments must be a JSON object; call {name} again "
                                 "with an object matching its parameters"}
        return arguments, await execute_tool(name, arguments)

    def _deadline(self, timeout_s: float | None) -> float | None:
        if timeout_s is None:
            return None
        return asyncio.get_running_loop().time() + timeout_s

    def _request_timeout(self, deadline: float | None) -> float:
        if deadline is None:
            return self._settings.timeout_s
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise self._timeout_error()
        return min(self._settings.timeout_s, remaining)

    @asynccontextmanager
    async def _mapped_errors(self, deadline: float | None) -> AsyncIterator[None]:
        """Enforces the call's deadline and turns the openai client's errors into domain
        errors."""
        try:
            async with asyncio.timeout_at(deadline):
                yield
        except TimeoutError as err:
            raise self._timeout_error() from err
        except openai.APIError as err:
            raise self._domain_error(err) from err
        except ValueError as err:
            # A stream chunk that is not JSON (JSONDecodeError is a ValueError).
            raise UnavailableError("the language model sent a malformed reply",
                                   reason=REASON_BAD_RESPONSE,
                                   metadata=self._metadata()) from err

    def _domain_error(self, err: openai.APIError) -> DomainError:
        if isinstance(err, openai.APITimeoutError):
            return self._timeout_error()
        if isinstance(err, openai.APIConnectionError):
            return UnavailableError("the language model service cannot be reached",
                                    reason=REASON_UNAVAILABLE, metadata=self._metadata())
        if not isinstance(err, openai.APIStatusError):
            # An error event inside the stream, or a reply that fails the protocol's schema.
            return UnavailableError(
                f"the language model failed while answering: {self._provider_message(err)}",
                reason=REASON_UNAVAILABLE, metadata=self._metadata())
        metadata = self._metadata(http_status=str(err.status_code))
        if isinstance(err, openai.AuthenticationError | openai.PermissionDeniedError):
            # The provider's text may quote part of the key: left out.
            return UnavailableError(
                f"the language model service refused this platform's credentials "
                f"(HTTP {err.status_code}); an operator must fix the LLM configuration",
                reason=REASON_CREDENTIALS_REJECTED, metadata=metadata)
        if isinstance(err, openai.BadRequestError | openai.NotFoundError
                      | openai.UnprocessableEntityError):
            return UnavailableError(
                f"the language model service rejected the request for model "
                f"{self._settings.model!r} (HTTP {err.status_code}): "
                f"{self._provider_message(err)}",
                reason=REASON_REJECTED_REQUEST, metadata=metadata)
        return UnavailableError(
            f"the language model service is unavailable (HTTP {err.status_code})",
            reason=REASON_UNAVAILABLE, metadata=metadata)

    def _timeout_error(self) -> DeadlineExceededError:
        return DeadlineExceededError("the language model did not answer in time",
                                     reason=REASON_TIMEOUT, metadata=self._metadata())

    def _provider_message(self, err: openai.APIError) -> str:
        message = err.message
        if self._settings.api_key:
            message = message.replace(self._settings.api_key, "***")
        if len(message) > _PROVIDER_MESSAGE_LIMIT:
            message = message[:_PROVIDER_MESSAGE_LIMIT] + "..."
        return message

    def _metadata(self, **extra: str) -> dict[str, str]:
        return {"model": self._settings.model, **extra}


@contextmanager
def _timed_request(kind: str) -> Iterator[None]:
    """Times one request to the model into `financehub_llm_request_seconds`."""
    started = time.perf_counter()
    outcome = "cancelled"  # unless it ends otherwise: the caller went away or stopped reading
    try:
        yield
        outcome = "ok"
    except DomainError as err:
        outcome = err.reason.removeprefix("LLM_").lower()
        raise
    except Exception:
        outcome = "error"
        raise
    finally:
        LLM_REQUESTS.labels(kind, outcome).observe(time.perf_counter() - started)


def _server_usage(usage: CompletionUsage | None) -> TokenUsage | None:
    """The server's counts, or None when it sent none (or only zeros, as some do)."""
    if usage is None or usage.prompt_tokens + usage.completion_tokens <= 0:
        return None
    return TokenUsage(usage.prompt_tokens, usage.completion_tokens)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
