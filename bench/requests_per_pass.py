"""How many requests, how much time and memory one pass costs, per provider.

Not a test: a measurement. It runs real passes (the product's own code, the real client
libraries) against the loopback fake servers of the test suite and prints, per pass,
the requests by endpoint, the wall time and the peak Python memory.

    .venv/bin/python bench/requests_per_pass.py [--interviews N] [--noise N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httplib2
import keyring

from daemon.accounts import open_accounts
from daemon.config import load_config
from daemon.secrets import TokenStore
from daemon.service import run_pass
from daemon.store.repository import Store
from providers.google.auth import save_credentials
from tests.fakes.google import FakeGoogle
from tests.fakes.keyring_memory import MemoryKeyring

USER = "ada.lovelace@gmail.com"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=20, help="interviews in the calendar")
    parser.add_argument("--noise", type=int, default=200, help="other events in the calendar")
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    clock = Clock(NOW)
    with tempfile.TemporaryDirectory() as folder, FakeGoogle(user_email=USER, clock=clock) as fake:
        root = Path(folder)
        import os  # noqa: PLC0415

        os.environ.update(fake.env())
        httplib2.CA_CERTS = fake.ca_path
        config_path = write_config(root, fake)
        seed_calendar(fake, args.interviews, args.noise)
        config = load_config(config_path, os.environ)
        account = config.accounts[0]
        credentials = fake.credentials()
        save_credentials(account, TokenStore(), credentials, USER)  # type: ignore[arg-type]
        print(f"Google: {args.interviews} interviews among {args.interviews + args.noise} events")
        print(f"{'pass':<34}{'requests':>9}{'seconds':>9}{'peak MiB':>10}  by endpoint")
        with Store(config.storage.url) as store:
            steps: list[tuple[str, Callable[[], None]]] = [
                ("1 first pass (full sync, drafts)", lambda: None),
                ("2 next pass (sees its own drafts)", lambda: None),
                ("3 nothing new", lambda: None),
                ("4 nothing new, an hour later", lambda: clock.advance(timedelta(hours=1))),
                ("5 one event changed", lambda: touch_one(fake)),
            ]
            for label, before in steps:
                before()
                measure(label, fake, lambda: one_pass(config, store, clock))
    return 0


class Clock:
    """The moment the product and the fake believe it is."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


def one_pass(config: object, store: Store, clock: Clock) -> None:
    opened = open_accounts(config)  # type: ignore[arg-type]
    try:
        report = run_pass(config, store, opened.accounts, clock(), opened.unavailable)  # type: ignore[arg-type]
    finally:
        opened.close()
    if report.failed:
        raise SystemExit(f"pass failed: {[a.error for a in report.accounts]}")


def measure(label: str, fake: FakeGoogle, action: Callable[[], None]) -> None:
    fake.clear_log()
    tracemalloc.start()
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    groups = Counter(endpoint(r.method, r.path) for r in fake.requests)
    detail = ", ".join(f"{name} {count}" for name, count in sorted(groups.items()))
    print(f"{label:<34}{len(fake.requests):>9}{elapsed:>9.2f}{peak / 2**20:>10.1f}  {detail}")


def endpoint(method: str, path: str) -> str:
    parts = [p for p in path.strip("/").split("/") if p]
    if parts[:1] == ["calendars"]:
        return "calendar.events"
    if parts[:4] == ["gmail", "v1", "users", "me"] and len(parts) > 4:
        return f"gmail.{parts[4]}.{method}"
    return f"{method} {'/'.join(parts[:2])}"


def write_config(root: Path, fake: FakeGoogle) -> Path:
    secrets = fake.client_secrets(root / "client.json")
    path = root / "config.toml"
    path.write_text(
        f'[profile]\nname = "Ada Lovelace"\ntimezone = "Europe/London"\n'
        f'[storage]\nurl = "sqlite:///{root / "state.db"}"\n'
        f'[[accounts]]\nname = "personal"\nprovider = "google"\nclient_secrets = "{secrets}"\n'
        f'api_endpoint = "{fake.root}"\n'
    )
    return path


def seed_calendar(fake: FakeGoogle, interviews: int, noise: int) -> None:
    for index in range(interviews + noise):
        start = NOW + timedelta(days=1 + index % 20, hours=index % 7)
        is_interview = index < interviews
        company = f"company{index}.com"
        fake.put_event(
            "primary",
            {
                "id": f"e{index}",
                "iCalUID": f"e{index}@bench",
                "status": "confirmed",
                "summary": f"Technical interview – Engineer {index}"
                if is_interview
                else f"Sync {index}",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
                "organizer": {
                    "email": f"lead@{company}" if is_interview else USER,
                    "self": not is_interview,
                },
                "attendees": [
                    {
                        "email": f"lead@{company}",
                        "displayName": "Lee Lead",
                        "responseStatus": "accepted",
                    },
                    {"email": USER, "self": True, "responseStatus": "accepted"},
                ],
            },
        )


def touch_one(fake: FakeGoogle) -> None:
    event = fake.events("primary")[0]
    event["summary"] = str(event.get("summary", "")) + " (moved)"
    fake.put_event("primary", event)


if __name__ == "__main__":
    raise SystemExit(main())
