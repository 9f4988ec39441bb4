"""The product's benchmark: how cost grows with accounts, events and messages.

Not a test: a measurement, printed as one table (BENCHMARKS.md keeps the figures).

    .venv/bin/python bench/run.py [--local 1,10,100,1000] [--remote 1,10,100]
                                  [--events 1000] [--messages 10000]
                                  [--processes 1,2,4 --scale-accounts 1000 --postgres-url URL]

* Local worlds: N local accounts (a vdir and a Maildir each, 5 interviews whose outreach is
  due), the real CLI in a fresh process each time (`once`, `status --json`), as a user runs
  it: the cold first pass (5 drafts per account), the idle pass (nothing changed; median of
  3), a pass with one event changed, `status --json` (median of 5), the peak RSS of `run`
  over its first round (for N <= 100: on a new world and database, and again on the same
  world after that first pass, as the daemon runs from then on), and the CPU seconds an
  idle hour costs `run` at
  `poll_seconds = 300` (12 idle passes, measured in this process as `run` makes them).
* Google and Microsoft: N accounts against the loopback fakes of the test suite (one fake
  user whose calendar holds EVENTS events, 20 of them interviews, and whose mailbox holds
  MESSAGES messages), the real client libraries, passes made in this process: cold, idle
  and one-change passes, requests per idle pass per account (the floor: one per calendar
  and one per mail change feed — Graph has one feed per mail folder: Drafts, Sent Items,
  Inbox), CPU per idle hour (the pass's own thread: the fakes answer from other threads
  of this process; wall times include their answers, as a network's would).
* Scale past one machine (needs PostgreSQL): SCALE_ACCOUNTS local accounts in one
  PostgreSQL database (in a schema of its own, ``io_bench_run``, dropped and made anew),
  P `run` processes started together on an idle world whose accounts were last passed a
  round ago; the time until every account was passed in the round, per P, and whether
  each was passed exactly once.

Every time is also given as a multiple of a bare `python -c pass` on the same machine.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httplib2  # noqa: E402
import keyring  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.concurrency import fresh_schema  # noqa: E402
from bench.requests_per_pass import (  # noqa: E402
    google_event,
    graph_event,
    sign_in_microsoft,
    touch_google,
    touch_microsoft,
)
from interview_outreach.daemon.accounts import open_accounts  # noqa: E402
from interview_outreach.daemon.config import load_config  # noqa: E402
from interview_outreach.daemon.passes import run_pass  # noqa: E402
from interview_outreach.daemon.secrets import TokenStore  # noqa: E402
from interview_outreach.daemon.store.repository import Store  # noqa: E402
from interview_outreach.providers.google.auth import save_credentials  # noqa: E402
from tests.concurrency_world import build_world, child_env  # noqa: E402
from tests.fakes.clock import Clock  # noqa: E402
from tests.fakes.google import FakeGoogle  # noqa: E402
from tests.fakes.keyring_memory import MemoryKeyring  # noqa: E402
from tests.fakes.microsoft import FakeMicrosoft  # noqa: E402

POLL_SECONDS = 300
PASSES_PER_HOUR = 3600 // POLL_SECONDS
INTERVIEWS_PER_LOCAL_ACCOUNT = 5
REMOTE_INTERVIEWS = 20
RSS_MAX_ACCOUNTS = 100


@dataclass
class Row:
    """One line of the table."""

    world: str
    cold: float | None = None
    idle: float | None = None
    change: float | None = None
    requests_per_account: float | None = None
    status: float | None = None
    rss_mib: float | None = None
    rss_after_first_mib: float | None = None
    cpu_per_hour: float | None = None
    notes: list[str] = field(default_factory=list)


# --- measuring ------------------------------------------------------------------------------


def bare_python() -> float:
    """Median wall time of `python -c pass` here: the unit every time is compared with."""
    times = []
    for _ in range(7):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cli(config: Path, home: Path, *args: str, check: bool = True) -> tuple[float, str]:
    """Run the CLI in a fresh process; its wall time and output."""
    command = [sys.executable, "-m", "interview_outreach.daemon", "--config", str(config), *args]
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        command, env=child_env(home), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if check and done.returncode not in (0, 3):  # 3: something is blocked, still a pass
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, done.stdout


def settle_files(root: Path) -> None:
    """Give every calendar file an hour-old time, as a synced vdir has (see read_state)."""
    an_hour_ago = time.time() - 3600
    for path in root.rglob("*.ics"):
        os.utime(path, (an_hour_ago, an_hour_ago))


def change_one_event(calendar: Path) -> None:
    path = sorted(calendar.glob("*.ics"))[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("SUMMARY:Interview", "SUMMARY:Moved interview"), "utf-8")
    moment = time.time() - 60
    os.utime(path, (moment, moment))


def in_process_idle_cpu(config_path: Path, home: Path) -> float:
    """CPU seconds of one idle pass over every account, made as `run` makes it."""
    os.environ.update(child_env(home))
    config = load_config(config_path, os.environ)
    with Store(config.storage.url) as store:
        samples = []
        for _ in range(3):
            # The cyclic garbage collector's pauses grow with this bench process's own heap
            # (its fakes and worlds), not the daemon's: one gen-2 collection in a sample was
            # 52 ms of a 69 ms pass. Collected before, and held off during, each sample.
            gc.collect()
            gc.disable()
            started = time.process_time()
            opened = opened_accounts(config, store, TokenStore.for_config(config))
            try:
                run_pass(config, store, opened.accounts, datetime.now(UTC), opened.unavailable)
            finally:
                opened.close()
                gc.enable()
            samples.append(time.process_time() - started)
    return statistics.median(samples)


def opened_accounts(config: Any, store: Store, tokens: TokenStore) -> Any:
    """``open_accounts`` as the daemon calls it (with the store's Maildir index, where the
    code measured has one: the bench also runs on older commits for "before" figures)."""
    if "message_index" in inspect.signature(open_accounts).parameters:
        return open_accounts(config, tokens, message_index=store.message_index)
    return open_accounts(config, tokens)


def run_rss(config: Path, home: Path, accounts: int, timeout: float) -> float:
    """Peak RSS (MiB) of `run` over its first round of every account."""
    env = child_env(home)
    command = [sys.executable, "-m", "interview_outreach.daemon", "--config", str(config), "run"]
    home.mkdir(parents=True, exist_ok=True)
    log = home / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                text = log.read_text(encoding="utf-8", errors="replace")
                if text.count(" interviews tracked; drafts:") >= accounts:
                    break
                if process.poll() is not None:
                    raise SystemExit(f"run ended early: {text[-2000:]}")
                time.sleep(0.2)
            return peak_rss_mib(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc: this bench needs Linux")


# --- local worlds ---------------------------------------------------------------------------


def local_row(size: int, base: Path) -> Row:
    row = Row(f"local × {size}")
    root = base / f"local-{size}"
    world = build_world(
        root / "w", accounts=size, interviews=INTERVIEWS_PER_LOCAL_ACCOUNT, now=datetime.now(UTC)
    )
    settle_files(root)
    home = root / "home"
    row.cold, _ = cli(world.config, home, "once")
    cli(world.config, home, "once")  # sees its own drafts
    row.idle = statistics.median(cli(world.config, home, "once")[0] for _ in range(3))
    change_one_event(world.accounts[0].calendar)
    row.change, _ = cli(world.config, home, "once")
    row.status = statistics.median(cli(world.config, home, "status", "--json")[0] for _ in range(5))
    row.cpu_per_hour = in_process_idle_cpu(world.config, home) * PASSES_PER_HOUR
    if size <= RSS_MAX_ACCOUNTS:
        fresh = build_world(
            root / "rss", accounts=size, interviews=INTERVIEWS_PER_LOCAL_ACCOUNT,
            now=datetime.now(UTC),
        )  # fmt: skip
        settle_files(root / "rss")
        row.rss_mib = run_rss(fresh.config, root / "rss-home", size, timeout=60 + size * 5)
        # The daemon as it runs from then on: a round later, every account due again.
        engine = sa.create_engine(load_config(fresh.config, {}).storage.url)
        reset_last_pass(engine, datetime.now(UTC) - timedelta(seconds=POLL_SECONDS))
        engine.dispose()
        row.rss_after_first_mib = run_rss(
            fresh.config, root / "rss-home-2", size, timeout=60 + size * 5
        )
    row.requests_per_account = 0.0
    return row


def big_mailbox_row(events: int, messages: int, base: Path) -> Row:
    """One local account with ``events`` calendar files and ``messages`` mail files (half
    INBOX, half Sent), whose one interview's note was sent and awaits a reply."""
    row = Row(f"local × 1, {events:,} events, {messages:,} messages, a note awaiting a reply")
    root = base / "big"
    world = build_world(root / "w", accounts=1, interviews=1, now=datetime.now(UTC))
    account = world.accounts[0]
    for index in range(events - 1):
        (account.calendar / f"noise-{index}.ics").write_text(noise_event(index), "utf-8")
    for index in range(messages):
        folder = account.maildir / (".Sent" if index % 2 else "") / "cur"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{1_700_000_000 + index}.M{index}P1.bench:2,S"
        (folder / name).write_bytes(mail(index, account.address))
    settle_files(root)
    home = root / "home"
    row.cold, _ = cli(world.config, home, "once")  # the outreach is drafted
    send_drafts(account.maildir)
    cli(world.config, home, "once")  # it is seen sent; from now on a reply is looked for
    row.idle = statistics.median(cli(world.config, home, "once")[0] for _ in range(3))
    change_one_event(account.calendar)
    row.change, _ = cli(world.config, home, "once")
    row.status = statistics.median(cli(world.config, home, "status", "--json")[0] for _ in range(3))
    row.cpu_per_hour = in_process_idle_cpu(world.config, home) * PASSES_PER_HOUR
    row.requests_per_account = 0.0
    return row


def noise_event(index: int) -> str:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start += timedelta(hours=index % (24 * 40))
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN", "BEGIN:VEVENT",
            f"UID:noise-{index}@bench.example.com", f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            "DURATION:PT30M", f"SUMMARY:Team sync {index}", "END:VEVENT", "END:VCALENDAR", "",
        ]
    )  # fmt: skip


def send_drafts(maildir: Path) -> None:
    """The user sends every draft: a mail client files it in Sent and removes the draft."""
    sent = maildir / ".Sent" / "cur"
    sent.mkdir(parents=True, exist_ok=True)
    for draft in (maildir / ".Drafts" / "cur").iterdir():
        text = draft.read_bytes()
        (sent / (draft.name.split(":")[0] + ":2,S")).write_bytes(text)
        draft.unlink()


# --- Google and Microsoft -------------------------------------------------------------------


def remote_rows(sizes: Sequence[int], events: int, messages: int) -> list[Row]:
    keyring.set_keyring(MemoryKeyring())
    rows = []
    for size in sizes:
        rows.append(remote_row("google", size, events, messages))
        rows.append(remote_row("microsoft", size, events, messages))
    return rows


def remote_row(provider: str, size: int, events: int, messages: int) -> Row:
    user = "ada.lovelace@example.org"
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    clock = Clock(now)
    row = Row(f"{provider} × {size}")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if provider == "google":
            fake: FakeGoogle | FakeMicrosoft = FakeGoogle(user_email=user, clock=clock)
        else:
            fake = FakeMicrosoft(user_email=user, clock=clock)
        with fake:
            os.environ.update(fake.env())
            if isinstance(fake, FakeGoogle):
                httplib2.CA_CERTS = fake.ca_path
                secrets = fake.client_secrets(root / "client.json")
                account = (
                    f'provider = "google"\nclient_secrets = "{secrets}"\n'
                    f'api_endpoint = "{fake.root}"\n'
                )
                for index in range(events):
                    fake.put_event("primary", google_event(index, index < REMOTE_INTERVIEWS))
                for index in range(messages):
                    labels = ("SENT",) if index % 2 else ("INBOX",)
                    fake.deliver(mail(index, user), labels, now - timedelta(hours=index % 500))
                touch: Callable[[], None] = lambda: touch_google(fake)  # type: ignore[arg-type]  # noqa: E731
            else:
                account = (
                    f'provider = "microsoft"\nclient_id = "{fake.client_id}"\n'
                    f'authority = "{fake.authority}"\ngraph_endpoint = "{fake.graph_endpoint}"\n'
                )
                for index in range(events):
                    fake.put_event(graph_event(index, index < REMOTE_INTERVIEWS))
                for index in range(messages):
                    fake.deliver(f"person{index % 97}@company{index % 13}.com", f"Note {index}",
                                 "Hello", at=now - timedelta(hours=index % 500))  # fmt: skip
                touch = lambda: touch_microsoft(fake)  # type: ignore[arg-type]  # noqa: E731
            config_path = remote_config(root, account, size)
            config = load_config(config_path, os.environ)
            for configured in config.accounts:
                if isinstance(fake, FakeGoogle):
                    save_credentials(configured, TokenStore(), fake.credentials(), user)  # type: ignore[arg-type]
                else:
                    sign_in_microsoft(configured, fake)
            row.cold = remote_pass(config, clock, fake)[0]
            clock.advance(timedelta(minutes=5))
            remote_pass(config, clock, fake)  # sees its own drafts
            clock.advance(timedelta(minutes=5))
            row.idle, requests, cpu = remote_pass(config, clock, fake)
            row.requests_per_account = requests / size
            row.cpu_per_hour = cpu * PASSES_PER_HOUR
            touch()
            clock.advance(timedelta(minutes=5))
            row.change = remote_pass(config, clock, fake)[0]
    return row


def mail(index: int, user: str) -> bytes:
    other = f"person{index % 97}@company{index % 13}.com"
    sender, recipient = (user, other) if index % 2 else (other, user)
    return (
        f"From: {sender}\r\nTo: {recipient}\r\nSubject: Note {index}\r\n"
        f"Message-ID: <bench.{index}@example.org>\r\nDate: Mon, 7 Dec 2026 08:00:00 +0000\r\n"
        "\r\nHello\r\n"
    ).encode()


def remote_config(root: Path, account: str, size: int) -> Path:
    parts = [
        f'[profile]\nname = "Ada Lovelace"\ntimezone = "Europe/London"\n'
        f'[storage]\nurl = "sqlite:///{root / "state.db"}"\n'
    ]
    parts += [f'[[accounts]]\nname = "acc{n:03d}"\n{account}' for n in range(size)]
    path = root / "config.toml"
    path.write_text("".join(parts), encoding="utf-8")
    return path


def remote_pass(config: object, clock: object, fake: object) -> tuple[float, int, float]:
    """One pass over every account: wall seconds, requests made, CPU seconds."""
    fake.clear_log()  # type: ignore[attr-defined]
    # The fakes serve from threads of this process: the pass's own CPU is this thread's.
    started, cpu = time.perf_counter(), time.thread_time()
    with Store(config.storage.url) as store:  # type: ignore[attr-defined]
        opened = opened_accounts(config, store, TokenStore())
        try:
            report = run_pass(config, store, opened.accounts, clock(), opened.unavailable)  # type: ignore[arg-type, operator]
        finally:
            opened.close()
    if report.failed:
        raise SystemExit(f"pass failed: {[a.error for a in report.accounts if a.error]}")
    elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
    return elapsed, len(fake.requests), cpu  # type: ignore[attr-defined]


# --- several processes ----------------------------------------------------------------------


def scale_rows(processes: Sequence[int], accounts: int, url: str, base: Path) -> list[str]:
    """Idle-round time of P `run` processes sharing ACCOUNTS accounts on PostgreSQL."""
    lines = []
    url = fresh_schema(url, "io_bench_run")  # the bench's own schema, dropped and made anew
    engine = sa.create_engine(url)
    world = build_world(
        base / "scale", accounts=accounts, interviews=INTERVIEWS_PER_LOCAL_ACCOUNT,
        now=datetime.now(UTC), storage_url=url, poll_seconds=POLL_SECONDS,
    )  # fmt: skip
    settle_files(base / "scale")
    home = base / "scale-home"
    home.mkdir(parents=True, exist_ok=True)
    cli(world.config, home, "once")  # the cold pass: every draft made
    cli(world.config, home, "once")
    for count in processes:
        mark = datetime.now(UTC)
        reset_last_pass(engine, mark - timedelta(seconds=POLL_SECONDS))  # a round ago
        started = time.perf_counter()
        children = []
        for n in range(count):
            log = (home / f"run-{count}-{n}.log").open("wb")
            children.append(
                (
                    subprocess.Popen(  # noqa: S603
                        [
                            sys.executable,
                            "-m",
                            "interview_outreach.daemon",
                            "--config",
                            str(world.config),
                            "run",
                        ],
                        env=child_env(home),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    ),
                    log,
                )
            )
        done_at = wait_round(engine, mark, accounts, timeout=600)
        elapsed = done_at - started
        for child, log in children:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=120)
            log.close()
        passes = count_passes(home, count)
        lines.append(
            f"| {count} | {elapsed:.1f} s | {passes} passes for {accounts} accounts "
            f"({'each once' if passes == accounts else 'NOT each once'}) |"
        )
    engine.dispose()
    return lines


def reset_last_pass(engine: object, moment: datetime) -> None:
    """Mark every account passed at ``moment``: the next round is due for all of them."""
    with engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(sa.text("UPDATE accounts SET last_pass_at = :t"), {"t": moment})


def wait_round(engine: object, mark: datetime, accounts: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as connection:  # type: ignore[attr-defined]
            passed = connection.execute(
                sa.text("SELECT count(*) FROM accounts WHERE last_pass_at >= :t"), {"t": mark}
            ).scalar_one()
        if passed >= accounts:
            return time.perf_counter()
        time.sleep(0.1)
    raise SystemExit(f"the round did not finish in {timeout:.0f} s")


def count_passes(home: Path, count: int) -> int:
    return sum(
        (home / f"run-{count}-{n}.log")
        .read_text("utf-8", "replace")
        .count(" interviews tracked; drafts:")
        for n in range(count)
    )


# --- the table ------------------------------------------------------------------------------


def table(rows: Sequence[Row], unit: float) -> list[str]:
    def shown(value: float | None, digits: int = 2) -> str:
        if value is None:
            return "—"
        return f"{value:.{digits}f} s ({value / unit:.0f}×)"

    lines = [
        "| world | cold first pass | idle pass | one change | requests per idle pass "
        "per account | `status --json` | peak RSS of `run`: new / after a first pass "
        "| CPU s per idle hour |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        requests = "—" if row.requests_per_account is None else f"{row.requests_per_account:g}"
        rss = "—" if row.rss_mib is None else f"{row.rss_mib:.0f} MiB"
        if row.rss_after_first_mib is not None:
            rss += f" / {row.rss_after_first_mib:.0f} MiB"
        cpu = "—" if row.cpu_per_hour is None else f"{row.cpu_per_hour:.2f}"
        lines.append(
            f"| {row.world} | {shown(row.cold)} | {shown(row.idle)} | {shown(row.change)} | "
            f"{requests} | {shown(row.status, 3)} | {rss} | {cpu} |"
        )
    return lines


def git(*args: str) -> str:
    done = subprocess.run(  # noqa: S603
        ["git", "-C", str(ROOT), *args],  # noqa: S607
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip()


def machine(unit: float) -> str:
    commit = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; commit {commit or '?'}"
        f"{' (with local changes)' if dirty else ''}; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; `python -c pass` = "
        f"{unit * 1000:.0f} ms"
    )


def sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", default="1,10,100,1000", help="local world sizes")
    parser.add_argument("--remote", default="1,10,100", help="Google/Microsoft sizes ('' for none)")
    parser.add_argument("--events", type=int, default=1000, help="events per remote calendar")
    parser.add_argument("--messages", type=int, default=10000, help="messages per remote mailbox")
    parser.add_argument("--big-events", type=int, default=5000, help="0: no big-mailbox line")
    parser.add_argument("--big-messages", type=int, default=40000)
    parser.add_argument("--processes", default="1,2,4", help="process counts ('' for none)")
    parser.add_argument("--scale-accounts", type=int, default=1000)
    parser.add_argument(
        "--postgres-url", default=os.environ.get("INTERVIEW_OUTREACH_TEST_POSTGRES_URL", "")
    )
    args = parser.parse_args()
    unit = bare_python()
    print(machine(unit), flush=True)
    rows: list[Row] = []
    base = Path(tempfile.mkdtemp(prefix="io-bench-"))
    try:
        for size in sizes(args.local):
            rows.append(local_row(size, base))
            print("\n".join(table(rows[-1:], unit)[2:]), flush=True)
        if args.big_events:
            rows.append(big_mailbox_row(args.big_events, args.big_messages, base))
            print("\n".join(table(rows[-1:], unit)[2:]), flush=True)
        for row in remote_rows(sizes(args.remote), args.events, args.messages):
            rows.append(row)
            print("\n".join(table([row], unit)[2:]), flush=True)
        print()
        print("\n".join(table(rows, unit)))
        if sizes(args.processes):
            if not args.postgres_url:
                print("\n(scale past one machine: no --postgres-url, not measured)")
            else:
                print(
                    f"\n| `run` processes | idle round, {args.scale_accounts} accounts | passes |"
                )
                print("|---|---|---|")
                for line in scale_rows(
                    sizes(args.processes), args.scale_accounts, args.postgres_url, base
                ):
                    print(line, flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
