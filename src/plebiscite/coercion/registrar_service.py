"""The registrar on its own machine: its vault, one-time enrolment codes, and the registration service devices call.

Flow (docs/coercion.md §3.4): after the key ceremony the registrar deals its MAC key to the trustees (``cr-mac-key``
on the board); it hands every eligible voter a one-time enrolment code (by post, at the town hall — whatever the
election law requires to check who is eligible); the voter's device makes its own key ``y``, proves it knows it, and
sends the code with ``Y``; the registrar answers with the credential ``(σ, V)``, the roll entry ``Enc(V)`` and the
designated-verifier proof. Only ``Y`` and ``Enc(V)`` are kept here, against the code's digest, until the roll is
published on the board. The codes themselves are never stored: only their SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from plebiscite.coercion.codec import CoercionError
from plebiscite.coercion.credentials import Credential, Registrar, VoterKeyRequest
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.vault import VaultError, seal, unseal
from plebiscite.proofs import schnorr
from plebiscite.proofs.common import ProofError
from plebiscite.secretfiles import read_document, write_private_bytes

VAULT_FORMAT = "plebiscite-registrar-vault/1"
CODE_BYTES = 10  # 80 bits: not guessable in an election's lifetime


@dataclass
class RegistrarVault:
    """The registrar's secrets, bound to one election's key ceremony."""

    registrar: Registrar
    election_id: str
    ceremony: bytes

    def to_secret(self) -> dict[str, Any]:
        r = self.registrar
        return {
            "threshold": r.threshold,
            "coefficients": [G.scalar_to_bytes(a).hex() for a in r.coefficients],
            "signing_seed": r.signing_seed.hex(),
            "box_secret": r.box_secret.hex(),
            "election_id": self.election_id,
            "ceremony": self.ceremony.hex(),
        }


def create_vault(path: Path, vault: RegistrarVault, passphrase: str) -> None:
    body = {
        "format": VAULT_FORMAT,
        "election_id": vault.election_id,
        "vault": seal(vault.to_secret(), passphrase),
    }
    write_private_bytes(path, json.dumps(body, indent=2).encode())


def load_vault(path: Path, passphrase: str) -> RegistrarVault:
    data = read_document(
        path, VAULT_FORMAT, "registrar vault", VaultError, "made by `plebiscite registrar deal`"
    )
    if not isinstance(data.get("vault"), dict):
        raise VaultError(f"{path}: not a registrar vault (no sealed part)")
    s = unseal(data["vault"], passphrase, str(path))
    try:
        registrar = Registrar(
            s["threshold"],
            [G.scalar_from_hex(a) for a in s["coefficients"]],
            bytes.fromhex(s["signing_seed"]),
            bytes.fromhex(s["box_secret"]),
        )
        return RegistrarVault(registrar, s["election_id"], bytes.fromhex(s["ceremony"]))
    except (KeyError, TypeError, ValueError):
        raise VaultError(f"{path}: damaged registrar vault") from None


def normalise_code(code: str) -> str:
    """Codes are read aloud and typed: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_code() -> str:
    text = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def code_digest(code: str) -> str:
    return hashlib.sha256(b"plebiscite/v1/enrolment-code" + normalise_code(code).encode()).hexdigest()


class Enrolment:
    """The registrar's state: digests of the enrolment codes and, for each code used, the roll entry it made."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS codes (digest TEXT PRIMARY KEY, voter_key TEXT UNIQUE, entry TEXT)"
        )

    def close(self) -> None:
        self.db.close()

    def add_codes(self, count: int) -> list[str]:
        codes = [new_code() for _ in range(count)]
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("INSERT INTO codes (digest) VALUES (?)", [(code_digest(c),) for c in codes])
            self.db.execute("COMMIT")
        return codes

    def status(self, code: str) -> str:
        """``unknown``, ``unused`` or ``used``."""
        row = self.db.execute("SELECT voter_key FROM codes WHERE digest = ?", (code_digest(code),)).fetchone()
        return "unknown" if row is None else ("unused" if row[0] is None else "used")

    def claim(self, code: str, voter_key: bytes, entry: list[str]) -> bool:
        """Record the entry against an unused code, atomically; False if the code was used meanwhile."""
        with self._lock:
            try:
                cursor = self.db.execute(
                    "UPDATE codes SET voter_key = ?, entry = ? WHERE digest = ? AND voter_key IS NULL",
                    (voter_key.hex(), json.dumps(entry), code_digest(code)),
                )
            except sqlite3.IntegrityError:
                raise CoercionError("voter_key: already registered with another code") from None
        return cursor.rowcount == 1

    def entries(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT voter_key, entry FROM codes WHERE voter_key IS NOT NULL ORDER BY voter_key"
        )
        return [{"voter_key": key, "credential": json.loads(entry)} for key, entry in rows]


@dataclass(frozen=True)
class ElectionInfo:
    """What a device needs to register and to check its credential (all public; the device checks it against the
    board)."""

    election_id: str
    ceremony: bytes
    election_key: bytes
    mac_key: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "election_id": self.election_id,
            "ceremony_fingerprint": self.ceremony.hex(),
            "election_key": self.election_key.hex(),
            "mac_key": self.mac_key.hex(),
        }


class EnrolmentRefusal(CoercionError):
    """A registration refused; ``status`` is what the registration service answers (403, 409 or 422)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


USED = "code: already used (ask the registrar in person)"


def check_code(enrolment: Enrolment, code: str) -> None:
    """403 for a code this election never made, 409 for one already used."""
    status = enrolment.status(code)
    if status == "unknown":
        raise EnrolmentRefusal(403, "code: not an enrolment code of this election")
    if status == "used":
        raise EnrolmentRefusal(409, USED)


def enrol(
    vault: RegistrarVault,
    enrolment: Enrolment,
    info: ElectionInfo,
    code: str,
    request: VoterKeyRequest,
    sigma: int | None = None,
    keep: Callable[[Credential], None] | None = None,
) -> Credential:
    """One registration, for the service (a device's request) and the station (a sheet, ``sigma`` given) alike.

    The code is checked first (403 unknown, 409 used), the credential issued (422 if the proof of key fails), then
    ``keep`` runs — the station writes the sheet there, so that a code is never spent on a sheet that was not
    written — and last the code is claimed with one conditional ``UPDATE`` (409 if it was used meanwhile, or if
    the voter key is registered already).
    """
    check_code(enrolment, code)
    try:
        credential = vault.registrar.issue(request, info.election_key, info.ceremony, sigma)
    except (CoercionError, ProofError, G.GroupError, ValueError) as exc:
        raise EnrolmentRefusal(422, str(exc)) from None
    if keep is not None:
        keep(credential)
    try:
        claimed = enrolment.claim(code, request.voter_key, credential.entry.to_json())
    except CoercionError as exc:
        raise EnrolmentRefusal(409, str(exc)) from None
    if not claimed:
        raise EnrolmentRefusal(409, USED)
    return credential


def registrar_app(
    vault: RegistrarVault,
    enrolment: Enrolment,
    info: ElectionInfo,
    require_open: Callable[[], None] | None = None,
) -> FastAPI:
    """``GET /registrar/election`` and ``POST /registrar/register`` (serve it behind TLS: credentials travel in the
    answer). ``require_open`` runs (in a worker thread) before each registration and raises
    :class:`EnrolmentRefusal` once the board no longer takes registrations (``registrar_follow.BoardWindow``)."""
    app = FastAPI(title="plebiscite registrar", docs_url=None, redoc_url=None)

    @app.get("/registrar/election")
    def election() -> dict[str, str]:
        return info.to_json()

    @app.post("/registrar/register")
    async def register(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            raise HTTPException(400, "body: not valid JSON") from None
        if not isinstance(body, dict) or set(body) != {"code", "voter_key", "proof"}:
            raise HTTPException(400, "body: expected exactly code, voter_key, proof")
        if not isinstance(body["code"], str) or len(body["code"]) > 64:
            raise HTTPException(400, "code: expected the enrolment code as text")
        try:
            if require_open is not None:  # first: once the roll is published no code is worth anything
                await run_in_threadpool(require_open)
            check_code(enrolment, body["code"])  # an unknown or used code is named whatever else is wrong
            try:
                voter_key = G.element_from_hex(body["voter_key"], "voter_key")
                proof = schnorr.SchnorrProof.from_json(body["proof"])
            except (ProofError, G.GroupError, ValueError) as exc:
                raise EnrolmentRefusal(422, str(exc)) from None
            req = VoterKeyRequest(info.election_id, voter_key, proof)
            credential = enrol(vault, enrolment, info, body["code"], req)
        except EnrolmentRefusal as exc:
            raise HTTPException(exc.status, str(exc)) from None
        return {"credential": credential.to_json()}

    return app
