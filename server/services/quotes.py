"""QuoteService: GetQuote, BatchGetQuotes, StreamQuotes."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any, TypeAlias

import grpc

from financehub.v1 import quotes_pb2, quotes_pb2_grpc
from server.domain.calendar import RIYADH
from server.domain.errors import FieldViolation, InvalidArgumentError, NotFoundError
from server.domain.symbols import parse_symbol, require_symbol
from server.domain.ticks import price_limits, tick_size_for
from server.realtime.fanout import Gap, QuoteFanout
from server.services.conversions import date_message, origin_message
from server.storage.quotes import EndOfDay, QuoteBook

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

MAX_SYMBOLS = 100
# A daily bar's quote is stamped at the end of continuous trading.
SESSION_CLOSE = time(15, 0)


def end_of_day_quote(eod: EndOfDay) -> quotes_pb2.Quote:
    reference = eod.previous_close or eod.open
    limits = price_limits(Decimal(str(reference)), eod.market)
    quote = quotes_pb2.Quote(
        symbol=eod.symbol, price=eod.close, previous_close=reference,
        change=eod.close - reference,
        change_percent=(eod.close / reference - 1) * 100 if reference else 0.0,
        open=eod.open, high=eod.high, low=eod.low, volume=eod.volume, turnover=eod.turnover,
        limit_up=float(limits.upper), limit_down=float(limits.lower),
        tick_size=float(tick_size_for(Decimal(str(eod.close)))),
        data_origin=origin_message(eod.origin))
    quote.update_time.FromDatetime(
        datetime.combine(eod.trading_day, SESSION_CLOSE, RIYADH).astimezone(UTC))
    quote.trading_day.CopyFrom(date_message(eod.trading_day))
    return quote


def symbols_from(raw_symbols: list[str], field: str) -> list[str]:
    """Canonical symbols in request order; every bad one is reported."""
    violations = []
    if not raw_symbols:
        violations.append(FieldViolation(field, "at least one symbol is required"))
    if len(raw_symbols) > MAX_SYMBOLS:
        violations.append(FieldViolation(field, f"at most {MAX_SYMBOLS} symbols per call"))
    symbols = []
    for index, raw in enumerate(raw_symbols[:MAX_SYMBOLS + 1]):
        symbol = parse_symbol(raw)
        if symbol is None:
            violations.append(FieldViolation(f"{field}[{index}]",
                                             f"{raw[:32]!r} is not a Tadawul symbol"))
        else:
            symbols.append(symbol)
    if violations:
        raise InvalidArgumentError(violations)
    return symbols


class QuoteServicer(quotes_pb2_grpc.QuoteServiceServicer):
    def __init__(self, quotes: QuoteBook, fanout: QuoteFanout, *,
                 heartbeat_interval_s: float) -> None:
        self._quotes = quotes
        self._fanout = fanout
        self._heartbeat_interval_s = heartbeat_interval_s

    async def _current(self, symbols: list[str]) -> dict[str, quotes_pb2.Quote]:
        """Live quotes where there are any, end-of-day ones for the rest; unknown symbols
        (no security, or no prices) are a NOT_FOUND naming the first."""
        found = await self._quotes.live(symbols)
        missing = [s for s in dict.fromkeys(symbols) if s not in found]
        if missing:
            found.update({s: end_of_day_quote(eod)
                          for s, eod in (await self._quotes.end_of_day(missing)).items()})
        unknown = [s for s in symbols if s not in found]
        if unknown:
            raise NotFoundError("quote", unknown[0], reason="QUOTE_NOT_FOUND")
        return found

    async def GetQuote(self, request: quotes_pb2.GetQuoteRequest,
                       context: Context) -> quotes_pb2.GetQuoteResponse:
        symbol = require_symbol(request.symbol)
        return quotes_pb2.GetQuoteResponse(quote=(await self._current([symbol]))[symbol])

    async def BatchGetQuotes(self, request: quotes_pb2.BatchGetQuotesRequest,
                             context: Context) -> quotes_pb2.BatchGetQuotesResponse:
        symbols = symbols_from(list(request.symbols), "symbols")
        quotes = await self._current(symbols)
        return quotes_pb2.BatchGetQuotesResponse(quotes=[quotes[s] for s in symbols])

    async def StreamQuotes(self, request: quotes_pb2.StreamQuotesRequest,
                           context: Context) -> AsyncIterator[quotes_pb2.StreamQuotesResponse]:
        symbols = list(dict.fromkeys(symbols_from(list(request.symbols), "symbols")))
        # Subscribe before the snapshot, so nothing published in between is lost.
        subscription = self._fanout.subscribe(symbols)
        # The newest (trading day, sequence) sent per symbol: a queued update published
        # before the snapshot was read must not take the stream back in time.
        sent: dict[str, tuple[int, int]] = {}
        try:
            for message in await self._snapshot(symbols, sent):
                yield message
            while True:
                event = await subscription.next_event(self._heartbeat_interval_s)
                if event is None:
                    heartbeat = quotes_pb2.StreamQuotesResponse()
                    heartbeat.heartbeat.server_time.FromDatetime(datetime.now(UTC))
                    yield heartbeat
                elif isinstance(event, Gap):
                    yield quotes_pb2.StreamQuotesResponse(gap=quotes_pb2.QuoteGap(
                        dropped=event.dropped, resnapshot=event.resnapshot))
                    if event.resnapshot:
                        for message in await self._snapshot(symbols, sent):
                            yield message
                elif _newer(event.quote, sent):
                    yield quotes_pb2.StreamQuotesResponse(quote=event.quote)
        finally:
            self._fanout.unsubscribe(subscription)

    async def _snapshot(self, symbols: list[str], sent: dict[str, tuple[int, int]]
                        ) -> list[quotes_pb2.StreamQuotesResponse]:
        current = await self._current(symbols)
        for symbol in symbols:
            sent[symbol] = _position(current[symbol])
        return [quotes_pb2.StreamQuotesResponse(quote=current[s], snapshot=True)
                for s in symbols]


def _position(quote: quotes_pb2.Quote) -> tuple[int, int]:
    day = quote.trading_day
    return (day.year * 10_000 + day.month * 100 + day.day, quote.sequence)


def _newer(quote: quotes_pb2.Quote, sent: dict[str, tuple[int, int]]) -> bool:
    """False for an update of the same trading day as, and no later than, what the stream
    last sent for its symbol; True (and recorded) otherwise. Updates without a sequence
    number (0) cannot be ordered and always pass."""
    day, sequence = position = _position(quote)
    last = sent.get(quote.symbol)
    if sequence and last is not None and last[0] == day and sequence <= last[1]:
        return False
    sent[quote.symbol] = position
    return True
