"""Talking to a running board from a terminal: the administrator's commands and a voter casting over HTTP.

Every failure — the board unreachable, a wrong token, a refusal with its named reason, an answer that is not a
board's — is a :class:`BoardClientError` with one line saying which request and why, so the CLI can print it and
exit non-zero. Nothing here trusts the board: the election a voter encrypts for is read from the board's log,
hashed, and proved to be a prefix of the log the board signed (RFC 9162 consistency proof), and the receipt is
checked like any other (``client.check_receipt``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from plebiscite.board.client import BoardClientError
from plebiscite.canonical import hex_bytes
from plebiscite.merkle.cosign import split_served_head
from plebiscite.merkle.heads import SignedTreeHead, TreeHeadError, verify_tree_head
from plebiscite.merkle.tree import MerkleError, leaf_hash, root_of, verify_consistency
from plebiscite.record import events as ev
from plebiscite.record.state import ElectionState
from plebiscite.record.store import RecordError, parse_event
from plebiscite.setup.election import ElectionContext

ADMIN_ACTIONS = ("open", "close", "tally", "result")
PAGE = 1000


class BoardSession:
    """An HTTP client of one board that turns every failure into a one-line :class:`BoardClientError`."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 60.0, wait: float = 0.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise BoardClientError(f"--board {url!r}: expected an http:// or https:// URL")
        self.url = url.rstrip("/")
        self.token = token
        self.wait = wait
        try:
            self.client = httpx.Client(base_url=self.url, timeout=timeout)
        except (httpx.InvalidURL, ValueError) as exc:
            raise BoardClientError(f"--board {url!r}: {exc}") from None

    def __enter__(self) -> BoardSession:
        return self

    def __exit__(self, *_: object) -> None:
        self.client.close()

    def request(self, method: str, path: str, admin: bool = False, **kwargs: Any) -> Any:
        """The JSON answer of a 200; a refusal names the request, the status and the board's reason."""
        headers = {"Authorization": f"Bearer {self.token}"} if admin and self.token is not None else {}
        deadline = time.monotonic() + self.wait
        while True:
            try:
                response = self.client.request(method, path, headers=headers, **kwargs)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if time.monotonic() < deadline:  # --wait: the board may still be starting
                    time.sleep(0.25)
                    continue
                raise BoardClientError(f"board unreachable at {self.url}: {_reason(exc)}") from None
            except httpx.TimeoutException:
                raise BoardClientError(f"board at {self.url}: no answer to {method} {path} in time") from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise BoardClientError(
                    f"board at {self.url}: {method} {path} failed: {_reason(exc)}"
                ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and body is not None:
            return body
        detail = body.get("detail") if isinstance(body, dict) else None
        if not isinstance(detail, str):
            raise BoardClientError(
                f"{self.url} does not answer {method} {path} like a plebiscite board "
                f"(HTTP {response.status_code}, {response.headers.get('content-type', 'no content type')})"
            )
        if response.status_code == 401:
            raise BoardClientError(
                f"{method} {path}: the board refused the administrator token (401: {detail})"
            )
        raise BoardClientError(f"{method} {path}: refused by the board ({response.status_code}): {detail}")


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.split("] ", 1)[-1] if text else exc.__class__.__name__  # "[Errno 111] Connection refused"


def admin_action(session: BoardSession, action: str) -> dict[str, Any]:
    """POST /api/admin/<action> with the administrator's token."""
    if action not in ADMIN_ACTIONS:
        raise BoardClientError(f"admin action {action!r}: expected one of {', '.join(ADMIN_ACTIONS)}")
    answer: dict[str, Any] = session.request("POST", f"/api/admin/{action}", admin=True)
    return answer


@dataclass(frozen=True)
class BoardElectionView:
    """What a client knows about the election on a board after checking it against the board's signed head."""

    context: ElectionContext | None
    state: ElectionState
    board_key: str
    head: SignedTreeHead
    setup_size: int


def read_setup(session: BoardSession, board_key: str | None = None) -> BoardElectionView:
    """The election's setup (manifest through ``election``) from the board's log, proved to be in its signed log.

    Entries are read a page at a time up to the ``election`` event only (never the ballots after it), their leaf
    hashes give the root of that prefix, and the board's latest signed head (verified under its key, which must be
    ``board_key`` when the caller knows the published one) must extend it by a consistency proof.
    """
    answer = session.request("GET", "/api/board/key")
    key_hex = answer.get("public_key") if isinstance(answer, dict) else None
    if not isinstance(key_hex, str):
        raise BoardClientError("board key: missing from the board's answer to GET /api/board/key")
    try:
        key = hex_bytes(key_hex, 32, "board key")
    except (TypeError, ValueError) as exc:
        raise BoardClientError(f"board key: {exc}") from None
    if board_key is not None and key_hex != board_key.strip().lower():
        raise BoardClientError(f"board key: the board's key is {key_hex}, not the published {board_key}")
    try:
        head, _ = split_served_head(session.request("GET", "/api/board/head"))
        verify_tree_head(head, key)
    except (TreeHeadError, ValueError, TypeError, AttributeError) as exc:
        raise BoardClientError(f"board head: {exc}") from None
    setup: list[ev.Event] = []
    while len(setup) < head.tree_size and not (setup and setup[-1].type == ev.ELECTION):
        page = session.request("GET", "/api/board/entries", params={"start": len(setup), "limit": PAGE})
        if not isinstance(page, list) or not page:
            break
        for item in page[: head.tree_size - len(setup)]:
            try:
                setup.append(parse_event(len(setup), item["leaf"].encode(), f"board entry {len(setup)}"))
            except (KeyError, TypeError, AttributeError, RecordError) as exc:
                raise BoardClientError(f"board entry {len(setup)}: {exc}") from None
            if setup[-1].type == ev.ELECTION:
                break
    _check_prefix(session, head, key, [leaf_hash(e.raw) for e in setup])
    state = ElectionState()
    for event in setup:  # in the signed log, so what every mirror and verifier sees too
        try:
            state.apply(event)
        except (KeyError, TypeError, ValueError, AssertionError) as exc:
            raise BoardClientError(
                f"board entry {event.index} ({event.type}): malformed payload ({exc})"
            ) from None
    return BoardElectionView(state.context, state, key_hex, head, len(setup))


def _check_prefix(session: BoardSession, head: SignedTreeHead, key: bytes, hashes: list[bytes]) -> None:
    """The entries read are the first ``len(hashes)`` of the log the board signed (else the board lies)."""
    size = len(hashes)
    proof: list[bytes] = []
    if 0 < size < head.tree_size:
        answer = session.request(
            "GET", "/api/board/consistency", params={"first": size, "second": head.tree_size}
        )
        try:
            proof = [hex_bytes(h, 32, "consistency proof") for h in answer["proof"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise BoardClientError(f"consistency proof: {exc}") from None
    try:
        verify_consistency(size, head.tree_size, root_of(hashes), head.root, proof)
    except MerkleError as exc:
        raise BoardClientError(
            f"the election read from the board is not in the log it signed (size {head.tree_size}): {exc}"
        ) from None


def cast_ballot(session: BoardSession, ballot_json: dict[str, Any]) -> dict[str, Any]:
    """POST /api/ballots; the board's receipt."""
    receipt: dict[str, Any] = session.request("POST", "/api/ballots", json=ballot_json)
    return receipt
