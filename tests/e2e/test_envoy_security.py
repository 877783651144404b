"""Envoy's security posture: headers on every answer, CORS for credentials, the whole
contract transcoded, JSON login and an API-key call through the gateway."""

import json
import uuid

import pytest

from server.contract import SERVICE_DESCRIPTORS
from server.tools.envoy_config import TEMPLATE
from tests.e2e.conftest import RunningEnvoy

pytestmark = pytest.mark.e2e

ALLOWED_ORIGIN = "http://localhost:8080"
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _post(envoy: RunningEnvoy, path: str, payload: dict[str, object],
          headers: dict[str, str] | None = None):  # noqa: ANN202
    return envoy.request(path, method="POST", body=json.dumps(payload).encode(),
                         headers={"content-type": "application/json", **(headers or {})})


@pytest.mark.parametrize("path", ["/v1/tickers/2222", "/v1/tickers/99x", "/v1/users/me"])
def test_security_headers_on_success_and_error(envoy: RunningEnvoy, path: str) -> None:
    answer = envoy.request(path)
    for name, value in SECURITY_HEADERS.items():
        assert answer.header(name) == value, (path, answer.status, dict(answer.headers))


def test_preflight_allows_credentials_headers_and_exposes_rate_limits(
        envoy: RunningEnvoy) -> None:
    answer = envoy.request("/v1/users/me", method="OPTIONS", headers={
        "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization,x-api-key"})
    assert answer.header("access-control-allow-origin") == ALLOWED_ORIGIN
    allowed = {h.strip() for h in (answer.header("access-control-allow-headers") or "").split(",")}
    assert {"authorization", "x-api-key"} <= allowed
    exposed = {h.strip() for h in
               (answer.header("access-control-expose-headers") or "").split(",")}
    assert {"grpc-status-details-bin", "x-ratelimit-limit", "x-ratelimit-remaining",
            "x-ratelimit-reset"} <= exposed


def test_every_service_of_the_contract_is_transcoded() -> None:
    template = TEMPLATE.read_text()
    for service in SERVICE_DESCRIPTORS:
        assert f"- {service.full_name}\n" in template, service.full_name


def test_register_login_and_call_with_token_and_api_key_through_json(
        envoy: RunningEnvoy) -> None:
    email = f"json-{uuid.uuid4().hex[:8]}@example.com"
    password = "an-unusual-json-passphrase"
    registered = _post(envoy, "/v1/auth:register", {"email": email, "password": password})
    assert registered.status == 200, registered.body
    assert registered.json()["user"]["email"] == email
    assert registered.header("x-ratelimit-limit") is not None

    login = _post(envoy, "/v1/auth:login", {"email": email, "password": password})
    assert login.status == 200, login.body
    token = login.json()["tokens"]["accessToken"]
    me = envoy.request("/v1/users/me", headers={"authorization": f"Bearer {token}"})
    assert me.status == 200 and me.json()["user"]["email"] == email

    created = _post(envoy, "/v1/users/me/apiKeys", {"name": "json"},
                    headers={"authorization": f"Bearer {token}"})
    secret = created.json()["secret"]
    assert secret.startswith("fhp_") and len(secret) == 44
    ticker = envoy.request("/v1/tickers/2222", headers={"x-api-key": secret})
    assert ticker.status == 200 and ticker.json()["ticker"]["symbol"] == "2222"

    wrong = _post(envoy, "/v1/auth:login", {"email": email, "password": "not-the-password!"})
    assert wrong.status == 401
    assert wrong.json()["details"][0]["reason"] == "INVALID_CREDENTIALS"
    anonymous = envoy.request("/v1/users/me")
    assert anonymous.status == 401
