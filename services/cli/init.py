"""``alertorch init [DIR]``: write an editable copy of the default configuration.

The defaults ship inside the package; every command reads them when there is neither
``--config-dir``/``ALERTORCH_CONFIG_DIR`` nor a ``./config`` folder. ``init`` copies them out so
they can be edited: into ``./config`` by default, where every command then finds them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from services.analyzer.patterns_file import PATTERNS_FILE
from services.notifier.rules_file import RULES_FILE
from shared.config.layers import CONFIG_FILE
from shared.config.settings import DEFAULT_CONFIG_DIR, PACKAGED_CONFIG_DIR

#: The configuration files, in the order they are written.
CONFIG_FILES = (CONFIG_FILE, PATTERNS_FILE, RULES_FILE)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "init",
        help="write an editable copy of the default configuration into DIR (default ./config)",
    )
    parser.add_argument(
        "directory",
        metavar="DIR",
        nargs="?",
        type=Path,
        default=DEFAULT_CONFIG_DIR,
        help="folder to write config.yaml, error_patterns.json, escalation_rules.yaml into "
        "(default ./config; created if missing)",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite files that are already there"
    )
    parser.set_defaults(run=run)


def write_defaults(directory: Path, *, force: bool = False) -> list[Path]:
    """Copy the packaged configuration files into ``directory``; the paths written.

    Writes nothing when any of them exists already, unless ``force``.
    """
    targets = [directory / name for name in CONFIG_FILES]
    existing = [path for path in targets if path.exists()]
    if existing and not force:
        raise FileExistsError(", ".join(str(path) for path in existing))
    directory.mkdir(parents=True, exist_ok=True)
    for name, target in zip(CONFIG_FILES, targets, strict=True):
        target.write_bytes((PACKAGED_CONFIG_DIR / name).read_bytes())
    return targets


def run(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    try:
        written = write_defaults(directory, force=args.force)
    except FileExistsError as exc:
        print(f"error: already there: {exc} (--force overwrites)", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write {directory}: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    if directory.resolve() == DEFAULT_CONFIG_DIR.resolve():
        hint = "every command run from this folder reads it"
    else:
        hint = f"pass --config-dir {directory} or set ALERTORCH_CONFIG_DIR={directory.resolve()}"
    print(f"Edit them, then check with `alertorch validate-config`; {hint}.")
    return 0
