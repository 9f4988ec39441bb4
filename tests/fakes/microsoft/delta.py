"""Delta-query bookkeeping shared by the calendar and mail fakes.

A *round* is what one sync call chain returns: the list of changes is fixed when the round
starts (first call, or a call with ``$deltatoken``) and then served page by page through
``$skiptoken`` links; the last page carries a ``$deltatoken`` naming the state reached.
A *state* remembers what the client knows: the change sequence number it has seen, the ids
it holds and the parameters of the first call (window, folder, ``$select``…).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from .wire import GraphError


@dataclass(frozen=True)
class Change:
    """One entry of a round: ``key`` of an item to render, or an id the client must drop."""

    key: str
    removed_ids: tuple[str, str] | None = None  # (regular id, immutable id) when removed


@dataclass
class SyncState:
    """What a delta token stands for."""

    params: dict[str, Any]
    seq: int
    known: frozenset[str]
    page_size: int
    expired: bool = False


@dataclass
class Round:
    """A fixed list of changes being paged through."""

    changes: list[Change]
    next_state: str
    page_size: int
    params: dict[str, Any]
    expired: bool = False


@dataclass
class DeltaBook:
    """Delta and skip tokens of one kind of collection."""

    states: dict[str, SyncState] = field(default_factory=dict)
    rounds: dict[str, Round] = field(default_factory=dict)
    pages: dict[str, tuple[str, int]] = field(default_factory=dict)
    gone_code: str = "SyncStateNotFound"
    gone_status: int = 410
    gone_location: bool = False

    def state(self, token: str, restart_url: str) -> SyncState:
        """The state behind a ``$deltatoken`` (410 when expired or unknown)."""
        state = self.states.get(token)
        if state is None or state.expired:
            raise self._gone(restart_url)
        return state

    def start_round(self, changes: list[Change], state: SyncState) -> tuple[Round, int]:
        """Register a new round whose last page will name ``state``."""
        token = secrets.token_urlsafe(24)
        self.states[token] = state
        round_ = Round(changes, token, state.page_size, state.params)
        self.rounds[secrets.token_urlsafe(12)] = round_
        return round_, 0

    def resume(self, skiptoken: str, restart_url: str) -> tuple[Round, int]:
        """The round and offset behind a ``$skiptoken`` (410 when expired or unknown)."""
        found = self.pages.get(skiptoken)
        round_ = self.rounds.get(found[0]) if found else None
        if found is None or round_ is None or round_.expired:
            raise self._gone(restart_url)
        return round_, found[1]

    def page(self, round_: Round, offset: int) -> tuple[list[Change], str | None, str | None]:
        """``(changes, skiptoken, deltatoken)``: exactly one of the tokens is set."""
        end = offset + round_.page_size
        chunk = round_.changes[offset:end]
        if end < len(round_.changes):
            round_id = next(k for k, v in self.rounds.items() if v is round_)
            skiptoken = secrets.token_urlsafe(24)
            self.pages[skiptoken] = (round_id, end)
            return chunk, skiptoken, None
        return chunk, None, round_.next_state

    def expire_all(
        self, status: int = 410, code: str = "SyncStateNotFound", location: bool = False
    ) -> None:
        """Every delta and skip token issued so far is gone."""
        self.gone_status, self.gone_code, self.gone_location = status, code, location
        for state in self.states.values():
            state.expired = True
        for round_ in self.rounds.values():
            round_.expired = True

    def _gone(self, restart_url: str) -> GraphError:
        return GraphError(
            self.gone_status,
            self.gone_code,
            "The sync state generation is not found or has expired. Restart the "
            "synchronization without a delta or skip token.",
            headers=[("Location", restart_url)] if self.gone_location else None,
        )
