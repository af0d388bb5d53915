"""schemathesis against the OpenAPI document, in-process through ASGI, as an admin and as a
viewer: no server errors, only documented status codes and content types."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance
from schemathesis.transport.requests import REQUESTS_TRANSPORT, binary_serializer

from console.app import create_app
from tests.conftest import make_settings
from tests.core.apphost import AppHost, seed_full_demo

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppHost]:
    """The full demo district served in-process."""
    data: Path = tmp_path_factory.mktemp("schemathesis") / "data"
    s = make_settings(data)
    asyncio.run(seed_full_demo(s))
    h = AppHost(s)
    h.start()
    yield h
    h.stop()
    print(f"schemathesis: {CASES[0]} cases")


@pytest.fixture(scope="module")
def tokens(host: AppHost) -> dict[str, str]:
    """Bearer tokens for the admin and a viewer."""
    return {role: host.token(role) for role in ("admin", "viewer")}


def _openapi() -> dict[str, Any]:
    """The app's OpenAPI document (building the app starts nothing)."""
    with tempfile.TemporaryDirectory() as tmp:
        return dict(create_app(make_settings(Path(tmp) / "data")).openapi())


# Loaded at import: the lazy, fixture-based loader does not work with this pytest.
schema = schemathesis.openapi.from_dict(_openapi())
# Zipped uploads are bytes like any other file (the shelter occupancy import takes them).
REQUESTS_TRANSPORT.serializer("application/zip")(binary_serializer)


CASES = [0]


def _items(files: Any) -> list[tuple[str, Any]]:
    return list(files.items()) if isinstance(files, dict) else list(files)


def _bytes(value: Any) -> bytes | str:
    return value if isinstance(value, bytes | str) else str(value).encode()


def _part(value: Any) -> Any:
    if isinstance(value, tuple):
        return (value[0], _bytes(value[1]), *value[2:])
    return ("upload", _bytes(value))


def _run(case: Any, role: str, host: AppHost, tokens: dict[str, str]) -> None:
    CASES[0] += 1
    kwargs = case.as_transport_kwargs(
        base_url="http://testserver", headers={"Authorization": f"Bearer {tokens[role]}"}
    )
    method = kwargs.pop("method")
    url = kwargs.pop("url")
    kwargs.pop("follow_redirects", None)
    kwargs.pop("allow_redirects", None)
    if not kwargs.get("cookies"):
        kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")
    if isinstance(kwargs.get("data"), dict):
        kwargs["data"] = {k: v if isinstance(v, str) else str(v) for k, v in kwargs["data"].items()}
    if kwargs.get("files"):
        # Generated "files" may be numbers or null: send whatever was drawn as the part's bytes.
        kwargs["files"] = [(k, _part(v)) for k, v in _items(kwargs["files"])]
    response = host.request(method, url, **kwargs)
    case.validate_response(response, checks=CHECKS)


FUZZ = settings(
    max_examples=int(os.environ.get("EOC_FUZZ_EXAMPLES", "5")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,
)


@schema.parametrize()
@FUZZ
@seed(20261207)
def test_as_admin(case: Any, host: AppHost, tokens: dict[str, str]) -> None:
    _run(case, "admin", host, tokens)


@schema.parametrize()
@FUZZ
@seed(20261207)
def test_as_viewer(case: Any, host: AppHost, tokens: dict[str, str]) -> None:
    _run(case, "viewer", host, tokens)
