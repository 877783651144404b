"""Configuration, from environment variables only. README.md lists every one."""

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0,
         maximum: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}={value} must be at most {maximum}")
    return value


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    return _int(env, name, default, minimum=0, maximum=65535)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{name}={raw!r} must be a finite, non-negative number")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


def _list(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    environment: str
    grpc_host: str
    grpc_port: int
    http_port: int
    envoy_admin_port: int
    database_url: str | None
    read_replica_url: str | None
    redis_url: str | None
    database_name: str
    data_dir: Path
    db_pool_min_size: int
    db_pool_max_size: int
    db_statement_timeout_ms: int
    redis_timeout_s: float
    shutdown_grace_s: float
    shutdown_drain_delay_s: float
    auto_migrate: bool
    cors_allowed_origins: tuple[str, ...]
    log_level: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        environment = env.get("FINANCEHUB_ENV", "development").strip().lower()
        if environment not in {"development", "production"}:
            raise ConfigError(f"FINANCEHUB_ENV={environment!r} must be development or production")
        pool_min = _int(env, "FINANCEHUB_DB_POOL_MIN", 1, minimum=0)
        pool_max = _int(env, "FINANCEHUB_DB_POOL_MAX", 10, minimum=1)
        if pool_max < pool_min:
            raise ConfigError("FINANCEHUB_DB_POOL_MAX must not be below FINANCEHUB_DB_POOL_MIN")
        return cls(
            environment=environment,
            grpc_host=env.get("FINANCEHUB_GRPC_HOST", "0.0.0.0"),
            grpc_port=_port(env, "FINANCEHUB_GRPC_PORT", 50051),
            http_port=_port(env, "FINANCEHUB_HTTP_PORT", 8080),
            envoy_admin_port=_port(env, "FINANCEHUB_ENVOY_ADMIN_PORT", 9901),
            database_url=env.get("DATABASE_URL") or None,
            read_replica_url=env.get("READ_REPLICA_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            database_name=env.get("FINANCEHUB_DB_NAME", "financehub"),
            data_dir=Path(env.get("FINANCEHUB_DATA_DIR", str(REPO_ROOT / ".data"))),
            db_pool_min_size=pool_min,
            db_pool_max_size=pool_max,
            db_statement_timeout_ms=_int(env, "FINANCEHUB_DB_STATEMENT_TIMEOUT_MS", 5000),
            redis_timeout_s=_float(env, "FINANCEHUB_REDIS_TIMEOUT_SECONDS", 0.25),
            shutdown_grace_s=_float(env, "FINANCEHUB_SHUTDOWN_GRACE_SECONDS", 10.0),
            shutdown_drain_delay_s=_float(env, "FINANCEHUB_SHUTDOWN_DRAIN_DELAY_SECONDS", 0.0),
            auto_migrate=_bool(env, "FINANCEHUB_AUTO_MIGRATE", True),
            cors_allowed_origins=_list(
                env, "FINANCEHUB_CORS_ORIGINS", ("http://localhost:8080", "http://127.0.0.1:8080")
            ),
            log_level=env.get("FINANCEHUB_LOG_LEVEL", "INFO").upper(),
        )
