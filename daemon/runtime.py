"""The daemon (``interview-outreach run``): the only long-running code.

* APScheduler 3 (a ``BackgroundScheduler`` with the in-memory job store only: nothing is
  pickled, the database is the single source of truth) runs one pass per account every
  ``poll_seconds`` — coalesced, one instance at a time, with a little jitter — on one
  worker thread, so passes never overlap.
* After a pass that wrote an action (and at least every half interval, for what other
  processes planned) the next due action is read from the database (``Store.next_due``)
  and a one-off wake-up is scheduled for it, so a draft is made on time, not up to a poll
  interval late.
* The scheduled pass of an account that any process passed less than half an interval ago,
  or is passing now, costs one short query: several processes sharing the accounts divide
  the work.
* The main thread waits for signals and pets systemd's watchdog: SIGTERM/SIGINT let the
  provider call in flight finish (the rest of the pass is cut short; every step already
  done is committed, and one cut short is reconciled on the next pass) and exit 0 within
  10 s; SIGHUP reloads the configuration, keeping the old one when the new one is broken.

The ``now`` given to ``run_pass`` always comes from the injected clock; only the wake-up
*delays* are handed to APScheduler, which runs on the machine's clock.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any, cast

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from interview_outreach.daemon.accounts import open_accounts
from interview_outreach.daemon.config import Config
from interview_outreach.daemon.context import plan_context
from interview_outreach.daemon.domain.planning import PlanContext
from interview_outreach.daemon.errors import ConfigError, OutreachError, ProviderError, StorageError
from interview_outreach.daemon.leasing import process_alive, this_process
from interview_outreach.daemon.notify import DesktopNotifier, Notifier
from interview_outreach.daemon.passes import PassReport, run_pass
from interview_outreach.daemon.ports import Account, CalendarSource, Clock, Mailbox, system_clock
from interview_outreach.daemon.report import pass_report_lines
from interview_outreach.daemon.sdnotify import SystemdNotifier
from interview_outreach.daemon.secrets import TokenStore
from interview_outreach.daemon.store.repository import Store

log = logging.getLogger(__name__)

ConfigLoader = Callable[[], Config]

STOP_GRACE_SECONDS = 8.0
"""How long a stop waits for the pass in flight: under systemd's and the spec's 10 s."""

STUCK_AFTER_SECONDS = 15 * 60.0
"""A pass running this long is stuck: the watchdog is no longer petted, systemd restarts us."""

WAKE_MARGIN_SECONDS = 0.25
"""A wake-up runs this much after the due time, so the pass's ``now`` is not just before it."""

MAX_JITTER_SECONDS = 30.0
IDLE_TICK_SECONDS = 60.0
DUE_JOB_ID = "due"
POLL_JOB_PREFIX = "poll:"


@dataclass
class _Kept:
    """What the daemon keeps from pass to pass for one configuration and database, so that
    the pass of one account neither rebuilds nor re-reads it (see ``run_pass``)."""

    context: PlanContext
    addresses: dict[str, str]
    addresses_read_at: float  # time.monotonic()
    wakeup_checked_at: float | None = None  # time.monotonic()
    action_writes_seen: int = -1


class PassInterrupted(ProviderError):
    """The daemon is stopping: the pass ends after the provider call in flight."""


# ---------------------------------------------------------------------------------------------
# Cutting a pass short between provider calls
# ---------------------------------------------------------------------------------------------


class _Stop:
    """Raises :class:`PassInterrupted` once a stop was requested."""

    def __init__(self, event: threading.Event, account: str) -> None:
        self._event = event
        self._account = account

    def check(self) -> None:
        if self._event.is_set():
            raise PassInterrupted(
                "the daemon stopped before this pass finished; the next pass completes it",
                self._account,
            )


class _Guarded:
    """A calendar or mailbox whose every method fails once the daemon is stopping, but the
    ones named in ``unguarded``: a method the ports gain later is guarded too."""

    def __init__(self, inner: object, stop: _Stop, unguarded: frozenset[str] = frozenset()) -> None:
        self._inner, self._stop, self._unguarded = inner, stop, unguarded

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)
        if name in self._unguarded or not callable(found):
            return found
        stop = self._stop

        @functools.wraps(found)
        def checked(*args: Any, **kwargs: Any) -> Any:
            stop.check()
            return found(*args, **kwargs)

        return checked


def guarded(account: Account, stopping: threading.Event) -> Account:
    """``account`` with calendar and mailbox calls refused once ``stopping`` is set; the
    mailbox's address is still given (the interrupted pass is recorded with it)."""
    stop = _Stop(stopping, account.name)
    return replace(
        account,
        calendar=cast(CalendarSource, _Guarded(account.calendar, stop)),
        mailbox=cast(Mailbox, _Guarded(account.mailbox, stop, frozenset({"address"}))),
    )


# ---------------------------------------------------------------------------------------------
# The daemon
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PassOutcome:
    """What one scheduled pass did, for logs, the status line and notifications."""

    at: datetime
    accounts: tuple[str, ...]
    created: int
    failed: tuple[str, ...]
    newly_need_auth: tuple[str, ...]


class Daemon:
    """Scheduled passes over the configured accounts until asked to stop.

    ``load_config`` is called at start and on every reload. ``clock`` gives each pass its
    ``now``. ``poll_seconds`` overrides the configuration's interval (tests use a fraction
    of a second; the configuration allows no less than 30 s).
    """

    def __init__(
        self,
        load_config: ConfigLoader,
        *,
        clock: Clock = system_clock,
        systemd: SystemdNotifier | None = None,
        notifier: Notifier | None = None,
        poll_seconds: float | None = None,
        stop_grace: float = STOP_GRACE_SECONDS,
    ) -> None:
        self._load_config = load_config
        self._clock = clock
        self._systemd = systemd or SystemdNotifier()
        self._notifier: Notifier = notifier or DesktopNotifier()
        self._poll_override = poll_seconds
        self._stop_grace = stop_grace
        self._stopping = threading.Event()
        self._reload_requested = False
        self._stop_requested = False
        self._wake_read, self._wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._pass_lock = threading.Lock()
        self._running_since: float | None = None
        self._config: Config | None = None
        self._store: Store | None = None
        self._retired: list[Store] = []
        self._scheduler: BackgroundScheduler | None = None
        self._kept: _Kept | None = None
        self._stuck_reported = False
        self._next_due: datetime | None = None
        self.last_outcome: PassOutcome | None = None
        self.passes = 0
        self.abandoned_pass = False
        """Set when a stop could not wait for the pass in flight (then exit without joining)."""

    # -- life cycle ----------------------------------------------------------------------

    def run(self) -> int:
        """Start, serve until SIGTERM/SIGINT, stop; the exit code (0)."""
        restore = self.install_signal_handlers()
        try:
            self.start()
            try:
                self.serve()
            finally:
                self.stop()
        finally:
            restore()
        return 0

    def start(self) -> None:
        """Load the configuration, open the database, start the schedule, report READY.

        ``ConfigError`` and ``StorageError`` propagate: the daemon does not start.
        """
        config = self._load_config()
        self._store = Store(config.storage.url)
        self._config = config
        self._scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        self._sync_jobs(first=True)
        self._scheduler.start()
        names, every = ", ".join(a.name for a in config.accounts), f"{self.poll_seconds:g}"
        log.info(
            "started: %d account(s) (%s), a pass every %s s", len(config.accounts), names, every
        )
        self._systemd.ready(f"watching {len(config.accounts)} account(s); first pass running")

    def serve(self) -> None:
        """Wait for signals and pet the watchdog until a stop is requested."""
        interval = self._systemd.watchdog_interval
        tick = min(interval, IDLE_TICK_SECONDS) if interval else IDLE_TICK_SECONDS
        last_pet = 0.0
        while True:
            if interval and time.monotonic() - last_pet >= interval and self._healthy():
                self._systemd.watchdog()
                last_pet = time.monotonic()
            if self._stop_requested:
                return
            if self._reload_requested:
                self._reload_requested = False
                self.reload()
                continue
            with contextlib.suppress(InterruptedError):
                select.select([self._wake_read], [], [], tick)
            self._drain_wake_pipe()

    def stop(self) -> bool:
        """Stop scheduling, let the provider call in flight finish, close the database.

        Returns whether everything ended in time; when not, :attr:`abandoned_pass` is set
        and the caller must exit without waiting for the worker thread.
        """
        self._systemd.stopping("stopping: finishing the call in flight")
        self._stopping.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        started = time.monotonic()
        finished = self._pass_lock.acquire(timeout=self._stop_grace)
        if not finished:
            self.abandoned_pass = True
            log.warning(
                "a pass did not finish within %.0f s; stopping anyway (the next start reconciles it)",
                self._stop_grace,
            )
            return False
        try:
            for store in [*self._retired, *([self._store] if self._store else [])]:
                store.close()
            self._retired.clear()
        finally:
            self._pass_lock.release()
        log.info("stopped cleanly in %.1f s", time.monotonic() - started)
        return True

    def request_stop(self) -> None:
        """Ask the daemon to stop (safe to call from a signal handler)."""
        self._stop_requested = True
        self._stopping.set()
        self._wake()

    def request_reload(self) -> None:
        """Ask the daemon to reload its configuration (safe from a signal handler)."""
        self._reload_requested = True
        self._wake()

    def install_signal_handlers(self) -> Callable[[], None]:
        """SIGTERM/SIGINT stop, SIGHUP reloads; returns a function restoring the old ones."""

        def on_stop(signum: int, frame: FrameType | None) -> None:
            self.request_stop()

        def on_reload(signum: int, frame: FrameType | None) -> None:
            self.request_reload()

        previous = {
            signal.SIGTERM: signal.signal(signal.SIGTERM, on_stop),
            signal.SIGINT: signal.signal(signal.SIGINT, on_stop),
            signal.SIGHUP: signal.signal(signal.SIGHUP, on_reload),
        }

        def restore() -> None:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

        return restore

    # -- configuration -------------------------------------------------------------------

    @property
    def config(self) -> Config:
        """The configuration in force."""
        if self._config is None:
            raise RuntimeError("the daemon has not started")
        return self._config

    @property
    def poll_seconds(self) -> float:
        """Seconds between two passes of one account."""
        return float(self._poll_override or self.config.daemon.poll_seconds)

    def reload(self) -> bool:
        """Load the configuration again; a broken one is reported and the old one kept."""
        try:
            config = self._load_config()
        except ConfigError as error:
            for problem in error.problems:
                log.error("new configuration not used: %s", problem)
            log.error("kept the previous configuration; fix the file and reload again")
            self._systemd.status("configuration reload failed; running with the previous one")
            return False
        store = self._store
        if store is None or config.storage.url != self.config.storage.url:
            try:
                store = Store(config.storage.url)
            except StorageError as error:
                log.error("new configuration not used: %s", error)
                self._systemd.status("configuration reload failed; running with the previous one")
                return False
            if self._store is not None:
                self._retired.append(self._store)  # closed once no pass uses it
        self._config, self._store = config, store
        self._sync_jobs(first=False)
        self._next_due = self._schedule_wakeup()
        log.info("configuration reloaded: %d account(s)", len(config.accounts))
        self._systemd.status(f"configuration reloaded; watching {len(config.accounts)} account(s)")
        return True

    def _sync_jobs(self, *, first: bool) -> None:
        """One interval job per configured account; removed accounts lose theirs."""
        scheduler = self._scheduler
        assert scheduler is not None
        wanted = {POLL_JOB_PREFIX + a.name: a.name for a in self.config.accounts}
        for job in scheduler.get_jobs():
            if job.id.startswith(POLL_JOB_PREFIX) and job.id not in wanted:
                scheduler.remove_job(job.id)
        poll = self.poll_seconds
        trigger = IntervalTrigger(seconds=poll, jitter=jitter_seconds(poll), timezone=UTC)
        existing = {job.id for job in scheduler.get_jobs()}
        for job_id, name in wanted.items():
            if job_id in existing:
                scheduler.reschedule_job(job_id, trigger=trigger)
                continue
            scheduler.add_job(
                self.run_account_pass,
                trigger,
                args=(name,),
                id=job_id,
                name=f"pass {name}",
                next_run_time=datetime.now(UTC),  # the first pass right away
            )
        if first:
            log.debug("scheduled %d account job(s)", len(wanted))

    # -- passes --------------------------------------------------------------------------

    def run_account_pass(self, name: str) -> PassOutcome | None:
        """The scheduled pass of one account (an APScheduler job).

        Skipped when the account was passed less than half an interval ago, by this or
        another process, or another process is passing it now: processes sharing the
        accounts serve each once a round. That is known from one short query, before the
        account is opened or its lease taken (the pass checks again under the lease).
        """
        return self._guarded_pass((name,), fresh_within=timedelta(seconds=self.poll_seconds / 2))

    def run_due_pass(self) -> PassOutcome | None:
        """The wake-up for a due action: a pass over every account."""
        return self._guarded_pass(None)

    def _guarded_pass(
        self, names: Sequence[str] | None, fresh_within: timedelta | None = None
    ) -> PassOutcome | None:
        if self._stopping.is_set():
            return None
        with self._pass_lock:
            if self._stopping.is_set():
                return None
            self._close_retired()
            config, store = self.config, self._store
            assert store is not None
            if names is not None:
                known = {a.name for a in config.accounts}
                names = [n for n in names if n in known]
                if not names:
                    return None  # the account was removed by a reload
            now = self._clock()
            self._running_since = time.monotonic()
            try:
                if (
                    fresh_within is not None
                    and names
                    and _all_fresh(store, names, now, fresh_within)
                ):
                    return None
                outcome = self.pass_once(config, store, names, now, fresh_within)
            except (OutreachError, OSError) as error:
                log.error("pass failed: %s", error)
                self._systemd.status(f"last pass failed: {error}")
                return None
            except Exception:
                log.exception("pass failed unexpectedly; the next pass tries again")
                self._systemd.status("last pass failed unexpectedly; see the log")
                return None
            finally:
                self._running_since = None
            self._after_pass(outcome, due_pass=names is None)
            self.last_outcome = outcome
            self.passes += 1
            return outcome

    def pass_once(
        self,
        config: Config,
        store: Store,
        names: Sequence[str] | None,
        now: datetime,
        fresh_within: timedelta | None = None,
    ) -> PassOutcome:
        """One pass over ``names`` (every account when ``None``) at ``now``; see ``run_pass``
        for ``fresh_within``."""
        kept = self._kept_for(config, store)
        opened = open_accounts(
            config, TokenStore.for_config(config), names, message_index=store.message_index
        )
        try:
            accounts = [
                guarded(a, self._stopping)
                for a in opened.accounts
                if names is None or a.name in names
            ]
            unavailable = [u for u in opened.unavailable if names is None or u.name in names]
            covered = tuple(a.name for a in accounts) + tuple(u.name for u in unavailable)
            report = run_pass(
                config,
                store,
                accounts,
                now,
                unavailable,
                self._clock,
                fresh_within,
                context=kept.context,
                known_addresses=kept.addresses,
            )
        finally:
            opened.close()
        kept.addresses.update((a.name, a.address) for a in report.accounts if a.address)
        _log_report(report)
        return PassOutcome(
            at=now,
            accounts=covered,
            created=sum(a.tally.created for a in report.accounts),
            failed=tuple(a.name for a in report.accounts if a.error),
            newly_need_auth=tuple(a.name for a in report.accounts if a.newly_needs_auth),
        )

    def _kept_for(self, config: Config, store: Store) -> _Kept:
        """What is kept between passes, with the addresses read again every half interval
        (another process may have seen an account's address first)."""
        kept = self._kept
        if kept is None or config is not self._config or store is not self._store:
            kept = self._kept = _Kept(
                plan_context(config), store.account_addresses(), time.monotonic()
            )
        elif time.monotonic() - kept.addresses_read_at >= self.poll_seconds / 2:
            kept.addresses = store.account_addresses()
            kept.addresses_read_at = time.monotonic()
        return kept

    def _after_pass(self, outcome: PassOutcome, *, due_pass: bool) -> None:
        config = self.config
        if outcome.created:
            summary = f"{outcome.created} new draft{'s' if outcome.created != 1 else ''} to review"
            body = (
                "interview-outreach prepared them in your mailbox's Drafts folder "
                f"({', '.join(outcome.accounts)}). Nothing was sent: read, edit and send them yourself."
            )
            self._tell(config, summary, body)
        for name in outcome.newly_need_auth:
            self._tell(
                config,
                f"Account {name} needs authorization",
                f"Run `interview-outreach auth {name}` once; the other accounts carry on.",
            )
        if due_pass or self._wakeup_may_have_moved():
            self._next_due = self._schedule_wakeup(pass_started=outcome.at)
        next_due = self._next_due
        when = (
            next_due.astimezone(config.profile.timezone).strftime("%a %H:%M")
            if next_due
            else "none"
        )
        failed = f"; failed: {', '.join(outcome.failed)}" if outcome.failed else ""
        self._systemd.status(
            f"last pass {outcome.at.astimezone(config.profile.timezone):%H:%M} "
            f"({', '.join(outcome.accounts)}): {outcome.created} draft(s) created{failed}; "
            f"next due action: {when}"
        )

    def _tell(self, config: Config, summary: str, body: str) -> None:
        if config.daemon.notifications:
            self._notifier.notify(summary, body)
        else:
            log.info("%s: %s", summary, body)

    # -- waking up for due actions ------------------------------------------------------

    def _wakeup_may_have_moved(self) -> bool:
        """Whether the next due time may differ from the one last scheduled: this process
        wrote an action since, or half an interval passed (other processes plan too)."""
        kept, store = self._kept, self._store
        if kept is None or store is None or kept.wakeup_checked_at is None:
            return True
        stale = time.monotonic() - kept.wakeup_checked_at >= self.poll_seconds / 2
        return stale or store.action_writes != kept.action_writes_seen

    def _schedule_wakeup(self, pass_started: datetime | None = None) -> datetime | None:
        """Schedule the one-off pass for the next due action; returns its due time.

        The due time comes from the database. An action that was already due when the
        pass that just ended started, and is still due (its account is failing, or another
        process works on it), gets no wake-up of its own, or the daemon would spin: the
        account's regular pass retries it, and the wake-up is for the next action due later.
        One that fell due while that pass ran (another account's, say) is woken for at once.
        """
        scheduler, store = self._scheduler, self._store
        if scheduler is None or store is None or self._stopping.is_set():
            return None
        if self._kept is not None:
            self._kept.wakeup_checked_at = time.monotonic()
            self._kept.action_writes_seen = store.action_writes
        now = self._clock()
        due = store.next_due(now)
        if due is not None and due <= now:
            since_pass = store.next_due(now, after=pass_started) if pass_started else None
            fell_due_meanwhile = since_pass is not None and since_pass <= now
            due = now if fell_due_meanwhile else store.next_due(now, after=now)
        if due is None:
            with contextlib.suppress(JobLookupError):
                scheduler.remove_job(DUE_JOB_ID)
            return None
        delay = (due - now).total_seconds() + WAKE_MARGIN_SECONDS
        run_at = datetime.now(UTC) + timedelta(seconds=delay)
        scheduler.add_job(
            self.run_due_pass,
            DateTrigger(run_date=run_at, timezone=UTC),
            id=DUE_JOB_ID,
            name="due action",
            replace_existing=True,
        )
        log.debug("next due action at %s (in %.0f s)", due.isoformat(), delay)
        return due

    def scheduler_jobs(self) -> list[Any]:
        """The scheduled jobs (APScheduler ``Job`` objects), for inspection."""
        return [] if self._scheduler is None else list(self._scheduler.get_jobs())

    def wakeup_time(self) -> datetime | None:
        """When the wake-up job will run (machine clock), if one is scheduled."""
        if self._scheduler is None:
            return None
        job = self._scheduler.get_job(DUE_JOB_ID)
        return None if job is None else job.next_run_time

    # -- internals -----------------------------------------------------------------------

    def _healthy(self) -> bool:
        """Whether to pet the watchdog: the scheduler runs and no pass is stuck."""
        scheduler = self._scheduler
        if scheduler is None or not scheduler.running:
            return False
        since = self._running_since
        if since is not None and time.monotonic() - since > STUCK_AFTER_SECONDS:
            if not self._stuck_reported:
                log.error(
                    "a pass has been running for over %d minutes; no longer petting the "
                    "watchdog, so systemd restarts the service",
                    STUCK_AFTER_SECONDS // 60,
                )
                self._stuck_reported = True
            return False
        return True

    def _close_retired(self) -> None:
        while self._retired:
            self._retired.pop().close()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_write, b"!")

    def _drain_wake_pipe(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while os.read(self._wake_read, 512):
                pass

    def close(self) -> None:
        """Release the wake-up pipe (tests create many daemons)."""
        for fd in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)


def jitter_seconds(poll: float) -> float:
    """Random delay added to each interval: a tenth of it, at most 30 s."""
    return min(MAX_JITTER_SECONDS, poll / 10)


def _all_fresh(store: Store, names: Sequence[str], now: datetime, within: timedelta) -> bool:
    """Whether every account of ``names`` was passed less than ``within`` before ``now``, or
    is being passed by another live process (the pass checks again under the lease)."""
    claimant = this_process()
    return all(
        store.passed_or_held(name, now - within, now, claimant, process_alive) for name in names
    )


def _log_report(report: PassReport) -> None:
    """The pass's lines in the log, as `once` prints them; accounts passed over or passed
    moments ago were logged by the pass itself."""
    passed = PassReport([a for a in report.accounts if not (a.passed_over or a.fresh)])
    for problem, line in pass_report_lines(passed):
        log.log(logging.WARNING if problem else logging.INFO, "account %s", line)
