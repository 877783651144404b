"""ResearchService.ListCorporateActions over the real announcements the seed loads."""

from collections import Counter
from datetime import date

import grpc
import pytest

from financehub.v1 import research_pb2, research_pb2_grpc
from server.ingest.corporate_actions import parse_corporate_actions
from server.ingest.loader import read_text
from server.ingest.reference import SEED_DIR
from tests.support.identity import error_info

CASH = research_pb2.CORPORATE_ACTION_TYPE_CASH_DIVIDEND
SPLIT = research_pb2.CORPORATE_ACTION_TYPE_SPLIT


@pytest.fixture
def research(channel: grpc.Channel) -> research_pb2_grpc.ResearchServiceStub:
    return research_pb2_grpc.ResearchServiceStub(channel)


def every_action(research, **fields) -> list[research_pb2.CorporateAction]:  # type: ignore[no-untyped-def]
    found, token = [], ""
    while True:
        page = research.ListCorporateActions(research_pb2.ListCorporateActionsRequest(
            page_size=1000, page_token=token, **fields))
        found += page.corporate_actions
        token = page.next_page_token
        if not token:
            return found


def day(message) -> date:  # type: ignore[no-untyped-def]
    return date(message.year, message.month, message.day)


def test_every_loaded_action_is_listed_once_newest_first_with_counts_per_type(research) -> None:
    shipped = parse_corporate_actions(read_text(SEED_DIR / "corporate_actions.tsv"))
    listed = every_action(research)
    assert len(listed) == len(shipped.actions)
    dates = [day(a.announcement_date) for a in listed]
    assert dates == sorted(dates, reverse=True)
    by_type = Counter(research_pb2.CorporateActionType.Name(a.type).removeprefix(
        "CORPORATE_ACTION_TYPE_") for a in listed)
    assert by_type == Counter(a.action_type.value for a in shipped.actions)
    assert by_type["CASH_DIVIDEND"] > by_type["OTHER"] > 0
    # The Arabic type is kept verbatim next to its class.
    assert {a.type_ar for a in listed if a.type == CASH} == {"توزيع أرباح نقدية"}


def test_filters_by_symbol_type_and_dates_and_pages_without_repeats(research) -> None:
    aramco = every_action(research, symbol="2222.SR", types=[CASH])
    assert aramco and all(a.symbol == "2222" and a.type == CASH for a in aramco)
    in_2024 = every_action(research, start_date={"year": 2024, "month": 1, "day": 1},
                           end_date={"year": 2024, "month": 12, "day": 31})
    assert in_2024 and all(day(a.announcement_date).year == 2024 for a in in_2024)
    splits = every_action(research, types=[SPLIT])
    small_pages, token = [], ""
    while True:
        page = research.ListCorporateActions(research_pb2.ListCorporateActionsRequest(
            page_size=7, page_token=token, types=[SPLIT]))
        small_pages += page.corporate_actions
        token = page.next_page_token
        if not token:
            break
    assert small_pages == splits and len(splits) > 7


@pytest.mark.parametrize(("request_", "field"), [
    (research_pb2.ListCorporateActionsRequest(types=[0]), "types[0]"),
    (research_pb2.ListCorporateActionsRequest(types=[42]), "types[0]"),
    (research_pb2.ListCorporateActionsRequest(start_date={"year": 2025, "month": 1, "day": 2},
                                              end_date={"year": 2025, "month": 1, "day": 1}),
     "end_date"),
    (research_pb2.ListCorporateActionsRequest(page_token="not-ours"), "page_token"),
])
def test_bad_requests_name_the_field(research, request_, field: str) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        research.ListCorporateActions(request_)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in caught.value.details()


def test_methods_not_built_yet_say_so(research) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        research.ListAnnouncements(research_pb2.ListAnnouncementsRequest())
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert error_info(caught.value).reason == "NOT_IMPLEMENTED"
