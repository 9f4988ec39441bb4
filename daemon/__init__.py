"""interview-outreach: drafts pre-interview outreach, follow-ups and thank-yous; never sends."""

__version__ = "0.1.0"
