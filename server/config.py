"""Configuration, from environment variables only. README.md lists every one."""

import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from ipaddress import IPv4Network, IPv6Network, ip_network
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


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if value == 0:
        raise ConfigError(f"{name} must be more than 0")
    return value


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


def _networks(env: Mapping[str, str], name: str,
              default: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    """Addresses or CIDR networks, comma-separated."""
    networks = []
    for item in _list(env, name, default):
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not an IP address or network") from None
    return tuple(networks)


def _decimal(env: Mapping[str, str], name: str, default: Decimal, *, above_zero: bool = False,
             below_one: bool = False) -> Decimal:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConfigError(f"{name}={raw!r} is not a decimal number") from None
    if not value.is_finite() or value < 0 or (above_zero and value == 0) \
            or (below_one and value >= 1):
        bounds = "above 0" if above_zero else "at least 0" + (" and below 1" if below_one else "")
        raise ConfigError(f"{name}={raw!r} must be a decimal {bounds}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in choices:
        raise ConfigError(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def _date(env: Mapping[str, str], name: str) -> date | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a YYYY-MM-DD date") from None


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise ConfigError(f"{name}={raw!r} is not a readable file")
    return path


def _directory(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_dir():
        raise ConfigError(f"{name}={raw!r} is not a directory")
    return path


# LLM tokens per user per Asia/Riyadh day, per rate-limit tier; -1 is unlimited.
DEFAULT_AI_DAILY_TOKENS = {"guest": 0, "standard": 50_000, "premium": 250_000,
                           "partner": 100_000, "unlimited": -1}


def default_cors_origins(web_port: int) -> tuple[str, ...]:
    """The browser origins Envoy allows unless FINANCEHUB_CORS_ORIGINS says otherwise:
    Envoy's own port and the browser demo `make run` serves on FINANCEHUB_WEB_PORT."""
    return tuple(f"http://{host}:{port}" for port in (8080, web_port)
                 for host in ("localhost", "127.0.0.1"))

# Server streams one caller may hold open at once, per worker (quotes, order updates,
# chats, backtest progress): enough for a trading screen, far below the worker's
# FINANCEHUB_MAX_CONCURRENT_RPCS.
DEFAULT_MAX_STREAMS_PER_CALLER = 32
# Requests per minute (weighted by RPC cost) per rate-limit tier; see server/domain/access.py.
DEFAULT_RATE_LIMITS = {"guest": 30, "standard": 100, "premium": 600, "partner": 3000,
                       "unlimited": 10_000_000}


@dataclass(frozen=True)
class Settings:
    environment: str
    grpc_host: str
    grpc_port: int
    http_port: int
    envoy_admin_port: int
    # `make run` serves the browser demo (clients/web/dist) on this port.
    web_port: int
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
    handshake_timeout_s: float
    connection_idle_s: float
    keepalive_s: float
    auto_migrate: bool
    cors_allowed_origins: tuple[str, ...]
    log_level: str
    tls_cert_file: Path | None
    tls_key_file: Path | None
    rate_limits_per_minute: dict[str, int]
    refresh_token_ttl_s: int
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...]
    jwt_issuer: str
    jwt_audience: str
    argon2_time_cost: int
    argon2_memory_kib: int
    argon2_parallelism: int
    smtp_host: str | None
    smtp_port: int
    smtp_username: str | None
    smtp_password: str | None = field(repr=False)
    smtp_sender: str
    smtp_starttls: bool
    demo_mode: bool
    demo_history_start: date
    demo_end_date: date | None
    demo_intraday_days: int
    simulator_interval_s: float
    simulator_seed: int
    stream_heartbeat_s: float
    stream_queue_size: int
    view_refresh_s: float
    intraday_retention_months: int
    workers: int
    max_concurrent_rpcs: int
    max_streams_per_caller: int
    event_loop: str
    metrics_port: int
    trading_starting_cash: Decimal
    trading_commission_rate: Decimal
    trading_vat_rate: Decimal
    trading_slippage_rate: Decimal
    matcher_interval_s: float
    finbert_model_path: Path | None
    sentiment_batch_size: int
    sentiment_threads: int
    llm_model: str | None
    llm_base_url: str
    llm_api_key: str = field(repr=False)
    llm_timeout_s: float
    llm_max_retries: int
    ai_daily_tokens: dict[str, int]
    # The variables themselves, for settings read elsewhere (JWT keys); never printed.
    source_env: Mapping[str, str] = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        environment = env.get("FINANCEHUB_ENV", "development").strip().lower()
        if environment not in {"development", "production"}:
            raise ConfigError(f"FINANCEHUB_ENV={environment!r} must be development or production")
        tls_cert = _path(env, "FINANCEHUB_TLS_CERT_FILE")
        tls_key = _path(env, "FINANCEHUB_TLS_KEY_FILE")
        if (tls_cert is None) != (tls_key is None):
            raise ConfigError("set both FINANCEHUB_TLS_CERT_FILE and FINANCEHUB_TLS_KEY_FILE, "
                              "or neither")
        pool_min = _int(env, "FINANCEHUB_DB_POOL_MIN", 1, minimum=0)
        pool_max = _int(env, "FINANCEHUB_DB_POOL_MAX", 10, minimum=1)
        if pool_max < pool_min:
            raise ConfigError("FINANCEHUB_DB_POOL_MAX must not be below FINANCEHUB_DB_POOL_MIN")
        web_port = _port(env, "FINANCEHUB_WEB_PORT", 8081)
        return cls(
            environment=environment,
            grpc_host=env.get("FINANCEHUB_GRPC_HOST", "0.0.0.0"),
            grpc_port=_port(env, "FINANCEHUB_GRPC_PORT", 50051),
            http_port=_port(env, "FINANCEHUB_HTTP_PORT", 8080),
            envoy_admin_port=_port(env, "FINANCEHUB_ENVOY_ADMIN_PORT", 9901),
            web_port=web_port,
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
            handshake_timeout_s=_positive_float(env, "FINANCEHUB_HANDSHAKE_TIMEOUT_SECONDS", 10.0),
            connection_idle_s=_positive_float(env, "FINANCEHUB_CONNECTION_IDLE_SECONDS", 300.0),
            keepalive_s=_positive_float(env, "FINANCEHUB_KEEPALIVE_SECONDS", 60.0),
            auto_migrate=_bool(env, "FINANCEHUB_AUTO_MIGRATE", True),
            cors_allowed_origins=_list(env, "FINANCEHUB_CORS_ORIGINS",
                                       default_cors_origins(web_port)),
            log_level=env.get("FINANCEHUB_LOG_LEVEL", "INFO").upper(),
            tls_cert_file=tls_cert,
            tls_key_file=tls_key,
            rate_limits_per_minute={
                tier: _int(env, f"FINANCEHUB_RATE_LIMIT_{tier.upper()}", default, minimum=1)
                for tier, default in DEFAULT_RATE_LIMITS.items()
            },
            refresh_token_ttl_s=_int(env, "FINANCEHUB_REFRESH_TOKEN_TTL_DAYS", 30,
                                     minimum=1) * 86400,
            trusted_proxies=_networks(env, "FINANCEHUB_TRUSTED_PROXIES", ("127.0.0.1", "::1")),
            jwt_issuer=env.get("FINANCEHUB_JWT_ISSUER", "https://financehub.sa"),
            jwt_audience=env.get("FINANCEHUB_JWT_AUDIENCE", "financehub-api"),
            argon2_time_cost=_int(env, "FINANCEHUB_ARGON2_TIME_COST", 3, minimum=1),
            argon2_memory_kib=_int(env, "FINANCEHUB_ARGON2_MEMORY_KIB", 65536, minimum=8),
            argon2_parallelism=_int(env, "FINANCEHUB_ARGON2_PARALLELISM", 4, minimum=1),
            smtp_host=env.get("FINANCEHUB_SMTP_HOST") or None,
            smtp_port=_port(env, "FINANCEHUB_SMTP_PORT", 587),
            smtp_username=env.get("FINANCEHUB_SMTP_USERNAME") or None,
            smtp_password=env.get("FINANCEHUB_SMTP_PASSWORD") or None,
            smtp_sender=env.get("FINANCEHUB_SMTP_FROM", "FinanceHub Pro <no-reply@financehub.sa>"),
            smtp_starttls=_bool(env, "FINANCEHUB_SMTP_STARTTLS", True),
            demo_mode=_bool(env, "FINANCEHUB_DEMO_MODE", True),
            demo_history_start=_date(env, "FINANCEHUB_DEMO_HISTORY_START") or date(2024, 1, 1),
            demo_end_date=_date(env, "FINANCEHUB_DEMO_END_DATE"),
            demo_intraday_days=_int(env, "FINANCEHUB_DEMO_INTRADAY_DAYS", 5),
            simulator_interval_s=_int(env, "FINANCEHUB_SIMULATOR_INTERVAL_MS", 500,
                                      minimum=10) / 1000,
            simulator_seed=_int(env, "FINANCEHUB_DEMO_SEED", 2026),
            stream_heartbeat_s=_float(env, "FINANCEHUB_STREAM_HEARTBEAT_SECONDS", 5.0),
            stream_queue_size=_int(env, "FINANCEHUB_STREAM_QUEUE_SIZE", 256, minimum=1),
            view_refresh_s=_float(env, "FINANCEHUB_VIEW_REFRESH_SECONDS", 60.0),
            intraday_retention_months=_int(env, "FINANCEHUB_INTRADAY_RETENTION_MONTHS", 3),
            workers=_int(env, "FINANCEHUB_WORKERS", os.cpu_count() or 1, minimum=1,
                         maximum=256),
            max_concurrent_rpcs=_int(env, "FINANCEHUB_MAX_CONCURRENT_RPCS", 4096, minimum=1),
            max_streams_per_caller=_int(env, "FINANCEHUB_MAX_STREAMS_PER_CALLER",
                                        DEFAULT_MAX_STREAMS_PER_CALLER, minimum=1),
            event_loop=_choice(env, "FINANCEHUB_EVENT_LOOP", "uvloop", ("uvloop", "asyncio")),
            metrics_port=_port(env, "FINANCEHUB_METRICS_PORT", 9464),
            trading_starting_cash=_decimal(env, "FINANCEHUB_TRADING_STARTING_CASH",
                                           Decimal("100000"), above_zero=True),
            trading_commission_rate=_decimal(env, "FINANCEHUB_TRADING_COMMISSION_RATE",
                                             Decimal("0.00155"), below_one=True),
            trading_vat_rate=_decimal(env, "FINANCEHUB_TRADING_VAT_RATE", Decimal("0.15"),
                                      below_one=True),
            trading_slippage_rate=_decimal(env, "FINANCEHUB_TRADING_SLIPPAGE_RATE",
                                           Decimal("0.0005"), below_one=True),
            matcher_interval_s=_int(env, "FINANCEHUB_MATCHER_INTERVAL_MS", 500) / 1000,
            finbert_model_path=_directory(env, "FINBERT_MODEL_PATH"),
            sentiment_batch_size=_int(env, "FINANCEHUB_SENTIMENT_BATCH_SIZE", 16, minimum=1,
                                      maximum=256),
            sentiment_threads=_int(env, "FINANCEHUB_SENTIMENT_THREADS", 1, minimum=1,
                                   maximum=64),
            llm_model=env.get("FINANCEHUB_LLM_MODEL", "").strip() or None,
            llm_base_url=(env.get("FINANCEHUB_LLM_BASE_URL", "").strip()
                          or "https://api.openai.com/v1"),
            # Local OpenAI-compatible servers take any key; the client needs one.
            llm_api_key=(env.get("FINANCEHUB_LLM_API_KEY") or env.get("OPENAI_API_KEY")
                         or "unused"),
            llm_timeout_s=_float(env, "FINANCEHUB_LLM_TIMEOUT_SECONDS", 30.0),
            llm_max_retries=_int(env, "FINANCEHUB_LLM_MAX_RETRIES", 2, maximum=10),
            ai_daily_tokens={
                tier: _int(env, f"FINANCEHUB_AI_DAILY_TOKENS_{tier.upper()}", default,
                           minimum=-1)
                for tier, default in DEFAULT_AI_DAILY_TOKENS.items()},
            source_env=dict(env),
        )


def settings_or_exit() -> Settings:
    """Settings for a command-line entry point: a bad variable ends it with status 2."""
    try:
        return Settings.from_env()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
