"""``alertorch schemas``: write or check the JSON Schemas in ``docs/schemas/`` and the AsyncAPI
document beside that folder (``docs/asyncapi.yaml``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared.asyncapi import FILE_NAME, render_asyncapi
from shared.events.schemas import render_schemas

DEFAULT_DIR = Path("docs/schemas")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "schemas", help="write (or --check) the topic JSON Schemas and the AsyncAPI document"
    )
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="default docs/schemas")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the files differ from the models, write nothing",
    )
    parser.set_defaults(run=run)


def stale_files(folder: Path) -> list[str]:
    """Schema files that are missing, differ from the models, or are no longer generated."""
    wanted = render_schemas()
    stale = [
        name
        for name, text in wanted.items()
        if not (folder / name).exists() or (folder / name).read_text("utf-8") != text
    ]
    extra = [p.name for p in folder.glob("*.schema.json") if p.name not in wanted]
    document = folder.parent / FILE_NAME
    if not document.exists() or document.read_text("utf-8") != render_asyncapi():
        stale.append(f"../{FILE_NAME}")
    return sorted(stale + extra)


def run(args: argparse.Namespace) -> int:
    folder: Path = args.dir
    if args.check:
        stale = stale_files(folder)
        for name in stale:
            print(f"stale: {folder / name}", file=sys.stderr)
        return 1 if stale else 0
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.schema.json"):
        path.unlink()
    for name, text in render_schemas().items():
        (folder / name).write_text(text, encoding="utf-8")
        print(f"wrote {folder / name}")
    document = folder.parent / FILE_NAME
    document.write_text(render_asyncapi(), encoding="utf-8")
    print(f"wrote {document}")
    return 0
