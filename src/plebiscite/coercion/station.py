"""The registrar's station: in-person registration that ends with a printed credential sheet (docs/coercion.md §3.5).

For a voter without a safe device, the registrar's machine in the registration room plays the voter's device: it
makes ``y`` and the request, claims the voter's enrolment code exactly as the registration service does
(:func:`registrar_service.enrol`: same refusals, one conditional ``UPDATE``), issues with a sheet ``σ``, verifies the
designated-verifier proof as a device would, and writes the sheet. ``y`` is never written anywhere: a sheet holds no
voter key, so nobody — the voter included — can make a *simulated proof* for it, and nobody needs to: a sheet
carries no proof, and a fake sheet is just a random code (:meth:`SheetCredential.fake`).

Fake sheets made here (``fakes``) and anywhere else (``plebiscite credential sheet --fake``) are the same document
with another code (:mod:`sheet_pdf`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from plebiscite.board.trustee_client import BoardView
from plebiscite.coercion.codec import CoercionError
from plebiscite.coercion.credentials import Credential, VoterKey
from plebiscite.coercion.registrar_follow import registration_closed
from plebiscite.coercion.registrar_service import ElectionInfo, Enrolment, RegistrarVault, enrol
from plebiscite.coercion.sheet_code import SheetCredential, sheet_sigma_for
from plebiscite.coercion.sheet_pdf import LANGUAGES, render_sheet
from plebiscite.hazmat import group as G
from plebiscite.secretfiles import refuse_existing, write_private_bytes

Say = Callable[[str], None]


class StationError(ValueError):
    """The station cannot print this sheet; the message says why (never a code or a secret)."""


@dataclass(frozen=True)
class SheetElection:
    """What a sheet prints about its election: the id (bound by the code's checksum) and the title."""

    election_id: str
    titles: dict[str, str]
    languages: tuple[str, ...]

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get("en") or self.election_id

    @property
    def default_language(self) -> str:
        """The manifest's first language that a sheet can be printed in."""
        return next((lang for lang in self.languages if lang in LANGUAGES), "en")


def sheet_election(view: BoardView) -> SheetElection:
    """From a verified copy of the board: any coercion-resistant election once its manifest is there."""
    manifest = view.state.manifest
    if manifest is None or manifest.mode != "coercion-resistant":
        raise StationError("the board does not hold a coercion-resistant election")
    return SheetElection(manifest.election_id, dict(manifest.title), tuple(manifest.languages))


def require_registration_open(view: BoardView) -> None:
    """A credential issued after the roll was published is on no roll: it would silently count for nothing."""
    reason = registration_closed(view.events, view.state)
    if reason is not None:
        raise StationError(reason)


def fake_paths(out: Path, count: int) -> list[Path]:
    """``sheet.pdf`` → ``sheet.fake-1.pdf``, … (the names are for the station's operator; the pages are alike)."""
    return [out.with_name(f"{out.stem}.fake-{i}{out.suffix}") for i in range(1, count + 1)]


def write_sheets(pages: list[tuple[Path, bytes]]) -> None:
    """All the files or none: a failure part-way removes what was written."""
    refuse_existing([p for p, _ in pages])
    written: list[Path] = []
    try:
        for path, data in pages:
            write_private_bytes(path, data)
            written.append(path)
    except BaseException:
        remove(written)
        raise


def remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def check_vault(vault: RegistrarVault, info: ElectionInfo) -> None:
    """The vault must hold the MAC secret of the key on the board, for this election's ceremony."""
    if vault.election_id != info.election_id or vault.ceremony != info.ceremony:
        raise StationError("the vault belongs to another election's ceremony than the board's")
    if G.mul_base(vault.registrar.mac_secret) != info.mac_key:
        raise StationError("the vault's MAC secret is not that of the MAC key on the board")


def print_fake_sheets(election: SheetElection, out: Path, count: int, lang: str) -> list[Path]:
    """``count`` fake sheets (no secret needed): ``out`` itself when one, else ``out``'s stem numbered."""
    if lang not in LANGUAGES:
        raise StationError(f"--lang: expected one of {', '.join(LANGUAGES)}")
    paths = (
        [out] if count == 1 else [out.with_name(f"{out.stem}-{i}{out.suffix}") for i in range(1, count + 1)]
    )
    refuse_existing(paths)
    title = election.title(lang)
    write_sheets([(p, render_sheet(SheetCredential.fake(election.election_id), title, lang)) for p in paths])
    return paths


def register_in_person(
    vault: RegistrarVault,
    enrolment: Enrolment,
    info: ElectionInfo,
    election: SheetElection,
    code: str,
    out: Path,
    fakes: int,
    lang: str,
    say: Say,
) -> list[Path]:
    """The station's whole registration of one voter; returns the files written (the real sheet first)."""
    if lang not in LANGUAGES:
        raise StationError(f"--lang: expected one of {', '.join(LANGUAGES)}")
    if election.election_id != info.election_id:
        raise StationError("the board's manifest and the registration values name different elections")
    check_vault(vault, info)
    paths = [out, *fake_paths(out, fakes)]
    refuse_existing(paths)  # before the code is touched
    voter = VoterKey.generate(info.election_id)  # the device's y, made here and never written anywhere
    seed, sigma = sheet_sigma_for(info.election_id, vault.registrar.mac_secret)
    title = election.title(lang)
    written: list[Path] = []

    def keep(credential: Credential) -> None:
        """As a device would: the credential is for this key and σ, and its proof verifies — then print."""
        if credential.voter_key != voter.public or credential.sigma != sigma:
            raise StationError("the issued credential is not for this station's key and σ")
        try:
            credential.check(info.election_key, info.mac_key, info.ceremony)
        except CoercionError as exc:
            raise StationError(
                f"the issued credential's proof does not verify ({exc}): nothing printed"
            ) from None
        sheet = SheetCredential(info.election_id, seed, credential.element)
        if SheetCredential.from_code(info.election_id, sheet.code()) != sheet:
            raise StationError("the sheet's code does not read back: nothing printed")
        pages = [(out, render_sheet(sheet, title, lang))]
        pages += [(p, render_sheet(SheetCredential.fake(info.election_id), title, lang)) for p in paths[1:]]
        write_sheets(pages)
        written.extend(paths)

    try:
        enrol(vault, enrolment, info, code, voter.request(info.ceremony), sigma, keep)
    except BaseException:
        # the code was not claimed (refused, or used meanwhile): a sheet already written must not go out
        remove(written)
        raise
    say(
        f"registered in person: the credential sheet is {out}"
        + (f", with {fakes} fake sheet(s) beside it" if fakes else "")
        + "; print, hand over, then delete the files"
    )
    return paths
