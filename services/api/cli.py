"""``alertorch tokens create|list|revoke``: the console API's bearer tokens, written straight
to the console's database (the same ``storage.url`` the ``api`` service reads); and
``alertorch report``: a window's analytics from that read model, in the terminal.

``create`` prints the token once (it is stored only as a hash); ``--json`` prints it with its
id and role as one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from services.api import report, tokens
from services.api.analytics import Window
from services.api.app import stores
from services.cli.common import add_config_dir, settings_or_exit
from shared.durations import parse_duration
from shared.errors import ConfigError
from shared.storage import Database, open_database

T = TypeVar("T")


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    summary = sub.add_parser(
        "report",
        help="errors by category, noisiest services, top patterns, fixes by strategy, response "
        "time, MTTA/MTTR and escalations over a window, from the console's read model",
    )
    summary.add_argument(
        "--since", type=_duration, default=7 * 86400.0, help="the window up to now (default 7d)"
    )
    summary.add_argument("--json", action="store_true", help="every figure, as JSON")
    add_config_dir(summary)
    summary.set_defaults(run=run_report)

    parser = sub.add_parser("tokens", help="the console API's bearer tokens")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    create = verbs.add_parser("create", help="make a token and print it (shown only once)")
    create.add_argument("--role", required=True, choices=tokens.ROLES)
    create.add_argument("--name", default=None, help="who or what the token is for")
    create.add_argument(
        "--slack-user",
        default=None,
        help="a Slack user id (U…): the token's actions are that user's, as in Slack",
    )
    create.add_argument("--json", action="store_true", help="print one JSON object")
    add_config_dir(create)
    create.set_defaults(run=run_create)

    listing = verbs.add_parser("list", help="the tokens (never their secrets)")
    listing.add_argument("--all", action="store_true", help="revoked tokens too")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    add_config_dir(listing)
    listing.set_defaults(run=run_list)

    revoke = verbs.add_parser("revoke", help="revoke a token by its id (tok_…)")
    revoke.add_argument("token_id")
    add_config_dir(revoke)
    revoke.set_defaults(run=run_revoke)


def _with_database(args: argparse.Namespace, work: Callable[[Database], Awaitable[T]]) -> T:
    settings = settings_or_exit(args.config_dir)
    [(url, schemas)] = stores(settings).items()

    async def main() -> T:
        database = await open_database(url, schemas=schemas)
        try:
            return await work(database)
        finally:
            await database.close()

    try:
        return asyncio.run(main())
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        raise SystemExit(2) from None


def run_create(args: argparse.Namespace) -> int:
    async def work(database: Database) -> tokens.NewToken:
        return await tokens.create_token(
            database, role=args.role, name=args.name, slack_user=args.slack_user
        )

    made = _with_database(args, work)
    if args.json:
        print(json.dumps({"token": made.token, **made.info.public()}))
    else:
        print(made.token)
        print(
            f"{made.info.token_id} ({made.info.role}, {made.info.name}): keep the token above, "
            "it is not shown again",
            file=sys.stderr,
        )
    return 0


def run_list(args: argparse.Namespace) -> int:
    async def work(database: Database) -> list[tokens.TokenInfo]:
        return await tokens.list_tokens(database, include_revoked=args.all)

    for info in _with_database(args, work):
        if args.json:
            print(json.dumps(info.public()))
        else:
            revoked = " revoked" if info.revoked_at is not None else ""
            slack = f" slack:{info.slack_user}" if info.slack_user else ""
            print(f"{info.token_id}  {info.role:<8}  {info.name}{slack}{revoked}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    async def work(database: Database) -> bool:
        return await tokens.revoke_token(database, args.token_id)

    if not _with_database(args, work):
        print(f"error: no live token {args.token_id}", file=sys.stderr)
        return 1
    print(f"revoked {args.token_id}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    now = time.time()
    window = Window.spanning(now - args.since, now)

    async def work(database: Database) -> dict[str, Any]:
        async with database.transaction() as db:
            return await report.gather(db, window)

    found = _with_database(args, work)
    print(json.dumps(found, indent=2) if args.json else report.render(found))
    return 0
