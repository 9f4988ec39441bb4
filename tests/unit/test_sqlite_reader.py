"""`status` reads a SQLite store without SQLAlchemy, and sees exactly what the Store sees.

The reader is held to the Store on the same database (interviews with drafted, sent and
planned actions, accounts); whenever it cannot be sure (another database, a migration due,
a file that is not there or not a database) it answers ``None`` and the Store is used.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from interview_outreach.daemon.cli import main
from interview_outreach.daemon.config import load_config
from interview_outreach.daemon.store.repository import Store
from interview_outreach.daemon.store.sqlite_reader import read_status
from tests.concurrency_world import World, build_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = build_world(
        tmp_path / "w", accounts=2, interviews=3, now=datetime.now(UTC), actions="both"
    )
    assert main(["--config", str(world.config), "once"]) in (0, 3)
    return world


def url_of(world: World) -> str:
    return load_config(world.config, {}).storage.url


def test_the_reader_sees_what_the_store_sees(world: World) -> None:
    url = url_of(world)
    view = read_status(url)
    assert view is not None
    with Store(url) as store:
        assert view.interviews == store.interviews()
        assert view.accounts == {s.name: s for s in store.account_states()}
    assert len(view.interviews) == 6
    assert any(a.draft_id for t in view.interviews for a in t.actions)


def test_status_json_is_the_same_either_way(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(world.config), "status", "--json"]) == 0
    fast = capsys.readouterr().out
    monkeypatch.setattr(
        "interview_outreach.daemon.store.sqlite_reader.read_status", lambda url: None
    )
    assert main(["--config", str(world.config), "status", "--json"]) == 0
    assert capsys.readouterr().out == fast


def test_a_database_that_needs_a_migration_is_left_to_the_store(world: World) -> None:
    url = url_of(world)
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0002'")
    assert read_status(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://me@localhost/outreach",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///{missing}",
        "sqlite:///{world}?mode=ro",
        "sqlite:///{garbage}",
    ],
)
def test_anything_else_is_left_to_the_store(tmp_path: Path, url: str) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    filled = url.format(missing=tmp_path / "missing.db", world=tmp_path / "w.db", garbage=garbage)
    assert read_status(filled) is None
    assert not (tmp_path / "missing.db").exists()  # nothing created
