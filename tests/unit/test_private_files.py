"""Every file the product writes is private (0600), whatever the umask and existing folders."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from interview_outreach.daemon import unit
from interview_outreach.daemon.cli import main
from interview_outreach.daemon.demo import MARKER, run_demo
from interview_outreach.daemon.errors import StorageError
from interview_outreach.daemon.private_files import (
    create_private,
    private_dir,
    restrict,
    write_private,
)
from interview_outreach.daemon.secrets import FileSecrets
from interview_outreach.daemon.store.repository import Store
from tests.e2e.conftest import World

START = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)
WINDOW_OPENS = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # the outreach draft is due


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: whatever the product does not restrict itself is 0666."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def interview_world(root: Path, capsys: pytest.CaptureFixture[str]) -> World:
    world = World(root, capsys)
    world.add_event("acme-1", "Acme – Technical interview (Senior Backend Engineer)", START)
    return world


def test_private_dir_makes_every_missing_folder_0700_and_leaves_existing_ones(
    tmp_path: Path, open_umask: None
) -> None:
    existing = tmp_path / "existing"
    existing.mkdir(mode=0o755)
    made = private_dir(existing / "a" / "b")
    assert made == existing / "a" / "b"
    assert [mode(existing / "a"), mode(made)] == [0o700, 0o700]
    assert mode(existing) == 0o755
    assert private_dir(made) == made  # nothing to do


def test_private_dir_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError) as caught:
        private_dir(tmp_path / "file" / "sub")
    assert caught.value.filename == str(tmp_path / "file")


def test_write_private_replaces_an_open_file_with_a_private_one(
    tmp_path: Path, open_umask: None
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("old")
    path.chmod(0o666)
    write_private(path, "new – text")
    assert path.read_text(encoding="utf-8") == "new – text"
    assert mode(path) == 0o600
    write_private(path, b"\x00bytes")
    assert path.read_bytes() == b"\x00bytes"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]  # no temporary file left


def test_create_private_and_restrict(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "state.db"
    assert create_private(path)
    assert mode(path) == 0o600 and path.read_bytes() == b""
    path.write_bytes(b"content")
    path.chmod(0o664)
    assert not create_private(path)  # an existing file is left as it is
    assert restrict(path)
    assert mode(path) == 0o600 and path.read_bytes() == b"content"
    assert not restrict(path)
    assert not restrict(tmp_path / "missing")
    folder = tmp_path / "folder"
    folder.mkdir(mode=0o755)
    assert not restrict(folder)  # only files
    assert mode(folder) == 0o755


def test_the_database_and_its_wal_and_shm_files_are_private_during_a_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], open_umask: None
) -> None:
    world = interview_world(tmp_path, capsys)
    seen: dict[str, set[int]] = {}

    def clock() -> datetime:
        # Called during the pass, while the database is open: the -wal and -shm files exist.
        for path in tmp_path.glob("state.db*"):
            seen.setdefault(path.name, set()).add(mode(path))
        return WINDOW_OPENS

    assert main(["--config", str(world.config), "once"], clock=clock) == 0, capsys.readouterr()
    assert {"state.db", "state.db-wal", "state.db-shm"} <= seen.keys()
    assert all(modes == {0o600} for modes in seen.values()), seen
    assert mode(tmp_path / "state.db") == 0o600


def test_an_open_database_and_side_files_left_by_a_crash_are_made_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], open_umask: None
) -> None:
    world = interview_world(tmp_path, capsys)
    assert world.run("once", at=WINDOW_OPENS).code == 0
    database = tmp_path / "state.db"
    database.chmod(0o644)
    for side in ("-wal", "-shm", "-journal"):
        leftover = tmp_path / f"state.db{side}"
        leftover.write_bytes(b"")
        leftover.chmod(0o666)
    result = world.run("once", at=WINDOW_OPENS)
    assert result.code == 0, result.err
    assert {p.name: mode(p) for p in tmp_path.glob("state.db*")} == {
        p.name: 0o600 for p in tmp_path.glob("state.db*")
    }
    assert mode(database) == 0o600


def test_a_database_folder_is_created_0700_all_the_way(tmp_path: Path, open_umask: None) -> None:
    with Store(f"sqlite:///{tmp_path / 'data' / 'interview-outreach' / 'state.db'}"):
        pass
    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "interview-outreach") == 0o700
    assert mode(tmp_path / "data" / "interview-outreach" / "state.db") == 0o600


def test_a_database_that_cannot_be_made_private_is_refused_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "state.db"
    database.write_bytes(b"")
    database.chmod(0o644)

    def refuse(self: Path, mode: int) -> None:
        raise PermissionError(1, "Operation not permitted", str(self))

    monkeypatch.setattr(Path, "chmod", refuse)
    with pytest.raises(StorageError) as caught:
        Store(f"sqlite:///{database}")
    message = str(caught.value)
    assert "\n" not in message
    assert f"run: chmod 600 {database}" in message


def test_drafts_are_private_in_a_drafts_folder_a_mail_client_made_0755(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], open_umask: None
) -> None:
    world = interview_world(tmp_path, capsys)
    for sub in ("cur", "new", "tmp"):
        (world.maildir / ".Drafts" / sub).mkdir(mode=0o755, parents=True)
    result = world.run("once", at=WINDOW_OPENS)
    assert result.code == 0, result.err
    (draft,) = world.draft_paths()
    assert mode(draft) == 0o600
    assert mode(draft.parent) == 0o755  # the mail client's folder is left as it was


@pytest.mark.parametrize("name", [".Drafts", ".Sent"])
def test_a_maildir_folder_the_product_creates_is_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], open_umask: None, name: str
) -> None:
    world = interview_world(tmp_path, capsys)
    assert world.run("once", at=WINDOW_OPENS).code == 0
    folder = world.maildir / name
    assert {sub.name: mode(sub) for sub in folder.iterdir()} == {
        "cur": 0o700,
        "new": 0o700,
        "tmp": 0o700,
        "maildirfolder": 0o600,
    }
    assert mode(folder) == 0o700


def test_the_unit_file_is_private_and_replaces_an_open_one(
    tmp_path: Path, open_umask: None
) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    first = unit.install(None, env)
    assert first.path == tmp_path / "config" / "systemd" / "user" / unit.UNIT_NAME
    assert mode(first.path) == 0o600
    assert [mode(p) for p in (first.path.parents[2], first.path.parents[1], first.path.parent)] == [
        0o700,
        0o700,
        0o700,
    ]
    first.path.chmod(0o644)
    first.path.parent.chmod(0o755)
    second = unit.install(None, env)
    assert second.replaced
    assert mode(second.path) == 0o600
    assert mode(second.path.parent) == 0o755  # an existing folder is the user's
    assert [p.name for p in second.path.parent.iterdir()] == [unit.UNIT_NAME]


def test_everything_the_demo_writes_is_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], open_umask: None
) -> None:
    root = tmp_path / "share" / "demo"
    assert run_demo(root, lambda: WINDOW_OPENS) == 0, capsys.readouterr().err
    drafts = root / "mail" / ".Drafts"
    assert any((drafts / "cur").iterdir())
    # .Drafts and .Sent are the Maildir provider's to create (see the test above).
    provider_folders = [root / "mail" / ".Drafts", root / "mail" / ".Sent"]
    written = [
        p
        for p in root.rglob("*")
        if not any(p == folder or folder in p.parents for folder in provider_folders)
    ]
    assert {p.relative_to(root).as_posix() for p in written if p.is_file()} >= {
        MARKER,
        "config.toml",
        "demo.db",
        "calendar/northwind-technical.ics",
    }
    assert {str(p.relative_to(root)): mode(p) for p in written} == {
        str(p.relative_to(root)): 0o600 if p.is_file() else 0o700 for p in written
    }
    assert [mode(root.parent), mode(root)] == [0o700, 0o700]
    assert all(mode(p) == 0o600 for p in (drafts / "cur").iterdir())


def test_the_token_file_and_its_folders_are_private(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "a" / "b" / "tokens.json"
    FileSecrets(path).set_password("interview-outreach", "home", "secret")
    assert [mode(tmp_path / "a"), mode(path.parent), mode(path)] == [0o700, 0o700, 0o600]
    assert [p.name for p in path.parent.iterdir()] == ["tokens.json"]
