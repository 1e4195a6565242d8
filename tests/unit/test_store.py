from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import load_settings
from shared.errors import ConfigError
from shared.store import Store, store_url_for

V1 = "CREATE TABLE seen (id TEXT PRIMARY KEY)"
V2 = "ALTER TABLE seen ADD COLUMN at REAL; CREATE INDEX seen_at ON seen (at)"


def test_migrations_apply_once_and_survive_reopen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'svc.db'}"
    store = Store(url, migrations=[V1])
    assert store.schema_version == 1
    store.execute("INSERT INTO seen (id) VALUES (?)", ("a",))
    store.close()
    store = Store(url, migrations=[V1, V2])
    assert store.schema_version == 2
    assert [row["id"] for row in store.query("SELECT id FROM seen")] == ["a"]
    store.close()
    with pytest.raises(ConfigError, match="newer than this build"):
        Store(url, migrations=[V1])


def test_transaction_is_all_or_nothing() -> None:
    store = Store("sqlite:///:memory:", migrations=[V1])

    def crash_between_writes() -> None:
        with store.transaction() as db:
            db.execute("INSERT INTO seen (id) VALUES ('x')")
            raise RuntimeError("crash between the two writes")

    with pytest.raises(RuntimeError):
        crash_between_writes()
    assert store.query("SELECT id FROM seen") == []
    assert store.execute("INSERT OR IGNORE INTO seen (id) VALUES ('x')") == 1
    assert store.execute("INSERT OR IGNORE INTO seen (id) VALUES ('x')") == 0


def test_default_url_is_a_file_per_service(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    url = store_url_for(settings, "ingest", "")
    assert url.startswith("sqlite:///")
    assert url.endswith("ingest.db")
    assert store_url_for(settings, "ingest", "sqlite:///x.db") == "sqlite:///x.db"
    with pytest.raises(ConfigError, match="unsupported store URL"):
        Store("postgres://db/x", migrations=[])
