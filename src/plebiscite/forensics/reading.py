"""Read precinct CSV (plain or zipped), apply a column map, and drop impossible rows by documented rules.

Validation is vectorised with pandas/numpy so a 100,000-row file costs well under a second. Rules (also in
docs/forensics.md); a row is excluded, with its file line number and every reason that applies, when:

* it is blank, or a used count column is missing, not a number, not a whole number, or negative;
* registered voters is 0 ("no registered voters");
* ballots issued or ballots cast exceed registered voters ("ballots above registered");
* votes for the options exceed valid ballots, or valid + invalid exceed ballots cast ("votes above ballots");
* no ballots were cast ("no ballots cast": such a row has no vote share).

Rows with more ballots in the boxes than were issued are kept but counted as a warning: that is itself a
classic stuffing sign, and dropping it would hide evidence. Structural faults (missing column, unreadable file,
a line with the wrong number of fields) stop reading with a ForensicsInputError.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from plebiscite.forensics.columns import ColumnMap, load_mapping
from plebiscite.forensics.election import Election, ExcludedRow, ReadLog
from plebiscite.forensics.errors import ForensicsInputError
from plebiscite.forensics.layout import detect_layout

BoolArray = NDArray[np.bool_]


def _raw_bytes(path: Path) -> bytes:
    """File contents; a .zip must hold exactly one data file (the dkobak/elections layout)."""
    source = str(path)
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                members = [
                    m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX")
                ]
                if len(members) != 1:
                    names = ", ".join(m.filename for m in members) or "nothing"
                    raise ForensicsInputError(
                        source, f"zip archive must hold exactly one CSV file, found {names}"
                    )
                return archive.read(members[0])
        data = path.read_bytes()
        if data.startswith(b"PK\x03\x04"):  # a zip signature but no readable directory: truncated or damaged
            raise ForensicsInputError(source, "damaged zip archive (truncated or corrupt)")
        return data
    except ForensicsInputError:
        raise
    except zipfile.BadZipFile as exc:
        raise ForensicsInputError(source, f"damaged zip archive: {exc}") from None
    except OSError as exc:
        raise ForensicsInputError(source, f"cannot read file: {exc.strerror or exc}") from None


def _sniff_delimiter(first_line: str) -> str:
    """The most frequent of `,` `;` tab outside quotes (CEC headers quote names that contain commas)."""
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if max(counts.values()) else ","


def _read_table(path: Path, encoding: str, delimiter: str | None) -> pd.DataFrame:
    source = str(path)
    data = _raw_bytes(path)
    if not data.strip():
        raise ForensicsInputError(source, "file is empty")
    try:
        first_line = data.split(b"\n", 1)[0].decode(encoding)
    except UnicodeDecodeError:
        raise ForensicsInputError(source, f"header is not valid {encoding} text", line=1) from None
    except LookupError:
        raise ForensicsInputError(source, f"unknown text encoding {encoding!r}") from None
    sep = delimiter or _sniff_delimiter(first_line)
    try:
        table = pd.read_csv(
            io.BytesIO(data), sep=sep, encoding=encoding, skip_blank_lines=False, low_memory=False
        )
    except UnicodeDecodeError as exc:
        raise ForensicsInputError(source, f"not valid {encoding} text ({exc.reason})") from None
    except pd.errors.EmptyDataError:
        raise ForensicsInputError(source, "file has no header line") from None
    except pd.errors.ParserError as exc:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if match:
            expected, line, saw = match.groups()
            raise ForensicsInputError(
                source, f"expected {expected} fields, saw {saw}", line=int(line)
            ) from None
        raise ForensicsInputError(source, f"not a readable CSV file: {str(exc).strip()}") from None
    if table.shape[1] < 2:
        raise ForensicsInputError(
            source, f"only one column found with delimiter {sep!r}; is this a CSV file?"
        )
    if table.empty:
        raise ForensicsInputError(source, "file has a header but no data rows")
    table.columns = [str(c).lstrip("\ufeff").strip() for c in table.columns]  # Excel writes a BOM
    return table


def _parse_counts(series: pd.Series) -> tuple[NDArray[np.float64], dict[str, BoolArray]]:
    """Values as float plus masks for each way a count cell can be wrong (vectorised fast path for ints)."""
    n = len(series)
    none = np.zeros(n, dtype=bool)
    if pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64)
        return values, {"missing": none, "nonnumber": none, "fraction": none, "negative": values < 0}
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(values)
        nonnumber = ~missing & ~np.isfinite(values)
    else:
        text = series.astype("string").str.strip()
        missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
        parsed = pd.to_numeric(text.where(~missing), errors="coerce")
        values = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
        nonnumber = ~missing & ~np.isfinite(values)
    good = ~missing & ~nonnumber
    clean = np.where(good, values, 0.0)
    return clean, {
        "missing": missing,
        "nonnumber": nonnumber,
        "fraction": good & (clean != np.floor(clean)),
        "negative": good & (clean < 0),
    }


_CELL_REASONS = {
    "missing": "missing value in column {col!r}",
    "nonnumber": "not a number in column {col!r}",
    "fraction": "not a whole number in column {col!r}",
    "negative": "negative count in column {col!r}",
}


def _choose_leader(
    mapping: ColumnMap, totals: NDArray[np.float64], override: str | None, source: str
) -> tuple[int, str]:
    options = mapping.options
    wanted = override or mapping.leader
    if wanted is not None:
        if wanted not in options:
            raise ForensicsInputError(
                source,
                f"leader {wanted!r} is not one of the option columns: {', '.join(options)}",
                column=wanted,
            )
        return options.index(wanted), "given"
    by_name = [
        i
        for i, name in enumerate(options)
        if any(p in name for p in mapping.leader_patterns) or name.strip() in mapping.leader_exact
    ]
    if len(by_name) == 1:
        return by_name[0], "name"
    return int(np.argmax(totals)), "largest total"


def read_election(
    path: str | Path,
    *,
    preset: str | None = None,
    columns: str | Path | None = None,
    leader: str | None = None,
) -> Election:
    """Read one election file with a preset (`auto`, the default, or `ru-cec`) or a JSON/TOML mapping file."""
    path = Path(path)
    source = str(path)
    if preset is not None and columns is not None:
        raise ForensicsInputError(source, "give either a preset or a column mapping file, not both")
    mapping_from_file = load_mapping(Path(columns)) if columns is not None else None
    encoding = mapping_from_file.encoding if mapping_from_file else "utf-8"
    delimiter = mapping_from_file.delimiter if mapping_from_file else None
    table = _read_table(path, encoding, delimiter)
    header = list(table.columns)
    mapping = mapping_from_file or detect_layout(table, source, preset or "auto")
    present = set(header)
    for role, col in mapping.used_numeric():
        if col not in present:
            raise ForensicsInputError(source, f"required column missing (role {role})", column=col)
    for col in ([mapping.region] if mapping.region else []) + mapping.unit:
        if col not in present:
            raise ForensicsInputError(source, "required column missing (identifier)", column=col)

    n = len(table)
    log = ReadLog(source=source, rows_read=n, column_roles=mapping.roles(), layout=mapping.layout())
    reasons: dict[int, list[str]] = defaultdict(list)

    def flag(mask: BoolArray, reason: str) -> None:
        for i in np.flatnonzero(mask):
            reasons[int(i)].append(reason)

    blank = table.isna().all(axis=1).to_numpy()
    flag(blank, "blank line")
    parsed: dict[str, NDArray[np.float64]] = {}
    for _role, col in mapping.used_numeric():
        if col in parsed:
            continue
        values, masks = _parse_counts(table[col])
        parsed[col] = values
        for kind, template in _CELL_REASONS.items():
            flag(masks[kind] & ~blank, template.format(col=col))

    def total(cols: list[str]) -> NDArray[np.float64]:
        return np.sum([parsed[c] for c in cols], axis=0) if cols else np.zeros(n)

    registered = total(mapping.registered)
    votes = np.column_stack([parsed[c] for c in mapping.options])
    option_sum = votes.sum(axis=1)
    valid = total(mapping.valid) if mapping.valid else option_sum
    invalid = total(mapping.invalid)
    if mapping.cast:
        cast = total(mapping.cast)
    elif mapping.valid or mapping.invalid:
        cast = valid + invalid
    elif mapping.issued:
        cast = total(mapping.issued)
    else:
        cast = option_sum
    issued = total(mapping.issued) if mapping.issued else cast

    cell_bad = np.zeros(n, dtype=bool)
    cell_bad[list(reasons)] = True
    ok = ~cell_bad
    flag(ok & (registered == 0), "no registered voters")
    flag(ok & ((issued > registered) | (cast > registered)), "ballots above registered")
    flag(ok & ((option_sum > valid) | (valid + invalid > cast)), "votes above ballots")
    flag(ok & (cast == 0) & (registered > 0), "no ballots cast")
    keep = np.ones(n, dtype=bool)
    keep[list(reasons)] = False
    log.warnings["more ballots in boxes than issued (kept)"] = int(np.sum(keep & (cast > issued)))

    units = _unit_labels(table, mapping)
    lines = np.arange(2, n + 2, dtype=np.int64)
    for i in sorted(reasons):
        log.excluded.append(ExcludedRow(line=int(lines[i]), unit=str(units[i]), reasons=tuple(reasons[i])))
        for reason in reasons[i]:
            log.excluded_by_reason[reason] = log.excluded_by_reason.get(reason, 0) + 1
    if not keep.any():
        common = max(log.excluded_by_reason, key=lambda r: log.excluded_by_reason[r])
        raise ForensicsInputError(source, f"no usable rows: all {n} rows excluded (most often: {common})")

    leader_index, detected_by = _choose_leader(mapping, votes[keep].sum(axis=0), leader, source)
    log.leader_detected_by = detected_by
    region_codes, region_names = _regions(table, mapping)
    as_int = np.int64
    return Election(
        registered=registered[keep].astype(as_int),
        issued=issued[keep].astype(as_int),
        cast=cast[keep].astype(as_int),
        valid=valid[keep].astype(as_int),
        votes=votes[keep].astype(as_int),
        option_names=list(mapping.options),
        leader_index=leader_index,
        region_codes=region_codes[keep],
        region_names=region_names,
        units=units[keep],
        lines=lines[keep],
        log=log,
    )


def _unit_labels(table: pd.DataFrame, mapping: ColumnMap) -> NDArray[np.str_]:
    if not mapping.unit:
        return np.array([f"row {i + 2}" for i in range(len(table))]).astype(str)
    parts = [table[c].astype("string").fillna("?") for c in mapping.unit]
    label = parts[0]
    for part in parts[1:]:
        label = label.str.cat(part, sep="/")
    return label.to_numpy(dtype=str)


def _regions(table: pd.DataFrame, mapping: ColumnMap) -> tuple[NDArray[np.int64], list[str]]:
    if not mapping.region:
        return np.zeros(len(table), dtype=np.int64), ["(all)"]
    labels = table[mapping.region].astype("string").fillna("(missing)").str.strip()
    codes, uniques = pd.factorize(labels, sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]
