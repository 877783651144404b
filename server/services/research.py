"""ResearchService: corporate actions now; news, ratings, insider transactions and
announcements answer UNIMPLEMENTED (the generated base) until they are built."""

from datetime import date
from typing import Any, TypeAlias

import grpc

from financehub.v1 import research_pb2, research_pb2_grpc
from server.domain.corporate_actions import CorporateAction, CorporateActionType
from server.domain.errors import FieldViolation, InvalidArgumentError, ViolationCollector
from server.domain.symbols import require_symbol
from server.services.caching import cached_answer
from server.services.conversions import date_from_message, date_message
from server.services.pagination import decode_page_token, encode_page_token, page_size_from
from server.storage.cache import ResponseCache
from server.storage.corporate_actions import CorporateActionRepository

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

LIST_CORPORATE_ACTIONS = "/financehub.v1.ResearchService/ListCorporateActions"
CORPORATE_ACTIONS_TAG = "corporate-actions"

_TYPES = {research_pb2.CorporateActionType.Value(f"CORPORATE_ACTION_TYPE_{kind.value}"): kind
          for kind in CorporateActionType}
_TYPE_NUMBERS = {kind: number for number, kind in _TYPES.items()}


def corporate_action_message(action: CorporateAction) -> research_pb2.CorporateAction:
    message = research_pb2.CorporateAction(
        symbol=action.symbol, type=_TYPE_NUMBERS[action.action_type],
        type_ar=action.action_type_ar, announcement_date=date_message(action.announcement_date),
        description=action.description or "")
    for name in ("ex_date", "record_date", "payment_date"):
        day: date | None = getattr(action, name)
        if day is not None:
            getattr(message, name).CopyFrom(date_message(day))
    return message


def _cursor(after: str) -> tuple[date, int]:
    day, _, identifier = after.partition("|")
    try:
        return date.fromisoformat(day), int(identifier)
    except ValueError:
        raise InvalidArgumentError([FieldViolation(
            "page_token", "is not a token this list returned")]) from None


class ResearchServicer(research_pb2_grpc.ResearchServiceServicer):
    def __init__(self, actions: CorporateActionRepository, cache: ResponseCache) -> None:
        self._actions = actions
        self._cache = cache

    async def ListCorporateActions(self, request: research_pb2.ListCorporateActionsRequest,
                                   context: Context
                                   ) -> research_pb2.ListCorporateActionsResponse:
        problems = ViolationCollector()
        size = page_size_from(request.page_size)
        kinds = []
        for index, number in enumerate(request.types):
            if number not in _TYPES:
                problems.add(f"types[{index}]", "must be one of the CORPORATE_ACTION_TYPE_ "
                                                "values other than UNSPECIFIED")
            else:
                kinds.append(_TYPES[number].value)
        start = date_from_message(request.start_date, "start_date", problems)
        end = date_from_message(request.end_date, "end_date", problems)
        if start is not None and end is not None and start > end:
            problems.add("end_date", "must not be before start_date")
        problems.raise_if_any()
        symbol = require_symbol(request.symbol) if request.symbol else None
        kinds = sorted(set(kinds))
        filters = (symbol or "", ",".join(kinds), str(start), str(end))
        cursor = decode_page_token(request.page_token, filters)
        before = _cursor(cursor.after) if cursor else None
        normalized = research_pb2.ListCorporateActionsRequest()
        normalized.CopyFrom(request)
        normalized.page_size, normalized.symbol = size, symbol or ""

        async def load() -> research_pb2.ListCorporateActionsResponse:
            rows = await self._actions.page(symbol=symbol, types=kinds, start=start, end=end,
                                            before=before, limit=size + 1)
            response = research_pb2.ListCorporateActionsResponse(
                corporate_actions=[corporate_action_message(row.action) for row in rows[:size]])
            if len(rows) > size:
                last = rows[size - 1]
                response.next_page_token = encode_page_token(
                    f"{last.action.announcement_date.isoformat()}|{last.id}", filters)
            return response

        return await cached_answer(self._cache, LIST_CORPORATE_ACTIONS, normalized,
                                   research_pb2.ListCorporateActionsResponse, load,
                                   tags=[CORPORATE_ACTIONS_TAG])
