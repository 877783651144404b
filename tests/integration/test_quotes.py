"""GetQuote and BatchGetQuotes over a real gRPC channel, against the seeded Postgres and Redis.

The shared `server` runs without the market simulator, so a quote is the end-of-day record
of the latest daily bar unless a test writes a live quote into Redis itself. Expected values
come from the shipped CSV and from the exchange's tick table, computed here by hand.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import grpc
import pytest
from redis import Redis

from financehub.v1 import quotes_pb2, quotes_pb2_grpc, securities_pb2
from server.domain.securities import Market
from server.ingest.reference import DAILY_PRICE_FILES
from server.services.quotes import end_of_day_quote
from server.storage.quotes import LATEST_QUOTES_KEY, EndOfDay, QuoteBook
from tests.support.identity import error_reason, rpc_error, status_details, violated_fields
from tests.support.real_bars import daily_rows
from tests.support.services import RunningServer

pytestmark = pytest.mark.timeout(60)

# --- expected values, by hand --------------------------------------------------------------------

# The tick table in force from 29 June 2025 (DESIGN.md), by lower bound of each band.
TICK_TABLE = ((Decimal("500"), Decimal("0.50")), (Decimal("250"), Decimal("0.20")),
              (Decimal("100"), Decimal("0.10")), (Decimal("50"), Decimal("0.05")),
              (Decimal("25"), Decimal("0.02")), (Decimal("0"), Decimal("0.01")))


def tick_for(price: Decimal) -> Decimal:
    return next(tick for lowest, tick in TICK_TABLE if price >= lowest)


def hand_limits(reference: Decimal) -> tuple[Decimal, Decimal]:
    """±10% (main market); the upper bound rounded down onto its grid, the lower one up."""
    upper, lower = reference * Decimal("1.10"), reference * Decimal("0.90")
    up_tick, down_tick = tick_for(upper), tick_for(lower)
    return ((lower / down_tick).to_integral_value(ROUND_CEILING) * down_tick,
            (upper / up_tick).to_integral_value(ROUND_FLOOR) * up_tick)


def last_two_bars(symbol: str) -> tuple[dict[str, object], dict[str, object]]:
    rows = daily_rows(DAILY_PRICE_FILES[symbol])
    return rows[-2], rows[-1]


def check_end_of_day_quote(quote: quotes_pb2.Quote, symbol: str) -> None:
    previous, last = last_two_bars(symbol)
    close, reference = Decimal(str(last["Close"])), Decimal(str(previous["Close"]))
    limit_down, limit_up = hand_limits(reference)
    day = last["day"]
    assert isinstance(day, date)

    assert quote.symbol == symbol
    assert quote.price == float(close)
    assert quote.previous_close == float(reference)
    assert quote.change == pytest.approx(float(close - reference), abs=1e-9)
    assert quote.change_percent == pytest.approx(float((close / reference - 1) * 100), abs=1e-9)
    assert (quote.open, quote.high, quote.low) == (last["Open"], last["High"], last["Low"])
    assert quote.volume == last["volume"]
    assert quote.turnover == pytest.approx(float(close) * quote.volume, rel=1e-9)
    assert quote.limit_up == float(limit_up)
    assert quote.limit_down == float(limit_down)
    assert quote.tick_size == float(tick_for(close))
    assert (quote.trading_day.year, quote.trading_day.month, quote.trading_day.day) == (
        day.year, day.month, day.day)
    # 15:00 in Riyadh (UTC+3, no DST) is 12:00 UTC.
    assert quote.update_time.ToDatetime(UTC) == datetime(day.year, day.month, day.day, 12,
                                                         tzinfo=UTC)
    assert quote.data_origin == securities_pb2.DATA_ORIGIN_REAL
    assert quote.sequence == 0


def test_hand_computed_limits_are_the_expected_grid_prices() -> None:
    """Pins the by-hand arithmetic itself on the seeded data: 2222 (24.33 → 21.897 / 26.763,
    the upper bound in the 0.02 band) and 1120 (96.35 → 86.715 / 105.985, crossing into
    the 0.10 band)."""
    assert last_two_bars("2222")[0]["Close"] == 24.33
    assert hand_limits(Decimal("24.33")) == (Decimal("21.90"), Decimal("26.76"))
    assert last_two_bars("1120")[0]["Close"] == 96.35
    assert hand_limits(Decimal("96.35")) == (Decimal("86.75"), Decimal("105.90"))


def test_the_reference_is_the_previous_close_not_the_open() -> None:
    """The seeded days open at the previous close, so the RPC tests above cannot tell the two
    apart; this record can (built as QuoteBook.end_of_day returns it)."""
    eod = EndOfDay(symbol="4321", market=Market.MAIN, trading_day=date(2025, 12, 2),
                   open=52.0, high=53.5, low=51.0, close=53.0, previous_close=50.0,
                   volume=1000, turnover=53_000.0, origin="SYNTHETIC")
    quote = end_of_day_quote(eod)
    assert quote.previous_close == 50.0
    assert quote.change == pytest.approx(3.0) and quote.change_percent == pytest.approx(6.0)
    assert (quote.limit_down, quote.limit_up) == (45.0, 55.0)
    assert quote.tick_size == 0.05
    assert quote.data_origin == securities_pb2.DATA_ORIGIN_SYNTHETIC


def test_nomu_limits_are_thirty_percent_on_the_grid() -> None:
    eod = EndOfDay(symbol="9510", market=Market.NOMU, trading_day=date(2025, 12, 2),
                   open=24.0, high=24.0, low=24.0, close=24.0, previous_close=23.37,
                   volume=10, turnover=240.0, origin="REAL")
    quote = end_of_day_quote(eod)
    # 23.37 × 0.7 = 16.359 → up to 16.36; 23.37 × 1.3 = 30.381 → down to 30.38 on the 0.02 grid.
    assert (quote.limit_down, quote.limit_up) == (16.36, 30.38)


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def quotes(channel: grpc.Channel) -> quotes_pb2_grpc.QuoteServiceStub:
    return quotes_pb2_grpc.QuoteServiceStub(channel)


@pytest.fixture
def no_live_quotes(redis_client: Redis) -> Iterator[None]:
    """No live quote in Redis before or after the test (a simulator elsewhere may leave some)."""
    redis_client.delete(LATEST_QUOTES_KEY)
    yield
    redis_client.delete(LATEST_QUOTES_KEY)


def live_quote(symbol: str, price: float, sequence: int) -> quotes_pb2.Quote:
    quote = quotes_pb2.Quote(symbol=symbol, price=price, previous_close=24.40,
                             change=price - 24.40, limit_up=26.84, limit_down=21.96,
                             tick_size=0.01, volume=1234, sequence=sequence,
                             data_origin=securities_pb2.DATA_ORIGIN_SYNTHETIC)
    quote.update_time.FromDatetime(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    quote.trading_day.year, quote.trading_day.month, quote.trading_day.day = 2026, 1, 5
    return quote


# --- GetQuote ------------------------------------------------------------------------------------


@pytest.mark.parametrize("symbol", ["2222", "1120"])
def test_get_quote_is_the_end_of_day_quote_of_the_latest_daily_bar(
        quotes, no_live_quotes, symbol: str) -> None:
    quote = quotes.GetQuote(quotes_pb2.GetQuoteRequest(symbol=symbol), timeout=10).quote
    check_end_of_day_quote(quote, symbol)


@pytest.mark.parametrize("alias", ["2222.SR", "2222.sr", " 2222 "])
def test_get_quote_accepts_aliases_and_answers_the_canonical_symbol(
        quotes, no_live_quotes, alias: str) -> None:
    quote = quotes.GetQuote(quotes_pb2.GetQuoteRequest(symbol=alias), timeout=10).quote
    assert quote == quotes.GetQuote(quotes_pb2.GetQuoteRequest(symbol="2222"), timeout=10).quote
    assert quote.symbol == "2222"


@pytest.mark.parametrize("symbol", ["9998", "1010"], ids=["unknown", "listed-without-prices"])
def test_get_quote_of_a_symbol_without_prices_is_not_found(quotes, symbol: str) -> None:
    error = rpc_error(quotes.GetQuote, quotes_pb2.GetQuoteRequest(symbol=symbol), timeout=10)
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(error) == "QUOTE_NOT_FOUND"
    assert status_details(error)["ResourceInfo"].resource_name == symbol


@pytest.mark.parametrize("symbol", ["", "22A2", "22222", "2222.US", "'; DROP TABLE x"])
def test_get_quote_of_a_malformed_symbol_is_invalid_argument(quotes, symbol: str) -> None:
    error = rpc_error(quotes.GetQuote, quotes_pb2.GetQuoteRequest(symbol=symbol), timeout=10)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == ["symbol"]


def test_a_live_quote_in_redis_wins_over_the_end_of_day_one_and_is_never_cached(
        quotes, redis_client: Redis, no_live_quotes) -> None:
    request = quotes_pb2.GetQuoteRequest(symbol="2222")
    written = live_quote("2222", 24.52, sequence=7)
    redis_client.hset(LATEST_QUOTES_KEY, "2222", written.SerializeToString())
    assert quotes.GetQuote(request, timeout=10).quote == written

    moved = live_quote("2222", 24.56, sequence=8)
    redis_client.hset(LATEST_QUOTES_KEY, "2222", moved.SerializeToString())
    assert quotes.GetQuote(request, timeout=10).quote == moved  # the next price, at once

    redis_client.hdel(LATEST_QUOTES_KEY, "2222")
    check_end_of_day_quote(quotes.GetQuote(request, timeout=10).quote, "2222")


def test_a_live_quote_written_through_the_quote_book_is_served(
        server: RunningServer, quotes, no_live_quotes) -> None:
    written = live_quote("1120", 96.10, sequence=3)
    book = QuoteBook(server.app.redis, server.app.database)
    server.loop.run(book.store([written]))
    assert quotes.GetQuote(quotes_pb2.GetQuoteRequest(symbol="1120.SR"), timeout=10).quote == (
        written)


def test_get_quote_answers_from_postgres_when_redis_is_unreachable(
        server_without_redis: RunningServer) -> None:
    with grpc.insecure_channel(server_without_redis.address) as channel:
        stub = quotes_pb2_grpc.QuoteServiceStub(channel)
        quote = stub.GetQuote(quotes_pb2.GetQuoteRequest(symbol="2222"), timeout=10).quote
        check_end_of_day_quote(quote, "2222")
        batch = stub.BatchGetQuotes(
            quotes_pb2.BatchGetQuotesRequest(symbols=["1120", "2222"]), timeout=10)
        assert [q.symbol for q in batch.quotes] == ["1120", "2222"]
        check_end_of_day_quote(batch.quotes[0], "1120")


# --- BatchGetQuotes ------------------------------------------------------------------------------


def test_batch_keeps_request_order_and_answers_duplicates_each_time(
        quotes, no_live_quotes) -> None:
    asked = ["1120", "2222.SR", "1120", "2222", "2222"]
    answer = quotes.BatchGetQuotes(quotes_pb2.BatchGetQuotesRequest(symbols=asked), timeout=10)
    assert [q.symbol for q in answer.quotes] == ["1120", "2222", "1120", "2222", "2222"]
    for quote in answer.quotes:
        check_end_of_day_quote(quote, quote.symbol)
    assert answer.quotes[0] == answer.quotes[2]
    assert answer.quotes[1] == answer.quotes[3] == answer.quotes[4]


def test_batch_mixes_live_and_end_of_day_quotes(
        quotes, redis_client: Redis, no_live_quotes) -> None:
    written = live_quote("2222", 24.60, sequence=11)
    redis_client.hset(LATEST_QUOTES_KEY, "2222", written.SerializeToString())
    answer = quotes.BatchGetQuotes(
        quotes_pb2.BatchGetQuotesRequest(symbols=["1120", "2222"]), timeout=10)
    check_end_of_day_quote(answer.quotes[0], "1120")
    assert answer.quotes[1] == written


def test_batch_of_exactly_100_symbols_is_answered(quotes, no_live_quotes) -> None:
    answer = quotes.BatchGetQuotes(
        quotes_pb2.BatchGetQuotesRequest(symbols=["2222", "1120"] * 50), timeout=10)
    assert [q.symbol for q in answer.quotes] == ["2222", "1120"] * 50


@pytest.mark.parametrize("symbols", [[], ["2222"] * 101], ids=["none", "101"])
def test_batch_size_outside_1_to_100_is_invalid_argument(quotes, symbols: list[str]) -> None:
    error = rpc_error(quotes.BatchGetQuotes, quotes_pb2.BatchGetQuotesRequest(symbols=symbols),
                      timeout=10)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == ["symbols"]
    assert error_reason(error)  # an ErrorInfo in the financehub.sa domain


def test_batch_names_the_index_of_every_malformed_symbol(quotes) -> None:
    error = rpc_error(quotes.BatchGetQuotes, quotes_pb2.BatchGetQuotesRequest(
        symbols=["2222", "1120", "2222.SR", "22-2"]), timeout=10)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(error) == ["symbols[3]"]

    error = rpc_error(quotes.BatchGetQuotes, quotes_pb2.BatchGetQuotesRequest(
        symbols=["x", "2222", "", "1120"]), timeout=10)
    assert violated_fields(error) == ["symbols[0]", "symbols[2]"]


def test_batch_with_an_unknown_symbol_is_not_found_naming_it(quotes) -> None:
    error = rpc_error(quotes.BatchGetQuotes, quotes_pb2.BatchGetQuotesRequest(
        symbols=["2222", "1010", "9998"]), timeout=10)
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(error) == "QUOTE_NOT_FOUND"
    assert status_details(error)["ResourceInfo"].resource_name == "1010"
