"""Generate the JSON test vectors in tests/vectors/ (fixed randomness).

Randomness is made deterministic by replacing ``group.random_scalar`` with a counter-based stream
``hash_to_scalar(b"plebiscite/test-vectors", counter)``; each vector lists the scalars the prover drew, in the
order it drew them (docs/protocol.md says the order), so a second implementation can reproduce every byte.

Run: .venv/bin/python tests/vectors/make_vectors.py  (tests/test_vectors.py checks the files stay reproducible)
"""

from __future__ import annotations

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
from plebiscite.proofs import dleq, schnorr
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
        "selections": selections,
        "nonces": drawn,
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

    manifest_payload = {
        "manifest": referendum("vector-election").model_dump(mode="json"),
        "trustees": 3,
        "threshold": 2,
    }
    cfp = ceremony_fingerprint(canonical_json(manifest_payload), 3, 2)
    trustee = Trustee(
        index=2,
        trustees=3,
        threshold=2,
        signing_seed=G.scalar_to_bytes(scalar("trustee2-signing-seed")),
        box_secret=G.scalar_to_bytes(scalar("trustee2-box-secret")),
        coefficients=[scalar("trustee2-a0"), scalar("trustee2-a1")],
    )
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


def build() -> dict[str, dict[str, Any]]:
    return {
        "group.json": group_vectors(),
        "proofs.json": proof_vectors(),
        "ballot.json": ballot_vectors(),
        "ceremony.json": ceremony_vectors(),
    }


def main() -> int:
    for name, value in build().items():
        (HERE / name).write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
