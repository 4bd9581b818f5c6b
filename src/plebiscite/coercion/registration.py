"""Registration over the network: the registrar's steps against the board, and the voter's device.

The device trusts neither the registrar nor the board alone: it reads the election key, the ceremony fingerprint and
the registrar's MAC key from its own verified mirror of the board, refuses a registrar that serves other values,
makes its key ``y`` locally, and keeps the credential only once the designated-verifier proof verifies (which
convinces this voter, who knows it did not make the proof, and nobody else). The device file holds ``y`` so that
the voter can make fake credentials later, on any device, that look exactly like the real one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from plebiscite.board.trustee_client import BoardView, TrusteeBoard, TrusteeBoardError
from plebiscite.coercion.codec import CoercionError, element, scalar
from plebiscite.coercion.credentials import Credential, Registrar, VoterKey
from plebiscite.coercion.registrar_service import ElectionInfo, Enrolment, RegistrarVault, create_vault
from plebiscite.coercion.setup_posts import mac_key_of
from plebiscite.conduct import Conduct, DiscardSink
from plebiscite.hazmat import group as G
from plebiscite.secretfiles import read_document, write_private_bytes

DEVICE_FORMAT = "plebiscite-cr-device-credential/1"
Say = Callable[[str], None]


class RegistrationError(ValueError):
    """A registration step cannot go on; the message says why (nothing secret in it)."""


def election_info(view: BoardView) -> ElectionInfo:
    """The public values registration needs, from a verified copy of the board (after the MAC key is dealt)."""
    state = view.state
    if state.manifest is None or state.manifest.mode != "coercion-resistant":
        raise RegistrationError("the board does not hold a coercion-resistant election")
    conduct = Conduct(state, DiscardSink())
    outcome = conduct.ceremony_outcome()
    mac = mac_key_of(conduct, view.events)
    if mac is None:
        raise RegistrationError("the registrar has not dealt its MAC key on the board yet")
    return ElectionInfo(
        state.manifest.election_id, conduct.ceremony_fingerprint, outcome.public_key, mac.public
    )


def _admin_post(url: str, path: str, token: str, body: Any) -> dict[str, Any]:
    from plebiscite.board.client import BoardClientError
    from plebiscite.board.operator_client import BoardSession

    try:
        with BoardSession(url, token, timeout=600) as session:
            answer: dict[str, Any] = session.request("POST", path, admin=True, json=body)
    except BoardClientError as exc:
        raise RegistrationError(str(exc)) from None
    return answer


def deal(board: TrusteeBoard, vault_path: Path, passphrase: str, token: str, say: Say) -> None:
    """Make the registrar's MAC key, keep it in a new vault, and post its dealing to the trustees."""
    view = board.view()
    state = view.state
    if state.manifest is None or state.manifest.mode != "coercion-resistant":
        raise RegistrationError("the board does not hold a coercion-resistant election")
    conduct = Conduct(state, DiscardSink())
    outcome = conduct.ceremony_outcome()
    registrar = Registrar.new(state.threshold)
    payload = registrar.deal(outcome.announcements, tuple(outcome.qualified), conduct.ceremony_fingerprint)
    create_vault(
        vault_path,
        RegistrarVault(registrar, state.manifest.election_id, conduct.ceremony_fingerprint),
        passphrase,
    )
    _admin_post(board.url, "/api/admin/cr-mac-key", token, payload)
    say(f"MAC key dealt to trustees {outcome.qualified}; the registrar's secret is in {vault_path}")


def publish(board_url: str, enrolment: Enrolment, token: str, say: Say) -> int:
    """Post the live roll entries (one per code used; voided ones left out) while holding the enrolment state's
    write lock; the board checks and appends ``cr-roll`` and ``roll``."""

    def post(entries: list[dict[str, Any]]) -> int:
        if not entries:
            raise RegistrationError("nobody has registered yet: there is no roll to publish")
        answer = _admin_post(board_url, "/api/admin/cr-roll", token, {"entries": entries})
        return int(answer["entries"])

    posted, voided = enrolment.publishing(post)
    say(
        f"roll of {posted} voters published; {voided} entries voided by re-issue were left out "
        f"(kept in {enrolment.path} for audit)"
    )
    return posted


# --- the voter's device ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceCredential:
    """What the voter's device keeps: the credential (real or fake), ``y``, and the election's public values."""

    credential: Credential
    voter: VoterKey
    info: ElectionInfo

    def to_json(self) -> dict[str, Any]:
        return {
            "format": DEVICE_FORMAT,
            "credential": self.credential.to_json(),
            "voter_secret": G.scalar_to_bytes(self.voter.secret).hex(),
            "election": self.info.to_json(),
        }

    def check(self) -> None:
        """The designated-verifier proof, as anyone (a coercer too) can run it: fakes pass as well."""
        self.credential.check(self.info.election_key, self.info.mac_key, self.info.ceremony)

    def fake(self) -> DeviceCredential:
        fake = self.credential.fake(self.voter, self.info.election_key, self.info.mac_key, self.info.ceremony)
        return DeviceCredential(fake, self.voter, self.info)


def load_device_credential(path: Path) -> DeviceCredential:
    data = read_document(path, DEVICE_FORMAT, "credential file", RegistrationError)
    try:
        credential = Credential.from_json(data.get("credential"))
        e = data.get("election")
        if not isinstance(e, dict):
            raise CoercionError("election: expected an object")
        info = ElectionInfo(
            str(e["election_id"]),
            bytes.fromhex(e["ceremony_fingerprint"]),
            element(e.get("election_key"), "election.election_key"),
            element(e.get("mac_key"), "election.mac_key"),
        )
        voter = VoterKey(credential.election_id, scalar(data.get("voter_secret"), "voter_secret"))
    except (CoercionError, KeyError, TypeError, ValueError) as exc:
        raise RegistrationError(f"{path}: {exc}") from None
    if voter.public != credential.voter_key:
        raise RegistrationError(f"{path}: voter_secret is not the credential's voter key")
    return DeviceCredential(credential, voter, info)


def save_device_credential(path: Path, device: DeviceCredential) -> None:
    try:
        write_private_bytes(path, json.dumps(device.to_json(), indent=2).encode())
    except ValueError as exc:
        raise RegistrationError(str(exc)) from None


def register_device(
    registrar_url: str, board: TrusteeBoard, code: str, out: Path, say: Say
) -> DeviceCredential:
    """The device's whole registration: check the registrar against the board, make ``y``, ask, check, keep."""
    if out.exists():
        raise RegistrationError(f"{out}: already exists; refusing to overwrite a credential")
    info = election_info(board.view())
    try:
        served = httpx.get(f"{registrar_url.rstrip('/')}/registrar/election", timeout=30).json()
    except (httpx.HTTPError, ValueError) as exc:
        raise RegistrationError(f"registrar unreachable: {exc}") from None
    if served != info.to_json():
        raise RegistrationError(
            "the registrar serves other election values than the board holds: do not register"
        )
    voter = VoterKey.generate(info.election_id)
    request = voter.request(info.ceremony)
    body = {"code": code, "voter_key": voter.public.hex(), "proof": request.proof.to_json()}
    try:
        response = httpx.post(f"{registrar_url.rstrip('/')}/registrar/register", json=body, timeout=60)
    except httpx.HTTPError as exc:
        raise RegistrationError(f"registrar unreachable: {exc}") from None
    if response.status_code != 200:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text[:300]
        raise RegistrationError(f"the registrar refused ({response.status_code}): {detail}")
    try:
        credential = Credential.from_json(response.json().get("credential"))
    except (CoercionError, ValueError, AttributeError) as exc:
        raise RegistrationError(f"the registrar's answer is not a credential: {exc}") from None
    if credential.voter_key != voter.public or credential.election_id != info.election_id:
        raise RegistrationError("the registrar's credential is not for this device's key or this election")
    device = DeviceCredential(credential, voter, info)
    try:
        device.check()
    except CoercionError as exc:
        raise RegistrationError(
            f"the registrar's proof does not verify ({exc}): this credential is not valid"
        ) from None
    save_device_credential(out, device)
    say(
        f"registered: your credential is in {out} (keep it secret; make fake ones with `plebiscite credential fake`)"
    )
    return device


def make_fake(source: Path, out: Path) -> DeviceCredential:
    """A fake credential file from a real (or fake) one: same shape, same voter key, a proof that verifies."""
    fake = load_device_credential(source).fake()
    save_device_credential(out, fake)
    return fake


__all__ = [
    "DeviceCredential",
    "RegistrationError",
    "TrusteeBoardError",
    "deal",
    "election_info",
    "load_device_credential",
    "make_fake",
    "publish",
    "register_device",
]
