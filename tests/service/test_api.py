"""The voting service end to end over HTTP, on SQLite and PostgreSQL: receipts, idempotency, phases, a whole
election through to a verified result."""

from __future__ import annotations

import io
import random
import shutil
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from plebiscite.board.client import BoardClientError, check_receipt, mirror
from plebiscite.decrypt.partial import partial_decrypt
from plebiscite.demo import expected_counts
from plebiscite.hazmat import group as G
from plebiscite.merkle import SignedTreeHead, leaf_hash, verify_inclusion
from plebiscite.record import store
from plebiscite.tally.aggregate import parse_aggregate
from plebiscite.verify.runner import verify_record

from .conftest import (
    ADMIN,
    BOARD_KEY,
    Ballot,
    LiveService,
    Setup,
    check_consistent,
    live_service,
    verify_receipt_locally,
)

KEY = BOARD_KEY.verify_key.encode()


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, f"{response.request.url}: {response.status_code} {response.text}"
    return response.json()


def post_partials(client: httpx.Client, setup: Setup, trustees: list[int]) -> None:
    """The given trustees fetch the tally from the board and post their signed partial decryptions."""
    entries = ok(client.get("/api/board/entries", params={"start": 0, "limit": 1000}))
    tally = next(
        store.parse_event(e["index"], e["leaf"].encode(), "e").payload
        for e in entries
        if '"tally"' in e["leaf"]
    )
    totals = parse_aggregate(tally["aggregate"], [lay.width for lay in setup.ctx.layouts])
    for index in trustees:
        t = setup.trustees[index - 1]
        assert t.share is not None
        payload = partial_decrypt(t.index, t.share, totals, setup.ctx.fingerprint, t.signing_key)
        answer = ok(client.post("/api/trustee/partial-decryption", json=payload))
        assert answer["trustee"] == index and answer["accepted"] is True


def test_cast_returns_a_receipt_that_proves_inclusion(
    service: LiveService, yesno_ballots: list[Ballot]
) -> None:
    service.open()
    client = service.client()
    before = service.size()
    ballot = yesno_ballots[0]
    receipt = ok(client.post("/api/ballots", json=ballot.json))
    assert set(receipt) == {
        "format",
        "tracking_code",
        "index",
        "leaf",
        "tree_head",
        "inclusion_proof",
        "board_key",
    }
    assert receipt["tracking_code"] == ballot.tracking_code
    assert receipt["index"] == before
    assert receipt["board_key"] == KEY.hex() == ok(client.get("/api/board/key"))["public_key"]
    head = verify_receipt_locally(receipt, KEY)
    assert head.tree_size == before + 1
    assert store.parse_event(0, bytes.fromhex(receipt["leaf"]), "leaf").payload == ballot.json
    assert service.size() == before + 1
    # the board agrees, looked up by tracking code and by index
    found = ok(client.get("/api/board/inclusion", params={"tracking_code": ballot.tracking_code}))
    assert (found["index"], found["leaf"]) == (receipt["index"], receipt["leaf"])
    entry = ok(client.get("/api/board/entries", params={"start": receipt["index"], "limit": 1}))
    assert entry == [
        {"index": receipt["index"], "type": "ballot", "leaf": bytes.fromhex(receipt["leaf"]).decode()}
    ]
    assert check_receipt(receipt, service.url)["ok"] is True
    # a genuine receipt with another ballot's tracking code put in proves nothing about that ballot (issue 19)
    other = ok(client.post("/api/ballots", json=yesno_ballots[1].json))
    swapped = {**receipt, "tracking_code": other["tracking_code"]}
    with pytest.raises(BoardClientError, match="tracking code is not that of the ballot it proves"):
        check_receipt(swapped, service.url)
    # latest head covers it and is consistent with the receipt's
    latest = SignedTreeHead.from_dict(ok(client.get("/api/board/head")))
    check_consistent(client, KEY, head, latest)


def test_casting_the_same_ballot_again_returns_the_same_receipt_index(
    service: LiveService, yesno_ballots: list[Ballot]
) -> None:
    service.open()
    client = service.client()
    first = ok(client.post("/api/ballots", json=yesno_ballots[1].json))
    ok(client.post("/api/ballots", json=yesno_ballots[2].json))
    size = service.size()
    again = ok(client.post("/api/ballots", json=yesno_ballots[1].json))
    assert again["index"] == first["index"]
    assert again["tracking_code"] == first["tracking_code"]
    assert again["leaf"] == first["leaf"]
    verify_receipt_locally(again, KEY)
    # hex has one spelling (protocol.md §1): the same ballot in upper case is refused, naming the field
    shouted = {**yesno_ballots[1].json, "signature": yesno_ballots[1].json["signature"].upper()}
    refused = client.post("/api/ballots", json=shouted)
    assert refused.status_code == 422 and "ballot.signature" in refused.json()["detail"], refused.text
    # nor does the signature have a second valid form anyone could make without the credential (protocol.md §7.1):
    # with one, an old ballot could be cast again after a revote, under a new tracking code
    sig = bytes.fromhex(yesno_ballots[1].json["signature"])
    s_plus_l = (int.from_bytes(sig[32:], "little") + G.ORDER).to_bytes(32, "little")
    r_bit_255 = sig[:31] + bytes([sig[31] | 0x80])
    for other, reason in (
        (sig[:32] + s_plus_l, "s is not a canonical scalar"),
        (r_bit_255 + sig[32:], "R is not"),
    ):
        resigned = client.post("/api/ballots", json={**yesno_ballots[1].json, "signature": other.hex()})
        assert resigned.status_code == 422, resigned.text
        assert resigned.json()["detail"].startswith(f"ballot.signature: {reason}"), resigned.text
    assert service.size() == size


def test_phases_are_enforced_over_http(service: LiveService, yesno_ballots: list[Ballot]) -> None:
    client = service.client()
    size = service.size()
    assert ok(client.get("/api/election"))["phase"] == "setup"
    r = client.post("/api/ballots", json=yesno_ballots[0].json)
    assert r.status_code == 409 and "phase" in r.json()["detail"]
    for step in ("close", "tally", "result"):
        assert client.post(f"/api/admin/{step}", headers=ADMIN).status_code == 409
    assert service.size() == size
    service.open()
    assert client.post("/api/admin/open", headers=ADMIN).status_code == 409  # only once
    ok(client.post("/api/ballots", json=yesno_ballots[0].json))
    assert client.post("/api/admin/tally", headers=ADMIN).status_code == 409  # not closed yet
    assert ok(client.post("/api/admin/close", headers=ADMIN)) == {"phase": "closed"}
    size = service.size()
    r = client.post("/api/ballots", json=yesno_ballots[1].json)
    assert r.status_code == 409, r.text  # no ballot after the close event
    assert client.get("/api/result").status_code == 404
    assert ok(client.post("/api/admin/tally", headers=ADMIN)) == {"phase": "tallied", "counted": 1}
    assert client.post("/api/admin/result", headers=ADMIN).status_code == 409  # no partial decryption yet
    assert service.size() == size + 1


def test_public_reads(service: LiveService) -> None:
    client = service.client()
    info = ok(client.get("/api/election"))
    assert info["manifest"]["manifest"]["election_id"] == "service-yesno"
    assert info["election"] is None
    roll = ok(client.get("/api/roll"))["credentials"]
    assert roll == sorted(c.public_key.hex() for c in service.setup.credentials)
    size = service.size()
    head = SignedTreeHead.from_dict(ok(client.get("/api/board/head")))
    assert head.tree_size == size
    heads = [SignedTreeHead.from_dict(h) for h in ok(client.get("/api/board/heads"))]
    assert heads[-1] == head
    entries = ok(client.get("/api/board/entries", params={"start": 0, "limit": 1000}))
    assert [e["index"] for e in entries] == list(range(size))
    assert [e["type"] for e in entries][:1] == ["manifest"]
    for index in (0, size // 2, size - 1):
        proof = ok(client.get("/api/board/inclusion", params={"index": index}))
        verify_inclusion(
            leaf_hash(bytes.fromhex(proof["leaf"])),
            index,
            proof["tree_size"],
            [bytes.fromhex(h) for h in proof["proof"]],
            SignedTreeHead.from_dict(proof["tree_head"]).root,
        )
        assert bytes.fromhex(proof["leaf"]).decode() == entries[index]["leaf"]
    zipped = client.get("/api/record.zip")
    assert zipped.status_code == 200 and zipped.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as z:
        assert len(z.read(store.EVENTS_FILE).splitlines()) == size
    assert client.get("/openapi.json").status_code == 200


def test_a_whole_election_over_http_verifies(
    backend: str, db_url: str, full_setup: Setup, tmp_path: Path
) -> None:
    """Open, cast (with revotes), challenge, close, tally, two of three trustees decrypt, result; a mirror of the
    board verifies in full, the result is what the voters chose, and every receipt still checks."""
    rng = random.Random(99)
    setup = full_setup
    with live_service(db_url, setup, check_workers=1 if backend == "sqlite" else 0) as svc:
        client = svc.client()
        svc.open()
        finals: dict[int, dict[str, list[str]]] = {}
        receipts = []
        for voter in range(len(setup.credentials)):
            if voter == 3:  # this voter audits the device first
                audit = setup.ballot(voter, rng)
                shown = ok(
                    client.post("/api/challenges", json={"ballot": audit.json, "opening": audit.opening})
                )
                assert shown["tracking_code"] == audit.tracking_code
                assert {q: sorted(v) for q, v in shown["choices"].items()} == {
                    q: sorted(v) for q, v in audit.selection.items()
                }
                r = client.post("/api/ballots", json=audit.json)
                assert r.status_code == 422 and "challenged" in r.json()["detail"]
            for _ in range(2 if voter in (1, 5) else 1):  # voters 1 and 5 change their minds
                ballot = setup.ballot(voter, rng)
                receipts.append(ok(client.post("/api/ballots", json=ballot.json)))
                finals[voter] = ballot.selection
        r = client.post("/api/challenges", json={"ballot": ballot.json, "opening": ballot.opening})
        assert r.status_code == 422 and "already cast" in r.json()["detail"]
        ok(client.post("/api/admin/close", headers=ADMIN))
        assert ok(client.post("/api/admin/tally", headers=ADMIN))["counted"] == len(setup.credentials)
        post_partials(client, setup, [2, 3])
        result = ok(client.post("/api/admin/result", headers=ADMIN))
        assert ok(client.get("/api/result")) == result
        assert result["questions"] == expected_counts(setup.manifest, [finals[v] for v in sorted(finals)])
        copy = tmp_path / "mirror"
        mirrored = mirror(svc.url, copy)
        assert mirrored.size == svc.size()
        report = verify_record(copy, workers=1)
        assert report.ok, [(c.name, c.failures) for c in report.checks if not c.ok]
        assert all(c.ran for c in report.checks), [c.name for c in report.checks if not c.ran]
        for receipt in receipts:
            assert check_receipt(receipt, svc.url)["ok"] is True
        # the zip export verifies the same way
        (tmp_path / "record.zip").write_bytes(client.get("/api/record.zip").content)
        assert verify_record(tmp_path / "record.zip", workers=1).ok


@pytest.mark.parametrize("when", ["setup", "voting"])
def test_import_is_checked_against_what_the_board_holds(
    db_url: str, yesno_setup: Setup, full_setup: Setup, when: str
) -> None:
    """Restarting with the same prepared record works at any phase; another election's record is refused."""
    from plebiscite.board.setup import open_election
    from plebiscite.record.store import RecordError

    with live_service(db_url, yesno_setup) as svc:
        if when == "voting":
            svc.open()
    election = open_election(db_url, BOARD_KEY, yesno_setup.path)
    election.close()
    with pytest.raises(RecordError, match="does not match"):
        open_election(db_url, BOARD_KEY, full_setup.path)


def test_mirror_streams_and_resumes_after_an_interrupted_run(
    service: LiveService, yesno_ballots: list[Ballot], tmp_path: Path
) -> None:
    """A mirror appends to its copy; lines beyond its last head (a run killed after appending, before writing the
    head) are cut off and fetched again; a line changed under its head is refused."""
    service.open()
    client = service.client()
    for ballot in yesno_ballots[:2]:
        ok(client.post("/api/ballots", json=ballot.json))
    copy = tmp_path / "mirror"
    first = mirror(service.url, copy)
    events = copy / store.EVENTS_FILE
    lines = events.read_bytes().splitlines(keepends=True)
    assert len(lines) == first.size
    with open(
        events, "ab"
    ) as f:  # an interrupted run: entries appended (the last one in part), no head for them
        f.write(lines[-1] + lines[-1][:40])
    ok(client.post("/api/ballots", json=yesno_ballots[2].json))
    second = mirror(service.url, copy)
    assert second.size == service.size() == first.size + 1 and second.copied == 1
    assert len(events.read_bytes().splitlines()) == second.size
    assert not (copy / (store.EVENTS_FILE + ".incoming")).exists()
    assert verify_record(copy, workers=1).by_name("board heads").failure_count == 0
    events.write_bytes(events.read_bytes().replace(b'"q1"', b'"q9"', 1))  # a line changed under the head
    with pytest.raises(BoardClientError, match="modified locally"):
        mirror(service.url, copy)


def test_mirror_never_cuts_a_record_it_did_not_write(
    service: LiveService, yesno_setup: Setup, tmp_path: Path
) -> None:
    """Pointed at a record directory with events and no signed head of the board (here: the prepared setup
    record), mirror refuses and leaves it as it was."""
    record = tmp_path / "record"
    shutil.copytree(yesno_setup.path, record)
    before = (record / store.EVENTS_FILE).read_bytes()
    with pytest.raises(BoardClientError, match="not a mirror of it"):
        mirror(service.url, record)
    assert (record / store.EVENTS_FILE).read_bytes() == before
