"""The verification engines: ``reference`` (libsodium, pure Python glue) and ``native`` (Rust, docs/native.md).

The native engine is the optional extension module ``plebiscite_native`` (``native/``, built by ``make`` when cargo
is on the machine). Without it everything runs on the reference engine; asking for ``native`` then is a clear
error, not a silent fallback. Which engine checked a record is said in the verifier's report.

The native engine only ever *accepts* on its own: a ballot it refuses is checked again by the reference, which
names the field and the reason, so the report's check names, reasons and counts are the reference's. If the
reference accepts a ballot the native engine refused, the engines disagree — a bug, reported as a failure of
the ballot's check rather than passed over (:func:`disagreement`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Container, Sequence
from types import ModuleType
from typing import Any

from plebiscite.setup.manifest import Layout

NATIVE = "native"
REFERENCE = "reference"
ENGINES = (NATIVE, REFERENCE)


def _load() -> ModuleType | None:
    try:  # the extension is optional: a user without a Rust toolchain runs the reference engine
        import plebiscite_native
    except ImportError:  # pragma: no cover - depends on the build
        return None
    return plebiscite_native


_module = _load()

AVAILABLE = _module is not None

STATUS_NAMES = {0: "passed", 1: "malformed", 2: "signature", 3: "challenge", 4: "equation"}
"""What each status byte of ``check_ballots`` means (which native stage refused the ballot)."""


class EngineError(ValueError):
    """An engine that cannot be used (not built, unknown name) or that failed; the message says which."""


def default_engine() -> str:
    """``PLEBISCITE_ENGINE`` when set (to run a whole suite on one engine), else ``native`` when the extension
    is built and ``reference`` when it is not."""
    chosen = os.environ.get("PLEBISCITE_ENGINE")
    if chosen:
        return resolve(chosen)
    return NATIVE if AVAILABLE else REFERENCE


def resolve(engine: str | None) -> str:
    """The engine to use for ``engine`` (``None``: the default); refuses an unknown or unbuilt one."""
    if engine is None:
        return default_engine()
    if engine not in ENGINES:
        raise EngineError(f"engine: {engine!r} is not one of {', '.join(ENGINES)}")
    if engine == NATIVE and not AVAILABLE:
        raise EngineError(
            "engine: native is not built (run `make`, which needs cargo; or use --engine reference)"
        )
    return engine


def call(name: str, *args: Any) -> Any:
    """The extension's function ``name`` on ``args``. Raises :class:`EngineError` when the extension is not built
    or refuses the call (its ``NativeError``: a refused input, or an internal error, a Rust panic included), never
    anything else."""
    if _module is None:
        raise EngineError("engine: native is not built")
    return invoke(getattr(_module, name), *args)


def invoke(method: Callable[..., Any], *args: Any) -> Any:
    """A function or method of the extension (a scanner's ``feed``, say) on ``args``, its ``NativeError`` as
    :class:`EngineError` (as :func:`call`)."""
    assert _module is not None  # only what the extension made can be invoked
    try:
        return method(*args)
    except _module.NativeError as exc:
        raise EngineError(f"native engine: {exc}") from None


def split(raw: bytes, size: int = 32) -> list[bytes]:
    """``raw`` cut into pieces of ``size`` bytes (the extension returns lists of elements and scalars joined)."""
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def layouts_for_native(layouts: Sequence[Layout]) -> list[tuple[list[int], int, int, bool]]:
    return [(list(lay.weights), lay.lo, lay.hi, lay.sum_proof) for lay in layouts]


def check_ballots(
    fingerprint: bytes,
    public_key: bytes,
    layouts: list[tuple[list[int], int, int, bool]],
    ballots: list[tuple[bytes, bytes]],
) -> tuple[bytes, list[list[tuple[bytes, bytes]]]]:
    """Native check of ``(ballot bytes, signature)`` pairs: a status byte per ballot (0: passed) and, per
    question and option, ``(Σ a, Σ b)`` over the ballots that passed. Raises :class:`EngineError` on failure
    (a refused input or an internal error of the extension, a Rust panic included), never anything else."""
    statuses, flat = call("check_ballots", fingerprint, public_key, layouts, ballots)
    sums: list[list[tuple[bytes, bytes]]] = []
    at = 0
    for weights, *_ in layouts:
        row = []
        for _ in weights:
            row.append((flat[at : at + 32], flat[at + 32 : at + 64]))
            at += 64
        sums.append(row)
    return statuses, sums


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Ed25519 by libsodium's rules, in the extension (for the differential tests)."""
    if _module is None:
        raise EngineError("engine: native is not built")
    return bool(_module.verify_signature(public_key, message, signature))


def read_ballot_lines(
    lines: list[bytes], counts: list[tuple[int, int | None]]
) -> list[tuple[bytes, bytes, bytes, bytes, bytes] | None]:
    """Per standard ballot line, ``(ballot bytes, signature, election, credential, raw tracking code)`` read in the
    extension, or ``None`` where the line is not exactly the canonical event of a ballot of this layout (then the
    Python path reads it). ``counts`` as ``ballot.check.branch_counts`` gives them."""
    found: list[tuple[bytes, bytes, bytes, bytes, bytes] | None] = call("read_ballot_lines", lines, counts)
    return found


def body_checker(
    fingerprint: bytes, public_key: bytes, layouts: list[tuple[list[int], int, int, bool]]
) -> Any:
    """The extension's board check of cast bodies for one election (``native/src/board.rs``, ``BodyChecker``: the
    election key decoded and its tables built once), for :func:`check_ballot_bodies`. Raises
    :class:`EngineError` for an invalid key or layout."""
    return call("BodyChecker", fingerprint, public_key, layouts)


def check_ballot_bodies(
    checker: Any, bodies: list[bytes], roll: Container[bytes] | None
) -> list[tuple[str, bytes] | bool | None]:
    """The board's check of cast request bodies in the extension: per body, ``(tracking code, the ballot event's
    canonical line)`` if accepted, ``False`` if read but not accepted (another election, a credential not in
    ``roll``, or a check refused it), ``None`` if the extension does not read that body (the Python path then
    parses it). Raises :class:`EngineError` on failure."""
    found: list[tuple[str, bytes] | bool | None] = invoke(checker.check, bodies, roll)
    return found


def normal_form_check() -> Callable[[bytes], bool] | None:
    """The extension's exact twin of ``verify.scan.in_normal_form`` (one call a line, ~6× faster), if built."""
    return None if _module is None else _module.line_in_normal_form  # type: ignore[no-any-return]


def verify_signatures(public_key: bytes, pairs: list[tuple[bytes, bytes]]) -> list[bool]:
    """Ed25519 by libsodium's rules for many ``(message, signature)`` pairs under one key (the board's heads), in
    the extension: each answer is :func:`verify_signature`'s. Raises :class:`EngineError` on failure."""
    return [bool(a) for a in call("verify_signatures", public_key, pairs)]


def disagreement(stage: int) -> str:
    """The reason given for a ballot the native engine refused (``stage``) and the reference accepted."""
    return disagreement_on(f"this ballot ({STATUS_NAMES.get(stage, stage)})")


def disagreement_on(what: str) -> str:
    """The reason given for something (``what``) the native engine refused and the reference accepted."""
    return (
        f"engines disagree: the native engine refuses {what}, the reference accepts it; verify again with "
        "--engine reference and report this"
    )
