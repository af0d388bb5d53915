"""Camera credentials apart from their URL: split on input, put back only to connect.

Cameras take credentials in the URL's userinfo (`rtsp://user:pass@host/...`), in query or
path parameters (`?user=admin&pwd=...`, `/user=admin&password=...&channel=1`,
`;password=...`), raw or percent-encoded, with passwords that hold `# ? / @ %`. The URL is
stored as a template with markers where the credentials were, so the stored and shown URL
never carries them and the connection URL has them back in the same place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

USER = "{{user}}"
PASSWORD = "{{password}}"
# Markers for credentials taken from a URL: put back exactly as they were typed (a raw "%"
# may or may not be an escape; the camera keeps getting what it got before).
USER_AS_TYPED = "{{user!}}"
PASSWORD_AS_TYPED = "{{password!}}"
MARKERS = (USER, PASSWORD, USER_AS_TYPED, PASSWORD_AS_TYPED)
MASK = "***"

# Parameter names cameras use for the user name and the password (compared lower-case).
USER_PARAMS = frozenset({"user", "username", "usr", "login", "loginuse", "account", "uid"})
PASSWORD_PARAMS = frozenset(
    {"password", "passwd", "pass", "pwd", "pw", "psw", "pswd", "p", "loginpas", "passwort"}
)
_PARAM = re.compile(r"(?<=[?&;/])([A-Za-z_]+)=([^&;]*)")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# A host (name, IPv4 or [IPv6]) with an optional port, then the path, query or the end.
_HOSTY = re.compile(
    r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)+|localhost)"
    r"(:\d{1,5})?(?=[/?#;]|$)"
)


class CredentialError(ValueError):
    """Credentials that cannot be told apart; the message never repeats them."""


@dataclass(frozen=True, slots=True)
class SplitUrl:
    """A URL template with credential markers, and the credentials taken out of it."""

    template: str
    username: str | None
    password: str | None


def _userinfo_end(url: str, start: int) -> int | None:
    """Index of the "@" that ends the userinfo, or None when there is no userinfo."""
    rest = url[start:]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    plain = start + authority.rindex("@") if "@" in authority else None
    if plain is not None and _HOSTY.match(url[plain + 1 :]):
        return plain
    # A raw "/", "?" or "#" in the password ends the authority early for a parser; take an
    # "@" further on when user:... comes before it, a real host follows it, and no query
    # parameter (an address in ?to=a@b.example) lies between.
    found = None
    if re.match(r"^[^:/?#@\s]+:", rest):
        for m in re.finditer("@", rest):
            if _HOSTY.match(rest[m.end() :]) and not re.search(r"[?&;]\w+=", rest[: m.start()]):
                found = start + m.start()
    return found if found is not None else plain


def _value(raw: str) -> str | None:
    return None if raw in ("", MASK) else raw


def _merge(kind: str, old: str | None, new: str | None) -> str | None:
    if old is not None and new is not None and old != new:
        raise CredentialError(f"the URL gives two different {kind}s")
    return old if new is None else new


def split_credentials(url: str) -> SplitUrl:
    """Take the credentials out of a URL; "***" (a masked value) counts as not given."""
    m = _SCHEME.match(url)
    if m is None or url.lower().startswith("file:"):
        return SplitUrl(url, None, None)
    start = m.end()
    username = password = None
    template = url
    at = _userinfo_end(url, start)
    if at is not None:
        info = url[start:at]
        user_raw, colon, pass_raw = info.partition(":")
        username = _value(user_raw)
        password = _value(pass_raw) if colon else None
        marker = USER_AS_TYPED + (":" + PASSWORD_AS_TYPED if colon else "")
        template = url[:start] + marker + url[at:]
    head_end = template.index("@", start) + 1 if at is not None else start
    head, tail = template[:head_end], template[head_end:]
    out: list[str] = []
    pos = 0
    for pm in _PARAM.finditer(tail):
        name = pm.group(1).lower()
        if name in USER_PARAMS:
            username = _merge("user name", username, _value(pm.group(2)))
            marker = USER_AS_TYPED
        elif name in PASSWORD_PARAMS:
            password = _merge("password", password, _value(pm.group(2)))
            marker = PASSWORD_AS_TYPED
        else:
            continue
        out.append(tail[pos : pm.start(2)] + marker)
        pos = pm.end(2)
    out.append(tail[pos:])
    return SplitUrl(head + "".join(out), username, password)


# Characters that would end the userinfo or a parameter value early: escaped even in a
# credential kept as typed (everything else, a "%" included, goes back unchanged).
_USERINFO_BREAKS = re.compile(r"[@/?#\s]")
_PARAM_BREAKS = re.compile(r"[&;#\s]")


def _escape(value: str, breaks: re.Pattern[str]) -> str:
    return breaks.sub(lambda m: quote(m.group(), safe=""), value)


def assemble(template: str, username: str | None, password: str | None) -> str:
    """The URL to connect with: credentials back where their markers are (or as userinfo)."""
    user = quote(username or "", safe="")
    secret = quote(password or "", safe="")
    if any(m in template for m in MARKERS):
        values = {
            USER: user,
            PASSWORD: secret,
            USER_AS_TYPED: username or "",
            PASSWORD_AS_TYPED: password or "",
        }
        m = re.search(r"(?<=://)(\{\{user!?\}\})(:(\{\{password!?\}\}))?@", template)
        if m is not None:
            info_values = {k: _escape(v, _USERINFO_BREAKS) for k, v in values.items()}
            # Userinfo leaves no "@" or ":" behind when there is nothing to put there.
            info = info_values[m.group(1)] + (
                f":{info_values[m.group(3)]}" if m.group(3) and password else ""
            )
            template = template[: m.start()] + (info + "@" if info else "") + template[m.end() :]
        for marker, value in values.items():
            template = template.replace(marker, _escape(value, _PARAM_BREAKS))
        return template
    m = _SCHEME.match(template)
    if m is None or not (username or password) or template.lower().startswith("file:"):
        return template
    info = user + (f":{secret}" if password else "")
    return template[: m.end()] + info + "@" + template[m.end() :]


def display(template: str) -> str:
    """The template as people see it: markers shown as ***."""
    for marker in MARKERS:
        template = template.replace(marker, MASK)
    return template


def retype(template: str, name: str) -> str:
    """The template once `name` ("username"/"password") was set as a field: encode it."""
    if name == "username":
        return template.replace(USER_AS_TYPED, USER)
    return template.replace(PASSWORD_AS_TYPED, PASSWORD)


def secret_forms(*values: str | None) -> tuple[str, ...]:
    """Every spelling of the secrets that may turn up in a message (raw and encoded)."""
    forms: set[str] = set()
    for value in values:
        if value:
            forms |= {value, quote(value, safe=""), quote(value), unquote(value)}
    return tuple(sorted(forms, key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every occurrence of the given secrets in `text` with ***."""
    for value in secrets:
        text = text.replace(value, MASK)
    return text
