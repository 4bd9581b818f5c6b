"""Reading: presets, mapping files, the documented bad-row rules (with line numbers) and file-level errors."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from plebiscite.forensics import ForensicsInputError, read_election

HEADER = "region,unit,registered,issued,cast,invalid,yes,no\n"
GOOD_FIRST = "R1,1,1000,600,598,8,400,190\n"
GOOD_LAST = "R2,3,1200,700,699,9,350,340\n"
MAPPING = {
    "region": "region",
    "unit": "unit",
    "registered": "registered",
    "issued": "issued",
    "cast": "cast",
    "invalid": "invalid",
    "options": ["yes", "no"],
}


@pytest.fixture
def mapping_file(tmp_path: Path) -> Path:
    path = tmp_path / "columns.json"
    path.write_text(json.dumps(MAPPING))
    return path


def test_generic_json_mapping(data_dir: Path, generic_mapping: Path) -> None:
    e = read_election(data_dir / "generic.csv", columns=generic_mapping)
    assert e.stations == 4
    assert e.log.rows_excluded == 0
    assert e.leader_name == "yes"
    assert e.log.leader_detected_by == "largest total"
    np.testing.assert_array_equal(e.registered, [1000, 800, 1200, 500])
    np.testing.assert_array_equal(e.issued, [600, 500, 700, 300])
    np.testing.assert_array_equal(e.cast, [598, 500, 699, 300])
    np.testing.assert_array_equal(e.valid, [590, 495, 690, 300])  # no valid column: the sum of the options
    np.testing.assert_allclose(e.turnout, [0.6, 0.625, 700 / 1200, 0.6])
    np.testing.assert_allclose(e.leader_share, [400 / 598, 300 / 500, 350 / 699, 200 / 300])
    assert e.region_names == ["North", "South"]
    np.testing.assert_array_equal(e.region_codes, [0, 0, 1, 1])
    np.testing.assert_array_equal(e.lines, [2, 3, 4, 5])
    assert list(e.units) == ["1", "2", "3", "4"]


def test_toml_mapping_reads_the_same(data_dir: Path, generic_mapping: Path) -> None:
    a = read_election(data_dir / "generic.csv", columns=generic_mapping)
    b = read_election(data_dir / "generic.csv", columns=data_dir / "generic.toml")
    np.testing.assert_array_equal(a.votes, b.votes)
    np.testing.assert_array_equal(a.cast, b.cast)
    assert a.region_names == b.region_names


def test_ru_cec_preset_on_sample(data_dir: Path) -> None:
    e = read_election(data_dir / "ru_2012_sample.csv", preset="ru-cec")
    assert e.stations == 8
    assert e.leader_name == "Путин Владимир Владимирович"
    assert e.log.leader_detected_by == "name"
    assert len(e.option_names) == 5
    # first station: issued = early 0 + on the day 1513 + outside 77; cast = valid 1571 + invalid 19
    assert e.registered[0] == 2383
    assert e.issued[0] == 0 + 1513 + 77
    assert e.cast[0] == 1571 + 19
    assert e.leader[0] == 1066
    assert e.units[0] == "1 Адыгейская/1"
    assert e.region_names == ["Республика Адыгея (Адыгея)", "Республика Алтай"]


def test_ru_cec_leader_by_largest_total_when_no_name_matches(
    data_dir: Path, write_csv: Callable[..., Path]
) -> None:
    text = (
        (data_dir / "ru_2012_sample.csv")
        .read_text(encoding="utf-8")
        .replace("Путин Владимир", "Кандидат Икс")
    )
    e = read_election(write_csv(text), preset="ru-cec")
    assert e.log.leader_detected_by == "largest total"
    assert e.leader_name == "Кандидат Икс Владимирович"


def test_leader_override_and_unknown_leader(data_dir: Path, generic_mapping: Path) -> None:
    e = read_election(data_dir / "generic.csv", columns=generic_mapping, leader="no")
    assert e.leader_name == "no"
    assert e.log.leader_detected_by == "given"
    with pytest.raises(ForensicsInputError) as err:
        read_election(data_dir / "generic.csv", columns=generic_mapping, leader="maybe")
    assert err.value.column == "maybe"
    assert "not one of the option columns" in str(err.value)


BAD_ROWS = [
    ("R1,2,800,500,500,5,-3,498", ["negative count in column 'yes'"]),
    ("R1,2,800,500,500,5,300,250", ["votes above ballots"]),
    ("R1,2,400,500,500,5,300,195", ["ballots above registered"]),
    ("R1,2,800,,500,5,300,195", ["missing value in column 'issued'"]),
    ("R1,2,800,abc,500,5,300,195", ["not a number in column 'issued'"]),
    ("R1,2,800,500.5,500,5,300,195", ["not a whole number in column 'issued'"]),
    ("R1,2,0,0,0,0,0,0", ["no registered voters"]),
    ("R1,2,800,0,0,0,0,0", ["no ballots cast"]),
    ("", ["blank line"]),
    ("R1,2,800,abc,500,5,-1,195", ["not a number in column 'issued'", "negative count in column 'yes'"]),
]


@pytest.mark.parametrize(("row", "reasons"), BAD_ROWS, ids=[r[1][0] for r in BAD_ROWS[:-1]] + ["two reasons"])
def test_bad_row_is_excluded_with_line_and_reasons(
    row: str, reasons: list[str], write_csv: Callable[..., Path], mapping_file: Path
) -> None:
    path = write_csv(HEADER + GOOD_FIRST + row + "\n" + GOOD_LAST)
    e = read_election(path, columns=mapping_file)
    assert e.stations == 2
    np.testing.assert_array_equal(e.lines, [2, 4])
    assert [(x.line, list(x.reasons)) for x in e.log.excluded] == [(3, reasons)]
    assert e.log.excluded_by_reason == dict.fromkeys(reasons, 1)
    assert e.log.as_dict()["rows_used"] == 2


def test_more_ballots_in_boxes_than_issued_is_kept_and_counted(
    write_csv: Callable[..., Path], mapping_file: Path
) -> None:
    e = read_election(write_csv(HEADER + GOOD_FIRST + "R1,2,800,500,510,5,310,195\n"), columns=mapping_file)
    assert e.stations == 2
    assert e.log.warnings["more ballots in boxes than issued (kept)"] == 1


def test_cast_derived_from_valid_and_invalid(write_csv: Callable[..., Path], tmp_path: Path) -> None:
    mapping = tmp_path / "m.json"
    mapping.write_text(
        json.dumps({"registered": "reg", "valid": "valid", "invalid": "inv", "options": ["a", "b"]})
    )
    e = read_election(write_csv("reg,valid,inv,a,b\n100,50,2,30,20\n100,50,2,30,25\n"), columns=mapping)
    assert e.cast.tolist() == [52]  # second row: options 55 > valid 50
    assert e.issued.tolist() == [52]  # no issued column: turnout uses ballots cast
    assert e.log.excluded[0].reasons == ("votes above ballots",)


def test_semicolon_delimiter_is_sniffed(write_csv: Callable[..., Path], mapping_file: Path) -> None:
    text = (HEADER + GOOD_FIRST + GOOD_LAST).replace(",", ";")
    assert read_election(write_csv(text), columns=mapping_file).stations == 2


def test_byte_order_mark_and_crlf_are_accepted(write_csv: Callable[..., Path], mapping_file: Path) -> None:
    text = "\ufeff" + (HEADER + GOOD_FIRST + GOOD_LAST).replace("\n", "\r\n")
    e = read_election(write_csv(text), columns=mapping_file)
    assert e.stations == 2
    assert e.region_names == ["R1", "R2"]


def test_zip_with_one_csv_is_read(tmp_path: Path, mapping_file: Path) -> None:
    path = tmp_path / "one.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("data.csv", HEADER + GOOD_FIRST + GOOD_LAST)
    assert read_election(path, columns=mapping_file).stations == 2


# --- file-level errors: one clear message naming the file (and column or line) ---


def _error(path: Path, **kwargs: object) -> ForensicsInputError:
    with pytest.raises(ForensicsInputError) as err:
        read_election(path, **kwargs)  # type: ignore[arg-type]
    assert str(path) in str(err.value)
    return err.value


def test_missing_required_column_names_column_and_file(
    write_csv: Callable[..., Path], mapping_file: Path
) -> None:
    path = write_csv((HEADER + GOOD_FIRST).replace("issued", "ballots"))
    err = _error(path, columns=mapping_file)
    assert err.column == "issued"
    assert "required column missing" in err.reason
    assert "'issued'" in str(err)


def test_missing_identifier_column(write_csv: Callable[..., Path], mapping_file: Path) -> None:
    err = _error(write_csv((HEADER + GOOD_FIRST).replace("region", "area")), columns=mapping_file)
    assert err.column == "region"


def test_ru_cec_preset_on_other_layout(data_dir: Path) -> None:
    err = _error(data_dir / "generic.csv", preset="ru-cec")
    assert "registered-voters" in err.reason


def test_unknown_preset(data_dir: Path) -> None:
    assert "unknown preset" in _error(data_dir / "generic.csv", preset="us-fec").reason


def test_preset_and_columns_together(data_dir: Path, generic_mapping: Path) -> None:
    assert "not both" in _error(data_dir / "generic.csv", preset="ru-cec", columns=generic_mapping).reason


def test_nonexistent_file(tmp_path: Path, mapping_file: Path) -> None:
    assert "cannot read file" in _error(tmp_path / "nope.csv", columns=mapping_file).reason


def test_empty_file(write_csv: Callable[..., Path], mapping_file: Path) -> None:
    assert _error(write_csv(""), columns=mapping_file).reason == "file is empty"


def test_header_only(write_csv: Callable[..., Path], mapping_file: Path) -> None:
    assert "no data rows" in _error(write_csv(HEADER), columns=mapping_file).reason


def test_zip_with_two_files(tmp_path: Path, mapping_file: Path) -> None:
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.csv", HEADER)
        z.writestr("b.csv", HEADER)
    assert "exactly one CSV" in _error(path, columns=mapping_file).reason


def test_line_with_wrong_number_of_fields(write_csv: Callable[..., Path], mapping_file: Path) -> None:
    err = _error(write_csv(HEADER + GOOD_FIRST + GOOD_FIRST + "R1,9,1,2,3,4,5,6,7,8\n"), columns=mapping_file)
    assert err.line == 4
    assert "expected 8 fields, saw 10" in err.reason


def test_not_utf8(write_csv: Callable[..., Path], mapping_file: Path) -> None:
    path = write_csv(HEADER + "Réunion,1,1000,600,598,8,400,190\n", encoding="latin-1")
    assert "not valid utf-8" in _error(path, columns=mapping_file).reason


def test_wrong_delimiter_gives_single_column(write_csv: Callable[..., Path], mapping_file: Path) -> None:
    text = (HEADER + GOOD_FIRST).replace(",", "|")
    assert "only one column" in _error(write_csv(text), columns=mapping_file).reason


def test_all_rows_bad(write_csv: Callable[..., Path], mapping_file: Path) -> None:
    err = _error(write_csv(HEADER + "R1,1,0,0,0,0,0,0\nR1,2,0,0,0,0,0,0\n"), columns=mapping_file)
    assert "no usable rows" in err.reason
    assert "no registered voters" in err.reason


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"registered": "r", "options": ["a"], "optionz": 1}', "unknown key(s) optionz"),
        ('{"registered": "r", ', "not valid JSON"),
        ('{"registered": "r"}', "lacks required key 'options'"),
        ('{"registered": "r", "options": 7}', "must be a column name or a non-empty list"),
        ('{"registered": "r", "options": ["a"], "leader": 3}', "must be a non-empty string"),
        ("[1, 2]", "must be an object"),
    ],
)
def test_bad_mapping_file(content: str, fragment: str, tmp_path: Path, data_dir: Path) -> None:
    mapping = tmp_path / "columns.json"
    mapping.write_text(content)
    with pytest.raises(ForensicsInputError) as err:
        read_election(data_dir / "generic.csv", columns=mapping)
    assert fragment in str(err.value)
    assert str(mapping) in str(err.value)


def test_missing_mapping_file(tmp_path: Path, data_dir: Path) -> None:
    with pytest.raises(ForensicsInputError, match="cannot read column mapping"):
        read_election(data_dir / "generic.csv", columns=tmp_path / "absent.toml")


# --- the real files ---


def test_russia_2011_read(russia_2011) -> None:  # type: ignore[no-untyped-def]
    e = russia_2011
    assert e.log.rows_read == 95_225
    assert e.stations == 95_224
    assert [(x.line, x.reasons) for x in e.log.excluded] == [(10_722, ("no ballots cast",))]
    assert "ЕДИНАЯ РОССИЯ" in e.leader_name
    assert len(e.region_names) == 84
    # Published CEC totals (data README): 109,229,337 registered; the excluded ship station held 24.
    assert int(e.registered.sum()) + 24 == 109_229_337
    assert e.summary()["leader_share"] == pytest.approx(0.4931, abs=5e-4)


def test_russia_2012_read(russia_2012) -> None:  # type: ignore[no-untyped-def]
    e = russia_2012
    assert e.stations == 95_414
    assert [(x.line, x.reasons) for x in e.log.excluded] == [(38_982, ("no registered voters",))]
    assert e.leader_name == "Путин Владимир Владимирович"
    assert int(e.registered.sum()) == 109_860_331
    assert e.summary()["turnout"] == pytest.approx(0.6534, abs=5e-4)


def test_corrupt_zip_is_an_input_error(tmp_path: Path, mapping_file: Path) -> None:
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("data.csv", (HEADER + GOOD_FIRST + GOOD_LAST) * 50)
    broken = tmp_path / "broken.csv.zip"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert "damaged zip archive" in _error(broken, columns=mapping_file).reason
