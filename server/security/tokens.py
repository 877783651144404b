"""Access tokens: short-lived JWTs (PyJWT) signed with EdDSA by default, RS256 or HS256.

Every token names its key in the `kid` header, and each key is bound to exactly one
algorithm: verification looks the key up by `kid` and accepts only that key's algorithm, so
neither `alg: none` nor algorithm confusion (an HS256 token "signed" with a public key) can
get through. Previous signing keys stay in the verification set during a rotation.

Time claims are fractional seconds rounded to milliseconds and are checked here against the
injected clock rather than inside PyJWT (which reads the wall clock and truncates to whole
seconds): revocation by timestamp needs sub-second `iat`, and tests need a fake clock.
"""

import base64
import hashlib
import json
import math
import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import (
    RSAPrivateKey,
    RSAPublicKey,
    generate_private_key,
)
from jwt.algorithms import HMACAlgorithm

from server.config import ConfigError

TOKEN_EXPIRED = "TOKEN_EXPIRED"
TOKEN_NOT_YET_VALID = "TOKEN_NOT_YET_VALID"
TOKEN_INVALID = "TOKEN_INVALID"

ROLES = frozenset({"guest", "user", "premium", "partner", "admin"})
SUPPORTED_ALGORITHMS = ("EdDSA", "RS256", "HS256")
MIN_RSA_KEY_BITS = 2048
MIN_HS256_SECRET_BYTES = 32

ALGORITHM_VARIABLE = "FINANCEHUB_JWT_ALGORITHM"
PRIVATE_KEY_FILE_VARIABLE = "FINANCEHUB_JWT_PRIVATE_KEY_FILE"
PRIVATE_KEY_VARIABLE = "FINANCEHUB_JWT_PRIVATE_KEY"
PUBLIC_KEY_FILES_VARIABLE = "FINANCEHUB_JWT_PUBLIC_KEY_FILES"
SECRET_VARIABLE = "FINANCEHUB_JWT_SECRET"

_REQUIRED_CLAIMS = ["exp", "iat", "nbf", "sub", "jti", "iss", "aud"]
# Verified tokens remembered per process: about a day of active sessions at our
# scale, a few tens of MB at most.
VERIFIED_TOKENS_REMEMBERED = 50_000

PrivateKey = Ed25519PrivateKey | RSAPrivateKey | bytes
PublicKey = Ed25519PublicKey | RSAPublicKey | bytes


class TokenError(Exception):
    """A token was refused. `reason` is TOKEN_EXPIRED, TOKEN_NOT_YET_VALID or TOKEN_INVALID;
    the message is safe to log and to return: it never contains the token."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint_b64url(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def public_jwk_members(public_key: Ed25519PublicKey | RSAPublicKey) -> dict[str, str]:
    """The RFC 7638 required members of a public key's JWK (kty plus crv+x or n+e)."""
    if isinstance(public_key, Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    numbers = public_key.public_numbers()
    return {"e": _uint_b64url(numbers.e), "kty": "RSA", "n": _uint_b64url(numbers.n)}


def jwk_thumbprint(public_key: Ed25519PublicKey | RSAPublicKey) -> str:
    """RFC 7638: SHA-256 of the required members as sorted, whitespace-free JSON."""
    canonical = json.dumps(public_jwk_members(public_key), sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def _secret_key_id(secret: bytes) -> str:
    # The kid travels in every token header, so it must not reveal the secret; the prefix
    # keeps it from equalling a plain SHA-256 of the secret that may be used elsewhere.
    return "hs256-" + _b64url(hashlib.sha256(b"financehub-jwt-kid\x00" + secret).digest())[:32]


def _algorithm_for(public_key: object) -> str:
    if isinstance(public_key, Ed25519PublicKey):
        return "EdDSA"
    if isinstance(public_key, RSAPublicKey):
        if public_key.key_size < MIN_RSA_KEY_BITS:
            raise ValueError(
                f"RSA key of {public_key.key_size} bits; at least {MIN_RSA_KEY_BITS} are required"
            )
        return "RS256"
    raise ValueError(f"unsupported key type {type(public_key).__name__} (use Ed25519 or RSA)")


@dataclass(frozen=True)
class SigningKey:
    """One key bound to one algorithm. Build it with `from_private_key`, `from_public_key`
    (verification only) or `from_secret` (HS256), which derive `kid` and `algorithm`."""

    kid: str
    algorithm: str
    # Out of repr: for HS256 both hold the secret, and keys end up in logs and tracebacks.
    private_key: PrivateKey | None = field(repr=False)
    public_key: PublicKey = field(repr=False)

    @classmethod
    def from_private_key(cls, private_key: Ed25519PrivateKey | RSAPrivateKey) -> "SigningKey":
        public_key = private_key.public_key()
        return cls(
            kid=jwk_thumbprint(public_key),
            algorithm=_algorithm_for(public_key),
            private_key=private_key,
            public_key=public_key,
        )

    @classmethod
    def from_public_key(cls, public_key: Ed25519PublicKey | RSAPublicKey) -> "SigningKey":
        return cls(
            kid=jwk_thumbprint(public_key),
            algorithm=_algorithm_for(public_key),
            private_key=None,
            public_key=public_key,
        )

    @classmethod
    def from_secret(cls, secret: bytes) -> "SigningKey":
        if len(secret) < MIN_HS256_SECRET_BYTES:
            raise ValueError(f"HS256 secret of {len(secret)} bytes; "
                             f"at least {MIN_HS256_SECRET_BYTES} are required")
        # PyJWT refuses PEM/SSH/DER material as an HMAC secret; fail here, not at first login.
        try:
            HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(secret)
        except jwt.InvalidKeyError:
            raise ValueError("HS256 secret looks like an asymmetric key") from None
        return cls(kid=_secret_key_id(secret), algorithm="HS256", private_key=secret,
                   public_key=secret)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: str
    issued_at: float
    expires_at: float


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    role: str
    session_id: str
    token_id: str
    issued_at: float
    expires_at: float


def _invalid(message: str) -> TokenError:
    return TokenError(TOKEN_INVALID, message)


def _time_claim(claims: Mapping[str, Any], name: str) -> float:
    value = claims[name]
    # bool is an int subclass; `true` is not a timestamp.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(f"claim {name!r} is not a number")
    try:
        seconds = float(value)
    except OverflowError:  # an integer beyond float range
        raise _invalid(f"claim {name!r} is out of range") from None
    if not math.isfinite(seconds):
        raise _invalid(f"claim {name!r} is out of range")
    return seconds


def _text_claim(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise _invalid(f"claim {name!r} is missing or not a non-empty string")
    return value


class TokenService:
    """Issues and verifies access tokens. Pure CPU work (microseconds for EdDSA), safe to
    call on the event loop."""

    def __init__(
        self,
        *,
        signing_key: SigningKey,
        verification_keys: Sequence[SigningKey] = (),
        issuer: str,
        audience: str,
        access_ttl_s: int = 900,
        leeway_s: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if signing_key.private_key is None:
            raise ValueError(f"signing key {signing_key.kid} has no private key")
        self._private_key: PrivateKey = signing_key.private_key
        if access_ttl_s <= 0:
            raise ValueError("access_ttl_s must be positive")
        if leeway_s < 0:
            raise ValueError("leeway_s must not be negative")
        self._signing_key = signing_key
        self._keys_by_kid: dict[str, SigningKey] = {}
        for key in (signing_key, *verification_keys):
            known = self._keys_by_kid.get(key.kid)
            if known is not None and (known.algorithm, known.public_key) != (
                key.algorithm, key.public_key
            ):
                raise ValueError(f"two different keys share the kid {key.kid}")
            self._keys_by_kid.setdefault(key.kid, key)
        self._issuer = issuer
        self._audience = audience
        self._access_ttl_s = access_ttl_s
        self._leeway_s = leeway_s
        self._clock = clock
        # token -> (claims, nbf) of tokens whose signature and claims checked out.
        self._verified: dict[str, tuple[AccessClaims, float]] = {}

    def issue_access_token(self, *, user_id: str, role: str, session_id: str) -> IssuedToken:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        if not user_id or not session_id:
            raise ValueError("user_id and session_id must be non-empty")
        issued_at = round(self._clock(), 3)
        expires_at = round(issued_at + self._access_ttl_s, 3)
        token_id = uuid.uuid4().hex
        payload = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": user_id,
            "role": role,
            "sid": session_id,
            "jti": token_id,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": expires_at,
        }
        token = jwt.encode(
            payload,
            self._private_key,
            algorithm=self._signing_key.algorithm,
            headers={"kid": self._signing_key.kid},
        )
        return IssuedToken(token=token, token_id=token_id, issued_at=issued_at,
                           expires_at=expires_at)

    def verify_access_token(self, token: str) -> AccessClaims:
        """The token's claims, if its signature, issuer, audience and times hold now.

        Signature checks (a tenth of a millisecond each) are remembered per token,
        so a client reusing its token pays once; the time checks run on every call.
        """
        verified = self._verified.get(token) if isinstance(token, str) else None
        if verified is None:
            verified = self._verify_signature_and_claims(token)
            if len(self._verified) >= VERIFIED_TOKENS_REMEMBERED:
                # Oldest first: dicts keep insertion order.
                del self._verified[next(iter(self._verified))]
            self._verified[token] = verified
        claims, not_before = verified
        now = self._clock()
        if max(claims.issued_at, not_before) > now + self._leeway_s:
            raise TokenError(TOKEN_NOT_YET_VALID, "token is not valid yet")
        if claims.expires_at <= now - self._leeway_s:
            raise TokenError(TOKEN_EXPIRED, "token has expired")
        return claims

    def _verify_signature_and_claims(self, token: str) -> tuple[AccessClaims, float]:
        """The claims and `nbf` of a well-formed token signed by one of our keys."""
        if not isinstance(token, str) or token.count(".") != 2:
            raise _invalid("token is not a compact JWS")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _invalid("token header is malformed") from None
        kid = header.get("kid")
        key = self._keys_by_kid.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise _invalid("token is signed with an unknown key")
        # PyJWT's allow-list below enforces this too; checking it here keeps the rule from
        # resting on how the library treats its `algorithms` argument.
        if header.get("alg") != key.algorithm:
            raise _invalid("token algorithm does not match its key")
        try:
            claims = jwt.decode(
                token,
                key.public_key,
                algorithms=[key.algorithm],
                audience=self._audience,
                issuer=self._issuer,
                options={
                    "require": _REQUIRED_CLAIMS,
                    "strict_aud": True,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
                leeway=self._leeway_s,
            )
        except jwt.PyJWTError as error:
            # PyJWT's messages name the failed check, never the token.
            raise _invalid(f"token rejected: {error}") from None

        role = _text_claim(claims, "role")
        if role not in ROLES:
            raise _invalid("token carries an unknown role")
        return AccessClaims(
            user_id=_text_claim(claims, "sub"),
            role=role,
            session_id=_text_claim(claims, "sid"),
            token_id=_text_claim(claims, "jti"),
            issued_at=_time_claim(claims, "iat"),
            expires_at=_time_claim(claims, "exp"),
        ), _time_claim(claims, "nbf")

    def jwks(self) -> list[dict[str, str]]:
        """Public JWKs of every asymmetric key, signing key first; HS256 secrets never."""
        published = []
        for key in self._keys_by_kid.values():
            if isinstance(key.public_key, bytes):
                continue
            published.append({
                **public_jwk_members(key.public_key),
                "kid": key.kid,
                "alg": key.algorithm,
                "use": "sig",
            })
        return published


@dataclass(frozen=True)
class KeyConfiguration:
    signing_key: SigningKey
    verification_keys: tuple[SigningKey, ...]
    ephemeral: bool


def shared_key_environment(keys: KeyConfiguration) -> dict[str, str]:
    """The variables that hand `keys`' signing key to other processes (a supervisor's
    workers, which must all sign and verify with one key), when it was generated here."""
    if not keys.ephemeral:
        return {}
    private = keys.signing_key.private_key
    if isinstance(private, bytes):
        return {SECRET_VARIABLE: private.decode("utf-8")}
    if private is None:
        raise ValueError("an ephemeral signing key always has its private key")
    return {PRIVATE_KEY_VARIABLE: private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode("ascii")}


def generate_ed25519_pem() -> bytes:
    """A new Ed25519 private key as unencrypted PKCS8 PEM."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _read_file(variable: str, path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ConfigError(f"{variable}: cannot read {path!r}: {error.strerror}") from None


def _private_key_pem(env: Mapping[str, str]) -> tuple[str, bytes] | None:
    """(the variable it came from, PEM bytes), or None when no private key is configured."""
    path = env.get(PRIVATE_KEY_FILE_VARIABLE, "").strip()
    text = env.get(PRIVATE_KEY_VARIABLE, "").strip()
    if path and text:
        raise ConfigError(
            f"set only one of {PRIVATE_KEY_FILE_VARIABLE} and {PRIVATE_KEY_VARIABLE}"
        )
    if path:
        return PRIVATE_KEY_FILE_VARIABLE, _read_file(PRIVATE_KEY_FILE_VARIABLE, path)
    if text:
        # Container env files often carry a PEM on one line with literal "\n" escapes.
        if "\n" not in text:
            text = text.replace("\\n", "\n")
        return PRIVATE_KEY_VARIABLE, text.encode("utf-8")
    return None


def _load_private_key(variable: str, pem: bytes, algorithm: str) -> SigningKey:
    try:
        private_key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # The loader's own message can quote key material; say only what is wrong.
        raise ConfigError(
            f"{variable}: not an unencrypted PEM private key (PKCS8 or traditional)"
        ) from None
    expected = Ed25519PrivateKey if algorithm == "EdDSA" else RSAPrivateKey
    if not isinstance(private_key, expected):
        raise ConfigError(
            f"{variable}: {ALGORITHM_VARIABLE}={algorithm} needs "
            f"{'an Ed25519' if algorithm == 'EdDSA' else 'an RSA'} key, "
            f"got {type(private_key).__name__}"
        )
    try:
        return SigningKey.from_private_key(private_key)
    except ValueError as error:
        raise ConfigError(f"{variable}: {error}") from None


def _load_verification_keys(env: Mapping[str, str]) -> tuple[SigningKey, ...]:
    paths = [p.strip() for p in env.get(PUBLIC_KEY_FILES_VARIABLE, "").split(",") if p.strip()]
    keys = []
    for path in paths:
        pem = _read_file(PUBLIC_KEY_FILES_VARIABLE, path)
        try:
            public_key = serialization.load_pem_public_key(pem)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise ConfigError(
                f"{PUBLIC_KEY_FILES_VARIABLE}: {path!r} is not a PEM public key"
            ) from None
        if not isinstance(public_key, Ed25519PublicKey | RSAPublicKey):
            raise ConfigError(
                f"{PUBLIC_KEY_FILES_VARIABLE}: {path!r} holds a {type(public_key).__name__}; "
                "use Ed25519 or RSA"
            )
        try:
            keys.append(SigningKey.from_public_key(public_key))
        except ValueError as error:
            raise ConfigError(f"{PUBLIC_KEY_FILES_VARIABLE}: {path!r}: {error}") from None
    return tuple(keys)


def _ephemeral_key(algorithm: str) -> SigningKey:
    if algorithm == "HS256":
        return SigningKey.from_secret(secrets.token_bytes(MIN_HS256_SECRET_BYTES))
    if algorithm == "RS256":
        return SigningKey.from_private_key(
            generate_private_key(public_exponent=65537, key_size=MIN_RSA_KEY_BITS)
        )
    return SigningKey.from_private_key(Ed25519PrivateKey.generate())


def load_signing_keys(env: Mapping[str, str], *, environment: str) -> KeyConfiguration:
    """Signing and verification keys from the environment.

    With no key material configured, development gets a fresh key of the selected algorithm
    (tokens die with the process; `ephemeral` is True so the caller can warn) and anything
    else is refused: there is no built-in key or secret.
    """
    algorithm = env.get(ALGORITHM_VARIABLE, "").strip() or "EdDSA"
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise ConfigError(
            f"{ALGORITHM_VARIABLE}={algorithm!r} is not supported (use EdDSA, RS256 or HS256)"
        )
    verification_keys = _load_verification_keys(env)
    secret = env.get(SECRET_VARIABLE, "")
    private_pem = _private_key_pem(env)

    # A variable the selected algorithm ignores would leave the operator believing a key is
    # in use while another one (possibly ephemeral) signs.
    signing_key: SigningKey | None = None
    if algorithm == "HS256":
        if private_pem is not None:
            raise ConfigError(
                f"{private_pem[0]} is set but {ALGORITHM_VARIABLE}=HS256 uses {SECRET_VARIABLE}"
            )
        if secret:
            try:
                signing_key = SigningKey.from_secret(secret.encode("utf-8"))
            except ValueError as error:
                raise ConfigError(f"{SECRET_VARIABLE}: {error}") from None
    else:
        if secret:
            raise ConfigError(
                f"{SECRET_VARIABLE} is set but {ALGORITHM_VARIABLE}={algorithm}; "
                f"set {ALGORITHM_VARIABLE}=HS256 to sign with a shared secret"
            )
        if private_pem is not None:
            signing_key = _load_private_key(*private_pem, algorithm)

    if signing_key is not None:
        return KeyConfiguration(signing_key=signing_key, verification_keys=verification_keys,
                                ephemeral=False)
    if environment != "development":
        raise ConfigError(
            f"no JWT signing key configured; refusing to start in {environment} without signing "
            f"keys (set {PRIVATE_KEY_FILE_VARIABLE} or {PRIVATE_KEY_VARIABLE}, or "
            f"{SECRET_VARIABLE} with {ALGORITHM_VARIABLE}=HS256)"
        )
    return KeyConfiguration(signing_key=_ephemeral_key(algorithm),
                            verification_keys=verification_keys, ephemeral=True)
