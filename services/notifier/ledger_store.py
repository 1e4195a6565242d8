"""The ledger in the store: its escalations in one locked row, its openings one row each.

Every transaction that decides on alerts locks the ledger row first (:meth:`LedgerStore.lock`),
so decisions are serialised, across replicas too. The row carries a ``stamp``, new at each
write: a replica keeps the ledger it last read or wrote, and reads the openings again only when
the stamp is not the one it knows (another replica wrote, or its own write was rolled back), or
the row's body is not the one it knows (a replica of a build before notifier_0004, which keeps
openings in the body, wrote it: those openings are taken into their rows).
A decision that opens an alert adds one row; openings the ledger no longer keeps (older than a
day, or past the newest :data:`~services.notifier.policy.prevention.MAX_OPENINGS`) are deleted.
So a step costs the same whether the day has seen ten openings or a thousand (the ledger was one
JSON document, read, checked and written whole at every step).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import takewhile
from typing import Final

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifier.policy.prevention import MAX_OPENINGS, Ledger, Opening
from services.notifier.tables import ledger, openings
from shared.storage import later, locked, upsert

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    """``moment`` in whole microseconds since the epoch: stored and read back exactly."""
    return (moment - _EPOCH) // _MICROSECOND


def _moment(micros: int) -> datetime:
    return _EPOCH + micros * _MICROSECOND


_KEY: Final = ["at_us", "fingerprint"]
# The deletes of openings let go, built once (a step makes one whenever the ledger is full;
# see shared.storage.any_of for why).
_GONE: Final = later(delete(openings))
#: Openings before the moment ``oldest``, and those of that moment but for ``tied``.
_GONE_BEFORE: Final = later(
    delete(openings).where(
        or_(
            openings.c.at_us < bindparam("oldest"),
            and_(
                openings.c.at_us == bindparam("oldest"),
                openings.c.fingerprint.not_in(bindparam("tied", expanding=True)),
            ),
        )
    )
)


def _rows(kept: Iterable[Opening]) -> list[dict[str, object]]:
    return [
        {"at_us": _micros(o.at), "fingerprint": o.fingerprint, "words": " ".join(o.words)}
        for o in kept
    ]


class LedgerStore:
    """The ledger of one database, kept between transactions while its stamp holds."""

    def __init__(self) -> None:
        self._stamp: str | None = None
        self._body = ""
        self._book: Ledger | None = None
        #: ``id()`` of each opening of ``_book``: a decision carries the openings it keeps over
        #: as the same objects, so those not among them are new (``_book`` holds every one of
        #: them, so no id stands for an object gone).
        self._ids: frozenset[int] = frozenset()

    async def lock(self, db: AsyncConnection) -> Ledger:
        """The ledger, locked until the transaction ends."""
        row = await locked(db, ledger, {"id": 1, "body": Ledger().model_dump_json()})
        stamp, body = row.stamp, str(row.body)
        if self._book is None or stamp is None or stamp != self._stamp or body != self._body:
            stored = Ledger.model_validate_json(body)
            if stored.openings:  # written by a replica of a build before notifier_0004
                await upsert(db, openings, _rows(stored.openings), key=_KEY, ignore=True)
            found = await db.execute(
                select(openings.c.fingerprint, openings.c.words, openings.c.at_us).order_by(
                    openings.c.at_us, openings.c.fingerprint
                )
            )
            kept = tuple(
                Opening(
                    fingerprint=str(fingerprint),
                    words=tuple(str(words).split()),
                    at=_moment(int(at_us)),
                )
                for fingerprint, words, at_us in found
            )[-MAX_OPENINGS:]
            book = Ledger(escalations=stored.escalations, openings=kept)
            self._remember(stamp, body, book, frozenset(map(id, kept)))
        assert self._book is not None
        return self._book

    async def save(self, db: AsyncConnection, book: Ledger) -> None:
        """Store ``book``, a ledger decided from the one :meth:`lock` answered in this
        transaction: its new openings, the openings it let go, its escalations, a new stamp."""
        before = self._book
        if before is None:
            raise RuntimeError("the ledger is saved in the transaction that locked it")
        if book is before:
            return
        ids = self._ids
        if book.openings is not before.openings:
            added = [o for o in book.openings if id(o) not in self._ids]
            if added:  # an opening already stored (were one rebuilt) is no error: ignored
                await upsert(db, openings, _rows(added), key=_KEY, ignore=True)
            ids = ids.union(map(id, added))
            if len(book.openings) < len(ids):
                if book.openings:
                    # Those before the oldest kept, and those of its moment it let go (the
                    # openings are in time order: those of the oldest moment come first).
                    oldest = book.openings[0].at
                    tied = [
                        o.fingerprint for o in takewhile(lambda o: o.at == oldest, book.openings)
                    ]
                    await db.execute(_GONE_BEFORE, {"oldest": _micros(oldest), "tied": tied})
                else:
                    await db.execute(_GONE)
                ids = frozenset(map(id, book.openings))
        stamp = uuid.uuid4().hex
        body = book.model_copy(update={"openings": ()}).model_dump_json()
        await db.execute(
            later(update(ledger).where(ledger.c.id == 1).values(body=body, stamp=stamp))
        )
        self._remember(stamp, body, book, ids)

    def _remember(self, stamp: str | None, body: str, book: Ledger, ids: frozenset[int]) -> None:
        self._stamp, self._body, self._book, self._ids = stamp, body, book, ids
