"""In-person registration and casting from the terminal (issue 11, item 2's in-person variant): the registrar's
station prints a credential sheet whose QR code and typed code carry a credential on the roll; fake sheets, printed
there or anywhere, are the same document with another code; `plebiscite vote --board` casts with a sheet's code or
a device file; every refusal is named, spends no enrolment code and leaves no file behind."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pypdfium2 as pdfium  # dev dependencies: a test that cannot decode the QR code must fail, not skip
import pytest
import zxingcpp
from typer.testing import CliRunner

from plebiscite.board.demo_http import LoopbackServer, free_port
from plebiscite.board.election import BoardElection
from plebiscite.board.trustee_client import TrusteeBoard
from plebiscite.cli.main import app
from plebiscite.coercion import registration as reg
from plebiscite.coercion import station as st
from plebiscite.coercion.codec import CoercionError
from plebiscite.coercion.credentials import Credential
from plebiscite.coercion.registrar_service import Enrolment, EnrolmentRefusal, load_vault, registrar_app
from plebiscite.coercion.sheet_code import SheetCredential
from plebiscite.hazmat import group as G
from tests.service.conftest import ADMIN, BOARD_KEY, TOKEN

from .conftest import served_after_ceremony

EID = "sheet-station"
PASS = "registrar passphrase"
KEY = BOARD_KEY.verify_key.encode().hex()
runner = CliRunner()


def run(*args: object, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args], input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _quiet(_m: str) -> None:
    pass


@pytest.fixture
def board(tmp_path: Path) -> Iterator[tuple[str, BoardElection]]:
    """A served coercion-resistant election after its key ceremony (registration comes next)."""
    with served_after_ceremony(tmp_path, EID, extra_questions=False) as served:
        yield served


def read_sheet(path: Path) -> tuple[str, str]:
    """The QR code's text (rendered by PDFium, decoded by ZXing) and the page's text."""
    page = pdfium.PdfDocument(path)[0]
    found = zxingcpp.read_barcodes(page.render(scale=1).to_pil())
    assert [r.format for r in found] == [zxingcpp.BarcodeFormat.QRCode], path
    return found[0].text, page.get_textpage().get_text_range()


def skeleton(pdf: bytes) -> tuple[bytes, list[bytes]]:
    """The file without its streams, offsets and lengths; and the streams themselves."""
    streams = re.findall(rb"stream\n(.*?)\nendstream", pdf, re.DOTALL)
    rest = re.sub(rb"stream\n.*?\nendstream", b"stream", pdf, flags=re.DOTALL)
    rest = re.sub(rb"/Length \d+", b"/Length", rest.split(b"\nxref\n")[0])
    return rest, streams


def assert_same_document(a: Path, b: Path) -> None:
    """Two sheets differ in the page's drawing (QR code, code) only: same objects, fonts, metadata, and size class."""
    (skel_a, streams_a), (skel_b, streams_b) = skeleton(a.read_bytes()), skeleton(b.read_bytes())
    assert skel_a == skel_b
    assert len(streams_a) == len(streams_b)
    differing = [i for i, (x, y) in enumerate(zip(streams_a, streams_b, strict=True)) if x != y]
    assert len(differing) == 1  # the page's content stream; every embedded font is byte for byte the same
    size_a, size_b = a.stat().st_size, b.stat().st_size
    assert abs(size_a - size_b) < 0.02 * size_a
    assert b"CreationDate (D:20000101" in a.read_bytes() and b"/ID" not in a.read_bytes()


def _without(text: str, code: str) -> str:
    for line in code.split("-"):
        text = text.replace(line, "")
    return text


def test_station_sheets_fakes_and_casting_from_the_terminal(
    board: tuple[str, BoardElection], tmp_path: Path
) -> None:
    url, election = board
    home = tmp_path / "registrar"
    reg.deal(TrusteeBoard(url, home / "mirror", KEY), home / "vault.json", PASS, TOKEN, _quiet)
    (home / "pass.txt").write_text(PASS + "\n")
    enrolment = Enrolment(home / "enrolment.db")
    codes = enrolment.add_codes(3)
    station = (
        "registrar", "station", "--vault", home / "vault.json", "--passphrase-file", home / "pass.txt",
        "--state", home / "enrolment.db", "--board", url, "--board-key", KEY,
    )  # fmt: skip
    sheets = tmp_path / "sheets"

    # the station registers one voter in person: a sheet and two fakes, all 0600
    code, out = run(
        *station, "--code", codes[0].lower(), "--out", sheets / "voter.pdf", "--fakes", 2, "--lang", "uk"
    )
    assert code == 0, out
    real_pdf, *fake_pdfs = sheets / "voter.pdf", sheets / "voter.fake-1.pdf", sheets / "voter.fake-2.pdf"
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in (real_pdf, *fake_pdfs))
    assert enrolment.status(codes[0]) == "used"
    # the helper's command prints fake sheets anywhere, with no secret: the same document
    fake_sheet = ("credential", "sheet", "--board", url, "--lang", "uk")
    code, out = run(*fake_sheet, "--fake", "--count", 2, "--out", tmp_path / "home" / "f.pdf")
    assert code == 0, out
    fake_pdfs += [tmp_path / "home" / "f-1.pdf", tmp_path / "home" / "f-2.pdf"]

    vault = load_vault(home / "vault.json", PASS)
    s = vault.registrar.mac_secret
    real_code, real_text = read_sheet(real_pdf)
    real = SheetCredential.from_code(EID, real_code)
    assert real.code() == real_code  # the QR code holds exactly the typed code
    assert G.mul(real.element, (s + real.sigma) % G.ORDER) == G.GENERATOR  # a valid credential, MAC and all
    assert "Ключ виборця" in real_text and EID in real_text
    assert all(line in real_text for line in real_code.split("-"))
    # a copy reprinted from the typed code anywhere is the station's sheet byte for byte (nothing else in it)
    (tmp_path / "code.txt").write_text(real_code.lower() + "\n")
    code, out = run(
        *fake_sheet, "--code-file", tmp_path / "code.txt", "--out", tmp_path / "home" / "copy.pdf"
    )
    assert code == 0, out
    assert (tmp_path / "home" / "copy.pdf").read_bytes() == real_pdf.read_bytes()
    fake_codes = []
    for fake_pdf in fake_pdfs:
        fake_code, fake_text = read_sheet(fake_pdf)
        fake = SheetCredential.from_code(EID, fake_code)  # passes every check a coercer can run
        assert G.mul(fake.element, (s + fake.sigma) % G.ORDER) != G.GENERATOR
        assert _without(fake_text, fake_code) == _without(real_text, real_code)
        assert_same_document(real_pdf, fake_pdf)
        fake_codes.append(fake_code)

    # refusals: a used code, an unknown code, an existing file — named, no file, no code spent
    for bad, reason in ((codes[0], "already used"), ("AAAA-BBBB-CCCC-DDDD", "not an enrolment code")):
        code, out = run(*station, "--code", bad, "--out", sheets / "again.pdf")
        assert code == 2 and reason in out and bad not in out.upper(), out
        assert not (sheets / "again.pdf").exists()
    code, out = run(*station, "--code", codes[1], "--out", real_pdf)
    assert code == 2 and "already exists" in out and enrolment.status(codes[1]) == "unused"
    code, out = run("credential", "sheet", "--board", url, "--out", tmp_path / "x.pdf")
    assert code == 2 and "--fake" in out

    # a device registers over the network as well; then the roll, and voting opens
    info = reg.election_info(TrusteeBoard(url, home / "mirror", KEY).view())
    with LoopbackServer(registrar_app(vault, enrolment, info), free_port()) as registrar:
        device = TrusteeBoard(url, tmp_path / "device" / "mirror", KEY)
        reg.register_device(registrar.url, device, codes[1], tmp_path / "device" / "cred.json", _quiet)
    reg.make_fake(tmp_path / "device" / "cred.json", tmp_path / "device" / "fake.json")
    assert reg.publish(url, enrolment, TOKEN, _quiet) == 2
    code, out = run(*station, "--code", codes[2], "--out", sheets / "late.pdf")  # on no roll: refused
    assert code == 2 and "registration is closed" in out and enrolment.status(codes[2]) == "unused"
    enrolment.close()
    assert httpx.post(f"{url}/api/admin/open", headers=ADMIN).status_code == 200

    # casting from the terminal: the sheet's code from a file or typed at the prompt, a device file or its fake
    vote = ("vote", "--board", url, "--board-key", KEY, "--choice", "q1=yes")
    casts = [
        (("--code-file", tmp_path / "code.txt"), None),
        ((), fake_codes[0] + "\n"),
        (("--credential", tmp_path / "device" / "cred.json"), None),
        (("--credential", tmp_path / "device" / "fake.json"), None),
    ]
    before = election.board.size()
    for i, (how, typed) in enumerate(casts):
        code, out = run(*vote, *how, "--receipt", tmp_path / f"receipt-{i}.json", input=typed)
        assert code == 0 and "ballot cast: tracking code" in out, out
        assert (tmp_path / f"receipt-{i}.json").stat().st_mode & 0o777 == 0o600
        assert real_code not in out and fake_codes[0] not in out
    assert election.board.size() == before + 4
    assert [e.type for e in election.events()[before:]] == ["cr-ballot"] * 4

    # refusals when casting: named, exit 2, no receipt, nothing on the board
    mistyped = real_code[:10] + ("A" if real_code[10] != "A" else "B") + real_code[11:]
    (tmp_path / "bad.txt").write_text(mistyped)
    standard = tmp_path / "standard.json"
    standard.write_text('{"format": "plebiscite-credential/1"}')
    refusals = [
        (("--code-file", tmp_path / "bad.txt"), "checksum does not match"),
        (("--code-file", tmp_path / "nowhere.txt"), "no such file"),
        (
            ("--code-file", tmp_path / "code.txt", "--credential", tmp_path / "device" / "cred.json"),
            "not both",
        ),
        (("--credential", standard), "not a credential file"),
    ]
    for how, reason in refusals:
        code, out = run(*vote, *how, "--receipt", tmp_path / "refused.json")
        assert code == 2 and reason in out and mistyped not in out, out
        assert not (tmp_path / "refused.json").exists()
    assert election.board.size() == before + 4


def test_the_station_spends_no_code_on_a_sheet_it_does_not_hand_out(
    board: tuple[str, BoardElection], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proof that does not verify prints nothing; a code used meanwhile (the claim lost) removes the sheets
    already written; a vault whose MAC secret is not the board's is refused before anything."""
    url, _ = board
    home = tmp_path / "registrar"
    reg.deal(TrusteeBoard(url, home / "mirror", KEY), home / "vault.json", PASS, TOKEN, _quiet)
    view = TrusteeBoard(url, home / "mirror", KEY).view()
    info, election = reg.election_info(view), st.sheet_election(view)
    vault = load_vault(home / "vault.json", PASS)
    enrolment = Enrolment(home / "enrolment.db")
    code = enrolment.add_codes(1)[0]
    out = tmp_path / "sheets" / "voter.pdf"

    def station() -> list[Path]:
        return st.register_in_person(vault, enrolment, info, election, code, out, 1, "en", _quiet)

    def bad_proof(*_a: object) -> None:
        raise CoercionError("dv proof: challenge mismatch")

    with monkeypatch.context() as m:
        m.setattr(Credential, "check", bad_proof)
        with pytest.raises(st.StationError, match=r"proof does not verify.*nothing printed"):
            station()
    assert not out.parent.exists() or not any(out.parent.iterdir())
    assert enrolment.status(code) == "unused"

    with monkeypatch.context() as m:
        m.setattr(Enrolment, "claim", lambda *_a: False)  # another station claimed it meanwhile
        with pytest.raises(EnrolmentRefusal, match="already used") as refused:
            station()
    assert refused.value.status == 409 and not any(out.parent.iterdir())

    from plebiscite.coercion.credentials import Registrar
    from plebiscite.coercion.registrar_service import RegistrarVault

    impostor = RegistrarVault(Registrar.new(2), vault.election_id, vault.ceremony)
    with pytest.raises(st.StationError, match="MAC secret is not that of the MAC key on the board"):
        st.register_in_person(impostor, enrolment, info, election, code, out, 0, "en", _quiet)
    with pytest.raises(st.StationError, match="--lang"):
        st.register_in_person(vault, enrolment, info, election, code, out, 0, "de", _quiet)

    assert station() == [out, out.with_name("voter.fake-1.pdf")]
    assert enrolment.status(code) == "used" and out.exists()
    enrolment.close()
