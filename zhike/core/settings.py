"""Typed settings read from ``ZHIKE_*`` environment variables and ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    database_role: str | None = Field(
        default=None,
        description="PostgreSQL role to SET after connecting, so row-level security applies",
    )
    database_lock_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="seconds a statement waits for another transaction's lock before the "
        "request fails with 503 database_busy (SQLite busy timeout, PostgreSQL lock_timeout)",
    )
    # A development default; check_production_ready() rejects it in production.
    secret_key: str = "dev-secret-key"  # noqa: S105
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
    import_sqlite_cache_mib: int = Field(
        default=256,
        ge=2,
        le=4096,
        description="SQLite page cache of the connection that runs an import, in MiB",
    )
    import_defer_indexes_rows: int = Field(
        default=10_000,
        ge=0,
        description="on SQLite, an import step expected to bring at least this many rows, and "
        "no fewer than the table holds, builds the table's secondary indexes once at its end "
        "instead of row by row; 0 never does",
    )
    max_cell_bytes: int = Field(
        default=65_536, ge=1024, description="longest accepted import cell, in bytes"
    )
    data_dir: Path = Path("var")
    web_ui: bool = Field(
        default=True,
        description="serve the built web UI at / when present; off keeps the small landing page",
    )
    password_hash_time_cost: int = Field(default=3, ge=1, description="Argon2id passes")
    password_hash_memory_kib: int = Field(
        default=65_536, ge=8, description="Argon2id memory per hash, in KiB"
    )
    password_hash_parallelism: int = Field(default=4, ge=1, description="Argon2id lanes")
    # Authentication; a tenant's security policy (Tenant.settings["security"]) can tighten these.
    cookie_secure: bool = Field(
        default=True, description="send session cookies only over HTTPS; off for http://localhost"
    )
    cookie_samesite: Literal["lax", "strict"] = "lax"
    session_idle_minutes: int = Field(
        default=120, ge=1, description="a login unused this long ends"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="CIDRs of reverse proxies whose X-Forwarded-For is believed",
    )
    redis_url: str | None = Field(
        default=None, description="Redis for shared rate-limit counters; memory when unset"
    )
    jobs_redis_url: str | None = Field(
        default=None,
        description="Redis for the background job queue; an SQLite file in data_dir when unset",
    )
    max_request_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="largest JSON or form request body"
    )
    max_upload_bytes: int = Field(
        default=200 * 1024 * 1024, ge=1024, description="largest multipart upload (imports, files)"
    )
    embedded_worker: bool = Field(
        default=True,
        description="with the SQLite job queue, run background jobs inside the server process",
    )
    rate_limit_tenant_per_minute: int = Field(default=6000, ge=0, description="0 turns it off")
    rate_limit_user_per_minute: int = Field(default=1200, ge=0, description="0 turns it off")
    rate_limit_key_per_minute: int = Field(default=1200, ge=0, description="0 turns it off")
    rate_limit_ip_per_minute: int = Field(default=0, ge=0, description="0 turns it off")
    login_failures_per_ip: int = Field(
        default=100, ge=1, description="failed logins per IP in 10 minutes before throttling"
    )
    # Outgoing mail for reminders and notifications to users (not marketing sends).
    smtp_host: str | None = Field(
        default=None, description="SMTP server; no reminder mail when unset"
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = Field(default=False, description="upgrade the connection with STARTTLS")
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = Field(default="zhike@localhost", description="From address of reminder mail")

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
        """Raise when a production process would start with a placeholder secret or weak hashing."""
        if self.environment == "production" and self.password_hash_memory_kib < 19_456:
            raise ValueError(
                "ZHIKE_PASSWORD_HASH_MEMORY_KIB is below 19456 (19 MiB), the least OWASP "
                "recommends for Argon2id; raise it before running in production"
            )
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
