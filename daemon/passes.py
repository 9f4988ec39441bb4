"""One pass over every account, one account's failure isolated: the only place that wires
the pure domain to the providers and the store.

The pass of one account (``_pass_account``), step by step:

1. take the account's lease (an account another process works on is passed over);
2. load the account's stored state, once (its cursors, last pass, last success);
3. read the calendar's changes since the calendar cursor;
4. recognise the interviews among the events (``daemon.domain.interviews``);
5. record the changes and removals, in one transaction;
6. for each tracked interview not yet done (``_act``): finish what a killed process left
   half done, gather the mailbox's facts (``daemon.facts``), plan (``daemon.domain.planning``)
   and act on the plan (``daemon.executor``: every intent recorded before its mailbox write);
7. save the account's state, once: both cursors, how the pass went.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta

from interview_outreach.daemon.config import Config
from interview_outreach.daemon.context import plan_context, user_identity
from interview_outreach.daemon.domain.interviews import recognize
from interview_outreach.daemon.domain.mime import normalize_message_id
from interview_outreach.daemon.domain.model import (
    CANCELLING,
    ActionReason,
    ActionState,
    Address,
    Interview,
    Reason,
    SkipReason,
    UserIdentity,
)
from interview_outreach.daemon.domain.planning import PlanContext, plan
from interview_outreach.daemon.errors import (
    AuthorizationNeeded,
    CursorExpired,
    LeaseLost,
    OutreachError,
    ProviderError,
)
from interview_outreach.daemon.executor import ExecutionTally, Executor
from interview_outreach.daemon.facts import ClaimedIds, gather_facts
from interview_outreach.daemon.leasing import AccountLease, describe_holder
from interview_outreach.daemon.ports import Account, CalendarChanges, Unavailable
from interview_outreach.daemon.scrub import scrub
from interview_outreach.daemon.store.records import AccountState, LeaseHeld, TrackedInterview
from interview_outreach.daemon.store.repository import Store

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=4)  # long enough to still catch a thank-you (missed after 72 h)
LOOKAHEAD = timedelta(days=45)


@dataclass
class AccountReport:
    """What one pass did for one account."""

    name: str
    events: int = 0
    interviews: int = 0
    tally: ExecutionTally = field(default_factory=ExecutionTally)
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    passed_over: str | None = None  # another process works on the account: who, since when
    blocked: list[str] = field(default_factory=list)  # due actions that could not be drafted
    capped: int = 0  # due actions left for the next pass by max_new_drafts_per_pass
    fresh: bool = False  # passed moments ago (by any process): not passed again this round
    newly_needs_auth: bool = False  # it did not need authorization before this pass
    address: str = ""  # the account's address, as the pass recorded it


@dataclass
class PassReport:
    """What one pass did, per account."""

    accounts: list[AccountReport] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether any account could not be processed."""
        return any(a.error for a in self.accounts)

    @property
    def blocked(self) -> bool:
        """Whether a due action could not be drafted (a content rule, the per-pass cap)."""
        return any(a.blocked or a.capped for a in self.accounts)


def run_pass(
    config: Config,
    store: Store,
    accounts: Sequence[Account],
    now: datetime,
    unavailable: Sequence[Unavailable] = (),
    clock: Callable[[], datetime] | None = None,
    fresh_within: timedelta | None = None,
    *,
    context: PlanContext | None = None,
    known_addresses: Mapping[str, str] | None = None,
) -> PassReport:
    """Sync every account, track interviews, and do whatever is due at ``now``.

    ``unavailable`` accounts (could not be opened) are reported as failed and recorded.
    Each account is worked on only while this process holds its lease; one that another
    process holds is passed over (``AccountReport.passed_over``). ``clock`` times the
    leases (default: ``now`` throughout).

    With ``fresh_within`` (the daemon's scheduled rounds), an account whose last pass,
    by this or another process, began less than that before ``now`` is not passed again
    (``AccountReport.fresh``): several processes sharing the accounts serve each once a
    round and divide the work.

    A long-running process passes what it keeps between passes, so that the pass of one
    account does not rebuild or re-read it: ``context`` (``plan_context(config)``, whose
    templates stay compiled) and ``known_addresses`` (``store.account_addresses()``, as
    it last read them; the addresses of the accounts in this pass are added to them).
    """
    report = PassReport([_unavailable(store, missing, now) for missing in unavailable])
    inputs = _PassInputs(
        config=config,
        store=store,
        user=_the_user(config, store, accounts, known_addresses),
        context=context or plan_context(config),
        now=now,
        lease_clock=clock or (lambda: now),
        fresh_within=fresh_within,
    )
    for account in accounts:
        report.accounts.append(_pass_account(inputs, account))
    return report


@dataclass(frozen=True)
class _PassInputs:
    """What every account's pass of one ``run_pass`` shares."""

    config: Config
    store: Store
    user: UserIdentity
    context: PlanContext
    now: datetime
    lease_clock: Callable[[], datetime]
    fresh_within: timedelta | None


def _pass_account(inputs: _PassInputs, account: Account) -> AccountReport:
    """One account's pass, the steps of the module's docstring in order."""
    config, store, user, now = inputs.config, inputs.store, inputs.user, inputs.now
    report = AccountReport(account.name)
    with _leased(store, account.name, inputs.lease_clock) as lease:
        if isinstance(lease, LeaseHeld):
            report.passed_over = describe_holder(lease, config.profile.timezone)
            log.info("account %s: passed over: %s", account.name, report.passed_over)
            return report
        state = _PassState.load(store, account.name)
        if inputs.fresh_within is not None and _passed_lately(
            state.stored, now, inputs.fresh_within
        ):
            report.fresh = True
            log.debug(
                "account %s: passed less than %s ago; not again", account.name, inputs.fresh_within
            )
            return report
        error: str | None = None
        needs_auth = False
        try:
            window = (now - LOOKBACK, now + LOOKAHEAD)
            key = _reading_key(config, user)
            changes = _read_calendar(account, state, key, window, report)
            interviews = _recognized(account, changes, config, user, report)
            tracked = _record_calendar(store, account, changes, interviews, window, now, report)
            state.calendar_read(key, changes.cursor)
            mail_cursor = _act(
                store, account, tracked, user, inputs.context, now, report, lease, state
            )
            state.mail_read(mail_cursor)
        except LeaseLost as lost:
            report.passed_over = "it took the account over during this pass"
            log.warning("%s", lost)
            return report  # the account is another process's now: nothing more is written
        except ProviderError as failure:
            error = report.error = scrub(str(failure))
            log.warning("account %s: %s", account.name, failure)
            needs_auth = isinstance(failure, AuthorizationNeeded)
            report.newly_needs_auth = needs_auth and not _needed_auth(state.stored)
        except OutreachError:
            raise
        except Exception as failure:
            # A bug tripped by one account's data must not stop the others.
            log.warning("account %s: unexpected error", account.name, exc_info=True)
            error = report.error = scrub(f"unexpected error, see the log ({_one_line(failure)})")
        report.address = _save_state(store, account, now, state, error=error, needs_auth=needs_auth)
    return report


# -- before the accounts ----------------------------------------------------------------


def _unavailable(store: Store, missing: Unavailable, now: datetime) -> AccountReport:
    """Record that ``missing`` could not be opened; its line of the report."""
    report = AccountReport(missing.name, error=scrub(missing.error))
    previous = store.account_state(missing.name)
    base = previous or AccountState(name=missing.name, provider=missing.provider, address="")
    store.save_account_state(
        replace(
            base, last_pass_at=now, last_error=scrub(missing.error), needs_auth=missing.needs_auth
        )
    )
    report.newly_needs_auth = missing.needs_auth and not _needed_auth(previous)
    return report


def _the_user(
    config: Config,
    store: Store,
    accounts: Sequence[Account],
    known_addresses: Mapping[str, str] | None,
) -> UserIdentity:
    """The user with every address they have, also of the accounts not in this pass (the
    daemon runs one account at a time): the user is never an interviewer to themselves."""
    configured = {a.name for a in config.accounts}
    stored = store.account_addresses() if known_addresses is None else known_addresses
    known = [a for name, a in stored.items() if name in configured]
    return user_identity(config, [*_addresses(accounts), *known])


def _addresses(accounts: Sequence[Account]) -> list[str]:
    """Every account's address that can be had; a failing account fails in its own turn."""
    addresses = []
    for account in accounts:
        try:
            addresses.append(account.mailbox.address())
        except ProviderError:
            continue
    return addresses


# -- 1. the lease, 2. the state ---------------------------------------------------------


@contextmanager
def _leased(
    store: Store, account: str, clock: Callable[[], datetime]
) -> Iterator[AccountLease | LeaseHeld]:
    """The account's lease for the block (given back at its end), or who holds it."""
    lease = AccountLease.acquire(store, account, clock)
    try:
        yield lease
    finally:
        if isinstance(lease, AccountLease):
            lease.release()


@dataclass
class _PassState:
    """One account's stored state for the length of its pass: read once, under the lease,
    when the pass begins; the new cursors kept as the steps learn them; written once, by
    ``_save_state``, when the pass ends.

    Both cursors are saved only then, in the same write: a pass cut short (killed, or the
    account taken over) leaves the cursors of the last pass that ended, and the next pass
    reads the calendar and the mail again from there. What the cut pass recorded meanwhile
    is found recorded and not recorded again.
    """

    stored: AccountState | None
    calendar_cursor: str | None
    mail_cursor: str | None

    @classmethod
    def load(cls, store: Store, name: str) -> _PassState:
        """The state of account ``name`` as stored (``None`` fields before its first pass)."""
        stored = store.account_state(name)
        if stored is None:
            return cls(None, None, None)
        return cls(stored, stored.calendar_cursor, stored.mail_cursor)

    @property
    def mail_cursor_at(self) -> datetime | None:
        """When the stored mail cursor was taken (the last pass that succeeded), if any."""
        stored = self.stored
        return stored.last_success_at if stored is not None and stored.mail_cursor else None

    def calendar_read(self, key: str, cursor: str | None) -> None:
        """Keep the calendar's new cursor (``None``: the source has none; the old one stays)."""
        if cursor is not None:
            self.calendar_cursor = f"{key}{cursor}"

    def mail_read(self, cursor: str | None) -> None:
        """Keep the mailbox's new cursor (``None``: none given; the old one stays)."""
        if cursor is not None:
            self.mail_cursor = cursor


def _needed_auth(state: AccountState | None) -> bool:
    """Whether the account was already marked as needing authorization."""
    return state is not None and state.needs_auth


def _passed_lately(state: AccountState | None, now: datetime, within: timedelta) -> bool:
    last = state.last_pass_at if state is not None else None
    # A pass begun after our `now` (another process, a little later) is as fresh.
    return last is not None and last > now - within


# -- 3. the calendar, 4. recognition, 5. recording --------------------------------------


def _read_calendar(
    account: Account,
    state: _PassState,
    key: str,
    window: tuple[datetime, datetime],
    report: AccountReport,
) -> CalendarChanges:
    """The calendar's changes in ``window`` since the cursor kept with ``key``, or all its
    events (no such cursor, or it expired). Read outside any transaction: it may take a while."""
    start, end = window
    cursor = _own_cursor(state.calendar_cursor, key)
    try:
        changes = account.calendar.changes(cursor, start, end)
    except CursorExpired:
        changes = account.calendar.changes(None, start, end)
    report.events = len(changes.events)
    report.problems.extend(scrub(problem) for problem in changes.problems)
    return changes


def _reading_key(config: Config, user: UserIdentity) -> str:
    """What the calendar's events were recognized with; a cursor is kept only with it.

    A sync cursor reports changed events only: after a change of rules, addresses or
    time zone, every event must be recognized again, so the cursor is dropped once.
    """
    rules = {f.name: _stable(getattr(config.rules, f.name)) for f in fields(config.rules)}
    inputs = repr((rules, sorted(user.addresses), str(user.timezone), LOOKAHEAD))
    return "k" + hashlib.sha256(inputs.encode()).hexdigest()[:16] + ":"


def _stable(value: object) -> object:
    """``value`` with the same repr in every process (a set's order depends on the hash seed)."""
    if isinstance(value, (set, frozenset)):
        return sorted(repr(v) for v in value)
    return value


def _own_cursor(stored: str | None, key: str) -> str | None:
    if stored is None or not stored.startswith(key):
        return None
    return stored[len(key) :] or None


def _recognized(
    account: Account,
    changes: CalendarChanges,
    config: Config,
    user: UserIdentity,
    report: AccountReport,
) -> list[Interview]:
    """The interviews among the events read, in the order of their ids.

    One order for every process: two processes claiming the same invitations (in two
    accounts) in one transaction each take the rows' locks in the same order, never in
    opposite orders (which PostgreSQL would end as a deadlock).
    """
    found: dict[str, Interview] = {}
    for event in changes.events:
        with _one_item(f"event {event.source_id or event.uid!r}", report):
            interview = recognize(event, account=account.name, user=user, rules=config.rules)
            if interview is not None:
                found[interview.id] = interview
    return [found[key] for key in sorted(found)]


def _record_calendar(
    store: Store,
    account: Account,
    changes: CalendarChanges,
    interviews: Sequence[Interview],
    window: tuple[datetime, datetime],
    now: datetime,
    report: AccountReport,
) -> list[TrackedInterview]:
    """Record the calendar's changes and removals; the account's interviews afterwards.

    The account's own interviews are loaded once and the changes written, in one transaction.
    """
    # Seen even if claiming it fails below: an event that failed is not taken as removed.
    seen = {interview.id for interview in interviews}
    with store.transaction():
        tracked = {t.interview.id: t for t in store.interviews(account=account.name)}
        touched = _record_changes(store, interviews, tracked, now, report)
        listed = seen if changes.complete and not report.problems else None
        touched |= _removals(store, changes.removed, tracked, listed, window, now)
        if touched:
            tracked.update((t.interview.id, t) for t in store.interviews_with_ids(touched))
    mine = [t for t in tracked.values() if t.interview.account == account.name]
    return sorted(mine, key=lambda t: (t.interview.start, t.interview.id))


def _record_changes(
    store: Store,
    interviews: Sequence[Interview],
    tracked: dict[str, TrackedInterview],
    now: datetime,
    report: AccountReport,
) -> set[str]:
    """Track ``interviews`` (claim each, plan again what came back); the ids saved."""
    saved: set[str] = set()
    for interview in interviews:
        with _one_item(f"interview {interview.id}", report):
            before = tracked.get(interview.id)
            if before is not None and not before.gone and before.interview == interview:
                continue  # read again, unchanged: nothing to write
            if not store.claim_interview(interview, now):
                continue  # the same invitation in another account: one interview, first one wins
            saved.add(interview.id)
            if before is not None and _came_back(before, interview):
                _replan(store, before, now)
            elif before is not None and before.gone:
                # Back in the calendar, but cancelled or declined there: its actions end for
                # that reason, not for a removal the calendar now contradicts. An edited draft
                # kept stays `edited_kept`, which holds either way.
                _replan(store, before, now, reasons=CANCELLING)
    return saved


def _removals(
    store: Store,
    removed_sources: Sequence[str],
    tracked: dict[str, TrackedInterview],
    seen: set[str] | None,
    window: tuple[datetime, datetime],
    now: datetime,
) -> set[str]:
    """Mark gone what the calendar says was removed; the ids marked.

    ``seen`` is given only for a complete listing read without problems: then an
    interview in the window that was not seen is gone too. What could not be read proves
    nothing: with a file skipped as unreadable, a missing event may be in that file.
    """
    by_source = {
        t.interview.event.source_id: t for t in tracked.values() if t.interview.event.source_id
    }
    removed = [by_source[s] for s in removed_sources if s in by_source]
    if seen is not None:
        start, end = window
        for interview_id, item in tracked.items():
            in_window = start <= item.interview.start < end
            if interview_id not in seen and in_window and not item.gone:
                removed.append(item)
    for item in removed:
        _mark_removed(store, item, now)
    return {item.interview.id for item in removed}


# The reasons a cancellation ends actions with.
_REPLANNED: frozenset[ActionReason] = frozenset({*CANCELLING, Reason.EDITED_KEPT})


def _came_back(before: TrackedInterview, now_seen: Interview) -> bool:
    """Whether a cancelled, declined or removed interview is on again."""
    was_off = before.gone or before.interview.skip_reason in CANCELLING
    return was_off and now_seen.skip_reason not in CANCELLING


def _replan(
    store: Store,
    before: TrackedInterview,
    now: datetime,
    reasons: frozenset[ActionReason] = _REPLANNED,
) -> None:
    """Plan again the actions the cancellation ended (with one of ``reasons``); the next
    planning decides their fate.

    Sent, dismissed and skipped actions stay as they are. A draft the user edited and kept
    is still in the mailbox under the action's Message-ID: it is found there, not redone.
    """
    for record in before.actions:
        if record.state is ActionState.CANCELLED and record.reason in reasons:
            replanned = replace(
                record,
                state=ActionState.PLANNED,
                reason=None,
                due_at=None,
                detail="the interview is on again; planned again",
            )
            store.save_action(before.interview.id, replanned, now)


def _mark_removed(store: Store, item: TrackedInterview | None, now: datetime) -> None:
    if item is None:
        return
    cancelled = replace(
        item.interview,
        skip_reason=SkipReason.CANCELLED,
        skip_detail="the event was removed from your calendar or no longer looks like an interview",
    )
    store.save_interview(cancelled, now)
    store.mark_gone(item.interview.id, now)


# -- 6. facts, plan, act ---------------------------------------------------------------


def _act(
    store: Store,
    account: Account,
    interviews: Sequence[TrackedInterview],
    user: UserIdentity,
    context: PlanContext,
    now: datetime,
    report: AccountReport,
    lease: AccountLease | None,
    state: _PassState,
) -> str | None:
    """Plan and execute the account's tracked ``interviews``; returns the new mail cursor.

    ``state`` is the account's state as the pass loaded it (its mail cursor and when that
    was taken)."""
    changes = account.mailbox.changes(state.mail_cursor)
    # The feed covers drafts that existed when the previous cursor was taken; a draft we
    # wrote since may vanish without the feed ever saying so (Graph delta).
    cursor_at = state.mail_cursor_at
    sender = Address(account.mailbox.address(), user.name)
    guard = lease.renew if lease is not None else (lambda: None)
    executor = Executor(
        store,
        account.mailbox,
        account.name,
        sender,
        now,
        timezone=context.timezone,
        guard=guard,
        max_new_drafts=context.rules.max_new_drafts_per_pass,
    )
    claimed = ClaimedIds(
        {normalize_message_id(a.message_id) for t in interviews for a in t.actions if a.message_id},
        store.holds_message_id,
    )
    for stored in interviews:
        if lease is not None:
            lease.heartbeat()
        tracked = _reconciled(executor, stored)
        if tracked.actions and all(a.state.final for a in tracked.actions):
            continue
        report.interviews += 1
        with _one_item(f"interview {tracked.interview.id}", report):
            facts = gather_facts(
                account.mailbox, tracked, user, context, now, changes.threads, claimed, cursor_at
            )
            result = plan(tracked.interview, tracked.actions, facts, context, now)
            for decision in result.decisions:
                executor.apply(tracked.interview, decision)
            if (result.skip_reason, result.skip_detail) != (
                tracked.interview.skip_reason,
                tracked.interview.skip_detail,
            ) and result.skip_reason is not None:
                updated = replace(
                    tracked.interview,
                    skip_reason=result.skip_reason,
                    skip_detail=result.skip_detail,
                )
                store.save_interview(updated, now)
    report.tally = executor.tally
    report.blocked = list(executor.blocked)
    report.capped = executor.capped
    return changes.cursor


def _reconciled(executor: Executor, tracked: TrackedInterview) -> TrackedInterview:
    """``tracked`` after finishing what a killed process left half done (see Executor)."""
    if not any(a.removing or a.pending_hash for a in tracked.actions):
        return tracked
    actions = tuple(executor.reconcile(tracked.interview, a) for a in tracked.actions)
    return replace(tracked, actions=actions)


# -- 7. saving the state ------------------------------------------------------------------


def _save_state(
    store: Store,
    account: Account,
    now: datetime,
    state: _PassState,
    *,
    error: str | None,
    needs_auth: bool = False,
) -> str:
    """Record how the pass went, with the cursors ``state`` kept, in one write; returns the
    account's address."""
    previous = state.stored
    try:
        address = account.mailbox.address()
    except ProviderError:
        address = previous.address if previous else ""
    last_success = previous.last_success_at if previous else None
    store.save_account_state(
        AccountState(
            name=account.name,
            provider=account.provider,
            address=address,
            calendar_cursor=state.calendar_cursor,
            mail_cursor=state.mail_cursor,
            last_pass_at=now,
            last_success_at=now if error is None else last_success,
            last_error=error,
            needs_auth=needs_auth,
        )
    )
    return address


# -- one item's failure --------------------------------------------------------------


@contextmanager
def _one_item(what: str, report: AccountReport) -> Iterator[None]:
    """Run the block for one event or interview; a bug it trips on skips only that item.

    Typed errors (a provider fault, a lost lease, the database) concern the whole account
    and pass through. Anything else is logged with its traceback and named in the report,
    and the rest of the account goes on: no input can stop a pass.
    """
    try:
        yield
    except OutreachError:
        raise
    except Exception as error:
        # The report says it in one line; the traceback is for the log (`run`, --verbose).
        log.warning(
            "account %s: %s skipped after an unexpected error", report.name, what, exc_info=True
        )
        report.problems.append(
            scrub(f"{what}: unexpected error, skipped this pass ({_one_line(error)})")
        )


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    name = type(error).__name__
    return f"{name}: {text[:200]}" if text else name
