"""The booth's coercion-resistant JavaScript and the Python core accept each other's credentials and ballots.

tests/booth/js/interop.mjs (``cr-make``) loads a device credential file issued by the Python registrar and a sheet
code, casts with each, and makes a fake of each: every ballot must pass :func:`plebiscite.coercion.ballot.check_ballot`
with the tracking code Python computes, the fake device file must load and check in Python
(``plebiscite credential check``'s function) with the real file's voter key, roll entry and size, and the fake code
must read in :class:`SheetCredential`. Python's cr-ballots pass the JS check (``cr-check``); altered ones do not.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from plebiscite.coercion.ballot import BallotError, check_ballot, encrypt_ballot
from plebiscite.coercion.credentials import Registrar, VoterKey
from plebiscite.coercion.demo import coercion_manifest
from plebiscite.coercion.registrar_service import ElectionInfo
from plebiscite.coercion.registration import DeviceCredential, load_device_credential
from plebiscite.coercion.sheet_code import SheetCredential, sheet_sigma_for
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.public import ceremony_fingerprint
from plebiscite.record import events as ev
from plebiscite.setup.election import ElectionContext, fingerprint

from .test_interop import interop


@dataclass
class CrElection:
    ctx: ElectionContext
    secret: int
    manifest_event: dict[str, Any]
    entries: list[dict[str, Any]]
    device: DeviceCredential
    device_file: str
    sheet: SheetCredential

    def request(self, **extra: Any) -> dict[str, Any]:
        election = {"fingerprint": self.ctx.fingerprint.hex(), "public_key": self.ctx.public_key.hex()}
        return {"manifest_event": self.manifest_event, "election": election, "entries": self.entries, **extra}


def make_cr_election() -> CrElection:
    manifest = coercion_manifest("interop-cr")
    eid = manifest.election_id
    payload = {"manifest": manifest.model_dump(mode="json"), "trustees": 1, "threshold": 1}
    secret = G.random_scalar()
    key = G.mul_base(secret)
    ctx = ElectionContext(
        manifest, 1, 1, fingerprint(payload, {1: [key]}, key, bytes(32)), key, frozenset(), {1: key}, (1,)
    )
    cfp = ceremony_fingerprint(ev.canonical_json(payload), 1, 1)
    registrar = Registrar.new(1)
    mac_key = G.mul_base(registrar.mac_secret)
    entries = [
        {"index": 0, "type": "manifest", "leaf": ev.make_event(0, ev.MANIFEST, payload).raw.decode()},
        {
            "index": 3,
            "type": "cr-mac-key",
            "leaf": ev.make_event(3, "cr-mac-key", {"commitments": [mac_key.hex()]}).raw.decode(),
        },
    ]
    voter = VoterKey.generate(eid)
    device = DeviceCredential(
        registrar.issue(voter.request(cfp), key, cfp), voter, ElectionInfo(eid, cfp, key, mac_key)
    )
    seed, sigma = sheet_sigma_for(eid, registrar.mac_secret)
    issued = registrar.issue(VoterKey.generate(eid).request(cfp), key, cfp, sigma=sigma)
    sheet = SheetCredential(eid, seed, issued.element)
    return CrElection(ctx, secret, payload, entries, device, json.dumps(device.to_json(), indent=2), sheet)


SELECTIONS = {"q1": ["no"], "q2": ["blank"], "q3": ["roads", "clinics"]}


def test_js_cr_ballots_and_fakes_are_accepted_by_python(node: str, tmp_path: Path) -> None:
    e = make_cr_election()
    made = interop(
        node, "cr-make", e.request(device_file=e.device_file, code=e.sheet.code(), selections=SELECTIONS)
    )
    for name in ("file", "sheet", "fake_file_ballot", "fake_code_ballot"):
        ballot = check_ballot(made[name]["ballot"], e.ctx)
        assert ballot.tracking_code() == made[name]["trackingCode"], name

    # each ballot encrypts its credential's V (decrypted here with the election secret) and its MAC σ·V
    def plain(ct: Any) -> bytes:
        return G.sub(ct.b, G.mul(ct.a, e.secret))

    for name, cred in (("file", e.device.credential), ("sheet", e.sheet)):
        ballot = check_ballot(made[name]["ballot"], e.ctx)
        assert plain(ballot.credential) == cred.element, name
        assert plain(ballot.mac) == G.mul(cred.element, cred.sigma), name
    # the fake device file: same format and size, loads and checks in Python like the real one
    path = tmp_path / "fake.json"
    path.write_text(made["fake_file"])
    fake = load_device_credential(path)
    fake.check()
    real = e.device.credential
    assert (fake.credential.voter_key, fake.credential.entry) == (real.voter_key, real.entry)
    assert fake.credential.element != real.element and fake.credential.sigma != real.sigma
    assert (
        plain(check_ballot(made["fake_file_ballot"]["ballot"], e.ctx).credential) == fake.credential.element
    )
    assert len(made["fake_file"]) == len(e.device_file)
    assert set(json.loads(made["fake_file"])) == set(json.loads(e.device_file))
    # the fake code reads as a sheet of this election, with the real code's length and groups
    fake_sheet = SheetCredential.from_code("interop-cr", made["fake_code"])
    assert fake_sheet.element != e.sheet.element and len(made["fake_code"]) == len(e.sheet.code())


def test_js_cr_ballot_altered_is_refused_by_python(node: str) -> None:
    e = make_cr_election()
    made = interop(
        node, "cr-make", e.request(device_file=e.device_file, code=e.sheet.code(), selections=SELECTIONS)
    )
    bad = copy.deepcopy(made["file"]["ballot"])
    bad["answers"][0]["choices"][0] = bad["answers"][1]["choices"][0]
    with pytest.raises(BallotError, match="proof"):
        check_ballot(bad, e.ctx)
    swapped = copy.deepcopy(made["file"]["ballot"])
    swapped["credential"] = made["sheet"]["ballot"]["credential"]
    with pytest.raises(BallotError, match=r"ballot\.proof"):
        check_ballot(swapped, e.ctx)


def test_python_cr_ballot_verifies_in_js(node: str) -> None:
    e = make_cr_election()
    ballot, _ = encrypt_ballot(e.ctx, e.device.credential, SELECTIONS)
    answer = interop(node, "cr-check", e.request(ballot=ballot.to_json()))
    assert answer == {"ok": True, "trackingCode": ballot.tracking_code()}
    fake = e.device.fake()
    ballot2, _ = encrypt_ballot(e.ctx, fake.credential, SELECTIONS)
    assert interop(node, "cr-check", e.request(ballot=ballot2.to_json()))["ok"] is True
    forged = ballot.to_json()
    forged["mac"] = ballot2.to_json()["mac"]
    answer = interop(node, "cr-check", e.request(ballot=forged))
    assert answer["ok"] is False and answer["field"] == "ballot.proof", answer
    swapped = ballot.to_json()
    swapped["answers"] = ballot2.to_json()["answers"]
    answer = interop(node, "cr-check", e.request(ballot=swapped))
    assert answer["ok"] is False and answer["field"] == "ballot.proof", answer
