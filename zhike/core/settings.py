"""Typed settings read from ``ZHIKE_*`` environment variables and ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev-secret-key"})


class Settings(BaseSettings):
    """Runtime configuration of one Zhike process."""

    model_config = SettingsConfigDict(
        env_prefix="ZHIKE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: str = Field(default="development", description="development, test or production")
    database_url: str = "sqlite:///./var/zhike.db"
    secret_key: str = "dev-secret-key"
    default_timezone: str = "Asia/Shanghai"
    default_currency: str = "CNY"
    default_locale: str = "zh-CN"
    default_region: str = "CN"
    log_level: str = "INFO"
    log_json: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: int = Field(default=12, ge=1, description="lifetime of a login token, in hours")
    import_batch_size: int = Field(default=2000, ge=1, le=100_000)
    max_cell_bytes: int = Field(
        default=65_536, ge=1024, description="longest accepted import cell, in bytes"
    )
    data_dir: Path = Path("var")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError(
                f"unsupported ZHIKE_DATABASE_URL {value!r}: use sqlite:///PATH "
                "or postgresql+psycopg://USER@HOST/DB"
            )
        if value.startswith("postgresql:"):
            value = "postgresql+psycopg:" + value.removeprefix("postgresql:")
        return value

    def check_production_ready(self) -> None:
        """Raise when a production process would start with a placeholder secret."""
        if self.environment == "production" and self.secret_key in PLACEHOLDER_SECRETS:
            raise ValueError(
                "ZHIKE_SECRET_KEY is a placeholder; set a random value of at least 32 characters "
                "before running with ZHIKE_ENVIRONMENT=production"
            )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Forget the cached settings so the next call reads the environment again."""
    get_settings.cache_clear()
