"""A trustee's view of the board: a verified mirror of the record, and signed posts to ``/api/trustee/{step}``.

A trustee trusts nothing the board says without a proof: every read goes through :func:`plebiscite.board.client.
mirror` (signed heads, consistency with the last head this trustee saw, entries re-hashed to the signed root) into
the trustee's own directory, and its election state is folded from that copy. With ``board_key`` given (the
fingerprint the organiser published), a board that signs with another key is refused before anything is read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plebiscite.board.client import BoardClientError, mirror
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.state import ElectionState


class TrusteeBoardError(ValueError):
    """The board refused a step, could not be reached, or is not the board this trustee expects."""


@dataclass
class BoardView:
    """The record as this trustee's verified mirror holds it."""

    state: ElectionState
    events: list[ev.Event]
    mirror: Path


@dataclass
class TrusteeBoard:
    url: str
    mirror_dir: Path
    board_key: str | None = None
    timeout: float = 30.0

    def view(self) -> BoardView:
        try:
            if self.board_key is not None:
                from plebiscite.board.operator_client import BoardSession

                with BoardSession(self.url, timeout=self.timeout) as session:
                    key = session.request("GET", "/api/board/key").get("public_key")
                if key != self.board_key:
                    raise TrusteeBoardError(
                        f"the board at {self.url} signs with key {key}, not the published {self.board_key}"
                    )
            mirror(self.url, self.mirror_dir, self.timeout)
        except BoardClientError as exc:
            raise TrusteeBoardError(str(exc)) from None
        events = store.read(self.mirror_dir)
        return BoardView(ElectionState.from_events(events), events, self.mirror_dir)

    def post(self, step: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Post a signed step; a refusal becomes :class:`TrusteeBoardError` with the board's named reason."""
        from plebiscite.board.operator_client import BoardSession

        try:
            with BoardSession(self.url, timeout=self.timeout) as session:
                answer: dict[str, Any] = session.request("POST", f"/api/trustee/{step}", json=payload)
        except BoardClientError as exc:
            raise TrusteeBoardError(str(exc)) from None
        return answer

    def wait(
        self, ready: Callable[[BoardView], list[int]], seconds: float, poll: float = 2.0
    ) -> tuple[BoardView, list[int]]:
        """Re-read the board until ``ready`` returns no missing trustee or ``seconds`` pass; the view and who is
        still missing."""
        deadline = time.monotonic() + seconds
        while True:
            view = self.view()
            missing = ready(view)
            if not missing or time.monotonic() >= deadline:
                return view, missing
            time.sleep(min(poll, max(0.0, deadline - time.monotonic())))
