"""Settings come from ZHIKE_* variables and .env; production refuses placeholder secrets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhike.api.app import create_app
from zhike.cli import app
from zhike.core.settings import Settings, get_settings, reset_settings_cache


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No ZHIKE_* variables and an empty working folder, restored afterwards."""
    import os

    for name in list(os.environ):
        if name.startswith("ZHIKE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    reset_settings_cache()
    yield tmp_path
    reset_settings_cache()


def test_defaults_without_environment(clean_environment: Path) -> None:
    settings = Settings()

    assert settings.environment == "development"
    assert settings.database_url == "sqlite:///./var/zhike.db"
    assert settings.default_locale == "zh-CN"
    assert settings.default_timezone == "Asia/Shanghai"
    assert settings.model_fields_set == set()


def test_environment_variables_override_defaults(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIKE_PORT", "9100")
    monkeypatch.setenv("ZHIKE_DATABASE_URL", "postgresql://crm@db.internal/zhike")

    settings = get_settings()

    assert settings.port == 9100
    assert settings.database_url == "postgresql+psycopg://crm@db.internal/zhike"
    assert settings.is_sqlite is False


def test_dotenv_file_is_read_and_environment_wins(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_environment / ".env").write_text(
        "ZHIKE_LOG_LEVEL=DEBUG\nZHIKE_PORT=8100\n", encoding="utf-8"
    )
    monkeypatch.setenv("ZHIKE_PORT", "8200")

    settings = Settings()

    assert settings.log_level == "DEBUG"
    assert settings.port == 8200


def test_unsupported_database_url_names_the_value(clean_environment: Path) -> None:
    with pytest.raises(ValueError, match="unsupported ZHIKE_DATABASE_URL 'mysql://x/y'"):
        Settings(database_url="mysql://x/y")


@pytest.mark.parametrize("secret", ["", "change-me", "dev-secret-key"])
def test_production_with_placeholder_secret_is_refused(
    clean_environment: Path, secret: str
) -> None:
    settings = Settings(environment="production", secret_key=secret)

    with pytest.raises(ValueError, match="ZHIKE_SECRET_KEY is a placeholder"):
        settings.check_production_ready()


def test_production_with_real_secret_is_accepted(clean_environment: Path) -> None:
    Settings(environment="production", secret_key="k" * 48).check_production_ready()


def test_app_refuses_to_start_in_production_with_placeholder_secret(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIKE_ENVIRONMENT", "production")

    with pytest.raises(ValueError, match="ZHIKE_SECRET_KEY is a placeholder"):
        create_app()


def test_cli_refuses_to_start_in_production_with_placeholder_secret(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_file = clean_environment / "prod.db"
    monkeypatch.setenv("ZHIKE_ENVIRONMENT", "production")
    monkeypatch.setenv("ZHIKE_DATABASE_URL", f"sqlite:///{database_file}")

    result = CliRunner().invoke(app, ["db", "upgrade"])

    assert result.exit_code == 1
    assert "ZHIKE_SECRET_KEY is a placeholder" in result.output
    assert not database_file.exists()
