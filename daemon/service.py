"""One pass over every account: sync → detect → plan → execute, one account's failure isolated.

This is the only place that wires the pure domain to providers and storage.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta

from daemon.config import Config
from daemon.domain.interviews import recognize
from daemon.domain.mime import normalize_message_id
from daemon.domain.model import (
    CANCELLING,
    ActionKind,
    ActionRecord,
    ActionState,
    Address,
    DraftRef,
    Interview,
    MailMessage,
    Reason,
    SkipReason,
    UserIdentity,
)
from daemon.domain.planning import (
    DraftObservation,
    DraftStatus,
    InTouch,
    MailboxFacts,
    PlanContext,
    Slot,
    plan,
)
from daemon.domain.rendering import Renderer
from daemon.domain.replies import ReplyFinding, automatic_marker, find_reply
from daemon.domain.timing import outreach_window
from daemon.errors import (
    AuthorizationNeeded,
    CursorExpired,
    LeaseLost,
    OutreachError,
    ProviderError,
)
from daemon.executor import ExecutionTally, Executor, message_id_for, recipient_of
from daemon.leasing import AccountLease, describe_holder
from daemon.ports import CalendarChanges, CalendarSource, DraftCheck, Mailbox
from daemon.scrub import scrub
from daemon.store.records import AccountState, LeaseHeld, TrackedInterview
from daemon.store.repository import Store
from providers.local.settings import LocalAccount

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=4)  # long enough to still catch a thank-you (missed after 72 h)
LOOKAHEAD = timedelta(days=45)
SENT_CLOCK_SKEW = timedelta(minutes=5)  # a mail client's clock may lag ours a little
RULES_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Account:
    """A configured account with its opened calendar and mailbox."""

    name: str
    provider: str
    calendar: CalendarSource
    mailbox: Mailbox
    close: Callable[[], None] = lambda: None  # releases the provider's connections


class ClaimedIds(Container[str]):
    """The Message-IDs of the program's drafts, in every account.

    The account's own are known from its interviews; any other is asked of the store
    (``holds``, an index seek) the first time a message with it is in question, so that
    a pass never loads every account's actions.
    """

    def __init__(self, own: Iterable[str] = (), holds: Callable[[str], bool] | None = None) -> None:
        self._known = dict.fromkeys(own, True)
        self._holds = holds

    def __contains__(self, message_id: object) -> bool:
        if not isinstance(message_id, str) or not message_id:
            return False
        if message_id not in self._known:
            self._known[message_id] = self._holds is not None and self._holds(message_id)
        return self._known[message_id]


@dataclass(frozen=True)
class Unavailable:
    """An account that could not be opened this pass, and why."""

    name: str
    provider: str
    error: str
    needs_auth: bool = False


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


def report_lines(report: PassReport) -> Iterator[tuple[bool, str]]:
    """What the pass did, per account: (whether the line is a problem, the line)."""
    for account in report.accounts:
        name = account.name
        if account.error:
            yield True, f"{name}: failed: {scrub(account.error)}"
            continue
        if account.passed_over:
            yield (
                False,
                f"{name}: passed over: another interview-outreach process is working "
                f"on it ({account.passed_over})",
            )
            continue
        tally = account.tally
        drafts = f"{tally.created} created, {tally.updated} updated, {tally.deleted} removed"
        yield (
            False,
            f"{name}: {account.events} events, {account.interviews} interviews "
            f"tracked; drafts: {drafts}",
        )
        for problem in account.problems:
            yield True, f"{name}: skipped: {scrub(problem)}"
        for line in account.blocked:
            yield True, f"{name}: {scrub(line)}"
        if account.capped:
            yield (
                True,
                f"{name}: {tally.created} new drafts made, the most for one pass "
                f"(max_new_drafts_per_pass); {account.capped} more wait for the next pass",
            )


def user_identity(config: Config, extra_addresses: Sequence[str] = ()) -> UserIdentity:
    """The user as the core sees them: name, every configured address, time zone."""
    addresses = {a.address for a in config.accounts if isinstance(a, LocalAccount)}
    addresses.update(a.lower() for a in extra_addresses if a)
    return UserIdentity(
        name=config.profile.name,
        addresses=frozenset(addresses),
        timezone=config.profile.timezone,
    )


def plan_context(config: Config) -> PlanContext:
    """The fixed inputs of planning for this configuration."""
    return PlanContext(
        rules=config.rules,
        timezone=config.profile.timezone,
        renderer=Renderer(config.templates_dir),
        user_name=config.profile.name,
        signature=config.profile.signature or config.profile.name,
        highlights=config.profile.highlights,
        language=config.profile.language,
        account_languages=tuple(
            (account.name, account.language)
            for account in config.accounts
            if account.language is not None
        ),
        translated_highlights=config.profile.translated_highlights,
    )


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
    report = PassReport()
    for missing in unavailable:
        failed = AccountReport(missing.name, error=scrub(missing.error))
        failed.newly_needs_auth = _record_failure(store, missing, now)
        report.accounts.append(failed)
    # Every address the user has, also of accounts not in this pass (the daemon runs one
    # account at a time): the user is never an interviewer to themselves.
    configured = {a.name for a in config.accounts}
    stored = store.account_addresses() if known_addresses is None else known_addresses
    known = [a for name, a in stored.items() if name in configured]
    user = user_identity(config, [*_addresses(accounts), *known])
    context = context or plan_context(config)
    lease_clock = clock or (lambda: now)
    for account in accounts:
        account_report = AccountReport(account.name)
        report.accounts.append(account_report)
        with _leased(store, account.name, lease_clock) as lease:
            if isinstance(lease, LeaseHeld):
                account_report.passed_over = describe_holder(lease, config.profile.timezone)
                log.info("account %s: passed over: %s", account.name, account_report.passed_over)
                continue
            # Read once under the lease; the pass keeps it up to date (`_Known`).
            known_state = _Known(store.account_state(account.name))
            if fresh_within is not None and _passed_lately(known_state.state, now, fresh_within):
                account_report.fresh = True
                log.debug(
                    "account %s: passed less than %s ago; not again", account.name, fresh_within
                )
                continue
            try:
                tracked = _sync_calendar(
                    config, store, account, user, now, account_report, known_state
                )
                mail_cursor = _act(
                    store, account, tracked, user, context, now, account_report, lease,
                    known_state.state,
                )  # fmt: skip
                account_report.address = _save_state(
                    store, account, now, known_state.state, error=None, mail_cursor=mail_cursor
                )
            except LeaseLost as lost:
                account_report.passed_over = "it took the account over during this pass"
                log.warning("%s", lost)
            except ProviderError as error:
                account_report.error = scrub(str(error))
                log.warning("account %s: %s", account.name, error)
                needs_auth = isinstance(error, AuthorizationNeeded)
                account_report.newly_needs_auth = needs_auth and not _needed_auth(known_state.state)
                account_report.address = _save_state(
                    store,
                    account,
                    now,
                    known_state.state,
                    error=account_report.error,
                    needs_auth=needs_auth,
                )
            except OutreachError:
                raise
            except Exception as error:
                # A bug tripped by one account's data must not stop the others.
                log.warning("account %s: unexpected error", account.name, exc_info=True)
                account_report.error = scrub(f"unexpected error, see the log ({_one_line(error)})")
                account_report.address = _save_state(
                    store, account, now, known_state.state, error=account_report.error
                )
    return report


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
class _Known:
    """The account's stored state as this pass last read or wrote it: read once per
    account and pass, not by every step."""

    state: AccountState | None


def _needed_auth(state: AccountState | None) -> bool:
    """Whether the account was already marked as needing authorization."""
    return state is not None and state.needs_auth


def _passed_lately(state: AccountState | None, now: datetime, within: timedelta) -> bool:
    last = state.last_pass_at if state is not None else None
    # A pass begun after our `now` (another process, a little later) is as fresh.
    return last is not None and last > now - within


def _addresses(accounts: Sequence[Account]) -> list[str]:
    """Every account's address that can be had; a failing account fails in its own turn."""
    addresses = []
    for account in accounts:
        try:
            addresses.append(account.mailbox.address())
        except ProviderError:
            continue
    return addresses


def _record_failure(store: Store, missing: Unavailable, now: datetime) -> bool:
    """Record that ``missing`` could not be opened; whether it newly needs authorization."""
    previous = store.account_state(missing.name)
    base = previous or AccountState(name=missing.name, provider=missing.provider, address="")
    store.save_account_state(
        replace(
            base, last_pass_at=now, last_error=scrub(missing.error), needs_auth=missing.needs_auth
        )
    )
    return missing.needs_auth and not _needed_auth(previous)


def _save_state(
    store: Store,
    account: Account,
    now: datetime,
    previous: AccountState | None,
    *,
    error: str | None,
    needs_auth: bool = False,
    mail_cursor: str | None = None,
) -> str:
    """Record how the pass went (``previous``: the state as the pass knows it); a new
    mail cursor only after a successful pass. Returns the account's address."""
    try:
        address = account.mailbox.address()
    except ProviderError:
        address = previous.address if previous else ""
    state = AccountState(
        name=account.name,
        provider=account.provider,
        address=address,
        calendar_cursor=previous.calendar_cursor if previous else None,
        mail_cursor=mail_cursor or (previous.mail_cursor if previous else None),
        last_pass_at=now,
        last_success_at=now if error is None else (previous.last_success_at if previous else None),
        last_error=error,
        needs_auth=needs_auth,
    )
    store.save_account_state(state)
    return address


def _sync_calendar(
    config: Config,
    store: Store,
    account: Account,
    user: UserIdentity,
    now: datetime,
    report: AccountReport,
    known: _Known,
) -> list[TrackedInterview]:
    """Read the calendar's changes and record them; the account's interviews afterwards.

    The calendar is read first, outside any transaction (it may take a while); then the
    account's own interviews are loaded once and the changes written, in one transaction.
    """
    start, end = now - LOOKBACK, now + LOOKAHEAD
    previous = known.state
    key = _reading_key(config, user)
    cursor = _own_cursor(previous.calendar_cursor if previous else None, key)
    try:
        changes = account.calendar.changes(cursor, start, end)
    except CursorExpired:
        changes = account.calendar.changes(None, start, end)
    report.events = len(changes.events)
    report.problems.extend(scrub(problem) for problem in changes.problems)
    interviews = _recognized(account, changes, config, user, report)
    # Seen even if claiming it fails below: an event that failed is not taken as removed.
    seen = {interview.id for interview in interviews}
    with store.transaction():
        tracked = {t.interview.id: t for t in store.interviews(account=account.name)}
        touched = _record_changes(store, interviews, tracked, now, report)
        listed = seen if changes.complete and not report.problems else None
        touched |= _removals(store, changes.removed, tracked, listed, (start, end), now)
        stored = previous.calendar_cursor if previous else None
        if changes.cursor is not None and f"{key}{changes.cursor}" != stored:
            state = previous or AccountState(
                name=account.name, provider=account.provider, address=account.mailbox.address()
            )
            known.state = replace(state, calendar_cursor=f"{key}{changes.cursor}")
            store.save_account_state(known.state)
        if touched:
            tracked.update((t.interview.id, t) for t in store.interviews_with_ids(touched))
    mine = [t for t in tracked.values() if t.interview.account == account.name]
    return sorted(mine, key=lambda t: (t.interview.start, t.interview.id))


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
_REPLANNED: frozenset[str] = frozenset({*CANCELLING, Reason.EDITED_KEPT})


def _came_back(before: TrackedInterview, now_seen: Interview) -> bool:
    """Whether a cancelled, declined or removed interview is on again."""
    was_off = before.gone or before.interview.skip_reason in CANCELLING
    return was_off and now_seen.skip_reason not in CANCELLING


def _replan(store: Store, before: TrackedInterview, now: datetime) -> None:
    """Plan again the actions the cancellation ended; the next planning decides their fate.

    Sent, dismissed and skipped actions stay as they are. A draft the user edited and kept
    is still in the mailbox under the action's Message-ID: it is found there, not redone.
    """
    for record in before.actions:
        if record.state is ActionState.CANCELLED and record.reason in _REPLANNED:
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


def _act(
    store: Store,
    account: Account,
    interviews: Sequence[TrackedInterview],
    user: UserIdentity,
    context: PlanContext,
    now: datetime,
    report: AccountReport,
    lease: AccountLease | None = None,
    previous: AccountState | None = None,
) -> str | None:
    """Plan and execute the account's tracked ``interviews``; returns the new mail cursor.

    ``previous`` is the account's stored state (its mail cursor and last success)."""
    changes = account.mailbox.changes(previous.mail_cursor if previous else None)
    # The feed covers drafts that existed when the previous cursor was taken; a draft we
    # wrote since may vanish without the feed ever saying so (Graph delta).
    cursor_at = previous.last_success_at if previous and previous.mail_cursor else None
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


def _reconciled(executor: Executor, tracked: TrackedInterview) -> TrackedInterview:
    """``tracked`` after finishing what a killed process left half done (see Executor)."""
    if not any(a.removing or a.pending_hash for a in tracked.actions):
        return tracked
    actions = tuple(executor.reconcile(tracked.interview, a) for a in tracked.actions)
    return replace(tracked, actions=actions)


def gather_facts(
    mailbox: Mailbox,
    tracked: TrackedInterview,
    user: UserIdentity,
    context: PlanContext,
    now: datetime,
    changed_threads: frozenset[str] | None = None,
    claimed: Container[str] = frozenset(),
    cursor_at: datetime | None = None,
) -> MailboxFacts:
    """Ask the mailbox what planning needs to know about this interview, and nothing more.

    ``claimed`` holds the Message-IDs of every draft the program made: a sent message
    with one of them belongs to that draft and to no other.

    ``changed_threads`` (from ``Mailbox.changes``) spares questions about threads that did
    not change since the last pass; ``None`` means anything may have changed. Only drafts
    written before ``cursor_at`` (when the feed's cursor was taken) are trusted to it.

    An action the database does not know yet is looked up in the mailbox by its derived
    Message-ID: with a new or lost database, what was drafted or sent is found, not redone.
    """
    interview = tracked.interview
    drafts: dict[Slot, DraftObservation] = {}
    for record in tracked.actions:
        observation: DraftObservation | None
        if _unchanged(record, changed_threads, cursor_at):
            observation = _as_last_seen(record)
        else:
            observation = _observe_draft(
                mailbox, record, recipient_of(interview, record), claimed, tracked.actions
            )
        if observation is not None:
            drafts[record.slot] = observation
    known = {r.slot for r in tracked.actions}
    for slot in _slots(interview, context, now):
        if slot not in known:
            found = _look_up(mailbox, interview, slot)
            if found is not None:
                drafts[slot] = found
    records = {r.slot: r for r in tracked.actions}
    outreach_slot = (ActionKind.OUTREACH, "")
    outreach = records.get(outreach_slot)
    seen = drafts.get(outreach_slot)
    if seen is not None and seen.status is DraftStatus.SENT:
        # Sent just now (or found sent with a new database): replies count from then on.
        sent = seen.sent
        outreach = replace(
            outreach or ActionRecord(ActionKind.OUTREACH, ""),
            state=ActionState.SENT,
            sent_at=sent.date if sent else now,
            message_id=sent.message_id if sent else (outreach.message_id if outreach else None),
            thread_id=(sent.thread_id if sent else None)
            or (outreach.thread_id if outreach else None),
        )
    quiet = changed_threads is not None and not changed_threads
    reply, not_replies = (
        (None, []) if quiet else _reply(mailbox, tracked.interview, outreach, records, user)
    )
    return MailboxFacts(
        drafts=drafts,
        reply=reply,
        not_replies=tuple(not_replies),
        in_touch=_in_touch(mailbox, tracked.interview, outreach, claimed, context, now),
    )


def _slots(interview: Interview, context: PlanContext, now: datetime) -> list[Slot]:
    """The actions of ``interview`` that could already have a draft or a sent message.

    One not due yet cannot: the executor looks for it again before drafting it anyway.
    A day of margin covers rules changed since.
    """
    opens, _ = outreach_window(interview.start, context.rules, context.timezone)
    slots: list[Slot] = []
    if now >= opens - RULES_MARGIN:
        slots += [(ActionKind.OUTREACH, ""), (ActionKind.FOLLOWUP, "")]
    if now >= interview.end - RULES_MARGIN:
        slots += [(ActionKind.THANKYOU, p.email) for p in interview.interviewers]
    return slots


def _look_up(mailbox: Mailbox, interview: Interview, slot: Slot) -> DraftObservation | None:
    """What the mailbox holds under the action's derived Message-ID: a draft, sent mail."""
    record = ActionRecord(*slot)
    if not recipient_of(interview, record):
        return None
    message_id = message_id_for(interview, record, mailbox.address())
    found = _found_draft(mailbox, message_id)
    if found is not None:
        return found
    sent = mailbox.find_sent(DraftRef("", message_id))
    if sent is not None:
        return DraftObservation(DraftStatus.SENT, sent=sent)
    return None


def _found_draft(mailbox: Mailbox, message_id: str) -> DraftObservation | None:
    """The draft with ``message_id``, with the fingerprint of what it says, if there is one."""
    ref = mailbox.find_draft(message_id)
    if ref is None:
        return None
    content = mailbox.read_draft(ref)
    found_hash = content.fingerprint if content is not None else None
    return DraftObservation(DraftStatus.FOUND, ref=ref, content_hash=found_hash)


def _unchanged(
    record: ActionRecord, changed_threads: frozenset[str] | None, cursor_at: datetime | None
) -> bool:
    """Whether the mailbox said nothing happened to this drafted action's draft or thread."""
    written = record.written_at or record.drafted_at
    return (
        changed_threads is not None
        and record.state is ActionState.DRAFTED
        and record.thread_id is not None
        and record.thread_id not in changed_threads
        and record.draft_id not in changed_threads
        and written is not None
        and cursor_at is not None
        and written < cursor_at
    )


def _as_last_seen(record: ActionRecord) -> DraftObservation:
    status = DraftStatus.EDITED if record.edited else DraftStatus.UNTOUCHED
    return DraftObservation(status, ref=record.ref)


def _observe_draft(
    mailbox: Mailbox,
    record: ActionRecord,
    recipient: str,
    claimed: Container[str] = frozenset(),
    siblings: Sequence[ActionRecord] = (),
) -> DraftObservation | None:
    if record.state is ActionState.DRAFTING and record.message_id:
        return _found_draft(mailbox, record.message_id) or DraftObservation(DraftStatus.MISSING)
    if record.state is not ActionState.DRAFTED or not record.draft_id:
        return None
    ref = record.ref
    check = mailbox.check_draft(ref, record.content_hash or "")
    if check is DraftCheck.UNTOUCHED:
        return DraftObservation(DraftStatus.UNTOUCHED, ref=ref)
    if check is DraftCheck.EDITED:
        return DraftObservation(DraftStatus.EDITED, ref=ref)
    sent = mailbox.find_sent(ref) or _sent_in_its_place(
        mailbox, record, recipient, claimed, siblings
    )
    if sent is not None:
        return DraftObservation(DraftStatus.SENT, ref=ref, sent=sent)
    return DraftObservation(DraftStatus.GONE, ref=ref)


def _sent_in_its_place(
    mailbox: Mailbox,
    record: ActionRecord,
    recipient: str,
    claimed: Container[str],
    siblings: Sequence[ActionRecord],
) -> MailMessage | None:
    """A message to the same person, sent since the draft was made, that no other draft claims.

    Some mail clients give a draft a new Message-ID when sending it; a vanished draft
    and such a message in Sent mean the user sent it, not that they dropped it. A reply
    draft (follow-up) must have become a reply to its outreach; the others, new threads.
    """
    if not recipient or record.drafted_at is None:
        return None
    since = record.drafted_at - SENT_CLOCK_SKEW
    parent = next(
        (s.message_id for s in siblings if s.kind is ActionKind.OUTREACH and s.message_id), None
    )
    candidates = [
        m
        for m in mailbox.messages_with(recipient, since)
        if m.folder == "sent"
        and m.message_id not in claimed
        and _fits(m, record.kind is ActionKind.FOLLOWUP, parent)
    ]
    return min(candidates, key=lambda m: m.date, default=None)


def _fits(message: MailMessage, is_reply: bool, parent: str | None) -> bool:
    refers = {message.in_reply_to, *message.references} - {None}
    if is_reply:
        return parent is not None and parent in refers
    return not refers


def _reply(
    mailbox: Mailbox,
    interview: Interview,
    outreach: ActionRecord | None,
    records: dict[Slot, ActionRecord],
    user: UserIdentity,
) -> tuple[ReplyFinding | None, list[str]]:
    """The reply to the sent outreach, if any, and the automatic messages passed over."""
    followup = records.get((ActionKind.FOLLOWUP, ""))
    if outreach is None or outreach.state is not ActionState.SENT or outreach.sent_at is None:
        return None, []
    if followup is not None and followup.state.final:
        return None, []
    interviewers = frozenset(p.email for p in interview.interviewers)
    messages = mailbox.thread_messages(
        outreach.message_id or "", outreach.thread_id, outreach.sent_at
    )
    for address in sorted(interviewers):
        messages.extend(mailbox.messages_with(address, outreach.sent_at))
    finding, passed_over = find_reply(
        messages,
        sent_message_id=outreach.message_id or "",
        sent_at=outreach.sent_at,
        interviewers=interviewers,
        thread_ids=frozenset({outreach.thread_id} if outreach.thread_id else set()),
        user_addresses=user.addresses,
    )
    for line in passed_over:
        log.info("interview %s: not a reply: %s", interview.id, line)
    return finding, passed_over


def _in_touch(
    mailbox: Mailbox,
    interview: Interview,
    outreach: ActionRecord | None,
    claimed: Container[str],
    context: PlanContext,
    now: datetime,
) -> InTouch | None:
    """Prior contact with the interviewers, checked only while the outreach is undecided."""
    if interview.skip_reason is not None or not interview.interviewers:
        return None
    if outreach is not None and outreach.state not in (ActionState.PLANNED, ActionState.BLOCKED):
        return None
    opens, closes = outreach_window(interview.start, context.rules, context.timezone)
    if not opens <= now < closes:
        return None
    rules = context.rules
    since = now - timedelta(days=rules.already_in_touch_days)
    recent = now - timedelta(days=rules.back_and_forth_days)
    # The product's own drafts, and what was sent from them, are not prior contact.
    own = claimed
    received = sent = 0
    received_recent = sent_recent = False
    for person in interview.interviewers:
        for message in mailbox.messages_with(person.email, since):
            if message.message_id in own or automatic_marker(message):
                continue  # auto-replies and bounces are not an exchange with the person
            if message.folder == "sent":
                sent += 1
                sent_recent = sent_recent or message.date >= recent
            else:
                received += 1
                received_recent = received_recent or message.date >= recent
    total = sent + received
    back_and_forth = sent_recent and received_recent
    detail = (
        f"{total} messages with the interviewers in the last {rules.already_in_touch_days} days "
        f"({sent} sent, {received} received)"
        + (
            f"; messages went both ways in the last {rules.back_and_forth_days} days"
            if back_and_forth
            else ""
        )
    )
    return InTouch(messages=total, back_and_forth=back_and_forth, detail=detail)
