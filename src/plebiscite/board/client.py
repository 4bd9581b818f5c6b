"""Clients of the board: mirrors that copy it and check it never rewrites its past, and receipt checks.

Both trust nothing the board says without a proof: every new signed head must verify under the board's key and be
consistent (RFC 9162 consistency proof) with the last head seen; a mirror also recomputes the Merkle root from the
entries it copied. A fork or a rewritten past is reported with both signed heads as evidence.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from plebiscite.ballot.model import BallotError, tracking_code_of
from plebiscite.board import mirror_witnesses, witnessing
from plebiscite.canonical import hex_bytes
from plebiscite.coercion import events as cev  # its event types: the mirror and receipts read them
from plebiscite.coercion.ballot import cr_tracking_code_of
from plebiscite.merkle.compact import CompactRange
from plebiscite.merkle.cosign import split_served_head
from plebiscite.merkle.heads import (
    ForkDetected,
    ForkEvidence,
    SignedTreeHead,
    TreeHeadError,
    log_id_for,
    verify_heads_consistent,
    verify_tree_head,
)
from plebiscite.merkle.tree import leaf_hash, verify_inclusion
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.events import canonical_json

ENTRIES_PAGE = 1000  # the board's largest page of entries


class BoardClientError(ValueError):
    """The board could not be reached or answered something malformed."""


def get_json(client: httpx.Client, path: str, **params: Any) -> Any:
    """GET ``path`` as JSON; an unreachable board or a non-200 answer is a :class:`BoardClientError`."""
    try:
        response = client.get(path, params=params)
    except httpx.HTTPError as exc:
        raise BoardClientError(f"board unreachable: {exc}") from None
    if response.status_code != 200:
        raise BoardClientError(f"GET {path}: {response.status_code} {response.text[:200]}")
    return response.json()


def served_entries(client: httpx.Client, start: int, size: int) -> Iterator[tuple[int, bytes, ev.Event]]:
    """The board's entries ``[start, size)``, a page at a time: index, leaf bytes and the parsed event. A board that
    serves fewer than it signed, or a malformed entry, is a :class:`BoardClientError`. The caller checks the leaves
    against the signed root before keeping anything."""
    index = start
    while index < size:
        page = get_json(client, "/api/board/entries", start=index, limit=ENTRIES_PAGE)
        if not isinstance(page, list) or not page:
            raise BoardClientError(f"the board signed size {size} but serves only {index} entries")
        for item in page[: size - index]:
            try:
                raw = item["leaf"].encode()
                event = store.parse_event(index, raw, f"board entry {index}")
            except (KeyError, TypeError, AttributeError, store.RecordError) as exc:
                raise BoardClientError(f"board entry {index}: malformed ({exc})") from None
            yield index, raw, event
            index += 1


def check_extends(client: httpx.Client, key: bytes, old: SignedTreeHead, new: SignedTreeHead) -> None:
    """Raise ForkDetected (with both signed heads as evidence) unless ``new`` is a signed extension of ``old``.

    Both heads are checked under ``key`` first: heads of two different logs are no evidence of a fork (a head kept
    from another board, or a board whose key changed, is a :class:`TreeHeadError`)."""
    verify_tree_head(old, key)
    verify_tree_head(new, key)
    if new.tree_size < old.tree_size:
        raise ForkDetected(
            ForkEvidence(first=old, second=new, proof=[], reason="the board's latest head shrank")
        )
    proof: list[bytes] = []
    if new.tree_size > old.tree_size:
        raw = get_json(client, "/api/board/consistency", first=old.tree_size, second=new.tree_size)["proof"]
        try:
            proof = [hex_bytes(h, 32, "consistency proof") for h in raw]
        except (TypeError, ValueError):
            raise BoardClientError("consistency proof: not a list of hex hashes") from None
    verify_heads_consistent(old, new, proof, key)


@dataclass
class MirrorResult:
    copied: int
    size: int
    head: SignedTreeHead
    witnessed: mirror_witnesses.MirrorWitnessing


def mirror(url: str, target: Path, timeout: float = 30.0, board_key: str | None = None) -> MirrorResult:
    """Copy new entries of the board at ``url`` into the record directory ``target`` and check the new head.

    Streamed both ways, so a national record mirrors in bounded memory: the local copy is read a line at a time
    (every line parsed, its leaf hash folded into a compact Merkle range), and the new entries are fetched a page at
    a time into ``events.jsonl.incoming``, which is appended to ``events.jsonl`` only once they hash to the root
    the board signed; ``heads.jsonl`` is written last. Lines beyond the last kept head are what an interrupted
    run appended before writing its head: they are dropped and fetched again.

    ``board_key`` (hex, the key the organiser published): a board serving another key is refused before anything is
    written, on the first run too; later runs are pinned to the key ``target`` holds in any case.
    """
    with httpx.Client(base_url=url, timeout=timeout) as client:
        key_hex = get_json(client, "/api/board/key")["public_key"]
        key = hex_bytes(key_hex, 32, "board key")
        if board_key is not None and key.hex() != board_key.lower():
            raise BoardClientError(
                f"the board at {url} signs with key {key_hex}, not the expected {board_key}"
            )
        exists = (target / store.EVENTS_FILE).exists()
        heads = store.read_heads(target) if exists else []
        known_key = store.read_board_key(target) if exists else None
        if known_key is not None and known_key != key_hex:
            raise BoardClientError(
                f"{target}: its heads are signed by {known_key}, not by this board's key {key_hex}: not a mirror "
                "of it (or the board's key changed)"
            )
        old = SignedTreeHead.from_dict(heads[-1]) if heads else None
        if old is not None and old.log_id != log_id_for(key):
            raise BoardClientError(
                f"{target}: its heads are of log {old.log_id}, not of this board's log {log_id_for(key)} (key "
                f"{key_hex}): not a mirror of it (or the board's key changed)"
            )
        new, new_cosigs = split_served_head(get_json(client, "/api/board/head"))
        if new.log_id != log_id_for(key):
            raise TreeHeadError("the head's log_id is not the board key's")
        if old is not None:
            try:
                check_extends(client, key, old, new)
            except ForkDetected as exc:
                on_old = mirror_witnesses.saved(target).get(old.tree_size, [])
                raise witnessing.ForkWithCosignatures(exc.evidence, on_old, new_cosigs) from None
        else:
            verify_tree_head(new, key)
        frontier, kept = _local_copy(target, old)
        if old is not None and frontier.root() != old.root:
            raise BoardClientError(
                "the mirror's own copy does not match its last head; it was modified locally"
            )
        incoming = target / (store.EVENTS_FILE + ".incoming")
        target.mkdir(parents=True, exist_ok=True)
        fresh = 0
        with open(incoming, "wb") as out:
            for _index, leaf, _event in served_entries(client, kept, new.tree_size):
                frontier.append(leaf_hash(leaf))
                out.write(leaf + b"\n")
                fresh += 1
        issued, issued_cosigs = _issued_heads(client, key, old, new)
        if frontier.root() != new.root:
            incoming.unlink()
            raise BoardClientError(
                f"the entries served do not hash to the root the board signed for size {new.tree_size}"
            )
        store.append_file(target, incoming)
        store.write_extras(target, [*heads, *(h.model_dump() for h in issued)], key_hex)
        mine = {h.tree_size: h for h in issued}
        for head in heads:
            mine.setdefault(head["tree_size"], SignedTreeHead.from_dict(head))
        witnessed = mirror_witnesses.check(
            client, key, target, mine, new, issued_cosigs | {new.tree_size: new_cosigs}
        )
        return MirrorResult(fresh, new.tree_size, new, witnessed)


def _local_copy(target: Path, old: SignedTreeHead | None) -> tuple[CompactRange, int]:
    """The local copy's Merkle range over the lines its last head covers, read a line at a time; whatever follows
    them (what an interrupted run appended, whole lines or part of one) is cut off."""
    frontier = CompactRange()
    events = target / store.EVENTS_FILE
    if not events.exists():
        store.create(target)
        return frontier, 0
    if old is None:
        if events.stat().st_size:  # never cut a record this mirror did not write
            raise BoardClientError(
                f"{target}: holds events but no signed head of this board: not a mirror of it (if a first "
                "mirror run was interrupted, remove the directory and mirror again)"
            )
        return frontier, 0
    wanted = old.tree_size
    with open(events, "rb") as f:
        for index in range(wanted):
            line = f.readline()
            if not line.endswith(b"\n"):
                break  # shorter than its head: the root comparison below reports it
            store.parse_event(index, line[:-1], f"{events} line {index + 1}")
            frontier.append(leaf_hash(line[:-1]))
        end = f.tell()
    if end < events.stat().st_size:
        store.truncate_events(target, end)
    return frontier, frontier.size


def _issued_heads(
    client: httpx.Client, key: bytes, old: SignedTreeHead | None, new: SignedTreeHead
) -> tuple[list[SignedTreeHead], dict[int, list[object]]]:
    """Every head the board issued since our last one (receipts refer to them), each verified, and the witnesses'
    cosignatures served with them (checked by the caller)."""
    issued: list[SignedTreeHead] = []
    cosigs: dict[int, list[object]] = {}
    next_size = (old.tree_size + 1) if old else 0
    while True:
        page = [
            split_served_head(r) for r in get_json(client, "/api/board/heads", min_size=next_size, limit=1000)
        ]
        for sth, served in page:
            if sth.tree_size <= new.tree_size:
                verify_tree_head(sth, key)
                issued.append(sth)
                if served:
                    cosigs[sth.tree_size] = served
        if len(page) < 1000 or page[-1][0].tree_size >= new.tree_size:
            break
        next_size = page[-1][0].tree_size + 1
    if not issued or issued[-1] != new:
        issued.append(new)
    return issued, cosigs


def check_receipt(receipt: dict[str, Any], url: str, timeout: float = 30.0) -> dict[str, Any]:
    """Prove the receipt's ballot is (still) in the board's log, and say whether witnesses cosigned it; raises on
    any failure (:class:`ForkDetected` — with the witnesses' cosignatures when known — on a fork).

    The receipt is bound to its ballot: the tracking code it names must be the one recomputed from the ballot in
    the leaf it proves (a genuine receipt for one ballot with another ballot's code put in is refused). The leaf
    is a standard ``ballot`` or a coercion-resistant ``cr-ballot`` event. ``plebiscite-receipt/1`` and ``/2``
    receipts are read; the result's ``witnessed`` says "witnessed", "not yet witnessed" or "not run" (an election
    without witnesses), and ``witnessed_block`` is what a ``/2`` receipt stores (docs/board.md §4).
    """
    if receipt.get("format", witnessing.RECEIPT_V1) not in (witnessing.RECEIPT_V1, witnessing.RECEIPT_V2):
        raise BoardClientError(f"receipt.format: {receipt.get('format')!r} is not a plebiscite receipt")
    try:
        key = hex_bytes(receipt["board_key"], 32, "receipt.board_key")
        head = SignedTreeHead.from_dict(receipt["tree_head"])
        leaf = hex_bytes(receipt["leaf"], None, "receipt.leaf")
        index = receipt["index"]
        proof = [hex_bytes(h, 32, "receipt.inclusion_proof") for h in receipt["inclusion_proof"]]
        code = receipt["tracking_code"]
    except (KeyError, TypeError, ValueError) as exc:
        raise BoardClientError(f"receipt: missing or malformed field ({exc})") from None
    verify_tree_head(head, key)
    verify_inclusion(leaf_hash(leaf), index, head.tree_size, proof, head.root)
    if code != ballot_code_of_leaf(leaf):
        raise BoardClientError("receipt: its tracking code is not that of the ballot it proves")
    with httpx.Client(base_url=url, timeout=timeout) as client:
        if get_json(client, "/api/board/key")["public_key"] != receipt["board_key"]:
            raise BoardClientError("receipt: the board's key is not the one that signed the receipt")
        latest, latest_cosigs = split_served_head(get_json(client, "/api/board/head"))
        try:
            check_extends(client, key, head, latest)
        except ForkDetected as exc:
            raise witnessing.ForkWithCosignatures(exc.evidence, [], latest_cosigs) from None
        now = get_json(client, "/api/board/inclusion", index=index, size=latest.tree_size)
        try:
            now_leaf = hex_bytes(now["leaf"], None, "inclusion.leaf")
            now_proof = [hex_bytes(h, 32, "inclusion.proof") for h in now["proof"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise BoardClientError(f"board: malformed inclusion answer ({exc})") from None
        if now_leaf != leaf:
            raise BoardClientError("receipt: the board now holds something else at this index")
        verify_inclusion(leaf_hash(leaf), index, latest.tree_size, now_proof, latest.root)
        try:
            status = witnessing.witness_receipt(client, key, receipt, head, latest, latest_cosigs)
        except witnessing.WitnessingError as exc:
            raise BoardClientError(str(exc)) from None
    return {
        "tracking_code": receipt.get("tracking_code"),
        "index": index,
        "receipt_size": head.tree_size,
        "board_size": latest.tree_size,
        "ok": True,
        "witnessed": status.to_json(),
        "witnessed_text": status.text,
        "witnessed_block": status.block,
    }


def ballot_code_of_leaf(leaf: bytes) -> str:
    """The tracking code of the ballot event (either mode's) whose canonical bytes are ``leaf``; refuses any other
    leaf."""
    try:
        event = store.parse_event(0, leaf, "receipt.leaf")
    except store.RecordError as exc:
        raise BoardClientError(str(exc)) from None
    code_of = {ev.BALLOT: tracking_code_of, cev.BALLOT: cr_tracking_code_of}.get(event.type)
    if code_of is None:
        raise BoardClientError("receipt: the leaf is not a ballot")
    try:
        return code_of(event.payload)
    except BallotError as exc:
        raise BoardClientError(f"receipt: the ballot in the leaf cannot be read ({exc})") from None


def save_evidence(directory: Path, evidence: ForkEvidence, extra: dict[str, Any] | None = None) -> Path:
    """Write ``evidence`` into ``directory`` under a new name and return it; earlier evidence is never overwritten.

    ``extra`` adds fields beside the :class:`ForkEvidence` ones: ``cosignatures`` (the witnesses' cosignatures on
    ``first`` and ``second``), ``witness`` (a witness's own last cosigned head), docs/board.md §4.

    The name is ``fork-evidence-<UTC time>-<first 16 hex of the SHA-256 of the content>.json``; the file is created
    exclusively (``O_EXCL``), so a second fork, or a second run, adds a file (``-2``, ``-3``… if the name is taken).
    The same evidence seen again (a witness or mirror run every few seconds against the same fork) is kept once:
    an existing file with the same content is returned instead.
    """
    data = canonical_json({**json.loads(evidence.to_json()), **(extra or {})}) + b"\n"
    digest = hashlib.sha256(data).hexdigest()[:16]
    directory.mkdir(parents=True, exist_ok=True)
    for existing in sorted(directory.glob(f"fork-evidence-*-{digest}*.json")):
        if existing.read_bytes() == data:
            return existing
    stem = f"fork-evidence-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{digest}"
    for attempt in range(1, 1000):
        path = directory / (stem + ("" if attempt == 1 else f"-{attempt}") + ".json")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if path.read_bytes() == data:
                return path
            continue
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return path
    raise OSError(f"{directory}: no free name for fork evidence {stem}")
