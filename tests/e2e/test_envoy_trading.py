"""Paper trading as a browser or script sees it: JSON through the real Envoy."""

import json
from decimal import ROUND_DOWN, Decimal

import grpc
import pytest

from financehub.v1 import quotes_pb2, quotes_pb2_grpc
from server.domain.access import Role
from tests.e2e.conftest import RunningEnvoy
from tests.support.identity import create_account, login
from tests.support.services import RunningServer

pytestmark = pytest.mark.e2e


def test_place_get_and_cancel_an_order_in_json(envoy: RunningEnvoy, server: RunningServer,
                                               channel: grpc.Channel) -> None:
    token = login(channel, create_account(server, Role.USER)).tokens.access_token
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}

    account = envoy.request("/v1/trading/account", headers=headers)
    assert account.status == 200, account.body
    opened = account.json()["account"]
    assert opened["currency"] == "SAR"
    assert Decimal(opened["cash"]["value"]) == Decimal(100000)  # exact decimals, as strings

    reference = quotes_pb2_grpc.QuoteServiceStub(channel).GetQuote(
        quotes_pb2.GetQuoteRequest(symbol="2222")).quote.previous_close
    # 5% under the reference, on a 0.10 step: on every band's tick grid, inside the limits.
    limit = (Decimal(repr(reference)) * Decimal("0.95")).quantize(Decimal("0.1"), ROUND_DOWN)
    body = {"clientOrderId": "json-order-1", "symbol": "2222.SR", "side": "ORDER_SIDE_BUY",
            "type": "ORDER_TYPE_LIMIT", "timeInForce": "TIME_IN_FORCE_GTC", "quantity": "3",
            "limitPrice": {"value": str(limit)}}
    placed = envoy.request("/v1/trading/orders", method="POST",
                           body=json.dumps(body).encode(), headers=headers)
    assert placed.status == 200, placed.body
    order = placed.json()["order"]
    assert (order["symbol"], order["quantity"], order["clientOrderId"]) == (
        "2222", "3", "json-order-1")
    assert Decimal(order["limitPrice"]["value"]) == limit
    assert order["status"] in {"ORDER_STATUS_NEW", "ORDER_STATUS_ACCEPTED"}

    fetched = envoy.request(f"/v1/trading/orders/{order['orderId']}", headers=headers)
    assert fetched.status == 200 and fetched.json()["order"] == order

    cancelled = envoy.request(f"/v1/trading/orders/{order['orderId']}:cancel", method="POST",
                              headers=headers)
    assert cancelled.status == 200, cancelled.body
    assert cancelled.json()["order"]["status"] == "ORDER_STATUS_CANCELED"
    again = envoy.request(f"/v1/trading/orders/{order['orderId']}:cancel", method="POST",
                          headers=headers)
    assert again.status == 400
    assert again.json()["details"][0]["reason"] == "ORDER_NOT_CANCELABLE"

    off_grid = envoy.request("/v1/trading/orders", method="POST", headers=headers,
                             body=json.dumps({**body, "clientOrderId": "json-order-2",
                                              "limitPrice": {"value": "1.005"}}).encode())
    assert off_grid.status == 400
    assert "limitPrice" in off_grid.body.decode() or "limit_price" in off_grid.body.decode()
