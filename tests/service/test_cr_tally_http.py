"""The coercion-resistant tally over the live service (issue 11): trustees with their own vaults run the ceremony, the
roll precomputation during voting and the tally after close against the board, each step in its turn and checked on
arrival with the verifier's functions; the board posts the steps that need no secret; the mirrored record verifies
and counts the real votes only. Out-of-turn, replayed and tampered steps are refused and change nothing."""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from plebiscite.board.client import mirror
from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.election import BoardElection
from plebiscite.board.service import create_app
from plebiscite.board.setup import open_election
from plebiscite.board.trustee_client import TrusteeBoard, TrusteeBoardError
from plebiscite.coercion import events as cev
from plebiscite.coercion import registration as reg
from plebiscite.coercion import remote as cr_remote
from plebiscite.coercion.ballot import encrypt_ballot
from plebiscite.coercion.credentials import VoterKey
from plebiscite.coercion.demo import coercer_choice, coercion_manifest
from plebiscite.coercion.registrar_service import load_vault
from plebiscite.conduct import Conduct
from plebiscite.decrypt.remote import decrypt
from plebiscite.keyceremony import remote, trustee_vault
from plebiscite.record.signing import sign
from plebiscite.setup.manifest import Manifest
from plebiscite.verify.runner import verify_record

from .conftest import ADMIN, BOARD_KEY, TOKEN

PW = "pw"


def new_board(tmp_path: Path, name: str) -> tuple[list[Path], Manifest, BoardElection, str]:
    """Three trustees' vaults (homes ``t1``–``t3``), a coercion-resistant record naming them (2 of 3 decrypt) and the
    board opened on it: the homes, the manifest, the board's election and its key (hex)."""
    homes = [tmp_path / f"t{i}" for i in (1, 2, 3)]
    vaults = [trustee_vault.create(h / "vault.json", PW) for h in homes]
    manifest = coercion_manifest(name, extra_questions=False)
    Conduct.create_record(tmp_path / "rec", manifest, [v.signing_key for v in vaults], 2)
    election = open_election(f"sqlite:///{tmp_path / 'board.db'}", BOARD_KEY, tmp_path / "rec")
    return homes, manifest, election, BOARD_KEY.verify_key.encode().hex()


def open_with_roll(
    url: str, key: str, homes: list[Path], registrar_home: Path, election_id: str, voters: int = 4
) -> tuple[reg.ElectionInfo, list[VoterKey], list[Any]]:
    """Over the board: the key ceremony of trustees 1–3 (vaults in ``homes``), the registrar's MAC-key deal, ``voters``
    credentials issued and put on the roll, voting opened. Returns the registrar's view, the voters' keys and their
    credentials."""
    for name in ("join", "deal", "receive", "answer", "finish"):
        for home in homes:
            getattr(remote, name)(
                remote.Step(TrusteeBoard(url, home / "mirror", key), home / "vault.json", PW, _quiet)
            )
    board = TrusteeBoard(url, registrar_home / "mirror", key)
    reg.deal(board, registrar_home / "vault.json", PW, TOKEN, _quiet)
    registrar = load_vault(registrar_home / "vault.json", PW).registrar
    info = reg.election_info(TrusteeBoard(url, registrar_home / "mirror", key).view())
    keys = [VoterKey.generate(election_id) for _ in range(voters)]
    creds = [registrar.issue(v.request(info.ceremony), info.election_key, info.ceremony) for v in keys]
    entries = [{"voter_key": c.voter_key.hex(), "credential": c.entry.to_json()} for c in creds]
    for path, body in (("cr-roll", {"entries": entries}), ("open", None)):
        answer = httpx.post(f"{url}/api/admin/{path}", json=body, headers=ADMIN, timeout=120)
        assert answer.status_code == 200, answer.text
    return info, keys, creds


def _quiet(_m: str) -> None:
    pass


@pytest.mark.timeout(600)
def test_trustees_precompute_and_tally_over_the_board(tmp_path: Path) -> None:
    homes, manifest, election, key = new_board(tmp_path, "cr-http")
    try:
        with LoopbackServer(create_app(election, TOKEN), free_port()) as server:
            url = server.url

            def step(i: int) -> remote.Step:
                return remote.Step(
                    TrusteeBoard(url, homes[i - 1] / "mirror", key), homes[i - 1] / "vault.json", PW, _quiet
                )

            def admin(path: str, body: Any = None) -> httpx.Response:
                return httpx.post(f"{url}/api/admin/{path}", json=body, headers=ADMIN, timeout=120)

            info, voters, creds = open_with_roll(
                url, key, homes, tmp_path / "registrar", manifest.election_id
            )
            ctx = election.conduct.context

            def cast(credential: Any, choice: dict[str, list[str]]) -> None:
                ballot = encrypt_ballot(ctx, credential, choice)[0]
                assert httpx.post(f"{url}/api/ballots", json=ballot.to_json(), timeout=60).status_code == 200

            q = manifest.questions[0].id
            fake = creds[0].fake(voters[0], info.election_key, info.mac_key, info.ceremony)
            cast(fake, coercer_choice(manifest))  # voter 0, watched at the door, obeys with a fake credential
            close = admin("close")
            assert close.status_code == 409 and "precomputation must be complete" in close.json()["detail"]
            assert admin("precompute", {"trustees": [1]}).status_code == 400  # fewer than the threshold
            assert admin("precompute", {"trustees": [2, 3]}).status_code == 200
            early = step(2)
            with pytest.raises(TrusteeBoardError, match="not in the tally set"):
                cr_remote.run_steps(step(1), "precompute")
            in_turns([step(2), step(3)], "precompute")
            del early
            for n, c in enumerate(creds):
                cast(c, {q: ["no" if n < 3 else "yes"]})  # the real votes: 3 × no, 1 × yes
            assert admin("close").status_code == 200
            assert admin("tally").status_code == 200
            _refusals(url, election, homes)
            in_turns([step(2), step(3)], "tally")
            assert election.state.phase == "tallied"
            for i in (2, 3):
                decrypt(step(i), workers=1)
            result = admin("result").json()
            assert result["questions"][0]["counts"] == {"yes": 1, "no": 3}  # the coerced "yes" did not count
            mirror(url, tmp_path / "observer")
            report = verify_record(tmp_path / "observer", workers=1)
            assert report.ok, report.failed()
    finally:
        election.close()


def in_turns(steps: list[remote.Step], phase: str) -> None:
    """The tally set's trustees, each in its own thread, each waiting for its turns."""
    errors: list[BaseException] = []

    def run(s: remote.Step) -> None:
        try:
            cr_remote.run_steps(s, phase, wait=300, workers=1, poll=0.2)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in steps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors, errors


def _refusals(url: str, election: Any, homes: list[Path]) -> None:
    """Before the tally's first pass: out of turn, another trustee's key, a tampered first pass — all refused."""
    size = election.board.size()
    vault2 = trustee_vault.load(homes[1] / "vault.json", PW)
    vault3 = trustee_vault.load(homes[2] / "vault.json", PW)
    import nacl.signing

    k2, k3 = (nacl.signing.SigningKey(v.signing_seed) for v in (vault2, vault3))
    body = {"trustee": 3, "a": [], "b": [], "proofs": []}
    out_of_turn = httpx.post(f"{url}/api/trustee/{cev.DEDUP_PASS}", json=sign(cev.DEDUP_PASS, body, k3))
    assert out_of_turn.status_code == 409 and "trustee 2" in out_of_turn.json()["detail"]
    forged = httpx.post(
        f"{url}/api/trustee/{cev.DEDUP_PASS}", json=sign(cev.DEDUP_PASS, {**body, "trustee": 2}, k3)
    )
    assert forged.status_code == 403
    garbage = httpx.post(
        f"{url}/api/trustee/{cev.DEDUP_PASS}", json=sign(cev.DEDUP_PASS, {**body, "trustee": 2}, k2)
    )
    assert garbage.status_code == 422, garbage.text
    assert election.board.size() == size
    replay = copy.deepcopy(next(e.payload for e in election.events() if e.type == cev.TALLY_KEYS))
    again = httpx.post(f"{url}/api/trustee/{cev.TALLY_KEYS}", json=replay)
    assert again.status_code == 409, again.text
    assert election.board.size() == size
