"""TLS on the gRPC port when a certificate and key are configured."""

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from financehub.v1 import market_pb2, market_pb2_grpc
from server.config import ConfigError, Settings
from server.storage.backends import Backends
from tests.support.services import (
    TEST_SERVER_ENV,
    EventLoopThread,
    RunningServer,
    start_test_server,
)
from tests.support.tls import self_signed

TICKER = market_pb2.GetTickerRequest(symbol="2222")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_server(seeded: Backends, certificate: tuple[Path, Path]) -> Iterator[RunningServer]:
    cert_file, key_file = certificate
    loop = EventLoopThread()
    running = start_test_server(seeded, loop, FINANCEHUB_TLS_CERT_FILE=str(cert_file),
                                FINANCEHUB_TLS_KEY_FILE=str(key_file))
    yield running
    loop.run(running.app.stop(grace_s=1))
    loop.close()


def test_a_client_that_trusts_the_certificate_is_served_over_tls(
        tls_server: RunningServer, certificate: tuple[Path, Path]) -> None:
    credentials = grpc.ssl_channel_credentials(root_certificates=certificate[0].read_bytes())
    with grpc.secure_channel(f"localhost:{tls_server.app.port}", credentials) as channel:
        response = market_pb2_grpc.MarketServiceStub(channel).GetTicker(TICKER, timeout=10)
    assert response.ticker.symbol == "2222"
    assert tls_server.app.settings.tls_cert_file == certificate[0]


def test_a_plaintext_client_is_not_served(tls_server: RunningServer) -> None:
    with grpc.insecure_channel(f"localhost:{tls_server.app.port}") as channel:
        with pytest.raises(grpc.RpcError) as caught:
            market_pb2_grpc.MarketServiceStub(channel).GetTicker(TICKER, timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_client_that_does_not_trust_the_certificate_is_not_served(
        tls_server: RunningServer, tmp_path: Path) -> None:
    stranger, _ = self_signed(tmp_path)  # same name, another key
    credentials = grpc.ssl_channel_credentials(root_certificates=stranger.read_bytes())
    with grpc.secure_channel(f"localhost:{tls_server.app.port}", credentials) as channel:
        with pytest.raises(grpc.RpcError) as caught:
            market_pb2_grpc.MarketServiceStub(channel).GetTicker(TICKER, timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize("only", ["FINANCEHUB_TLS_CERT_FILE", "FINANCEHUB_TLS_KEY_FILE"])
def test_configuring_only_one_of_certificate_and_key_is_a_config_error(
        certificate: tuple[Path, Path], only: str) -> None:
    path = certificate[0] if only.endswith("CERT_FILE") else certificate[1]
    with pytest.raises(ConfigError, match="FINANCEHUB_TLS_CERT_FILE and FINANCEHUB_TLS_KEY_FILE"):
        Settings.from_env({**TEST_SERVER_ENV, only: str(path)})


def test_a_missing_certificate_file_is_a_config_error(
        certificate: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FINANCEHUB_TLS_CERT_FILE"):
        Settings.from_env({**TEST_SERVER_ENV,
                           "FINANCEHUB_TLS_CERT_FILE": str(tmp_path / "missing.crt"),
                           "FINANCEHUB_TLS_KEY_FILE": str(certificate[1])})


def test_both_set_enables_tls_and_neither_leaves_it_off(certificate: tuple[Path, Path]) -> None:
    both = Settings.from_env({**TEST_SERVER_ENV,
                              "FINANCEHUB_TLS_CERT_FILE": str(certificate[0]),
                              "FINANCEHUB_TLS_KEY_FILE": str(certificate[1])})
    assert (both.tls_cert_file, both.tls_key_file) == certificate
    neither = Settings.from_env(TEST_SERVER_ENV)
    assert (neither.tls_cert_file, neither.tls_key_file) == (None, None)
