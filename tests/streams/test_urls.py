"""Source URL validation and credential masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.urls import SourceUrlError, mask_url, parse_source_url


def test_mask_every_url_in_text() -> None:
    text = "open rtsp://admin:p%40ss@10.0.0.5:554/ch1 failed; retry rtmp://u:x@h/app"
    assert mask_url(text) == "open rtsp://***@10.0.0.5:554/ch1 failed; retry rtmp://***@h/app"
    assert mask_url("rtsp://10.0.0.5/ch1") == "rtsp://10.0.0.5/ch1"


def test_mask_raw_at_in_password_and_query_credentials() -> None:
    # A password with an unescaped "@" must not leak its tail.
    assert mask_url("rtsp://admin:p@ss@10.0.0.5/ch1") == "rtsp://***@10.0.0.5/ch1"
    # An "@" after the path is not userinfo.
    assert mask_url("rtsp://10.0.0.5/ch1?tag=a@b") == "rtsp://10.0.0.5/ch1?tag=a@b"
    text = "http://cam/snap.cgi?user=admin&pwd=hunter2&ch=1 and https://h/live?TOKEN=abc"
    assert (
        mask_url(text) == "http://cam/snap.cgi?user=***&pwd=***&ch=1 and https://h/live?TOKEN=***"
    )
    src = parse_source_url("rtsp://admin:p@ss@10.0.0.5:554/ch1", media_root=None)
    assert src.host == "10.0.0.5" and "ss@" not in src.masked


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("gopher://cam/1", "unsupported_scheme"),
        ("cam/1", "malformed_url"),
        ("rtsp:///nohost", "malformed_url"),
        ("rtsp://bad host/x", "malformed_url"),
        ("rtsp://h:99999/x", "malformed_url"),
        ("", "malformed_url"),
    ],
)
def test_bad_urls(url: str, code: str) -> None:
    with pytest.raises(SourceUrlError) as info:
        parse_source_url(url, media_root=None)
    assert info.value.code == code


def test_errors_never_show_credentials() -> None:
    with pytest.raises(SourceUrlError) as info:
        parse_source_url("rtsp://admin:hunter2@bad host/x", media_root=None)
    assert "hunter2" not in str(info.value)


def test_file_sources_confined_to_media_root(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "a.mp4").write_bytes(b"x")
    src = parse_source_url(f"file://{media / 'a.mp4'}", media_root=media)
    assert src.is_file and src.path == (media / "a.mp4").resolve()
    assert parse_source_url("file:a.mp4", media_root=media).path == src.path
    (tmp_path / "secret").write_text("x")
    (media / "link.mp4").symlink_to(tmp_path / "secret")
    for bad in (
        f"file://{tmp_path / 'secret'}",
        f"file://{media}/../secret",
        f"file://{media / 'link.mp4'}",
    ):
        with pytest.raises(SourceUrlError) as info:
            parse_source_url(bad, media_root=media)
        assert info.value.code == "outside_media_root"
    with pytest.raises(SourceUrlError) as info:
        parse_source_url(f"file://{media / 'missing.mp4'}", media_root=media)
    assert info.value.code == "file_not_found"
    with pytest.raises(SourceUrlError) as info:
        parse_source_url(f"file://{media / 'a.mp4'}", media_root=None)
    assert info.value.code == "file_not_allowed"
