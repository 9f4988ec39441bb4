"""What each command loads: the quick ones no provider client library, no Alembic (issue 11).

Each case runs in a fresh interpreter (``sys.modules`` of this one holds everything the
other tests imported) on a world of local accounts whose database is already at the newest
schema revision, and lists the modules loaded when the command has finished.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from interview_outreach.daemon.config import load_config
from interview_outreach.daemon.store.db import alembic_config, open_engine, stored_revisions
from interview_outreach.daemon.store.repository import Store
from interview_outreach.daemon.store.revision import HEAD_REVISION
from tests.concurrency_world import ROOT, World, build_world, child_env

PROVIDER_LIBRARIES = (
    "googleapiclient",
    "google_auth_oauthlib",
    "google.auth",
    "google.oauth2",
    "httplib2",
    "msal",
    "interview_outreach.providers.google",
    "interview_outreach.providers.microsoft",
)
"""Never loaded for local accounts only."""

NOT_FOR_A_MIGRATED_DATABASE = ("alembic",)

NOT_FOR_LOCAL_ACCOUNTS = ("keyring", "sqlalchemy.orm")
"""Memory the daemon keeps for good (it must stay under 60 MB): no token, no keyring, and
storage through SQLAlchemy Core only."""

NOT_FOR_READING = (
    "interview_outreach.daemon.doctor",
    "jinja2",
    "apscheduler",
    "interview_outreach.daemon.runtime",
)
"""`status` and `explain` only read the database and print."""

COMMAND = """
import contextlib, io, json, sys
from interview_outreach.daemon.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""
"""A child: run the CLI with the given arguments, then report what is loaded."""

DAEMON = """
import json, os, sys
from pathlib import Path
from interview_outreach.daemon.config import load_config
from interview_outreach.daemon.runtime import Daemon
daemon = Daemon(lambda: load_config(Path(sys.argv[1]), os.environ))
try:
    daemon.start()
    outcome = daemon.run_due_pass()
    daemon.stop()
finally:
    daemon.close()
code = 0 if outcome is not None and not outcome.failed else 1
print(json.dumps({"code": code, "out": repr(outcome), "modules": sorted(sys.modules)}))
"""
"""A child: the daemon's start and one pass over every account, as `run` does them."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Two local accounts with three interviews each, one pass done, at the newest schema."""
    world = build_world(
        tmp_path_factory.mktemp("imports"), accounts=2, interviews=3, now=datetime.now(UTC)
    )
    Store(load_config(world.config, {}).storage.url).close()  # migrated here, not in a child
    child(world.root, COMMAND, "--config", str(world.config), "once")  # interviews to show
    return world


def child(root: Path, script: str, *args: str) -> set[str]:
    """Run ``script`` in a fresh interpreter; the modules it had loaded when it finished."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=child_env(root / "home"),
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["code"] == 0, (report["out"], done.stderr)
    return set(report["modules"])


def loaded_of(modules: Iterable[str], packages: Sequence[str]) -> list[str]:
    """The ``packages`` (or modules of theirs) among ``modules``."""
    return sorted(p for p in packages if any(m == p or m.startswith(p + ".") for m in modules))


def interview_id(world: World) -> str:
    with Store(load_config(world.config, {}).storage.url) as store:
        return store.interviews()[0].interview.id


@pytest.mark.parametrize(
    ("command", "reads_only"),
    [(["status"], True), (["status", "--json"], True), (["explain"], True), (["accounts"], False)],
    ids=["status", "status --json", "explain", "accounts"],
)
def test_quick_commands_load_no_provider_library_and_no_alembic(
    world: World, command: list[str], reads_only: bool
) -> None:
    args = [*command, interview_id(world)] if command == ["explain"] else command
    modules = child(world.root, COMMAND, "--config", str(world.config), *args)
    # It did open the database: `status` reads SQLite at the newest schema without SQLAlchemy.
    opened = (
        "interview_outreach.daemon.store.sqlite_reader"
        if command[0] == "status"
        else "interview_outreach.daemon.store.repository"
    )
    assert opened in modules
    # `accounts` describes each account with daemon.doctor's words (a light module).
    also = (
        NOT_FOR_READING
        if reads_only
        else ("jinja2", "apscheduler", "interview_outreach.daemon.runtime")
    )
    if command[0] == "status":
        also = (*also, "sqlalchemy", "interview_outreach.daemon.store.repository")
    unwanted = (*PROVIDER_LIBRARIES, *NOT_FOR_A_MIGRATED_DATABASE, *also)
    assert loaded_of(modules, unwanted) == []


def test_a_pass_with_local_accounts_loads_no_provider_library(world: World) -> None:
    modules = child(world.root, COMMAND, "--config", str(world.config), "once")
    assert "interview_outreach.daemon.passes" in modules
    unwanted = PROVIDER_LIBRARIES + NOT_FOR_A_MIGRATED_DATABASE + NOT_FOR_LOCAL_ACCOUNTS
    assert loaded_of(modules, unwanted) == []


def test_the_daemon_with_local_accounts_loads_no_provider_library(world: World) -> None:
    modules = child(world.root, DAEMON, str(world.config))
    assert {"apscheduler", "interview_outreach.daemon.passes"} <= modules
    unwanted = PROVIDER_LIBRARIES + NOT_FOR_A_MIGRATED_DATABASE + NOT_FOR_LOCAL_ACCOUNTS
    assert loaded_of(modules, unwanted) == []


def test_a_new_database_is_migrated_with_alembic(tmp_path: Path) -> None:
    # The other side of the check above: Alembic is loaded exactly when a migration is due.
    world = build_world(tmp_path / "world", accounts=1, interviews=1, now=datetime.now(UTC))
    modules = child(world.root, COMMAND, "--config", str(world.config), "status")
    assert loaded_of(modules, NOT_FOR_A_MIGRATED_DATABASE) == ["alembic"]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'world/state.db'}")
    with engine.connect() as conn:
        assert stored_revisions(conn) == {HEAD_REVISION}
    engine.dispose()


def test_head_revision_is_alembics_head() -> None:
    # daemon.store.db.HEAD_REVISION decides whether Alembic is needed at all: it must name
    # the newest migration (bump it when adding one).
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def test_a_database_at_an_older_revision_is_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    older = sa.create_engine(url)
    with older.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    with older.connect() as conn:
        assert stored_revisions(conn) == {"0001"}
    older.dispose()
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            assert stored_revisions(conn) == {HEAD_REVISION}
    finally:
        engine.dispose()
