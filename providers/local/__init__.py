"""The local provider: a vdir or ``.ics`` calendar and a Maildir mailbox, no network.

The daemon reaches it through ``providers.local.provider.PROVIDER``; the calendar is in
:mod:`providers.local.calendar`, the mailbox in :mod:`providers.local.mailbox`.
"""
