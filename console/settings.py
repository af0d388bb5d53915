"""Settings: environment (EOC_*), an optional TOML/YAML site file, and CLI overrides."""

from __future__ import annotations

import contextvars
import difflib
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from drills.compliance import Requirement
from gis.readiness import ReadinessConfig

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "placeholder", "xxx"})


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteSettings(_Group):
    """Who runs this console."""

    name: str = Field("示范区应急指挥中心", description="Display name of the site (zh-CN).")
    name_en: str = Field("Demo District EOC", description="Display name of the site (English).")
    timezone: str = Field("Asia/Shanghai", description="IANA time zone for dates shown and drills.")
    default_locale: Literal["zh-CN", "en"] = Field(
        "zh-CN", description="UI language when the browser expresses no preference."
    )


class ServerSettings(_Group):
    """HTTP server."""

    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port to listen on.")
    max_body_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Log level."
    )


class SecuritySettings(_Group):
    """Sessions, tokens and login throttling."""

    session_idle_minutes: int = Field(480, ge=1, description="Session expires after idle minutes.")
    session_max_hours: int = Field(24, ge=1, description="Session expires after this many hours.")
    cookie_secure: bool | None = Field(
        None, description="Send cookies only over HTTPS (default: on in production mode)."
    )
    login_failures_per_account: int = Field(
        5, ge=1, description="Failed logins allowed per account within the window."
    )
    login_failures_per_address: int = Field(
        20, ge=1, description="Failed logins allowed per client address within the window."
    )
    login_window_seconds: int = Field(300, ge=1, description="Login throttling window (seconds).")
    password_min_length: int = Field(8, ge=6, description="Shortest password accepted.")


class EventSettings(_Group):
    """The event bus and the /ws endpoint."""

    client_queue: int = Field(
        256, ge=8, description="Events buffered per websocket client before it is dropped."
    )
    replay_buffer: int = Field(
        2048, ge=16, description="Recent events kept so reconnecting clients can resume."
    )


class StreamSettings(_Group):
    """Camera ingest and health watching."""

    watch: bool = Field(True, description="Watch cameras (packet health and image diagnosis).")
    rtsp_transport: Literal["tcp", "udp"] = Field("tcp", description="RTSP transport.")
    rtsp_parser: bool = Field(
        False,
        description="Find RTSP frame ends with FFmpeg's parser (one frame more latency) instead "
        "of cutting each frame as its last slice arrives; for cameras whose packets confuse it.",
    )
    open_timeout_s: float = Field(5.0, gt=0, le=60, description="Seconds to open a source.")
    offline_after_s: float = Field(
        4.0, gt=0, le=60, description="No packet for this long means offline."
    )
    diagnose_every_s: float = Field(
        10.0, ge=0, le=3600, description="Image diagnosis interval for continuous cameras."
    )
    patrol_concurrency: int = Field(4, ge=1, le=256, description="Patrol connections at once.")
    patrol_keyframes: int = Field(2, ge=1, le=10, description="Keyframes judged per visit.")
    patrol_timeout_s: float = Field(20.0, gt=0, le=300, description="Longest patrol visit.")
    diagnosis_workers: int = Field(1, ge=1, le=32, description="Threads decoding keyframes.")


class IceServer(_Group):
    """A STUN or TURN server for live view (browsers and the server use the same list)."""

    urls: list[str] = Field(
        min_length=1,
        max_length=8,
        description="stun:, stuns:, turn: or turns: URLs, "
        "e.g. turn:turn.example.org:3478?transport=udp.",
    )
    username: str | None = Field(None, max_length=200, description="TURN user name.")
    credential: SecretStr | None = Field(
        None, description="TURN password (never logged or shown; handed to signed-in viewers)."
    )
    secret: SecretStr | None = Field(
        None,
        description="TURN REST shared secret (coturn use-auth-secret): each viewer gets a "
        "user name and password valid for `ttl_s` instead of a fixed password.",
    )
    ttl_s: int = Field(3600, ge=60, le=86400, description="Lifetime of TURN REST credentials.")

    @model_validator(mode="after")
    def _check(self) -> IceServer:
        for n, url in enumerate(self.urls):
            scheme = url.split(":", 1)[0].lower()
            if scheme not in ("stun", "stuns", "turn", "turns") or ":" not in url:
                raise ValueError(f"urls[{n}]: {url!r} is not a stun:, stuns:, turn: or turns: URL")
        turn = any(u.lower().startswith("turn") for u in self.urls)
        if turn and self.secret is None and (self.username is None or self.credential is None):
            raise ValueError("a TURN server needs username and credential, or secret")
        if self.secret is not None and self.credential is not None:
            raise ValueError("give credential or secret, not both")
        return self


class LiveSettings(_Group):
    """Live view over WebRTC and MSE."""

    max_viewers: int = Field(128, ge=1, le=4096, description="Concurrent live views in total.")
    max_viewers_per_user: int = Field(
        64, ge=1, le=1024, description="Concurrent live views per user (a 64-tile wall)."
    )
    max_transcodes: int = Field(
        2, ge=0, le=64, description="Cameras transcoded at once (each costs most of a core)."
    )
    ice_timeout_s: float = Field(
        15.0, gt=0, le=120, description="A viewer that never connects is closed after this."
    )
    ice_servers: list[IceServer] = Field(
        default_factory=list,
        max_length=8,
        description="STUN/TURN servers for viewers outside the server's network; none: "
        "direct connections only (a closed network needs none).",
    )
    server_uses_ice_servers: bool = Field(
        False,
        description="Also gather STUN/TURN candidates on the server (only when the server "
        "itself is behind NAT); a server that cannot reach them waits seconds per answer.",
    )
    warm_budget: int = Field(
        32,
        ge=0,
        le=1024,
        description="Camera streams held open so key cameras and cameras on saved walls "
        "start at once (key cameras first, then walls most recently changed; enabled "
        "cameras only); 0: none.",
    )
    warm_refresh_s: float = Field(
        30.0, ge=1, le=3600, description="How often the set of warm cameras is recomputed."
    )
    linger_s: float = Field(
        20.0,
        ge=0,
        le=600,
        description="A camera's stream stays open this long after its last viewer leaves, "
        "so switching back (or the next tour round) starts at once.",
    )
    prewarm_max_s: float = Field(
        120.0, ge=5, le=3600, description="Longest a browser may ask a camera to be pre-opened."
    )
    prewarm_per_user: int = Field(
        16, ge=0, le=256, description="Cameras one user may have pre-opened at once."
    )


class MapSettings(_Group):
    """The map page."""

    tile_url: str | None = Field(
        None,
        max_length=500,
        description="Local raster tile URL template, e.g. /tiles/{z}/{x}/{y}.png; "
        "none: a plain background (the console never fetches online tiles).",
    )
    tile_attribution: str = Field("", max_length=300, description="Attribution shown for tiles.")


class DrillsSettings(_Group):
    """Drill scheduling rules, blackout dates, requirements and reminders."""

    community_gap_days: float = Field(
        14, ge=0, le=366, description="Least days between two drills of one community."
    )
    blackout_file: Path | None = Field(
        None,
        description="JSON file of blackout dates {holidays: [{name, from, to}]}; "
        "default: China's public holidays shipped with the drills package.",
    )
    requirements: list[Requirement] = Field(
        default_factory=lambda: [Requirement()],
        description="Drill requirements; default: one community evacuation drill per year.",
    )
    reminder_interval_s: float = Field(
        60, ge=1, le=3600, description="How often reminders 24 h and 1 h before a drill are due."
    )


class ReadinessSettings(ReadinessConfig):
    """Community readiness: shelter radii, component weights and targets (see gis.readiness)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    debounce_s: float = Field(
        1.0, ge=0, le=60, description="Wait after a layer change before a full recompute (s)."
    )


class Settings(BaseSettings):
    """All settings; env vars are EOC_<NAME> and EOC_<GROUP>__<NAME>."""

    model_config = SettingsConfigDict(
        env_prefix="EOC_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    mode: Literal["development", "production"] = Field(
        "development", description="production refuses placeholder secrets."
    )
    data_dir: Path = Field(Path("eoc-data"), description="Folder for the database and media.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL, e.g. postgresql+asyncpg://user@host/db. "
        "Default: SQLite file eoc.db in the data dir.",
    )
    secret_key: SecretStr | None = Field(
        None, description="Server secret; generated into the data dir in development mode."
    )
    config_file: Path | None = Field(None, description="Optional TOML/YAML site file.")
    demo: bool = Field(False, description="Running the demo district.")
    site: SiteSettings = Field(default_factory=SiteSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    events: EventSettings = Field(default_factory=EventSettings)
    streams: StreamSettings = Field(default_factory=StreamSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)
    readiness: ReadinessSettings = Field(default_factory=ReadinessSettings)
    drills: DrillsSettings = Field(default_factory=DrillsSettings)
    map: MapSettings = Field(default_factory=MapSettings)

    @model_validator(mode="after")
    def _production_secret(self) -> Settings:
        if self.mode == "production":
            raw = self.secret_key.get_secret_value() if self.secret_key else ""
            if raw.strip().lower() in PLACEHOLDER_SECRETS or len(raw) < 32:
                raise ValueError(
                    "production mode needs a real secret key: set EOC_SECRET_KEY to at least "
                    "32 random characters (e.g. `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'`)"
                )
        return self

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'eoc.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        """Whether the store is the embedded SQLite file."""
        return self.effective_database_url.startswith("sqlite")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # CLI options arrive as init kwargs and win; then env; then the site file.
        return (init_settings, env_settings, _SiteFileSource(settings_cls), file_secret_settings)


_site_data: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("site_data")


class _SiteFileSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return _site_data.get({}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_site_data.get({}))


class ConfigFileError(Exception):
    """A site file that cannot be read or has bad keys; `problems` lists each one."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def read_site_file(path: Path) -> dict[str, Any]:
    """Parse a TOML or YAML site file into a dict (no validation)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(path, [f"cannot read file: {exc}"]) from exc
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix.lower() in {".yaml", ".yml"}:
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigFileError(path, ["unknown file type: use .toml, .yaml or .yml"])
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigFileError(path, [f"syntax error: {exc}"]) from exc
    if not isinstance(data, dict):
        raise ConfigFileError(path, ["top level must be a table/mapping"])
    return data


# Every group and top-level setting may come from the site file, except run-time switches.
_FILE_KEYS = set(Settings.model_fields) - {"config_file", "demo"}


def _model_for(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Settings
    for part in loc:
        if model is None or not isinstance(part, str):
            return None
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return model


def describe_errors(exc: ValidationError) -> list[str]:
    """Turn a validation error into one line per bad key, each with its dotted path."""
    lines: list[str] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            parent = _model_for(loc[:-1])
            hint = ""
            if parent is not None:
                close = difflib.get_close_matches(str(loc[-1]), list(parent.model_fields), n=1)
                if close:
                    hint = f" (did you mean '{close[0]}'?)"
            lines.append(f"{path}: unknown key{hint}")
        else:
            lines.append(f"{path}: {err['msg']}")
    return lines


def check_site_file(path: Path) -> list[str]:
    """Validate a site file; return one message per bad key (empty when valid)."""
    data = read_site_file(path)
    problems = [
        f"{key}: unknown key (did you mean '{close[0]}'?)"
        if (close := difflib.get_close_matches(key, sorted(_FILE_KEYS), n=1))
        else f"{key}: unknown key"
        for key in data
        if key not in _FILE_KEYS
    ]
    known = {k: v for k, v in data.items() if k in _FILE_KEYS}
    token = _site_data.set(known)
    try:
        Settings.model_validate({})
    except ValidationError as exc:
        problems.extend(describe_errors(exc))
    finally:
        _site_data.reset(token)
    return problems


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from CLI overrides, env and the optional site file."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    data: dict[str, Any] = {}
    if config_file is not None:
        problems = check_site_file(config_file)
        if problems:
            raise ConfigFileError(config_file, problems)
        data = read_site_file(config_file)
        overrides["config_file"] = config_file
    token = _site_data.set(data)
    try:
        return Settings(**overrides)
    finally:
        _site_data.reset(token)
