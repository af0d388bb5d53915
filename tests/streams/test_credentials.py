"""Credentials split from camera URLs in every shape, and put back only to connect."""

from __future__ import annotations

import pytest

from streams.credentials import (
    CredentialError,
    assemble,
    display,
    redact,
    retype,
    secret_forms,
    split_credentials,
)


@pytest.mark.parametrize(
    ("url", "shown", "user", "password", "connect"),
    [
        (
            "rtsp://admin:hunter2@10.0.0.5:554/ch1",
            "rtsp://***:***@10.0.0.5:554/ch1",
            "admin",
            "hunter2",
            "rtsp://admin:hunter2@10.0.0.5:554/ch1",
        ),
        (
            "rtsp://admin:p@ss#?/x%ab@10.0.0.5/ch1",
            "rtsp://***:***@10.0.0.5/ch1",
            "admin",
            "p@ss#?/x%ab",
            "rtsp://admin:p%40ss%23%3F%2Fx%ab@10.0.0.5/ch1",
        ),
        (
            "rtsp://admin:p%40ss@cam/live",
            "rtsp://***:***@cam/live",
            "admin",
            "p%40ss",
            "rtsp://admin:p%40ss@cam/live",
        ),
        (
            "http://10.0.0.7/snap.cgi?user=admin&pwd=s#?/@%t&ch=1",
            "http://10.0.0.7/snap.cgi?user=***&pwd=***&ch=1",
            "admin",
            "s#?/@%t",
            "http://10.0.0.7/snap.cgi?user=admin&pwd=s%23?/@%t&ch=1",
        ),
        (
            "http://cam.example/v.cgi?loginuse=admin&loginpas=x1",
            "http://cam.example/v.cgi?loginuse=***&loginpas=***",
            "admin",
            "x1",
            "http://cam.example/v.cgi?loginuse=admin&loginpas=x1",
        ),
        (
            "rtsp://10.0.0.1/live;user=admin;password=xyz",
            "rtsp://10.0.0.1/live;user=***;password=***",
            "admin",
            "xyz",
            "rtsp://10.0.0.1/live;user=admin;password=xyz",
        ),
        (
            "rtsp://192.168.1.10:554/user=admin&password=tlJw&channel=1&stream=0.sdp",
            "rtsp://192.168.1.10:554/user=***&password=***&channel=1&stream=0.sdp",
            "admin",
            "tlJw",
            "rtsp://192.168.1.10:554/user=admin&password=tlJw&channel=1&stream=0.sdp",
        ),
        ("http://cam.example/x?p=abc", "http://cam.example/x?p=***", None, "abc", None),
        ("rtsp://cam/x?tag=a@b", "rtsp://cam/x?tag=a@b", None, None, None),
        (
            "rtsp://admin:pw@cam/x?to=a@b.example.com",
            "rtsp://***:***@cam/x?to=a@b.example.com",
            "admin",
            "pw",
            None,
        ),
    ],
)
def test_split_and_assemble(
    url: str, shown: str, user: str | None, password: str | None, connect: str | None
) -> None:
    split = split_credentials(url)
    assert display(split.template) == shown
    assert (split.username, split.password) == (user, password)
    assert assemble(split.template, split.username, split.password) == (connect or url)


def test_masked_values_count_as_not_given() -> None:
    split = split_credentials("rtsp://***:***@10.0.0.5/ch1")
    assert split.username is None and split.password is None
    # The stored credentials go back in; none at all leaves no empty userinfo.
    assert assemble(split.template, "admin", "new") == "rtsp://admin:new@10.0.0.5/ch1"
    assert assemble(split.template, None, None) == "rtsp://10.0.0.5/ch1"


def test_field_values_are_encoded_and_go_to_userinfo_by_default() -> None:
    template = retype(
        retype(split_credentials("rtsp://a:b@h.example/x").template, "username"), "password"
    )
    assert assemble(template, "ad min", "p@ss") == "rtsp://ad%20min:p%40ss@h.example/x"
    assert assemble("rtsp://h.example/x", "u", "p/w") == "rtsp://u:p%2Fw@h.example/x"
    assert assemble("file:///media/a.mp4", "u", "p") == "file:///media/a.mp4"


def test_two_different_passwords_refused_without_repeating_them() -> None:
    with pytest.raises(CredentialError) as info:
        split_credentials("http://cam.example/x?pwd=one1&password=two2")
    assert "one1" not in str(info.value) and "two2" not in str(info.value)


def test_redact_hides_every_spelling() -> None:
    forms = secret_forms("p@ss word")
    text = "failed: rtsp://u:p%40ss%20word@h/ and p@ss word and p%40ss%20word"
    assert "ss" not in redact(text, forms).replace("***", "")
