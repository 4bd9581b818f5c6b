"""`plebiscite forensics`: JSON and HTML outputs, and one-line errors (never a traceback) for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from plebiscite.cli.forensics_cmd import register
from plebiscite.forensics.simulate import SimulationSpec, simulate_election

FAST = ["--runs", "20", "--bootstrap", "2", "--seed", "4"]


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)

    @application.command("noop")  # a second command so that typer keeps `forensics` as a subcommand
    def noop() -> None:
        """Placeholder."""

    return application


@pytest.fixture(scope="module")
def simulated_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 2,000-station simulated election written as CSV, plus its TOML column mapping."""
    e, _ = simulate_election(SimulationSpec(stations=2000, regions=5), seed=11)
    folder = tmp_path_factory.mktemp("sim")
    lines = ["region,station,registered,issued,cast,a,b,c,d"]
    for i in range(e.stations):
        votes = ",".join(str(v) for v in e.votes[i])
        lines.append(
            f"{e.region_names[e.region_codes[i]]},{e.units[i]},{e.registered[i]},{e.issued[i]},{e.cast[i]},{votes}"
        )
    csv = folder / "sim.csv"
    csv.write_text("\n".join(lines) + "\n")
    mapping = folder / "columns.toml"
    mapping.write_text(
        'region = "region"\nunit = "station"\nregistered = "registered"\nissued = "issued"\n'
        'cast = "cast"\noptions = ["a", "b", "c", "d"]\n'
    )
    return csv, mapping


def _run(app: typer.Typer, args: list[str]):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["forensics", *args])


def test_json_output(app: typer.Typer, simulated_csv: tuple[Path, Path]) -> None:
    csv, mapping = simulated_csv
    result = _run(app, [str(csv), "--columns", str(mapping), "--json", *FAST])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    ip = data["integer_percentages"]
    assert {"observed_stations", "expected_stations", "excess_stations", "z", "p_value"} <= set(ip)
    assert data["summary"]["stations"] == 2000
    assert data["options"] == {
        "seed": 4,
        "runs": 20,
        "spike_runs": 50,
        "klimek_bootstrap": 2,
        "mixture_bootstrap": 0,
        "shpilkin_bootstrap": 50,
    }


def test_html_report_is_self_contained(
    app: typer.Typer, simulated_csv: tuple[Path, Path], tmp_path: Path
) -> None:
    csv, mapping = simulated_csv
    out = tmp_path / "report.html"
    result = _run(app, [str(csv), "--columns", str(mapping), "--report", str(out), *FAST])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 7
    assert "<script" not in html and "src='http" not in html and 'src="http' not in html
    for needle in ("Integer percentages", "f_i", "excess votes", "does not prove", "Regions", "Mebane"):
        assert needle.lower() in html.lower()
    assert "integer percentages" in result.stdout  # summary table when --json is not given


def _assert_one_line_error(result, *fragments: str, code: int = 2) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == code
    text = result.stderr.strip()
    assert "Traceback" not in result.output and "Traceback" not in text
    assert text.startswith("error: ")
    assert len(text.splitlines()) == 1, text
    for fragment in fragments:
        assert fragment in text


def test_missing_file(app: typer.Typer, tmp_path: Path) -> None:
    _assert_one_line_error(
        _run(app, [str(tmp_path / "no.csv"), "--preset", "ru-cec"]), "no.csv", "cannot read"
    )


def test_preset_and_columns_together_is_an_error(app: typer.Typer, simulated_csv: tuple[Path, Path]) -> None:
    csv, mapping = simulated_csv
    _assert_one_line_error(_run(app, [str(csv), "--preset", "ru-cec", "--columns", str(mapping)]), "not both")


def test_auto_preset_is_the_default_and_says_what_it_chose(
    app: typer.Typer, simulated_csv: tuple[Path, Path]
) -> None:
    csv, _ = simulated_csv
    result = _run(app, [str(csv), "--json", *FAST])
    assert result.exit_code == 0, result.output
    assert "layout (auto preset)" in result.stderr
    assert "registered: 'registered'" in result.stderr
    assert "options: 'a', 'b', 'c', 'd'" in result.stderr
    data = json.loads(result.stdout)
    assert data["input"]["layout"]["preset"] == "auto"
    assert data["summary"]["stations"] == 2000


def test_missing_column_names_column_and_file(
    app: typer.Typer, simulated_csv: tuple[Path, Path], write_csv: Callable[..., Path]
) -> None:
    _, mapping = simulated_csv
    bad = write_csv("region,station,registered,issued,cast,a,b,c\nR,1,100,50,50,10,20,20\n")
    _assert_one_line_error(_run(app, [str(bad), "--columns", str(mapping)]), str(bad), "'d'", "missing")


def test_wrong_preset_layout(app: typer.Typer, simulated_csv: tuple[Path, Path]) -> None:
    csv, _ = simulated_csv
    _assert_one_line_error(_run(app, [str(csv), "--preset", "ru-cec"]), "registered-voters")


def test_bad_line_reports_line_number(
    app: typer.Typer, simulated_csv: tuple[Path, Path], write_csv: Callable[..., Path]
) -> None:
    _, mapping = simulated_csv
    bad = write_csv(
        "region,station,registered,issued,cast,a,b,c,d\nR,1,100,50,50,10,20,10,10\nR,2,1,2\n,,,,\n1,2,3,4,5,6,7,8,9,10,11\n"
    )
    _assert_one_line_error(_run(app, [str(bad), "--columns", str(mapping)]), "line 5", "fields")


def test_bad_mapping_file(app: typer.Typer, simulated_csv: tuple[Path, Path], tmp_path: Path) -> None:
    csv, _ = simulated_csv
    mapping = tmp_path / "m.toml"
    mapping.write_text("registered = [\n")
    _assert_one_line_error(
        _run(app, [str(csv), "--columns", str(mapping)]), "m.toml", "not valid JSON or TOML"
    )


def test_bad_rows_are_reported_not_fatal(
    app: typer.Typer, simulated_csv: tuple[Path, Path], tmp_path: Path
) -> None:
    csv, mapping = simulated_csv
    text = csv.read_text().splitlines()
    text[5] = text[5].replace(text[5].split(",")[3], "-7", 1)  # negative ballots issued on line 6
    bad = tmp_path / "bad_rows.csv"
    bad.write_text("\n".join(text) + "\n")
    result = _run(app, [str(bad), "--columns", str(mapping), "--json", *FAST])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["input"]["rows_excluded"] == 1
    assert data["input"]["excluded_rows"][0]["line"] == 6
    assert data["input"]["excluded_rows"][0]["reasons"] == ["negative count in column 'issued'"]


def test_invalid_options(app: typer.Typer, simulated_csv: tuple[Path, Path]) -> None:
    csv, mapping = simulated_csv
    _assert_one_line_error(_run(app, [str(csv), "--columns", str(mapping), "--runs", "3"]), "--runs")
    _assert_one_line_error(
        _run(app, [str(csv), "--columns", str(mapping), "--bootstrap", "-1"]), "--bootstrap"
    )


def test_unwritable_report(app: typer.Typer, simulated_csv: tuple[Path, Path], tmp_path: Path) -> None:
    csv, mapping = simulated_csv
    target = tmp_path / "missing-dir" / "r.html"
    _assert_one_line_error(
        _run(app, [str(csv), "--columns", str(mapping), "--report", str(target), *FAST]), "r.html"
    )


def test_installed_entry_point_on_real_data() -> None:
    """End to end through the real `plebiscite` script, on the 2012 Russian file (fast settings)."""
    data = Path("/work/shared/data/elections/russia/2012.csv.zip")
    if not data.exists():
        pytest.skip("real data not available")
    exe = Path(sys.executable).with_name("plebiscite")
    done = subprocess.run(
        [
            str(exe),
            "forensics",
            str(data),
            "--preset",
            "ru-cec",
            "--json",
            "--runs",
            "20",
            "--bootstrap",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    ip = json.loads(done.stdout)["integer_percentages"]
    assert ip["excess_stations"] == pytest.approx(1160, rel=0.1)
    bad = subprocess.run(
        [str(exe), "forensics", str(data), "--columns", "/nonexistent/columns.json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("error: /nonexistent/columns.json")
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("rows", [4, 1])
def test_tiny_elections_do_not_crash(app: typer.Typer, data_dir: Path, tmp_path: Path, rows: int) -> None:
    """Degenerate inputs (undefined ratios, no tails) give 'n/a' figures, not an internal error."""
    csv = tmp_path / "tiny.csv"
    csv.write_text("\n".join((data_dir / "generic.csv").read_text().splitlines()[: rows + 1]) + "\n")
    out = tmp_path / "tiny.html"
    args = [str(csv), "--columns", str(data_dir / "generic.json"), "--report", str(out), "--json", *FAST]
    result = _run(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["stations"] == rows
    assert out.exists()


def test_referendum_file_end_to_end(app: typer.Typer, tmp_path: Path) -> None:
    """A 2020-style referendum file (no valid line, ДА/НЕТ) through the default preset to a Russian report."""
    e, _ = simulate_election(SimulationSpec(stations=1500, regions=4, options=2), seed=5)
    header = (
        'name,region,tik,uik,"Число участников голосования, включенных в список участников голосования на '
        'момент окончания голосования","Число бюллетеней, выданных участникам голосования","Число бюллетеней, '
        'содержащихся в ящиках для голосования",Число недействительных бюллетеней,ДА,НЕТ,url'
    )
    lines = [header]
    for i in range(e.stations):
        invalid = e.cast[i] - e.valid[i]
        lines.append(
            f"УИК №{i},{e.region_names[e.region_codes[i]]},ТИК,{i},{e.registered[i]},{e.issued[i]},{e.cast[i]},"
            f"{invalid},{e.votes[i, 0]},{e.votes[i, 1]},http://x/{i}"
        )
    csv = tmp_path / "referendum2020.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "r.html"
    result = _run(app, [str(csv), "--report", str(out), "--lang", "ru", "--json", *FAST])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["leader"] == "ДА"
    assert data["summary"]["stations"] == 1500
    assert any("ДА + НЕТ" in note for note in data["input"]["layout"]["notes"])
    page = out.read_text(encoding="utf-8")
    assert "<html lang='ru'>" in page and "Что обнаружено" in page and "ДА получил(а)" in page
    bad = _run(app, [str(csv), "--lang", "de"])
    _assert_one_line_error(bad, "--lang must be one of en, uk, ru")
