"""Helpers for the importer tests: a database holding only the company list, and the CLI."""

import asyncio
import os
import subprocess
import sys

from server.ingest.reference import COMPANIES_FILE, parse_companies
from server.storage.backends import Backends, with_database
from server.storage.database import Database
from server.storage.migrations import apply_migrations
from server.storage.securities import SecurityRepository
from tests.support.services import TEST_DATABASE, recreate_database


def companies_only_database(backends: Backends, suffix: str) -> str:
    """A fresh, migrated database `{TEST_DATABASE}_{suffix}` with the companies and no prices."""
    url = with_database(backends.database_url, f"{TEST_DATABASE}_{suffix}")
    recreate_database(url)
    apply_migrations(url)

    async def load() -> None:
        database = Database(url, max_size=1)
        await database.open()
        try:
            async with database.transaction() as conn:
                await SecurityRepository(database).upsert_all(
                    conn, parse_companies(COMPANIES_FILE.read_text()), "test")
        finally:
            await database.close()

    asyncio.run(load())
    return url


def run_importer(database_url: str, redis_url: str,
                 *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m server.ingest ARGS` against the given database and Redis."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    return subprocess.run([sys.executable, "-m", "server.ingest", *args], env=env,
                          capture_output=True, text=True, timeout=120)
