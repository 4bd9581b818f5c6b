"""Columns found by meaning (`--preset auto`, the default): the CEC variants that broke the old reader.

The headers below are the exact ones of the 2020 all-Russian vote on the constitution (a referendum without a
valid-ballots line) and the 2021 Duma election (`level, region, oik, tik, uik, …`), on a few synthetic rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from plebiscite.forensics import ForensicsInputError, read_election
from plebiscite.forensics.layout import normalise

REFERENDUM_2020 = (
    'name,region,tik,uik,"Число участников голосования, включенных в список участников голосования на момент '
    'окончания голосования","Число бюллетеней, выданных участникам голосования","Число бюллетеней, '
    'содержащихся в ящиках для голосования",Число недействительных бюллетеней,ДА,НЕТ,url\n'
    "УИК №1,Республика Адыгея (Адыгея),Адыгейская,1,1500,1000,998,8,700,290,http://x/1\n"
    "УИК №2,Республика Адыгея (Адыгея),Адыгейская,2,1200,600,600,10,300,290,http://x/2\n"
    "УИК №3,Республика Алтай,Горно-Алтайская,3,900,450,449,9,200,240,http://x/3\n"
)

DUMA_2021 = (
    'level,region,oik,tik,uik,"Число избирателей, включенных в список избирателей на момент окончания '
    'голосования","Число избирательных бюллетеней, полученных участковой избирательной комиссией",'
    '"Число избирательных бюллетеней, выданных избирателям, проголосовавшим досрочно","Число избирательных '
    'бюллетеней, выданных в помещении для голосования в день голосования","Число избирательных бюллетеней, '
    'выданных вне помещения для голосования в день голосования",Число погашенных избирательных бюллетеней,'
    "Число избирательных бюллетеней в переносных ящиках для голосования,Число бюллетеней в стационарных ящиках "
    "для голосования,Число недействительных избирательных бюллетеней,Число действительных избирательных "
    'бюллетеней,Число утраченных избирательных бюллетеней,"Число избирательных бюллетеней, не учтенных при '
    'получении","1. Политическая партия КОММУНИСТИЧЕСКАЯ ПАРТИЯ РОССИЙСКОЙ ФЕДЕРАЦИИ","2. Политическая партия '
    'ЛДПР - Либерально-демократическая партия России","3. Всероссийская политическая партия ""ЕДИНАЯ РОССИЯ""",'
    "url\n"
    "ЦИК России,Республика Адыгея (Адыгея),Адыгейский - № 1,Адыгейская,1,2000,1800,10,1200,50,540,50,1210,"
    "20,1240,0,0,300,200,740,http://x/1\n"
    "ЦИК России,Республика Адыгея (Адыгея),Адыгейский - № 1,Адыгейская,2,1000,900,0,500,20,380,20,500,"
    "10,510,0,0,100,100,310,http://x/2\n"
)


def test_referendum_2020_without_valid_column(write_csv: Callable[..., Path]) -> None:
    e = read_election(write_csv(REFERENDUM_2020))
    assert e.stations == 3
    assert e.option_names == ["ДА", "НЕТ"]
    assert e.leader_name == "ДА" and e.log.leader_detected_by == "name"
    np.testing.assert_array_equal(e.registered, [1500, 1200, 900])
    np.testing.assert_array_equal(e.issued, [1000, 600, 450])
    np.testing.assert_array_equal(e.cast, [998, 600, 449])  # ballots found in the boxes
    np.testing.assert_array_equal(e.valid, [990, 590, 440])  # ДА + НЕТ
    assert e.region_names == ["Республика Адыгея (Адыгея)", "Республика Алтай"]
    assert list(e.units) == ["Адыгейская/1", "Адыгейская/2", "Горно-Алтайская/3"]
    layout = e.log.layout
    assert layout["preset"] == "auto"
    assert layout["ignored_text_columns"] == ["name", "url"]
    notes = " ".join(layout["notes"])  # type: ignore[arg-type]
    assert "valid = the sum of the options (ДА + НЕТ)" in notes
    assert "ballots found in the boxes" in notes


def test_referendum_2020_with_ru_cec_preset(write_csv: Callable[..., Path]) -> None:
    """The named preset reads the same file the same way (it failed with 'no valid column' before)."""
    a = read_election(write_csv(REFERENDUM_2020), preset="ru-cec")
    b = read_election(write_csv(REFERENDUM_2020, name="b.csv"))
    np.testing.assert_array_equal(a.votes, b.votes)
    np.testing.assert_array_equal(a.cast, b.cast)
    assert a.log.layout["preset"] == "ru-cec"


def test_referendum_votes_above_boxes_are_excluded(write_csv: Callable[..., Path]) -> None:
    """valid (ДА + НЕТ) + invalid above the ballots in the boxes is impossible: the row is excluded."""
    text = REFERENDUM_2020.replace("1200,600,600,10,300,290", "1200,600,600,10,320,290")
    e = read_election(write_csv(text))
    assert [(x.line, x.reasons) for x in e.log.excluded] == [(3, ("votes above ballots",))]


def test_duma_2021_level_and_oik_columns(write_csv: Callable[..., Path]) -> None:
    e = read_election(write_csv(DUMA_2021))
    assert e.stations == 2  # 'level' (ЦИК России) is text, no longer read as a party
    assert e.leader_name == '3. Всероссийская политическая партия "ЕДИНАЯ РОССИЯ"'
    assert e.log.leader_detected_by == "name"
    assert len(e.option_names) == 3
    np.testing.assert_array_equal(e.issued, [10 + 1200 + 50, 500 + 20])
    np.testing.assert_array_equal(e.cast, [1240 + 20, 510 + 10])  # valid + invalid, as for 2011/2012
    assert e.units[0] == "Адыгейский - № 1/Адыгейская/1"
    layout = e.log.layout
    assert layout["ignored_text_columns"] == ["level", "url"]
    unused = layout["unused_protocol_columns"]
    assert "Число погашенных избирательных бюллетеней" in unused  # type: ignore[operator]
    assert layout["numeric_columns_without_role"] == []


def test_numeric_column_with_no_role_is_a_warning_not_an_option(write_csv: Callable[..., Path]) -> None:
    text = (
        "region,uik,Число избирателей внесенных в список,turnout_code,Число бюллетеней выданных,"
        "Число действительных бюллетеней,Число недействительных бюллетеней,Число загадочных строк,ДА,НЕТ\n"
        "R,1,1000,7,600,590,8,3,400,190\nR,2,800,7,500,490,5,1,300,190\n"
    )
    e = read_election(write_csv(text))
    assert e.option_names == ["ДА", "НЕТ"]
    assert e.log.layout["numeric_columns_without_role"] == ["turnout_code", "Число загадочных строк"]


def test_ukrainian_and_english_layouts(write_csv: Callable[..., Path]) -> None:
    uk = (
        "область,дільниця,Кількість виборців внесених до списку,Кількість бюлетенів виданих виборцям,"
        "Кількість недійсних бюлетенів,Так,Ні\nКиївська,1,1000,600,6,500,94\nКиївська,2,900,500,5,300,195\n"
    )
    e = read_election(write_csv(uk))
    assert e.leader_name == "Так"
    np.testing.assert_array_equal(e.cast, [600, 500])  # valid (Так + Ні) + invalid
    assert e.region_names == ["Київська"]
    en = "state,precinct,registered,ballots cast,invalid,Labour,Conservative\nA,1,1000,600,6,300,294\n"
    e = read_election(write_csv(en, name="en.csv"))
    assert e.option_names == ["Labour", "Conservative"]
    assert e.leader_name == "Labour" and e.log.leader_detected_by == "largest total"


def test_semicolon_file_with_quoted_commas(write_csv: Callable[..., Path]) -> None:
    text = (
        'uik;"Число участников голосования, включенных в список";"Число бюллетеней, выданных участникам '
        'голосования";Число недействительных бюллетеней;ДА;НЕТ\n1;1000;600;6;500;94\n2;900;500;5;300;195\n'
    )
    e = read_election(write_csv(text))
    np.testing.assert_array_equal(e.valid, [594, 495])


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("region,uik,ДА,НЕТ\nR,1,5,3\n", "no registered-voters column"),
        ('region,uik,"Число избирателей, внесенных в список"\nR,1,5\n', "no option columns"),
    ],
)
def test_layout_that_cannot_be_guessed(header: str, fragment: str, write_csv: Callable[..., Path]) -> None:
    with pytest.raises(ForensicsInputError) as err:
        read_election(write_csv(header))
    assert fragment in err.value.reason
    assert "auto preset" in err.value.reason


def test_ru_cec_requires_ballots_issued(write_csv: Callable[..., Path]) -> None:
    text = "region,uik,Число избирателей внесенных в список,Число недействительных бюллетеней,ДА,НЕТ\nR,1,9,0,5,3\n"
    with pytest.raises(ForensicsInputError, match="ballots-issued"):
        read_election(write_csv(text), preset="ru-cec")
    assert read_election(write_csv(text, name="b.csv")).stations == 1  # auto: turnout from ballots cast


def test_normalise() -> None:
    assert (
        normalise("Число  избирателей,\u00a0внесённых «в» список") == "число избирателей, внесенных в список"
    )


def test_auto_reads_the_2012_sample_as_ru_cec_does(data_dir: Path) -> None:
    """The published-figure files read the same with the default preset as with the named one."""
    a = read_election(data_dir / "ru_2012_sample.csv")
    b = read_election(data_dir / "ru_2012_sample.csv", preset="ru-cec")
    for name in ("registered", "issued", "cast", "valid", "votes", "region_codes"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.leader_name == b.leader_name == "Путин Владимир Владимирович"
    assert len(a.log.layout["unused_protocol_columns"]) == 12  # type: ignore[arg-type]
