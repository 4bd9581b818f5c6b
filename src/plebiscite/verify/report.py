"""The verifier's report: numbered, named checks, how many items each covered, and what failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_LISTED = 50  # failures listed per check; the count is always exact


@dataclass
class Check:
    id: int
    name: str
    items: int = 0
    failures: list[str] = field(default_factory=list)
    failure_count: int = 0
    ran: bool = False

    def item(self, n: int = 1) -> None:
        self.ran = True
        self.items += n

    def fail(self, message: str) -> None:
        self.ran = True
        self.failure_count += 1
        if len(self.failures) < MAX_LISTED:
            self.failures.append(message)

    @property
    def ok(self) -> bool:
        return self.failure_count == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "items": self.items,
            "failures": self.failures,
            "failure_count": self.failure_count,
            "ran": self.ran,
        }


@dataclass
class Report:
    checks: list[Check]
    result: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    """What the reader must know although the checks passed (a legacy record accepted without signed heads)."""
    board_key: str | None = None
    """The public key (hex) whose signed heads checks 18 and 19 accepted: the record is complete *as that key
    signed it*. Compare it with the key the organiser published (or, for a board, the log id in your receipt)."""
    engine: str | None = None
    """Which engine checked the ballots' signatures and proofs (``native`` or ``reference``, docs/native.md)."""

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks) and all(c.ran for c in self.checks if c.name in REQUIRED)

    def by_name(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def add_check(self, name: str) -> Check:
        """Add a check for an optional mode (numbered after the standard ones)."""
        check = Check(len(self.checks) + 1, name)
        self.checks.append(check)
        return check

    def failed(self) -> list[str]:
        return [c.name for c in self.checks if not c.ok]

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": [c.to_json() for c in self.checks],
            "result": self.result,
            "warnings": self.warnings,
            "board_key": self.board_key,
            "engine": self.engine,
        }


# Checks in the order they run; a check that could not run (an earlier one failed, or the record stops before that
# phase) is reported with ran = false.
CHECK_NAMES = (
    "record format",
    "parameters",
    "manifest",
    "trustee keys and proofs",
    "election key",
    "roll",
    "fingerprint",
    "ballot eligibility",
    "ballot signatures",
    "ballot proofs",
    "unique ballots",
    "challenged ballots",
    "last-ballot rule",
    "aggregation",
    "partial decryptions",
    "combination",
    "result",
    "board heads",
    "record complete",
)
# Without these a record proves nothing; a record that ends before its result cannot verify.
REQUIRED = ("record format", "parameters", "manifest", "election key", "fingerprint", "result")


def new_report() -> Report:
    return Report([Check(i + 1, name) for i, name in enumerate(CHECK_NAMES)])
