"""Registration over the network (issue 11 item 2): the registrar deals its MAC key and publishes the roll through
the board; voters' devices register with one-time codes, check the designated-verifier proof, and make fakes that
pass every check anyone can run. No credential or voter secret ever reaches the board."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.trustee_client import TrusteeBoard
from plebiscite.coercion import registration as reg
from plebiscite.coercion import setup_posts
from plebiscite.coercion.credentials import Registrar
from plebiscite.coercion.registrar_service import (
    ElectionInfo,
    Enrolment,
    RegistrarVault,
    load_vault,
    registrar_app,
)
from tests.service.conftest import ADMIN, BOARD_KEY, TOKEN

from .conftest import served_after_ceremony

PASS = "registrar passphrase"


def _quiet(_m: str) -> None:
    pass


@pytest.fixture
def board(tmp_path: Path):  # type: ignore[no-untyped-def]
    with served_after_ceremony(tmp_path, "reg-test") as served:
        yield served


def test_devices_register_check_their_credential_and_make_fakes(board, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, election = board
    key = BOARD_KEY.verify_key.encode().hex()
    registrar_home = tmp_path / "registrar"
    reg.deal(
        TrusteeBoard(url, registrar_home / "mirror", key), registrar_home / "vault.json", PASS, TOKEN, _quiet
    )
    with pytest.raises(ValueError, match="already exists"):
        reg.deal(
            TrusteeBoard(url, registrar_home / "mirror", key),
            registrar_home / "vault.json",
            PASS,
            TOKEN,
            _quiet,
        )
    enrolment = Enrolment(registrar_home / "enrolment.db")
    codes = enrolment.add_codes(3)
    vault = load_vault(registrar_home / "vault.json", PASS)
    info = reg.election_info(TrusteeBoard(url, registrar_home / "mirror", key).view())
    homes = [tmp_path / f"voter-{i}" for i in range(3)]
    with LoopbackServer(registrar_app(vault, enrolment, info), free_port()) as registrar:
        devices = []
        for code, home in zip(codes, homes, strict=True):
            device_board = TrusteeBoard(url, home / "mirror", key)
            devices.append(
                reg.register_device(registrar.url, device_board, code.lower(), home / "cred.json", _quiet)
            )
        other = TrusteeBoard(url, tmp_path / "x" / "mirror", key)
        with pytest.raises(reg.RegistrationError, match=r"409.*already used"):
            reg.register_device(registrar.url, other, codes[0], tmp_path / "x" / "cred.json", _quiet)
        with pytest.raises(reg.RegistrationError, match=r"403.*not an enrolment code"):
            reg.register_device(registrar.url, other, "AAAA-BBBB", tmp_path / "x" / "cred.json", _quiet)
        raw = httpx.post(
            f"{registrar.url}/registrar/register", json={"code": codes[1], "voter_key": "00", "proof": []}
        )
        assert raw.status_code in (409, 422)
        assert not (tmp_path / "x" / "cred.json").exists()

    # The device file holds y; a fake made from it has the same shape and passes every public check.
    real = reg.load_device_credential(homes[0] / "cred.json")
    real.check()
    fake = reg.make_fake(homes[0] / "cred.json", homes[0] / "fake.json")
    fake.check()
    real_json, fake_json = (json.loads((homes[0] / n).read_text()) for n in ("cred.json", "fake.json"))
    assert set(real_json) == set(fake_json) and real_json["voter_secret"] == fake_json["voter_secret"]
    assert real_json["credential"]["roll_entry"] == fake_json["credential"]["roll_entry"]
    assert real_json["credential"]["sigma"] != fake_json["credential"]["sigma"]
    assert (homes[0] / "fake.json").stat().st_mode & 0o077 == 0
    with pytest.raises(reg.RegistrationError, match="already exists"):
        reg.make_fake(homes[0] / "cred.json", homes[0] / "fake.json")

    # Publish: the board checks and appends the encrypted roll; voting can open.
    assert reg.publish(url, enrolment, TOKEN, _quiet) == 3
    enrolment.close()
    events = election.events()
    assert [e.type for e in events].count("cr-roll") == 1
    entries = next(e.payload for e in events if e.type == "cr-roll")["entries"]
    assert sorted(x["voter_key"] for x in entries) == sorted(d.credential.voter_key.hex() for d in devices)
    assert httpx.post(f"{url}/api/admin/open", headers=ADMIN).status_code == 200
    # Nothing secret reached the board: no σ, no V, no y.
    board_bytes = (tmp_path / "board.db").read_bytes() + b"".join(e.raw for e in election.events())
    for d in devices:
        for secret in (
            d.credential.to_json()["sigma"],
            d.credential.element.hex(),
            d.to_json()["voter_secret"],
        ):
            assert secret.encode() not in board_bytes


def test_the_board_checks_the_registrars_posts(board, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, election = board
    post = lambda path, body: httpx.post(f"{url}/api/admin/{path}", json=body, headers=ADMIN)  # noqa: E731
    early = post("cr-roll", {"entries": [{"voter_key": "00" * 32, "credential": ["00" * 32, "00" * 32]}]})
    assert early.status_code == 409 and "MAC key must be on the board" in early.json()["detail"]
    conduct = election.conduct
    outcome = conduct.ceremony_outcome()
    registrar = Registrar.new(2)
    good = registrar.deal(outcome.announcements, tuple(outcome.qualified), conduct.ceremony_fingerprint)
    size = election.board.size()
    assert httpx.post(f"{url}/api/admin/cr-mac-key", json=good).status_code == 401  # no token
    forged = {**good, "commitments": list(reversed(good["commitments"]))}
    bad = post("cr-mac-key", forged)
    assert bad.status_code == 400 and bad.json()["detail"].startswith("cr-mac-key.proofs")
    assert election.board.size() == size
    assert post("cr-mac-key", good).status_code == 200
    again = post("cr-mac-key", good)
    assert again.status_code == 409 and "already on the board" in again.json()["detail"]
    bad_roll = post("cr-roll", {"entries": [{"voter_key": "zz", "credential": []}]})
    assert bad_roll.status_code == 400 and bad_roll.json()["detail"].startswith("entries[0].voter_key")
    assert election.board.size() == size + 1
    # the standard roll endpoint cannot bypass the encrypted roll in this mode
    bypass = post("roll", {"credentials": ["11" * 32]})
    assert bypass.status_code == 409 and "cr-roll" in bypass.json()["detail"]
    assert [e.type for e in election.events()][-1] == "cr-mac-key"
    assert setup_posts.mac_key_of(conduct, election.events()) is not None


def test_a_device_refuses_a_registrar_that_lies(board, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A registrar serving other election values, or issuing with a MAC secret that is not the board's: the device
    keeps nothing."""
    url, _ = board
    key = BOARD_KEY.verify_key.encode().hex()
    home = tmp_path / "registrar"
    reg.deal(TrusteeBoard(url, home / "mirror", key), home / "vault.json", PASS, TOKEN, _quiet)
    info = reg.election_info(TrusteeBoard(url, home / "mirror", key).view())
    real = load_vault(home / "vault.json", PASS)
    impostor = RegistrarVault(Registrar.new(2), real.election_id, real.ceremony)  # not the dealt MAC key
    enrolment = Enrolment(tmp_path / "e.db")
    code = enrolment.add_codes(1)[0]
    device = TrusteeBoard(url, tmp_path / "v" / "mirror", key)
    with (
        LoopbackServer(registrar_app(impostor, enrolment, info), free_port()) as server,
        pytest.raises(reg.RegistrationError, match="proof does not verify"),
    ):
        reg.register_device(server.url, device, code, tmp_path / "v" / "cred.json", _quiet)
    assert not (tmp_path / "v" / "cred.json").exists()
    other = ElectionInfo(info.election_id, info.ceremony, info.mac_key, info.election_key)  # values swapped
    with (
        LoopbackServer(registrar_app(real, enrolment, other), free_port()) as server,
        pytest.raises(reg.RegistrationError, match="other election values"),
    ):
        reg.register_device(server.url, device, code, tmp_path / "v" / "cred.json", _quiet)
    enrolment.close()
