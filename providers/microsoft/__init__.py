"""Microsoft 365 / Outlook.com accounts: calendar and mail through Microsoft Graph and MSAL.

The daemon reaches it through ``providers.microsoft.provider.PROVIDER``, a light module: MSAL
and requests are loaded by :mod:`providers.microsoft.connection` only for a Microsoft account.
"""
