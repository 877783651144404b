"""Credentials: an API key, or an email and password that become a refreshed token session.

API key: sent as `x-api-key` on every call.

Email and password: `AuthService.Login` once (on the first call that needs
credentials, or `client.login()`), then the access token goes out as
`authorization: Bearer ...`. It is renewed with `AuthService.RefreshToken`
`refresh_margin` seconds before it expires (at most half its lifetime before),
and once more, followed by a single repeat of the call, when the server answers
UNAUTHENTICATED (a revoked token after a role change, clock trouble, a restarted
development server with a new signing key). If the refresh itself is refused
(refresh token expired or its session ended), the session logs in again.

The expiry is taken from the token's own lifetime (`exp - iat` of the JWT, else
`access_token_expire_time`) counted from the moment the login or refresh was sent,
on the monotonic clock, so a client whose wall clock is off still refreshes in
time. Renewal is serialised (a lock per session): concurrent calls that find the
token stale wait for one refresh and all use its result.

The sessions run inside the client's interceptors, where grpc expects its own error
objects: they raise grpc's errors as they come, and the client turns them into
`FinanceHubError` where the call returns to the caller.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc

from financehub.v1 import auth_pb2
from financehub_client.errors import FinanceHubError

log = logging.getLogger("financehub_client")

Headers = list[tuple[str, str]]

DEFAULT_REFRESH_MARGIN_S = 60.0
# A refused refresh with one of these codes means: log in again.
_REFRESH_REFUSALS = frozenset({grpc.StatusCode.UNAUTHENTICATED,
                               grpc.StatusCode.INVALID_ARGUMENT,
                               grpc.StatusCode.NOT_FOUND})


def _raise_unless_refresh_refused(error: grpc.RpcError) -> None:
    """A refused refresh (spent, expired or revoked refresh token) means: log in again;
    anything else (the server unreachable...) is the caller's error."""
    decoded = FinanceHubError.from_rpc_error(error)
    if decoded.code not in _REFRESH_REFUSALS:
        raise error
    log.info("token refresh refused (%s); logging in again", decoded.reason)


def _monotonic() -> float:
    return time.monotonic()


def _wall_clock() -> float:
    return time.time()


@dataclass(frozen=True)
class TokenState:
    """The session's current tokens, with their expiry on the local monotonic clock."""

    tokens: auth_pb2.TokenPair
    renew_at: float  # monotonic instant from which the access token is renewed before use
    expires_at: float  # monotonic instant the access token expires

    @property
    def access_token(self) -> str:
        return str(self.tokens.access_token)


def _jwt_lifetime(token: str) -> float | None:
    """`exp - iat` of a JWT (read, not verified: the server verifies it)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        lifetime = float(claims["exp"]) - float(claims["iat"])
    except (IndexError, ValueError, KeyError, TypeError, binascii.Error):
        return None
    return lifetime if lifetime > 0 else None


class ApiKeyAuth:
    """`x-api-key` on every call."""

    def __init__(self, api_key: str) -> None:
        if not api_key:
            raise ValueError("api_key must not be empty")
        self._headers: Headers = [("x-api-key", api_key)]

    def headers(self, public: bool) -> tuple[Headers, str | None]:
        return self._headers, None

    async def aheaders(self, public: bool) -> tuple[Headers, str | None]:
        return self._headers, None


class _PasswordSessionCore:
    """The state and rules shared by the sync and asyncio sessions."""

    def __init__(self, email: str, password: str, refresh_margin: float) -> None:
        if not email or not password:
            raise ValueError("email and password are both required")
        if refresh_margin < 0:
            raise ValueError("refresh_margin must not be negative")
        self.email = email
        self._password = password
        self.refresh_margin = refresh_margin
        self._state: TokenState | None = None

    @property
    def tokens(self) -> auth_pb2.TokenPair | None:
        """The current token pair (None before the first login)."""
        return self._state.tokens if self._state is not None else None

    def forget(self) -> None:
        """Drop the tokens (after a logout): the next call logs in again."""
        self._state = None

    def _login_request(self) -> auth_pb2.LoginRequest:
        return auth_pb2.LoginRequest(email=self.email, password=self._password)

    def _absorb(self, tokens: auth_pb2.TokenPair, sent_at: float) -> TokenState:
        lifetime = _jwt_lifetime(tokens.access_token)
        if lifetime is None and tokens.HasField("access_token_expire_time"):
            lifetime = tokens.access_token_expire_time.ToNanoseconds() / 1e9 - _wall_clock()
        if lifetime is None or lifetime <= 0:
            lifetime = 0.0
        margin = min(self.refresh_margin, lifetime / 2)
        state = TokenState(tokens=tokens, renew_at=sent_at + lifetime - margin,
                           expires_at=sent_at + lifetime)
        self._state = state
        return state

    def _usable(self, stale_token: str | None = None) -> TokenState | None:
        """The current state when it can be sent as is: present, not due for renewal and
        not the token the server just refused."""
        state = self._state
        if state is None or _monotonic() >= state.renew_at:
            return None
        if stale_token is not None and state.access_token == stale_token:
            return None
        return state

    def _bearer(self, state: TokenState) -> tuple[Headers, str]:
        return [("authorization", f"Bearer {state.access_token}")], state.access_token


class PasswordSession(_PasswordSessionCore):
    """A token session for the sync client; thread-safe."""

    def __init__(self, email: str, password: str, *,
                 refresh_margin: float = DEFAULT_REFRESH_MARGIN_S) -> None:
        super().__init__(email, password, refresh_margin)
        self._lock = threading.Lock()
        self._login_rpc: Callable[..., Any] | None = None
        self._refresh_rpc: Callable[..., Any] | None = None

    def bind(self, login: Callable[..., Any], refresh: Callable[..., Any]) -> None:
        """The AuthService.Login and AuthService.RefreshToken callables to use."""
        self._login_rpc, self._refresh_rpc = login, refresh

    def headers(self, public: bool) -> tuple[Headers, str | None]:
        if public:  # Login, RefreshToken...: never log in just to call them
            return [], None
        state = self._usable() or self._renew(None)
        return self._bearer(state)

    def renew(self, stale_token: str) -> None:
        """The server refused `stale_token`: refresh (or log in) unless already done."""
        self._renew(stale_token)

    def login(self) -> auth_pb2.LoginResponse:
        with self._lock:
            return self._login_locked()[0]

    def _renew(self, stale_token: str | None) -> TokenState:
        with self._lock:
            state = self._usable(stale_token)
            if state is not None:
                return state  # another thread renewed it meanwhile
            current = self._state
            if current is not None and current.tokens.refresh_token:
                try:
                    sent_at = _monotonic()
                    response = self._call(self._refresh_rpc, auth_pb2.RefreshTokenRequest(
                        refresh_token=current.tokens.refresh_token))
                    return self._absorb(response.tokens, sent_at)
                except grpc.RpcError as error:
                    _raise_unless_refresh_refused(error)
                    self._state = None
            return self._login_locked()[1]

    def _login_locked(self) -> tuple[auth_pb2.LoginResponse, TokenState]:
        sent_at = _monotonic()
        response: auth_pb2.LoginResponse = self._call(self._login_rpc, self._login_request())
        return response, self._absorb(response.tokens, sent_at)

    @staticmethod
    def _call(rpc: Callable[..., Any] | None, request: Any) -> Any:
        if rpc is None:
            raise RuntimeError("the session is not bound to a client")
        return rpc(request)


class AsyncPasswordSession(_PasswordSessionCore):
    """A token session for the asyncio client; one refresh at a time per session."""

    def __init__(self, email: str, password: str, *,
                 refresh_margin: float = DEFAULT_REFRESH_MARGIN_S) -> None:
        super().__init__(email, password, refresh_margin)
        self._lock: asyncio.Lock | None = None
        self._login_rpc: Callable[..., Awaitable[Any]] | None = None
        self._refresh_rpc: Callable[..., Awaitable[Any]] | None = None

    def bind(self, login: Callable[..., Awaitable[Any]],
             refresh: Callable[..., Awaitable[Any]]) -> None:
        self._login_rpc, self._refresh_rpc = login, refresh

    def _get_lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def aheaders(self, public: bool) -> tuple[Headers, str | None]:
        if public:
            return [], None
        state = self._usable() or await self._renew(None)
        return self._bearer(state)

    async def renew(self, stale_token: str) -> None:
        await self._renew(stale_token)

    async def login(self) -> auth_pb2.LoginResponse:
        async with self._get_lock():
            return (await self._login_locked())[0]

    async def _renew(self, stale_token: str | None) -> TokenState:
        async with self._get_lock():
            state = self._usable(stale_token)
            if state is not None:
                return state
            current = self._state
            if current is not None and current.tokens.refresh_token:
                try:
                    sent_at = _monotonic()
                    response = await self._call(self._refresh_rpc, auth_pb2.RefreshTokenRequest(
                        refresh_token=current.tokens.refresh_token))
                    return self._absorb(response.tokens, sent_at)
                except grpc.RpcError as error:
                    _raise_unless_refresh_refused(error)
                    self._state = None
            return (await self._login_locked())[1]

    async def _login_locked(self) -> tuple[auth_pb2.LoginResponse, TokenState]:
        sent_at = _monotonic()
        response: auth_pb2.LoginResponse = await self._call(self._login_rpc,
                                                            self._login_request())
        return response, self._absorb(response.tokens, sent_at)

    @staticmethod
    async def _call(rpc: Callable[..., Awaitable[Any]] | None, request: Any) -> Any:
        if rpc is None:
            raise RuntimeError("the session is not bound to a client")
        return await rpc(request)
