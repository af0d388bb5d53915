"""Camera source URLs: validation, the media-folder rule for files, and credential masking."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from streams.credentials import redact

SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "file"})
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)$")
# Greedy up to the last @ of the authority, so a password holding a raw "@" is masked whole.
_USERINFO = re.compile(r"(?<=://)[^/?#\s]*@")
# Some cameras (HTTP snapshot/MJPEG endpoints) take credentials as query parameters.
_SECRET_PARAM = re.compile(
    r"(?i)([?&;/](?:password|passwd|pwd|pass|pw|psw|pswd|p|loginpas|passwort|user|username|usr"
    r"|login|loginuse|account|uid|token|auth|key|secret|signature)=)[^&;\s]*"
)


class SourceUrlError(ValueError):
    """A URL that cannot be a camera source; `code` is a stable reason key for the UI."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class SourceUrl:
    """A validated source: the URL as FFmpeg should open it, and for files the real path."""

    url: str
    scheme: str
    host: str
    path: Path | None = None
    # The credentials put into `url` (every spelling), so messages about it can hide them.
    secrets: tuple[str, ...] = ()

    @property
    def masked(self) -> str:
        """The URL with any credentials replaced by ***."""
        return self.redact(self.url)

    def redact(self, text: str) -> str:
        """`text` (an error, a log line) with this source's credentials replaced by ***."""
        return mask_url(redact(text, self.secrets))

    @property
    def is_file(self) -> bool:
        """A local file (looped at real-time pace)."""
        return self.scheme == "file"


def mask_url(text: str) -> str:
    """Replace user:password@ (and password-like query values) in every URL inside `text`."""
    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub("***@", text))


def parse_source_url(
    url: str, *, media_root: Path | None, secrets: tuple[str, ...] = ()
) -> SourceUrl:
    """Validate a source URL; file: paths must resolve inside `media_root` (symlinks followed).

    Messages never repeat the URL: it may carry credentials in shapes no mask recognises.
    """
    raw = url.strip()
    if not raw or any(c.isspace() for c in raw) or len(raw) > 2000:
        raise SourceUrlError("malformed_url", "not a valid URL (empty, spaces or too long)")
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if not scheme:
        raise SourceUrlError("malformed_url", "not a valid URL (no scheme)")
    if scheme not in SCHEMES:
        raise SourceUrlError(
            "unsupported_scheme",
            f"unsupported scheme {scheme!r}; use one of {', '.join(sorted(SCHEMES))}",
        )
    if scheme == "file":
        return _file_source(parts.path, parts.netloc, media_root)
    host = parts.hostname or ""
    if not host or not _HOST.match(host if ":" not in host else f"[{host}]"):
        raise SourceUrlError("malformed_url", "the URL has no valid host")
    try:
        port = parts.port
    except ValueError as exc:
        raise SourceUrlError("malformed_url", "the URL has a bad port") from exc
    if port == 0:
        raise SourceUrlError("malformed_url", "the URL has a bad port")
    return SourceUrl(
        url=urlunsplit(parts._replace(scheme=scheme)), scheme=scheme, host=host, secrets=secrets
    )


def _file_source(path: str, netloc: str, media_root: Path | None) -> SourceUrl:
    if netloc not in ("", "localhost"):
        raise SourceUrlError("malformed_url", "file URLs must be local (file:///path)")
    if media_root is None:
        raise SourceUrlError("file_not_allowed", "file sources are disabled on this server")
    root = media_root.resolve()
    target = Path(unquote(path))
    if not target.is_absolute():
        target = root / target
    real = target.resolve()
    if not real.is_relative_to(root):
        raise SourceUrlError(
            "outside_media_root", f"file sources must be inside the media folder {root}"
        )
    if not real.is_file():
        raise SourceUrlError("file_not_found", f"no such media file: {real.relative_to(root)}")
    return SourceUrl(url=f"file://{real}", scheme="file", host="", path=real)
