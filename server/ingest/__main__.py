"""Data import from the command line.

    python -m server.ingest bars FILE --symbol 2222                  # a Yahoo Finance daily CSV
    python -m server.ingest bars FILE --symbol 2222 --format stooq   # a Stooq daily CSV
    python -m server.ingest corporate-actions FILE                   # a corporate-actions TSV
    python -m server.ingest seed                                     # the shipped reference data

The bars format is never guessed from the header: Stooq's header is also a valid
minimal Yahoo header, and the format decides the provider recorded with every bar.
Every import refreshes the market views and drops the cached answers it made stale.

Exit status 0 on success, 1 when the input is refused (nothing is written then).
"""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from redis.asyncio import Redis

from server.config import Settings, settings_or_exit
from server.domain.errors import DomainError
from server.domain.symbols import parse_symbol
from server.ingest.demo import demo_settings_from
from server.ingest.loader import (
    BarsImportReport,
    import_corporate_actions,
    import_daily_bars,
    import_stooq_daily_bars,
    seed,
)
from server.ingest.yahoo_csv import ImportFileError
from server.logging_setup import configure_logging
from server.storage.backends import ensure_database, resolve_backends
from server.storage.cache import ResponseCache
from server.storage.database import Database
from server.storage.migrations import apply_migrations

BarsImporter = Callable[[Database, ResponseCache | None, Path, str],
                        Awaitable[BarsImportReport]]
BARS_IMPORTERS: dict[str, BarsImporter] = {
    "yahoo": import_daily_bars,
    "stooq": import_stooq_daily_bars,
}


async def _run(args: argparse.Namespace, settings: Settings) -> str:
    backends = await asyncio.to_thread(resolve_backends, settings)
    try:
        await asyncio.to_thread(ensure_database, backends.database_url)
        await asyncio.to_thread(apply_migrations, backends.database_url)
        database = Database(backends.database_url, min_size=1, max_size=2,
                            statement_timeout_ms=60_000)
        redis = Redis.from_url(backends.redis_url, socket_timeout=settings.redis_timeout_s,
                               socket_connect_timeout=settings.redis_timeout_s)
        cache = ResponseCache(redis)
        await database.open()
        try:
            if args.command == "seed":
                return (await seed(database, cache, demo_settings_from(settings))).summary()
            if args.command == "corporate-actions":
                return (await import_corporate_actions(
                    database, cache, args.file, args.source or args.file.name)).summary()
            report = await BARS_IMPORTERS[args.format](database, cache, args.file, args.symbol)
            return report.summary()
        finally:
            await database.close()
            await redis.aclose()
    finally:
        backends.close()


def _symbol(raw: str) -> str:
    symbol = parse_symbol(raw)
    if symbol is None:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a Tadawul symbol (e.g. 2222 or 2222.SR)")
    return symbol


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m server.ingest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    bars = commands.add_parser("bars", help="import a daily CSV (Yahoo Finance or Stooq)")
    bars.add_argument("file", type=Path)
    bars.add_argument("--symbol", required=True, type=_symbol)
    bars.add_argument("--format", choices=sorted(BARS_IMPORTERS), default="yahoo",
                      help="the file's provider (default: yahoo)")
    actions = commands.add_parser("corporate-actions", help="import a corporate-actions TSV")
    actions.add_argument("file", type=Path)
    actions.add_argument("--source", help="provenance recorded with each action "
                                          "(default: the file's name)")
    commands.add_parser("seed", help="load the shipped reference data")
    args = parser.parse_args()
    settings = settings_or_exit()
    configure_logging("WARNING")
    try:
        print(asyncio.run(_run(args, settings)))
    except ImportFileError as error:
        print(f"import refused, nothing written: {getattr(args, 'file', '')}: {error}",
              file=sys.stderr)
        return 1
    except DomainError as error:
        print(f"import refused, nothing written: {error.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
