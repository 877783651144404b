"""server.security.tokens: issuing, verifying, rotating and loading JWT signing keys."""

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.config import ConfigError
from server.security.tokens import (
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    TOKEN_NOT_YET_VALID,
    AccessClaims,
    SigningKey,
    TokenError,
    TokenService,
    generate_ed25519_pem,
    load_signing_keys,
)

ISSUER = "https://auth.financehub.sa"
AUDIENCE = "financehub-api"
T0 = 1_760_000_000.1234  # issued at 1_760_000_000.123 after rounding to milliseconds
HS256_SECRET = b"k" * 16 + b"0123456789abcdef"  # exactly 32 bytes


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pem_private(key: Ed25519PrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def pem_public(key: Ed25519PrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ed_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def other_ed_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


def make_service(signing_key: SigningKey, clock: FakeClock, *,
                 verification_keys: tuple[SigningKey, ...] = (), issuer: str = ISSUER,
                 audience: str = AUDIENCE, leeway_s: int = 0) -> TokenService:
    return TokenService(signing_key=signing_key, verification_keys=verification_keys,
                        issuer=issuer, audience=audience, access_ttl_s=900, leeway_s=leeway_s,
                        clock=clock)


@pytest.fixture
def service(ed_key: Ed25519PrivateKey, clock: FakeClock) -> TokenService:
    return make_service(SigningKey.from_private_key(ed_key), clock)


def issue(service: TokenService) -> str:
    return service.issue_access_token(user_id="u-42", role="premium", session_id="fam-7").token


def valid_payload(**overrides: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": "u-42", "role": "admin", "sid": "fam-7",
        "jti": "0" * 32, "iat": 1_760_000_000.123, "nbf": 1_760_000_000.123,
        "exp": 1_760_000_900.123,
    }
    payload.update(overrides)
    return {name: value for name, value in payload.items() if value is not None}


def forge_hs256(payload: dict[str, object], secret: bytes, kid: str) -> str:
    """An HS256 token built by hand: PyJWT itself refuses a PEM as an HMAC secret."""
    header = b64url(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}).encode())
    body = b64url(json.dumps(payload).encode())
    signature = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(signature)}"


def sign_eddsa_by_hand(header: Mapping[str, object], payload: Mapping[str, object],
                      key: Ed25519PrivateKey) -> str:
    """For headers PyJWT will not encode (a non-string kid)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode()))}"


def assert_refused(service: TokenService, token: str, reason: str) -> TokenError:
    with pytest.raises(TokenError) as caught:
        service.verify_access_token(token)
    assert caught.value.reason == reason
    if token.strip():
        assert token not in str(caught.value)
    return caught.value


# --- round trip ---------------------------------------------------------------------------


def test_round_trip_returns_the_claims_that_were_issued(service: TokenService,
                                                        ed_key: Ed25519PrivateKey) -> None:
    issued = service.issue_access_token(user_id="u-42", role="premium", session_id="fam-7")

    assert issued.issued_at == 1_760_000_000.123
    assert issued.expires_at == 1_760_000_900.123
    assert len(issued.token_id) == 32 and int(issued.token_id, 16) >= 0
    assert service.verify_access_token(issued.token) == AccessClaims(
        user_id="u-42", role="premium", session_id="fam-7", token_id=issued.token_id,
        issued_at=1_760_000_000.123, expires_at=1_760_000_900.123,
    )


def test_token_carries_the_registered_claims_and_kid(service: TokenService,
                                                     ed_key: Ed25519PrivateKey) -> None:
    issued = service.issue_access_token(user_id="u-42", role="user", session_id="fam-7")
    header = jwt.get_unverified_header(issued.token)
    payload = json.loads(b64url_decode(issued.token.split(".")[1]))

    assert header == {"alg": "EdDSA", "kid": SigningKey.from_private_key(ed_key).kid,
                      "typ": "JWT"}
    assert payload == {
        "iss": ISSUER, "aud": AUDIENCE, "sub": "u-42", "role": "user", "sid": "fam-7",
        "jti": issued.token_id, "iat": 1_760_000_000.123, "nbf": 1_760_000_000.123,
        "exp": 1_760_000_900.123,
    }


def test_every_token_gets_a_fresh_id(service: TokenService) -> None:
    first = service.issue_access_token(user_id="u-1", role="user", session_id="s")
    second = service.issue_access_token(user_id="u-1", role="user", session_id="s")
    assert first.token_id != second.token_id
    assert first.token != second.token


def test_issuing_an_unknown_role_is_a_programming_error(service: TokenService) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        service.issue_access_token(user_id="u-1", role="root", session_id="s")


# --- time ---------------------------------------------------------------------------------


def test_expiry_follows_the_injected_clock(service: TokenService, clock: FakeClock) -> None:
    token = issue(service)
    clock.now = 1_760_000_900.122
    assert service.verify_access_token(token).user_id == "u-42"
    clock.now = 1_760_000_900.123  # exp itself is already too late
    assert_refused(service, token, TOKEN_EXPIRED)
    clock.now = T0 + 10 * 86400
    assert_refused(service, token, TOKEN_EXPIRED)


def test_token_from_the_future_is_not_yet_valid(service: TokenService,
                                                clock: FakeClock) -> None:
    token = issue(service)
    clock.now = 1_760_000_000.122
    assert_refused(service, token, TOKEN_NOT_YET_VALID)
    clock.now = 1_760_000_000.123
    assert service.verify_access_token(token).issued_at == 1_760_000_000.123


def test_leeway_widens_both_ends(ed_key: Ed25519PrivateKey, clock: FakeClock) -> None:
    service = make_service(SigningKey.from_private_key(ed_key), clock, leeway_s=5)
    token = issue(service)
    clock.now = 1_760_000_000.123 - 4.9
    service.verify_access_token(token)
    clock.now = 1_760_000_000.123 - 5.1
    assert_refused(service, token, TOKEN_NOT_YET_VALID)
    clock.now = 1_760_000_900.123 + 4.9
    service.verify_access_token(token)
    clock.now = 1_760_000_900.123 + 5.0
    assert_refused(service, token, TOKEN_EXPIRED)


def test_iat_in_the_future_is_not_yet_valid_even_with_a_past_nbf(
        ed_key: Ed25519PrivateKey, service: TokenService) -> None:
    kid = SigningKey.from_private_key(ed_key).kid
    token = jwt.encode(valid_payload(iat=T0 + 60, nbf=T0 - 60), ed_key, algorithm="EdDSA",
                       headers={"kid": kid})
    assert_refused(service, token, TOKEN_NOT_YET_VALID)


# --- attacks ------------------------------------------------------------------------------


def test_unsigned_alg_none_is_refused(ed_key: Ed25519PrivateKey, service: TokenService) -> None:
    kid = SigningKey.from_private_key(ed_key).kid
    with_kid = jwt.encode(valid_payload(), key="", algorithm="none", headers={"kid": kid})
    without_kid = jwt.encode(valid_payload(), key="", algorithm="none")
    assert with_kid.endswith(".")  # really unsigned
    assert_refused(service, with_kid, TOKEN_INVALID)
    assert_refused(service, without_kid, TOKEN_INVALID)


def test_other_key_claiming_our_kid_is_refused(ed_key: Ed25519PrivateKey,
                                               other_ed_key: Ed25519PrivateKey,
                                               service: TokenService) -> None:
    forged = jwt.encode(valid_payload(), other_ed_key, algorithm="EdDSA",
                        headers={"kid": SigningKey.from_private_key(ed_key).kid})
    error = assert_refused(service, forged, TOKEN_INVALID)
    assert "Signature verification failed" in str(error)


def test_other_key_with_its_own_kid_is_refused(other_ed_key: Ed25519PrivateKey,
                                               service: TokenService) -> None:
    forged = jwt.encode(valid_payload(), other_ed_key, algorithm="EdDSA",
                        headers={"kid": SigningKey.from_private_key(other_ed_key).kid})
    assert_refused(service, forged, TOKEN_INVALID)


def test_rsa_key_with_forged_kid_is_refused(ed_key: Ed25519PrivateKey,
                                            rsa_key: rsa.RSAPrivateKey,
                                            service: TokenService) -> None:
    forged = jwt.encode(valid_payload(), rsa_key, algorithm="RS256",
                        headers={"kid": SigningKey.from_private_key(ed_key).kid})
    assert_refused(service, forged, TOKEN_INVALID)


@pytest.mark.parametrize("public_form", ["pem", "raw", "der"])
def test_hs256_signed_with_the_public_key_is_refused(public_form: str,
                                                     ed_key: Ed25519PrivateKey,
                                                     service: TokenService) -> None:
    public = ed_key.public_key()
    secret = {
        "pem": pem_public(ed_key),
        "raw": public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        "der": public.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo),
    }[public_form]
    forged = forge_hs256(valid_payload(), secret, SigningKey.from_private_key(ed_key).kid)
    assert_refused(service, forged, TOKEN_INVALID)


def test_rs256_service_refuses_hs256_signed_with_its_public_pem(rsa_key: rsa.RSAPrivateKey,
                                                               clock: FakeClock) -> None:
    service = make_service(SigningKey.from_private_key(rsa_key), clock)
    forged = forge_hs256(valid_payload(), pem_public(rsa_key),
                         SigningKey.from_private_key(rsa_key).kid)
    assert_refused(service, forged, TOKEN_INVALID)
    assert service.verify_access_token(issue(service)).role == "premium"


def test_hs256_service_refuses_other_algorithms_and_other_secrets(
        ed_key: Ed25519PrivateKey, clock: FakeClock) -> None:
    key = SigningKey.from_secret(HS256_SECRET)
    service = make_service(key, clock)
    assert service.verify_access_token(issue(service)).user_id == "u-42"
    assert_refused(service, forge_hs256(valid_payload(), b"x" * 32, key.kid), TOKEN_INVALID)
    eddsa = jwt.encode(valid_payload(), ed_key, algorithm="EdDSA", headers={"kid": key.kid})
    assert_refused(service, eddsa, TOKEN_INVALID)


def test_wrong_audience_and_wrong_issuer_are_refused(ed_key: Ed25519PrivateKey,
                                                     clock: FakeClock,
                                                     service: TokenService) -> None:
    key = SigningKey.from_private_key(ed_key)
    other_audience = make_service(key, clock, audience="partner-portal")
    other_issuer = make_service(key, clock, issuer="https://evil.example")
    assert_refused(other_audience, issue(service), TOKEN_INVALID)
    assert_refused(other_issuer, issue(service), TOKEN_INVALID)
    assert_refused(service, issue(other_audience), TOKEN_INVALID)


def test_audience_list_is_refused(ed_key: Ed25519PrivateKey, service: TokenService) -> None:
    token = jwt.encode(valid_payload(aud=[AUDIENCE, "other"]), ed_key, algorithm="EdDSA",
                       headers={"kid": SigningKey.from_private_key(ed_key).kid})
    assert_refused(service, token, TOKEN_INVALID)


def test_tampered_payload_is_refused(service: TokenService) -> None:
    header, body, signature = issue(service).split(".")
    claims = json.loads(b64url_decode(body))
    claims["role"] = "admin"
    tampered = ".".join([header, b64url(json.dumps(claims).encode()), signature])
    assert_refused(service, tampered, TOKEN_INVALID)


@pytest.mark.parametrize("garbage", [
    "", "garbage", "a.b.c", "..", "...", "eyJhbGciOiJFZERTQSJ9.e30.",
    "بيانات.غير.صالحة", "Bearer abc.def.ghi", " " * 10,
])
def test_garbage_is_refused(garbage: str, service: TokenService) -> None:
    assert_refused(service, garbage, TOKEN_INVALID)


def test_extra_segments_are_refused(service: TokenService) -> None:
    token = issue(service)
    assert_refused(service, token + ".extra", TOKEN_INVALID)
    assert_refused(service, token + "." + token, TOKEN_INVALID)
    header, body, signature = token.split(".")
    assert_refused(service, ".".join([header, body, body, signature]), TOKEN_INVALID)


@pytest.mark.parametrize("overrides", [
    {"role": None},
    {"role": "superuser"},
    {"role": ["admin"]},
    {"sid": None},
    {"sid": 7},
    {"sid": ""},
    {"sub": None},
    {"sub": 42},
    {"jti": None},
    {"exp": None},
    {"iat": None},
    {"nbf": None},
    {"iat": "1760000000"},
    {"exp": True},
    {"exp": 10**400},
    {"exp": float("inf")},
    {"nbf": float("nan")},
    {"iss": None},
    {"aud": None},
], ids=repr)
def test_missing_or_mistyped_claims_are_invalid(overrides: dict[str, object],
                                                ed_key: Ed25519PrivateKey,
                                                service: TokenService) -> None:
    token = jwt.encode(valid_payload(**overrides), ed_key, algorithm="EdDSA",
                       headers={"kid": SigningKey.from_private_key(ed_key).kid})
    assert_refused(service, token, TOKEN_INVALID)


def test_properly_signed_hand_made_token_verifies(ed_key: Ed25519PrivateKey,
                                                  service: TokenService) -> None:
    # The control for the claim tests above: only the override makes them fail.
    token = jwt.encode(valid_payload(), ed_key, algorithm="EdDSA",
                       headers={"kid": SigningKey.from_private_key(ed_key).kid})
    assert service.verify_access_token(token).role == "admin"


@pytest.mark.parametrize("kid_header", [{}, {"kid": 7}, {"kid": ""}, {"kid": "nope"}],
                         ids=repr)
def test_missing_or_unknown_kid_is_invalid(kid_header: dict[str, object],
                                           ed_key: Ed25519PrivateKey,
                                           service: TokenService) -> None:
    token = sign_eddsa_by_hand({"alg": "EdDSA", "typ": "JWT", **kid_header}, valid_payload(),
                               ed_key)
    assert_refused(service, token, TOKEN_INVALID)


def test_hand_signed_token_with_our_kid_verifies(ed_key: Ed25519PrivateKey,
                                                 service: TokenService) -> None:
    # The control for the kid tests above: the hand-made signature itself is sound.
    header = {"alg": "EdDSA", "typ": "JWT", "kid": SigningKey.from_private_key(ed_key).kid}
    token = sign_eddsa_by_hand(header, valid_payload(), ed_key)
    assert service.verify_access_token(token).user_id == "u-42"


# --- rotation -----------------------------------------------------------------------------


def test_rotated_key_verifies_until_it_is_removed(ed_key: Ed25519PrivateKey,
                                                  other_ed_key: Ed25519PrivateKey,
                                                  clock: FakeClock) -> None:
    old = SigningKey.from_private_key(ed_key)
    new = SigningKey.from_private_key(other_ed_key)
    old_token = issue(make_service(old, clock))

    during = make_service(new, clock,
                          verification_keys=(SigningKey.from_public_key(ed_key.public_key()),))
    assert during.verify_access_token(old_token).user_id == "u-42"
    new_token = issue(during)
    assert jwt.get_unverified_header(new_token)["kid"] == new.kid != old.kid

    after = make_service(new, clock)
    assert_refused(after, old_token, TOKEN_INVALID)
    assert after.verify_access_token(new_token).user_id == "u-42"


def test_rotation_across_algorithms(rsa_key: rsa.RSAPrivateKey, ed_key: Ed25519PrivateKey,
                                    clock: FakeClock) -> None:
    rsa_token = issue(make_service(SigningKey.from_private_key(rsa_key), clock))
    service = make_service(SigningKey.from_private_key(ed_key), clock,
                           verification_keys=(SigningKey.from_public_key(rsa_key.public_key()),))
    assert service.verify_access_token(rsa_token).session_id == "fam-7"


def test_service_refuses_inconsistent_keys(ed_key: Ed25519PrivateKey,
                                           other_ed_key: Ed25519PrivateKey,
                                           clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="no private key"):
        make_service(SigningKey.from_public_key(ed_key.public_key()), clock)
    impostor = SigningKey(kid=SigningKey.from_private_key(ed_key).kid, algorithm="EdDSA",
                          private_key=None, public_key=other_ed_key.public_key())
    with pytest.raises(ValueError, match="share the kid"):
        make_service(SigningKey.from_private_key(ed_key), clock, verification_keys=(impostor,))


# --- JWKS ---------------------------------------------------------------------------------


def test_jwks_publishes_rfc7638_thumbprints(ed_key: Ed25519PrivateKey,
                                            other_ed_key: Ed25519PrivateKey,
                                            rsa_key: rsa.RSAPrivateKey,
                                            clock: FakeClock) -> None:
    service = make_service(
        SigningKey.from_private_key(ed_key), clock,
        verification_keys=(SigningKey.from_public_key(other_ed_key.public_key()),
                           SigningKey.from_public_key(rsa_key.public_key())),
    )
    keys = service.jwks()
    assert [key["kty"] for key in keys] == ["OKP", "OKP", "RSA"]

    for jwk, private in zip(keys[:2], [ed_key, other_ed_key], strict=True):
        raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)
        x = b64url(raw)
        canonical = '{"crv":"Ed25519","kty":"OKP","x":"' + x + '"}'
        assert jwk == {"kty": "OKP", "crv": "Ed25519", "x": x, "alg": "EdDSA", "use": "sig",
                       "kid": b64url(hashlib.sha256(canonical.encode()).digest())}
        assert b64url_decode(jwk["x"]) == raw

    numbers = rsa_key.public_key().public_numbers()
    rsa_jwk = keys[2]
    assert set(rsa_jwk) == {"kty", "kid", "alg", "use", "n", "e"}
    assert (rsa_jwk["alg"], rsa_jwk["use"], rsa_jwk["e"]) == ("RS256", "sig", "AQAB")
    assert int.from_bytes(b64url_decode(rsa_jwk["n"]), "big") == numbers.n
    canonical = '{"e":"AQAB","kty":"RSA","n":"' + rsa_jwk["n"] + '"}'
    assert rsa_jwk["kid"] == b64url(hashlib.sha256(canonical.encode()).digest())


def test_a_relying_party_can_verify_with_the_published_jwk(service: TokenService) -> None:
    token = issue(service)
    (published,) = service.jwks()
    decoded = jwt.decode(token, jwt.PyJWK(published), algorithms=["EdDSA"], audience=AUDIENCE,
                         issuer=ISSUER, options={"verify_exp": False, "verify_iat": False,
                                                 "verify_nbf": False})
    assert decoded["sub"] == "u-42"


def test_hs256_secret_is_never_published(ed_key: Ed25519PrivateKey, clock: FakeClock) -> None:
    secret_key = SigningKey.from_secret(HS256_SECRET)
    assert make_service(secret_key, clock).jwks() == []
    mixed = make_service(secret_key, clock,
                         verification_keys=(SigningKey.from_public_key(ed_key.public_key()),))
    assert [key["kty"] for key in mixed.jwks()] == ["OKP"]
    assert HS256_SECRET.decode() not in secret_key.kid
    assert b64url(HS256_SECRET) not in secret_key.kid
    assert hashlib.sha256(HS256_SECRET).hexdigest() not in secret_key.kid
    assert repr(secret_key) == f"SigningKey(kid={secret_key.kid!r}, algorithm='HS256')"


def test_short_hs256_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        SigningKey.from_secret(b"x" * 31)


# --- load_signing_keys --------------------------------------------------------------------


def test_production_without_keys_refuses_to_start() -> None:
    with pytest.raises(ConfigError, match="refusing to start in production without signing"):
        load_signing_keys({}, environment="production")


def test_development_without_keys_generates_an_ephemeral_ed25519_key(clock: FakeClock) -> None:
    first = load_signing_keys({}, environment="development")
    second = load_signing_keys({}, environment="development")
    assert first.ephemeral is True
    assert first.signing_key.algorithm == "EdDSA"
    assert isinstance(first.signing_key.private_key, Ed25519PrivateKey)
    assert first.verification_keys == ()
    assert first.signing_key.kid != second.signing_key.kid
    service = make_service(first.signing_key, clock)
    assert service.verify_access_token(issue(service)).user_id == "u-42"


def test_ed25519_key_from_a_file(tmp_path: Path, clock: FakeClock) -> None:
    pem = generate_ed25519_pem()
    path = tmp_path / "jwt.pem"
    path.write_bytes(pem)
    config = load_signing_keys({"FINANCEHUB_JWT_PRIVATE_KEY_FILE": str(path)},
                               environment="production")
    loaded = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(loaded, Ed25519PrivateKey)
    assert config.ephemeral is False
    assert config.signing_key.kid == SigningKey.from_private_key(loaded).kid
    service = make_service(config.signing_key, clock)
    assert service.verify_access_token(issue(service)).role == "premium"


def test_ed25519_key_from_the_environment_also_with_escaped_newlines() -> None:
    pem = generate_ed25519_pem().decode()
    direct = load_signing_keys({"FINANCEHUB_JWT_PRIVATE_KEY": pem}, environment="production")
    escaped = load_signing_keys({"FINANCEHUB_JWT_PRIVATE_KEY": pem.replace("\n", "\\n")},
                                environment="production")
    assert direct.signing_key.kid == escaped.signing_key.kid
    assert direct.ephemeral is False


def test_generated_pem_is_a_fresh_pkcs8_ed25519_key() -> None:
    pem = generate_ed25519_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert isinstance(serialization.load_pem_private_key(pem, password=None), Ed25519PrivateKey)
    assert generate_ed25519_pem() != pem


def test_rs256_key_from_a_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey,
                               clock: FakeClock) -> None:
    path = tmp_path / "rsa.pem"
    path.write_bytes(pem_private(rsa_key))
    config = load_signing_keys({"FINANCEHUB_JWT_ALGORITHM": "RS256",
                                "FINANCEHUB_JWT_PRIVATE_KEY_FILE": str(path)},
                               environment="production")
    assert config.signing_key.algorithm == "RS256"
    assert config.signing_key.kid == SigningKey.from_private_key(rsa_key).kid
    service = make_service(config.signing_key, clock)
    token = issue(service)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert service.verify_access_token(token).session_id == "fam-7"


def test_key_of_the_wrong_type_is_refused(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    rsa_path = tmp_path / "rsa.pem"
    rsa_path.write_bytes(pem_private(rsa_key))
    ed_path = tmp_path / "ed.pem"
    ed_path.write_bytes(generate_ed25519_pem())
    with pytest.raises(ConfigError, match="FINANCEHUB_JWT_PRIVATE_KEY_FILE.*Ed25519"):
        load_signing_keys({"FINANCEHUB_JWT_PRIVATE_KEY_FILE": str(rsa_path)},
                          environment="production")
    with pytest.raises(ConfigError, match="FINANCEHUB_JWT_PRIVATE_KEY_FILE.*RSA"):
        load_signing_keys({"FINANCEHUB_JWT_ALGORITHM": "RS256",
                           "FINANCEHUB_JWT_PRIVATE_KEY_FILE": str(ed_path)},
                          environment="production")


def test_small_rsa_key_is_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ConfigError, match="1024 bits"):
        load_signing_keys({"FINANCEHUB_JWT_ALGORITHM": "RS256",
                           "FINANCEHUB_JWT_PRIVATE_KEY": pem_private(small).decode()},
                          environment="production")


def test_unreadable_or_malformed_keys_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FINANCEHUB_JWT_PRIVATE_KEY_FILE: cannot read"):
        load_signing_keys({"FINANCEHUB_JWT_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem")},
                          environment="development")
    bogus = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LW1hdGVyaWFs\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ConfigError, match="FINANCEHUB_JWT_PRIVATE_KEY:") as caught:
        load_signing_keys({"FINANCEHUB_JWT_PRIVATE_KEY": bogus}, environment="development")
    assert "c2VjcmV0" not in str(caught.value)


def test_both_private_key_variables_are_ambiguous(tmp_path: Path) -> None:
    path = tmp_path / "ed.pem"
    path.write_bytes(generate_ed25519_pem())
    with pytest.raises(ConfigError, match="only one"):
        load_signing_keys({"FINANCEHUB_JWT_PRIVATE_KEY_FILE": str(path),
                           "FINANCEHUB_JWT_PRIVATE_KEY": generate_ed25519_pem().decode()},
                          environment="production")


@pytest.mark.parametrize("algorithm", ["ES256", "HS512", "none", "eddsa"])
def test_unknown_algorithm_is_refused(algorithm: str) -> None:
    with pytest.raises(ConfigError, match="FINANCEHUB_JWT_ALGORITHM.*not supported"):
        load_signing_keys({"FINANCEHUB_JWT_ALGORITHM": algorithm}, environment="development")


def test_hs256_needs_explicit_selection_and_a_long_secret(clock: FakeClock) -> None:
    secret = "s" * 32
    with pytest.raises(ConfigError, match="FINANCEHUB_JWT_ALGORITHM=HS256"):
        load_signing_keys({"FINANCEHUB_JWT_SECRET": secret}, environment="development")
    with pytest.raises(ConfigError, match="FINANCEHUB_JWT_SECRET.*at least 32") as caught:
        load_signing_keys({"FINANCEHUB_JWT_ALGORITHM": "HS256",
                           "FINANCEHUB_JWT_SECRET": "s" * 31}, environment="production")
    assert "s" * 31 not in str(caught.value)
    config = load_signing_keys({"FINANCEHUB_JWT_ALGORITHM": "HS256",
                                "FINANCEHUB_JWT_SECRET": secret}, environment="production")
    assert (config.signing_key.algorithm, config.ephemeral) == ("HS256", False)
    service = make_service(config.signing_key, clock)
    assert service.verify_access_token(issue(service)).user_id == "u-42"


def test_hs256_refuses_a_pem_as_secret(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ConfigError, match="FINANCEHUB_JWT_SECRET"):
        load_signing_keys({"FINANCEHUB_JWT_ALGORITHM": "HS256",
                           "FINANCEHUB_JWT_SECRET": pem_public(rsa_key).decode()},
                          environment="production")


def test_hs256_without_a_secret(clock: FakeClock) -> None:
    with pytest.raises(ConfigError, match="refusing to start"):
        load_signing_keys({"FINANCEHUB_JWT_ALGORITHM": "HS256"}, environment="production")
    config = load_signing_keys({"FINANCEHUB_JWT_ALGORITHM": "HS256"}, environment="development")
    assert (config.signing_key.algorithm, config.ephemeral) == ("HS256", True)


def test_previous_public_keys_verify_only(tmp_path: Path, ed_key: Ed25519PrivateKey,
                                          rsa_key: rsa.RSAPrivateKey, clock: FakeClock) -> None:
    (tmp_path / "old-ed.pub").write_bytes(pem_public(ed_key))
    (tmp_path / "old-rsa.pub").write_bytes(pem_public(rsa_key))
    old_token = issue(make_service(SigningKey.from_private_key(ed_key), clock))
    config = load_signing_keys({
        "FINANCEHUB_JWT_PUBLIC_KEY_FILES": f"{tmp_path / 'old-ed.pub'}, {tmp_path / 'old-rsa.pub'}",
    }, environment="development")
    assert [(key.kid, key.private_key) for key in config.verification_keys] == [
        (SigningKey.from_private_key(ed_key).kid, None),
        (SigningKey.from_private_key(rsa_key).kid, None),
    ]
    service = make_service(config.signing_key, clock, verification_keys=config.verification_keys)
    assert service.verify_access_token(old_token).user_id == "u-42"


def test_bad_public_key_file_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "private.pem").write_bytes(generate_ed25519_pem())
    with pytest.raises(ConfigError, match="FINANCEHUB_JWT_PUBLIC_KEY_FILES.*not a PEM public"):
        load_signing_keys({"FINANCEHUB_JWT_PUBLIC_KEY_FILES": str(tmp_path / "private.pem")},
                          environment="development")
    with pytest.raises(ConfigError, match="FINANCEHUB_JWT_PUBLIC_KEY_FILES: cannot read"):
        load_signing_keys({"FINANCEHUB_JWT_PUBLIC_KEY_FILES": str(tmp_path / "gone.pub")},
                          environment="development")


# --- remembered verifications ------------------------------------------------------------


def test_a_verified_token_is_not_checked_again_but_its_times_are(
        service: TokenService, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue(service)
    assert service.verify_access_token(token).user_id == "u-42"

    def no_more_signature_checks(*args: object, **kwargs: object) -> None:
        raise AssertionError("a remembered token was verified again")

    monkeypatch.setattr(jwt, "decode", no_more_signature_checks)
    assert service.verify_access_token(token).user_id == "u-42"
    clock.now = 1_760_000_900.123
    assert_refused(service, token, TOKEN_EXPIRED)


def test_remembering_a_token_vouches_for_no_other(service: TokenService) -> None:
    token = issue(service)
    service.verify_access_token(token)
    header, body, signature = token.split(".")
    claims = json.loads(b64url_decode(body))
    claims["role"] = "admin"
    assert_refused(service, ".".join([header, b64url(json.dumps(claims).encode()), signature]),
                   TOKEN_INVALID)
    assert_refused(service, token + "x", TOKEN_INVALID)
