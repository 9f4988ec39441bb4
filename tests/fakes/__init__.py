"""Test doubles: an in-memory provider (and, later, loopback fakes of Google and Graph)."""
