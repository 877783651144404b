"""Forged bearer tokens against a real server whose signing key the test holds.

`start_keyed_server` starts a server signing with an Ed25519 key written to a file; the
returned `KeyedServer` can mint tokens with that key (`forger`) and `BEARER_ATTACKS` maps
each attack on a bearer token (alg none, HS/EdDSA confusion, wrong key, kid, audience,
issuer, times, claims) to the forging function and the ErrorInfo reason the server must
answer with. `counting_get_me` records the GetMe calls that reach the account service, to
prove a refused token never got past the interceptors.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from server.security.tokens import SigningKey, TokenService, generate_ed25519_pem
from server.storage.backends import Backends
from tests.support.services import EventLoopThread, RunningServer, start_test_server


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unverified_claims(token: str) -> dict[str, Any]:
    return json.loads(b64url_decode(token.split(".")[1]))  # type: ignore[no-any-return]


# --- a server signing with a key the test holds --------------------------------------------

@dataclass
class KeyedServer:
    running: RunningServer
    signing_key: SigningKey
    issuer: str
    audience: str

    def forger(self, *, clock: Callable[[], float] = time.time, issuer: str | None = None,
               audience: str | None = None) -> TokenService:
        """A token service holding the server's private key, with our clock and claims."""
        return TokenService(signing_key=self.signing_key, issuer=issuer or self.issuer,
                            audience=audience or self.audience, clock=clock)


def start_keyed_server(backends: Backends, loop: EventLoopThread, key_dir: Path,
                       **env: str) -> KeyedServer:
    """A test server (settings `env` over TEST_SERVER_ENV) signing with a key written to
    `key_dir`; stop it with `loop.run(keyed.running.app.stop(grace_s=1))`."""
    key_file = key_dir / "signing.pem"
    pem = generate_ed25519_pem()
    key_file.write_bytes(pem)
    private_key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(private_key, Ed25519PrivateKey)
    running = start_test_server(backends, loop, FINANCEHUB_JWT_PRIVATE_KEY_FILE=str(key_file),
                                **env)
    return KeyedServer(running, SigningKey.from_private_key(private_key),
                       running.app.settings.jwt_issuer, running.app.settings.jwt_audience)


@contextmanager
def counting_get_me(server: RunningServer) -> Iterator[list[str]]:
    """The user ids of the GetMe calls that reach the account service while inside."""
    accounts = server.app.accounts
    original = accounts.get_me
    seen: list[str] = []

    async def counting(principal: Any) -> Any:
        seen.append(principal.user_id)
        return await original(principal)

    accounts.get_me = counting  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        accounts.get_me = original  # type: ignore[method-assign]


# --- forged, malformed and out-of-date bearer tokens -------------------------------------

@dataclass
class Kit:
    keyed: KeyedServer
    user_id: str
    genuine: str  # a valid access token of user_id

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = time.time()
        claims = {"iss": self.keyed.issuer, "aud": self.keyed.audience, "sub": self.user_id,
                  "role": "admin", "sid": "9b7a3f0e-0000-4000-8000-000000000000",
                  "jti": secrets.token_hex(16), "iat": now, "nbf": now, "exp": now + 600}
        claims.update(changes)
        return claims


def alg_none(kit: Kit) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": kit.keyed.signing_key.kid}
    return f"{b64url_json(header)}.{b64url_json(kit.claims())}."


def alg_none_keeping_the_signature(kit: Kit) -> str:
    _, payload, signature = kit.genuine.split(".")
    header = {"alg": "none", "typ": "JWT", "kid": kit.keyed.signing_key.kid}
    return f"{b64url_json(header)}.{payload}.{signature}"


def other_key_same_kid(kit: Kit) -> str:
    return jwt.encode(kit.claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA",
                      headers={"kid": kit.keyed.signing_key.kid})


def unknown_kid(kit: Kit) -> str:
    return jwt.encode(kit.claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA",
                      headers={"kid": "attacker-key"})


def _hs256(kit: Kit, secret: bytes) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": kit.keyed.signing_key.kid}
    signing_input = f"{b64url_json(header)}.{b64url_json(kit.claims())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def _public_key(kit: Kit) -> Ed25519PublicKey:
    public_key = kit.keyed.signing_key.public_key
    assert isinstance(public_key, Ed25519PublicKey)
    return public_key


def hs256_with_public_pem(kit: Kit) -> str:
    return _hs256(kit, _public_key(kit).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def hs256_with_raw_public_key(kit: Kit) -> str:
    return _hs256(kit, _public_key(kit).public_bytes(serialization.Encoding.Raw,
                                                     serialization.PublicFormat.Raw))


def _minted(kit: Kit, forger: TokenService) -> str:
    return forger.issue_access_token(user_id=kit.user_id, role="user",
                                     session_id=unverified_claims(kit.genuine)["sid"]).token


def expired_a_second_ago(kit: Kit) -> str:
    start = time.time() - 901  # a 900 s token issued 901 s ago
    return _minted(kit, kit.keyed.forger(clock=lambda: start))


def not_yet_valid(kit: Kit) -> str:
    start = time.time() + 60
    return _minted(kit, kit.keyed.forger(clock=lambda: start))


def wrong_audience(kit: Kit) -> str:
    return _minted(kit, kit.keyed.forger(audience="some-other-api"))


def wrong_issuer(kit: Kit) -> str:
    return _minted(kit, kit.keyed.forger(issuer="https://evil.example"))


def tampered_role(kit: Kit) -> str:
    header, payload, signature = kit.genuine.split(".")
    claims = json.loads(b64url_decode(payload))
    assert claims["role"] == "user"
    claims["role"] = "admin"
    return f"{header}.{b64url_json(claims)}.{signature}"


def signed(kit: Kit, claims: dict[str, Any]) -> str:
    """`claims` signed exactly as the server signs, with its key and kid."""
    private_key = kit.keyed.signing_key.private_key
    assert isinstance(private_key, Ed25519PrivateKey)
    return jwt.encode(claims, private_key, algorithm="EdDSA",
                      headers={"kid": kit.keyed.signing_key.kid})


def unknown_role_properly_signed(kit: Kit) -> str:
    return signed(kit, kit.claims(role="root"))


def missing_session_claim(kit: Kit) -> str:
    claims = kit.claims(role="user")
    del claims["sid"]
    return signed(kit, claims)


BEARER_ATTACKS: dict[str, tuple[Callable[[Kit], str], str]] = {
    "alg-none": (alg_none, "TOKEN_INVALID"),
    "alg-none-keeping-signature": (alg_none_keeping_the_signature, "TOKEN_INVALID"),
    "other-key-with-server-kid": (other_key_same_kid, "TOKEN_INVALID"),
    "unknown-kid": (unknown_kid, "TOKEN_INVALID"),
    "hs256-public-pem-as-secret": (hs256_with_public_pem, "TOKEN_INVALID"),
    "hs256-raw-public-key-as-secret": (hs256_with_raw_public_key, "TOKEN_INVALID"),
    "expired": (expired_a_second_ago, "TOKEN_EXPIRED"),
    "not-yet-valid": (not_yet_valid, "TOKEN_NOT_YET_VALID"),
    "wrong-aud": (wrong_audience, "TOKEN_INVALID"),
    "wrong-iss": (wrong_issuer, "TOKEN_INVALID"),
    "tampered-role": (tampered_role, "TOKEN_INVALID"),
    "unknown-role": (unknown_role_properly_signed, "TOKEN_INVALID"),
    "missing-sid": (missing_session_claim, "TOKEN_INVALID"),
    "garbage": (lambda kit: "garbage", "TOKEN_INVALID"),
    "two-dots-garbage": (lambda kit: "a.b.c", "TOKEN_INVALID"),
}
