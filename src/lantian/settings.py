"""Typed settings, read from ``LANTIAN_*`` environment variables (and a ``.env`` file).

``LANTIAN_HOME`` is the one directory where the platform keeps everything it stores:
the embedded SQLite database, the Parquet measurement lake, the raw HJ 212 archive,
the gateway's write-ahead log and uploads.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Effective settings of one Lantian process."""

    model_config = SettingsConfigDict(env_prefix="LANTIAN_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path("./var"), description="directory for all stored data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the operational database; default SQLite in LANTIAN_HOME",
    )
    host: str = Field(default="127.0.0.1", description="web bind address")
    port: int = Field(default=8000, description="web port")
    gateway_host: str = Field(default="127.0.0.1", description="HJ 212 gateway bind address")
    gateway_port: int = Field(default=9212, description="HJ 212 gateway TCP port")
    gateway_metrics_port: int = Field(
        default=9213,
        description="HTTP port of the gateway's Prometheus /metrics and JSON /status",
    )
    gateway_metrics_host: str = Field(
        default="127.0.0.1",
        description="bind address of /metrics and /status; not loopback needs a status token",
    )
    gateway_status_token: SecretStr | None = Field(
        default=None, description="bearer token required on /metrics and /status when set"
    )
    gateway_max_conns_per_ip: int = Field(
        default=256, ge=1, description="simultaneous gateway connections from one address"
    )
    gateway_first_frame_timeout_s: float = Field(
        default=60.0, gt=0, description="seconds a connection may stay without a valid frame"
    )
    gateway_ip_window_s: float = Field(
        default=60.0, gt=0, description="window of the per-address byte and unknown-MN limits"
    )
    gateway_ip_max_bytes: int = Field(
        default=64 << 20, ge=1, description="bytes one address may send per window"
    )
    gateway_ip_max_unknown: int = Field(
        default=600, ge=0, description="unknown-MN frames kept from one address per window"
    )
    gateway_quarantine_mb: float = Field(
        default=64.0, gt=0, description="size of the rotating unknown-MN quarantine area (MB)"
    )
    gateway_quarantine_mns: int = Field(
        default=1000, ge=1, description="most MNs listed in the quarantine list"
    )
    gateway_min_free_mb: float = Field(
        default=512.0, ge=0, description="free disk space below which the gateway stops taking data"
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""), description="session signing key; random per start when empty"
    )
    demo_password: SecretStr | None = Field(
        default=None, description="password of the demo accounts; random when unset"
    )
    language: str = Field(default="zh_CN", description="default UI language (zh_CN or en)")
    tile_url: str = Field(
        default="", description="map tile URL template; empty = offline basemap only"
    )
    rules_config: Path | None = Field(
        default=None, description="TOML file with rule parameter overrides"
    )
    visibility_policy: Path | None = Field(
        default=None,
        description="TOML file: when an enterprise sees a lead, per province (auth/policy.py)",
    )
    supervision_config: Path | None = Field(
        default=None, description="TOML file overriding the differentiated-supervision defaults"
    )
    penalty_config: Path | None = Field(
        default=None,
        description="TOML file or directory of penalty sets (lists, 裁量基准) to use",
    )
    questions_config: Path | None = Field(
        default=None,
        description="TOML file: response-time targets of questions (咨询) per province",
    )
    survey_form: Path | None = Field(
        default=None, description="TOML file: the satisfaction survey's questions"
    )
    scoring_config: Path | None = Field(
        default=None, description="TOML file: terms and weights of work-group scoring"
    )
    disclosure_config: Path | None = Field(
        default=None,
        description="TOML file: what the public disclosure page publishes (信息公开)",
    )
    qc_config: Path | None = Field(
        default=None,
        description="TOML file: remote quality-control tolerances and schedule (远程质控)",
    )
    spot_check_share: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="share of closed cases drawn for spot-check review (抽查复核), 0..1",
    )
    immediate_fix_working_days: int = Field(
        default=3,
        ge=1,
        le=30,
        description="working days (Mon-Fri CST, holidays not handled) a 立行立改 has before it "
        "escalates and becomes 督办",
    )
    converted_order_working_days: int = Field(
        default=10,
        ge=1,
        le=90,
        description="working days of the 督办 deadline when an overdue or rejected 立行立改 "
        "becomes 督办",
    )
    selfcheck_interval_days: int = Field(
        default=90,
        ge=1,
        description="days after an enterprise's last submitted self-check (自查) before the "
        "next scheduled one is due (90: quarterly)",
    )
    hazard_reply_working_days: int = Field(
        default=10,
        ge=1,
        le=90,
        description="working days (Mon-Fri CST) an enterprise has to reply to a 隐患提示函",
    )
    onsite_gps_warn_m: float = Field(
        default=1000.0,
        gt=0,
        description="distance (m) between an on-site record's GPS position and the site "
        "beyond which the record carries a warning",
    )
    future_margin_h: float = Field(
        default=1.0,
        ge=0,
        le=48,
        description=(
            "hours a measurement's data time may lie ahead of now (CST) before it is "
            "quarantined and kept from detection (a wrong logger clock, a forged packet)"
        ),
    )
    audit_key: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "key of the audit log's HMAC chain and checkpoints (at least 32 characters); "
            "empty = the key file LANTIAN_HOME/audit.key (mode 0600, created on first use)"
        ),
    )
    jobs_interval_s: float = Field(
        default=900.0,
        ge=0,
        description=(
            "seconds between runs of the scheduled jobs (overdue escalation, recurrence "
            "reopening, login-attempt pruning) in the web process; 0 = off "
            "(then run `lantian jobs run` from cron)"
        ),
    )

    trusted_proxies: str = Field(
        default="",
        description=(
            "comma-separated addresses/CIDRs of reverse proxies whose X-Forwarded-For and "
            "X-Forwarded-Proto are believed; empty = none (the direct peer is the client)"
        ),
    )
    cookie_secure: bool = Field(
        default=False,
        description="always mark cookies Secure and send HSTS (set behind a TLS proxy)",
    )
    http_header_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="seconds a client has to send a request head"
    )
    http_body_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="longest pause in a request body, and grace time before a minimum rate",
    )

    smtp_url: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "SMTP server of e-mail notifications, smtp://user:pass@host:port?starttls=1 "
            "(smtps:// for TLS from the start); empty = e-mail not sent (kept in the outbox)"
        ),
    )
    smtp_from: str = Field(
        default="蓝天 <lantian@localhost>", description="From address of notification e-mail"
    )
    webhook_wecom_url: SecretStr = Field(
        default=SecretStr(""), description="WeCom (企业微信) group robot webhook URL (with key)"
    )
    webhook_dingtalk_url: SecretStr = Field(
        default=SecretStr(""), description="DingTalk group robot webhook URL (with access_token)"
    )
    webhook_dingtalk_secret: SecretStr = Field(
        default=SecretStr(""), description="DingTalk robot signing secret (SEC…); empty = unsigned"
    )
    webhook_url: str = Field(
        default="", description="generic JSON webhook receiving notifications (signed)"
    )
    webhook_secret: SecretStr = Field(
        default=SecretStr(""),
        description="HMAC-SHA256 key of the generic webhook's X-Lantian-Signature header",
    )
    notify_interval_s: float = Field(
        default=30.0,
        ge=0,
        description="seconds between outbox deliveries in the web process; 0 = off "
        "(then run `lantian notify send` from cron)",
    )
    digest_load_change_pct: float = Field(
        default=30.0,
        gt=0,
        description="day-over-day change of an enterprise's emission load (%) the digest flags",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        import ipaddress

        for item in (v.strip() for v in value.split(",")):
            if not item:
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"LANTIAN_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR"
                ) from exc
        return value

    @property
    def resolved_home(self) -> Path:
        """``home`` as an absolute path (not created)."""
        return self.home.expanduser().resolve()

    @property
    def effective_database_url(self) -> str:
        """The database URL in use: ``database_url`` or SQLite at ``LANTIAN_HOME/lantian.db``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_home / 'lantian.db'}"

    @property
    def lake_dir(self) -> Path:
        """Root of the Parquet measurement lake."""
        return self.resolved_home / "lake"

    @property
    def archive_dir(self) -> Path:
        """Root of the raw HJ 212 packet archive (hash-chained daily segments)."""
        return self.resolved_home / "archive"

    @property
    def wal_dir(self) -> Path:
        """Gateway write-ahead log directory."""
        return self.resolved_home / "wal"

    @property
    def uploads_dir(self) -> Path:
        """Uploaded files (photos, rectification evidence)."""
        return self.resolved_home / "uploads"

    @property
    def reports_dir(self) -> Path:
        """Archived periodic reports (PDF and Excel, named by their SHA-256)."""
        return self.resolved_home / "reports"

    def ensure_home(self) -> Path:
        """Create ``LANTIAN_HOME`` and its sub-directories; return the absolute home."""
        home = self.resolved_home
        for sub in (home, self.lake_dir, self.archive_dir, self.wal_dir, self.uploads_dir):
            sub.mkdir(parents=True, exist_ok=True)
        return home

    def masked(self) -> dict[str, Any]:
        """Effective settings as a dict with secrets and database passwords masked."""
        from sqlalchemy.engine import make_url

        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        url = make_url(self.effective_database_url)
        out["database_url"] = url.render_as_string(hide_password=True)
        out["home"] = str(self.resolved_home)
        return out


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; call ``get_settings.cache_clear()`` in tests)."""
    return Settings()
