"""Configuration: ``config/config.yaml`` sections and environment variables."""

from shared.config.settings import Settings, config_dir_from_env, load_settings, reveal
from shared.config.yaml_lines import LineMap, load_yaml

__all__ = ["LineMap", "Settings", "config_dir_from_env", "load_settings", "load_yaml", "reveal"]
