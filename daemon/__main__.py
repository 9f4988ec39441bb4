"""``python -m daemon`` runs the ``interview-outreach`` command."""

from daemon.cli import main

raise SystemExit(main())
