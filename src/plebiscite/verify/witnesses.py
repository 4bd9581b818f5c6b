"""Check 18's witness part: the record's final head carries ``w`` valid cosignatures by distinct named witnesses.

The manifest names the witnesses (``"witnesses": {"keys": [...], "threshold": w}``, docs/board.md §4); a witness
cosigns a head only after checking that it extends, consistently, every head it cosigned before. A record whose
final head (the one that matches every event, hence covers the result) carries ``w`` such cosignatures was shown
to those witnesses as it is: a board showing another history to someone else would need ``w`` witnesses to lie.

Every line of ``cosignatures.jsonl`` is checked, not only the final head's: a cosignature that does not verify on
the record's own head of its size (another election's, another head's, a forged or altered one), one by a key the
manifest does not name, or a witness counted twice fails check 18 ("board heads"). An election without witnesses
runs none of this and says so in the report's warnings.
"""

from __future__ import annotations

from typing import Any

from plebiscite.merkle.cosign import CosignatureError, WitnessPolicy, witnessed_by
from plebiscite.merkle.heads import SignedTreeHead
from plebiscite.record import events as ev
from plebiscite.verify.heads import HeadsStream
from plebiscite.verify.report import Report

CHECK = "board heads"
NOT_RUN = (
    "WITNESSES NOT CHECKED: the manifest names no witnesses, so nothing shows that the board showed this same "
    "record to everyone (a split view is not ruled out; docs/board.md §4)"
)


def check_witnesses(
    report: Report, events: list[ev.Event], stream: HeadsStream | None, lines: list[dict[str, Any]]
) -> None:
    """Check the cosignatures against the manifest's witnesses; a warning in ``report`` if it names none."""
    check = report.by_name(CHECK)
    manifests = [e for e in events if e.type == ev.MANIFEST]
    if not manifests:
        return
    try:
        policy = WitnessPolicy.from_manifest(manifests[0].payload.get("manifest"))
    except CosignatureError as exc:
        check.fail(str(exc))
        return
    if policy is None:
        if stream is not None:  # a record without heads already fails check 19 or carries the legacy warning
            report.warnings.append(NOT_RUN)
        return
    check.item()
    if stream is None or not stream.usable:
        check.fail(
            f"cosignatures: the manifest names witnesses ({policy.summary}) but the record has no usable "
            "signed heads for them to cosign"
        )
        return
    by_size = _by_size(check, lines)
    for size, cosigs in sorted(by_size.items()):
        head = stream.signed.get(size)
        if head is None:
            check.fail(
                f"cosignatures.jsonl: cosignatures on size {size}, but the record has no signed head of that size"
            )
            continue
        _, problems = witnessed_by(head, cosigs, policy)
        for problem in problems:
            check.fail(f"cosignatures.jsonl, head of size {size}: {problem}")
    final: SignedTreeHead | None = stream.final
    if final is None:
        check.fail(
            "cosignatures: no signed head matches the whole record, so none carries the witnesses' "
            "cosignatures (see check 19)"
        )
        return
    valid, _ = witnessed_by(final, by_size.get(final.tree_size, []), policy)
    if len(valid) < policy.threshold:
        check.fail(
            f"cosignatures: the final head (size {final.tree_size}) carries {len(valid)} valid cosignature(s) by "
            f"distinct named witnesses; the manifest requires {policy.summary}"
        )


def _by_size(check: Any, lines: list[dict[str, Any]]) -> dict[int, list[object]]:
    out: dict[int, list[object]] = {}
    for number, line in enumerate(lines, start=1):
        size, cosigs = line.get("tree_size"), line.get("cosignatures")
        if (
            set(line) != {"tree_size", "cosignatures"}
            or not isinstance(size, int)
            or isinstance(size, bool)
            or not isinstance(cosigs, list)
        ):
            check.fail(
                f'cosignatures.jsonl line {number}: expected {{"tree_size": int, "cosignatures": [...]}}'
            )
            continue
        out.setdefault(size, []).extend(cosigs)
    return out
