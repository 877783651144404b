"""The AI engine as a browser or script sees it: JSON through the real Envoy."""

import json

import grpc
import pytest

from server.domain.access import Role
from tests.e2e.conftest import RunningEnvoy
from tests.support.identity import create_account, login
from tests.support.services import RunningServer

pytestmark = pytest.mark.e2e


def test_sentiment_report_and_chat_refusal_in_json(envoy: RunningEnvoy, server: RunningServer,
                                                   channel: grpc.Channel) -> None:
    token = login(channel, create_account(server, Role.USER)).tokens.access_token
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}

    scored = envoy.request("/v1/ai/sentiment:analyze", method="POST", headers=headers,
                           body=json.dumps({"texts": ["Shares fell after the downgrade"]}).encode())
    assert scored.status == 200, scored.body
    answer = scored.json()
    assert answer["results"][0]["label"] == "negative"
    assert answer["engine"]["name"] == "lexicon"

    report = envoy.request("/v1/ai/reports/2222", headers=headers)
    assert report.status == 200, report.body
    assert report.json()["engine"]["name"] == "template"
    assert "## Executive summary" in report.json()["markdown"]

    market = envoy.request("/v1/ai/sentiment/market?days=3", headers=headers)
    assert market.status == 200, market.body
    assert market.json()["scope"] == "market" and market.json()["sampleSize"] > 0

    chat = envoy.request("/v1/ai/chat", method="POST", headers=headers,
                         body=json.dumps({"message": "hello"}).encode())
    # A server-streaming call's status arrives after Envoy has begun its 200 answer: the
    # google.rpc.Status is the JSON body (code 9: FAILED_PRECONDITION).
    assert chat.json()["code"] == 9, chat.body
    assert chat.json()["details"][0]["reason"] == "LLM_NOT_CONFIGURED"

    anonymous = envoy.request("/v1/ai/sentiment/market",
                              headers={"content-type": "application/json"})
    assert anonymous.status == 401
