"""The library's analyzer with its state in a database (``ErrorAnalyzer(store_url=...)``): the
same store and the same batch logic as the service, so pattern ids, counts, incidents and
release ages survive a restart and agree across processes sharing the store.

The library's API is synchronous and the store is asynchronous: a private event loop, on a
thread of its own, runs every call.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from services.analyzer.classify import classify_all
from services.analyzer.core import Analyzer
from services.analyzer.frequency import FingerprintState
from services.analyzer.store import AnalyzerStore, load_all_states, save
from services.analyzer.tables import SCHEMA
from shared.config.analyzer import AnalyzerSection
from shared.events import ClassifiedErrorData, RawErrorData
from shared.storage import Database

T = TypeVar("T")


class StoredAnalysis:
    """Errors classified one at a time in the store at ``url``, each in its own transaction;
    the template snapshot is saved every ``template_snapshot_seconds`` and on :meth:`close`."""

    def __init__(self, url: str, analyzer: Analyzer, section: AnalyzerSection) -> None:
        self._analyzer = analyzer
        self._section = section
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="alertorch-analyzer-store", daemon=True
        )
        self._thread.start()
        self._database = Database(url, schemas=[SCHEMA])
        self._store = AnalyzerStore(self._database)
        self._snapshot_at = 0.0
        try:
            self._run(self._open())
        except BaseException:
            self._stop_loop()
            raise

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    async def _open(self) -> None:
        await self._database.migrate()
        self._analyzer.miner = await self._store.load_miner(self._section)

    def analyze(self, error: RawErrorData, now: float) -> ClassifiedErrorData:
        return self._run(self._analyze(error, now))

    async def _analyze(self, error: RawErrorData, now: float) -> ClassifiedErrorData:
        async with self._database.transaction() as db:
            result = await classify_all(db, self._analyzer, [(error, now)], wall=now)
            await save(db, result.states, {}, {}, now=now)
        self._analyzer.miner.confirm(result.settlement)
        if now - self._snapshot_at >= self._section.template_snapshot_seconds:
            self._snapshot_at = now
            await self._store.save_miner(self._analyzer.miner)
        return result.data[0]

    def states(self) -> dict[str, FingerprintState]:
        """Every fingerprint's state the store holds."""
        return self._run(self._states())

    async def _states(self) -> dict[str, FingerprintState]:
        async with self._database.transaction() as db:
            return await load_all_states(db)

    def close(self) -> None:
        """Save the template snapshot and close the store."""
        try:
            self._run(self._close())
        finally:
            self._stop_loop()

    async def _close(self) -> None:
        try:
            await self._store.save_miner(self._analyzer.miner)
        finally:
            await self._database.close()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
