"""The simulator's day: it resumes quotes made against the same reference, never others."""

from datetime import date
from decimal import Decimal

from financehub.v1 import quotes_pb2
from server.domain.securities import Market
from server.domain.ticks import price_limits
from server.realtime.simulator import _SimulatedDay
from server.services.conversions import date_message
from server.storage.quotes import EndOfDay

DAY = date(2026, 11, 30)


def _reference(close: float) -> dict[str, EndOfDay]:
    return {"2222": EndOfDay(symbol="2222", market=Market.MAIN, trading_day=date(2026, 11, 29),
                             open=close, high=close, low=close, close=close,
                             previous_close=close, volume=1, turnover=close, origin="SYNTHETIC")}


def _stored(previous_close: float, price: float, sequence: int) -> quotes_pb2.Quote:
    quote = quotes_pb2.Quote(symbol="2222", previous_close=previous_close, price=price,
                             open=price, high=price, low=price, sequence=sequence, volume=500)
    quote.trading_day.CopyFrom(date_message(DAY))
    return quote


def _beats(day: _SimulatedDay, count: int) -> list[quotes_pb2.Quote]:
    return [quote for _ in range(count) for quote in day.beat()]


def test_a_quote_made_against_the_same_reference_is_continued() -> None:
    day = _SimulatedDay(_reference(34.20), DAY, seed=1,
                        stored={"2222": _stored(34.20, 34.50, sequence=40)})
    quotes = _beats(day, 30)
    assert quotes, "the symbol never traded in 30 beats"
    assert quotes[0].sequence == 41
    assert quotes[0].volume > 500  # the day's volume carries on


def test_a_quote_made_against_another_reference_is_not_resumed() -> None:
    limits = price_limits(Decimal("34.20"), Market.MAIN)
    day = _SimulatedDay(_reference(34.20), DAY, seed=1,
                        stored={"2222": _stored(24.40, 31.18, sequence=40)})
    quotes = _beats(day, 30)
    assert quotes and quotes[0].sequence == 1
    for quote in quotes:
        assert quote.previous_close == 34.20
        assert (quote.limit_down, quote.limit_up) == (float(limits.lower), float(limits.upper))
        assert quote.limit_down <= quote.price <= quote.limit_up
