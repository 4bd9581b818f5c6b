"""One self-contained HTML report: figures embedded as base64 PNG, no scripts, no external files.

The wording is deliberately cautious: each method measures a departure from a stated model of honest counting,
and the report says next to the numbers what such a departure can and cannot establish.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from plebiscite.forensics.analysis import Analysis
from plebiscite.forensics.plots import all_figures

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}td,th{border:1px solid #ddd;padding:.25em .5em}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.caveat{background:#fff8e1;border-left:4px solid #f0b400;padding:.6em 1em}
figure{margin:1em 0}figcaption{font-size:.9em;color:#555}img{max-width:100%}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _f(value: Any, spec: str) -> str:
    """format(value, spec), or 'n/a' for figures that are undefined (None or NaN) on degenerate input."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return format(value, spec)


def _num(value: float | int | None, digits: int = 0) -> str:
    return _f(value, f",.{digits}f")


def _p(value: float | None, label: str = "p") -> str:
    """'p = 0.003', or 'p < 1e-300' when the probability underflows double precision."""
    if value is None or not math.isfinite(value):
        return f"{label} n/a"
    return f"{label} < 1e-300" if value == 0 else f"{label} = {value:.2g}"


def _interval(pair: list[float] | None, digits: int = 0) -> str:
    return f"[{_num(pair[0], digits)}, {_num(pair[1], digits)}]" if pair else "n/a"


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='n'>{c}</td>" if i >= numeric_from else f"<td>{c}</td>" for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _input_section(data: dict[str, Any]) -> str:
    inp, summ = data["input"], data["summary"]
    reasons = [[_e(k), _num(v)] for k, v in inp["excluded_by_reason"].items()] or [["(none)", "0"]]
    first = [[_num(r["line"]), _e(r["unit"]), _e("; ".join(r["reasons"]))] for r in inp["excluded_rows"][:20]]
    warn = "".join(f"<li>{_e(k)}: {_num(v)}</li>" for k, v in inp["warnings"].items())
    return (
        "<h2>Data</h2>"
        f"<p>{_num(inp['rows_read'])} rows read, {_num(inp['rows_used'])} used, {_num(inp['rows_excluded'])} "
        f"excluded. Leader: <b>{_e(summ['leader'])}</b> (recognised by {_e(inp['leader_detected_by'])}). "
        f"Registered voters {_num(summ['registered'])}; turnout {_f(summ['turnout'], '.2%')}; leader's share of "
        f"ballots cast {_f(summ['leader_share'], '.2%')}; {summ['regions']} regions.</p>"
        + _table(["exclusion reason", "rows"], reasons)
        + (_table(["line", "station", "reasons"], first, numeric_from=3) if first else "")
        + (f"<ul>{warn}</ul>" if warn else "")
    )


def _figures_table(data: dict[str, Any]) -> str:
    ip, kl, sh = data["integer_percentages"], data["klimek"], data["shpilkin"]
    cs, assoc, tail = (
        data["coarse_fraction_spikes"],
        data["turnout_share_association"],
        data["stuffing_upper_tail"],
    )
    rows = [
        [
            "Integer percentages (Kobak et al. 2016)",
            f"{_num(ip['excess_stations'])} excess stations ({_num(ip['observed_stations'])} observed, "
            f"{_num(ip['expected_stations'], 1)} expected of {_num(ip['eligible_stations'])})",
            _interval(ip["excess_interval95"]),
            f"z = {_f(ip['z'], '.2f')}, {_p(ip['p_value'])}",
        ],
        [
            "Coarse fractions, leader's share (Rozenas 2017)",
            f"{_num(cs['leader_share']['excess_stations'])} excess stations",
            _interval(cs["leader_share"]["excess_interval95"]),
            f"z = {_f(cs['leader_share']['z'], '.2f')}, {_p(cs['leader_share']['p_value_mc'], 'MC p')}",
        ],
        [
            "Coarse fractions, turnout",
            f"{_num(cs['turnout']['excess_stations'])} excess stations",
            _interval(cs["turnout"]["excess_interval95"]),
            f"z = {_f(cs['turnout']['z'], '.2f')}, {_p(cs['turnout']['p_value_mc'], 'MC p')}",
        ],
        [
            "Klimek et al. 2012: incremental fraud f_i",
            f"{_f(kl['f_i'], '.3f')}",
            _interval(kl["f_i_interval95"], 3),
            f"theta = {kl['theta']}, alpha = {kl['alpha']}; share-only fit f_i = {kl['share_only_fit']['f_i']}",
        ],
        [
            "Klimek et al. 2012: extreme fraud f_e",
            f"{_f(kl['f_e'], '.4f')}",
            _interval(kl["f_e_interval95"], 4),
            f"share-only fit f_e = {kl['share_only_fit']['f_e']}",
        ],
        [
            "Excess votes for the leader (Shpilkin-style)",
            f"{_num(sh['excess_votes'])} ({_f(sh['excess_share_of_leader_votes'], '.1%')} of the leader's votes)",
            f"bootstrap {_interval(sh['excess_interval95_bootstrap'])}; reference choices "
            f"{_interval(sh['excess_range_over_reference_choices'])}",
            f"leader share of valid votes: reported {_f(sh['leader_share_of_valid_reported'], '.1%')}, "
            f"reference range {_f(sh['leader_share_of_valid_in_reference'], '.1%')}",
        ],
        [
            "Turnout-share association within regions",
            f"rank correlation {_f(assoc['pooled_within_region_rank_correlation'], '.3f')}",
            "",
            f"z = {_f(assoc['z'], '.1f')}, {_p(assoc['p_value'])}",
        ],
        [
            "Stuffing detector: both upper 5 % tails within region",
            f"{_num(tail['excess_stations'])} excess stations ({_num(tail['observed_stations_in_both_tails'])} "
            f"observed, {_num(tail['expected_stations_in_both_tails'], 1)} expected)",
            "",
            f"z = {_f(tail['z'], '.1f')}, {_p(tail['p_value'], 'exact p')}",
        ],
    ]
    return "<h2>Key figures</h2>" + _table(["method", "estimate", "95 % interval / range", "test"], rows, 9)


_CAVEAT = """<div class="caveat"><p><b>What these numbers can and cannot show.</b> Each figure compares the
published counts with a model of honest counting. A large departure means the published numbers are very unlikely
under that model: too many round percentages, too many stations that gain turnout and leader votes together,
leader votes that grow with turnout while nobody else's do. Such patterns are what stuffing, rewriting protocols
and inventing results produce, and they are rare in elections observed to be clean.</p>
<p>They do not prove fraud at any particular station, do not identify who did it, and do not measure the size of
fraud without assumptions (the excess-vote and Klimek figures depend on which turnout range or which model is
taken to be clean). Honest explanations exist for some patterns: special stations (hospitals, military units,
remote villages) with very high turnout, genuine mobilisation that differs between voters of different parties,
regional differences. A clean result is not proof of a clean election either: careful fabrication can avoid
these fingerprints. Treat findings as reasons to look at protocols, observers' reports and recounts.</p></div>"""


def _regions_section(data: dict[str, Any], top: int = 25) -> str:
    regions = sorted(data["regions"], key=lambda r: -(r["integer_z"] if r["integer_z"] is not None else -1e9))
    header = [
        "region",
        "stations",
        "turnout",
        "leader share",
        "median station turnout",
        "turnout > 90 %",
        "integer obs.",
        "integer exp.",
        "excess",
        "integer z",
        "association z",
    ]

    def row(r: dict[str, Any]) -> list[str]:
        return [
            _e(r["region"]),
            _num(r["stations"]),
            f"{_f(r['turnout'], '.1%')}",
            f"{_f(r['leader_share'], '.1%')}" if r["leader_share"] is not None else "n/a",
            f"{_f(r['station_turnout_median'], '.1%')}",
            _num(r["stations_turnout_over_90pct"]),
            _num(r["integer_observed"]),
            _num(r["integer_expected"], 1),
            _num(r["integer_excess"], 1),
            _num(r["integer_z"], 2),
            _num(r["association_z"], 1),
        ]

    return (
        f"<h2>Regions</h2><p>The {min(top, len(regions))} regions with the largest integer-percentage z "
        "(per-region z values are not corrected for testing many regions).</p>"
        + _table(header, [row(r) for r in regions[:top]])
        + f"<details><summary>All {len(regions)} regions</summary>"
        + _table(header, [row(r) for r in regions])
        + "</details>"
    )


_CAPTIONS = {
    "fingerprint": "2-D fingerprint: stations by turnout and leader's share (log colour). Honest elections give "
    "one compact cloud; stuffing smears it to the upper right and extreme fabrication piles stations at "
    "100 %/100 %. Right: one simulation of the fitted Klimek model.",
    "integer_histograms": "Turnout and leader's share of eligible stations in 0.1-point bins; red bins are "
    "centred on whole percentages. Regular red spikes above their neighbours are the integer fingerprint.",
    "comet": "Comet plot: leader's share against turnout. A comet tail rising toward 100 %/100 % means the "
    "leader gains where turnout is high.",
    "excess_votes": "Votes per turnout bin. In the shaded reference range the leader's votes are assumed to be "
    "proportional to the others'; above it the red area is the excess.",
    "coarse_spikes": "Observed minus resampled-null number of stations at each coarse fraction (bars beyond "
    "the whiskers, in red, are unusual).",
}


def render_html(analysis: Analysis, data: dict[str, Any] | None = None) -> str:
    """The complete HTML document."""
    data = data or analysis.as_dict()
    figures = all_figures(analysis)
    fig_html = "".join(
        f"<figure><img alt='{_e(name)}' src='data:image/png;base64,{png}'>"
        f"<figcaption>{_e(_CAPTIONS[name])}</figcaption></figure>"
        for name, png in figures.items()
    )
    opts = data["options"]
    source = data["input"]["source"]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Election forensics: {_e(source)}</title><style>{_CSS}</style></head><body>"
        f"<h1>Election forensics: {_e(Path(source).name)}</h1>"
        + _CAVEAT
        + _input_section(data)
        + _figures_table(data)
        + "<h2>Figures</h2>"
        + fig_html
        + _regions_section(data)
        + "<h2>Method notes</h2><p>Integer test: stations with at least 100 registered voters and turnout and "
        "leader share of at most 99 %; 'integer' means within 0.05 points of a whole percent; the null draws "
        "binomial counts with each station's own size and rates. Klimek: fair turnout and share normal around "
        "their peaks; f_i, f_e fitted to the 50 x 50 fingerprint. Excess votes: leader votes beyond the "
        "leader/others ratio measured at turnout up to the others' peak. Coarse fractions: posterior-predictive "
        "resampling from regional beta-binomial models. Full assumptions: docs/forensics.md.</p>"
        f"<p>Seed {opts['seed']}, {opts['runs']} Monte Carlo runs (integer test), {opts['spike_runs']} "
        f"(coarse fractions), {opts['klimek_bootstrap']} bootstrap fits (Klimek), "
        f"{opts['shpilkin_bootstrap']} (excess votes).</p></body></html>"
    )


def write_report(analysis: Analysis, path: str | Path, data: dict[str, Any] | None = None) -> Path:
    """Render and write the report; returns the path written."""
    out = Path(path)
    out.write_text(render_html(analysis, data), encoding="utf-8")
    return out
