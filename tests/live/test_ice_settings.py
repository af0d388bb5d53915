"""[live] ice_servers: bad entries are refused naming the key; TURN REST credentials are the
coturn scheme; secrets never show in the settings' own representation."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest
from pydantic import ValidationError

from console.live.ice import for_browser, for_server, rest_credentials
from console.settings import Settings, check_site_file, describe_errors


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"urls": ["http://turn.example.org"]}, "is not a stun:, stuns:, turn: or turns: URL"),
        ({"urls": ["stunturn.example.org"]}, "is not a stun:"),
        ({"urls": []}, "at least 1 item"),
        ({"urls": ["turn:t.example.org:3478"]}, "needs username and credential, or secret"),
        ({"urls": ["turn:t.example.org"], "username": "u"}, "needs username and credential"),
        (
            {"urls": ["turn:t.example.org"], "username": "u", "credential": "p", "secret": "s"},
            "credential or secret, not both",
        ),
        ({"urls": ["stun:s.example.org"], "ttl_s": 5}, "greater than or equal to 60"),
        ({"urls": ["stun:s.example.org"], "password": "x"}, "unknown key"),
    ],
)
def test_bad_ice_servers_name_the_key(entry: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(live={"ice_servers": [{"urls": ["stun:ok.example.org"]}, entry]})
    lines = describe_errors(info.value)
    assert any(line.startswith("live.ice_servers.1") and message in line for line in lines), lines


def test_site_file_with_turn_and_rest_secret(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        "[live]\nice_servers = [\n"
        '  { urls = ["stun:stun.example.org:3478"] },\n'
        '  { urls = ["turns:turn.example.org:5349"], secret = "s3cret", ttl_s = 600 },\n'
        "]\nwarm_budget = 8\n"
    )
    assert check_site_file(site) == []
    bad = tmp_path / "bad.toml"
    bad.write_text('[live]\nice_server = [{ urls = ["stun:x"] }]\n')
    assert check_site_file(bad) == ["live.ice_server: unknown key (did you mean 'ice_servers'?)"]


def test_rest_credentials_and_what_is_shown() -> None:
    name, password = rest_credentials("s3cret", "operator", 600, now=1_000_000)
    assert name == "1000600:operator"
    expected = hmac.new(b"s3cret", name.encode(), hashlib.sha1).digest()
    assert password == base64.b64encode(expected).decode()
    cfg = Settings(
        live={
            "ice_servers": [
                {"urls": ["turn:t.example.org"], "username": "wall", "credential": "p4ss"},
                {"urls": ["turns:r.example.org"], "secret": "s3cret"},
            ]
        }
    ).live
    assert "p4ss" not in repr(cfg) and "s3cret" not in repr(cfg)
    shown = for_browser(cfg.ice_servers, "operator", now=1_000_000)
    assert shown[0] == {"urls": ["turn:t.example.org"], "username": "wall", "credential": "p4ss"}
    assert shown[1]["username"] == "1003600:operator"
    server = for_server(cfg.ice_servers)
    assert server[0].credential == "p4ss" and server[1].username.endswith(":eoc-server")
