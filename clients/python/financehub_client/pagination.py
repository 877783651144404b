"""Every item of a paginated List RPC, following `next_page_token`.

    for ticker in paginate(client.market.ListTickers,
                           ListTickersRequest(sector="Energy", page_size=100), "tickers"):
        ...

The service accessors have named iterators built on this (`client.market.iter_tickers`,
`client.research.iter_corporate_actions`, ...). Pages are fetched lazily, one call
at a time, each with the client's timeout, retries and credentials.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

from google.protobuf.message import Message

RequestT = TypeVar("RequestT", bound=Message)
ResponseT = TypeVar("ResponseT", bound=Message)

PAGE_TOKEN = "page_token"
NEXT_PAGE_TOKEN = "next_page_token"


def _next_request(request: RequestT, token: str, seen: set[str]) -> RequestT:
    if token in seen:
        raise RuntimeError(f"the server returned page token {token!r} twice")
    seen.add(token)
    following: RequestT = type(request)()
    following.CopyFrom(request)
    setattr(following, PAGE_TOKEN, token)
    return following


def pages(method: Callable[[RequestT], ResponseT], request: RequestT) -> Iterator[ResponseT]:
    """Every page (response) of a List RPC, from `request`'s page on."""
    seen: set[str] = set()
    while True:
        response = method(request)
        yield response
        token = getattr(response, NEXT_PAGE_TOKEN)
        if not token:
            return
        request = _next_request(request, token, seen)


def paginate(method: Callable[[RequestT], ResponseT], request: RequestT,
             items_field: str) -> Iterator[Any]:
    """Every item (the repeated field `items_field`) of every page."""
    for page in pages(method, request):
        yield from getattr(page, items_field)


async def apages(method: Callable[[RequestT], Awaitable[ResponseT]],
                 request: RequestT) -> AsyncIterator[ResponseT]:
    """`pages` for the asyncio client."""
    seen: set[str] = set()
    while True:
        response = await method(request)
        yield response
        token = getattr(response, NEXT_PAGE_TOKEN)
        if not token:
            return
        request = _next_request(request, token, seen)


async def apaginate(method: Callable[[RequestT], Awaitable[ResponseT]], request: RequestT,
                    items_field: str) -> AsyncIterator[Any]:
    """`paginate` for the asyncio client."""
    async for page in apages(method, request):
        for item in getattr(page, items_field):
            yield item
