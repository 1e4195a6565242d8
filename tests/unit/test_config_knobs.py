"""The knobs several sections share keep their bounds, in every section that has one, next to the
section's own (see :mod:`shared.config.knobs`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import load_settings
from shared.errors import ConfigError


def _yaml(path: str, value: str) -> str:
    *sections, key = path.split(".")
    lines = [f"{'  ' * depth}{name}:" for depth, name in enumerate(sections)]
    return "\n".join([*lines, f"{'  ' * len(sections)}{key}: {value}"]) + "\n"


@pytest.mark.parametrize(
    ("path", "refused", "accepted"),
    [
        ("sentry.request_timeout_seconds", "0", "0.5"),
        ("slack.request_timeout_seconds", "0", "0.5"),
        ("integrations.github.timeout_seconds", "0", "0.5"),
        ("integrations.email.timeout_seconds", "-1", "30"),
        ("oncall.timeout_seconds", "0", "60"),
        ("oncall.timeout_seconds", "61", "60"),
        ("ingest.publish_timeout_seconds", "0", "30"),
        ("slack.publish_timeout_seconds", "0", "2.5"),
        ("slack.publish_timeout_seconds", "3", "2.5"),
        ("sentry.backoff_seconds", "-0.1", "0"),
        ("kafka.max_retry_backoff_seconds", "-1", "0"),
        ("analyzer.state_ttl_hours", "0", "0.5"),
        ("slack.state_ttl_hours", "0", "1"),
    ],
)
def test_shared_knobs_keep_their_bounds(
    tmp_path: Path, path: str, refused: str, accepted: str
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(_yaml(path, refused))
    with pytest.raises(ConfigError, match=path):
        load_settings(tmp_path)
    config.write_text(_yaml(path, accepted))
    value: object = load_settings(tmp_path)
    for part in path.split("."):
        value = getattr(value, part)
    assert value == float(accepted)
