"""Whose address a call has: the peer's, or the one a trusted proxy forwarded."""

import pytest

from server.config import ConfigError, Settings
from server.security.authenticator import client_address

TRUSTED = Settings.from_env({"FINANCEHUB_TRUSTED_PROXIES": "127.0.0.1,10.244.0.0/16,fd00::/8"}
                            ).trusted_proxies


@pytest.mark.parametrize(("peer", "forwarded", "address"), [
    ("ipv4:127.0.0.1:5000", "203.0.113.9", "203.0.113.9"),
    # A proxy anywhere in the pod network is trusted (pods come and go).
    ("ipv4:10.244.7.12:40000", "198.51.100.1, 203.0.113.9", "203.0.113.9"),
    ("ipv6:[fd00::12]:443", "203.0.113.9", "203.0.113.9"),
    # Anyone else's x-forwarded-for is ignored.
    ("ipv4:10.245.0.1:40000", "203.0.113.9", "10.245.0.1"),
    ("ipv4:192.0.2.1:1", "203.0.113.9", "192.0.2.1"),
    # A trusted proxy forwarding garbage: its own address.
    ("ipv4:127.0.0.1:5000", "not-an-ip", "127.0.0.1"),
    ("ipv4:127.0.0.1:5000", None, "127.0.0.1"),
])
def test_forwarded_address_only_from_trusted_proxies(peer: str, forwarded: str | None,
                                                     address: str) -> None:
    assert client_address(peer, forwarded, TRUSTED) == address


def test_a_malformed_trusted_proxy_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="FINANCEHUB_TRUSTED_PROXIES"):
        Settings.from_env({"FINANCEHUB_TRUSTED_PROXIES": "10.0.0.0/33"})
