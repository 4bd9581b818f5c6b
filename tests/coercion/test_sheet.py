"""The credential sheet's typed code (coercion/sheet_code.py, docs/coercion.md §3.5): reading what people type, the
checksum that binds the election, σ's derivation, real and fake sheets of one shape, and a sheet's ballot counted by
the tally only when the sheet is real."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from plebiscite.coercion import sheet_code
from plebiscite.coercion.ballot import check_ballot, encrypt_ballot
from plebiscite.coercion.codec import CoercionError
from plebiscite.coercion.credentials import Registrar, VoterKey, trustee_mac_share
from plebiscite.coercion.demo import coercer_choice
from plebiscite.coercion.sheet_code import SheetCredential, sheet_sigma, sheet_sigma_for
from plebiscite.coercion.tally import TallyTrustee
from plebiscite.demo import expected_counts
from plebiscite.hazmat import group as G
from plebiscite.hazmat.group import frame

from .conftest import prepare_election

EID = "sheet-test"
SHAPE = re.compile(r"^[A-Z2-7]{5}(-[A-Z2-7]{5}){15}$")


def _code_of(seed: bytes, element: bytes, election_id: str = EID) -> str:
    """The spec's encoding, written out here independently of the module."""
    check = hashlib.sha256(
        frame(b"plebiscite/v1/cr-sheet-check", election_id.encode(), seed, element)
    ).digest()
    return base64.b32encode(seed + element + check[:2]).decode()


def _refused(code: str, reason: str, election_id: str = EID) -> CoercionError:
    with pytest.raises(CoercionError, match=reason) as caught:
        SheetCredential.from_code(election_id, code)
    return caught.value


def _real_sheet(registrar: Registrar) -> SheetCredential:
    """What the station does, without the network: a sheet σ, issued, and the sheet holding its seed and ``V``."""
    seed, sigma = sheet_sigma_for(EID, registrar.mac_secret)
    element = G.mul_base(pow(registrar.mac_secret + sigma, -1, G.ORDER))
    return SheetCredential(EID, seed, element)


def test_round_trip_and_the_spec_encoding() -> None:
    sheet = SheetCredential.fake(EID)
    code = sheet.code()
    assert SHAPE.match(code) and len(code.replace("-", "")) == sheet_code.CODE_CHARS
    assert code.replace("-", "") == _code_of(sheet.seed, sheet.element)
    again = SheetCredential.from_code(EID, code)
    assert again == sheet and again.sigma == sheet.sigma


def test_what_people_type_is_read() -> None:
    """Case, spaces, dashes, line breaks, Cyrillic look-alikes and the digits base32 leaves out do not matter."""
    sheet = next(
        x for x in iter(lambda: SheetCredential.fake(EID), None) if set("ABEKMHOPCTXI") <= set(x.code())
    )
    code = sheet.code()  # holds every letter that has a look-alike
    plain = code.replace("-", "")
    cyrillic = plain.translate(str.maketrans("ABEKMHOPCTXI", "АВЕКМНОРСТХІ"))
    digits = plain.translate(str.maketrans("OIB", "018"))
    spaced = " ".join(plain[i : i + 4] for i in range(0, 80, 4))
    for typed in (
        code.lower(),
        plain,
        spaced,
        code.replace("-", "\n"),
        cyrillic.lower(),
        digits,
        f" {code} ",
    ):
        assert SheetCredential.from_code(EID, typed) == sheet, typed


def test_mistyped_codes_are_refused_with_the_reason_and_never_the_code() -> None:
    sheet = SheetCredential.fake(EID)
    code = sheet.code()
    plain = code.replace("-", "")
    i = 37
    swapped = plain[:i] + ("A" if plain[i] != "A" else "B") + plain[i + 1 :]
    errors = [
        _refused(swapped, "checksum does not match"),
        _refused(plain[1:] + plain[0], "checksum does not match"),  # a transposition
        _refused(plain[:-1], "expected 80 letters and digits, got 79"),
        _refused(plain + "A", "got 81"),
        _refused("", "empty"),
        _refused("- -", "empty"),
        _refused(plain[:-1] + "9", "not base32"),
    ]
    secrets_shown = (plain, plain[:20], plain[-20:], sheet.seed.hex(), sheet.element.hex())
    for exc in errors:
        assert not any(s in str(exc) for s in secrets_shown), str(exc)
    assert not any(s in repr(sheet) for s in secrets_shown)


def test_another_elections_sheet_reads_as_mistyped() -> None:
    code = SheetCredential.fake("other-election").code()
    err = _refused(code, "another election")
    assert code.replace("-", "") not in str(err)
    assert SheetCredential.from_code("other-election", code).election_id == "other-election"


@pytest.mark.parametrize(
    ("element", "what"),
    [(G.IDENTITY, "identity"), (b"\xff" * 32, "non-canonical"), ((2).to_bytes(32, "little"), "not a point")],
    ids=["identity", "non-canonical", "not a point"],
)
def test_a_checksummed_code_without_a_valid_credential_element_is_refused(element: bytes, what: str) -> None:
    seed = bytes(range(16))
    _refused(_code_of(seed, element), "not a credential")


def test_sigma_is_derived_from_the_seed_and_the_election() -> None:
    seed = bytes(range(16))
    wide = hashlib.sha512(frame(b"plebiscite/v1/cr-sheet-sigma", EID.encode(), seed)).digest()
    assert sheet_sigma(EID, seed) == int.from_bytes(wide, "little") % G.ORDER
    assert sheet_sigma("other", seed) != sheet_sigma(EID, seed)
    sheet = SheetCredential(EID, seed, G.GENERATOR)
    assert sheet.sigma == sheet_sigma(EID, seed)


def test_the_registrar_draws_again_while_s_plus_sigma_is_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    bad, good = b"\x01" * 16, b"\x02" * 16
    s = (-sheet_sigma(EID, bad)) % G.ORDER
    draws = iter([bad, good])
    with monkeypatch.context() as patched:
        patched.setattr(sheet_code.secrets, "token_bytes", lambda n: next(draws))
        assert sheet_sigma_for(EID, s) == (good, sheet_sigma(EID, good))
    registrar, fingerprint = Registrar(2, [s, 1], bytes(32), bytes(32)), bytes(32)
    with pytest.raises(CoercionError, match="s \\+ σ = 0"):  # and the registrar refuses such a σ if given one
        registrar.issue(
            VoterKey.generate(EID).request(fingerprint), G.GENERATOR, fingerprint, sheet_sigma(EID, bad)
        )


def test_real_and_fake_sheets_have_the_same_shape_and_only_the_mac_tells_them_apart() -> None:
    registrar = Registrar.new(2)
    s = registrar.mac_secret
    real = [_real_sheet(registrar) for _ in range(20)]
    fake = [SheetCredential.fake(EID) for _ in range(20)]
    for sheet in (*real, *fake):
        code = sheet.code()
        assert SHAPE.match(code)
        assert SheetCredential.from_code(EID, code) == sheet  # the checksum a coercer can run passes for both
        assert len(sheet.seed) == 16 and G.is_valid_element(sheet.element) and sheet.element != G.IDENTITY
    # what only the MAC secret s decides: (s + σ)·V = G holds for the real ones only
    assert all(G.mul(x.element, (s + x.sigma) % G.ORDER) == G.GENERATOR for x in real)
    assert not any(G.mul(x.element, (s + x.sigma) % G.ORDER) == G.GENERATOR for x in fake)
    # every code character is drawn from the whole alphabet for both (no fixed positions that differ)
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    for sheets in (real, fake):
        seen = set("".join(x.code().replace("-", "")[:76] for x in sheets))
        assert seen == alphabet
    assert len({x.code() for x in fake}) == len(fake)


def test_a_sheets_ballot_is_accepted_and_counted_only_when_real(tmp_path: Path) -> None:
    """Two voters register in person (sheets), one with a device. The coercer votes with a fake sheet after the
    voter's real ballot; the board accepts every ballot; the tally counts exactly the voters' real ballots."""
    p = prepare_election(tmp_path / "rec", EID, voters=3, extra_questions=False, sheets=2)
    cc, manifest = p.cc, p.manifest
    ctx = cc.open_voting()
    demand = coercer_choice(manifest)
    resist = {q.id: [q.options[-1].id] for q in manifest.questions}
    assert demand != resist
    real = [SheetCredential.from_code(EID, x.code()) for x in p.sheets]  # as typed at the booth
    fake = SheetCredential.fake(EID)
    assert real[0].sigma == p.credentials[0].sigma and real[0].element == p.credentials[0].element
    votes = [resist, demand, resist]  # voter 0 resists; voter 1 obeys with their real sheet
    assert cc.mac_payload is not None
    tally_set = [
        TallyTrustee(t, trustee_mac_share(cc.mac_payload, p.mac, t.index, t.box_secret))
        for t in p.trustees[1:]
    ]
    cc.precompute(tally_set, 1)
    for credential, choice in ((real[0], votes[0]), (real[1], votes[1]), (p.credentials[2], votes[2])):
        cc.cast(encrypt_ballot(ctx, credential, choice)[0].to_json())
    coerced = encrypt_ballot(ctx, fake, demand)[0]
    check_ballot(coerced.to_json(), ctx)  # the board accepts the fake sheet's ballot like any other
    cc.cast(coerced.to_json())
    cc.close()
    tally = cc.tally(tally_set, 1)
    assert len(tally["counted"]) == 3
    for t in p.trustees[1:]:
        cc.decrypt(t)
    assert cc.combine()["questions"] == expected_counts(manifest, votes)
