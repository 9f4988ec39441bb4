"""Generated hostile calendars and mailboxes never stop, flood or mislead a pass.

Each example builds a fresh world in a temporary folder: one local account (a vdir and a
Maildir), the good interviews of ``strategies.GOOD_INTERVIEWS`` and the generated hostile
files, SQLite in the same folder. A forked child runs the real command line on it with an
injected clock: ``once`` when the outreach is due, ``once`` when the thank-yous are due,
then ``status``, ``status --json``, ``accounts`` and ``explain`` of the interviews. The
child is killed when one command takes longer than the time bound, and its address space
is limited (a bomb fails there rather than taking the machine). The properties:

(a) a pass never raises: exit code 0 or 1 (never 70), no "internal error", no traceback,
    the account never fails and no item is skipped after an unexpected error;
(b) every command finishes within ``PASS_SECONDS`` plus ``ITEM_SECONDS`` per planted
    invitation and message, and the child's peak memory grows by at most
    ``MEMORY_BOUND_MIB``;
(c) no pass makes more than ``max_new_drafts_per_pass`` new drafts, and every draft made
    belongs to a tracked interview and writes to one of its interviewers;
(d) every address in a draft's From/To/Cc/Reply-To/Sender passes ``parse_address``
    unchanged, is lower case and appears in the input (From: the user's own); no draft
    has a Bcc; no header line holds a control character;
(e) no output (nor the stored account error) shows a planted token or a control character;
(f) the good interviews are drafted all the same (unless the per-pass cap held them back).

``INTERVIEW_OUTREACH_GENERATED_EXAMPLES`` sets the number of examples (shared among the
tests, see ``SHARES``); ``bench/generated_input.py`` runs ten thousand and more.
"""

from __future__ import annotations

import contextlib
import email.policy
import email.utils
import io
import itertools
import json
import os
import pickle
import re
import resource
import select
import signal
import socket
import statistics
import struct
import tempfile
import time
import traceback
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, example, given, seed, settings

import interview_outreach.daemon.accounts
import interview_outreach.daemon.cli  # imported before any fork: a child starts with the program loaded
import interview_outreach.daemon.passes
import interview_outreach.daemon.runtime
from interview_outreach.daemon.domain.addresses import InvalidAddress, parse_address
from interview_outreach.daemon.domain.limits import (
    MAX_INSTANCES_PER_SERIES,
    MAX_INTERVIEW_PARTICIPANTS,
)
from interview_outreach.daemon.domain.mime import normalize_message_id
from interview_outreach.daemon.domain.model import THANKYOU_DESPITE, ActionKind, SkipReason
from interview_outreach.daemon.store.repository import Store
from tests import configs
from tests.generated.strategies import (
    GOOD_INTERVIEWS,
    GOOD_OUTREACH,
    MAIL_TIME,
    MAX_NEW_DRAFTS_PER_PASS,
    PASS_TIMES,
    SECRET_TEXTS,
    TIMEZONE,
    USER,
    USER_NAME,
    BodySpec,
    CalendarSpec,
    Case,
    Crowd,
    EventSpec,
    Huge,
    MessageSpec,
    OddFile,
    Person,
    TimezoneSpec,
    calendar_cases,
    flood_cases,
    mailbox_cases,
    mixed_cases,
    own_message_id,
    sent_outreach,
    text,
)

F = TypeVar("F", bound=Callable[..., None])

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="each example runs in a fork")

EXAMPLES = int(os.environ.get("INTERVIEW_OUTREACH_GENERATED_EXAMPLES", "300"))
"""Examples over all the tests of this file (plus the explicit ones)."""
SEED = os.environ.get("INTERVIEW_OUTREACH_GENERATED_SEED")
"""A seed for a new set of examples; without it every run draws the same ones (CI)."""
PASS_SECONDS = float(os.environ.get("INTERVIEW_OUTREACH_GENERATED_PASS_SECONDS", "10"))
"""The most one command may take on a small world; the child is killed at its bound."""
ITEM_SECONDS = 0.1
"""… plus this much per item: a planted message, an invitation, each occurrence a recurring
one may have (``MAX_INSTANCES_PER_SERIES``); a pass costs about 0.05 s per interview."""
MEMORY_BOUND_MIB = int(os.environ.get("INTERVIEW_OUTREACH_GENERATED_MEMORY_MIB", "512"))
"""The most the child's peak resident memory may grow over its start."""
MEMORY_LIMIT_MIB = 3 * 1024
"""The child's address space beyond its start: a bomb fails there, not on the machine."""
RECORD = os.environ.get("INTERVIEW_OUTREACH_GENERATED_RECORD")
"""Bench mode: append one JSON line per example to this file instead of failing."""
EXPLICIT = os.environ.get("INTERVIEW_OUTREACH_GENERATED_EXPLICIT", "1") != "0"
"""Whether the explicit examples (the reported bombs at full size) run too."""
SHARES = {"calendars": 0.4, "mailboxes": 0.3, "mixed": 0.2, "floods": 0.1}
EXPLAINED = 3  # interviews explained per example (the hostile ones first)


def _settings(name: str) -> settings:
    return settings(
        max_examples=max(1, round(EXAMPLES * SHARES[name])),
        deadline=None,
        database=None,
        derandomize=SEED is None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink)
        if EXPLICIT
        else (Phase.generate, Phase.shrink),
        print_blob=False,
    )


def _seeded(test: F) -> F:
    return seed(int(SEED))(test) if SEED is not None else test


# --- the world on disk ---------------------------------------------------------------------


@dataclass
class World:
    """The files of one example and what the checks need to know about them."""

    root: Path
    config: Path
    corpus: list[str] = field(default_factory=list)  # every input file, decoded, lower case
    planted_drafts: dict[str, tuple[int, int]] = field(default_factory=dict)  # name → ino, size
    planted_ids: set[str] = field(default_factory=set)  # own Message-IDs found in the input
    items: int = 0  # invitations and messages planted

    @property
    def bound(self) -> float:
        """The most one command may take on this world, in seconds."""
        return PASS_SECONDS + ITEM_SECONDS * self.items

    @property
    def drafts(self) -> Path:
        """The Maildir++ drafts folder the program writes into."""
        return self.root / "Mail" / ".Drafts"


def build_world(root: Path, case: Case) -> World:
    """The good interviews plus ``case`` written under ``root``, with a config file."""
    calendar, maildir = root / "calendar", root / "Mail"
    calendar.mkdir()
    for folder in (maildir, maildir / ".Sent"):
        _maildir(folder)
    config = root / "config.toml"
    configs.write_config(
        config,
        profile={**configs.PROFILE, "name": USER_NAME, "timezone": TIMEZONE},
        storage=f"sqlite:///{root / 'state.db'}",
        accounts=[configs.local_account("home", USER, calendar, maildir)],
    )
    world = World(root, config)
    for good in GOOD_INTERVIEWS:
        _write(world, calendar / f"{good.uid}.ics", good.render())
    _write(world, maildir / ".Sent" / "cur" / "1764900000.M1P1Q1.sent:2,S", sent_outreach())
    for n, (name, data) in enumerate(case.flood.files() if case.flood else []):
        _write(world, _free(calendar / name, n), data)
    for n, spec in enumerate(case.calendars):
        _write(world, _free(calendar / spec.name, n), spec.render())
    for n, message in enumerate(case.messages):
        folder = maildir / message.folder
        _maildir(folder.parent)
        path = _free(folder / message.name, n)
        _write(world, path, message.render())
        os.utime(path, (MAIL_TIME.timestamp(), MAIL_TIME.timestamp()))
    for odd in case.odd:
        _odd_file(world, odd)
    for path in _files(world.drafts):
        stat = path.lstat()
        world.planted_drafts[path.name] = (stat.st_ino, stat.st_size)
    world.items = _items(case)
    text = "\n".join(world.corpus)
    world.planted_ids = {i for i in _own_ids() if i.lower() in text}
    return world


def _items(case: Case) -> int:
    """How many interviews and messages ``case`` may put before a pass, at most."""
    events = sum(
        MAX_INSTANCES_PER_SERIES
        if e.rrule is not None or any(text(x).startswith("RDATE") for x in e.extra)
        else 1
        for c in case.calendars
        for e in c.events
    )
    return events + (case.flood.count if case.flood else 0) + len(case.messages)


def _maildir(folder: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)


def _free(path: Path, n: int) -> Path:
    """``path``, or a name next to it that is not taken yet."""
    return path if not os.path.lexists(path) else path.with_name(f"{n}-{path.name}")


def _write(world: World, path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    world.corpus.extend(_readings(data))


def _readings(data: bytes) -> list[str]:
    """``data`` decoded every way a reader might, lower case, as written and unfolded."""
    texts = [data.decode("utf-8", "replace"), data.decode("latin-1")]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        texts.append(data.decode("utf-16", "replace"))
    unfolded = [re.sub(r"\r?\n[ \t]|\r[ \t]", "", t) for t in texts]
    return [t.lower() for t in texts + unfolded]


def _odd_file(world: World, odd: OddFile) -> None:
    folder = world.root / odd.folder
    folder.mkdir(parents=True, exist_ok=True)
    if folder.name in ("cur", "new"):
        _maildir(folder.parent)
    path = _free(folder / odd.name, len(list(folder.iterdir())))
    kind = odd.kind
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        with socket.socket(socket.AF_UNIX) as unix:
            try:
                unix.bind(str(path))
            except OSError:  # a path too long for a socket
                os.mkfifo(path)
    elif kind in ("dev_zero", "dev_urandom"):
        path.symlink_to(f"/dev/{kind[4:]}")
    elif kind == "outside":
        outside = world.root / "outside-secrets.txt"
        outside.write_text("\n".join(SECRET_TEXTS), encoding="utf-8")
        world.corpus.extend(_readings(outside.read_bytes()))
        path.symlink_to(outside)
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "dangling":
        path.symlink_to(world.root / "missing")
    elif kind == "link_to_dir":
        path.symlink_to(world.root)
    elif kind == "empty":
        path.touch()
    elif kind == "unreadable":
        _write(
            world,
            path,
            GOOD_OUTREACH.render() if odd.folder.startswith("calendar") else sent_outreach(),
        )
        path.chmod(0)
    else:  # zeros: sparse, so that a large one costs no disk
        with path.open("wb") as file:
            file.truncate(odd.size)


def _files(folder: Path) -> list[Path]:
    """The regular files (not links) of a Maildir folder's cur/ and new/."""
    found = []
    for sub in ("cur", "new"):
        directory = folder / sub
        if directory.is_dir():
            found += [p for p in directory.iterdir() if not p.is_symlink() and p.is_file()]
    return sorted(found)


def _own_ids() -> list[str]:
    return [
        own_message_id(g.uid, kind, recipient)
        for g in GOOD_INTERVIEWS
        for kind, recipient in (
            (ActionKind.OUTREACH, g.organizer[1]),
            *((ActionKind.THANKYOU, r) for r in g.interviewers),
        )
    ]


# --- what the child reports ----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One command the child ran."""

    label: str
    args: tuple[str, ...]
    code: int
    out: str
    err: str
    seconds: float


@dataclass(frozen=True)
class ActionFacts:
    """An action as stored."""

    kind: str
    recipient: str
    state: str
    message_id: str


@dataclass(frozen=True)
class InterviewFacts:
    """A tracked interview as stored."""

    id: str
    uid: str
    is_interview: bool
    skip_reason: str | None
    interviewers: tuple[str, ...]
    actions: tuple[ActionFacts, ...]


@dataclass(frozen=True)
class PassFacts:
    """What one ``once`` left behind: its command, the drafts folder, the database."""

    step: Step
    drafts: dict[str, bytes]  # file name → bytes, the program's files only
    interviews: tuple[InterviewFacts, ...]
    last_errors: tuple[str, ...]


@dataclass
class Outcome:
    """Everything the child did, or how it ended when it did not finish."""

    passes: list[PassFacts] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    fd_output: str = ""
    killed_in: str | None = None  # the stage running when the time bound killed the child
    crashed: str | None = None  # the child's own exception, or how it died
    seconds: float = 0.0  # the whole child
    peak_mib: float = 0.0  # the child's peak resident memory
    growth_mib: float = 0.0  # … above what it started with


def run_child(world: World) -> Outcome:
    """Run the commands in a forked child under the time and memory bounds."""
    before = _rss_mib()
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        code = 0
        try:
            _child(world, write_end)
        except BaseException:
            code = 1
            with contextlib.suppress(BaseException):
                _send(write_end, b"X", traceback.format_exc().encode())
        finally:
            os._exit(code)
    os.close(write_end)
    began = time.monotonic()
    try:
        outcome, start_mib = _watch(pid, read_end, world.bound)
    except BaseException:  # interrupted: leave no child behind
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    _, status, usage = os.wait4(pid, 0)
    outcome.seconds = time.monotonic() - began
    outcome.peak_mib = usage.ru_maxrss / 1024
    outcome.growth_mib = max(0.0, outcome.peak_mib - (start_mib or before))
    if outcome.killed_in is None and outcome.crashed is None and not outcome.steps:
        outcome.crashed = f"the child ended with status {status} and no report"
    return outcome


def _watch(pid: int, read_end: int, bound: float) -> tuple[Outcome, float | None]:
    """Read the child's reports until it is done; kill it when a stage outlasts ``bound``.

    Returns what it reported and its resident memory at its start (if it said).
    """
    outcome = Outcome()
    stage, stage_began, buffer = "start", time.monotonic(), b""
    start_mib = None
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while True:
            left = stage_began + bound - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                outcome.killed_in = stage
                return outcome, start_mib
            ready, _, _ = select.select([pipe], [], [], left)
            if not ready:
                continue
            chunk = pipe.read(1 << 20)
            if not chunk:
                return outcome, start_mib
            buffer += chunk
            while len(buffer) >= 9:
                size = struct.unpack(">Q", buffer[1:9])[0]
                if len(buffer) < 9 + size:
                    break
                kind, payload, buffer = buffer[:1], buffer[9 : 9 + size], buffer[9 + size :]
                if kind == b"S":
                    stage, stage_began = payload.decode(), time.monotonic()
                elif kind == b"B":
                    start_mib = float(payload.decode())
                elif kind == b"R":
                    done: Outcome = pickle.loads(payload)
                    outcome.passes, outcome.steps = done.passes, done.steps
                    outcome.fd_output = done.fd_output
                elif kind == b"X":
                    outcome.crashed = payload.decode(errors="replace")


def _send(fd: int, kind: bytes, payload: bytes) -> None:
    data = kind + struct.pack(">Q", len(payload)) + payload
    while data:
        data = data[os.write(fd, data) :]


def _rss_mib() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(world: World, pipe: int) -> None:  # pragma: no cover - runs in the child
    """The commands, as a user's shell would run them; reports to ``pipe``."""
    # As the installed command runs: Python's default warning filters, not pytest's.
    warnings.resetwarnings()
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", category)
    vm = 0
    with contextlib.suppress(OSError):
        size = re.search(r"VmSize:\s+(\d+)", Path("/proc/self/status").read_text())
        vm = int(size[1]) * 1024 if size else 0
    if vm:
        limit = vm + MEMORY_LIMIT_MIB * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    with contextlib.suppress(OSError):  # restart the high-water mark at the present size
        Path("/proc/self/clear_refs").write_text("5")
    _send(pipe, b"B", str(_rss_mib()).encode())
    capture = world.root / "fd-output"
    with capture.open("wb") as sink:  # what C code writes to fd 1 and 2
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
    outcome = Outcome()
    for n, at in enumerate(PASS_TIMES):
        step = _run(pipe, world, f"once #{n + 1} at {at:%a %H:%M}", ["once"], at)
        outcome.steps.append(step)
        _send(pipe, b"S", f"reading what once #{n + 1} left".encode())
        outcome.passes.append(_pass_facts(world, step))
    at = PASS_TIMES[-1]
    for args in (["status"], ["status", "--json"], ["accounts"]):
        outcome.steps.append(_run(pipe, world, " ".join(args), args, at))
    interviews = outcome.passes[-1].interviews
    ordered = sorted(interviews, key=lambda i: i.uid in {g.uid for g in GOOD_INTERVIEWS})
    for item in ordered[:EXPLAINED]:
        outcome.steps.append(_run(pipe, world, f"explain {item.id}", ["explain", item.id], at))
    outcome.fd_output = capture.read_bytes().decode("utf-8", "replace")
    _send(pipe, b"R", pickle.dumps(outcome))


def _run(
    pipe: int, world: World, label: str, args: list[str], at: datetime
) -> Step:  # pragma: no cover - runs in the child
    _send(pipe, b"S", label.encode())
    out, err = io.StringIO(), io.StringIO()
    began = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = interview_outreach.daemon.cli.main(
            ["--config", str(world.config), *args], clock=lambda: at
        )
    return Step(label, tuple(args), code, out.getvalue(), err.getvalue(), time.monotonic() - began)


def _pass_facts(world: World, step: Step) -> PassFacts:  # pragma: no cover - in the child
    drafts = {}
    for path in _files(world.drafts):
        stat = path.lstat()
        if world.planted_drafts.get(path.name) == (stat.st_ino, stat.st_size):
            continue  # planted by the test, untouched by the program
        drafts[path.name] = path.read_bytes()
    with Store(f"sqlite:///{world.root / 'state.db'}") as store:
        interviews = tuple(
            InterviewFacts(
                id=t.interview.id,
                uid=t.interview.event.uid,
                is_interview=t.interview.detection.is_interview,
                skip_reason=t.interview.skip_reason.value if t.interview.skip_reason else None,
                interviewers=tuple(p.email for p in t.interview.interviewers),
                actions=tuple(
                    ActionFacts(a.kind.value, a.recipient, a.state.value, a.message_id or "")
                    for a in t.actions
                ),
            )
            for t in store.interviews()
        )
        errors = tuple(s.last_error for s in store.account_states() if s.last_error)
    return PassFacts(step, drafts, interviews, errors)


# --- the properties --------------------------------------------------------------------------

GROUPS = ("never raises", "bounded", "capped", "headers", "no tokens", "still drafts")


@dataclass(frozen=True)
class Violation:
    """One broken property: its group (see GROUPS), a short symptom and the detail."""

    group: str
    symptom: str
    detail: str

    def __str__(self) -> str:
        detail = self.detail if len(self.detail) <= 400 else self.detail[:397] + "..."
        return f"[{self.group}] {self.symptom}: {detail}"

    @property
    def signature(self) -> str:
        """The symptom with what tells one cause from another (the exception, the reason,
        the command), without what differs between examples (paths, ids, addresses)."""
        detail = re.sub(r"<[^<>\s]*>|'[^']*'|\S+@\S+|/\S+|[0-9a-f]{10}", "…", self.detail)
        if self.symptom == "unexpected error":
            cause = re.search(r"skipped this pass \((\w+)", self.detail)
            return f"{self.symptom} ({cause[1] if cause else '?'})"
        if self.symptom == "account failed":
            return f"{self.symptom}: {detail.partition('failed: ')[2][:60]}"
        command = re.match(r"`(\w+)", self.detail)
        where = f" in {command[1]}" if command else ""
        if self.symptom in ("token printed", "control character printed", "timeout", "slow"):
            json_output = " --json" if "status --json" in self.detail[:20] else ""
            return f"{self.symptom}{where}{json_output}"
        return self.symptom


TOKEN = re.compile(
    r"ya29\.[\w.-]*SECRET|1//0[\w.-]*SECRET|4/0SECRET"
    r"|eyJ[\w-]*\.[\w-]*\.[\w-]*SECRET|Bearer\s+[\w.~+/=-]*SECRET"
    r"|(?i:access_token|refresh_token|id_token|client_secret|code)[\"']?\s*[:=]\s*[\"']?[\w./-]*SECRET"
    r"|://[^\s:/@]*:SECRET"
)
"""A planted token as it was written (the value still whole, marked by SECRET)."""
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
"""What a terminal or a mail client may act on: C0 (but tab and line feed), DEL, C1."""
ADDRESS_HEADERS = ("From", "To", "Cc", "Reply-To", "Sender")


def check(world: World, outcome: Outcome) -> list[Violation]:
    """Every property the outcome breaks (an empty list when it breaks none)."""
    found: list[Violation] = []
    if outcome.killed_in is not None:
        found.append(
            Violation(
                "bounded",
                "timeout",
                f"`{outcome.killed_in}` took longer than {world.bound:g} s (killed)",
            )
        )
    if outcome.crashed is not None:
        found.append(Violation("never raises", "child crashed", outcome.crashed))
    if outcome.growth_mib > MEMORY_BOUND_MIB:
        found.append(
            Violation(
                "bounded",
                "memory",
                f"peak resident memory grew by {outcome.growth_mib:.0f} MiB (bound {MEMORY_BOUND_MIB} MiB)",
            )
        )
    for step in outcome.steps:
        found += _step_violations(step, world.bound)
    found += _output_violations(outcome)
    previous: dict[str, bytes] = {}
    for n, facts in enumerate(outcome.passes):
        found += _pass_violations(world, facts, previous, n)
        previous = facts.drafts
    return found


def _step_violations(step: Step, bound: float) -> list[Violation]:
    found = []
    allowed = (0, 1) if step.args == ("once",) else (0,)
    if step.code not in allowed:
        found.append(
            Violation(
                "never raises", f"exit code {step.code}", f"`{step.label}`: {_first_line(step.err)}"
            )
        )
    for needle in ("internal error", "Traceback"):
        if needle in step.err or needle in step.out:
            found.append(
                Violation(
                    "never raises",
                    needle,
                    f"`{step.label}`: {_line_with(step.err + step.out, needle)}",
                )
            )
    if step.args == ("once",):
        if re.search(r"^home: failed", step.err, re.MULTILINE):
            found.append(
                Violation(
                    "never raises",
                    "account failed",
                    f"`{step.label}`: {_line_with(step.err, 'home: failed')}",
                )
            )
        if "unexpected error" in step.err:
            found.append(
                Violation(
                    "never raises",
                    "unexpected error",
                    f"`{step.label}`: {_line_with(step.err, 'unexpected error')}",
                )
            )
    if step.seconds > bound:
        found.append(Violation("bounded", "slow", f"`{step.label}` took {step.seconds:.1f} s"))
    return found


def _output_violations(outcome: Outcome) -> list[Violation]:
    found = []
    outputs = [(s.label, s.out + s.err) for s in outcome.steps]
    outputs.append(("output of C code", outcome.fd_output))
    for label, output in outputs:
        token = TOKEN.search(output)
        if token:
            found.append(
                Violation(
                    "no tokens", "token printed", f"`{label}`: {_around(output, token.start())}"
                )
            )
        control = CONTROL.search(output)
        if control:
            found.append(
                Violation(
                    "no tokens",
                    "control character printed",
                    f"`{label}`: {_around(output, control.start())}",
                )
            )
    for facts in outcome.passes:
        for error in facts.last_errors:
            if TOKEN.search(error) or CONTROL.search(error):
                found.append(
                    Violation(
                        "no tokens", "token or control character stored", f"last_error: {error!r}"
                    )
                )
    return found


def _pass_violations(
    world: World, facts: PassFacts, previous: dict[str, bytes], n: int
) -> list[Violation]:
    found = []
    label = facts.step.label
    new = [name for name in facts.drafts if name not in previous]
    created = re.search(r"drafts: (\d+) created", facts.step.out)
    made = int(created[1]) if created else 0
    if len(new) > MAX_NEW_DRAFTS_PER_PASS or made > MAX_NEW_DRAFTS_PER_PASS:
        found.append(
            Violation(
                "capped",
                "more drafts than the cap",
                f"`{label}` made {len(new)} new draft files ({made} reported); the cap is {MAX_NEW_DRAFTS_PER_PASS}",
            )
        )
    by_id = {
        normalize_message_id(a.message_id): (i, a)
        for i in facts.interviews
        for a in i.actions
        if a.message_id
    }
    for name, raw in facts.drafts.items():
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found += _header_violations(world, name, raw, message)
        if name not in new:
            continue
        message_id = normalize_message_id(str(message.get("Message-ID", "")))
        owner = by_id.get(message_id)
        if owner is None:
            found.append(
                Violation(
                    "capped",
                    "draft of no tracked action",
                    f"`{label}` wrote {message_id or name!r}",
                )
            )
            continue
        interview, action = owner
        found += _owner_violations(label, message, interview, action)
    found += _liveness(world, facts, n)
    return found


def _owner_violations(
    label: str, message: EmailMessage, interview: InterviewFacts, action: ActionFacts
) -> list[Violation]:
    found = []
    where = f"`{label}`, interview {interview.uid!r} ({interview.id}), {action.kind}"
    skip = interview.skip_reason
    allowed = skip is None or (
        action.kind == ActionKind.THANKYOU.value and SkipReason(skip) in THANKYOU_DESPITE
    )
    if not interview.is_interview or not allowed:
        found.append(
            Violation(
                "capped",
                "draft for no valid interview",
                f"{where}: is_interview={interview.is_interview}, skip_reason={skip}",
            )
        )
    if len(interview.interviewers) > MAX_INTERVIEW_PARTICIPANTS:
        found.append(
            Violation(
                "capped",
                "draft for a crowd",
                f"{where}: {len(interview.interviewers)} interviewers",
            )
        )
    to = [a.addr_spec for h in message.get_all("To", []) for a in getattr(h, "addresses", ())]
    if action.kind == ActionKind.THANKYOU.value and to != [action.recipient]:
        found.append(
            Violation(
                "capped",
                "thank-you to someone else",
                f"{where}: To {to}, recipient {action.recipient!r}",
            )
        )
    if not to or any(a.lower() not in interview.interviewers for a in to):
        found.append(
            Violation(
                "capped",
                "draft to no interviewer",
                f"{where}: To {to}, interviewers {list(interview.interviewers)[:5]}",
            )
        )
    return found


def _header_violations(
    world: World, name: str, raw: bytes, message: EmailMessage
) -> list[Violation]:
    found = []
    where = f"draft {name}"
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    for line in re.split(rb"\r?\n(?![ \t])", head):
        shown = line.decode("utf-8", "replace")
        if CONTROL.search(shown.replace("\r\n", "").replace("\n", "")):
            found.append(
                Violation("headers", "control character in a header", f"{where}: {shown!r:.300}")
            )
    for header, value in message.items():
        if CONTROL.search(str(value)):
            found.append(
                Violation(
                    "headers",
                    "control character in a decoded header",
                    f"{where}: {header}: {str(value)!r:.300}",
                )
            )
    if "Bcc" in message:
        found.append(Violation("headers", "Bcc", f"{where}: Bcc: {message['Bcc']!r}"))
    for header in ("From", "To"):
        if len(message.get_all(header, [])) != 1:
            found.append(
                Violation(
                    "headers", f"not one {header}", f"{where}: {message.get_all(header, [])!r:.300}"
                )
            )
    corpus = world.corpus
    for header in ADDRESS_HEADERS:
        values = message.get_all(header, [])
        parsed = [a.addr_spec for v in values for a in getattr(v, "addresses", ())]
        plain = [a for _, a in email.utils.getaddresses([str(v) for v in values])]
        shown = f"{where}: {header}: {[str(v) for v in values]!r:.300}"
        if parsed != plain:
            found.append(
                Violation(
                    "headers", "ambiguous address header", f"{shown} reads as {parsed} or {plain}"
                )
            )
        defects = sorted({type(d).__name__ for v in values for d in v.defects})
        if defects:
            found.append(
                Violation("headers", "malformed address header", f"{shown}: {', '.join(defects)}")
            )
        for address in parsed:
            problem = _address_problem(address, header, corpus)
            if problem:
                found.append(
                    Violation(
                        "headers",
                        "unvalidated address",
                        f"{where}: {header}: {address!r}: {problem}",
                    )
                )
    return found


def _unicode_form(address: str) -> str:
    """``address`` with an ``xn--`` domain as it was written in the input (IDNA)."""
    local, _, domain = address.partition("@")
    try:
        return f"{local}@{domain.encode('ascii').decode('idna')}"
    except UnicodeError:
        return address


def _address_problem(address: str, header: str, corpus: list[str]) -> str | None:
    try:
        checked = parse_address(address)
    except InvalidAddress as error:
        return f"parse_address rejects it ({error})"
    if checked != address or address != address.lower():
        return f"parse_address makes it {checked!r}"
    if header == "From":
        return None if address == USER else "not the user's address"
    form = _unicode_form(address)
    # IDNA maps a domain through NFKC first (a combining accent, a full-width letter).
    if not any(
        address in text or form in text or form in unicodedata.normalize("NFKC", text)
        for text in corpus
    ):
        return "appears nowhere in the input"
    return None


def _liveness(world: World, facts: PassFacts, n: int) -> list[Violation]:
    """The good interview's due drafts are made, unless the cap or a planted copy explains it."""
    if "max_new_drafts_per_pass" in facts.step.err:
        return []
    due = (
        [(ActionKind.OUTREACH, GOOD_OUTREACH.organizer[1])]
        if n == 0
        else [(ActionKind.THANKYOU, r) for r in GOOD_OUTREACH.interviewers]
    )
    written = {
        normalize_message_id(str(email.message_from_bytes(raw).get("Message-ID", "")))
        for raw in facts.drafts.values()
    }
    found = []
    for kind, recipient in due:
        wanted = own_message_id(GOOD_OUTREACH.uid, kind, recipient)
        if wanted in world.planted_ids or wanted.lower() in world.planted_ids:
            continue
        if wanted not in written:
            found.append(
                Violation(
                    "still drafts",
                    "good interview not drafted",
                    f"`{facts.step.label}`: no {kind.value} draft to {recipient}; {_why(facts.step)}",
                )
            )
    return found


def _why(step: Step) -> str:
    """The lines of a pass's output that may say why something was not drafted."""
    lines = [line for line in step.err.splitlines() if "failed" in line or "unexpected" in line]
    return " | ".join(lines[:2] or [step.out.strip()])


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _line_with(text: str, needle: str) -> str:
    return next((line for line in text.splitlines() if needle in line), needle)


def _around(text: str, at: int) -> str:
    return repr(text[max(0, at - 60) : at + 60])


# --- running one example ---------------------------------------------------------------------


def _scratch() -> str | None:
    """A memory-backed folder with room to spare (SQLite's and the Maildir's fsyncs cost
    nothing there), else the default temporary folder."""
    with contextlib.suppress(OSError):
        room = os.statvfs("/dev/shm")
        if os.access("/dev/shm", os.W_OK) and room.f_bavail * room.f_frsize >= 1 << 30:
            return "/dev/shm"
    return None


_SCRATCH = _scratch()


class PropertyViolation(AssertionError):
    """A generated example broke a property. Each signature (see ``Violation.signature``)
    raises a subclass of its own, so that hypothesis shrinks and reports each on its own."""


_VIOLATIONS: dict[str, type[PropertyViolation]] = {}


def _violation_class(signature: str) -> type[PropertyViolation]:
    if signature not in _VIOLATIONS:
        name = "Violation_" + re.sub(r"\W+", "_", signature).strip("_")[:60]
        _VIOLATIONS[signature] = type(name, (PropertyViolation,), {})
    return _VIOLATIONS[signature]


def run_case(name: str, case: Case) -> None:
    """Build a world for ``case``, run it, check every property; raise or record."""
    with tempfile.TemporaryDirectory(
        prefix="io-generated-", dir=_SCRATCH, ignore_cleanup_errors=True
    ) as tmp:
        world = build_world(Path(tmp), case)
        outcome = run_child(world)
        violations = check(world, outcome)
    if RECORD:
        _record(name, case, outcome, violations)
        return
    if violations:
        first = min(violations, key=lambda v: GROUPS.index(v.group))
        raise _violation_class(first.signature)("\n".join(str(v) for v in violations))


def _hostile_drafts(outcome: Outcome) -> int:
    """Drafts the program made for interviews other than the good ones."""
    good = {g.uid for g in GOOD_INTERVIEWS}
    hostile = set()
    for facts in outcome.passes:
        ids = {
            normalize_message_id(a.message_id)
            for i in facts.interviews
            if i.uid not in good
            for a in i.actions
            if a.message_id
        }
        for raw in facts.drafts.values():
            found = normalize_message_id(str(email.message_from_bytes(raw).get("Message-ID", "")))
            if found in ids:
                hostile.add(found)
    return len(hostile)


def _record(name: str, case: Case, outcome: Outcome, violations: list[Violation]) -> None:
    passes = [s.seconds for s in outcome.steps if s.args == ("once",)]
    line = {
        "property": name,
        "seconds": round(outcome.seconds, 3),
        "pass_seconds": round(max(passes, default=0.0), 3),
        "median_pass_seconds": round(statistics.median(passes), 3) if passes else None,
        "peak_mib": round(outcome.peak_mib, 1),
        "growth_mib": round(outcome.growth_mib, 1),
        "drafts": sum(len(set(p.drafts)) for p in outcome.passes[:1])
        + sum(len(set(b.drafts) - set(a.drafts)) for a, b in itertools.pairwise(outcome.passes)),
        "hostile_drafts": _hostile_drafts(outcome),
        "violations": [
            {"group": v.group, "symptom": v.symptom, "signature": v.signature, "detail": str(v)}
            for v in violations
        ],
        "case": repr(case)[:500_000] if violations else None,
    }
    with Path(RECORD or "").open("a", encoding="utf-8") as file:
        file.write(json.dumps(line) + "\n")


# --- explicit examples: the reported bombs, at full size ------------------------------------


def _interview(uid: str, **changes: Any) -> EventSpec:
    base: dict[str, Any] = {
        "uid": uid,
        "summary": "Northwind – Technical interview (Data Engineer)",
        "description": "Interview for the Data Engineer position at Northwind.",
        "location": "https://meet.google.com/abc-defg-hij",
        "dtstart": ":20261210T140000Z",
        "dtend": "DTEND:20261210T150000Z",
        "organizer": Person("jane.doe@northwind.com", "Jane Doe"),
    }
    base.update(changes)
    return EventSpec(**base)


def _one(name: str, *events: EventSpec, **changes: Any) -> Case:
    return Case(calendars=(CalendarSpec(name, events, **changes),))


def _message(**changes: Any) -> MessageSpec:
    base: dict[str, Any] = {
        "folder": "cur",
        "name": "1765000000.M1P7Q7.big:2,S",
        "headers": (
            ("From", "Lee Chen <lee.chen@globex.com>"),
            ("To", f"{USER_NAME} <{USER}>"),
            ("Subject", "Re: Looking forward to our conversation"),
            ("Date", "Mon, 07 Dec 2026 08:00:00 +0000"),
            ("Message-ID", "<big@globex.com>"),
            (
                "In-Reply-To",
                own_message_id("good-sent", ActionKind.OUTREACH, "lee.chen@globex.com"),
            ),
        ),
    }
    base.update(changes)
    return MessageSpec(**base)


def _with_header(name: str, value: Any) -> tuple[tuple[str, Any], ...]:
    headers = _message().headers
    return tuple((n, value if n == name else v) for n, v in headers)


OUTLOOK = '"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"'
CALENDAR_BOMBS = (
    _one("crowd.ics", _interview("crowd", crowd=5_000)),
    _one(
        "huge-text.ics",
        _interview("huge", summary=Huge("Interview ", 100_000), description=Huge("x", 1_000_000)),
    ),
    _one("secondly.ics", _interview("secondly", rrule="FREQ=SECONDLY")),
    _one(
        "secondly-count.ics",
        _interview(
            "secondly-count",
            rrule="FREQ=SECONDLY;COUNT=1000000000;BYSECOND=" + ",".join(map(str, range(60))),
        ),
    ),
    _one(
        "vtimezone.ics",
        _interview(
            "vtz", dtstart=";TZID=Bomb:20261210T150000", dtend="DTEND;TZID=Bomb:20261210T160000"
        ),
        timezones=(TimezoneSpec("Bomb", dtstart="16010101T000000", rrule="FREQ=SECONDLY"),),
    ),
    _one(
        "year-one.ics",
        _interview(
            "year-one", dtstart=":00010101T000000Z", rrule="FREQ=DAILY;UNTIL=99991231T235959Z"
        ),
    ),
    _one(
        "outlook-tzid.ics",
        _interview(
            "outlook",
            dtstart=f";TZID={OUTLOOK}:20261210T150000",
            dtend=f"DTEND;TZID={OUTLOOK}:20261210T160000",
        ),
    ),
    _one(
        "injected.ics",
        _interview(
            "injected",
            organizer=Person(
                "jane@northwind.com\r\n Bcc: attacker@evil.com", "Jane\\nBcc: attacker@evil.com"
            ),
            attendees=(
                Person("raj@northwind.com?bcc=attacker@evil.com"),
                Person("raj.patel@northwind.com", "\x1b[2JRaj"),
            ),
            summary="Interview \x1b]0;pwned\x07 Authorization: Bearer ya29.SECRETa0b1c2d3e4f5",
        ),
    ),
    Case(
        odd=tuple(
            OddFile(kind, "calendar", f"odd-{kind}.ics", 1 << 28)
            for kind in ("fifo", "dev_zero", "outside", "loop", "directory", "zeros")
        )
    ),
    # Found by generation: each a cause of its own.
    _one("separator.ics", _interview("separator", organizer=Person("ja\x1cne.doe@northwind.com"))),
    _one("idn.ics", _interview("idn", organizer=Person("john@bücher.de", "John"))),
    _one("c1.ics", _interview("c1", summary="Interview \x9b31m (Data Engineer)")),
)
MAILBOX_BOMBS = (
    Case(messages=(_message(headers=_with_header("To", Crowd(200_000))),)),
    Case(messages=(_message(headers=_with_header("Subject", Huge("Re: hello ", 100_000))),)),
    Case(messages=(_message(body=BodySpec("nested", 1_000)),)),
    Case(
        messages=(
            _message(
                headers=_with_header("From", "=?x-unknown?B?SmFuZQ==?= <lee.chen@globex.com>"),
                body=BodySpec("base64"),
            ),
        )
    ),
    Case(
        odd=tuple(
            OddFile(kind, folder, f"odd-{kind}:2,S")
            for kind in ("fifo", "dev_zero", "outside", "loop", "directory", "socket")
            for folder in ("Mail/cur", "Mail/new")
        )
    ),
)


# --- the tests -------------------------------------------------------------------------------


def _examples(cases: tuple[Case, ...]) -> Callable[[F], F]:
    def decorate(test: F) -> F:
        for case in reversed(cases):
            test = example(case=case)(test)
        return test

    return decorate


@_seeded
@_settings("calendars")
@_examples(CALENDAR_BOMBS)
@given(case=calendar_cases())
def test_hostile_calendars_never_stop_flood_or_mislead_a_pass(case: Case) -> None:
    """Malformed, truncated, non-UTF-8, huge or injected invitations, odd files in the vdir."""
    run_case("calendars", case)


@_seeded
@_settings("mailboxes")
@_examples(MAILBOX_BOMBS)
@given(case=mailbox_cases())
def test_hostile_mailboxes_never_stop_flood_or_mislead_a_pass(case: Case) -> None:
    """Malformed MIME, huge headers, odd encodings and dates, odd files in the Maildir."""
    run_case("mailboxes", case)


@_seeded
@_settings("mixed")
@given(case=mixed_cases())
def test_hostile_calendars_and_mailboxes_together(case: Case) -> None:
    """Hostile invitations and hostile messages in one world."""
    run_case("mixed", case)


@_seeded
@_settings("floods")
@given(case=flood_cases())
def test_a_flood_of_interviews_never_makes_more_drafts_than_the_cap(case: Case) -> None:
    """More due interviews than one pass may draft for: each pass stays under the cap."""
    run_case("floods", case)
