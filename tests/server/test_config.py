"""Settings: environment variables, and a refusal to run production on a weak secret."""

from __future__ import annotations

import secrets

import pytest
from pydantic import SecretStr, ValidationError

from server.cli import main
from server.core.config import (
    DEVELOPMENT_SECRET_KEY,
    Environment,
    LogFormat,
    Settings,
    nats_servers,
)


def test_reads_labshare_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABSHARE_DATABASE_URL", "postgresql+psycopg://u@db:5433/x")
    monkeypatch.setenv("LABSHARE_MQTT_PORT", "8883")
    monkeypatch.setenv("LABSHARE_INGEST_ENABLED", "false")
    monkeypatch.setenv("LABSHARE_LOG_FORMAT", "console")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u@db:5433/x"
    assert settings.mqtt_port == 8883
    assert settings.ingest_enabled is False
    assert settings.log_format is LogFormat.CONSOLE
    assert settings.environment is Environment.DEVELOPMENT


@pytest.mark.parametrize("environment", [Environment.PRODUCTION, Environment.TEST])
@pytest.mark.parametrize("secret", [DEVELOPMENT_SECRET_KEY, "", "short-but-not-empty"])
def test_outside_development_a_weak_secret_is_refused(
    secret: str, environment: Environment
) -> None:
    with pytest.raises(ValidationError, match="LABSHARE_SECRET_KEY"):
        Settings(environment=environment, secret_key=SecretStr(secret))


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("changeme" * 4, "repeats a shorter pattern"),
        ("x" * 48, "repeats a shorter pattern"),
        ("ab" * 20 + "c", "uses fewer than 10 distinct characters"),
        ("a" * 40 + "0123456789", "looks guessable"),
        ("abcdefghijklmnopqrstuvwxyz0123456789", "looks guessable"),
        ("qwertyuiopasdfghjklzxcvbnm1234567890", "looks guessable"),
        ("Password1Password2Password3Password4", "looks guessable"),
        ("my-production-secret-key-2024-labshare!!", "looks guessable"),
    ],
)
def test_production_refuses_a_long_but_guessable_secret(secret: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=f"LABSHARE_SECRET_KEY {reason}"):
        Settings(environment=Environment.PRODUCTION, secret_key=SecretStr(secret))


@pytest.mark.parametrize(
    "secret",
    [
        secrets.token_urlsafe(48),
        secrets.token_urlsafe(32),
        secrets.token_hex(32),
        "labshare-" + secrets.token_urlsafe(32),
    ],
    # Named, not shown: the values are new on every collection, and parallel workers must
    # collect the same test ids.
    ids=["urlsafe-48", "urlsafe-32", "hex-32", "prefixed-urlsafe-32"],
)
def test_production_accepts_a_long_random_secret(secret: str) -> None:
    settings = Settings(environment=Environment.PRODUCTION, secret_key=SecretStr(secret))
    assert settings.secret_key.get_secret_value() == secret


def test_test_environment_keeps_readable_fixed_keys() -> None:
    key = "cli-test-secret-key-long-enough-0123456789"
    assert Settings(environment=Environment.TEST, secret_key=SecretStr(key))
    with pytest.raises(ValidationError, match="looks guessable"):
        Settings(environment=Environment.PRODUCTION, secret_key=SecretStr(key))


def test_development_runs_on_the_default_secret() -> None:
    assert Settings(environment=Environment.DEVELOPMENT).secret_key.get_secret_value()


def test_invalid_value_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABSHARE_MQTT_PORT", "not-a-port")
    with pytest.raises(ValidationError, match="mqtt_port"):
        Settings()


def test_cli_reports_weak_production_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LABSHARE_ENVIRONMENT", "production")
    monkeypatch.delenv("LABSHARE_SECRET_KEY", raising=False)
    assert main(["migrate"]) == 2
    assert "LABSHARE_SECRET_KEY" in capsys.readouterr().err


def test_demo_gateway_secret_must_be_given_in_production() -> None:
    settings = Settings(
        environment=Environment.PRODUCTION, secret_key=SecretStr(secrets.token_urlsafe(48))
    )
    with pytest.raises(ValueError, match="LABSHARE_DEMO_GATEWAY_SECRET"):
        settings.demo_gateway_secret_value()
    assert Settings().demo_gateway_secret_value() == "demo-gateway-secret"


def test_nats_url_lists_servers_and_a_bad_one_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(nats_url="nats://10.0.0.1:4222, 10.0.0.2:4222")
    assert nats_servers(settings.nats_url or "") == [
        "nats://10.0.0.1:4222",
        "nats://10.0.0.2:4222",
    ]
    assert Settings().nats_url is None, "unset: MQTT ingest, as before"
    assert Settings(nats_url="  ").nats_url is None
    monkeypatch.setenv("LABSHARE_NATS_URL", "nats://10.0.0.1:4222,10.0.0.2")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "LABSHARE_NATS_URL: '10.0.0.2' is not a NATS server address" in err
