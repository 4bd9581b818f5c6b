"""The door-to-door scenario in headless Chromium against the real ``plebiscite serve`` (issue 11, "How it is shown").

A coercion-resistant election (one trustee, threshold 1) is prepared offline and served by ``plebiscite serve``. Three
voters register with the Python registration functions: R and O get device credential files, S a credential sheet
(its typed code, given to the booth as a QR code picture). Officials visit R and O:

* R (resists) makes a fake credential in the booth, and in front of the official loads it and casts the demanded
  choice; later, from the same browser profile, R casts the real choice with the real credential.
* O (obeys) loads the real credential in front of the official, casts the demanded choice, and nothing else.
* S loads the sheet from its QR code, makes a fake on the spot, votes with it, and later types the real code.

The trustee then runs the roll precomputation, the tally and the decryption over HTTP, and the published result
must count the real choices only. The official's view of R and O is compared (tests/booth/browser/cr-door.test.mjs
writes it): the screens of the casting flow (visible structure and texts with codes and numbers masked, and the
screenshots' sizes), the receipts (the same keys, and values of the same sizes), the browser storage of each
profile after everything (localStorage, sessionStorage, IndexedDB, cookies, Cache Storage), and the public record.
What differs by necessity is asserted as such: R's world has one more ballot on the board (R's real vote).
"""

from __future__ import annotations

import json
import re
import secrets
import struct
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from plebiscite.board.client import mirror
from plebiscite.board.trustee_client import TrusteeBoard
from plebiscite.coercion import remote as cr_remote
from plebiscite.coercion.conduct import CoercionConduct
from plebiscite.coercion.credentials import Registrar, VoterKey
from plebiscite.coercion.demo import coercer_choice, coercion_manifest
from plebiscite.coercion.registrar_service import ElectionInfo
from plebiscite.coercion.registration import DeviceCredential, load_device_credential, save_device_credential
from plebiscite.coercion.sheet_code import SheetCredential, sheet_sigma_for
from plebiscite.decrypt.remote import decrypt
from plebiscite.keyceremony import remote, trustee_vault
from plebiscite.keyceremony.trustee import Trustee
from plebiscite.record import store
from plebiscite.verify.runner import verify_record

from .conftest import ARTIFACTS, ROOT, LiveServer, _free_port, _wait_up, run_node, stop_process

pytestmark = pytest.mark.timeout(240)
PW = "pw"


@dataclass
class CrServer:
    url: str
    work: Path
    token: str
    trustee: Trustee
    ceremony: bytes
    real_choice: dict[str, list[str]]
    demanded: dict[str, list[str]]
    files: dict[str, Path]
    code: str
    devices: dict[str, DeviceCredential]

    def post(self, path: str, body: Any = None, admin: bool = True) -> Any:
        headers = {"Content-Type": "application/json"}
        if admin:
            headers["Authorization"] = f"Bearer {self.token}"
        data = b"" if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, method="POST", data=data, headers=headers)
        with urllib.request.urlopen(req, timeout=120) as r:  # loopback only
            return json.load(r)

    def step(self) -> remote.Step:
        """The trustee's own machine: its vault (holding its ceremony secret) and its verified mirror of the board."""
        path = self.work / "trustee" / "vault.json"
        if not path.exists():
            t = self.trustee
            vault = trustee_vault.TrusteeVault(
                t.signing_seed, t.box_secret, {self.ceremony.hex(): t.to_secret()}
            )
            trustee_vault.create(path, PW, vault)
        return remote.Step(TrusteeBoard(self.url, path.parent / "mirror"), path, PW, lambda _m: None)


def _prepare(work: Path) -> tuple[Path, dict[str, Any]]:
    """Ceremony, the registrar's MAC key, registration of R, O (device files) and S (a sheet): the prepared record."""
    manifest = coercion_manifest("booth-cr", extra_questions=False)
    eid = manifest.election_id
    trustee = Trustee.new(1, 1, 1)
    prep = work / "setup-record"
    cc = CoercionConduct.create_record(prep, manifest, [trustee.identity], 1)
    cc.run_ceremony([trustee])
    registrar = Registrar.new(1)
    mac = cc.deal_mac_key(registrar)
    key, cfp = cc.election_key, cc.ceremony_fingerprint
    info = ElectionInfo(eid, cfp, key, mac.public)
    devices, files, creds = {}, {}, []
    for name in (
        "R",
        "O",
    ):  # the device makes y, the registrar issues, the device checks the proof and keeps it
        voter = VoterKey.generate(eid)
        device = DeviceCredential(registrar.issue(voter.request(cfp), key, cfp), voter, info)
        device.check()
        files[name] = work / f"credential-{name}.json"
        save_device_credential(files[name], device)
        devices[name] = device
        creds.append(device.credential)
    seed, sigma = sheet_sigma_for(eid, registrar.mac_secret)  # the station plays S's device, then forgets y
    sheet_cred = registrar.issue(VoterKey.generate(eid).request(cfp), key, cfp, sigma=sigma)
    creds.append(sheet_cred)
    code = SheetCredential(eid, seed, sheet_cred.element).code()
    cc.register([(c.voter_key, c.entry) for c in creds])
    q = manifest.questions[0]
    return prep, {
        "trustee": trustee,
        "ceremony": cfp,
        "files": files,
        "devices": devices,
        "code": code,
        "demanded": coercer_choice(manifest),
        "real": {q.id: [q.options[-1].id]},
    }


@pytest.fixture(scope="module")
def cr_server(browser: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrServer]:
    work = tmp_path_factory.mktemp("booth-cr")
    prep, made = _prepare(work)
    token = secrets.token_urlsafe(24)
    (work / "admin-token.txt").write_text(token)
    port = _free_port()
    log = work / "server.log"
    cmd = [
        sys.executable, "-m", "plebiscite.cli.main", "serve", "--db", f"sqlite:///{work / 'board.db'}",
        "--record", str(prep), "--board-key-file", str(work / "board-key.hex"),
        "--admin-token-file", str(work / "admin-token.txt"), "--host", "127.0.0.1", "--port", str(port),
        "--check-workers", "0",
    ]  # fmt: skip
    process = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)
    server = CrServer(
        f"http://127.0.0.1:{port}", work, token, made["trustee"], made["ceremony"], made["real"],
        made["demanded"], made["files"], made["code"], made["devices"],
    )  # fmt: skip
    try:
        _wait_up(LiveServer(server.url, work, [], "real", process, log))
        server.post("/api/admin/open")
        server.post("/api/admin/precompute", {"trustees": [1]})
        # the roll precomputation runs while voting does, as on election day
        pre = threading.Thread(target=cr_remote.run_steps, args=(server.step(), "precompute", 120, 1, 0.2))
        pre.start()
        yield server
        pre.join(120)
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def door(browser: str, cr_server: CrServer) -> dict[str, Any]:
    """Runs the browser side once; returns what it wrote (receipts, screens, storage) for the comparisons."""
    out = ARTIFACTS / "cr-door"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        old.unlink()
    env = {
        "BOOTH_URL": cr_server.url,
        "CR_FILES": json.dumps({k: str(v) for k, v in cr_server.files.items()}),
        "CR_CODE": cr_server.code,
        "CR_DEMANDED": json.dumps(cr_server.demanded),
        "CR_REAL": json.dumps(cr_server.real_choice),
        "CR_SECRETS": json.dumps(_secrets(cr_server)),
        "BOOTH_OUT": str(out),
    }
    done = run_node(
        browser,
        ["--test", "--test-concurrency=1", "tests/booth/browser/cr-door.test.mjs"],
        env=env,
        timeout=200,
    )
    (ARTIFACTS / "cr-door.test.mjs.log").write_text(done.stdout + done.stderr)
    report = done.stdout[-8000:] + done.stderr[-4000:]
    assert done.returncode == 0, report
    assert re.search(r"^# fail 0$", done.stdout, re.M) and not re.search(r"^# pass 0$", done.stdout, re.M), (
        report
    )
    return {"out": out, **json.loads((out / "views.json").read_text())}


def _secrets(s: CrServer) -> list[str]:
    """What must never leave the browser: σ, V and y of the device files, the sheet's code and its seed."""
    out = [s.code, s.code.replace("-", "")]
    for d in s.devices.values():
        c = d.to_json()
        out += [c["credential"]["sigma"], c["credential"]["credential"], c["voter_secret"]]
    return out


def _shape(value: Any) -> Any:
    """Keys and sizes of a JSON value: what two receipts of the same form share whatever their content."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return ["list", sorted({json.dumps(_shape(v)) for v in value})]
    if isinstance(value, str):
        return ["str", len(value)]
    return [type(value).__name__]


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_result_counts_the_real_choices_only(door: dict[str, Any], cr_server: CrServer) -> None:
    s = cr_server
    s.post("/api/admin/close")
    s.post("/api/admin/tally")
    cr_remote.run_steps(s.step(), "tally", wait=120, workers=1, poll=0.2)
    decrypt(s.step(), workers=1)
    result = s.post("/api/admin/result")
    q = result["questions"][0]
    demanded, real = s.demanded[q["id"]][0], s.real_choice[q["id"]][0]
    # O obeyed (its real credential cast the demanded choice); R and S cast their real choice after fakes
    assert q["counts"] == {demanded: 1, real: 2}, q
    record = mirror(s.url, s.work / "observer")
    report = verify_record(s.work / "observer", workers=1)
    assert report.ok, report.failed()
    events = store.read(s.work / "observer")
    cast = [e for e in events if e.type == "cr-ballot"]
    assert len(cast) == 5  # R: fake + real; O: real; S: fake + real
    tally = next(e for e in events if e.type == "tally")
    assert len(tally.payload["counted"]) == 3
    assert record.copied == len(events)
    # the public record: every cr-ballot event has the same form and size, the official's two among them (R's
    # cast with a fake, O's with the real credential); R's world differs only by one more cr-ballot — R's real
    # vote, cast later and unobserved — the residual count leakage of JCJ (docs/coercion.md §7)
    assert len({len(e.raw) for e in cast}) == 1 and len({tuple(sorted(e.payload)) for e in cast}) == 1
    indices = {door["views"][v]["receipt"]["index"] for v in ("R", "O")}
    assert indices <= {e.index for e in cast}


def test_the_fake_made_in_the_browser_passes_every_check_the_official_can_run(
    door: dict[str, Any], cr_server: CrServer
) -> None:
    fake = load_device_credential(door["out"] / "fake-R.json")
    fake.check()  # `plebiscite credential check`: passes, as for the real one
    real = cr_server.devices["R"]
    real_text = cr_server.files["R"].read_text()
    fake_text = (door["out"] / "fake-R.json").read_text()
    assert len(fake_text) == len(real_text) and set(json.loads(fake_text)) == set(json.loads(real_text))
    assert fake.credential.voter_key == real.credential.voter_key
    assert fake.credential.entry == real.credential.entry
    assert fake.credential.element != real.credential.element
    assert SheetCredential.from_code(
        "booth-cr", door["fake_code"]
    ).element  # S's fake: a sheet of this election


def test_the_officials_view_of_obeying_and_resisting_is_the_same(door: dict[str, Any]) -> None:
    resisted, obeyed = door["views"]["R"], door["views"]["O"]
    # the screens of the casting flow: the same visible structure and words (codes and numbers masked)
    assert [v["step"] for v in resisted["screens"]] == [v["step"] for v in obeyed["screens"]]
    for r, o in zip(resisted["screens"], obeyed["screens"], strict=True):
        assert r["dom"] == o["dom"], r["step"]
        assert _png_size(door["out"] / r["png"]) == _png_size(door["out"] / o["png"]), r["step"]
    # the receipts of the ballots cast in front of the official: the same keys, values of the same sizes
    # (the inclusion proof's length depends on the board position, not on the credential)
    r_receipt, o_receipt = resisted["receipt"], obeyed["receipt"]
    assert set(r_receipt) == set(o_receipt)
    for key in r_receipt:
        if key not in ("inclusion_proof", "tree_head", "index"):
            assert _shape(r_receipt[key]) == _shape(o_receipt[key]), key
    assert _shape(r_receipt["tree_head"]) == _shape(o_receipt["tree_head"])
    assert {len(h) for h in r_receipt["inclusion_proof"] + o_receipt["inclusion_proof"]} == {64}
    assert len(r_receipt["leaf"]) == len(o_receipt["leaf"])
    # the browser's storage after everything (R also cast the real vote from this profile): the same keys, the
    # same value sizes, no IndexedDB database, no cookie, no cache — nothing that tells the two profiles apart;
    # the one sessionStorage entry is the unsaved receipt of each tab's last ballot, of one padded size
    assert resisted["storage"] == obeyed["storage"], (resisted["storage"], obeyed["storage"])
    assert resisted["storage"]["indexedDB"] == [] and resisted["storage"]["cookies"] == 0
    assert resisted["storage"]["caches"] == []
    # both left the receipt unsaved on the cast step: the tab keeps it (docs/booth.md §1b), padded to one size
    assert [k for k, _ in resisted["storage"]["session"]] == ["plebiscite.booth"]
    assert resisted["storage"]["local"] == [] and resisted["storage"]["opfs"] == []
