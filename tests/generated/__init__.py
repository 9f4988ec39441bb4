"""Generated hostile input: calendars and mailboxes written to stop, flood or mislead a pass."""
