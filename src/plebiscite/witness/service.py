"""The witness at work: poll the board's checkpoint, check it, cosign it durably, post the cosignature.

One :meth:`Witness.step` is one round (``plebiscite witness run --once``); ``run`` repeats it every ``interval``
seconds. A head is cosigned only if (1) it is signed by the board key the witness was configured with, (2) a
consistency proof from the last head it cosigned verifies (RFC 9162), (3) it is not smaller than that head and not
a second root for its size — the last two enforced again by :class:`~plebiscite.witness.state.WitnessState` when
the cosignature is written, before it leaves the machine. A head that breaks the rule is refused and kept as fork
evidence (``fork-evidence-*.json`` in the state directory, never overwritten).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nacl.signing

from plebiscite.board.client import BoardClientError, check_extends, save_evidence
from plebiscite.merkle.cosign import Cosignature, sign_cosignature, split_served_head
from plebiscite.merkle.heads import (
    ForkDetected,
    ForkEvidence,
    SignedTreeHead,
    TreeHeadError,
    log_id_for,
    verify_heads_consistent,
    verify_tree_head,
)
from plebiscite.merkle.tree import MerkleError
from plebiscite.witness.state import Cosigned, RefusedHead, WitnessState

__all__ = ["Outcome", "Witness"]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Outcome:
    """What one round did: ``cosigned``, ``unchanged`` (nothing new), ``stale`` (an older, consistent head),
    ``refused`` (fork evidence saved at ``evidence``) or ``error`` (board unreachable or malformed)."""

    status: str
    message: str
    tree_size: int | None = None
    evidence: Path | None = None


class Witness:
    """One witness watching one board (``board_key``: its published Ed25519 public key, raw bytes)."""

    def __init__(
        self,
        directory: Path,
        state: WitnessState,
        key: nacl.signing.SigningKey,
        client: httpx.Client,
        board_key: bytes,
        clock: Callable[[], int] = _now_ms,
    ) -> None:
        self.directory = directory
        self.state = state
        self.key = key
        self.client = client
        self.board_key = board_key
        self.clock = clock
        self._refused: dict[
            tuple[str, str], Path
        ] = {}  # evidence saved in this run, by the two heads' signatures
        state.bind_board(board_key.hex())

    @property
    def public_key(self) -> str:
        return bytes(self.key.verify_key).hex()

    def step(self) -> Outcome:
        """One round: fetch the checkpoint, decide, and (if it passes) cosign and post."""
        self._post_pending()
        try:
            head = self._checkpoint()
        except (BoardClientError, TreeHeadError, json.JSONDecodeError) as exc:
            return Outcome("error", str(exc))
        last = self.state.last()
        try:
            if last is not None:
                if head.tree_size < last.head.tree_size:
                    return self._older(head, last)
                check_extends(self.client, self.board_key, last.head, head)
            cosigned = self.state.record(head, self._cosign(head, last))
        except ForkDetected as exc:
            return self._refuse(exc.evidence, last)
        except RefusedHead as exc:
            fork = ForkEvidence(first=exc.last.head, second=head, proof=[], reason=exc.reason)
            return self._refuse(fork, exc.last)
        except (
            BoardClientError,
            TreeHeadError,
            MerkleError,
            json.JSONDecodeError,
            KeyError,
            TypeError,
        ) as exc:
            return Outcome("error", f"the board's answer is unusable: {exc}")  # nothing was cosigned
        if last is not None and cosigned.head == last.head and last.posted:
            return Outcome("unchanged", f"head of size {head.tree_size} already cosigned", head.tree_size)
        return self._post(cosigned)

    def _checkpoint(self) -> SignedTreeHead:
        head, _ = split_served_head(self._get("/api/board/checkpoint"))
        if head.log_id != log_id_for(self.board_key):
            raise TreeHeadError(
                f"the board's head is from log {head.log_id}, not from the configured board key"
            )
        verify_tree_head(head, self.board_key)
        return head

    def _get(self, path: str) -> Any:
        try:
            response = self.client.get(path)
        except httpx.HTTPError as exc:
            raise BoardClientError(f"board unreachable: {exc}") from None
        if response.status_code != 200:
            raise BoardClientError(f"GET {path}: {response.status_code} {response.text[:200]}")
        return response.json()

    def _cosign(self, head: SignedTreeHead, last: Cosigned | None) -> Cosignature:
        at = self.clock() if last is None else max(self.clock(), last.cosignature.cosigned_at)
        return sign_cosignature(self.key, head, at)

    def _older(self, head: SignedTreeHead, last: Cosigned) -> Outcome:
        """A smaller head than the last cosigned: never cosigned; a fork unless it is a prefix of that head."""
        try:
            answer = self._get_consistency(head.tree_size, last.head.tree_size)
            verify_heads_consistent(head, last.head, answer, self.board_key)
        except ForkDetected as exc:
            return self._refuse(exc.evidence, last)
        except (BoardClientError, MerkleError, json.JSONDecodeError, AttributeError) as exc:
            return Outcome("error", f"the board's answer is unusable: {exc}")
        return Outcome("stale", f"the board offers size {head.tree_size}, older than {last.head.tree_size}")

    def _get_consistency(self, first: int, second: int) -> list[bytes]:
        raw = self._get(f"/api/board/consistency?first={first}&second={second}").get("proof")
        try:
            return [bytes.fromhex(h) for h in raw]
        except (TypeError, ValueError):
            raise BoardClientError("consistency proof: not a list of hex hashes") from None

    def _refuse(self, fork: ForkEvidence, last: Cosigned | None) -> Outcome:
        extra: dict[str, Any] = {"witness": {"key": self.public_key}}
        if last is not None:
            extra["witness"]["last_cosigned"] = {
                "tree_head": last.head.model_dump(),
                "cosignature": last.cosignature.model_dump(),
            }
        seen = (fork.first.signature, fork.second.signature)
        path = self._refused.get(seen) or save_evidence(self.directory, fork, extra)  # once per fork and run
        self._refused[seen] = path
        return Outcome(
            "refused", f"REFUSED: {fork.reason}; evidence saved in {path}", fork.second.tree_size, path
        )

    def _post(self, cosigned: Cosigned) -> Outcome:
        size = cosigned.head.tree_size
        body = {"tree_size": size, "cosignature": cosigned.cosignature.model_dump()}
        try:
            response = self.client.post("/api/board/cosignatures", json=body)
        except httpx.HTTPError as exc:
            return Outcome(
                "error", f"cosigned size {size}, but the board is unreachable ({exc}); will re-post", size
            )
        if response.status_code != 200:
            return Outcome(
                "error",
                f"cosigned size {size}; the board refused it: {response.status_code} {response.text[:200]}",
                size,
            )
        self.state.mark_posted(size)
        return Outcome(
            "cosigned", f"cosigned the head of size {size} ({cosigned.head.root_hash[:16]}…)", size
        )

    def _post_pending(self) -> None:
        pending = self.state.unposted()
        if pending:  # only the latest matters to the board; older ones were superseded
            self._post(pending[-1])

    def run(self, interval: float, report: Callable[[Outcome], None], rounds: int | None = None) -> None:
        """Repeat :meth:`step` every ``interval`` seconds (``rounds`` times, or until interrupted)."""
        done = 0
        while rounds is None or done < rounds:
            started = time.monotonic()
            report(self.step())
            done += 1
            if rounds is None or done < rounds:
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
