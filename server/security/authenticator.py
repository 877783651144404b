"""Turn a call's credentials into a Principal.

`authorization: Bearer <JWT>` for people, `x-api-key: fhp_...` for machine
clients, nothing for guests. Credentials that are present but wrong are an
error, never a silent downgrade to guest, except on public RPCs (a client
refreshing its session may still send its expired access token).
"""

import hashlib
import ipaddress
from collections.abc import Mapping

from server.domain.access import DEFAULT_TIER, Principal, Role, guest
from server.domain.errors import FieldViolation, InvalidArgumentError, UnauthenticatedError
from server.security.revocations import RevocationList
from server.security.tokens import TokenError, TokenService
from server.storage.api_keys import ApiKeyRepository

API_KEY_PREFIX = "fhp_"
# How stale `api_keys.last_used_at` may get before a call refreshes it: one
# write a minute per key instead of one per call.
LAST_USE_REFRESH_S = 60


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


ProxyNetworks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def _trusted(address: str, trusted_proxies: ProxyNetworks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted_proxies)


def client_address(peer: str, forwarded_for: str | None,
                   trusted_proxies: ProxyNetworks) -> str:
    """The caller's IP: the gRPC peer, or the address a trusted proxy (Envoy; an address or
    a network such as a pod CIDR, where proxies come and go) forwarded."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        address = rest.rsplit(":", 1)[0]
    elif kind == "ipv6":
        address = rest.rsplit(":", 1)[0].strip("[]")
    else:
        address = peer
    if forwarded_for and _trusted(address, trusted_proxies):
        candidate = forwarded_for.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return address
    return address


class Authenticator:
    def __init__(self, tokens: TokenService, revocations: RevocationList,
                 api_keys: ApiKeyRepository) -> None:
        self._tokens = tokens
        self._revocations = revocations
        self._api_keys = api_keys

    async def authenticate(self, metadata: Mapping[str, str], address: str, *,
                           credentials_optional: bool) -> Principal:
        try:
            return await self._authenticate(metadata, address)
        except UnauthenticatedError:
            if credentials_optional:
                return guest(address)
            raise

    async def _authenticate(self, metadata: Mapping[str, str], address: str) -> Principal:
        authorization = metadata.get("authorization")
        api_key = metadata.get("x-api-key")
        if authorization is not None and api_key is not None:
            raise InvalidArgumentError(
                [FieldViolation("x-api-key", "send either authorization or x-api-key, not both")],
                reason="AMBIGUOUS_CREDENTIALS")
        if authorization is not None:
            return await self._from_bearer(authorization, address)
        if api_key is not None:
            return await self._from_api_key(api_key, address)
        return guest(address)

    async def _from_bearer(self, authorization: str, address: str) -> Principal:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthenticatedError("the authorization header must be 'Bearer <token>'",
                                       reason="TOKEN_INVALID")
        try:
            claims = self._tokens.verify_access_token(token.strip())
        except TokenError as error:
            raise UnauthenticatedError(f"access token refused: {error}",
                                       reason=error.reason) from None
        if await self._revocations.is_revoked(claims):
            raise UnauthenticatedError("access token revoked; log in again",
                                       reason="TOKEN_REVOKED")
        role = Role(claims.role)
        return Principal(role=role, tier=DEFAULT_TIER[role], user_id=claims.user_id,
                         session_id=claims.session_id, token_id=claims.token_id,
                         token_expires_at=claims.expires_at, address=address)

    async def _from_api_key(self, api_key: str, address: str) -> Principal:
        secret = api_key.strip()
        if not secret.startswith(API_KEY_PREFIX) or len(secret) > 200:
            raise UnauthenticatedError("API key refused", reason="API_KEY_INVALID")
        owner = await self._api_keys.find_owner(hash_secret(secret),
                                                last_use_refresh_s=LAST_USE_REFRESH_S)
        if owner is None:
            raise UnauthenticatedError("API key refused", reason="API_KEY_INVALID")
        if owner.key.revoked_at is not None or not owner.user_active:
            raise UnauthenticatedError("API key revoked", reason="API_KEY_REVOKED")
        if owner.expired:
            raise UnauthenticatedError("API key expired", reason="API_KEY_EXPIRED")
        if owner.last_use_stale:
            await self._api_keys.touch(owner.key.id)
        return Principal(role=owner.role, tier=owner.rate_limit_tier or DEFAULT_TIER[owner.role],
                         user_id=owner.key.user_id, api_key_id=owner.key.id, address=address)
