"""Google accounts: Google Calendar and Gmail through google-api-python-client.

The daemon reaches it through ``providers.google.provider.PROVIDER``, a light module: the
client libraries are loaded by :mod:`providers.google.connection` only for a Google account.
"""
