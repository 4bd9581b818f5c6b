"""Which CSV columns play which role: the `ru-cec` preset and user mapping files (JSON or TOML).

A mapping says where registered voters, ballots and votes are; reading.py then applies the same validation to
every layout. Keeping layouts declarative means a new country's data needs a ten-line file, not new code.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from plebiscite.forensics.errors import ForensicsInputError

PRESETS = ("ru-cec",)

_LIST_KEYS = ("registered", "issued", "cast", "valid", "invalid", "options", "unit")
_STR_KEYS = ("region", "leader", "delimiter", "encoding")


@dataclass
class ColumnMap:
    """Roles of columns. Roles given as lists are summed (e.g. ballots issued early + on the day + at home)."""

    registered: list[str]
    options: list[str]
    issued: list[str] = field(default_factory=list)
    cast: list[str] = field(default_factory=list)
    valid: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    region: str | None = None
    unit: list[str] = field(default_factory=list)
    leader: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    leader_patterns: tuple[str, ...] = ()
    leader_exact: tuple[str, ...] = ()

    def used_numeric(self) -> list[tuple[str, str]]:
        """(role, column) for every count column, in a stable order used for validation messages."""
        pairs: list[tuple[str, str]] = []
        for role in ("registered", "issued", "cast", "valid", "invalid", "options"):
            pairs.extend((role, col) for col in getattr(self, role))
        return pairs

    def roles(self) -> dict[str, list[str]]:
        out = {role: list(getattr(self, role)) for role in _LIST_KEYS if getattr(self, role)}
        if self.region:
            out["region"] = [self.region]
        return out


def _as_list(value: object, key: str, source: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise ForensicsInputError(source, f"key {key!r} must be a column name or a non-empty list of names")


def load_mapping(path: Path) -> ColumnMap:
    """Parse a JSON or TOML mapping file; unknown keys are errors so that typos are not silently ignored."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ForensicsInputError(source, f"cannot read column mapping: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ForensicsInputError(source, "column mapping is not UTF-8 text") from None
    raw: object
    try:
        if path.suffix.lower() == ".toml":
            raw = tomllib.loads(text)
        elif path.suffix.lower() == ".json":
            raw = json.loads(text)
        else:
            try:
                raw = json.loads(text)
            except json.JSONDecodeError:
                raw = tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ForensicsInputError(source, f"column mapping is not valid JSON or TOML: {exc}") from None
    if not isinstance(raw, dict):
        raise ForensicsInputError(source, "column mapping must be an object/table of role = column")
    unknown = sorted(set(raw) - set(_LIST_KEYS) - set(_STR_KEYS))
    if unknown:
        allowed = ", ".join((*_LIST_KEYS, *_STR_KEYS))
        raise ForensicsInputError(source, f"unknown key(s) {', '.join(unknown)} (allowed: {allowed})")
    for required in ("registered", "options"):
        if required not in raw:
            raise ForensicsInputError(source, f"column mapping lacks required key {required!r}")
    lists = {key: _as_list(raw[key], key, source) for key in _LIST_KEYS if key in raw}
    strings: dict[str, str] = {}
    for key in _STR_KEYS:
        if key in raw:
            if not isinstance(raw[key], str) or not raw[key]:
                raise ForensicsInputError(source, f"key {key!r} must be a non-empty string")
            strings[key] = raw[key]
    return ColumnMap(
        registered=lists["registered"],
        options=lists["options"],
        issued=lists.get("issued", []),
        cast=lists.get("cast", []),
        valid=lists.get("valid", []),
        invalid=lists.get("invalid", []),
        unit=lists.get("unit", []),
        region=strings.get("region"),
        leader=strings.get("leader"),
        delimiter=strings.get("delimiter"),
        encoding=strings.get("encoding", "utf-8"),
    )


# --- ru-cec: the Russian Central Election Commission protocol, as scraped by S. Shpilkin (dkobak/elections) ---

_RU_ID_COLUMNS = ("region", "oik", "tik", "uik", "url")
_RU_REGISTERED = (
    "Число избирателей, внесенных",
    "Число избирателей, включенных",
    "Число участников голосования, включенных",
)
_RU_LEADER_PATTERNS = ("ЕДИНАЯ РОССИЯ", "Единая Россия", "Путин", "ПУТИН", "Медведев")
_RU_LEADER_EXACT = ("ДА", "Да")


def ru_cec(header: list[str], source: str) -> ColumnMap:
    """Resolve the CEC protocol lines by name, because column order and wording change between elections.

    Turnout uses all ballots issued (early + in the station + outside it); the share denominator is valid +
    invalid ballots, exactly as in Kobak et al.; options are the non-protocol columns (protocol lines all start
    with 'Число').
    """

    def need(found: list[str], what: str, hint: str) -> list[str]:
        if not found:
            raise ForensicsInputError(
                source, f"ru-cec preset: no {what} column (expected {hint})", column=hint
            )
        return found

    registered = need(
        [c for c in header if c.startswith(_RU_REGISTERED)][:1],
        "registered-voters",
        "'Число избирателей, внесенных/включенных в список избирателей'",
    )
    issued = need(
        [c for c in header if "бюллетеней, выданных" in c],
        "ballots-issued",
        "columns containing 'бюллетеней, выданных'",
    )
    valid = need(
        [c for c in header if c.startswith("Число действительных")],
        "valid-ballots",
        "'Число действительных избирательных бюллетеней'",
    )
    invalid = need(
        [c for c in header if c.startswith("Число недействительных")],
        "invalid-ballots",
        "'Число недействительных избирательных бюллетеней'",
    )
    options = need(
        [c for c in header if not c.startswith("Число") and c.strip().lower() not in _RU_ID_COLUMNS],
        "party/candidate",
        "columns not starting with 'Число'",
    )
    return ColumnMap(
        registered=registered,
        options=options,
        issued=issued,
        valid=valid[:1],
        invalid=invalid[:1],
        region="region" if "region" in header else None,
        unit=[c for c in ("tik", "uik") if c in header],
        delimiter=",",
        leader_patterns=_RU_LEADER_PATTERNS,
        leader_exact=_RU_LEADER_EXACT,
    )


def resolve_preset(name: str, header: list[str], source: str) -> ColumnMap:
    """Column map for a named preset, given the CSV header."""
    if name == "ru-cec":
        return ru_cec(header, source)
    raise ForensicsInputError(source, f"unknown preset {name!r} (known: {', '.join(PRESETS)})")
