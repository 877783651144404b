"""ResearchService.ListCorporateActions over the real announcements the seed loads."""

from collections import Counter
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import grpc
import pytest

from financehub.v1 import research_pb2, research_pb2_grpc, securities_pb2
from server.domain.access import Role
from server.ingest.corporate_actions import parse_corporate_actions
from server.ingest.loader import read_text
from server.ingest.reference import SEED_DIR
from tests.support.identity import bearer, create_account, error_info, login
from tests.support.services import RunningServer

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


@pytest.fixture
def premium(server: RunningServer, channel: grpc.Channel) -> tuple[tuple[str, str], ...]:
    return bearer(login(channel, create_account(server, Role.PREMIUM)).tokens.access_token)


def test_ratings_and_consensus_agree_and_are_synthetic(research, premium) -> None:
    ratings = research.ListAnalystRatings(research_pb2.ListAnalystRatingsRequest(
        symbol="2222.SR", page_size=100), metadata=premium)
    assert 3 <= len(ratings.ratings) <= 12
    assert ratings.data_origin == securities_pb2.DATA_ORIGIN_SYNTHETIC
    view = research.GetConsensus(research_pb2.GetConsensusRequest(symbol="2222"),
                                 metadata=premium)
    counts = Counter(r.recommendation for r in ratings.ratings)
    assert (view.buy_count, view.hold_count, view.sell_count) == (
        counts[research_pb2.RECOMMENDATION_BUY], counts[research_pb2.RECOMMENDATION_HOLD],
        counts[research_pb2.RECOMMENDATION_SELL])
    targets = [Decimal(r.target_price.value) for r in ratings.ratings]
    mean = (sum(targets) / len(targets)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    assert Decimal(view.mean_target.value) == mean
    assert Decimal(view.high_target.value) == max(targets)
    assert Decimal(view.upside.value) == (mean / Decimal(view.price.value) - 1).quantize(
        Decimal("0.0001"), ROUND_HALF_EVEN)
    page = research.ListAnalystRatings(research_pb2.ListAnalystRatingsRequest(
        symbol="2222", page_size=2), metadata=premium)
    assert list(page.ratings) == list(ratings.ratings[:2]) and page.next_page_token


def test_insiders_announcements_and_news_name_real_companies(research, premium) -> None:
    trades = research.ListInsiderTransactions(research_pb2.ListInsiderTransactionsRequest(
        symbol="2222", page_size=100), metadata=premium).transactions
    assert all(Decimal(t.value.value) == t.shares * Decimal(t.price.value) for t in trades)
    notices = research.ListAnnouncements(research_pb2.ListAnnouncementsRequest(
        symbol="2222", page_size=100)).announcements
    assert notices and all(n.title.startswith("Saudi Arabian Oil") for n in notices)
    news = research.ListNews(research_pb2.ListNewsRequest(
        start_date={"year": 2025, "month": 12, "day": 1},
        end_date={"year": 2025, "month": 12, "day": 3}, page_size=1000)).news
    assert len(news) == 3 * 20
    # Scored as they were stored (by the lexicon engine: no model is configured here).
    assert all(item.sentiment_label in {"positive", "negative", "neutral"}
               and item.sentiment_engine == "lexicon" for item in news)
    aramco = research.ListNews(research_pb2.ListNewsRequest(
        symbol="2222", start_date={"year": 2025, "month": 11, "day": 1},
        end_date={"year": 2025, "month": 11, "day": 30}, page_size=1000)).news
    assert all(item.symbol == "2222" for item in aramco)
    with pytest.raises(grpc.RpcError) as too_long:
        research.ListNews(research_pb2.ListNewsRequest(
            start_date={"year": 2025, "month": 1, "day": 1},
            end_date={"year": 2025, "month": 3, "day": 1}))
    assert too_long.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as unknown:
        research.GetConsensus(research_pb2.GetConsensusRequest(symbol="9999"),
                              metadata=premium)
    assert unknown.value.code() is grpc.StatusCode.NOT_FOUND
    assert error_info(unknown.value).reason == "TICKER_NOT_FOUND"
