"""Trustees on their own machines: three `plebiscite trustee` processes, each with its own home and vault, talking
only to `plebiscite serve` on loopback, through a whole election (issue 17).

The ceremony has a cheating dealer (complained about, then answering), the server is SIGKILLed between ceremony
rounds, a vault of another election is refused before anything is posted, two of three trustees decrypt, and the
mirrored record verifies. Afterwards no trustee secret may appear in any file outside that trustee's own home.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.board.client import mirror
from plebiscite.conduct import Conduct, ReadOnlySink
from plebiscite.decrypt.partial import partial_decrypt
from plebiscite.hazmat import group as G
from plebiscite.keyceremony import public as ceremony
from plebiscite.keyceremony import trustee_vault
from plebiscite.keyceremony.trustee import Trustee, decode_all
from plebiscite.record import events as ev
from plebiscite.record import store
from plebiscite.record.signing import sign
from plebiscite.record.state import ElectionState
from plebiscite.setup.credentials import Credential

from .conftest import ADMIN, ServerProcess

PASS = "correct horse battery staple"


def plebiscite(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a separate process whose home and working directory are ``home``."""
    env = {**os.environ, "HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "plebiscite.cli.main", *args],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    if ok:
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    else:
        assert done.returncode != 0, f"{args} should have failed: {done.stdout}"
    return done


def trustee(home: Path, step: str, url: str, *extra: str, ok: bool = True) -> str:
    done = plebiscite(
        home,
        "trustee",
        step,
        "--vault",
        "vault.json",
        "--passphrase-file",
        "pass",
        "--board",
        url,
        *extra,
        ok=ok,
    )
    return done.stdout + done.stderr


def board_state(url: str) -> ElectionState:
    events = [
        store.parse_event(e["index"], e["leaf"].encode(), "entry")
        for e in httpx.get(f"{url}/api/board/entries", params={"limit": 1000}).json()
    ]
    return ElectionState.from_events(events)


def ceremony_of(state: ElectionState) -> bytes:
    assert state.manifest_payload is not None
    return ceremony.ceremony_fingerprint(
        ev.canonical_json(state.manifest_payload), state.trustees, state.threshold
    )


def own_trustee(home: Path, state: ElectionState) -> Trustee:
    t = trustee_vault.load(home / "vault.json", PASS).trustee(ceremony_of(state))
    assert t is not None
    return t


def bad_deal(home: Path, url: str, victim: int) -> dict[str, Any]:
    """Trustee 3 cheats: deals a share to ``victim`` that does not match its commitments (signed, so only the
    content is wrong)."""
    state = board_state(url)
    fp = ceremony_of(state)
    t = own_trustee(home, state)
    announced = decode_all(state.announcements, state.threshold, fp, state.trustee_keys)
    honest = t.deal(announced, fp)
    shares = [
        {**s, "box": bytes(t._box(announced[victim].box_key).encrypt(G.scalar_to_bytes(7))).hex()}
        if s["to"] == victim
        else s
        for s in honest["shares"]
    ]
    payload = {k: v for k, v in honest.items() if k != "signature"} | {"shares": shares}
    return sign("shares", payload, t.signing_key)


def secrets_of(home: Path) -> dict[str, str]:
    """Every secret value in a trustee's vault, as the hex that would leak."""
    vault = trustee_vault.load(home / "vault.json", PASS)
    found = {"signing seed": vault.signing_seed.hex(), "box secret": vault.box_secret.hex()}
    for fp, data in vault.ceremonies.items():
        found |= {f"{fp[:8]} coefficient {j}": c for j, c in enumerate(data["coefficients"])}
        found |= {f"{fp[:8]} share": data["share"]} if data["share"] else {}
    return found


@pytest.mark.timeout(600)
def test_three_trustee_processes_run_an_election_over_the_board(tmp_path: Path) -> None:
    homes = [tmp_path / f"trustee-{i}" for i in (1, 2, 3)]
    organiser = tmp_path / "organiser"
    for home in [*homes, organiser]:
        home.mkdir()
    keys = []
    for home in homes:
        (home / "pass").write_text(PASS + "\n")
        plebiscite(home, "trustee", "init", "--vault", "vault.json", "--passphrase-file", "pass")
        keys.append(json.loads((home / "vault.json").read_text())["public"]["signing_key"])
        assert (home / "vault.json").stat().st_mode & 0o077 == 0
    plebiscite(
        home, "trustee", "init", "--vault", "vault.json", "--passphrase-file", "pass", ok=False
    )  # exists

    # The organiser names the trustees by the keys they handed over; the board imports the manifest alone.
    manifest = Path(__file__).parents[2] / "examples" / "yesno.json"
    key_args = [a for k in keys for a in ("--trustee-key", k)]
    plebiscite(organiser, "init", "rec", "--manifest", str(manifest), "--threshold", "2", *key_args)
    server = ServerProcess(f"sqlite:///{organiser / 'board.db'}", organiser / "rec", organiser / "board", 0)
    url = server.start()
    try:
        # Round 1, then the server dies (SIGKILL) and comes back: nothing posted is lost.
        for home in homes:
            assert "announcement posted" in trustee(home, "join", url, "--trustees", "3", "--threshold", "2")
        server.kill()
        url = server.start()
        assert [a["index"] for a in board_state(url).announcements] == [1, 2, 3]
        assert "already on the board" in trustee(homes[0], "join", url)

        # Round 2: trustee 3 deals a bad share to trustee 1.
        for home in homes[:2]:
            trustee(home, "deal", url)
        assert httpx.post(f"{url}/api/trustee/shares", json=bad_deal(homes[2], url, 1)).status_code == 200
        server.kill()
        url = server.start()
        # Round 3: trustee 1 complains; trustee 3 answers with the true share and stays qualified.
        assert "complaint against trustee 3" in trustee(homes[0], "receive", url)
        for home in homes[1:]:
            trustee(home, "receive", url)
        assert "answered trustee 1's complaint" in trustee(homes[2], "answer", url)
        for home in homes:
            assert "qualified: [1, 2, 3]" in trustee(home, "finish", url)

        # Registration, voting, close and tally by the organiser.
        plebiscite(
            organiser, "register", "--board", url, "--token-file", str(server.token_file),
            "--voters", "4", "--out-dir", "credentials",
        )  # fmt: skip
        assert httpx.post(f"{url}/api/admin/open", headers=ADMIN).status_code == 200
        ctx = board_state(url).context
        assert ctx is not None
        question = ctx.manifest.questions[0]
        chosen = ["yes", "no", "yes", "yes"]
        for path, choice in zip(sorted((organiser / "credentials").glob("*.json")), chosen, strict=True):
            credential = Credential.from_json(json.loads(path.read_text()))
            ballot, _ = encrypt_ballot(ctx, credential, {question.id: [choice]})
            assert httpx.post(f"{url}/api/ballots", json=ballot.to_json()).status_code == 200
        for step in ("close", "tally"):
            assert httpx.post(f"{url}/api/admin/{step}", headers=ADMIN).status_code == 200

        # A vault of another election (another identity) is refused before anything is posted.
        stranger = tmp_path / "stranger"
        stranger.mkdir()
        (stranger / "pass").write_text(PASS + "\n")
        plebiscite(stranger, "trustee", "init", "--vault", "vault.json", "--passphrase-file", "pass")
        size = len(httpx.get(f"{url}/api/board/entries", params={"limit": 1000}).json())
        assert "does not name this vault's key" in trustee(stranger, "decrypt", url, ok=False)
        # Trustee 3's own key with a share that is not of this election: the board refuses it too.
        state = board_state(url)
        totals = Conduct(state, ReadOnlySink(tmp_path / "unused")).totals()
        t3 = own_trustee(homes[2], state)
        wrong = partial_decrypt(3, G.random_scalar(), totals, ctx.fingerprint, t3.signing_key)
        refused = httpx.post(f"{url}/api/trustee/partial-decryption", json=wrong)
        assert refused.status_code == 422 and "partial decryption of trustee 3" in refused.json()["detail"]
        assert len(httpx.get(f"{url}/api/board/entries", params={"limit": 1000}).json()) == size

        # Two of three decrypt; the result is published and the mirrored record verifies.
        for home in homes[:2]:
            assert "partial decryption of trustee" in trustee(home, "decrypt", url)
        assert "already on the board" in trustee(homes[0], "decrypt", url)
        result = httpx.post(f"{url}/api/admin/result", headers=ADMIN).json()
        assert result["questions"][0]["counts"] == {"yes": 3, "no": 1}
        mirror(url, tmp_path / "observer")
        verified = plebiscite(tmp_path, "verify", str(tmp_path / "observer"))
        assert "VERIFIED" in verified.stdout + verified.stderr
    finally:
        server.stop()

    # No trustee secret anywhere outside its own home (the board's database and logs, the organiser's files,
    # the other trustees' homes and mirrors). Trustee 3's share for trustee 1 was revealed publicly by design.
    for home in homes:
        secrets = secrets_of(home)
        for path in tmp_path.rglob("*"):
            if not path.is_file() or home in path.parents:
                continue
            data = path.read_bytes()
            for name, value in secrets.items():
                assert value.encode() not in data, f"{name} of {home.name} found in {path}"
