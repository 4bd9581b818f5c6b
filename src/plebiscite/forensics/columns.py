"""Which CSV columns play which role: the ColumnMap and user mapping files (JSON or TOML).

A mapping says where registered voters, ballots and votes are; reading.py then applies the same validation to
every layout. Keeping layouts declarative means a new country's data needs a ten-line file, not new code; presets
(guessing the map from the header by meaning) live in layout.py.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from plebiscite.forensics.errors import ForensicsInputError

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
    # Filled by layout detection (presets), so the report can say what was guessed and what was left out.
    preset: str | None = None
    notes: list[str] = field(default_factory=list)
    ignored_text: list[str] = field(default_factory=list)
    unused_protocol: list[str] = field(default_factory=list)
    unassigned_numeric: list[str] = field(default_factory=list)

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

    def layout(self) -> dict[str, object]:
        """What the reader chose and ignored: printed by the CLI and kept in the JSON and the report."""
        return {
            "preset": self.preset or "mapping file",
            "notes": list(self.notes),
            "ignored_text_columns": list(self.ignored_text),
            "unused_protocol_columns": list(self.unused_protocol),
            "numeric_columns_without_role": list(self.unassigned_numeric),
        }


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
