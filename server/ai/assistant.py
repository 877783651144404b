"""A turn of conversation with the assistant: the stored history replayed, the LLM
streamed with the platform's tools (run with the caller's permissions), the turn stored
and its tokens counted, all or nothing."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from server.ai.llm import ChatFinished, LlmClient, TextDelta, TokenUsage, ToolCalled
from server.ai.quota import TokenQuota, user_id_of
from server.ai.tools import Context, PlatformTools
from server.domain.access import Principal
from server.domain.errors import NotFoundError
from server.domain.reports import SYSTEM_PROMPT
from server.storage.conversations import ConversationRepository, MessageRecord, NewMessage

# The history replayed to the model: enough for follow-up questions, bounded in cost.
MAX_HISTORY_MESSAGES = 40
TITLE_LENGTH = 80


@dataclass(frozen=True)
class TurnStarted:
    conversation_id: str
    model: str


@dataclass(frozen=True)
class TurnCompleted:
    finish_reason: str
    usage: TokenUsage
    quota_remaining: int


TurnEvent = TurnStarted | TextDelta | ToolCalled | TurnCompleted


def replayable(history: list[MessageRecord]) -> list[dict[str, Any]]:
    """The last messages of a conversation, starting at a user message (never in the
    middle of a tool exchange, which the model would refuse)."""
    recent = history[-MAX_HISTORY_MESSAGES:]
    first_user = next((i for i, m in enumerate(recent) if m.role == "user"), len(recent))
    return [m.payload for m in recent[first_user:]]


def stored_messages(added: list[dict[str, Any]]) -> list[NewMessage]:
    """The turn's assistant and tool messages as stored: what the caller is shown beside
    the payload replayed to the model."""
    tool_names: dict[str, str] = {}
    stored = []
    for payload in added:
        for call in payload.get("tool_calls") or ():
            tool_names[call["id"]] = call["function"]["name"]
        role = payload["role"]
        stored.append(NewMessage(
            role=role, content=payload.get("content") or "", payload=payload,
            tool_name=tool_names.get(payload.get("tool_call_id", ""), "")
            if role == "tool" else ""))
    return stored


class Assistant:
    def __init__(self, llm: LlmClient, tools: PlatformTools,
                 conversations: ConversationRepository, quota: TokenQuota) -> None:
        self._llm = llm
        self._tools = tools
        self._conversations = conversations
        self._quota = quota

    @property
    def model(self) -> str:
        return self._llm.model

    async def turn(self, principal: Principal, conversation_id: str | None, text: str,
                   context: Context) -> AsyncIterator[TurnEvent]:
        user_id = user_id_of(principal)
        if conversation_id is None:
            created, history = True, []
            conversation_id = str(uuid.uuid4())
        else:
            if await self._conversations.get(user_id=user_id,
                                             conversation_id=conversation_id) is None:
                raise NotFoundError("conversation", conversation_id,
                                    reason="CONVERSATION_NOT_FOUND")
            created, history = False, await self._conversations.messages(conversation_id)
        await self._quota.check(principal)
        yield TurnStarted(conversation_id, self._llm.model)
        question = {"role": "user", "content": text}

        async def run_tool(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
            return await self._tools.execute(name, arguments, principal=principal,
                                             context=context)

        remaining = context.time_remaining()
        async for event in self._llm.stream_chat(
                [{"role": "system", "content": SYSTEM_PROMPT}, *replayable(history), question],
                tools=self._tools.specs, execute_tool=run_tool, timeout_s=remaining):
            if isinstance(event, ChatFinished):
                await self._conversations.append(
                    user_id=user_id, conversation_id=conversation_id,
                    title=text[:TITLE_LENGTH], created=created,
                    messages=[NewMessage(role="user", content=text, payload=question),
                              *stored_messages(event.messages)])
                status = await self._quota.record(principal, event.usage.total)
                yield TurnCompleted(event.finish_reason, event.usage, status.remaining)
            else:
                yield event
