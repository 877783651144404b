"""`FinanceHubClient` (sync, `grpc.Channel`) and `AsyncFinanceHubClient` (`grpc.aio`):
one channel, credentials, retries and default timeouts, and an accessor per service
(`client.market`, `client.trading`, ...) typed from the contract."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType
from typing import Any, TypeVar

import grpc
import grpc.aio

from financehub.v1 import auth_pb2
from financehub_client._base import MetadataLike, ServiceBase, ServiceSettings
from financehub_client._services import AsyncServices, SyncServices
from financehub_client._version import __version__
from financehub_client.auth import (
    DEFAULT_REFRESH_MARGIN_S,
    ApiKeyAuth,
    AsyncPasswordSession,
    PasswordSession,
)
from financehub_client.errors import FinanceHubError
from financehub_client.interceptors import (
    AsyncAuthInterceptor,
    AsyncRetryInterceptor,
    SyncAuthInterceptor,
    SyncRetryInterceptor,
)
from financehub_client.retry import RetryPolicy

S = TypeVar("S", bound=ServiceBase)

DEFAULT_TARGET = "localhost:50051"
DEFAULT_TIMEOUT_S = 30.0
USER_AGENT = f"financehub-client-python/{__version__}"
# gRPC's own reconnect backoff grows to 120 s: a client whose server or proxy restarted
# could fail fast for minutes after it is back. Ours reconnects within about 2 s.
DEFAULT_CHANNEL_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.primary_user_agent", USER_AGENT),
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 2000),
)


def _check_credentials(api_key: str | None, email: str | None, password: str | None) -> None:
    if api_key is not None and (email is not None or password is not None):
        raise ValueError("pass either api_key or email and password, not both")
    if (email is None) != (password is None):
        raise ValueError("email and password go together")


def _channel_credentials(secure: bool, credentials: grpc.ChannelCredentials | None,
                         ) -> grpc.ChannelCredentials | None:
    if credentials is not None:
        return credentials
    return grpc.ssl_channel_credentials() if secure else None


def _channel_options(options: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """`options`, plus each default the caller did not set."""
    given = list(options)
    named = {name for name, _ in given}
    return given + [(name, value) for name, value in DEFAULT_CHANNEL_OPTIONS
                    if name not in named]


class FinanceHubClient(SyncServices):
    """The synchronous client.

        with FinanceHubClient("localhost:50051", api_key="fhp_...") as client:
            ticker = client.market.GetTicker(symbol="2222").ticker

    Args:
        target: `host:port` of the gRPC server.
        api_key: an API key (`fhp_...`), sent as `x-api-key`.
        email, password: log in (`AuthService.Login`) on the first call that needs
            credentials and keep the session fresh (see `financehub_client.auth`).
        secure: TLS with the system's root certificates.
        credentials: explicit channel credentials (implies TLS).
        retry: how unary calls are retried (`RetryPolicy.disabled()` for none).
        timeout: default deadline of unary calls, in seconds, retries included
            (None: no deadline). Each call may pass its own.
        stream_timeout: default deadline of streaming calls (None: none).
        refresh_margin: renew the access token this many seconds before it expires.
        metadata: sent with every call (e.g. `[("x-request-id", ...)]`).
        interceptors: your own grpc client interceptors, innermost (they see every
            attempt, with its credentials).
        options: grpc channel options.

    Without credentials the client is a guest: market data only, at the guest rate.
    """

    def __init__(self, target: str = DEFAULT_TARGET, *, api_key: str | None = None,
                 email: str | None = None, password: str | None = None,
                 secure: bool = False, credentials: grpc.ChannelCredentials | None = None,
                 retry: RetryPolicy | None = None, timeout: float | None = DEFAULT_TIMEOUT_S,
                 stream_timeout: float | None = None,
                 refresh_margin: float = DEFAULT_REFRESH_MARGIN_S,
                 metadata: MetadataLike = (), interceptors: Sequence[Any] = (),
                 options: Sequence[tuple[str, Any]] = ()) -> None:
        _check_credentials(api_key, email, password)
        self.target = target
        self.retry = retry if retry is not None else RetryPolicy()
        self._session: PasswordSession | None = None
        auth: ApiKeyAuth | PasswordSession | None = None
        if api_key is not None:
            auth = ApiKeyAuth(api_key)
        elif email is not None and password is not None:
            auth = self._session = PasswordSession(email, password,
                                                   refresh_margin=refresh_margin)
        channel_credentials = _channel_credentials(secure, credentials)
        if channel_credentials is not None:
            self._raw_channel = grpc.secure_channel(target, channel_credentials,
                                                    _channel_options(options))
        else:
            self._raw_channel = grpc.insecure_channel(target, _channel_options(options))
        chain: list[Any] = []
        if self.retry.max_attempts > 1:
            chain.append(SyncRetryInterceptor(self.retry))
        if auth is not None:
            chain.append(SyncAuthInterceptor(auth))
        chain.extend(interceptors)
        self.channel: grpc.Channel = (grpc.intercept_channel(self._raw_channel, *chain)
                                      if chain else self._raw_channel)
        self._settings = ServiceSettings(timeout=timeout, stream_timeout=stream_timeout,
                                         metadata=metadata)
        self._services: dict[type[Any], Any] = {}
        if self._session is not None:
            stub = self.auth.stub
            options_ = {"timeout": timeout, "metadata": self._settings.metadata or None}
            self._session.bind(lambda request: stub.Login(request, **options_),
                               lambda request: stub.RefreshToken(request, **options_))

    def _service(self, kind: type[S]) -> S:
        service = self._services.get(kind)
        if service is None:
            service = self._services.setdefault(kind, kind(self.channel, self._settings))
        return service  # type: ignore[no-any-return]

    @property
    def tokens(self) -> auth_pb2.TokenPair | None:
        """The session's current tokens (email/password clients, after the first login)."""
        return self._session.tokens if self._session is not None else None

    def login(self) -> auth_pb2.LoginResponse:
        """Log in now (otherwise the first call that needs credentials does); returns
        the answer, with the user."""
        if self._session is None:
            raise FinanceHubError(grpc.StatusCode.FAILED_PRECONDITION,
                                  "this client was not given an email and password")
        try:
            return self._session.login()
        except grpc.RpcError as error:
            raise FinanceHubError.from_rpc_error(error) from None

    def logout(self) -> None:
        """End the session on the server (its tokens stop working at once); a later call
        that needs credentials logs in again."""
        self.auth.Logout()
        if self._session is not None:
            self._session.forget()

    def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Block until the channel is connected (grpc.FutureTimeoutError after `timeout`)."""
        grpc.channel_ready_future(self._raw_channel).result(timeout=timeout)

    def close(self) -> None:
        self._raw_channel.close()

    def __enter__(self) -> FinanceHubClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FinanceHubClient({self.target!r})"


class AsyncFinanceHubClient(AsyncServices):
    """The asyncio client: the same arguments and accessors as `FinanceHubClient`, with
    `await` on unary calls and `async for` on streams and `iter_*` pagination.

        async with AsyncFinanceHubClient("localhost:50051", api_key="fhp_...") as client:
            ticker = (await client.market.GetTicker(symbol="2222")).ticker

    `interceptors` are `grpc.aio` client interceptors. Create it inside a running event
    loop (grpc.aio channels belong to one loop).
    """

    def __init__(self, target: str = DEFAULT_TARGET, *, api_key: str | None = None,
                 email: str | None = None, password: str | None = None,
                 secure: bool = False, credentials: grpc.ChannelCredentials | None = None,
                 retry: RetryPolicy | None = None, timeout: float | None = DEFAULT_TIMEOUT_S,
                 stream_timeout: float | None = None,
                 refresh_margin: float = DEFAULT_REFRESH_MARGIN_S,
                 metadata: MetadataLike = (), interceptors: Sequence[Any] = (),
                 options: Sequence[tuple[str, Any]] = ()) -> None:
        _check_credentials(api_key, email, password)
        self.target = target
        self.retry = retry if retry is not None else RetryPolicy()
        self._session: AsyncPasswordSession | None = None
        auth: ApiKeyAuth | AsyncPasswordSession | None = None
        if api_key is not None:
            auth = ApiKeyAuth(api_key)
        elif email is not None and password is not None:
            auth = self._session = AsyncPasswordSession(email, password,
                                                        refresh_margin=refresh_margin)
        chain: list[Any] = []
        if self.retry.max_attempts > 1:
            chain.append(AsyncRetryInterceptor(self.retry))
        if auth is not None:
            chain.append(AsyncAuthInterceptor(auth))
        chain.extend(interceptors)
        channel_credentials = _channel_credentials(secure, credentials)
        if channel_credentials is not None:
            self.channel = grpc.aio.secure_channel(target, channel_credentials,
                                                   _channel_options(options),
                                                   interceptors=chain or None)
        else:
            self.channel = grpc.aio.insecure_channel(target, _channel_options(options),
                                                     interceptors=chain or None)
        self._settings = ServiceSettings(timeout=timeout, stream_timeout=stream_timeout,
                                         metadata=metadata)
        self._services: dict[type[Any], Any] = {}
        if self._session is not None:
            stub = self.auth.stub
            options_ = {"timeout": timeout, "metadata": self._settings.metadata or None}

            async def login(request: Any) -> Any:
                return await stub.Login(request, **options_)

            async def refresh(request: Any) -> Any:
                return await stub.RefreshToken(request, **options_)

            self._session.bind(login, refresh)

    def _service(self, kind: type[S]) -> S:
        service = self._services.get(kind)
        if service is None:
            service = self._services.setdefault(kind, kind(self.channel, self._settings))
        return service  # type: ignore[no-any-return]

    @property
    def tokens(self) -> auth_pb2.TokenPair | None:
        return self._session.tokens if self._session is not None else None

    async def login(self) -> auth_pb2.LoginResponse:
        if self._session is None:
            raise FinanceHubError(grpc.StatusCode.FAILED_PRECONDITION,
                                  "this client was not given an email and password")
        try:
            return await self._session.login()
        except grpc.RpcError as error:
            raise FinanceHubError.from_rpc_error(error) from None

    async def logout(self) -> None:
        await self.auth.Logout()
        if self._session is not None:
            self._session.forget()

    async def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Wait until the channel is connected (TimeoutError after `timeout`)."""
        await asyncio.wait_for(self.channel.channel_ready(), timeout)

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> AsyncFinanceHubClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncFinanceHubClient({self.target!r})"
