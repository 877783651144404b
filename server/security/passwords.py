"""Password policy and hashing: argon2id through libpass (`passlib`), bcrypt accepted as legacy.

Hashing and verifying are deliberately expensive (at the defaults, three passes over 64 MiB)
and synchronous. Async callers must run them in a worker thread (`asyncio.to_thread`), never
on the event loop. A PasswordHasher keeps no per-call state and may be shared across threads.
"""

import secrets
from functools import cache
from typing import cast

from argon2 import Type, extract_parameters
from passlib.context import CryptContext
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # argon2 happily hashes megabytes; refuse absurd input early

# bcrypt only ever looked at the first 72 bytes; bcrypt 5 raises instead of truncating, so
# legacy hashes are checked against the same prefix the legacy system hashed.
_BCRYPT_MAX_BYTES = 72
_ARGON2_VERSION = 0x13


@cache
def _common_passwords() -> frozenset[str]:
    # 30,000 entries: loaded on first use, not at import.
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, *, email: str = "") -> list[str]:
    """Why `password` is not acceptable as a new password; empty when it is.

    Lengths count Unicode code points, as a person counts characters.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"Password must be at most {MAX_PASSWORD_LENGTH} characters long."]
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    folded = password.casefold()
    if folded in _common_passwords():
        problems.append("Password is one of the most commonly used passwords.")
    address = email.strip().casefold()
    local_part = address.rpartition("@")[0]
    if folded and folded in {address, local_part}:
        problems.append("Password must not be your email address or its name part.")
    if len(set(password)) == 1:
        problems.append("Password must not be a single character repeated.")
    return problems


class PasswordHasher:
    def __init__(self, *, time_cost: int = 3, memory_cost_kib: int = 65536,
                 parallelism: int = 4) -> None:
        self._time_cost = time_cost
        self._memory_cost_kib = memory_cost_kib
        self._parallelism = parallelism
        self._context = CryptContext(
            schemes=["argon2", "bcrypt"],
            deprecated=["bcrypt"],
            argon2__type="ID",
            argon2__time_cost=time_cost,
            argon2__memory_cost=memory_cost_kib,
            argon2__parallelism=parallelism,
        )
        self._dummy_hash = self._context.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        """An argon2id hash with the configured parameters ("$argon2id$v=19$m=...")."""
        # passlib is untyped; CryptContext.hash returns the hash string.
        return cast(str, self._context.hash(password))

    def verify(self, password: str, stored_hash: str) -> tuple[bool, str | None]:
        """(matches, replacement hash or None).

        A replacement comes back when the password matched a bcrypt hash or an argon2 hash
        weaker than the configured parameters; the caller stores it. A malformed or
        unrecognised stored hash is a mismatch, never an exception.
        """
        if len(password) > MAX_PASSWORD_LENGTH:
            return False, None
        try:
            scheme = self._context.identify(stored_hash, required=False)
            if scheme is None:
                return False, None
            secret: str | bytes = password
            if scheme == "bcrypt":
                secret = password.encode("utf-8")[:_BCRYPT_MAX_BYTES]
            matches = self._context.verify(secret, stored_hash)
        except (ValueError, TypeError):
            # passlib reports malformed hashes (and bcrypt its NUL-byte refusal) as ValueError.
            return False, None
        if not matches:
            return False, None
        if scheme != "argon2" or self._is_weaker(stored_hash):
            return True, self.hash(password)
        return True, None

    def verify_dummy(self, password: str) -> None:
        """Spend the work of a verify() so that an unknown account answers as slowly as a
        wrong password does."""
        if len(password) > MAX_PASSWORD_LENGTH:
            return
        self._context.verify(password, self._dummy_hash)

    def _is_weaker(self, argon2_hash: str) -> bool:
        # Stronger-than-configured hashes are kept: lowering the parameters (say, for a
        # smaller machine) must not quietly weaken the hashes already stored.
        parameters = extract_parameters(argon2_hash)
        return (
            parameters.type is not Type.ID
            or parameters.version < _ARGON2_VERSION
            or parameters.time_cost < self._time_cost
            or parameters.memory_cost < self._memory_cost_kib
            or parameters.parallelism < self._parallelism
        )
