"""A trustee's rows computed on its own machine while voting runs (`plebiscite trustee ahead`, docs/native.md §7.8).

Over the live service: the tally set's trustees compute their rows during voting (one by the CLI), more ballots
(a revote, a late voter) arrive after, a kept segment is damaged; the tally takes the kept rows, computes the
missing ones, posts steps the board accepts, and the record verifies with the right count. Each step made from kept
rows is byte for byte the step made without them from the same randomness. The store refuses every damaged file.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from plebiscite.board.client import mirror
from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.service import create_app
from plebiscite.board.trustee_client import TrusteeBoard
from plebiscite.cli.main import app
from plebiscite.coercion import ahead, remote, rows_store, turns
from plebiscite.coercion import batchproof as bp
from plebiscite.coercion import events as cev
from plebiscite.coercion.ballot import encrypt_ballot
from plebiscite.coercion.demo import coercer_choice
from plebiscite.coercion.parallel import Workers
from plebiscite.decrypt.remote import decrypt
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import remote as kc_remote
from plebiscite.record import events as ev
from plebiscite.verify.runner import verify_record
from tests.native.test_cr_prover import _same_randomness
from tests.service.conftest import ADMIN, TOKEN
from tests.service.test_cr_tally_http import in_turns, new_board, open_with_roll

PW = "pw"


def _quiet(_m: str) -> None:
    pass


# --- the store ---------------------------------------------------------------------------------------------------


def _rows(n: int, seed: int) -> rows_store.Rows:
    return {
        G.mul_base(seed * 1000 + i + 1) + G.mul_base(seed * 1000 + i + 2): (
            G.mul_base(i + 3),
            G.mul_base(i + 4),
        )
        for i in range(n)
    }


def test_store_keeps_rows_and_refuses_every_damaged_file(tmp_path: Path) -> None:
    said: list[str] = []
    store = rows_store.RowStore(tmp_path / "cr-rows", b"\x01" * 32, said.append)
    w = store.exponent_id("fold", (5,))
    first, second = _rows(3, 1), _rows(4, 2)
    store.append("fold", w, first)
    store.append("fold", w, second)
    store.append("fold", w, {})  # nothing: no segment
    assert store.load("fold", w) == first | second and not said
    assert not list((tmp_path / "cr-rows").glob(".*"))  # no temporary file left
    assert store.load("dedup", store.exponent_id("dedup", (5, 6))) == {}  # another kind: its own segments
    segments = sorted((tmp_path / "cr-rows").glob("fold-*.rows"))
    assert len(segments) == 2
    for damage in (
        lambda b: b[:-1],  # truncated (a partial write)
        lambda b: b[:40] + bytes([b[40] ^ 1]) + b[41:],  # one bit flipped
        lambda b: b"",  # empty
    ):
        store.append("fold", w, second)
        last = sorted((tmp_path / "cr-rows").glob("fold-*.rows"))[-1]
        last.write_bytes(damage(last.read_bytes()))
        said.clear()
        assert store.load("fold", w) == first | second  # the damaged one's rows: missing, not trusted
        assert said and "does not authenticate" in said[0] and not last.exists()
    other = rows_store.RowStore(tmp_path / "cr-rows", b"\x02" * 32, said.append)  # not this trustee's key
    said.clear()
    assert other.load("fold", other.exponent_id("fold", (5,))) == {} and len(said) == 2
    store.append("fold", w, first)
    said.clear()
    assert store.load("fold", store.exponent_id("fold", (6,))) == {}  # another exponent: not used
    assert "another exponent" in said[0]


def test_store_merges_many_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rows_store, "COMPACT_AFTER", 3)
    store = rows_store.RowStore(tmp_path / "cr-rows", b"\x03" * 32)
    w = store.exponent_id("dedup", (1, 2))
    everything: rows_store.Rows = {}
    for n in range(5):
        rows = _rows(2, n)
        everything |= rows
        store.append("dedup", w, rows)
        assert len(list((tmp_path / "cr-rows").glob("dedup-*.rows"))) <= 3
    assert store.load("dedup", w) == everything


# --- over the live service ---------------------------------------------------------------------------------------


@pytest.mark.timeout(600)
def test_rows_ahead_over_the_board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    homes, manifest, election, key = new_board(tmp_path, "cr-ahead")
    (tmp_path / "pw").write_text(PW + "\n")
    try:
        with LoopbackServer(create_app(election, TOKEN), free_port()) as server:
            url = server.url

            def step(i: int) -> kc_remote.Step:
                board = TrusteeBoard(url, homes[i - 1] / "mirror", key)
                return kc_remote.Step(board, homes[i - 1] / "vault.json", PW, _quiet)

            def admin(path: str, body: Any = None) -> None:
                r = httpx.post(f"{url}/api/admin/{path}", json=body, headers=ADMIN, timeout=120)
                assert r.status_code == 200, r.text

            info, voters, creds = open_with_roll(
                url, key, homes, tmp_path / "registrar", manifest.election_id
            )
            ctx = election.conduct.context
            q = manifest.questions[0].id

            def cast(credential: Any, choice: dict[str, list[str]]) -> None:
                ballot = encrypt_ballot(ctx, credential, choice)[0]
                assert httpx.post(f"{url}/api/ballots", json=ballot.to_json(), timeout=60).status_code == 200

            with pytest.raises(remote.TrusteeBoardError, match="precomputation is not complete"):
                ahead.run_ahead(step(2), until_close=False, workers=1)
            admin("precompute", {"trustees": [2, 3]})
            in_turns([step(2), step(3)], "precompute")
            cast(
                creds[0].fake(voters[0], info.election_key, info.mac_key, info.ceremony),
                coercer_choice(manifest),
            )
            cast(creds[1], {q: ["no"]})
            cast(creds[2], {q: ["no"]})  # voter 2 changes its mind below: this ballot is superseded
            args = ["--board", url, "--board-key", key, "--passphrase-file", str(tmp_path / "pw")]
            home2 = ["--vault", str(homes[1] / "vault.json"), "--mirror", str(homes[1] / "mirror")]
            out = CliRunner().invoke(app, ["trustee", "ahead", *home2, *args, "--once", "--workers", "1"])
            assert out.exit_code == 0, out.output
            assert "rows kept for 3 of 3 ballots" in out.output
            first = ahead.run_ahead(step(3), until_close=False, workers=1)
            assert (first.kept, first.computed, first.closed) == (3, 3, False)
            cast(creds[2], {q: ["yes"]})  # the revote, after the rows were computed
            again = ahead.run_ahead(step(3), until_close=False, workers=1)
            assert (again.kept, again.computed) == (4, 1)  # only the new ballot
            rows3 = homes[2] / "mirror" / rows_store.DIRECTORY
            damaged = sorted(rows3.glob("fold-*.rows"))[-1]  # its second round's segment, damaged
            damaged.write_bytes(damaged.read_bytes()[:-7])
            cast(creds[3], {q: ["no"]})  # a voter after every round: no row kept for it
            rows2 = homes[1] / "mirror" / rows_store.DIRECTORY
            assert len(list(rows2.glob("fold-*.rows"))) == len(list(rows2.glob("dedup-*.rows"))) == 1
            assert not list(rows3.glob("dedup-*.rows"))  # the dedup pass ahead is the first trustee's only
            kept = {i: tmp_path / f"kept{i}" for i in (2, 3)}
            for i, rows in ((2, rows2), (3, rows3)):
                shutil.copytree(rows, kept[i])
            rounds: list[ahead.Round] = []
            loop = threading.Thread(
                target=ahead.run_ahead, args=(step(2), True, 1, 0.05, rounds.append), daemon=True
            )
            loop.start()  # following the board until close
            deadline = time.monotonic() + 120
            while not rounds and time.monotonic() < deadline:
                time.sleep(0.05)
            admin("close")
            loop.join(120)
            assert not loop.is_alive() and len(rounds) >= 2
            assert (rounds[0].kept, rounds[0].computed, rounds[0].closed) == (
                5,
                4,
                False,
            )  # fold + dedup, 2 new
            assert rounds[-1].closed and rounds[-1].kept == 5
            shutil.rmtree(rows2)
            shutil.copytree(kept[2], rows2)  # as before the loop: the late voter's row not kept
            admin("tally")
            with pytest.raises(remote.TrusteeBoardError, match="the tally has started"):
                ahead.run_ahead(step(2), until_close=False, workers=1)
            given: list[bool] = []
            prove = bp.prove_linear

            def spy(*a: Any) -> Any:
                given.append(len(a) == 8 and a[7] is not None)
                return prove(*a)

            monkeypatch.setattr(bp, "prove_linear", spy)
            in_turns([step(2), step(3)], "tally")
            monkeypatch.undo()
            assert election.state.phase == "tallied"
            assert sum(given) >= 3  # trustee 2's first dedup pass, both fold exponents: from kept rows
            assert not rows2.exists() and not rows3.exists()  # discarded once the tally steps are posted
            for i in (2, 3):
                decrypt(step(i), workers=1)
            result = httpx.post(f"{url}/api/admin/result", headers=ADMIN, timeout=120).json()
            assert result["questions"][0]["counts"] == {"yes": 1, "no": 2}  # the revote and the late voter
            mirror(url, tmp_path / "observer")
            report = verify_record(tmp_path / "observer", workers=1)
            assert report.ok, report.failed()
            _same_bytes(step, homes, kept, monkeypatch)
    finally:
        election.close()


def _same_bytes(step: Any, homes: list[Path], kept: dict[int, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each step that took kept rows, made again at its turn from the same randomness with and without them: the
    same bytes, which the board's check accepts."""
    events = step(2).board.view().events
    targets = [(e.index, e.payload["trustee"]) for e in events if e.type in (cev.FOLD_EXP, cev.DEDUP_PASS)]
    targets = [(n, j) for n, j in targets if j in (2, 3)]
    for n, j in targets:
        if events[n].type == cev.DEDUP_PASS and j != 2:
            continue
        made = []
        for with_rows in (True, False):
            s = step(j)
            rows = s.view.mirror / rows_store.DIRECTORY
            shutil.rmtree(rows, ignore_errors=True)
            if with_rows:
                shutil.copytree(kept[j], rows)
            walk = turns.walk(events[:n], n)
            with monkeypatch.context() as m, Workers(1) as pool:
                _same_randomness(m, b"ahead")
                payload = remote._compute(pool, s, remote.tally_trustee(s, events[:n], walk), walk)
            made.append(json.dumps(payload, sort_keys=True).encode())
            assert not turns.check_candidate(events[:n], events[n].type, payload).failures
        assert made[0] == made[1], (events[n].type, j)
    assert ev.TALLY in {e.type for e in events}


def test_ctrl_c_stops_trustee_ahead_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C in `trustee ahead`: exit 130 with one line saying what is kept, no traceback."""
    from plebiscite.cli import trustee_cmd

    def interrupted(*_a: Any, **_k: Any) -> ahead.Round:
        raise KeyboardInterrupt

    monkeypatch.setattr(trustee_cmd, "_step", lambda *_a: None)
    monkeypatch.setattr(ahead, "run_ahead", interrupted)
    out = CliRunner().invoke(app, ["trustee", "ahead", "--vault", str(tmp_path / "v"), "--board", "http://x"])
    assert out.exit_code == 130, out.output
    assert "every row written so far is kept" in out.output and "Traceback" not in out.output
