"""Casting in a coercion-resistant election from a terminal: the credential a voter holds, checked against the board.

``plebiscite vote --board`` takes either the device file ``plebiscite credential register`` wrote (or a fake made
from it) or the code of a credential sheet (from a file, or typed at a hidden prompt — never on the command line,
where ``ps`` shows it). Real and fake credentials go through exactly the same steps: nothing here can tell them
apart, and nothing the voter sees differs (docs/coercion.md §6).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from plebiscite.coercion.ballot import CastingCredential
from plebiscite.coercion.codec import CoercionError
from plebiscite.coercion.registration import RegistrationError, load_device_credential
from plebiscite.coercion.sheet_code import SheetCredential
from plebiscite.setup.election import ElectionContext


def read_code_file(path: Path) -> str:
    """The code from a file: its text, whatever the line breaks (never echoed in an error)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CoercionError(f"--code-file {path}: no such file") from None
    except (OSError, UnicodeDecodeError):
        raise CoercionError(f"--code-file {path}: cannot read it as text") from None


def casting_credential(
    ctx: ElectionContext, credential: Path | None, code_file: Path | None, prompt: Callable[[], str]
) -> CastingCredential:
    """The credential to cast with: a device file, or a sheet's code (``code_file``, else ``prompt()``).

    A device file must be for this election and this election key, and its designated-verifier proof must verify
    (the check anyone can run: a fake passes it too). A code must pass its checksum for this election.
    """
    if credential is not None and code_file is not None:
        raise CoercionError("give --credential (a credential file) or --code-file (a sheet's code), not both")
    eid = ctx.manifest.election_id
    if credential is None:
        code = read_code_file(code_file) if code_file is not None else prompt()
        return SheetCredential.from_code(eid, code)
    device = load_device_credential(credential)
    if device.credential.election_id != eid:
        raise RegistrationError(
            f"{credential}: this credential is for election {device.credential.election_id!r}"
        )
    if device.info.election_key != ctx.public_key:
        raise RegistrationError(f"{credential}: made for another election key than the board's")
    try:
        device.check()
    except CoercionError as exc:
        raise RegistrationError(f"{credential}: the credential's proof does not verify ({exc})") from None
    return device.credential
