"""Find the columns of a results file by what they mean, not by position or one exact spelling.

Election commissions rename protocol lines between elections ("избирателей, внесенных" / "включенных",
"участников голосования" in referendums), add or drop lines (the 2020 all-Russian vote has no "valid ballots"
line) and add text columns (`name`, `level`, `oik`, a URL). A reader that expects one header breaks on the next
election. Here every column is classified by a small vocabulary of role phrases (Russian, Ukrainian, English):

* identifiers: `region` (or «регион», «субъект», …) gives regions; `oik`, `tik`, `uik`, `station`, … label
  stations; any other text column (`name`, `level`, `url`, …) is ignored and listed;
* protocol lines: registered voters, ballots issued (every "выданных" column, summed), ballots in the boxes,
  valid, invalid; protocol lines with other meanings (ballots received, cancelled, absentee certificates, …)
  are listed as not used;
* options: the referendum answers by name (ДА/НЕТ, Так/Ні, Yes/No, За/Против) and, in election files, the
  numeric columns after the last protocol line (commissions list candidates and parties after the protocol).
  A numeric column that fits no role is listed as a warning and never silently used as an option.

When there is no valid-ballots line, valid = the options' sum (in a referendum exactly ДА + НЕТ) and ballots cast
= the ballots found in the boxes; the reader records such choices as notes, which the report prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from plebiscite.forensics.columns import ColumnMap
from plebiscite.forensics.errors import ForensicsInputError

PRESETS = ("auto", "ru-cec")

REGION_NAMES = (
    "region",
    "регион",
    "субъект",
    "субъект рф",
    "область",
    "oblast",
    "district",
    "state",
    "province",
)
UNIT_NAMES = (
    "oik", "tik", "uik", "оик", "тик", "уик", "окружна", "твк", "двк", "пвк",
    "station", "precinct", "polling station", "дільниця", "участок", "unit", "ward",
)  # fmt: skip
TEXT_NAMES = ("name", "level", "url", "link", "href", "id", "название", "назва", "уровень", "рівень")

# Phrases per role, matched against the normalised column name (lower case, ё -> е, single spaces).
_REGISTERED = (
    r"(избирателей|участников (голосования|референдума)),? (внесенных|включенных) в спис",
    r"виборців,? (внесених|включених) до списку",
    r"^(число|кількість) (избирателей|виборців|участников голосования)$",
    r"^(registered|registered voters|electorate|eligible voters|voters on the list|registered electors)$",
)
_REGISTERED_RU = (_REGISTERED[0], _REGISTERED[2])
_ISSUED = (r"бюллетеней,? выданных", r"бюлетенів,? виданих", r"^(ballots issued|issued|ballots_issued)$")
_CAST = (
    r"(бюллетеней|бюлетенів).*(ящиках|скриньках)",
    r"(бюллетеней|бюлетенів),? (содержащихся|що містяться)",
    r"^(ballots cast|cast|ballots_cast|ballots in the boxes|ballots in boxes|total ballots)$",
)
_INVALID = (r"недействительн", r"недійсн", r"^(invalid|invalid ballots|spoiled|spoilt|rejected)( ballots)?$")
_VALID = (r"(^|число )действительн", r"(^|кількість )дійсн", r"^(valid|valid ballots|valid votes)$")
_PROTOCOL_START = (r"^число ", r"^кількість ", r"^number of ")
# Protocol lines that are recognised but play no role in the analysis (not warned about).
_KNOWN_UNUSED = (
    r"полученных", r"погашенных", r"открепительн", r"утраченн", r"не учтенных",
    r"отметок", r"отримани", r"погашени", r"втрачени", r"received", r"cancel",
)  # fmt: skip
_YES = ("да", "так", "yes", "за", "oui", "ja")
_NO = ("нет", "ні", "no", "против", "non", "nein")


def normalise(name: str) -> str:
    """Lower case, ё -> е, quotes and repeated or non-breaking spaces removed: the form phrases match."""
    text = name.replace("\u00a0", " ").replace("ё", "е").replace("Ё", "Е").lower()
    text = text.replace('"', "").replace("«", "").replace("»", "")
    return re.sub(r"\s+", " ", text).strip()


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(re.search(p, name) for p in patterns)


def is_numeric_column(series: pd.Series, sample: int = 2000) -> bool:
    """A column of counts: numeric dtype, or (when a few cells are damaged) >= 90 % of a sample parses."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return True
    values = series.dropna().astype(str).str.strip()
    values = values[values != ""].head(sample)
    if values.empty:
        return False
    return bool(pd.to_numeric(values, errors="coerce").notna().mean() >= 0.9)


@dataclass
class _Classified:
    """Which role each column got; `order` keeps the header order for the 'after the protocol' rule."""

    order: list[str]
    roles: dict[str, str]


def _classify(table: pd.DataFrame) -> _Classified:
    roles: dict[str, str] = {}
    for col in table.columns:
        name = normalise(col)
        if name in REGION_NAMES and "region" not in roles.values():
            roles[col] = "region"
        elif name in UNIT_NAMES:
            roles[col] = "unit"
        elif name in TEXT_NAMES or not is_numeric_column(table[col]):
            roles[col] = "text"
        elif name in _YES or name in _NO:
            roles[col] = "answer"
        elif _matches(name, _REGISTERED):
            roles[col] = "registered" if "registered" not in roles.values() else "protocol-unused"
        elif _matches(name, _ISSUED):
            roles[col] = "issued"
        elif _matches(name, _INVALID):  # before valid: "недействительных" contains "действительных"
            roles[col] = "invalid" if "invalid" not in roles.values() else "protocol-unused"
        elif _matches(name, _VALID):
            roles[col] = "valid" if "valid" not in roles.values() else "protocol-unused"
        elif _matches(name, _CAST):
            roles[col] = "cast"
        elif _matches(name, _KNOWN_UNUSED):
            roles[col] = "protocol-unused"
        elif _matches(name, _PROTOCOL_START):
            roles[col] = "protocol-unknown"
        else:
            roles[col] = "numeric"
    return _Classified(order=list(table.columns), roles=roles)


def _options(found: _Classified) -> tuple[list[str], list[str]]:
    """(options, numeric columns with no role): answers by name, else numeric columns after the protocol."""
    answers = [c for c in found.order if found.roles[c] == "answer"]
    protocol = {"registered", "issued", "cast", "valid", "invalid", "protocol-unused", "protocol-unknown"}
    last = max((i for i, c in enumerate(found.order) if found.roles[c] in protocol), default=-1)
    after = [c for i, c in enumerate(found.order) if i > last and found.roles[c] == "numeric"]
    before = [c for i, c in enumerate(found.order) if i <= last and found.roles[c] == "numeric"]
    if answers:
        return answers, before + after
    return after, before


def _leader_hints(options: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    yes = tuple(c for c in options if normalise(c) in _YES)
    return _LEADER_PATTERNS, yes


_LEADER_PATTERNS = ("ЕДИНАЯ РОССИЯ", "Единая Россия", "Путин", "ПУТИН", "Медведев")


def detect_layout(table: pd.DataFrame, source: str, preset: str = "auto") -> ColumnMap:
    """Column map guessed from the header and cell types; raises naming the role that could not be found."""
    if preset not in PRESETS:
        raise ForensicsInputError(source, f"unknown preset {preset!r} (known: {', '.join(PRESETS)})")
    found = _classify(table)

    def cols(role: str) -> list[str]:
        return [c for c in found.order if found.roles[c] == role]

    registered = cols("registered")
    if preset == "ru-cec":  # the CEC's own wording only: a file in another layout is refused, not guessed
        registered = [c for c in registered if _matches(normalise(c), _REGISTERED_RU)]
    if not registered:
        hint = (
            "'Число избирателей/участников голосования, внесенных/включенных в список'"
            if preset == "ru-cec"
            else "a registered-voters column such as 'registered' or 'Число избирателей, включенных в список'"
        )
        raise ForensicsInputError(source, f"{preset} preset: no registered-voters column (expected {hint})")
    options, unassigned = _options(found)
    if not options:
        raise ForensicsInputError(
            source,
            f"{preset} preset: no option columns (expected numeric columns after the protocol lines, "
            "or answers such as ДА/НЕТ, Yes/No); name the columns with a --columns mapping file",
        )
    valid, invalid, cast, issued = cols("valid"), cols("invalid"), cols("cast"), cols("issued")
    if preset == "ru-cec" and not issued:
        raise ForensicsInputError(
            source,
            "ru-cec preset: no ballots-issued column (expected columns containing 'бюллетеней, выданных')",
        )
    notes: list[str] = []
    if valid:
        cast_cols: list[str] = []  # as Kobak et al.: ballots cast = valid + invalid when both lines exist
        notes.append("ballots cast = valid + invalid ballots")
    else:
        cast_cols = cast
        notes.append(
            "no valid-ballots column: valid = the sum of the options"
            + (f" ({' + '.join(options)})" if len(options) <= 4 else "")
        )
        if cast:
            notes.append("ballots cast = ballots found in the boxes")
        elif invalid:
            notes.append("ballots cast = valid + invalid ballots")
    if not issued:
        notes.append("no ballots-issued column: turnout = ballots cast / registered")
    pattern_hints, yes = _leader_hints(options)
    if yes:
        notes.append(f"referendum: the leader is the answer {yes[0]!r}")
    region = cols("region")
    return ColumnMap(
        registered=registered,
        options=options,
        issued=issued,
        cast=cast_cols,
        valid=valid,
        invalid=invalid,
        region=region[0] if region else None,
        unit=cols("unit"),
        delimiter=None,
        leader_patterns=pattern_hints,
        leader_exact=yes,
        preset=preset,
        notes=notes,
        ignored_text=cols("text"),
        unused_protocol=cols("protocol-unused") + ([] if cast_cols else cast),
        unassigned_numeric=unassigned + cols("protocol-unknown"),
    )
