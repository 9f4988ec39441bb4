"""A real ``interview-outreach once`` process that kills itself (SIGKILL) at a chosen point.

Run from the project root::

    python -m tests.e2e.crash_child --config CONFIG --at 2026-12-07T09:00:00+00:00 \\
        --crash create_draft:after:1
    python -m tests.e2e.crash_child --config CONFIG --at ... --count points.json
    python -m tests.e2e.crash_child --serve   # forks one of the above per request line

A crash spec is ``POINT:WHEN:N``: the N-th time (from 1) this process reaches ``POINT``,
``WHEN`` (``before`` or ``after``) it, the process sends itself SIGKILL: no ``finally``
block, no lease release, no rollback runs. Points:

* ``create_draft``, ``update_draft``, ``delete_draft``: a mailbox write of any provider
  (local Maildir, Gmail, Graph); *before* the provider is called, or *after* it returned.
* ``commit``: a commit of a database transaction that writes (connections of the store's
  writer engine; read-only transactions change nothing a crash could lose).

``--count FILE`` runs the pass without killing and writes how often each point was
reached, and the order of the points with what each commit wrote, as JSON to FILE; a test
enumerates every crash point of a pass with it. The pass report goes to stdout as usual.
The clock is injected: ``--at`` is the moment the pass believes it is.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import signal
import sys
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry, Pool

from interview_outreach.daemon.cli import main
from interview_outreach.daemon.store.db import SQLITE_IMMEDIATE
from interview_outreach.providers.google.gmail import GmailMailbox
from interview_outreach.providers.local.mailbox import LocalMailbox
from interview_outreach.providers.microsoft.mail import GraphMailbox

MAILBOXES = (LocalMailbox, GmailMailbox, GraphMailbox)
WRITES = ("create_draft", "update_draft", "delete_draft")
POINTS = (*WRITES, "commit")
WHEN = ("before", "after")
KILLED_MARK = "crash_child: SIGKILL at"
WROTE = "crash_child.wrote"  # Connection.info: what the open transaction wrote
COMMITTED = "crash_child.committed"  # ...and what its commit wrote, until it is checked in
UNREACHED_EXIT = 3  # the crash point was never reached: the pass ended normally


class Points:
    """Counts the points this process passes, and kills it at the one asked for."""

    def __init__(self, crash: tuple[str, str, int] | None) -> None:
        self.crash = crash
        self.counts: Counter[str] = Counter()
        self.trace: list[str] = []

    def reach(self, point: str, when: str, label: str = "") -> None:
        key = f"{point}:{when}"
        self.counts[key] += 1
        number = self.counts[key]
        self.trace.append(f"{key}:{number}" + (f" {label}" if label else ""))
        if self.crash == (point, when, number):
            os.write(2, f"{KILLED_MARK} {key}:{number} {label}\n".encode())
            os.kill(os.getpid(), signal.SIGKILL)

    def report(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "trace": self.trace}


def parse_spec(spec: str) -> tuple[str, str, int]:
    point, when, number = spec.split(":")
    if point not in POINTS or when not in WHEN or int(number) < 1:
        raise ValueError(f"bad crash spec {spec!r}: POINT:before|after:N, POINT in {POINTS}")
    return point, when, int(number)


def install(points: Points) -> None:
    """Hook every provider's draft writes and every writing commit."""
    for cls in MAILBOXES:
        for name in WRITES:
            setattr(cls, name, _wrapped(getattr(cls, name), name, points))

    def writes(conn: Connection) -> bool:
        return bool(conn.get_execution_options().get(SQLITE_IMMEDIATE, False))

    def on_begin(conn: Connection) -> None:
        # Connection.info outlives the transaction (it is the pooled connection's).
        conn.info.pop(WROTE, None)

    def on_execute(conn: Connection, statement: Any, *_args: Any) -> None:
        table = getattr(statement, "table", None)
        if table is None or not statement.is_dml:
            return
        note = table.name
        if table.name == "actions" and statement.is_insert:
            params = statement.compile().params
            flags = [params.get("kind"), params.get("state")]
            flags += [f for f in ("pending_hash", "removing") if params.get(f)]
            note += "(" + " ".join(str(f) for f in flags if f) + ")"
        elif table.name == "leases" and statement.is_delete:
            note += "(release)"
        elif table.name == "leases":  # taking it sets the holder; renewing it does not
            note += "(take)" if "holder_id" in statement.compile().params else "(renew)"
        conn.info.setdefault(WROTE, []).append(note)

    def before_commit(conn: Connection) -> None:
        if writes(conn):
            label = "+".join(dict.fromkeys(conn.info.get(WROTE, []))) or "-"
            points.reach("commit", "before", label)
            conn.info[COMMITTED] = label

    def after_commit(_dbapi_connection: Any, entry: ConnectionPoolEntry | None) -> None:
        # Core has no event after a commit; a committed connection goes back to the pool
        # next, and nothing durable happens in between.
        if entry is not None and COMMITTED in entry.info:
            points.reach("commit", "after", entry.info.pop(COMMITTED))

    event.listen(Engine, "begin", on_begin)
    event.listen(Engine, "before_execute", on_execute)
    event.listen(Engine, "commit", before_commit)
    event.listen(Pool, "checkin", after_commit)


def _wrapped(original: Callable[..., Any], name: str, points: Points) -> Callable[..., Any]:
    @functools.wraps(original)
    def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        points.reach(name, "before")
        result = original(self, *args, **kwargs)
        points.reach(name, "after", str(getattr(result, "value", "")))
        return result

    return write


def serve() -> int:
    """Start one ``run`` per request line, each in a process of its own forked from this one.

    Importing the program takes most of a second; a test that kills a hundred passes asks
    this process, which imported everything once, to fork them instead. Requests and
    answers are JSON lines: ``{"argv": [...], "env": {...}, "out": PATH, "err": PATH}`` →
    ``{"pid": PID}`` at once, then ``{"pid": PID, "returncode": CODE}`` when it ended
    (``-9`` for a process killed by SIGKILL). The forked process gets ``env`` added to its
    environment before anything reads it (the keyring backend is chosen and CA bundles are
    read only when first used) and its stdout and stderr in the files ``out`` and ``err``.
    This process starts no thread and opens no database, so each fork starts as clean as a
    new interpreter after its imports.
    """
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            _child(request)
        sys.stdout.write(json.dumps({"pid": pid}) + "\n")
        sys.stdout.flush()
        _, status = os.waitpid(pid, 0)
        answer = {"pid": pid, "returncode": os.waitstatus_to_exitcode(status)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


def _child(request: dict[str, Any]) -> None:
    code = 70
    try:
        for fd, path in ((1, request["out"]), (2, request["err"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        os.environ.update(request["env"])
        code = run(request["argv"])
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 2
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crash_child")
    parser.add_argument("--config", required=True)
    parser.add_argument("--at", required=True, type=datetime.fromisoformat)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--crash", type=parse_spec)
    mode.add_argument("--count", type=Path)
    args = parser.parse_args(argv)
    at: datetime = args.at
    points = Points(args.crash)
    install(points)
    code = main(["--config", args.config, "once"], clock=lambda: at)
    sys.stdout.flush()
    if args.count is not None:
        args.count.write_text(json.dumps(points.report(), indent=1), encoding="utf-8")
        return code
    print(f"crash_child: {':'.join(map(str, args.crash))} was never reached", file=sys.stderr)
    return UNREACHED_EXIT


if __name__ == "__main__":
    raise SystemExit(serve() if sys.argv[1:] == ["--serve"] else run())
