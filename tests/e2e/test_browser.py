"""The browser demo (clients/web, on the TypeScript SDK) in Debian's headless Chromium,
against the real Envoy and the session's gRPC server: log in, show 2222, receive live
quote updates over gRPC-Web server streaming, place a paper order, see the error for a
bad symbol. The page and the SDK are built by `make setup`; this test builds nothing."""

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote

import grpc
import pytest
from redis import Redis

from financehub.v1 import market_pb2, market_pb2_grpc, quotes_pb2, quotes_pb2_grpc, securities_pb2
from server.config import REPO_ROOT
from server.devstack import serve_directory
from server.domain.access import Role
from server.domain.calendar import RIYADH
from server.realtime.fanout import quote_channel
from tests.e2e.conftest import RunningEnvoy, running_envoy
from tests.support.identity import create_account, error_reason, rpc_error
from tests.support.services import RunningServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

WEB_DIST = REPO_ROOT / "clients" / "web" / "dist"
DRIVER = Path(__file__).parent / "browser" / "drive.mjs"
CHROMIUM = Path("/usr/bin/chromium")
SYMBOL = "2222"
MIN_UPDATES = 5
TICK_INTERVAL_S = 0.2


@pytest.fixture(scope="module")
def web_page() -> Iterator[str]:
    """The built page on a static server of its own; yields its origin."""
    missing = [name for name in ("index.html", "app.js") if not (WEB_DIST / name).is_file()]
    if missing:
        pytest.fail(f"the browser demo is not built ({', '.join(missing)} missing in {WEB_DIST}):"
                    " run `make setup`")
    server = serve_directory(WEB_DIST, 0, host="127.0.0.1")
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def page_envoy(server: RunningServer, web_page: str,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEnvoy]:
    """Envoy in front of the session's server, allowing the page's origin (and only it)."""
    with running_envoy(server.app.port, tmp_path_factory.mktemp("envoy-web"),
                       {"FINANCEHUB_CORS_ORIGINS": web_page}) as running:
        yield running


class QuoteTicker:
    """Publishes quotes of one symbol on the server's quote channel, as the market simulator
    does (the session's server runs without it): the streaming tests' way of making quotes
    move when and only while a test wants them to."""

    def __init__(self, redis_client: Redis, reference: quotes_pb2.Quote) -> None:
        self._redis = redis_client
        self._channel = quote_channel(redis_client)  # type: ignore[arg-type]
        self._reference = reference
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="quote-ticker", daemon=True)
        self.published = 0

    def _quote(self, sequence: int) -> quotes_pb2.Quote:
        base = self._reference
        # Up and down by a tick or two around the reference, on the 0.01 grid below 25 SAR.
        price = round(base.previous_close + 0.01 * ((sequence % 5) - 2), 2)
        quote = quotes_pb2.Quote(
            symbol=base.symbol, price=price, previous_close=base.previous_close,
            change=round(price - base.previous_close, 2),
            change_percent=round((price - base.previous_close) / base.previous_close * 100, 2),
            open=base.previous_close, high=max(price, base.previous_close),
            low=min(price, base.previous_close), volume=1000 * sequence,
            limit_up=base.limit_up, limit_down=base.limit_down, tick_size=0.01,
            data_origin=securities_pb2.DATA_ORIGIN_SYNTHETIC,
            # Far above any sequence the snapshot can carry, so no update is taken as stale.
            sequence=10_000_000 + sequence)
        quote.update_time.FromDatetime(datetime.now(UTC))
        today = datetime.now(RIYADH).date()
        quote.trading_day.year, quote.trading_day.month, quote.trading_day.day = (
            today.year, today.month, today.day)
        return quote

    def _run(self) -> None:
        sequence = 0
        while not self._stop.wait(TICK_INTERVAL_S):
            sequence += 1
            self._redis.publish(self._channel, self._quote(sequence).SerializeToString())
            self.published += 1

    def __enter__(self) -> "QuoteTicker":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def limit_price_inside_the_limits(reference: quotes_pb2.Quote) -> str:
    """5% under the reference, on a 0.10 step: on every band's tick grid, inside the limits."""
    return str((Decimal(repr(reference.previous_close)) * Decimal("0.95")).quantize(
        Decimal("0.1"), ROUND_DOWN))


def drive(config: dict[str, Any], timeout_s: float = 120) -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "node is not on PATH (make setup installs the npm tooling with it)"
    assert CHROMIUM.exists(), f"no Chromium at {CHROMIUM}: `make setup` installs Debian's"
    started = time.monotonic()
    run = subprocess.run([node, str(DRIVER), json.dumps(config)], cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=timeout_s, check=False)
    lines = run.stdout.strip().splitlines()
    assert run.returncode == 0 and lines, (
        f"the driver exited with {run.returncode}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}")
    result: dict[str, Any] = json.loads(lines[-1])
    result["wall_s"] = round(time.monotonic() - started, 1)
    return result


def test_the_page_logs_in_streams_quotes_places_an_order_and_shows_errors(
        page_envoy: RunningEnvoy, web_page: str, server: RunningServer,
        channel: grpc.Channel, redis_client: Redis) -> None:
    account = create_account(server, Role.USER, label="browser")
    reference = quotes_pb2_grpc.QuoteServiceStub(channel).GetQuote(
        quotes_pb2.GetQuoteRequest(symbol=SYMBOL), timeout=10).quote
    limit = limit_price_inside_the_limits(reference)
    config = {
        "pageUrl": f"{web_page}/?api={url_quote(page_envoy.base_url, safe='')}",
        "email": account.email, "password": account.password,
        "symbol": SYMBOL, "badSymbol": "99x", "limitPrice": limit, "quantity": 2,
        "minUpdates": MIN_UPDATES, "chromium": str(CHROMIUM), "timeoutMs": 20_000,
    }
    with QuoteTicker(redis_client, reference) as ticker:
        result = drive(config)
    report = json.dumps(result, indent=2)
    print(report)  # what the browser saw (shown with -rP or -s)
    assert result["ok"], f"the browser run stopped: {report}"
    steps = result["steps"]

    assert steps["load"]["api"] == page_envoy.base_url, report
    assert account.email in steps["login"]["status"], report

    shown = steps["ticker"]
    assert shown["name"] == "Saudi Arabian Oil Company (2222)", report
    assert shown["sector"] == "Energy", report
    assert shown["market"] == "MAIN", report
    assert Decimal(shown["previousClose"]) == Decimal(repr(reference.previous_close)), report

    stream = steps["stream"]
    assert stream["updates"] >= MIN_UPDATES, report
    assert ticker.published >= MIN_UPDATES, report
    assert stream["last"].startswith(f"{SYMBOL} "), report
    assert stream["state"] == "stopped", report

    order = steps["order"]
    assert order["id"], report
    assert order["status"] in {"NEW", "ACCEPTED"}, report
    assert order["detail"].startswith(f"BUY 2 {SYMBOL} at {limit}"), report

    error = steps["badSymbol"]
    assert error["code"] == "INVALID_ARGUMENT", report
    # The reason and message the gRPC API itself gives for the same request.
    refused = rpc_error(market_pb2_grpc.MarketServiceStub(channel).GetTicker,
                        market_pb2.GetTickerRequest(symbol="99x"), timeout=10)
    assert error["reason"] == f"({error_reason(refused)})", report
    assert "99x" in error["message"], report
    assert [f["field"] for f in error["fields"]] == ["symbol"], report
    assert "99x" in error["fields"][0]["text"], report
    assert not result["pageErrors"], report
