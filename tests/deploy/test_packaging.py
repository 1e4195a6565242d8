"""The default configuration ships in the package: one copy, the checkout's config/."""

from __future__ import annotations

import tomllib

from services.cli.init import CONFIG_FILES
from shared.config.settings import PACKAGED_CONFIG_DIR
from tests.deploy.helpers import REPO


def test_the_packaged_defaults_are_the_config_folder() -> None:
    assert PACKAGED_CONFIG_DIR == REPO / "shared" / "config" / "defaults"
    assert PACKAGED_CONFIG_DIR.is_symlink()
    assert PACKAGED_CONFIG_DIR.resolve() == (REPO / "config").resolve()
    for name in CONFIG_FILES:
        assert (PACKAGED_CONFIG_DIR / name).is_file()


def test_the_wheel_carries_every_default_file() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    shipped = project["tool"]["setuptools"]["package-data"]["shared"]
    for name in CONFIG_FILES:
        assert f"config/defaults/{name}" in shipped
