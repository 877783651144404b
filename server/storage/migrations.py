"""Apply the numbered SQL files in `migrations/`, in order, exactly once.

Each applied file is recorded with its SHA-256; the runner refuses to go on
when a recorded file was edited or removed afterwards (change the schema
with a new file instead). A session-level advisory lock serialises runners,
so replicas starting together cannot race. Each file runs in its own
transaction together with its record: a failing file leaves nothing behind.

    python -m server.storage.migrations [--dir migrations]
"""

import argparse
import hashlib
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

from server.config import REPO_ROOT, Settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = REPO_ROOT / "migrations"
# pg_advisory_lock key: the first 8 bytes of sha256("financehub:migrations").
ADVISORY_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"financehub:migrations").digest()[:8], "big", signed=True
)
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_snake_case.sql")
        migrations.append(Migration(match.group(1), path.name, path.read_text()))
    versions = [m.version for m in migrations]
    duplicates = sorted({v for v in versions if versions.count(v) > 1})
    if duplicates:
        raise MigrationError(f"two migration files share version(s) {', '.join(duplicates)}")
    return migrations


_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     text PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


def apply_migrations(database_url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply what is pending; returns the names of the files applied now."""
    migrations = discover(directory)
    applied_now: list[str] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        try:
            conn.execute(_LEDGER)
            recorded = {
                version: (name, checksum)
                for version, name, checksum in conn.execute(
                    "SELECT version, name, checksum FROM schema_migrations"
                )
            }
            on_disk = {m.version: m for m in migrations}
            for version, (name, checksum) in sorted(recorded.items()):
                migration = on_disk.get(version)
                if migration is None:
                    raise MigrationError(f"{name} was applied but is no longer in {directory}")
                if migration.checksum != checksum:
                    raise MigrationError(
                        f"{migration.name} was edited after it was applied "
                        f"(checksum {checksum[:12]} recorded, {migration.checksum[:12]} on disk); "
                        "add a new migration instead"
                    )
            for migration in migrations:
                if migration.version in recorded:
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) "
                        "VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                log.info("applied migration", extra={"migration": migration.name})
                applied_now.append(migration.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    return applied_now


def main() -> int:
    from server.logging_setup import configure_logging
    from server.storage.backends import ensure_database, resolve_backends

    parser = argparse.ArgumentParser(description="Apply pending database migrations.")
    parser.add_argument("--dir", type=Path, default=MIGRATIONS_DIR)
    args = parser.parse_args()
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    backends = resolve_backends(settings)
    try:
        ensure_database(backends.database_url)
        applied = apply_migrations(backends.database_url, args.dir)
    except MigrationError as error:
        print(f"migrations refused: {error}", file=sys.stderr)
        return 1
    finally:
        backends.close()
    print(f"migrations: {len(applied)} applied" + (f" ({', '.join(applied)})" if applied else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
