"""One settings object, read from the environment (prefix ``JOBPATH_``) and an optional ``.env``."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_AUDIT_KID = re.compile(r"[A-Za-z0-9._-]{1,32}")


def _check_ring(
    name: str, keys: dict[str, SecretStr], active: str | None, *, production: bool
) -> None:
    """A key ring's rules: set in production with keys of 32+ characters; the active kid is
    one of them."""
    if production:
        if not keys:
            raise ValueError(f"JOBPATH_{name}_KEYS must be set in production")
        for kid, secret in keys.items():
            if len(secret.get_secret_value()) < 32:
                raise ValueError(f"{name} key {kid!r} is shorter than 32 characters")
    if active and keys and active not in keys:
        raise ValueError(f"JOBPATH_{name}_ACTIVE_KID names no key in JOBPATH_{name}_KEYS")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JOBPATH_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("JOBPATH_DATABASE_URL", "DATABASE_URL"),
        description="sqlite+aiosqlite:///… (default, under data_dir) or postgresql+asyncpg://…",
    )

    read_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("JOBPATH_READ_DATABASE_URL", "READ_DATABASE_URL"),
        description="Optional read replica for lists, search, exports and stats.",
    )
    db_pool_pre_ping: bool = False
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_seconds: float = Field(default=3.0, gt=0)
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    db_statement_timeout_ms: int = Field(default=15_000, ge=100)
    db_idle_in_transaction_timeout_ms: int = Field(default=30_000, ge=100)
    db_retry_after_seconds: int = Field(default=5, ge=1)

    jwt_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='JSON object {"kid": "secret", ...}; the first (or jwt_active_kid) signs, '
        "all verify. Required in production; generated under data_dir otherwise.",
    )
    jwt_active_kid: str | None = None
    jwt_issuer: str = "jobpath"
    jwt_audience: str = "jobpath-app"
    access_token_minutes: int = Field(default=15, ge=1, le=120)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    refresh_reuse_grace_seconds: int = Field(default=60, ge=0, le=600)

    audit_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description='JSON object {"kid": "secret", ...}: the keys that seal the audit chain '
        "(HMAC-SHA256) and sign its checkpoints; the first (or audit_active_kid) seals, all "
        "verify. Keep them outside the database. Required in production; generated under "
        "data_dir otherwise.",
    )
    audit_active_kid: str | None = None
    audit_checkpoint_every: int = Field(
        default=1000,
        ge=0,
        description="Seal a signed checkpoint of the audit chain each time its entry ids pass a "
        "multiple of this (0: only on demand).",
    )

    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    login_lockout_seconds: int = Field(default=60, ge=1)
    login_max_lockout_seconds: int = Field(default=3600, ge=1)

    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_kib: int = Field(default=19_456, ge=8)
    argon2_parallelism: int = Field(default=1, ge=1)
    password_min_score: int = Field(
        default=3, ge=1, le=4, description="Least zxcvbn score (of 0-4) a new password needs."
    )

    idempotency_ttl_hours: int = Field(default=24, ge=1)
    stable_employment_days: int = Field(default=180, ge=1)
    utc_offset_hours: int = Field(
        default=8,
        ge=-12,
        le=14,
        description="The programme's time zone as hours from UTC: the latest day a user may "
        "enter as today (China, no daylight saving: 8).",
    )
    follow_up_months: list[int] = Field(default_factory=lambda: [1, 3, 6, 12])
    agenda_unvisited_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="The agenda lists a labourer not visited for this many days (or never "
        "visited and registered longer ago).",
    )
    agenda_enrolment_ending_days: int = Field(
        default=7,
        ge=0,
        le=365,
        description="The agenda lists an enrolment whose session ends within this many days.",
    )
    attachment_dir: Path | None = Field(
        default=None, description="Where evidence files are kept (default: data_dir/attachments)."
    )
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    unpaid_alert_days: int = Field(default=30, ge=1)
    shared_contact_alert_workers: int = Field(default=3, ge=2)
    import_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    import_max_rows: int = Field(
        default=100_000, ge=1, description="Rows under the header, blank rows included."
    )
    import_max_columns: int = Field(default=64, ge=16, le=16_384)
    import_max_cell_chars: int = Field(default=32_767, ge=256)  # Excel's own cell limit
    import_max_unzipped_bytes: int = Field(
        default=128 * 1024 * 1024, ge=1024 * 1024, description="An XLSX's members, unzipped."
    )
    import_max_zip_ratio: int = Field(default=100, ge=10)
    import_max_zip_members: int = Field(default=1_000, ge=16)
    demo_password: SecretStr | None = None

    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of the reverse proxies whose X-Forwarded-For "
        "and X-Forwarded-Proto are believed, comma-separated; none by default.",
    )
    docs_enabled: bool | None = Field(
        default=None,
        description="Serve /docs, /redoc and /openapi.json (default: on outside production).",
    )
    json_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    body_idle_timeout_seconds: float = Field(default=20.0, gt=0)
    body_timeout_seconds: float = Field(default=300.0, gt=0)
    compression_min_bytes: int = Field(
        default=500,
        ge=0,
        description="Answers at least this long are compressed (gzip, Brotli or Zstandard, as "
        "the client's Accept-Encoding allows); shorter ones gain too little to be worth it.",
    )

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _defaults_and_production_rules(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'jobpath.db'}"
        production = self.environment == "production"
        _check_ring("JWT", self.jwt_keys, self.jwt_active_kid, production=production)
        _check_ring("AUDIT", self.audit_keys, self.audit_active_kid, production=production)
        for kid in self.audit_keys:
            # Each audit entry and checkpoint records the kid that sealed it (32 characters).
            if not _AUDIT_KID.fullmatch(kid):
                raise ValueError(f"audit key id {kid!r} is not 1-32 letters, digits, . _ -")
        return self

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: object) -> object:
        # A typo must not silently trust nobody, or everybody: each entry has to parse.
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            return value
        networks = []
        for item in (str(i).strip() for i in items):
            if item == "*":
                raise ValueError("name the proxies' addresses; '*' would trust every client")
            if item:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
        return networks

    @model_validator(mode="after")
    def _docs_default(self) -> Settings:
        if self.docs_enabled is None:
            self.docs_enabled = self.environment != "production"
        return self

    @property
    def attachments_path(self) -> Path:
        return self.attachment_dir or self.data_dir / "attachments"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()
