"""The registration service follows the board: it issues a credential only while registration is still open there.

``plebiscite registrar serve`` runs for weeks; the board moves on without it — the encrypted roll is published
(``cr-roll``: a credential issued after it is on no roll and would silently count for nothing), voting opens, the
election values could change. So before every registration :class:`BoardWindow` re-reads the board through a
:class:`~plebiscite.board.follow.Follower` (each new signed head checked for consistency with the last one, only the
new entries fetched and hashed to its root) and refuses — 409 when registration is closed or the board's election
values are no longer the ones the service started with, 503 when the board cannot be read or shows a fork.

Each registration is decided on a view of the board read *after* it arrived: requests that arrive while a refresh
runs wait for the next one, and requests waiting together share it, so a burst costs one ``GET`` of the head (and
the new entries, if any). Once closed, the window stays closed (registration never reopens) and stops reading.
"""

from __future__ import annotations

import threading
from pathlib import Path

from plebiscite.board.client import BoardClientError
from plebiscite.board.follow import Follower
from plebiscite.board.trustee_client import BoardView
from plebiscite.coercion import events as cev
from plebiscite.coercion.registrar_service import ElectionInfo, EnrolmentRefusal, ReissueRefusal
from plebiscite.coercion.registration import RegistrationError, election_info
from plebiscite.merkle.heads import ForkDetected, TreeHeadError
from plebiscite.merkle.tree import MerkleError
from plebiscite.record import events as ev
from plebiscite.record.state import ElectionState

ROLL_PUBLISHED = "registration is closed: the encrypted roll is already on the board"


def registration_closed(events: list[ev.Event], state: ElectionState) -> str | None:
    """Why registration is closed on a board holding ``events`` (folded into ``state``), or None while it is open:
    the encrypted roll is published, or the election left its setup phase."""
    if any(e.type == cev.ROLL for e in events):
        return ROLL_PUBLISHED
    if state.phase != "setup":
        return f"registration is closed: the election is in phase {state.phase!r}"
    return None


def require_reissue_open(view: BoardView, ceremony: bytes) -> None:
    """A re-issue (``registrar reissue``) on the registrar's election whose roll is not on the board: after it, the
    voided entry would stay on the roll and the new credential be on none — refused, naming why."""
    if election_info(view).ceremony != ceremony:
        raise ReissueRefusal("board: holds another election's ceremony than the registrar's vault")
    reason = registration_closed(view.events, view.state)
    if reason is not None:
        raise ReissueRefusal(
            f"re-issue refused: {reason}; once the roll is published a credential cannot be replaced without "
            "a change to the roll"
        )


class BoardWindow:
    """Whether registration is open, as the board says now (see the module docstring)."""

    def __init__(self, follower: Follower, info: ElectionInfo, mirror: Path) -> None:
        """``follower`` started from the verified mirror ``mirror``; ``info``: the values the service serves."""
        self.follower = follower
        self.info = info
        self.mirror = mirror
        self._lock = threading.Lock()
        self._started = 0  # refreshes started
        self._done = 0  # the number of the last refresh that completed
        self.closed = self._closed_reason()

    def require_open(self) -> None:
        """Raise :class:`EnrolmentRefusal` unless the board, read after this call began, still takes registrations."""
        arrived = self._started  # an int read is atomic: the refreshes started before this request
        with self._lock:
            if self.closed is None and self._done <= arrived:
                self._started += 1
                number = self._started
                self._refresh()
                self._done = number
            if self.closed is not None:
                raise EnrolmentRefusal(409, self.closed)

    def _refresh(self) -> None:
        try:
            fresh = self.follower.refresh()
        except (BoardClientError, TreeHeadError, MerkleError, ForkDetected) as exc:
            raise EnrolmentRefusal(
                503, f"board: cannot confirm that registration is still open ({exc})"
            ) from None
        if fresh:
            self.closed = self._closed_reason()

    def _closed_reason(self) -> str | None:
        events = self.follower.events
        state = ElectionState.from_events(events)
        reason = registration_closed(events, state)
        if reason is not None:
            return reason
        try:
            now = election_info(BoardView(state, events, self.mirror))
        except RegistrationError as exc:
            return f"registration is closed: {exc}"
        if now != self.info:
            return "registration is closed: the board's election values changed since the registrar started"
        return None
