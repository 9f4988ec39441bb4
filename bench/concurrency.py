"""Never twice: several interview-outreach processes at once on one configuration.

Not a test: a measurement. Two scenarios, each on fresh local accounts (a vdir calendar
and a Maildir each) whose due actions' Message-IDs are known in advance; afterwards the
drafts in every ``.Drafts`` folder are counted by Message-ID.

* ``once`` on SQLite: N processes of ``interview-outreach once`` (N = 2 and 8 by default),
  started together (each imports the program, then waits for a common "go" file), with a
  fixed clock, on ACCOUNTS × INTERVIEWS interviews (half with the outreach due, half with
  the thank-you due), ROUNDS rounds, each on a new world: new files and a new database,
  which the processes create together (``--once-storage`` also runs them on PostgreSQL).
* ``run`` on PostgreSQL: P processes of ``interview-outreach run`` (machine clock) over
  RUN_ACCOUNTS accounts whose thank-yous fall due while they run (from DUE_AFTER seconds
  after the start, spread over DUE_SPREAD seconds), stopped with SIGTERM once everything
  is drafted (plus a short settling time) or after TIMEOUT seconds.

    .venv/bin/python bench/concurrency.py [--rounds 50] [--postgres-url URL]

The PostgreSQL database (``--postgres-url``, default $INTERVIEW_OUTREACH_TEST_POSTGRES_URL)
is used in a schema of its own (``--postgres-schema``, default ``io_bench``), which is
dropped and created anew; nothing else in that database is touched.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from tests.concurrency_world import (
    PASSED_OVER,
    ROOT,
    RUN_PASSED_OVER,
    RUN_WORKED,
    World,
    build_world,
    start_processes,
    wait_all,
)

NOW = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)  # a Tuesday: the fixed clock of `once`
POSTGRES_URL_VARIABLE = "INTERVIEW_OUTREACH_TEST_POSTGRES_URL"
SETTLE_SECONDS = 3.0  # after the last draft, time for a late duplicate to show up
ERROR_LINE = re.compile(r"^.* (ERROR|CRITICAL) .*$|^Traceback .*$", re.MULTILINE)
LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")


@dataclass
class Row:
    """One line of the result table."""

    scenario: str
    processes: int
    rounds: int
    world: str
    due: int = 0  # due actions over all rounds
    drafts: int = 0
    duplicates: int = 0  # actions with more than one draft, over all rounds
    missing: int = 0  # due actions with no draft, over all rounds
    unexpected: int = 0  # drafts of no due action
    passed_over: int = 0  # "passed over" lines (once: printed; run: logged)
    exit_codes: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # problem → how often
    wall: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="`run` drops and recreates --postgres-schema in the PostgreSQL database.",
    )
    parser.add_argument("--rounds", type=int, default=50, help="rounds of `once` (default 50)")
    parser.add_argument(
        "--processes", type=int, nargs="+", default=[2, 8],
        help="numbers of concurrent `once` processes (default: 2 8)",
    )  # fmt: skip
    parser.add_argument("--accounts", type=int, default=3, help="`once`: accounts (default 3)")
    parser.add_argument(
        "--interviews", type=int, default=10, help="`once`: interviews per account (default 10)"
    )
    parser.add_argument(
        "--once-storage", choices=("sqlite", "postgresql", "both"), default="sqlite",
        help="`once`: the database the processes share (default sqlite)",
    )  # fmt: skip
    parser.add_argument(
        "--run-processes", type=int, default=4, help="concurrent `run` processes (default 4)"
    )
    parser.add_argument(
        "--run-accounts", type=int, default=200, help="`run`: accounts (default 200)"
    )
    parser.add_argument(
        "--run-interviews", type=int, default=1, help="`run`: interviews per account (default 1)"
    )
    parser.add_argument(
        "--due-after", type=float, default=10.0,
        help="`run`: seconds from the start until the first thank-you falls due (default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--due-spread", type=float, default=20.0,
        help="`run`: seconds over which the thank-yous fall due (default 20)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=float, default=600.0,
        help="`run`: stop the processes after this many seconds at the latest (default 600: "
        "more than one poll interval, so an action left to the next regular pass shows up "
        "as late rather than missing)",
    )  # fmt: skip
    parser.add_argument(
        "--poll-seconds", type=int, default=300,
        help="`run`: [daemon] poll_seconds of the configuration (default 300, the product's)",
    )  # fmt: skip
    parser.add_argument(
        "--postgres-url", default=os.environ.get(POSTGRES_URL_VARIABLE),
        help=f"PostgreSQL database for `run` (default ${POSTGRES_URL_VARIABLE})",
    )  # fmt: skip
    parser.add_argument(
        "--postgres-schema", default="io_bench",
        help="`run`: the schema used in that database, dropped and created anew (default "
        "io_bench; nothing else in the database is touched)",
    )  # fmt: skip
    parser.add_argument("--skip-once", action="store_true", help="leave out the `once` rounds")
    parser.add_argument("--skip-run", action="store_true", help="leave out the `run` scenario")
    parser.add_argument("--keep", type=Path, help="build the worlds here and keep them")
    args = parser.parse_args()

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="io-concurrency-") as scratch:
        base = args.keep or Path(scratch)
        base.mkdir(parents=True, exist_ok=True)
        if not args.skip_once:
            for storage in ("SQLite", "PostgreSQL"):
                if args.once_storage not in {storage.lower(), "both"}:
                    continue
                if storage == "PostgreSQL" and not args.postgres_url:
                    print("`once` on PostgreSQL left out: no --postgres-url")
                    continue
                for count in args.processes:
                    folder = base / f"once-{storage.lower()}-{count}"
                    rows.append(bench_once(folder, count, args, storage))
        if not args.skip_run:
            if args.postgres_url:
                rows.append(bench_run(base / "run", args))
            else:
                print(f"`run` left out: no --postgres-url and no ${POSTGRES_URL_VARIABLE}")
    print_table(rows, args)
    bad = any(r.duplicates or r.missing or r.unexpected or r.errors for r in rows)
    return 1 if bad else 0


# ---------------------------------------------------------------------------------------------
# once × N on SQLite
# ---------------------------------------------------------------------------------------------


def bench_once(base: Path, count: int, args: argparse.Namespace, storage: str) -> Row:
    row = Row(
        f"once, {storage}, fixed clock", count, args.rounds,
        f"{args.accounts} acc × {args.interviews} iv",
    )  # fmt: skip
    for round_number in range(args.rounds):
        url = None
        if storage == "PostgreSQL":
            url = fresh_schema(args.postgres_url, args.postgres_schema)
        world = build_world(
            base / f"round-{round_number:03d}", accounts=args.accounts,
            interviews=args.interviews, now=NOW, actions="both", storage_url=url,
        )  # fmt: skip
        started = time.monotonic()
        children = start_processes(
            world.root, world.config, "once", count, at=NOW, tag=f"r{round_number}"
        )
        codes = wait_all(children, timeout=300)
        row.wall.append(time.monotonic() - started)
        row.exit_codes.update(codes)
        tally = world.count()
        row.due += len(tally.expected)
        row.drafts += tally.total
        row.duplicates += len(tally.duplicated)
        row.missing += len(tally.missing)
        row.unexpected += len(tally.unexpected)
        for child in children:
            out, err = child.out(), child.err()
            row.passed_over += len(PASSED_OVER.findall(out))
            lines = [line for line in out.splitlines() if line.strip()]
            if len(lines) != args.accounts:
                row.errors[
                    f"a process printed {len(lines)} lines for {args.accounts} accounts"
                ] += 1
            for line in err.splitlines():
                row.errors[f"stderr: {line.strip()[:300]}"] += 1
        if tally.duplicated or tally.missing or tally.unexpected:
            row.notes.append(
                f"round {round_number}: {len(tally.duplicated)} duplicated, "
                f"{len(tally.missing)} missing, {len(tally.unexpected)} unexpected"
            )
        print(
            f"once ×{count} round {round_number + 1}/{args.rounds}: drafts {tally.total}/"
            f"{len(tally.expected)}, duplicated {len(tally.duplicated)}, missing "
            f"{len(tally.missing)}, exit {sorted(codes)}, {row.wall[-1]:.1f} s",
            flush=True,
        )
    return row


# ---------------------------------------------------------------------------------------------
# run × P on PostgreSQL
# ---------------------------------------------------------------------------------------------


def bench_run(base: Path, args: argparse.Namespace) -> Row:
    url = fresh_schema(args.postgres_url, args.postgres_schema)
    count = args.run_processes
    row = Row(
        "run, PostgreSQL, machine clock", count, 1,
        f"{args.run_accounts} acc × {args.run_interviews} iv",
    )  # fmt: skip
    # The thank-yous fall due while the processes run: from --due-after seconds after the
    # start on, spread over --due-spread seconds.
    steps = max(1, min(args.run_accounts * args.run_interviews, 20))
    offsets = [
        timedelta(seconds=args.due_after + args.due_spread * k / max(1, steps - 1))
        for k in range(steps)
    ]
    worlds: list[World] = []

    def build() -> None:  # once every process is ready: due times count from the start
        world = build_world(
            base, accounts=args.run_accounts, interviews=args.run_interviews,
            now=datetime.now(UTC), storage_url=url, actions="thankyou", thankyou_due=offsets,
            poll_seconds=args.poll_seconds,
        )  # fmt: skip
        worlds.append(world)

    config = base / "config.toml"
    children = start_processes(base, config, "run", count, tag="run", before_go=build)
    started, went = time.monotonic(), datetime.now(UTC)
    world = worlds[0]
    print(
        f"run ×{count}: {len(world.expected)} thank-yous in {args.run_accounts} accounts, due "
        f"{args.due_after:g}–{args.due_after + args.due_spread:g} s after the start",
        flush=True,
    )
    seen: dict[str, datetime] = {}
    done_at: float | None = None
    while time.monotonic() - started < args.timeout:
        tally = world.count()
        for message_id in tally.drafts:
            seen.setdefault(message_id, datetime.now(UTC))
        if tally.complete and done_at is None:
            done_at = time.monotonic()
            print(f"run ×{count}: all drafted after {done_at - started:.1f} s", flush=True)
        if done_at is not None and time.monotonic() - done_at >= SETTLE_SECONDS:
            break
        if any(c.process.poll() is not None for c in children):
            row.errors["a `run` process ended before it was stopped"] += 1
            break
        time.sleep(0.25)
    stop_sent = time.monotonic()
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    codes = wait_all(children, timeout=30)
    stopped = time.monotonic()
    row.exit_codes.update(codes)
    tally = world.count()
    row.due = len(tally.expected)
    row.drafts = tally.total
    row.duplicates = len(tally.duplicated)
    row.missing = len(tally.missing)
    row.unexpected = len(tally.unexpected)
    row.wall.append((done_at or stop_sent) - started)

    worked_by: dict[str, set[str]] = {}
    per_process = []
    for child in children:
        err = child.err()
        worked = {m["account"] for m in RUN_WORKED.finditer(err)}
        created = sum(int(m["created"]) for m in RUN_WORKED.finditer(err))
        for account in worked:
            worked_by.setdefault(account, set()).add(str(child.pid))
        per_process.append((child.pid, len(worked), created))
        row.passed_over += len(RUN_PASSED_OVER.findall(err))
        for match in ERROR_LINE.finditer(err):
            line = LOG_PREFIX.sub("", match.group(0).strip())
            row.errors[f"log: {line[:300]}"] += 1
    names = [a.name for a in world.accounts]
    unserved = [n for n in names if n not in worked_by or n in tally.accounts_missing()]
    late = [(seen[m] - world.due[m]).total_seconds() for m in world.expected if m in seen]
    row.notes.append(
        "per process (pid: accounts worked on / drafts created): "
        + ", ".join(f"{pid}: {n}/{c}" for pid, n, c in per_process)
    )
    row.notes.append(
        f"accounts served: {len(names) - len(unserved)}/{len(names)}"
        + (f" (not: {', '.join(unserved[:10])}{' …' if len(unserved) > 10 else ''})" if unserved else "")
    )  # fmt: skip
    first_due = (min(world.due.values()) - went).total_seconds()
    last_due = (max(world.due.values()) - went).total_seconds()
    row.notes.append(
        f"thank-yous due {first_due:.1f}–{last_due:.1f} s after the start"
        + (
            f"; each draft seen after its due time: median {statistics.median(late):.1f} s, "
            f"max {max(late):.1f} s, {sum(1 for x in late if x > 60)} more than 60 s late "
            "(Drafts folders polled every 0.25 s)"
            if late
            else ""
        )
    )
    row.notes.append(
        f"all drafted after {'-' if done_at is None else f'{done_at - started:.1f} s'}; "
        f"SIGTERM → all exited in {stopped - stop_sent:.1f} s"
    )
    row.notes.append("audit log: " + audit_summary(url))
    if tally.missing:
        row.notes.append(f"missing in accounts: {', '.join(sorted(tally.accounts_missing())[:20])}")
    return row


def fresh_schema(url: str, schema: str) -> str:
    """``url`` with its search path set to ``schema``, dropped and created anew."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
        raise SystemExit(f"--postgres-schema {schema!r}: use lower-case letters, digits and _")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False)


def audit_summary(url: str) -> str:
    """What the audit log recorded, by operation, and the leases left after the stop."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT operation, count(*) FROM audit_log GROUP BY operation ORDER BY 1")
            ).all()
            leases = connection.execute(sa.text("SELECT count(*) FROM leases")).scalar()
    except sa.exc.SQLAlchemyError as error:
        return f"unreadable ({type(error).__name__})"
    finally:
        engine.dispose()
    operations = ", ".join(f"{operation} {number}" for operation, number in rows) or "empty"
    return f"{operations}; leases left after the stop: {leases}"


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------


def machine() -> str:
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = (
        " + uncommitted changes"
        if _git("status", "--porcelain", "--", "daemon", "providers")
        else ""
    )
    return (
        f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}; "
        f"git {commit}{dirty}"
    )


def _git(*args: str) -> str:
    git = shutil.which("git")
    if git is None:
        return ""
    try:
        result = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
            [git, *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=20
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip()


def print_table(rows: list[Row], args: argparse.Namespace) -> None:
    header = (
        "scenario", "procs", "rounds", "world", "due", "drafts", "dup", "missing", "unexp",
        "passed over", "exit codes", "wall s (mean/max)",
    )  # fmt: skip
    lines = [header]
    for row in rows:
        codes = " ".join(f"{code}×{n}" for code, n in sorted(row.exit_codes.items()))
        wall = f"{statistics.mean(row.wall):.1f}/{max(row.wall):.1f}" if row.wall else "-"
        lines.append((
            row.scenario, str(row.processes), str(row.rounds), row.world, str(row.due),
            str(row.drafts), str(row.duplicates), str(row.missing), str(row.unexpected),
            str(row.passed_over), codes, wall,
        ))  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print()
    print("bench/concurrency.py " + " ".join(sys.argv[1:]))
    print(machine())
    for index, line in enumerate(lines):
        print(" | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            print("-+-".join("-" * width for width in widths))
    print(
        "dup = actions with more than one draft; missing = due actions with no draft; unexp = "
        "drafts of no due action (all summed over the rounds). wall: once = start to the "
        "last exit per round; run = start until everything was drafted."
    )
    for row in rows:
        for note in row.notes:
            print(f"  [{row.scenario} ×{row.processes}] {note}")
        for error, times in row.errors.most_common(15):
            print(f"  [{row.scenario} ×{row.processes}] problem ×{times}: {error}")
        if len(row.errors) > 15:
            print(f"  [{row.scenario} ×{row.processes}] … and {len(row.errors) - 15} more problems")


if __name__ == "__main__":
    raise SystemExit(main())
