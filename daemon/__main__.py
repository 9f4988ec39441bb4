"""``python -m daemon`` runs the ``interview-outreach`` command."""

from interview_outreach.daemon.cli import main

raise SystemExit(main())
