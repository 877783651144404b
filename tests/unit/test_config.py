"""server.config.Settings.from_env: defaults and validation."""

import os
from pathlib import Path

import pytest

from server.config import REPO_ROOT, ConfigError, Settings


def test_defaults_from_an_empty_environment():
    settings = Settings.from_env({})
    assert settings.environment == "development"
    assert settings.grpc_host == "0.0.0.0"
    assert settings.grpc_port == 50051
    assert settings.http_port == 8080
    assert settings.envoy_admin_port == 9901
    assert settings.auto_migrate is True
    assert settings.database_url is None
    assert settings.read_replica_url is None
    assert settings.redis_url is None
    assert settings.database_name == "financehub"
    assert settings.data_dir == REPO_ROOT / ".data"
    assert (settings.db_pool_min_size, settings.db_pool_max_size) == (1, 10)
    assert settings.db_statement_timeout_ms == 5000
    assert settings.redis_timeout_s == 0.25
    assert settings.shutdown_grace_s == 10.0
    assert settings.cors_allowed_origins == ("http://localhost:8080", "http://127.0.0.1:8080",
                                             "http://localhost:8081", "http://127.0.0.1:8081")
    assert settings.web_port == 8081
    assert settings.log_level == "INFO"


def test_repo_root_is_the_checkout():
    assert (REPO_ROOT / "server" / "config.py").is_file()


def test_values_are_read_and_converted():
    settings = Settings.from_env({
        "FINANCEHUB_ENV": " Production ",
        "FINANCEHUB_GRPC_PORT": "6000",
        "FINANCEHUB_HTTP_PORT": "",            # empty means default
        "FINANCEHUB_AUTO_MIGRATE": "Off",
        "FINANCEHUB_DB_POOL_MIN": "2",
        "FINANCEHUB_DB_POOL_MAX": "2",
        "FINANCEHUB_REDIS_TIMEOUT_SECONDS": "1.5",
        "FINANCEHUB_CORS_ORIGINS": " https://a.example , ,https://b.example",
        "FINANCEHUB_LOG_LEVEL": "debug",
        "FINANCEHUB_DATA_DIR": "/tmp/fh",
        "DATABASE_URL": "",                    # empty means unset
        "REDIS_URL": "redis://localhost:6379/0",
    })
    assert settings.environment == "production"
    assert settings.grpc_port == 6000
    assert settings.http_port == 8080
    assert settings.auto_migrate is False
    assert (settings.db_pool_min_size, settings.db_pool_max_size) == (2, 2)
    assert settings.redis_timeout_s == 1.5
    assert settings.cors_allowed_origins == ("https://a.example", "https://b.example")
    assert settings.log_level == "DEBUG"
    assert settings.data_dir == Path("/tmp/fh")
    assert settings.database_url is None
    assert settings.redis_url == "redis://localhost:6379/0"


def test_the_default_cors_origins_follow_the_web_port():
    settings = Settings.from_env({"FINANCEHUB_WEB_PORT": "9000"})
    assert settings.web_port == 9000
    assert settings.cors_allowed_origins == ("http://localhost:8080", "http://127.0.0.1:8080",
                                             "http://localhost:9000", "http://127.0.0.1:9000")


def test_empty_cors_list_means_no_origins():
    assert Settings.from_env({"FINANCEHUB_CORS_ORIGINS": ""}).cors_allowed_origins == ()


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("TRUE", True), ("yes", True),
                                               ("on", True), ("0", False), ("false", False),
                                               ("No", False), ("", True)])
def test_auto_migrate_booleans(raw, expected):
    assert Settings.from_env({"FINANCEHUB_AUTO_MIGRATE": raw}).auto_migrate is expected


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"FINANCEHUB_GRPC_PORT": "abc"}, "FINANCEHUB_GRPC_PORT"),
        ({"FINANCEHUB_GRPC_PORT": "-1"}, "FINANCEHUB_GRPC_PORT"),
        ({"FINANCEHUB_HTTP_PORT": "80.5"}, "FINANCEHUB_HTTP_PORT"),
        ({"FINANCEHUB_AUTO_MIGRATE": "maybe"}, "FINANCEHUB_AUTO_MIGRATE"),
        ({"FINANCEHUB_DB_POOL_MIN": "5", "FINANCEHUB_DB_POOL_MAX": "4"}, "FINANCEHUB_DB_POOL_MAX"),
        ({"FINANCEHUB_DB_POOL_MIN": "11"}, "FINANCEHUB_DB_POOL_MAX"),  # above the default max
        ({"FINANCEHUB_DB_POOL_MAX": "0"}, "FINANCEHUB_DB_POOL_MAX"),
        ({"FINANCEHUB_DB_POOL_MIN": "-1"}, "FINANCEHUB_DB_POOL_MIN"),
        ({"FINANCEHUB_ENV": "staging"}, "FINANCEHUB_ENV"),
        ({"FINANCEHUB_WORKERS": "0"}, "FINANCEHUB_WORKERS"),
        ({"FINANCEHUB_MAX_CONCURRENT_RPCS": "0"}, "FINANCEHUB_MAX_CONCURRENT_RPCS"),
        ({"FINANCEHUB_EVENT_LOOP": "trio"}, "FINANCEHUB_EVENT_LOOP"),
        ({"FINANCEHUB_METRICS_PORT": "99999"}, "FINANCEHUB_METRICS_PORT"),
        ({"FINANCEHUB_REDIS_TIMEOUT_SECONDS": "fast"}, "FINANCEHUB_REDIS_TIMEOUT_SECONDS"),
        ({"FINANCEHUB_SHUTDOWN_GRACE_SECONDS": "-2"}, "FINANCEHUB_SHUTDOWN_GRACE_SECONDS"),
        ({"FINANCEHUB_DB_STATEMENT_TIMEOUT_MS": "5s"}, "FINANCEHUB_DB_STATEMENT_TIMEOUT_MS"),
    ],
)
def test_bad_values_raise_config_error_naming_the_variable(env, variable):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert variable in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_error_quotes_the_bad_value():
    with pytest.raises(ConfigError, match="'abc'"):
        Settings.from_env({"FINANCEHUB_GRPC_PORT": "abc"})
    with pytest.raises(ConfigError, match="staging"):
        Settings.from_env({"FINANCEHUB_ENV": "staging"})


@pytest.mark.parametrize("name", ["FINANCEHUB_GRPC_PORT", "FINANCEHUB_HTTP_PORT",
                                  "FINANCEHUB_ENVOY_ADMIN_PORT"])
def test_port_above_65535_is_refused(name):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: "70000"})


@pytest.mark.parametrize("raw", ["nan", "inf"])
def test_non_finite_seconds_are_refused(raw):
    with pytest.raises(ConfigError, match="FINANCEHUB_REDIS_TIMEOUT_SECONDS"):
        Settings.from_env({"FINANCEHUB_REDIS_TIMEOUT_SECONDS": raw})


def test_serving_defaults_one_worker_per_core_on_uvloop() -> None:
    settings = Settings.from_env({})
    assert settings.workers == (os.cpu_count() or 1)
    assert settings.event_loop == "uvloop"
    assert settings.metrics_port == 9464
    assert Settings.from_env({"FINANCEHUB_EVENT_LOOP": "AsyncIO"}).event_loop == "asyncio"
