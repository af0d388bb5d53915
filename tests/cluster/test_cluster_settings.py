"""Cluster settings: a shared secret is required, bad keys are named."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from console.cli import main
from console.events import InProcessBus
from console.services import Services
from console.settings import ConfigFileError, load_settings

SECRET = "x" * 48


def test_nats_bus_needs_a_configured_secret(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="EOC_SECRET_KEY"):
        load_settings(data_dir=tmp_path, cluster={"bus": "nats"})
    ok = load_settings(data_dir=tmp_path, cluster={"bus": "nats"}, secret_key=SECRET)
    assert ok.cluster.bus == "nats" and ok.cluster.stream_prefix == "EOC"


def test_default_is_the_embedded_bus(tmp_path: Path) -> None:
    services = Services.build(load_settings(data_dir=tmp_path))
    assert isinstance(services.bus, InProcessBus) and not services.clustered
    assert not services.leader.enabled


def test_site_file_cluster_keys_are_checked(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        '[cluster]\nbus = "nats"\nnats_urls = "nats://x:4222"\nstream_prefix = "eoc-1"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigFileError) as info:
        load_settings(site, secret_key=SECRET)
    text = "\n".join(info.value.problems)
    assert "cluster.nats_urls: unknown key (did you mean 'nats_url'?)" in text
    assert "cluster.stream_prefix" in text


def test_serve_refuses_a_cluster_without_secret(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["serve", "--data-dir", str(tmp_path)],
        env={"EOC_CLUSTER__BUS": "nats", "EOC_SECRET_KEY": ""},
    )
    assert result.exit_code == 2
    assert "EOC_SECRET_KEY" in result.output
