"""Many clients casting at once: nothing lost, no index given twice, every receipt verifies, and a ballot sent
twice (even by two clients at the same moment) gets one entry and the same receipt index."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from plebiscite.board.client import check_receipt
from plebiscite.merkle import SignedTreeHead

from .conftest import BOARD_KEY, Ballot, LiveService, check_consistent, verify_receipt_locally

KEY = BOARD_KEY.verify_key.encode()
THREADS = 50
DISTINCT = 300
TWICE = 60  # the first TWICE ballots are sent twice, back to back (so usually at the same time)
LATE = 20  # and these are sent a third time after everything else


def test_fifty_clients_cast_three_hundred_ballots(service: LiveService, yesno_ballots: list[Ballot]) -> None:
    service.open()
    base = service.size()
    ballots = yesno_ballots[:DISTINCT]
    jobs = [b for b in ballots[:TWICE] for _ in range(2)] + ballots[TWICE:]
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()

    def cast(ballot: Ballot) -> tuple[Ballot, int, Any]:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=service.url, timeout=120)
            with lock:
                clients.append(local.client)
        r = local.client.post("/api/ballots", json=ballot.json)
        return ballot, r.status_code, r.json()

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(cast, jobs))
            late = list(pool.map(cast, random.Random(5).sample(ballots, LATE)))
    finally:
        for c in clients:
            c.close()

    failures = [(b.tracking_code, status, body) for b, status, body in results + late if status != 200]
    assert not failures, failures[:5]
    by_code: dict[str, set[int]] = defaultdict(set)
    receipts: dict[str, dict[str, Any]] = {}
    for ballot, _, receipt in results + late:
        assert receipt["tracking_code"] == ballot.tracking_code
        by_code[ballot.tracking_code].add(receipt["index"])
        receipts.setdefault(ballot.tracking_code, receipt)
    assert all(len(indexes) == 1 for indexes in by_code.values()), "a ballot sent twice got two indexes"
    indexes = sorted(i for (i,) in by_code.values())
    assert indexes == list(range(base, base + DISTINCT)), "lost, duplicated or out-of-range indexes"
    assert service.size() == base + DISTINCT

    client = service.client()
    entries = client.get("/api/board/entries", params={"start": base, "limit": 1000}).json()
    assert [e["index"] for e in entries] == list(range(base, base + DISTINCT))
    leaves = {r["index"]: bytes.fromhex(r["leaf"]).decode() for r in receipts.values()}
    assert all(e["type"] == "ballot" and e["leaf"] == leaves[e["index"]] for e in entries)

    latest = SignedTreeHead.from_dict(client.get("/api/board/head").json())
    assert latest.tree_size == base + DISTINCT
    heads = {}
    for receipt in receipts.values():
        head = verify_receipt_locally(receipt, KEY)
        assert head.tree_size > receipt["index"]
        heads[head.tree_size] = head
    assert len(heads) < DISTINCT, "expected heads to be shared between receipts"
    for head in heads.values():  # every head handed out is a prefix of the final log
        check_consistent(client, KEY, head, latest)
    for receipt in random.Random(6).sample(list(receipts.values()), 25):
        assert check_receipt(receipt, service.url)["ok"] is True
    assert service.election.board.check_integrity() == []
