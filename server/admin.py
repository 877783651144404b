"""Operator commands, for the first admin and for scripts.

    python -m server.admin create-user EMAIL --role admin

The password is read from FINANCEHUB_ADMIN_PASSWORD or, when that is unset,
from standard input (prompted without echo on a terminal); never from an
argument, where it would land in shell history and process listings.
"""

import argparse
import asyncio
import getpass
import os
import sys

from redis.asyncio import Redis

from server.app import build_token_service
from server.config import ConfigError, Settings, settings_or_exit
from server.domain.access import Role
from server.domain.errors import DomainError, InvalidArgumentError
from server.logging_setup import configure_logging
from server.mailer import Mailer
from server.security.accounts import AccountService, normalize_email, require_password_policy
from server.security.login_guard import LoginGuard
from server.security.passwords import PasswordHasher
from server.security.revocations import RevocationList
from server.storage.api_keys import ApiKeyRepository
from server.storage.audit import AuditRepository
from server.storage.backends import ensure_database, resolve_backends
from server.storage.database import Database
from server.storage.migrations import apply_migrations
from server.storage.sessions import SessionRepository
from server.storage.users import UserRecord, UserRepository

CREATABLE_ROLES = [role.value for role in Role if role is not Role.GUEST]


def read_password() -> str:
    from_env = os.environ.get("FINANCEHUB_ADMIN_PASSWORD")
    if from_env is not None:
        return from_env
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\n")


async def create_user(settings: Settings, email: str, role: Role, password: str) -> UserRecord:
    normalized = normalize_email(email)
    require_password_policy(password, normalized, "password")
    backends = await asyncio.to_thread(resolve_backends, settings)
    try:
        await asyncio.to_thread(ensure_database, backends.database_url)
        await asyncio.to_thread(apply_migrations, backends.database_url)
        database = Database(backends.database_url, min_size=1, max_size=1)
        redis = Redis.from_url(backends.redis_url, socket_timeout=settings.redis_timeout_s)
        await database.open()
        try:
            accounts = AccountService(
                database=database, users=UserRepository(database),
                sessions=SessionRepository(database), api_keys=ApiKeyRepository(database),
                audit=AuditRepository(database), mailer=Mailer(database),
                tokens=build_token_service(settings, warn_if_ephemeral=False),
                hasher=PasswordHasher(time_cost=settings.argon2_time_cost,
                                      memory_cost_kib=settings.argon2_memory_kib,
                                      parallelism=settings.argon2_parallelism),
                guard=LoginGuard(redis),
                revocations=RevocationList(redis, database, access_ttl_s=900),
                refresh_ttl_s=settings.refresh_token_ttl_s)
            return await accounts.create_user(normalized, password, role, address="cli",
                                              verified=True, actor_user_id=None)
        finally:
            await database.close()
            await redis.aclose()
    finally:
        backends.close()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m server.admin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="create a verified user of any role")
    create.add_argument("email")
    create.add_argument("--role", choices=CREATABLE_ROLES, default="user")
    args = parser.parse_args()
    settings = settings_or_exit()
    configure_logging("WARNING")
    password = read_password()
    try:
        user = asyncio.run(create_user(settings, args.email, Role(args.role), password))
    except InvalidArgumentError as error:
        for violation in error.violations:
            print(f"refused: {violation.field}: {violation.description}", file=sys.stderr)
        return 1
    except (DomainError, ConfigError) as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    print(f"created {user.role.value} {user.email} (id {user.id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
