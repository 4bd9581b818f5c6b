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
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
VOIDED_TABLE = (
    "CREATE TABLE IF NOT EXISTS voided (digest TEXT PRIMARY KEY, voter_key TEXT NOT NULL, entry TEXT NOT NULL, "
    "voided_at INTEGER NOT NULL, replaced_by TEXT NOT NULL)"
)
REISSUE_REFUSALS = {
    "unknown": "code: not an enrolment code of this election",
    "unused": "code: not used yet, nothing to re-issue (the voter registers with this code)",
    "voided": "code: already re-issued (its entry is void; the voter holds the code that replaced it)",
}
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
        # a re-issue or a publication holds the write lock while it reads the board: wait for it, do not fail
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=120)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS codes (digest TEXT PRIMARY KEY, voter_key TEXT UNIQUE, entry TEXT)"
        )
        self.db.execute(VOIDED_TABLE)

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
        """``unknown``, ``unused``, ``used`` or ``voided`` (replaced by a re-issue: its entry is void)."""
        digest = code_digest(code)
        row = self.db.execute("SELECT voter_key FROM codes WHERE digest = ?", (digest,)).fetchone()
        if row is None:
            voided = self.db.execute("SELECT 1 FROM voided WHERE digest = ?", (digest,)).fetchone()
            return "unknown" if voided is None else "voided"
        return "unused" if row[0] is None else "used"

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
        """The live roll entries: one per code used (a voided entry is in ``voided``, never here)."""
        rows = self.db.execute(
            "SELECT voter_key, entry FROM codes WHERE voter_key IS NOT NULL ORDER BY voter_key"
        )
        return [{"voter_key": key, "credential": json.loads(entry)} for key, entry in rows]

    def voided_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM voided").fetchone()[0])

    def reissue(self, code: str, still_open: Callable[[], None], keep: Callable[[str], None]) -> str:
        """Void the entry ``code`` claimed and make the voter a fresh one-time code (docs/coercion.md §3.6).

        One transaction holding the state's write lock: the code must be used (else :class:`ReissueRefusal`
        naming why), then ``still_open`` reads the board — now, under the lock, so that a publication cannot slip
        between — and raises if the roll is out; the entry moves to ``voided`` (kept for audit, with when and the
        digest of the code replacing it), the old code is retired for good, the fresh code is added unused, and
        ``keep`` hands the fresh code over (writes its file) *before* the commit: a refusal or a failure anywhere
        leaves the state as it was, and a code is never made that nobody holds.
        """
        digest, fresh = code_digest(code), new_code()
        with self._lock, self._transaction():
            status = self.status(code)
            if status != "used":
                raise ReissueRefusal(REISSUE_REFUSALS[status])
            still_open()
            voter_key, entry = self.db.execute(
                "SELECT voter_key, entry FROM codes WHERE digest = ?", (digest,)
            ).fetchone()
            self.db.execute(
                "INSERT INTO voided (digest, voter_key, entry, voided_at, replaced_by) VALUES (?, ?, ?, ?, ?)",
                (digest, voter_key, entry, int(time.time()), code_digest(fresh)),
            )
            self.db.execute("DELETE FROM codes WHERE digest = ?", (digest,))
            self.db.execute("INSERT INTO codes (digest) VALUES (?)", (code_digest(fresh),))
            keep(fresh)
        return fresh

    def publishing(self, post: Callable[[list[dict[str, Any]]], int]) -> tuple[int, int]:
        """``post`` the live entries while holding the write lock, so that no re-issue or registration changes
        them between reading and posting; the number posted and the number of voided entries left out."""
        with self._lock, self._transaction():
            return post(self.entries()), self.voided_count()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


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
VOIDED = "code: replaced by a re-issue (register with the new code the registrar gave you)"


class ReissueRefusal(CoercionError):
    """A re-issue refused (``registrar reissue``); the message names the field and the reason."""


def check_code(enrolment: Enrolment, code: str) -> None:
    """403 for a code this election never made, 409 for one already used."""
    status = enrolment.status(code)
    if status == "unknown":
        raise EnrolmentRefusal(403, "code: not an enrolment code of this election")
    if status == "used":
        raise EnrolmentRefusal(409, USED)
    if status == "voided":
        raise EnrolmentRefusal(409, VOIDED)


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
