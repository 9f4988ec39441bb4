"""How many requests, how much time and memory one pass costs, per provider.

Not a test: a measurement. It runs real passes (the product's own code, the real client
libraries) against the loopback fake servers of the test suite and prints, per pass,
the requests by endpoint, the wall time and the peak Python memory.

    .venv/bin/python bench/requests_per_pass.py [--provider google|microsoft|both] [--interviews N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httplib2
import keyring
import msal

from interview_outreach.daemon.accounts import open_accounts
from interview_outreach.daemon.config import load_config
from interview_outreach.daemon.passes import run_pass
from interview_outreach.daemon.secrets import TokenStore
from interview_outreach.daemon.store.repository import Store
from interview_outreach.providers.google.auth import save_credentials
from interview_outreach.providers.microsoft import connection as microsoft
from tests.fakes.clock import Clock
from tests.fakes.google import FakeGoogle
from tests.fakes.keyring_memory import MemoryKeyring
from tests.fakes.microsoft import FakeMicrosoft

USER = "ada.lovelace@gmail.com"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=20, help="interviews in the calendar")
    parser.add_argument("--noise", type=int, default=200, help="other events in the calendar")
    parser.add_argument("--provider", choices=("google", "microsoft", "both"), default="both")
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    if args.provider in {"google", "both"}:
        bench_google(args.interviews, args.noise)
    if args.provider in {"microsoft", "both"}:
        bench_microsoft(args.interviews, args.noise)
    return 0


def bench_google(interviews: int, noise: int) -> None:
    clock = Clock(NOW)
    with tempfile.TemporaryDirectory() as folder, FakeGoogle(user_email=USER, clock=clock) as fake:
        root = Path(folder)
        os.environ.update(fake.env())
        httplib2.CA_CERTS = fake.ca_path
        secrets = fake.client_secrets(root / "client.json")
        config_path = write_config(
            root,
            f'provider = "google"\nclient_secrets = "{secrets}"\napi_endpoint = "{fake.root}"\n',
        )
        for index in range(interviews + noise):
            fake.put_event("primary", google_event(index, index < interviews))
        config = load_config(config_path, os.environ)
        save_credentials(config.accounts[0], TokenStore(), fake.credentials(), USER)  # type: ignore[arg-type]
        print(f"\nGoogle: {interviews} interviews among {interviews + noise} events")
        run_steps(config, clock, lambda: fake.requests, fake.clear_log, lambda: touch_google(fake))


def bench_microsoft(interviews: int, noise: int) -> None:
    clock = Clock(NOW)
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeMicrosoft(user_email=USER, clock=clock) as fake,
    ):
        root = Path(folder)
        os.environ.update(fake.env())
        config_path = write_config(
            root,
            f'provider = "microsoft"\nclient_id = "{fake.client_id}"\n'
            f'authority = "{fake.authority}"\ngraph_endpoint = "{fake.graph_endpoint}"\n',
        )
        for index in range(interviews + noise):
            fake.put_event(graph_event(index, index < interviews))
        config = load_config(config_path, os.environ)
        sign_in_microsoft(config.accounts[0], fake)
        print(f"\nMicrosoft: {interviews} interviews among {interviews + noise} events")
        run_steps(
            config, clock, lambda: fake.requests, fake.clear_log, lambda: touch_microsoft(fake)
        )


def sign_in_microsoft(account: object, fake: FakeMicrosoft) -> None:
    """The device code flow, the fake user entering the code at once."""
    original = msal.PublicClientApplication.initiate_device_flow

    def initiate(
        self: msal.PublicClientApplication, *args: object, **kwargs: object
    ) -> dict[str, str]:
        flow: dict[str, str] = original(self, *args, **kwargs)
        fake.complete_device_flow(flow["user_code"])
        return flow

    msal.PublicClientApplication.initiate_device_flow = initiate  # type: ignore[method-assign]
    try:
        microsoft.authorize(account, TokenStore(), browser=False, say=lambda _: None)  # type: ignore[arg-type]
    finally:
        msal.PublicClientApplication.initiate_device_flow = original  # type: ignore[method-assign]


def run_steps(
    config: object,
    clock: Clock,
    log: Callable[[], Sequence[object]],
    clear: Callable[[], None],
    touch: Callable[[], None],
) -> None:
    print(f"{'pass':<34}{'requests':>9}{'seconds':>9}{'peak MiB':>10}  by endpoint")
    steps: list[tuple[str, Callable[[], None]]] = [
        ("1 first pass (full sync, drafts)", lambda: None),
        ("2 next pass (sees its own drafts)", lambda: clock.advance(timedelta(minutes=5))),
        ("3 nothing new", lambda: clock.advance(timedelta(minutes=5))),
        ("4 nothing new, an hour later", lambda: clock.advance(timedelta(hours=1))),
        ("5 one event changed", touch),
    ]
    with Store(config.storage.url) as store:  # type: ignore[attr-defined]
        for label, before in steps:
            before()
            clear()
            measure(label, log, lambda: one_pass(config, store, clock))


def one_pass(config: object, store: Store, clock: Clock) -> None:
    opened = open_accounts(config)  # type: ignore[arg-type]
    try:
        report = run_pass(config, store, opened.accounts, clock(), opened.unavailable)  # type: ignore[arg-type]
    finally:
        opened.close()
    if report.failed:
        raise SystemExit(f"pass failed: {[a.error for a in report.accounts]}")


def measure(label: str, log: Callable[[], Sequence[object]], action: Callable[[], None]) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    requests = log()
    groups = Counter(endpoint(r.method, r.path) for r in requests)  # type: ignore[attr-defined]
    detail = ", ".join(f"{name} {count}" for name, count in sorted(groups.items()))
    print(f"{label:<34}{len(requests):>9}{elapsed:>9.2f}{peak / 2**20:>10.1f}  {detail}")


def endpoint(method: str, path: str) -> str:
    parts = [p for p in path.strip("/").split("/") if p]
    if ".well-known" in parts:
        return "msal.discovery (once per process)"
    if parts[:2] == ["v1.0", "me"] and len(parts) > 2:
        name = parts[2].split("(")[0]
        return f"graph.{name}{'.delta' if parts[-1] == 'delta' else ''}.{method}"
    if parts[:1] == ["calendars"]:
        return "calendar.events"
    if parts[:4] == ["gmail", "v1", "users", "me"] and len(parts) > 4:
        return f"gmail.{parts[4]}.{method}"
    return f"{method} {'/'.join(parts[:2])}"


def write_config(root: Path, account: str) -> Path:
    path = root / "config.toml"
    path.write_text(
        f'[profile]\nname = "Ada Lovelace"\ntimezone = "Europe/London"\n'
        f'[storage]\nurl = "sqlite:///{root / "state.db"}"\n'
        f'[[accounts]]\nname = "bench"\n{account}'
    )
    return path


def slot(index: int) -> tuple[datetime, str]:
    return NOW + timedelta(days=1 + index % 20, hours=index % 7), f"company{index}.com"


def google_event(index: int, is_interview: bool) -> dict[str, object]:
    start, company = slot(index)
    return {
        "id": f"e{index}",
        "iCalUID": f"e{index}@bench",
        "status": "confirmed",
        "summary": f"Technical interview – Engineer {index}" if is_interview else f"Sync {index}",
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        "organizer": {
            "email": f"lead@{company}" if is_interview else USER,
            "self": not is_interview,
        },
        "attendees": [
            {"email": f"lead@{company}", "displayName": "Lee Lead", "responseStatus": "accepted"},
            {"email": USER, "self": True, "responseStatus": "accepted"},
        ],
    }


def graph_event(index: int, is_interview: bool) -> dict[str, object]:
    start, company = slot(index)
    stamp = "%Y-%m-%dT%H:%M:%S.0000000"
    return {
        "id": f"e{index}",
        "iCalUId": f"e{index}@bench",
        "subject": f"Technical interview – Engineer {index}" if is_interview else f"Sync {index}",
        "start": {"dateTime": start.strftime(stamp), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(hours=1)).strftime(stamp), "timeZone": "UTC"},
        "isOrganizer": not is_interview,
        "responseStatus": {"response": "accepted"},
        "organizer": {"emailAddress": {"name": "Lee Lead", "address": f"lead@{company}"}},
        "attendees": [
            {"type": "required", "status": {"response": "accepted"},
             "emailAddress": {"name": "Lee Lead", "address": f"lead@{company}"}},
        ],
    }  # fmt: skip


def touch_google(fake: FakeGoogle) -> None:
    event = fake.events("primary")[0]
    event["summary"] = str(event.get("summary", "")) + " (moved)"
    fake.put_event("primary", event)


def touch_microsoft(fake: FakeMicrosoft) -> None:
    event = fake.events()[0]
    fake.put_event({**event, "subject": str(event.get("subject", "")) + " (moved)"})


if __name__ == "__main__":
    raise SystemExit(main())
