"""One process of a concurrency test or bench: import, say ready, wait for "go", run the CLI.

    python -m tests.concurrency_child BARRIER_DIR CONFIG COMMAND [ISO_TIME]

With ``ISO_TIME`` the command runs with that fixed clock (``interview_outreach.daemon.cli.main(clock=...)``),
otherwise with the machine's clock. The barrier folder gets ``ready.PID`` once the program
is imported; the command starts when ``BARRIER_DIR/go`` appears.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

# The CLI imports what a command needs when it runs; a child imports it all before it says
# it is ready, so that the children start their work together, not staggered by imports.
import interview_outreach.daemon.accounts
import interview_outreach.daemon.passes
import interview_outreach.daemon.runtime  # noqa: F401
from interview_outreach.daemon.cli import main as cli

BARRIER_TIMEOUT = 300.0


def main(argv: Sequence[str]) -> int:
    barrier, config, command, *rest = argv
    folder = Path(barrier)
    (folder / f"ready.{os.getpid()}").touch()
    go = folder / "go"
    deadline = time.monotonic() + BARRIER_TIMEOUT
    while not go.exists():
        if time.monotonic() > deadline:
            print("concurrency child: no go signal", file=sys.stderr)
            return 98
        time.sleep(0.0005)
    args = ["--config", config, command]
    if rest:
        at = datetime.fromisoformat(rest[0])
        return cli(args, clock=lambda: at)
    return cli(args)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
