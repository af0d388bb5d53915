"""Settings: environment (EOC_*), an optional TOML/YAML site file, and CLI overrides."""

from __future__ import annotations

import contextvars
import difflib
import ipaddress
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from drills.compliance import Requirement
from gis.quake.config import ImpactConfig
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
    """Sessions, tokens, passwords, login throttling and proxies."""

    session_idle_minutes: int = Field(480, ge=1, description="Session expires after idle minutes.")
    session_max_hours: int = Field(24, ge=1, description="Session expires after this many hours.")
    cookie_secure: bool | None = Field(
        None, description="Send cookies only over HTTPS (default: on in production mode)."
    )
    login_failures_per_account: int = Field(
        5,
        ge=1,
        description="Failed logins per account (from browsers it has not signed in on) "
        "before each further try is delayed.",
    )
    login_failures_per_address: int = Field(
        20, ge=1, description="Failed logins per client address before each try is delayed."
    )
    login_window_seconds: int = Field(
        900, ge=1, description="Failed logins older than this are forgotten (seconds)."
    )
    login_delay_seconds: float = Field(
        1.0, gt=0, le=60, description="First delay once the free tries are used; doubles per try."
    )
    login_max_delay_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Longest delay between two tries of one account or address.",
    )
    login_device_days: int = Field(
        180,
        ge=1,
        le=3650,
        description="A browser that signed in keeps its own throttle for that account this long, "
        "so an attack on the account does not slow its real user down.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For header is "
        "believed; from any other peer the header is ignored.",
    )
    password_min_length: int = Field(8, ge=8, le=128, description="Shortest password accepted.")
    password_min_score: int = Field(
        3,
        ge=0,
        le=4,
        description="Least zxcvbn strength estimate (0-4) a new password needs; common "
        "passwords are refused at any setting.",
    )
    token_days: int = Field(
        90, ge=1, le=3650, description="Lifetime of an API token created without one (days)."
    )
    token_max_days: int = Field(
        365,
        ge=1,
        le=3650,
        description="Longest API token lifetime; older tokens without an expiry stop after this.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for i, item in enumerate(value):
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"[{i}] {item!r} is not an IP address or network") from exc
        return value

    @cached_property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The trusted proxies as networks."""
        return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in self.trusted_proxies)


class EventSettings(_Group):
    """The event bus and the /ws endpoint."""

    client_queue: int = Field(
        256, ge=8, description="Events buffered per websocket client before it is dropped."
    )
    replay_buffer: int = Field(
        2048, ge=16, description="Recent events kept so reconnecting clients can resume."
    )


class ClusterSettings(_Group):
    """One node or several: the event bus and what nodes share (README: Running several nodes)."""

    bus: Literal["memory", "nats"] = Field(
        "memory",
        description="memory: the in-process bus of a single node (the embedded default). "
        "nats: events travel over NATS JetStream so several console nodes on one PostgreSQL "
        "database share them; needs secret_key set and, for more than one node, PostgreSQL.",
    )
    nats_url: str = Field(
        "nats://127.0.0.1:4222",
        max_length=2000,
        pattern=r"^(nats|tls)://[^\s]+$",
        description="NATS server(s), comma-separated, e.g. nats://10.0.0.5:4222,nats://10.0.0.6:4222.",
    )
    stream_prefix: str = Field(
        "EOC",
        min_length=1,
        max_length=32,
        pattern=r"^[A-Z][A-Z0-9_]*$",
        description="Prefix of the JetStream streams (EOC_AUDIT, EOC_CAMERA, ..., EOC_EVENTS) "
        "and, lower-cased, of the subjects (eoc.<family>.<type>); lets two sites share one NATS.",
    )
    node_name: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="This node's name in logs and cluster events; default: host name and pid.",
    )
    family_max_age_s: float = Field(
        7 * 86400.0,
        gt=0,
        description="How long each family stream (EOC_AUDIT, EOC_CAMERA, ...) keeps events.",
    )
    family_max_bytes: int = Field(
        256 * 1024 * 1024,
        ge=1024 * 1024,
        description="Most bytes each family stream keeps; the oldest events go first.",
    )
    log_max_age_s: float = Field(
        86400.0,
        gt=0,
        description="How long the numbered stream of all events (EOC_EVENTS) keeps them: the "
        "window in which a websocket resumes with ?since= and a durable consumer catches up.",
    )
    log_max_bytes: int = Field(
        512 * 1024 * 1024, ge=1024 * 1024, description="Most bytes EOC_EVENTS keeps."
    )
    storage: Literal["file", "memory"] = Field(
        "file", description="JetStream storage of the streams (file survives a NATS restart)."
    )
    replicas: int = Field(
        1, ge=1, le=5, description="JetStream replicas of each stream (a NATS cluster: 3)."
    )
    publish_timeout_s: float = Field(
        2.0, gt=0, le=60, description="Wait for JetStream to acknowledge one publish attempt."
    )
    publish_retry_s: float = Field(
        15.0,
        ge=0,
        le=300,
        description="Keep retrying an unacknowledged publish this long (NATS restarting) before "
        "the request fails with 503; retries never store an event twice.",
    )
    connect_timeout_s: float = Field(
        10.0, gt=0, le=300, description="Wait this long for NATS at start-up before refusing."
    )
    resume_max_events: int = Field(
        20000,
        ge=100,
        le=1_000_000,
        description="Most events replayed to one resuming websocket; further back it resyncs.",
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
    patrol_concurrency: int = Field(
        4, ge=1, le=256, description="Fewest patrol visits at once (more to meet the target)."
    )
    patrol_keyframes: int = Field(2, ge=1, le=10, description="Keyframes judged per visit.")
    patrol_timeout_s: float = Field(20.0, gt=0, le=300, description="Longest patrol visit.")
    patrol_target_cycle_s: float = Field(
        600.0,
        ge=0,
        le=86400,
        description="A patrol round should take about this long (0: as fast as possible); "
        "maintainers can change it on the Health page.",
    )
    patrol_cpu_budget: float = Field(
        0.5, gt=0, le=16, description="Share of one CPU core the patrol may use."
    )
    patrol_max_concurrency: int = Field(
        64, ge=1, le=1024, description="Most patrol visits at once."
    )
    diagnosis_workers: int = Field(1, ge=1, le=32, description="Threads decoding keyframes.")
    alert_quiet_s: float = Field(
        1800.0,
        ge=0,
        le=7 * 86400,
        description="A fault returning within this many seconds of recovering reopens its "
        "alert (counting occurrences); a recovered alert quiet this long closes itself.",
    )
    baseline_save_every_s: float = Field(
        300.0, ge=5, le=86400, description="How often learned camera baselines are saved."
    )
    reconnect_max_s: float = Field(
        10.0, ge=1, le=600, description="Longest wait between reconnection attempts."
    )
    reconnect_stable_s: float = Field(
        30.0,
        ge=1,
        le=3600,
        description="A connection delivering this long resets the reconnection back-off.",
    )


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


class GisSettings(_Group):
    """GIS imports and exports."""

    max_import_bytes: int = Field(
        50 * 1024 * 1024,
        ge=1024,
        description="Largest file a GIS import accepts (layers, kits, occupancy); 413 above. "
        "Governs these routes in place of server.max_body_bytes.",
    )
    site_extent: tuple[float, float, float, float] | None = Field(
        None,
        description="The site as [min_lon, min_lat, max_lon, max_lat] (WGS84). Imports landing "
        "outside it are refused. Default: the communities layer's extent grown by "
        "site_margin_km; with no communities, every layer's and camera's; with none, unchecked.",
    )
    site_margin_km: float = Field(
        20.0, ge=0, le=2000, description="Margin around the derived site extent (km)."
    )
    preview_features: int = Field(
        5000, ge=0, le=100_000, description="Most features a dry run sends back to draw."
    )

    @model_validator(mode="after")
    def _extent(self) -> GisSettings:
        e = self.site_extent
        if e is not None and not (-180 <= e[0] < e[2] <= 180 and -90 <= e[1] < e[3] <= 90):
            raise ValueError("site_extent must be [min_lon, min_lat, max_lon, max_lat] in degrees")
        return self


class DrillsSettings(_Group):
    """Drill scheduling rules, blackout dates, requirements and reminders."""

    community_gap_days: float = Field(
        14, ge=0, le=366, description="Least days between two drills of one community."
    )
    public_holidays: Literal["CN", "none"] = Field(
        "CN",
        description="National public holidays and make-up working days used as blackout dates "
        "and for working-days-only drills: CN (from the chinese-calendar package; years it does "
        "not cover yet are projected with the holidays package and shown as provisional) or none.",
    )
    blackout_file: Path | None = Field(
        None,
        description="JSON file of the site's own blackout dates {holidays: [{name, from, to}]}, "
        "added to the public holidays.",
    )
    start_early_minutes: int = Field(
        120, ge=0, le=7 * 24 * 60, description="How long before an occurrence a drill may start."
    )
    start_late_hours: float = Field(
        24, ge=0, le=31 * 24, description="How long after an occurrence ends it may still start."
    )
    requirements: list[Requirement] = Field(
        default_factory=lambda: [Requirement()],
        description="Drill requirements; default: one community evacuation drill per year.",
    )
    reminder_interval_s: float = Field(
        60, ge=1, le=3600, description="How often reminders 24 h and 1 h before a drill are due."
    )
    separate_approval: bool = Field(
        True, description="Separation of duties: whoever submitted a drill may not approve it."
    )


class ReadinessSettings(ReadinessConfig):
    """Community readiness: shelter radii, component weights and targets (see gis.readiness)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    debounce_s: float = Field(
        1.0, ge=0, le=60, description="Wait after a layer change before a full recompute (s)."
    )


class IncidentSettings(ImpactConfig):
    """Earthquake incidents: when one opens by itself, and the impact model (gis.quake)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    open_magnitude: float = Field(
        4.0, ge=0, le=10, description="Open an incident for M >= this within open_radius_km."
    )
    open_radius_km: float = Field(
        300.0, ge=0, le=20000, description="Distance from the district centre for open_magnitude."
    )
    open_intensity: float = Field(
        6.0, ge=1, le=12, description="Open an incident when any community reaches this degree."
    )
    max_age_hours: float = Field(
        24.0, gt=0, description="Older events (late feeds, backfills) are logged only."
    )
    vulnerability_file: Path | None = Field(
        None, description="JSON vulnerability matrix replacing the shipped default."
    )
    feed_timeout_s: float = Field(15.0, gt=0, le=120, description="Feed request timeout.")
    feed_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Largest feed body read (pushed or polled)."
    )


class NotifySettings(_Group):
    """Notifications: delivery retries, back-off, digests of floods, message links."""

    enabled: bool = Field(
        True, description="Deliver notifications (off: rules match, nothing is sent)."
    )
    public_url: str | None = Field(
        None,
        max_length=300,
        pattern=r"^https?://",
        description="The console's address as recipients reach it, e.g. "
        "https://eoc.example.gov.cn; messages link to it. None: messages carry no link.",
    )
    max_attempts: int = Field(
        5, ge=1, le=20, description="Attempts per message before it is logged as failed."
    )
    backoff_initial_s: float = Field(
        2.0, gt=0, le=600, description="Wait before the first retry; doubles on each retry."
    )
    backoff_max_s: float = Field(300.0, gt=0, le=3600, description="Longest wait between retries.")
    backoff_jitter: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Random share of each wait (0.5: between half and all of it), "
        "so channels do not retry in step.",
    )
    request_timeout_s: float = Field(
        10.0, gt=0, le=120, description="Timeout of one webhook request or SMTP session."
    )
    digest_threshold: int = Field(
        10,
        ge=1,
        le=1000,
        description="More messages than this for one channel within the digest window are "
        "folded into one summary (a channel may set its own).",
    )
    digest_window_s: float = Field(
        60.0, ge=1, le=3600, description="The digest window in seconds (a channel may set its own)."
    )
    digest_max_items: int = Field(
        20,
        ge=1,
        le=200,
        description="Messages listed by title in one digest; the rest are counted.",
    )
    queue_size: int = Field(
        1000,
        ge=10,
        le=100_000,
        description="Messages waiting per channel; beyond it they are dropped and logged.",
    )
    log_retention_days: int = Field(
        90, ge=1, le=3650, description="Delivery log rows older than this are deleted."
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="If set, webhook and SMTP targets must be one of these host names or end with "
        "one of them after a dot (e.g. qyapi.weixin.qq.com, example.gov.cn); empty: any host.",
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
        None,
        description="Server secret; generated into the data dir in development mode. "
        "Required, and the same on every node, with cluster.bus = 'nats'.",
    )
    config_file: Path | None = Field(None, description="Optional TOML/YAML site file.")
    demo: bool = Field(False, description="Running the demo district.")
    site: SiteSettings = Field(default_factory=SiteSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    events: EventSettings = Field(default_factory=EventSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    streams: StreamSettings = Field(default_factory=StreamSettings)
    live: LiveSettings = Field(default_factory=LiveSettings)
    readiness: ReadinessSettings = Field(default_factory=ReadinessSettings)
    drills: DrillsSettings = Field(default_factory=DrillsSettings)
    map: MapSettings = Field(default_factory=MapSettings)
    incidents: IncidentSettings = Field(default_factory=IncidentSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    gis: GisSettings = Field(default_factory=GisSettings)

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

    @model_validator(mode="after")
    def _cluster_secret(self) -> Settings:
        raw = self.secret_key.get_secret_value().strip() if self.secret_key else ""
        if self.cluster.bus == "nats" and raw.lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                "cluster.bus = 'nats' runs several nodes, which must share one secret: set "
                "EOC_SECRET_KEY (the same on every node) instead of a key generated per data dir"
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
