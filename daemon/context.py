"""The configuration as the domain sees it: the user, and the fixed inputs of planning."""

from __future__ import annotations

from collections.abc import Sequence

from interview_outreach.daemon.config import Config
from interview_outreach.daemon.domain.model import UserIdentity
from interview_outreach.daemon.domain.planning import PlanContext
from interview_outreach.daemon.domain.rendering import Renderer


def user_identity(config: Config, extra_addresses: Sequence[str] = ()) -> UserIdentity:
    """The user as the core sees them: name, every configured address, time zone."""
    addresses = {address for a in config.accounts if (address := a.configured_address)}
    addresses.update(a.lower() for a in extra_addresses if a)
    return UserIdentity(
        name=config.profile.name,
        addresses=frozenset(addresses),
        timezone=config.profile.timezone,
    )


def plan_context(config: Config) -> PlanContext:
    """The fixed inputs of planning for this configuration."""
    return PlanContext(
        rules=config.rules,
        timezone=config.profile.timezone,
        renderer=Renderer(config.templates_dir),
        user_name=config.profile.name,
        signature=config.profile.signature or config.profile.name,
        highlights=config.profile.highlights,
        language=config.profile.language,
        account_languages=tuple(
            (account.name, account.language)
            for account in config.accounts
            if account.language is not None
        ),
        translated_highlights=config.profile.translated_highlights,
    )
