"""The manifest: what is asked, in which languages, with which limits.

Validated with pydantic so that a malformed manifest fails with the field and the reason. The *encoding* of a
question (which ciphertexts a ballot carries and which range each sum must fall in) is derived here, once, because
the booth, the ballot verifier and the tally must agree on it exactly (docs/protocol.md, "Ballot layout").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

REQUIRED_LANGUAGES = ("uk", "ru", "en")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_HEX32 = re.compile(r"^[0-9a-f]{64}$")

Text = dict[str, str]


def _check_text(value: Text, languages: list[str], where: str) -> None:
    missing = [lang for lang in languages if not value.get(lang, "").strip()]
    if missing:
        raise ValueError(f"{where}: missing text in {', '.join(missing)}")


class Option(BaseModel):
    """One answer a voter may mark."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    label: Text

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(
                "must be 1-64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit"
            )
        return v


class Question(BaseModel):
    """A question: ``yesno`` (exactly one of yes/no), ``choose`` (1 of m) or ``approval`` (min..max of m)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    type: Literal["yesno", "choose", "approval"]
    text: Text
    options: list[Option] = Field(default_factory=list)
    min: int | None = None
    max: int | None = None
    blank: bool = False

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return Option._id(v)

    @model_validator(mode="after")
    def _limits(self) -> Question:
        m = len(self.options)
        if m < 2:
            raise ValueError(f"question {self.id}: needs at least 2 options")
        if len({o.id for o in self.options}) != m:
            raise ValueError(f"question {self.id}: option ids must be unique")
        if self.type in ("yesno", "choose"):
            if self.min not in (None, 1) or self.max not in (None, 1):
                raise ValueError(f"question {self.id}: a {self.type} question has min = max = 1")
            if self.type == "yesno" and [o.id for o in self.options] != ["yes", "no"]:
                raise ValueError(f"question {self.id}: a yesno question has options 'yes' then 'no'")
        else:
            if self.min is None or self.max is None:
                raise ValueError(f"question {self.id}: an approval question needs min and max")
            if not 0 <= self.min <= self.max <= m or self.max == 0:
                raise ValueError(f"question {self.id}: need 0 <= min <= max <= {m} and max >= 1")
        if m > 64:
            raise ValueError(f"question {self.id}: at most 64 options")
        return self

    @property
    def lo(self) -> int:
        return 1 if self.min is None else self.min

    @property
    def hi(self) -> int:
        return 1 if self.max is None else self.max


class Witnesses(BaseModel):
    """The election's witnesses (docs/board.md §4): who cosigns the board's tree heads, and how many must.

    Keys are the witnesses' Ed25519 public keys in lowercase hex, distinct; ``1 <= threshold <= len(keys)``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    keys: list[str]
    threshold: int = Field(strict=True)

    @model_validator(mode="after")
    def _valid(self) -> Witnesses:
        for i, key in enumerate(self.keys):
            if not _HEX32.match(key):
                raise ValueError(f"witnesses.keys[{i}]: not a 32-byte Ed25519 public key in lowercase hex")
        if len(set(self.keys)) != len(self.keys):
            raise ValueError("witnesses.keys: a witness is named twice")
        if not 1 <= self.threshold <= len(self.keys):
            raise ValueError(
                f"witnesses.threshold: need 1 <= threshold <= {len(self.keys)} (the number of keys)"
            )
        return self


class Manifest(BaseModel):
    """The whole referendum as the administrator publishes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["plebiscite-manifest/1"] = "plebiscite-manifest/1"
    election_id: str
    title: Text
    languages: list[str] = Field(default_factory=lambda: list(REQUIRED_LANGUAGES))
    questions: list[Question]
    opens: str | None = None
    closes: str | None = None
    mode: Literal["standard", "coercion-resistant"] = "standard"
    witnesses: Witnesses | None = None
    """Optional; absent (not ``null``) from the payload of a manifest without witnesses, so the manifests and
    fingerprints of elections made before witnesses existed are unchanged."""

    @model_serializer(mode="wrap")
    def _omit_absent_witnesses(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        data: dict[str, object] = handler(self)
        if self.witnesses is None:
            data.pop("witnesses", None)
        return data

    @field_validator("election_id")
    @classmethod
    def _eid(cls, v: str) -> str:
        return Option._id(v)

    @model_validator(mode="after")
    def _texts(self) -> Manifest:
        missing = [lang for lang in REQUIRED_LANGUAGES if lang not in self.languages]
        if missing:
            raise ValueError(f"languages: must include {', '.join(missing)}")
        if not self.questions:
            raise ValueError("questions: at least one question")
        if len({q.id for q in self.questions}) != len(self.questions):
            raise ValueError("questions: ids must be unique")
        _check_text(self.title, self.languages, "title")
        for q in self.questions:
            _check_text(q.text, self.languages, f"question {q.id}")
            for o in q.options:
                _check_text(o.label, self.languages, f"question {q.id} option {o.id}")
        return self


@dataclass(frozen=True, slots=True)
class Layout:
    """How one question is encoded in a ballot.

    ``encoded`` options get one ciphertext each with a 0/1 proof (plus one for blank when allowed). ``implicit`` is
    the option left out when exactly one option must be chosen and blank is not allowed: its count is the number of
    ballots minus the others (so a yes/no ballot is a single ciphertext). ``weights`` multiply each ciphertext in the
    sum whose range ``[lo, hi]`` the sum proof shows; ``sum_proof`` is False when the 0/1 proofs already imply it.
    """

    encoded: tuple[str, ...]
    implicit: str | None
    blank: bool
    weights: tuple[int, ...]
    lo: int
    hi: int
    sum_proof: bool

    @property
    def width(self) -> int:
        """Number of ciphertexts on the ballot for this question."""
        return len(self.encoded) + (1 if self.blank else 0)


def layout(q: Question) -> Layout:
    """Derive the ballot layout of ``q`` (docs/protocol.md, "Ballot layout")."""
    ids = tuple(o.id for o in q.options)
    if q.lo == q.hi == 1 and not q.blank:
        encoded = ids[:-1]
        return Layout(encoded, ids[-1], False, (1,) * len(encoded), 0, 1, len(encoded) > 1)
    if q.blank:
        weights = (1,) * len(ids) + (q.hi,)
        return Layout(ids, None, True, weights, max(q.lo, 1), q.hi, True)
    needed = not (q.lo == 0 and q.hi >= len(ids))
    return Layout(ids, None, False, (1,) * len(ids), q.lo, q.hi, needed)


def selections_valid(q: Question, chosen: list[str]) -> str | None:
    """None when ``chosen`` (option ids, or ``["blank"]``) is a valid answer to ``q``, else the reason."""
    if chosen == ["blank"]:
        return None if q.blank else f"question {q.id}: blank is not allowed"
    ids = {o.id for o in q.options}
    unknown = [c for c in chosen if c not in ids]
    if unknown:
        return f"question {q.id}: unknown option {unknown[0]!r}"
    if len(set(chosen)) != len(chosen):
        return f"question {q.id}: an option is chosen twice"
    if not q.lo <= len(chosen) <= q.hi:
        if q.lo == q.hi:
            return f"question {q.id}: choose exactly {q.lo}"
        return f"question {q.id}: choose between {q.lo} and {q.hi}"
    return None


def plaintexts(q: Question, chosen: list[str]) -> list[int]:
    """The 0/1 values a ballot encrypts for ``chosen``, in layout order (validated first)."""
    reason = selections_valid(q, chosen)
    if reason:
        raise ValueError(reason)
    lay = layout(q)
    values = [1 if o in chosen else 0 for o in lay.encoded]
    if lay.blank:
        values.append(1 if chosen == ["blank"] else 0)
    return values
