"""Every provider by name: the one list to extend when a provider is added.

Each entry names the module holding that provider's ``PROVIDER`` object (see
:mod:`providers.provider`). A module is imported the first time its provider is looked up,
so a configuration without, say, a Google account never loads anything of Google's.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from interview_outreach.providers.provider import Provider

_MODULES = {
    "google": "interview_outreach.providers.google.provider",
    "microsoft": "interview_outreach.providers.microsoft.provider",
    "local": "interview_outreach.providers.local.provider",
}

PROVIDER_NAMES: tuple[str, ...] = tuple(_MODULES)
"""The names a configuration may give as an account's ``provider``, in the order shown."""


def provider_named(name: str) -> Provider[Any]:
    """The provider called ``name`` (one of :data:`PROVIDER_NAMES`; ``KeyError`` otherwise)."""
    return cast("Provider[Any]", importlib.import_module(_MODULES[name]).PROVIDER)
