"""The encrypted ballot, its canonical bytes, its tracking code and its JSON form.

Signed bytes and tracking code are computed over a length-prefixed binary encoding (docs/protocol.md, "Ballot
bytes"), not over JSON, so the browser booth and any second implementation reproduce them exactly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from plebiscite.canonical import EncodingError, hex_bytes
from plebiscite.elgamal import Ciphertext
from plebiscite.hazmat import group as G
from plebiscite.hazmat.group import frame
from plebiscite.proofs.common import ProofError
from plebiscite.proofs.range import RangeProof
from plebiscite.proofs.transcript import int_bytes

BALLOT_TAG = b"plebiscite/v1/ballot"
TRACKING_TAG = b"plebiscite/v1/tracking-code"


class BallotError(ValueError):
    """A ballot is malformed or invalid; the message names the field and the reason."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One question's ciphertexts (layout order), their 0/1 proofs and the proof on their weighted sum."""

    choices: tuple[Ciphertext, ...]
    proofs: tuple[RangeProof, ...]
    sum_proof: RangeProof | None


@dataclass(frozen=True, slots=True)
class Ballot:
    election: bytes
    credential: bytes
    answers: tuple[Answer, ...]
    signature: bytes

    def content_bytes(self) -> bytes:
        """What the credential signs: everything but the signature."""
        parts: list[bytes] = [self.election, self.credential, int_bytes(len(self.answers))]
        for ans in self.answers:
            parts.append(int_bytes(len(ans.choices)))
            for ct in ans.choices:
                parts += [ct.a, ct.b]
            for proof in (*ans.proofs, *([ans.sum_proof] if ans.sum_proof else [])):
                parts.append(int_bytes(len(proof.challenges)))
                parts += proof.branch_bytes()
            parts.append(b"\x01" if ans.sum_proof else b"\x00")
        return frame(BALLOT_TAG, *parts)

    def tracking_code(self, content: bytes | None = None) -> str:
        """Hex SHA-256 of the signed ballot: what the voter looks up on the board.

        ``content`` may pass :meth:`content_bytes` already computed (the verifier needs it for the signature too).
        """
        content = self.content_bytes() if content is None else content
        return hashlib.sha256(frame(TRACKING_TAG, content, self.signature)).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "election": self.election.hex(),
            "credential": self.credential.hex(),
            "answers": [
                {
                    "choices": [ct.to_json() for ct in a.choices],
                    "proofs": [p.to_json() for p in a.proofs],
                    "sum_proof": a.sum_proof.to_json() if a.sum_proof else None,
                }
                for a in self.answers
            ],
            "signature": self.signature.hex(),
        }


def _hex(value: object, size: int, what: str) -> bytes:
    try:
        return hex_bytes(value, size, what)
    except EncodingError as exc:
        raise BallotError(str(exc)) from None


_BALLOT_KEYS = frozenset({"election", "credential", "answers", "signature"})
_ANSWER_KEYS = frozenset({"choices", "proofs", "sum_proof"})
_PROOF_KEYS = frozenset({"A", "B", "c", "z"})


def _h32(text: object) -> bytes:
    """32 bytes in canonical hex (``docs/protocol.md`` §1): the decoded bytes must spell the text back."""
    raw = bytes.fromhex(text)  # type: ignore[arg-type]  # TypeError for a non-string: caught by the caller
    if len(raw) != 32 or raw.hex() != text:
        raise ValueError
    return raw


def _element(text: object) -> bytes:
    """An element left for libsodium to check on the curve; the top bit, which libsodium ignores, is refused here."""
    raw = _h32(text)
    if raw[31] >= 0x80:
        raise ValueError
    return raw


def _checked_element(text: object) -> bytes:
    raw = _h32(text)
    if not G.is_valid_element(raw):
        raise ValueError
    return raw


def _scalar(text: object) -> int:
    s = int.from_bytes(_h32(text), "little")
    if s >= G.ORDER:
        raise ValueError
    return s


def _fast_proof(raw: Any, branches: int, element: Any) -> RangeProof:
    if type(raw) is not dict or raw.keys() != _PROOF_KEYS:
        raise ValueError
    commit_a, commit_b, cs, zs = raw["A"], raw["B"], raw["c"], raw["z"]
    for part in (commit_a, commit_b, cs, zs):
        if type(part) is not list or len(part) != branches:
            raise ValueError
    return RangeProof(
        tuple(map(element, commit_a)),
        tuple(map(element, commit_b)),
        tuple(map(_scalar, cs)),
        tuple(map(_scalar, zs)),
    )


def _fast_ballot(value: object, branch_counts: list[tuple[int, int | None]], validate: bool) -> Ballot | None:
    """The decoding of :func:`ballot_from_json` for well-formed ballots, without building error labels.

    It is the hot path of the board and the verifier. It accepts only what the full decoder accepts (the tests
    compare them on mutated ballots) and returns ``None`` on anything unusual, so that the full decoder names the
    field and the reason.
    """
    element = _checked_element if validate else _element
    try:
        if type(value) is not dict or value.keys() != _BALLOT_KEYS:
            return None
        answers = value["answers"]
        if type(answers) is not list or len(answers) != len(branch_counts):
            return None
        decoded = []
        for raw, (width, sum_branches) in zip(answers, branch_counts, strict=True):
            if type(raw) is not dict or raw.keys() != _ANSWER_KEYS:
                return None
            choices, proofs, sum_raw = raw["choices"], raw["proofs"], raw["sum_proof"]
            if type(choices) is not list or len(choices) != width:
                return None
            if type(proofs) is not list or len(proofs) != width:
                return None
            cts = []
            for pair in choices:
                if type(pair) is not list or len(pair) != 2:
                    return None
                cts.append(Ciphertext(element(pair[0]), element(pair[1])))
            if sum_branches is None:
                if sum_raw is not None:
                    return None
                sum_proof = None
            else:
                sum_proof = _fast_proof(sum_raw, sum_branches, element)
            decoded.append(Answer(tuple(cts), tuple([_fast_proof(p, 2, element) for p in proofs]), sum_proof))
        return Ballot(
            _h32(value["election"]), _h32(value["credential"]), tuple(decoded), _h64(value["signature"])
        )
    except (ValueError, TypeError):
        return None


def _h64(text: object) -> bytes:
    raw = bytes.fromhex(text)  # type: ignore[arg-type]
    if len(raw) != 64 or raw.hex() != text:
        raise ValueError
    return raw


def tracking_code_of(value: object) -> str:
    """The tracking code of a ballot given as JSON, without its election's layout: the shape (choices per answer,
    branches of each sum proof) is read from the ballot itself, and every value is decoded strictly. For binding a
    receipt to its ballot (``board/client.py``), not for deciding whether a ballot is valid."""
    return ballot_from_json(value, shape_of(value)).tracking_code()


def shape_of(value: object) -> list[tuple[int, int | None]]:
    """The branch counts a ballot's JSON claims for itself (choices per answer, branches of each sum proof): for
    decoding a ballot whose election's layout is not at hand. Shared by both modes' ``tracking_code_of``."""
    try:
        answers = value["answers"]  # type: ignore[index]
        return [
            (len(a["choices"]), None if a["sum_proof"] is None else len(a["sum_proof"]["c"])) for a in answers
        ]
    except (KeyError, TypeError, IndexError):
        raise BallotError("ballot: not a ballot (answers, choices and sum proofs)") from None


def ballot_from_json(
    value: object, branch_counts: list[tuple[int, int | None]], validate: bool = True
) -> Ballot:
    """Decode a ballot; ``branch_counts[q]`` = (number of ciphertexts, sum-proof branches or None) per question.

    Every element is validated (canonical encoding); every error names the field. ``validate=False`` leaves the
    curve check of the ciphertexts and commitments to the proof verification that must follow (``check_ballot``,
    where every element goes through a libsodium operation that refuses invalid encodings).
    """
    fast = _fast_ballot(value, branch_counts, validate)
    if fast is not None:
        return fast
    if not isinstance(value, dict):
        raise BallotError("ballot: expected a JSON object")
    extra = set(value) - {"election", "credential", "answers", "signature"}
    if extra:
        raise BallotError(f"ballot: unexpected field {sorted(extra)[0]!r}")
    election = _hex(value.get("election"), 32, "ballot.election")
    credential = _hex(value.get("credential"), 32, "ballot.credential")
    signature = _hex(value.get("signature"), 64, "ballot.signature")
    answers = value.get("answers")
    if not isinstance(answers, list) or len(answers) != len(branch_counts):
        raise BallotError(f"ballot.answers: expected {len(branch_counts)} answers")
    decoded = []
    for q, (raw, (width, sum_branches)) in enumerate(zip(answers, branch_counts, strict=True)):
        where = f"ballot.answers[{q}]"
        if not isinstance(raw, dict) or set(raw) != {"choices", "proofs", "sum_proof"}:
            raise BallotError(f"{where}: expected keys choices, proofs, sum_proof")
        choices, proofs = raw["choices"], raw["proofs"]
        if not isinstance(choices, list) or len(choices) != width:
            raise BallotError(f"{where}.choices: expected {width} ciphertexts")
        if not isinstance(proofs, list) or len(proofs) != width:
            raise BallotError(f"{where}.proofs: expected {width} proofs")
        try:
            cts = tuple(
                Ciphertext.from_json(c, f"{where}.choices[{i}]", validate) for i, c in enumerate(choices)
            )
            prs = tuple(
                RangeProof.from_json(p, 2, f"{where}.proofs[{i}]", validate) for i, p in enumerate(proofs)
            )
            if sum_branches is None:
                if raw["sum_proof"] is not None:
                    raise BallotError(f"{where}.sum_proof: must be null for this question")
                sum_proof = None
            else:
                sum_proof = RangeProof.from_json(
                    raw["sum_proof"], sum_branches, f"{where}.sum_proof", validate
                )
        except (G.GroupError, ProofError) as exc:
            raise BallotError(str(exc)) from None
        decoded.append(Answer(cts, prs, sum_proof))
    return Ballot(election, credential, tuple(decoded), signature)
