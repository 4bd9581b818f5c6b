"""Generate the JSON test vectors in tests/vectors/ (fixed randomness).

Randomness is made deterministic by replacing ``group.random_scalar`` with a counter-based stream
``hash_to_scalar(b"plebiscite/test-vectors", counter)``; each vector lists the scalars the prover drew, in the
order it drew them (docs/protocol.md says the order), so a second implementation can reproduce every byte.

Run: .venv/bin/python tests/vectors/make_vectors.py  (tests/test_vectors.py checks the files stay reproducible)
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from plebiscite import elgamal
from plebiscite.ballot.encrypt import encrypt_ballot
from plebiscite.decrypt.partial import partial_decrypt
from plebiscite.hazmat import group as G
from plebiscite.proofs import ballot_signature, dleq, schnorr
from plebiscite.proofs import range as range_proof
from plebiscite.setup.credentials import Credential, roll_hash
from plebiscite.setup.election import ElectionContext, fingerprint
from plebiscite.setup.samples import referendum

HERE = Path(__file__).parent


@contextmanager
def fixed_randomness(label: str) -> Iterator[list[str]]:
    drawn: list[str] = []
    counter = iter(range(1_000_000))
    original = G.random_scalar

    def fake() -> int:
        s = G.hash_to_scalar(b"plebiscite/test-vectors", label.encode(), next(counter).to_bytes(8, "big"))
        drawn.append(G.scalar_to_bytes(s).hex())
        return s

    G.random_scalar = fake
    try:
        yield drawn
    finally:
        G.random_scalar = original


def scalar(label: str) -> int:
    return G.hash_to_scalar(b"plebiscite/test-vectors/inputs", label.encode())


def h(s: int) -> str:
    return G.scalar_to_bytes(s).hex()


def group_vectors() -> dict[str, Any]:
    return {
        "generator": G.GENERATOR.hex(),
        "mul_base": [{"scalar": h(s), "element": G.mul_base(s).hex()} for s in (1, 2, scalar("a"))],
        "hash_to_scalar": [
            {
                "domain": "plebiscite/v1/test",
                "parts": ["", "00ff", "616263"],
                "frame": G.frame(b"plebiscite/v1/test", b"", b"\x00\xff", b"abc").hex(),
                "scalar": h(G.hash_to_scalar(b"plebiscite/v1/test", b"", b"\x00\xff", b"abc")),
            }
        ],
        "hash_to_element": [
            {
                "domain": "plebiscite/v1/test",
                "parts": ["616263"],
                "element": G.hash_to_element(b"plebiscite/v1/test", b"abc").hex(),
            }
        ],
        "small_multiples": [G.small_multiple_base(m).hex() for m in range(4)],
    }


def proof_vectors() -> dict[str, Any]:
    x = scalar("secret")
    public = G.mul_base(x)
    fp = bytes(range(32))
    ctx = b"context"
    out: dict[str, Any] = {
        "fingerprint": fp.hex(),
        "context": ctx.hex(),
        "secret": h(x),
        "public": public.hex(),
    }
    with fixed_randomness("schnorr") as drawn:
        p = schnorr.prove(x, public, fp, ctx)
    out["schnorr"] = {"nonces": drawn, "proof": p.to_json()}
    base = G.hash_to_element(b"plebiscite/v1/test", b"base")
    image = G.mul(base, x)
    with fixed_randomness("dleq") as drawn:
        p2 = dleq.prove(x, base, public, image, fp, ctx)
    out["chaum_pedersen"] = {"base": base.hex(), "image": image.hex(), "nonces": drawn, "proof": p2.to_json()}
    key = G.mul_base(scalar("election"))
    ranges = []
    for m, lo, hi in ((0, 0, 1), (1, 0, 1), (2, 1, 3)):
        r = scalar(f"r{m}")
        ct = elgamal.encrypt(key, m, r)
        with fixed_randomness(f"range{m}") as drawn:
            p3 = range_proof.prove(key, ct, m, r, lo, hi, fp, ctx)
        ranges.append(
            {
                "public_key": key.hex(),
                "m": m,
                "r": h(r),
                "lo": lo,
                "hi": hi,
                "ciphertext": ct.to_json(),
                "nonces": drawn,
                "proof": p3.to_json(),
            }
        )
    out["range"] = ranges
    return out


def election_context() -> tuple[ElectionContext, list[Credential], dict[str, Any], int]:
    manifest = referendum("vector-election")
    secret = scalar("election-secret")
    key = G.mul_base(secret)
    creds = [Credential("vector-election", G.scalar_to_bytes(scalar(f"cred{i}"))) for i in range(3)]
    payload = {"manifest": manifest.model_dump(mode="json"), "trustees": 1, "threshold": 1}
    digest = roll_hash([c.public_key for c in creds])
    fp = fingerprint(payload, {1: [key]}, key, digest)
    ctx = ElectionContext(manifest, 1, 1, fp, key, frozenset(c.public_key for c in creds), {1: key}, (1,))
    return ctx, creds, payload, secret


def ballot_vectors() -> dict[str, Any]:
    ctx, creds, payload, secret = election_context()
    selections = {"q1": ["yes"], "q2": ["blank"], "q3": ["schools", "clinics"]}
    with fixed_randomness("ballot") as drawn:
        ballot, opening = encrypt_ballot(ctx, creds[0], selections)
    # the signature's hedged nonce takes 32 fresh bytes (docs/protocol.md §7.1): fixed here, and signed again with them
    rho = G.scalar_to_bytes(scalar("ballot-signature-rho"))
    ballot = dataclasses.replace(
        ballot, signature=creds[0].sign(ctx.fingerprint, ballot.content_bytes(), rho)
    )
    import nacl.signing

    totals = [list(a.choices) for a in ballot.answers]
    with fixed_randomness("partial") as drawn2:
        partial = partial_decrypt(1, secret, totals, ctx.fingerprint, nacl.signing.SigningKey(bytes(32)))
    return {
        "manifest_event": payload,
        "election_secret": h(secret),
        "public_key": ctx.public_key.hex(),
        "roll": sorted(c.public_key.hex() for c in creds),
        "roll_hash": roll_hash([c.public_key for c in creds]).hex(),
        "fingerprint": ctx.fingerprint.hex(),
        "credential": creds[0].to_json(),
        "credential_public_key": creds[0].public_key.hex(),
        "credential_secret_key": h(ballot_signature.secret_key(creds[0].seed)),
        "selections": selections,
        "nonces": drawn,
        "signature_rho": rho.hex(),
        "ballot": ballot.to_json(),
        "content_bytes": ballot.content_bytes().hex(),
        "tracking_code": ballot.tracking_code(),
        "opening": opening.to_json(),
        "partial_decryption": {"signing_seed": bytes(32).hex(), "nonces": drawn2, "payload": partial},
    }


def ceremony_vectors() -> dict[str, Any]:
    """A trustee's round-1 announcement: Feldman commitments and Schnorr proofs whose context holds its keys."""
    from plebiscite.keyceremony.public import ceremony_fingerprint
    from plebiscite.keyceremony.trustee import Trustee
    from plebiscite.record.events import canonical_json

    trustee = Trustee(
        index=2,
        trustees=3,
        threshold=2,
        signing_seed=G.scalar_to_bytes(scalar("trustee2-signing-seed")),
        box_secret=G.scalar_to_bytes(scalar("trustee2-box-secret")),
        coefficients=[scalar("trustee2-a0"), scalar("trustee2-a1")],
    )
    others = [
        G.mul_base(scalar(f"trustee{i}-key")).hex() for i in (1, 3)
    ]  # stand-ins: only trustee 2 is given
    manifest_payload = {
        "manifest": referendum("vector-election").model_dump(mode="json"),
        "trustees": 3,
        "threshold": 2,
        "trustee_keys": [others[0], trustee.identity.hex(), others[1]],
    }
    cfp = ceremony_fingerprint(canonical_json(manifest_payload), 3, 2)
    with fixed_randomness("trustee-announcement") as drawn:
        announcement = trustee.announce(cfp)
    return {
        "manifest_event": manifest_payload,
        "ceremony_fingerprint": cfp.hex(),
        "trustee": {
            "index": trustee.index,
            "signing_seed": trustee.signing_seed.hex(),
            "box_secret": trustee.box_secret.hex(),
            "coefficients": [h(a) for a in trustee.coefficients],
        },
        "nonces": drawn,
        "announcement": announcement,
    }


FIELD_P = 2**255 - 19

RFC9496_BAD_ENCODINGS = {  # RFC 9496, Appendix A.2
    "non-canonical field encoding": [
        "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ],
    "negative field element": [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
        "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
        "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
        "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
        "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
        "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
    ],
    "non-square x^2": [
        "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
        "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
        "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
        "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
        "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
        "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
        "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
        "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
    ],
    "negative xy value": [
        "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
        "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
        "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
        "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
        "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
        "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
        "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
        "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
    ],
    "s = -1 (y = 0)": ["ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"],
}


def spelling_variants(text: str) -> list[tuple[str, str]]:
    """Other spellings of canonical hex that must all be refused: case, separators, length."""
    out = [
        (text[:2] + " " + text[2:], "space in the hex"),
        (text[:-2], "one byte short"),
        (text + "00", "one byte long"),
    ]
    out += [("0x" + text, "0x prefix"), (text + "\n", "trailing newline")]
    if text != text.upper():
        out.append((text.upper(), "upper-case hex"))
    return out


def little(value: int) -> str:
    return value.to_bytes(32, "little").hex()


def element_variants(encoding: str) -> list[tuple[str, str]]:
    """Non-canonical encodings of the element ``encoding`` (RFC 9496 §4.3.1): each decodes to nothing."""
    s = int.from_bytes(bytes.fromhex(encoding), "little")
    out = [(little(s | 1 << 255), "bit 255 set"), (little(s + FIELD_P), "s + p (not reduced)")]
    if s:
        out.append((little(FIELD_P - s), "p - s (negative field element)"))
    return out + spelling_variants(encoding)


def encoding_vectors() -> dict[str, Any]:
    """Accept/refuse vectors for every decoder, in Python and in the booth (docs/protocol.md §1)."""
    points = [
        G.IDENTITY,
        *(G.mul_base(k) for k in (1, 2, 3)),
        *(G.mul_base(scalar(f"enc-{i}")) for i in range(3)),
    ]
    elements = []
    for p in points:
        elements.append({"hex": p.hex(), "valid": True, "why": "canonical"})
        elements += [{"hex": h, "valid": False, "why": why} for h, why in element_variants(p.hex())]
    for why, encodings in RFC9496_BAD_ENCODINGS.items():
        elements += [{"hex": h, "valid": False, "why": f"RFC 9496 A.2: {why}"} for h in encodings]
    values = [0, 1, G.ORDER - 1, scalar("enc-scalar")]
    scalars = []
    for v in values:
        scalars.append({"hex": little(v), "valid": True, "why": "canonical"})
        scalars += [{"hex": h, "valid": False, "why": why} for h, why in spelling_variants(little(v))]
        scalars.append({"hex": little(v + G.ORDER), "valid": False, "why": "s + l (not reduced)"})
    scalars += [
        {"hex": little(G.ORDER), "valid": False, "why": "l"},
        {"hex": "ff" * 32, "valid": False, "why": "2^256 - 1"},
    ]
    return {
        "rule": "lowercase hex of exactly 32 bytes; elements canonical per RFC 9496 (bit 255 clear); scalars < l",
        "elements": elements,
        "scalars": scalars,
    }


def cr_vectors() -> dict[str, Any]:
    """The coercion-resistant mode (docs/coercion.md §3.2, §3.5, §4): the designated-verifier proof as the registrar
    makes it and as the voter simulates it for a fake, the device files, the sheet codes, and a ``cr-ballot``."""
    from unittest import mock

    from plebiscite.coercion import dvproof
    from plebiscite.coercion.ballot import cr_tracking_code_of
    from plebiscite.coercion.ballot import encrypt_ballot as encrypt_cr_ballot
    from plebiscite.coercion.credentials import Credential as CrCredential
    from plebiscite.coercion.credentials import VoterKey
    from plebiscite.coercion.demo import coercion_manifest
    from plebiscite.coercion.registrar_service import ElectionInfo
    from plebiscite.coercion.registration import DeviceCredential
    from plebiscite.coercion.sheet_code import SheetCredential, sheet_sigma
    from plebiscite.keyceremony.public import ceremony_fingerprint
    from plebiscite.record import events as ev

    manifest = coercion_manifest("vector-cr-election")
    eid = manifest.election_id
    payload = {"manifest": manifest.model_dump(mode="json"), "trustees": 1, "threshold": 1}
    key = G.mul_base(scalar("cr-election-secret"))
    fp = fingerprint(payload, {1: [key]}, key, bytes(32))
    ctx = ElectionContext(manifest, 1, 1, fp, key, frozenset(), {1: key}, (1,))
    manifest_leaf = ev.make_event(0, ev.MANIFEST, payload).raw
    cfp = ceremony_fingerprint(ev.canonical_json(payload), 1, 1)
    s = scalar("cr-mac-secret")
    mac_key = G.mul_base(s)
    mac_leaf = ev.make_event(5, "cr-mac-key", {"commitments": [mac_key.hex()]}).raw
    voter = VoterKey(eid, scalar("cr-voter-secret"))
    sigma, rho = scalar("cr-sigma"), scalar("cr-rho")
    v = G.mul_base(pow(s + sigma, -1, G.ORDER))
    entry = elgamal.Ciphertext(G.mul_base(rho), G.add(G.mul(key, rho), v))
    st = dvproof.Statement(key, mac_key, voter.public, entry, v, sigma)
    with fixed_randomness("cr-dv-prove") as drawn_prove:
        proof = dvproof.prove(st, rho, s, cfp)
    real = CrCredential(eid, voter.public, entry, sigma, v, proof)
    info = ElectionInfo(eid, cfp, key, mac_key)
    fake_bytes = bytes(range(100, 132))
    with (
        fixed_randomness("cr-fake") as drawn_fake,
        mock.patch("secrets.token_bytes", return_value=fake_bytes),
    ):
        fake = real.fake(voter, key, mac_key, cfp)
    real_device, fake_device = DeviceCredential(real, voter, info), DeviceCredential(fake, voter, info)
    sheet = SheetCredential(
        eid, bytes(range(16)), G.mul_base(pow(s + sheet_sigma(eid, bytes(range(16))), -1, G.ORDER))
    )
    sheet_fake_bytes = [bytes(range(200, 232)), bytes(range(40, 56))]
    with mock.patch("secrets.token_bytes", side_effect=sheet_fake_bytes):
        fake_sheet = SheetCredential.fake(eid)
    code = sheet.code()
    other = SheetCredential("another-election", sheet.seed, sheet.element).code()
    typo = code[:7] + ("A" if code[7] != "A" else "B") + code[8:]
    homoglyphs = code.lower().replace("a", "А").replace("-", " ")
    selections = {q.id: [q.options[-1].id] for q in manifest.questions}
    with fixed_randomness("cr-ballot") as drawn_ballot:
        ballot, _ = encrypt_cr_ballot(ctx, real, selections)
    assert cr_tracking_code_of(ballot.to_json()) == ballot.tracking_code()
    return {
        "manifest_event": payload,
        "fingerprint": fp.hex(),
        "public_key": key.hex(),
        "entries": [
            {"index": 0, "type": "manifest", "leaf": manifest_leaf.decode()},
            {"index": 5, "type": "cr-mac-key", "leaf": mac_leaf.decode()},
        ],
        "ceremony_fingerprint": cfp.hex(),
        "mac_key": mac_key.hex(),
        "dv": {
            "statement": [p.hex() for p in st.parts()],
            "registrar_nonces": drawn_prove,
            "registrar_proof": proof.to_json(),
            "fake_nonces": drawn_fake,
            "fake_bytes": fake_bytes.hex(),
            "fake_proof": fake.proof.to_json(),
        },
        "device_file": json.dumps(real_device.to_json(), indent=2),
        "fake_device_file": json.dumps(fake_device.to_json(), indent=2),
        "sheet": {
            "seed": sheet.seed.hex(),
            "element": sheet.element.hex(),
            "sigma": h(sheet.sigma),
            "code": code,
            "fake_bytes": [b.hex() for b in sheet_fake_bytes],
            "fake_code": fake_sheet.code(),
            "accepted": [code, code.replace("-", ""), homoglyphs],
            "refused": [
                {"code": "", "key": "credential.empty"},
                {"code": code[:-1], "key": "cr.code_length"},
                {"code": typo, "key": "cr.code_checksum"},
                {"code": other, "key": "cr.code_checksum"},
            ],
        },
        "ballot": {
            "selections": selections,
            "nonces": drawn_ballot,
            "ballot": ballot.to_json(),
            "binding": ballot.binding.hex(),
            "content_bytes": ballot.content_bytes().hex(),
            "tracking_code": ballot.tracking_code(),
        },
    }


def build() -> dict[str, dict[str, Any]]:
    return {
        "cr.json": cr_vectors(),
        "group.json": group_vectors(),
        "proofs.json": proof_vectors(),
        "ballot.json": ballot_vectors(),
        "ceremony.json": ceremony_vectors(),
        "encodings.json": encoding_vectors(),
    }


def main() -> int:
    for name, value in build().items():
        (HERE / name).write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
