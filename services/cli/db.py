"""``alertorch db upgrade``: migrate every service's stores ahead of time.

Services migrate their own stores when they start (one replica at a time); this does the same
work before a deploy, e.g. as a Kubernetes Job or a compose one-shot, and prints where each store
stands. A store written by a newer build is an error (exit 2).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from services.cli.common import add_config_dir, settings_or_exit
from services.cli.registry import SERVICES
from shared.errors import ConfigError
from shared.storage import StoreSchema, open_database
from shared.storage.migrate import current_revisions
from shared.storage.url import engine_url


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="the services' databases")
    actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    upgrade = actions.add_parser(
        "upgrade", help="apply every pending migration of every service's stores (or --service)"
    )
    upgrade.add_argument(
        "--service",
        action="append",
        choices=sorted(SERVICES),
        help="only this service (repeatable; default: all)",
    )
    add_config_dir(upgrade)
    upgrade.set_defaults(run=run_upgrade)


async def _upgrade(targets: dict[str, dict[str, list[StoreSchema]]]) -> list[str]:
    lines = []
    for service, stores in targets.items():
        for url, schemas in stores.items():
            database = await open_database(url, schemas=schemas)
            try:
                async with database.transaction() as db:
                    for schema in database.schemas:
                        [revision] = await db.run_sync(current_revisions, schema)
                        where = engine_url(url).render_as_string(hide_password=True)
                        lines.append(f"{service}: {schema.name} at {revision} ({where})")
            finally:
                await database.close()
    return lines


def run_upgrade(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config_dir)
    chosen = args.service or sorted(SERVICES)
    targets = {name: SERVICES[name].stores(settings) for name in chosen}
    try:
        lines = asyncio.run(_upgrade(targets))
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0
