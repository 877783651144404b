"""Who may do what: roles, their permissions and their rate-limit tiers.

The permission each RPC needs is declared in the contract (`method_policy`);
this table says which roles hold it. Guests are anonymous callers.
`account:self` is the permission to manage one's own account (profile,
password, API keys, logout); every signed-in role has it.
"""

from dataclasses import dataclass
from enum import Enum


class Role(Enum):
    GUEST = "guest"
    USER = "user"
    PREMIUM = "premium"
    PARTNER = "partner"
    ADMIN = "admin"


class RateLimitTier(Enum):
    GUEST = "guest"
    STANDARD = "standard"
    PREMIUM = "premium"
    PARTNER = "partner"
    UNLIMITED = "unlimited"


READ_TICKERS = "read:tickers"
READ_FINANCIALS = "read:financials"
READ_PREMIUM = "read:premium"
EXECUTE_TRADES = "execute:trades"
RUN_BACKTEST = "run:backtest"
ACCESS_AI = "access:ai"
MANAGE_USERS = "manage:users"
SYSTEM_ADMIN = "system:admin"
ACCOUNT_SELF = "account:self"

ALL_PERMISSIONS = frozenset({
    READ_TICKERS, READ_FINANCIALS, READ_PREMIUM, EXECUTE_TRADES, RUN_BACKTEST, ACCESS_AI,
    MANAGE_USERS, SYSTEM_ADMIN, ACCOUNT_SELF,
})

_USER = frozenset({READ_TICKERS, READ_FINANCIALS, EXECUTE_TRADES, RUN_BACKTEST, ACCESS_AI,
                   ACCOUNT_SELF})

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.GUEST: frozenset({READ_TICKERS}),
    Role.USER: _USER,
    Role.PREMIUM: _USER | {READ_PREMIUM},
    # Machine clients of partners: data, not trading or personal AI chat.
    Role.PARTNER: frozenset({READ_TICKERS, READ_FINANCIALS, READ_PREMIUM, ACCOUNT_SELF}),
    Role.ADMIN: ALL_PERMISSIONS,
}

DEFAULT_TIER: dict[Role, RateLimitTier] = {
    Role.GUEST: RateLimitTier.GUEST,
    Role.USER: RateLimitTier.STANDARD,
    Role.PREMIUM: RateLimitTier.PREMIUM,
    Role.PARTNER: RateLimitTier.PARTNER,
    Role.ADMIN: RateLimitTier.UNLIMITED,
}


def has_permission(role: Role, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS[role]


@dataclass(frozen=True)
class Principal:
    """The caller of an RPC, as established by the authentication interceptor."""

    role: Role
    tier: RateLimitTier
    user_id: str | None = None
    api_key_id: str | None = None
    session_id: str | None = None
    token_id: str | None = None
    token_expires_at: float | None = None
    address: str = ""

    @property
    def rate_limit_key(self) -> str:
        if self.api_key_id:
            return f"apikey:{self.api_key_id}"
        if self.user_id:
            return f"user:{self.user_id}"
        return f"ip:{self.address}"

    @property
    def label(self) -> str:
        """What the access log shows: never a token or key, only ids."""
        if self.api_key_id:
            return f"apikey:{self.api_key_id}"
        if self.user_id:
            return f"user:{self.user_id}"
        return "guest"


def guest(address: str) -> Principal:
    return Principal(role=Role.GUEST, tier=RateLimitTier.GUEST, address=address)
