"""Hostile calendars and mailboxes at scale: the generated-input properties, 10,000+ examples.

Not a test: a measurement. Runs the properties of ``tests/generated/test_generated_input.py``
(a pass never raises, stays within its time and memory bounds, never drafts more than the
cap, never writes an unvalidated address, never prints or stores a token) on ``--examples``
generated examples in total, shared among the four tests as in that file, in ``--jobs``
worker processes with different seeds. Examples that break a property are recorded, not
stopped at, so the table shows how many broke which property.

    .venv/bin/python bench/generated_input.py [--examples 10000] [--jobs 2] [--seed 1]

Prints a table: examples per property, failing examples, seconds per example and per pass
(median and max), peak memory of a pass's process, the machine and the commit; then one
line per symptom found with the shortest example that shows it. The records stay in
``--out`` (default: a new temporary folder) as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROPERTIES = ("calendars", "mailboxes", "mixed", "floods")
TESTS = {
    "calendars": "test_hostile_calendars_never_stop_flood_or_mislead_a_pass",
    "mailboxes": "test_hostile_mailboxes_never_stop_flood_or_mislead_a_pass",
    "mixed": "test_hostile_calendars_and_mailboxes_together",
    "floods": "test_a_flood_of_interviews_never_makes_more_drafts_than_the_cap",
}


def main(argv: list[str] | None = None) -> int:
    """Run the bench (or, with ``--worker``, one worker's share of it)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="examples in total")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--seed", type=int, default=1, help="worker n uses seed + n")
    parser.add_argument("--pass-seconds", type=float, default=10.0, help="time bound per command")
    parser.add_argument("--memory-mib", type=int, default=512, help="memory growth bound")
    parser.add_argument("--out", type=Path, help="folder for the JSON-lines records")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--explicit", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.record, args.examples, args.seed, explicit=args.explicit)
    out = args.out or Path(tempfile.mkdtemp(prefix="io-generated-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    records = run_workers(args, out)
    elapsed = time.monotonic() - began
    print(report(records, args, elapsed, out))
    return 0


def run_workers(args: argparse.Namespace, out: Path) -> list[dict[str, Any]]:
    """Start ``--jobs`` workers, wait for them, and read their records."""
    jobs = max(1, args.jobs)
    env = {
        **os.environ,
        "INTERVIEW_OUTREACH_GENERATED_PASS_SECONDS": str(args.pass_seconds),
        "INTERVIEW_OUTREACH_GENERATED_MEMORY_MIB": str(args.memory_mib),
    }
    processes = []
    for n in range(jobs):
        share = args.examples // jobs + (1 if n < args.examples % jobs else 0)
        record = out / f"worker-{n}.jsonl"
        record.unlink(missing_ok=True)
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            "--examples",
            str(share),
            "--seed",
            str(args.seed + n),
            "--record",
            str(record),
            *(["--explicit"] if n == 0 else []),
        ]
        log = (out / f"worker-{n}.log").open("wb")
        # Our own script, run with this very interpreter.
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        processes.append((process, log, record))
    records: list[dict[str, Any]] = []
    for process, log, record in processes:
        process.wait()
        log.close()
        if process.returncode != 0:
            print(
                f"worker {record.stem} ended with {process.returncode}; see {record.with_suffix('.log')}",
                file=sys.stderr,
            )
        if record.exists():
            records += [
                json.loads(line) for line in record.read_text(encoding="utf-8").splitlines() if line
            ]
    return records


def worker(record: Path, examples: int, seed: int, *, explicit: bool) -> int:
    """Run every test of the generated-input file on this worker's share, recording."""
    os.environ.update(
        {
            "INTERVIEW_OUTREACH_GENERATED_EXAMPLES": str(examples),
            "INTERVIEW_OUTREACH_GENERATED_SEED": str(seed),
            "INTERVIEW_OUTREACH_GENERATED_RECORD": str(record),
            "INTERVIEW_OUTREACH_GENERATED_EXPLICIT": "1" if explicit else "0",
        }
    )
    from tests.generated import test_generated_input as tests  # noqa: PLC0415 - after the env

    failed = 0
    for name in PROPERTIES:
        test = getattr(tests, TESTS[name])
        try:
            test()
        except Exception as error:  # the harness itself broke: say so, go on
            failed += 1
            print(f"{name}: harness error: {type(error).__name__}: {error}", file=sys.stderr)
    return 1 if failed else 0


def report(
    records: list[dict[str, Any]], args: argparse.Namespace, elapsed: float, out: Path
) -> str:
    """The result table, the machine, and one line per symptom found."""
    by_property: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_property[record["property"]].append(record)
    rows = [
        "| property | examples | failing examples | hostile input drafted | s/example median "
        "| s/example max | s/pass median | s/pass max | peak MiB | growth MiB max |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in (*PROPERTIES, "all"):
        group = records if name == "all" else by_property.get(name, [])
        if not group:
            continue
        seconds = [r["seconds"] for r in group]
        passes = [r["pass_seconds"] for r in group]
        medians = [r["median_pass_seconds"] for r in group if r["median_pass_seconds"] is not None]
        failing = sum(1 for r in group if r["violations"])
        drafted = sum(1 for r in group if r.get("hostile_drafts"))
        rows.append(
            f"| {name} | {len(group):,} | {failing:,} | {drafted:,} | {statistics.median(seconds):.2f} "
            f"| {max(seconds):.1f} | {statistics.median(medians) if medians else 0:.2f} "
            f"| {max(passes):.1f} | {max(r['peak_mib'] for r in group):.0f} "
            f"| {max(r['growth_mib'] for r in group):.0f} |"
        )
    symptoms: Counter[tuple[str, str]] = Counter()
    shortest: dict[tuple[str, str], tuple[str, str]] = {}
    for record in records:
        for violation in {(v["group"], v["signature"]): v for v in record["violations"]}.values():
            key = (violation["group"], violation["signature"])
            symptoms[key] += 1
            case = record["case"] or ""
            if key not in shortest or len(case) < len(shortest[key][1]):
                shortest[key] = (violation["detail"], case)
    lines = [
        f"Generated hostile input: {len(records):,} examples in {elapsed:,.0f} s "
        f"({args.jobs} workers, seeds {args.seed}..{args.seed + args.jobs - 1}, "
        f"bounds {args.pass_seconds:g} s per command and {args.memory_mib} MiB growth)",
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        f"commit: {_commit()}",
        "",
        *rows,
        "",
    ]
    if symptoms:
        lines.append("| property group | symptom (cause) | failing examples |")
        lines.append("|---|---|---|")
        lines += [f"| {g} | {s} | {n:,} |" for (g, s), n in symptoms.most_common()]
        lines.append("")
        lines.append("Shortest example per symptom:")
        for _key, (detail, case) in sorted(shortest.items()):
            lines.append(f"- {detail}\n    {case[:800]}")
    else:
        lines.append("No property broken.")
    lines.append(f"\nrecords: {out}")
    return "\n".join(lines)


def _commit() -> str:
    def git(*args: str) -> str:
        try:
            command = ["git", *args]  # a fixed command on our own repository
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)  # noqa: S603
            return done.stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" + uncommitted changes" if git("status", "--porcelain") else "")


if __name__ == "__main__":
    raise SystemExit(main())
