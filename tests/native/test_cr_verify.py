"""The native engine on the mode's key proofs: the registrar's Schnorr proofs on the MAC key's commitments and the
tag keys' Chaum–Pedersen proofs (docs/native.md §7.1). The native checks themselves accept the record's honest
proofs and refuse every forgery; the verifier, on the native engine, accepts honest keys without the reference's
help; malformed encodings are named errors.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import pytest

from plebiscite import native
from plebiscite.coercion import credentials, tags
from plebiscite.coercion import events as cev
from plebiscite.coercion.credentials import mac_context
from plebiscite.coercion.precompute import STAGES
from plebiscite.hazmat import group as G
from plebiscite.keyceremony.polynomial import lagrange_at_zero
from plebiscite.native import cr as native_cr
from plebiscite.proofs import dleq, schnorr
from plebiscite.verify.runner import verify_events
from tests.coercion.conftest import CrElection, cr_election  # noqa: F401  (the session fixture)
from tests.coercion.test_tamper import bump, element, rebuild, tamper

from .conftest import needs_native
from .test_cr import _summary

pytestmark = needs_native


def _mac_proofs(e: CrElection) -> list[tuple[bytes, schnorr.SchnorrProof]]:
    payload = next(x.payload for x in e.events if x.type == cev.MAC_KEY)
    return [
        (bytes.fromhex(c), schnorr.SchnorrProof.from_json(p))
        for c, p in zip(payload["commitments"], payload["proofs"], strict=True)
    ]


def _tag_keys(e: CrElection) -> list[tuple[bytes, bytes, bytes, dleq.DleqProof, bytes]]:
    """Per trustee and stage: ``(base λ_j·X_j, Z, U, proof, context)``."""
    order = next(x.payload for x in e.events if x.type == cev.PRECOMPUTE)["trustees"]
    out = []
    for x in (x for x in e.events if x.type == cev.TALLY_KEYS):
        j = x.payload["trustee"]
        base = G.mul(e.ctx.verification_keys[j], lagrange_at_zero(j, order))
        for stage in STAGES:
            k = x.payload[stage]
            proof = dleq.DleqProof.from_json(k["proof"])
            context = tags.stage_context("tag-key/" + stage, j)
            out.append((base, bytes.fromhex(k["z"]), bytes.fromhex(k["u"]), proof, context))
    return out


def test_mac_key_proofs_native_verdicts(cr_election: CrElection) -> None:  # noqa: F811
    e, fp = cr_election, cr_election.ceremony_fp
    proofs = _mac_proofs(e)
    assert len(proofs) == e.ctx.threshold
    for j, (public, proof) in enumerate(proofs):
        assert native_cr.schnorr_holds(proof, public, fp, mac_context(j))
        other = G.mul_base(G.random_scalar())
        forged = [
            (schnorr.SchnorrProof(proof.c, (proof.z + 1) % G.ORDER), public, mac_context(j)),
            (schnorr.SchnorrProof((proof.c + 1) % G.ORDER, proof.z), public, mac_context(j)),
            (proof, other, mac_context(j)),  # another commitment
            (proof, public, mac_context(j + 1)),  # another coefficient's context
        ]
        for bad, key, context in forged:
            assert not native_cr.schnorr_holds(bad, key, fp, context)
            with pytest.raises(schnorr.ProofError):
                schnorr.verify(bad, key, fp, context)  # the reference agrees


def test_tag_key_proofs_native_verdicts(cr_election: CrElection) -> None:  # noqa: F811
    fp = cr_election.ctx.fingerprint
    keys = _tag_keys(cr_election)
    assert len(keys) == 2 * len(STAGES)
    for base, z, u, proof, context in keys:
        assert native_cr.dleq_holds(proof, base, z, u, fp, context)
        other = G.mul_base(G.random_scalar())
        forged = [
            (dleq.DleqProof(proof.c, (proof.z + 1) % G.ORDER), base, z, u, context),
            (dleq.DleqProof((proof.c + 1) % G.ORDER, proof.z), base, z, u, context),
            (proof, base, z, other, context),  # U replaced
            (proof, base, other, u, context),  # Z replaced
            (proof, other, z, u, context),  # another trustee's base
            (proof, base, z, u, context + b"x"),  # another stage or trustee
        ]
        for bad, b, zz, uu, ctx in forged:
            assert not native_cr.dleq_holds(bad, b, zz, uu, fp, ctx)
            with pytest.raises(dleq.ProofError):
                dleq.verify(bad, b, zz, uu, fp, ctx)  # the reference agrees


def test_malformed_key_proof_inputs_are_named_errors() -> None:
    fp, good = b"\x07" * 32, G.mul_base(3)
    proof = G.scalar_to_bytes(1) + G.scalar_to_bytes(2)
    non_canonical = (2**255 - 19 + 1).to_bytes(32, "little")
    cases: list[tuple[str, tuple[Any, ...], str]] = [
        ("cr_schnorr", (fp, b"c", non_canonical, proof), "public: not a canonical"),
        ("cr_schnorr", (fp, b"c", good[:31], proof), "public: expected 32 bytes"),
        ("cr_schnorr", (fp, b"c", good, proof[:63]), "proof: expected 64 bytes"),
        ("cr_schnorr", (fp, b"c", good, b"\xff" * 32 + proof[32:]), "proof.c: not reduced"),
        ("cr_dleq", (fp, b"c", good, good, non_canonical, proof), "image: not a canonical"),
        ("cr_dleq", (fp, b"c", non_canonical, good, good, proof), "base: not a canonical"),
        ("cr_dleq", (fp, b"c", good, good, good, proof[:32] + b"\xff" * 32), "proof.z: not reduced"),
    ]
    for name, args, message in cases:
        with pytest.raises(native.EngineError, match=message):
            native_cr._call(name, *args)
    # the glue answers "not accepted" (the reference then names the reason), never raises
    assert not native_cr.schnorr_holds(schnorr.SchnorrProof(1, 2), non_canonical, fp, b"c")
    assert not native_cr.dleq_holds(dleq.DleqProof(1, 2), good, good, non_canonical, fp, b"c")


def test_honest_key_proofs_need_no_reference(
    cr_election: CrElection,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the native engine the verifier accepts the honest MAC and tag keys with the reference checks disabled:
    the native checks are the ones that ran (a hook that silently fell back would fail here)."""

    def refuse(*_args: Any) -> None:
        raise AssertionError("the reference check ran")

    # only the mode's hooks lose their reference (the key ceremony's Schnorr proofs are the standard verifier's)
    monkeypatch.setattr(
        credentials, "schnorr", SimpleNamespace(SchnorrProof=schnorr.SchnorrProof, verify=refuse)
    )
    monkeypatch.setattr(tags, "dleq", SimpleNamespace(DleqProof=dleq.DleqProof, verify=refuse))
    report = verify_events(cr_election.events, workers=1, engine="native")
    assert report.by_name("cr: registrar MAC key").ok
    assert report.by_name("cr: tally trustees and keys").ok


def _bump_mac_proof(p: dict[str, Any]) -> None:
    p["proofs"][0][1] = bump(p["proofs"][0][1])


def _bump_tag_proof(p: dict[str, Any]) -> None:
    p["dedup"]["proof"][0] = bump(p["dedup"]["proof"][0])


KEY_CASES = [
    ("cr: registrar MAC key", cev.MAC_KEY, 0, _bump_mac_proof),
    ("cr: registrar MAC key", cev.MAC_KEY, 0, lambda p: p["commitments"].__setitem__(0, element())),
    ("cr: tally trustees and keys", cev.TALLY_KEYS, 1, _bump_tag_proof),
    ("cr: tally trustees and keys", cev.TALLY_KEYS, 0, lambda p: p["match"].update(z=element())),
]


@pytest.mark.parametrize(("name", "kind", "which", "change"), KEY_CASES)
def test_tampered_key_proofs_same_report(
    cr_election: CrElection,  # noqa: F811
    name: str,
    kind: str,
    which: int,
    change: Any,
) -> None:
    events = rebuild(tamper(cr_election, kind, which, change))
    reports = {e: verify_events(events, workers=1, engine=e) for e in native.ENGINES}
    failures = reports["native"].by_name(name).failures
    assert failures and ("schnorr" in failures[0] or "chaum-pedersen" in failures[0]), failures
    assert _summary(reports["native"]) == _summary(reports["reference"])


def test_a_key_payload_is_not_changed_by_checking_it(cr_election: CrElection) -> None:  # noqa: F811
    """The native hook reads the decoded proof only (the record's payload stays as posted)."""
    x = next(x for x in cr_election.events if x.type == cev.TALLY_KEYS)
    before = copy.deepcopy(x.payload)
    order = next(e.payload for e in cr_election.events if e.type == cev.PRECOMPUTE)["trustees"]
    j = x.payload["trustee"]
    vk, lam = cr_election.ctx.verification_keys[j], lagrange_at_zero(j, order)
    fp = cr_election.ctx.fingerprint
    key = tags.check_tag_key(x.payload["match"], "match", j, vk, lam, fp, "k", engine="native")
    assert key.z.hex() == x.payload["match"]["z"] and x.payload == before


INVALID = (2**255 - 19 + 1).to_bytes(32, "little").hex()  # canonical hex, bit 255 clear, not an element
BALLOT_SPOTS = [
    lambda p: p["credential"].__setitem__(0, INVALID),
    lambda p: p["mac"].__setitem__(1, INVALID),
    lambda p: p["answers"][0]["choices"][0].__setitem__(1, INVALID),
    lambda p: p["answers"][0]["proofs"][0]["B"].__setitem__(0, INVALID),
]


@pytest.mark.parametrize("spot", range(len(BALLOT_SPOTS)))
def test_a_ballot_element_off_the_curve_is_named_as_by_the_reference(
    cr_election: CrElection,  # noqa: F811
    spot: int,
) -> None:
    """On the native engine a cr-ballot is decoded without the elements' curve check (the native proofs decode
    every element); one that is not an element must still be a format failure naming it, as on the reference."""
    events = rebuild(tamper(cr_election, cev.BALLOT, 1, BALLOT_SPOTS[spot]))
    reports = {e: verify_events(events, workers=1, engine=e) for e in native.ENGINES}
    failures = reports["native"].by_name("cr: ballot format").failures
    assert failures and "canonical" in failures[0], failures
    assert _summary(reports["native"]) == _summary(reports["reference"])
