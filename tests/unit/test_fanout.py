"""Subscription and QuoteFanout without Redis or gRPC: bounded queues, gaps, heartbeat timing."""

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from financehub.v1 import quotes_pb2
from server.realtime.fanout import Gap, QuoteFanout, QuoteUpdate, Subscription

pytestmark = pytest.mark.timeout(30)

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coroutine, 10))


def quote(symbol: str, sequence: int) -> quotes_pb2.Quote:
    return quotes_pb2.Quote(symbol=symbol, sequence=sequence, price=24.0 + sequence / 100)


async def drain(subscription: Subscription) -> list[QuoteUpdate | Gap]:
    events: list[QuoteUpdate | Gap] = []
    while (event := await subscription.next_event(0)) is not None:
        events.append(event)
    return events


def test_a_subscription_within_its_size_delivers_everything_in_order() -> None:
    async def scenario() -> list[QuoteUpdate | Gap]:
        subscription = Subscription(frozenset({"2222"}), queue_size=4)
        for sequence in range(1, 5):
            subscription.offer(quote("2222", sequence))
        assert subscription.backlog == 4
        return await drain(subscription)

    events = run(scenario())
    assert events == [QuoteUpdate(quote("2222", s)) for s in range(1, 5)]


def test_an_overflowing_subscription_drops_the_oldest_and_reports_a_gap_first() -> None:
    async def scenario() -> tuple[list[int], list[QuoteUpdate | Gap]]:
        subscription = Subscription(frozenset({"2222"}), queue_size=3)
        backlogs = []
        for sequence in range(1, 11):
            subscription.offer(quote("2222", sequence))
            backlogs.append(subscription.backlog)
        return backlogs, await drain(subscription)

    backlogs, events = run(scenario())
    assert max(backlogs) == 3  # never more than the queue size, whatever was offered
    assert events == [Gap(7), *(QuoteUpdate(quote("2222", s)) for s in (8, 9, 10))]


def test_a_gap_is_reported_once_and_counts_only_drops_since_the_last_one() -> None:
    async def scenario() -> list[QuoteUpdate | Gap]:
        subscription = Subscription(frozenset({"2222"}), queue_size=1)
        for sequence in (1, 2, 3):
            subscription.offer(quote("2222", sequence))
        first = [await subscription.next_event(0), await subscription.next_event(0)]
        for sequence in (4, 5):
            subscription.offer(quote("2222", sequence))
        return [*first, *await drain(subscription)]

    assert run(scenario()) == [Gap(2), QuoteUpdate(quote("2222", 3)),
                               Gap(1), QuoteUpdate(quote("2222", 5))]


def test_an_idle_subscription_times_out_for_a_heartbeat() -> None:
    async def scenario() -> tuple[object, float]:
        subscription = Subscription(frozenset({"2222"}), queue_size=4)
        started = time.monotonic()
        event = await subscription.next_event(0.2)
        return event, time.monotonic() - started

    event, waited = run(scenario())
    assert event is None
    assert 0.15 <= waited < 2


def test_a_waiting_subscription_wakes_as_soon_as_a_quote_is_offered() -> None:
    async def scenario() -> tuple[object, float]:
        subscription = Subscription(frozenset({"2222"}), queue_size=4)
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, subscription.offer, quote("2222", 1))
        started = time.monotonic()
        event = await subscription.next_event(5)
        return event, time.monotonic() - started

    event, waited = run(scenario())
    assert event == QuoteUpdate(quote("2222", 1))
    assert waited < 1  # woken by the offer, not by the 5 s heartbeat timeout


def test_dispatch_reaches_only_the_subscriptions_of_the_symbol_until_they_leave() -> None:
    async def scenario() -> list[list[QuoteUpdate | Gap]]:
        fanout = QuoteFanout(redis=None, queue_size=8)  # type: ignore[arg-type]  # never started
        aramco = fanout.subscribe(["2222"])
        rajhi = fanout.subscribe(["1120"])
        both = fanout.subscribe(["2222", "1120"])
        assert fanout.subscriber_count == 3
        fanout.dispatch(quote("2222", 1))
        fanout.dispatch(quote("1120", 1))
        fanout.dispatch(quote("1010", 1))
        fanout.unsubscribe(aramco)
        fanout.unsubscribe(aramco)  # twice is harmless
        fanout.dispatch(quote("2222", 2))
        assert fanout.subscriber_count == 2
        return [await drain(s) for s in (aramco, rajhi, both)]

    aramco, rajhi, both = run(scenario())
    assert aramco == [QuoteUpdate(quote("2222", 1))]
    assert rajhi == [QuoteUpdate(quote("1120", 1))]
    assert both == [QuoteUpdate(quote("2222", 1)), QuoteUpdate(quote("1120", 1)),
                    QuoteUpdate(quote("2222", 2))]


def test_a_slow_subscription_does_not_affect_another_on_the_same_symbol() -> None:
    async def scenario() -> tuple[list[QuoteUpdate | Gap], list[QuoteUpdate | Gap]]:
        fanout = QuoteFanout(redis=None, queue_size=2)  # type: ignore[arg-type]
        slow = fanout.subscribe(["2222"])
        fast = fanout.subscribe(["2222"])
        fast_events = []
        for sequence in range(1, 101):
            fanout.dispatch(quote("2222", sequence))
            fast_events.append(await fast.next_event(0))
        return await drain(slow), fast_events

    slow, fast = run(scenario())
    assert slow == [Gap(98), QuoteUpdate(quote("2222", 99)), QuoteUpdate(quote("2222", 100))]
    assert fast == [QuoteUpdate(quote("2222", s)) for s in range(1, 101)]
