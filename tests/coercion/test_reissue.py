"""Re-issuing a credential before the roll is published (docs/coercion.md §3.6, ``registrar reissue``): the entry
the old code claimed is void and never on the roll, the voter registers again with a fresh code, and the tally
counts the new credential's ballot, not the old one's. Refusals (unknown, unused, already re-issued, roll
published) are named and change nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plebiscite.cli.main import app
from plebiscite.coercion.ballot import encrypt_ballot
from plebiscite.coercion.codec import ciphertext, element
from plebiscite.coercion.conduct import CoercionConduct
from plebiscite.coercion.credentials import Registrar, VoterKey, trustee_mac_share
from plebiscite.coercion.demo import coercer_choice, coercion_manifest
from plebiscite.coercion.registrar_service import (
    REISSUE_REFUSALS,
    VOIDED,
    ElectionInfo,
    Enrolment,
    EnrolmentRefusal,
    RegistrarVault,
    ReissueRefusal,
    code_digest,
    enrol,
)
from plebiscite.coercion.tally import TallyTrustee
from plebiscite.keyceremony.trustee import Trustee


def _open() -> None:
    """The board, read under the state's lock, still holds no roll."""


def _nothing(_code: str) -> None:
    pass


def _dump(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return [row for t in ("codes", "voided") for row in db.execute(f"SELECT * FROM {t} ORDER BY 1")]


def test_the_tally_counts_the_reissued_credential_not_the_void_one(tmp_path: Path) -> None:
    manifest = coercion_manifest("reissue-test", extra_questions=False)
    trustees = [Trustee.new(i, 3, 2) for i in (1, 2, 3)]
    cc = CoercionConduct.create_record(tmp_path / "rec", manifest, [t.identity for t in trustees], 2)
    cc.run_ceremony(trustees)
    registrar = Registrar.new(2)
    mac = cc.deal_mac_key(registrar)
    cfp, eid = cc.ceremony_fingerprint, manifest.election_id
    vault = RegistrarVault(registrar, eid, cfp)
    info = ElectionInfo(eid, cfp, cc.election_key, mac.public)
    enrolment = Enrolment(tmp_path / "enrolment.db")
    codes = enrolment.add_codes(2)

    def register(code: str):  # type: ignore[no-untyped-def]
        return enrol(vault, enrolment, info, code, VoterKey.generate(eid).request(cfp))

    lost = register(codes[0])  # the answer never reached the voter (or the sheet was lost, or stolen)
    other = register(codes[1])
    fresh = enrolment.reissue(codes[0], _open, _nothing)
    with pytest.raises(EnrolmentRefusal, match="replaced by a re-issue") as refused:
        register(codes[0])  # the old code is retired for good: whoever holds it cannot register again
    assert refused.value.status == 409 and str(refused.value) == VOIDED
    new = register(fresh)

    entries = enrolment.entries()  # what `registrar publish` posts
    assert {e["voter_key"] for e in entries} == {new.voter_key.hex(), other.voter_key.hex()}
    assert lost.entry.to_json() not in [e["credential"] for e in entries]
    assert enrolment.voided_count() == 1
    with sqlite3.connect(tmp_path / "enrolment.db") as db:  # kept for audit, with the code that replaced it
        (kept,) = db.execute("SELECT voter_key, replaced_by FROM voided").fetchall()
    assert kept[0] == lost.voter_key.hex() and len(kept[1]) == 64
    enrolment.close()

    cc.register([(element(e["voter_key"], "k"), ciphertext(e["credential"], "c")) for e in entries])
    ctx = cc.open_voting()
    present, dealt = trustees[1:], cc.mac_payload
    assert dealt is not None
    tally_set = [TallyTrustee(t, trustee_mac_share(dealt, mac, t.index, t.box_secret)) for t in present]
    cc.precompute(tally_set, 1)
    question = manifest.questions[0]
    first, last = question.options[0].id, question.options[-1].id
    demand = coercer_choice(manifest)
    assert demand[question.id] == [first]
    cc.cast(encrypt_ballot(ctx, lost, demand)[0].to_json())  # the stolen/void credential votes "first"
    for credential in (new, other):
        cc.cast(encrypt_ballot(ctx, credential, {**demand, question.id: [last]})[0].to_json())
    cc.close()
    cc.tally(tally_set, 1)
    for t in present:
        cc.decrypt(t)
    result = cc.combine()
    counts = next(q for q in result["questions"] if q["id"] == question.id)["counts"]
    assert counts[first] == 0 and counts[last] == 2  # the void credential's ballot did not count


def test_refusals_are_named_and_change_nothing(tmp_path: Path) -> None:
    enrolment = Enrolment(tmp_path / "enrolment.db")
    used, unused = enrolment.add_codes(2)
    with enrolment.db:
        enrolment.db.execute(
            "UPDATE codes SET voter_key = 'aa', entry = '[]' WHERE digest = ?", (code_digest(used),)
        )
    assert (enrolment.status(used), enrolment.status(unused)) == ("used", "unused")
    before = _dump(tmp_path / "enrolment.db")
    for code, reason in (("AAAA-BBBB-CCCC-DDDD", "unknown"), (unused, "unused")):
        with pytest.raises(ReissueRefusal) as refused:
            enrolment.reissue(code, _open, _nothing)
        assert str(refused.value) == REISSUE_REFUSALS[reason]

    def roll_out() -> None:
        raise ReissueRefusal(
            "re-issue refused: registration is closed: the encrypted roll is already on the board"
        )

    with pytest.raises(ReissueRefusal, match="already on the board"):
        enrolment.reissue(used, roll_out, _nothing)
    handed: list[str] = []

    def lost_file(fresh: str) -> None:
        handed.append(fresh)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        enrolment.reissue(used, _open, lost_file)  # the new code could not be handed over: nothing changes
    assert enrolment.status(handed[0]) == "unknown"
    assert _dump(tmp_path / "enrolment.db") == before
    fresh = enrolment.reissue(used, _open, _nothing)
    with pytest.raises(ReissueRefusal) as refused:
        enrolment.reissue(used, _open, _nothing)
    assert str(refused.value) == REISSUE_REFUSALS["voided"]
    assert (enrolment.status(used), enrolment.status(fresh), enrolment.voided_count()) == (
        "voided",
        "unused",
        1,
    )
    enrolment.close()


def test_the_command_refuses_without_a_board_and_writes_nothing(tmp_path: Path) -> None:
    """`registrar reissue`: an existing --out is refused before anything else; a bad vault is a clean error."""
    (tmp_path / "new.csv").write_text("taken\n")
    base = ["registrar", "reissue", "--state", str(tmp_path / "s.db"), "--board", "http://127.0.0.1:9"]
    result = CliRunner().invoke(
        app, [*base, "--vault", str(tmp_path / "v.json"), "--out", str(tmp_path / "new.csv"), "--code", "X"]
    )
    assert result.exit_code != 0 and "already exists" in result.output
    assert not (tmp_path / "s.db").exists()


def test_the_command_on_a_served_board_before_and_after_the_roll(tmp_path: Path) -> None:
    """`registrar reissue` against the board: before the roll, the entry is void and the new code written (and
    `publish` leaves the void entry out and says so); after it, refused with its reason, nothing changed."""
    from plebiscite.board.demo_http import LoopbackServer, free_port
    from plebiscite.board.trustee_client import TrusteeBoard
    from plebiscite.coercion import registration as reg
    from plebiscite.coercion.registrar_service import load_vault, registrar_app
    from tests.service.conftest import BOARD_KEY, TOKEN

    from .conftest import served_after_ceremony

    key, home = BOARD_KEY.verify_key.encode().hex(), tmp_path / "registrar"
    said: list[str] = []
    with served_after_ceremony(tmp_path, "reissue-cli") as (url, election):
        reg.deal(TrusteeBoard(url, home / "mirror", key), home / "vault.json", "pw", TOKEN, _nothing)
        (home / "pass.txt").write_text("pw\n")
        enrolment = Enrolment(home / "enrolment.db")
        codes = enrolment.add_codes(2)
        info = reg.election_info(TrusteeBoard(url, home / "mirror", key).view())
        with LoopbackServer(
            registrar_app(load_vault(home / "vault.json", "pw"), enrolment, info), free_port()
        ) as r:
            for i, code in enumerate(codes):
                reg.register_device(
                    r.url, TrusteeBoard(url, tmp_path / f"v{i}", key), code, tmp_path / f"c{i}", _nothing
                )

        def reissue(code: str, out: str) -> tuple[int, str]:
            args = [
                "registrar",
                "reissue",
                "--vault",
                str(home / "vault.json"),
                "--state",
                str(home / "enrolment.db"),
            ]
            args += ["--board", url, "--board-key", key, "--passphrase-file", str(home / "pass.txt")]
            done = CliRunner().invoke(app, [*args, "--code", code, "--out", str(tmp_path / out)])
            return done.exit_code, done.output

        status, output = reissue(codes[0], "new.csv")
        assert status == 0, output
        fresh = (tmp_path / "new.csv").read_text().split()[1]
        assert enrolment.status(codes[0]) == "voided" and enrolment.status(fresh) == "unused"
        assert (tmp_path / "new.csv").stat().st_mode & 0o077 == 0
        assert reg.publish(url, enrolment, TOKEN, said.append) == 1
        assert "1 entries voided by re-issue were left out" in said[0]
        roll = next(e.payload for e in election.events() if e.type == "cr-roll")["entries"]
        assert [e["voter_key"] for e in roll] == [x["voter_key"] for x in enrolment.entries()]
        before = _dump(home / "enrolment.db")
        status, output = reissue(codes[1], "late.csv")
        assert status == 2 and "re-issue refused: registration is closed" in output
        assert "cannot be replaced without a change to the roll" in output
        assert not (tmp_path / "late.csv").exists() and _dump(home / "enrolment.db") == before
        enrolment.close()


def test_a_reissue_during_publication_waits_and_sees_the_roll(tmp_path: Path) -> None:
    """`publish` reads and posts the entries under the state's write lock: a re-issue started meanwhile (another
    process, another connection) waits, then reads the board with the roll on it and is refused — it can never
    void an entry that is being posted."""
    import threading
    import time

    first = Enrolment(tmp_path / "enrolment.db")
    (code,) = first.add_codes(1)
    with first.db:
        first.db.execute(
            "UPDATE codes SET voter_key = 'aa', entry = '[]' WHERE digest = ?", (code_digest(code),)
        )
    second = Enrolment(tmp_path / "enrolment.db")
    board_has_roll = threading.Event()
    outcome: list[object] = []

    def still_open() -> None:
        if board_has_roll.is_set():
            raise ReissueRefusal(
                "re-issue refused: registration is closed: the encrypted roll is already on the board"
            )

    def reissue() -> None:
        try:
            outcome.append(second.reissue(code, still_open, _nothing))
        except ReissueRefusal as exc:
            outcome.append(exc)

    racer = threading.Thread(target=reissue)

    def post(entries: list[dict[str, object]]) -> int:
        racer.start()
        time.sleep(0.5)  # the re-issue is waiting for the lock, not running
        assert not outcome
        board_has_roll.set()  # the board appended the roll
        return len(entries)

    assert first.publishing(post) == (1, 0)
    racer.join(10)
    assert isinstance(outcome[0], ReissueRefusal) and first.status(code) == "used"
    first.close()
    second.close()
