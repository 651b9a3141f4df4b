"""Settings: read once from ``MARKETLINK_*`` variables at start, validated, passed explicitly.

Nothing else in the package reads ``os.environ``. A bad value stops the process with the name of
the variable at fault (:func:`load_settings` raises :class:`SettingsError`).
"""

import base64
import binascii
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from marketlink.errors import SettingsError

ENV_PREFIX = "MARKETLINK_"
SECRET_KEY_FILE = "marketlink.key"
SECRET_KEY_BYTES = 32


class Settings(BaseSettings):
    """Every tunable of MarketLink. Field ``x`` is read from ``MARKETLINK_X``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    database_url: str = "sqlite+aiosqlite:///./marketlink.db"
    base_url: str = "http://127.0.0.1:8000"
    data_dir: Path = Path(".")
    secret_key: str | None = Field(default=None, repr=False)
    # Encryption keys for secrets at rest, comma-separated base64url (>= 32 bytes each): the
    # first encrypts, all decrypt (docs/adr/0004). Unset: a key derived from secret_key.
    encryption_keys: str | None = Field(default=None, repr=False)
    partner: str = Field(default="MARKETLINK", min_length=1, max_length=64)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Addresses of reverse proxies whose X-Forwarded-For / -Proto `serve` believes (uvicorn's
    # forwarded_allow_ips: comma-separated IPs or networks, "*" for any). Empty: none, not even
    # loopback, so a client cannot pick its own address for the per-address throttles.
    forwarded_allow_ips: str = ""
    # How long `serve` keeps an idle HTTP connection open: longer than a load balancer's idle
    # timeout (60 s at most clouds), so the balancer, not we, closes first and never sends a
    # request on a connection we are closing (uvicorn's own default is 5 s).
    keep_alive_s: int = Field(default=75, ge=1, le=3600)
    # glibc's mmap threshold for `serve` and `worker` (bytes; 0 leaves glibc's own, dynamic one).
    # Allocations above it get their own mapping, given back when freed, so asyncio's 256 KiB
    # socket read buffers do not fragment the heap and RSS stays flat (docs/operations.md).
    malloc_mmap_threshold: int = Field(default=131_072, ge=0, le=32 * 1_048_576)
    allow_private_urls: bool = False
    introspection: bool = True
    log_level: str = "INFO"
    log_json: bool = False
    # Request limits of the GraphQL endpoint.
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    max_query_depth: int = Field(default=12, ge=2, le=100)
    max_aliases: int = Field(default=30, ge=1, le=1000)
    max_tokens: int = Field(default=4000, ge=100, le=100_000)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # Outbound HTTP (delivery to product hosts).
    http_timeout_s: float = Field(default=10.0, gt=0, le=300)
    http_connect_timeout_s: float = Field(default=5.0, gt=0, le=60)
    max_answer_bytes: int = Field(default=262_144, ge=1024, le=16 * 1_048_576)
    http_connections_per_host: int = Field(default=4, ge=1, le=100)
    # Delivery: retries after transport errors (seconds, as a JSON list), jitter as a share of
    # each delay, the bound on a host's Retry-After, the worker's lease and batch.
    retry_schedule_s: tuple[float, ...] = (5, 30, 120, 600, 1800, 3600, 7200, 14400)
    retry_jitter: float = Field(default=0.2, ge=0, le=1)
    retry_after_max_s: float = Field(default=3600, ge=0, le=86_400)
    lease_s: float = Field(default=60, gt=0, le=3600)
    run_worker: bool = True  # deliver events inside `marketlink serve`
    # GET /metrics on `serve` (turn off where the port is public and no proxy blocks the path),
    # and the port a `marketlink worker` serves its /metrics on (none: no HTTP at all).
    metrics_enabled: bool = True
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    demo_host: bool = False  # serve the demo product host under /demo/product-host/ (make run)
    worker_batch_size: int = Field(default=20, ge=1, le=1000)
    worker_poll_s: float = Field(default=1.0, gt=0, le=300)  # when nothing wakes the worker
    pending_timeout_s: float = Field(default=7 * 86_400, gt=0, le=90 * 86_400)
    # A result posted while its notification is still being recorded waits this long for it.
    result_wait_s: float = Field(default=2.0, ge=0, le=30)
    # Bounds on what grows.
    max_inbound_clients: int = Field(default=10, ge=1, le=100)
    max_page_size: int = Field(default=100, ge=1, le=1000)
    # Marketplace logins (docs/adr/0011): session lifetime, sessions kept per user, the failed
    # attempts allowed per email and per client address in a window, and argon2id's cost
    # (never below OWASP's minimum of 19 MiB, 2 passes), hashes computed at once.
    session_hours: float = Field(default=12, gt=0, le=24 * 30)
    max_sessions_per_user: int = Field(default=10, ge=1, le=100)
    login_max_failures: int = Field(default=10, ge=1, le=1000)
    login_max_failures_per_ip: int = Field(default=100, ge=1, le=100_000)
    login_window_s: float = Field(default=900, gt=0, le=86_400)
    # The token endpoint's failed client authentications allowed per client id and per client
    # address in the same window (then 429 until the window has passed).
    token_max_failures_per_client: int = Field(default=20, ge=1, le=10_000)
    token_max_failures_per_ip: int = Field(default=100, ge=1, le=100_000)
    password_hash_memory_kib: int = Field(default=65_536, ge=19_456, le=4_194_304)
    password_hash_time_cost: int = Field(default=3, ge=2, le=20)
    password_hash_parallelism: int = Field(default=4, ge=1, le=16)
    password_hashes_at_once: int = Field(default=4, ge=1, le=64)
    # The demo buyer's password (`marketlink demo`); a new random one each run when unset.
    demo_password: str | None = Field(default=None, repr=False, min_length=12, max_length=1024)
    # OpenID Connect provider (docs/adr/0012): lifetimes of codes and tokens. A retired signing
    # key stays published for the id_token lifetime (plus clock skew) after its rotation.
    oidc_code_lifetime_s: int = Field(default=60, ge=10, le=600)
    oidc_access_token_lifetime_s: int = Field(default=3600, ge=60, le=86_400)
    oidc_refresh_token_lifetime_s: int = Field(default=30 * 86_400, ge=3600, le=365 * 86_400)
    oidc_id_token_lifetime_s: int = Field(default=3600, ge=60, le=86_400)
    # Back-channel logout: the waits before the 2nd, 3rd, ... POST of a logout token to a
    # relying party that did not answer 2xx or 4xx (then it is given up and logged).
    oidc_logout_retry_s: tuple[float, ...] = (2.0, 10.0)
    # SAML identity provider (docs/adr/0013): how old an AuthnRequest may be when answered (its
    # ID is remembered that long, to refuse replays) and how far ahead of our clock it may be.
    saml_authn_request_max_age_s: int = Field(default=600, ge=30, le=86_400)
    saml_clock_skew_s: int = Field(default=60, ge=0, le=3600)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        scheme = value.split(":", 1)[0]
        if scheme not in {"sqlite", "sqlite+aiosqlite", "postgresql", "postgres", "postgresql+asyncpg"}:
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("base_url")
    @classmethod
    def _absolute_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname or " " in value \
                or parts.query or parts.fragment:
            raise ValueError("must be an absolute http(s) URL without query or fragment")
        return value.rstrip("/")

    @field_validator("retry_schedule_s")
    @classmethod
    def _bounded_schedule(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not 1 <= len(value) <= 50 or any(not 0 <= delay <= 86_400 for delay in value):
            raise ValueError("must be 1 to 50 delays of 0 to 86400 seconds")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value.upper()

    @field_validator("secret_key")
    @classmethod
    def _strong_secret_key(cls, value: str | None) -> str | None:
        if value is not None:
            decode_secret_key(value)
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _strong_encryption_keys(cls, value: str | None) -> str | None:
        if value is not None:
            for key in value.split(","):
                decode_secret_key(key.strip())
        return value

    def encryption_key_bytes(self) -> tuple[bytes, ...]:
        """The configured encryption keys, the one that encrypts first (maybe none)."""
        if not self.encryption_keys:
            return ()
        return tuple(decode_secret_key(key.strip()) for key in self.encryption_keys.split(","))

    def secret_key_bytes(self) -> bytes:
        """The key for encryption at rest and keyed hashes (always set after :func:`load_settings`)."""
        if self.secret_key is None:
            raise SettingsError("MARKETLINK_SECRET_KEY: not loaded")
        return decode_secret_key(self.secret_key)


def decode_secret_key(value: str) -> bytes:
    """A secret key is base64url text of at least 32 random bytes."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("must be base64url text of at least 32 bytes") from exc
    if len(raw) < SECRET_KEY_BYTES:
        raise ValueError("must be base64url text of at least 32 bytes")
    return raw


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings (keyword overrides win over the environment); fill the secret
    key from the data directory if it is not configured."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    if settings.secret_key is None:
        settings = settings.model_copy(update={"secret_key": _stored_secret_key(settings.data_dir)})
    return settings


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        lines.append(f"{ENV_PREFIX}{field.upper()}: {error['msg']}")
    return "; ".join(lines)


def _stored_secret_key(data_dir: Path) -> str:
    """The key from the data directory's key file; a bad directory or file is a SettingsError."""
    path = data_dir / SECRET_KEY_FILE
    try:
        return _read_or_create_key(data_dir, path)
    except OSError as exc:
        raise SettingsError(f"MARKETLINK_DATA_DIR: cannot read or create the key file {path}: "
                            f"{exc.strerror or exc}") from None


def _read_or_create_key(data_dir: Path, path: Path) -> str:
    """Read the key file, creating it (mode 0600) with a fresh random key on first run."""
    if path.exists():
        try:
            value = path.read_text().strip()
            decode_secret_key(value)
        except ValueError as exc:  # UnicodeDecodeError too: a binary file is no key either
            reason = "is not text" if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise SettingsError(f"MARKETLINK_SECRET_KEY: the key file {path} {reason}") from None
        return value
    data_dir.mkdir(parents=True, exist_ok=True)
    value = base64.urlsafe_b64encode(secrets.token_bytes(SECRET_KEY_BYTES)).decode().rstrip("=")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process starting at the same moment made it first
        return _written_by_other_process(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _written_by_other_process(path: Path) -> str:
    """Wait briefly for the other process to finish writing the key file, then read it."""
    for _ in range(50):
        value = path.read_text().strip()
        if value:
            decode_secret_key(value)
            return value
        time.sleep(0.02)
    raise SettingsError(f"MARKETLINK_SECRET_KEY: the key file {path} stayed empty")
