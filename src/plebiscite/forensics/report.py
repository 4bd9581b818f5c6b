"""One self-contained HTML report: figures embedded as base64 PNG, no scripts, no external files.

It opens with a one-screen summary in plain words (report_summary.py), then the classic figures each with one
sentence on how to read it, then the technical tables. The summary, headings, captions and figure labels come in
English, Ukrainian or Russian (report_text.py); method names and the technical tables stay in English. The
wording is deliberately cautious: each method measures a departure from a stated model of honest counting.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from plebiscite.forensics.analysis import Analysis
from plebiscite.forensics.plots import all_figures
from plebiscite.forensics.report_summary import summary_html
from plebiscite.forensics.report_text import text

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}td,th{border:1px solid #ddd;padding:.25em .5em}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.caveat{background:#fff8e1;border-left:4px solid #f0b400;padding:.6em 1em}
.summary{background:#f4f8ff;border:1px solid #b8cdef;border-radius:6px;padding:.4em 1.2em 1em;font-size:1.05em}
.summary h2{border:0;margin-top:.4em}.summary h3{margin:.8em 0 .2em;font-size:1.05em}.summary li{margin:.3em 0}
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


def _input_section(data: dict[str, Any], words: dict[str, str]) -> str:
    inp, summ = data["input"], data["summary"]
    reasons = [[_e(k), _num(v)] for k, v in inp["excluded_by_reason"].items()] or [["(none)", "0"]]
    first = [[_num(r["line"]), _e(r["unit"]), _e("; ".join(r["reasons"]))] for r in inp["excluded_rows"][:20]]
    warn = "".join(f"<li>{_e(k)}: {_num(v)}</li>" for k, v in inp["warnings"].items())
    layout = inp.get("layout") or {}
    how = words.get(f"ref_{inp['leader_detected_by']}", inp["leader_detected_by"])
    notes = "".join(f"<li>{_e(n)}</li>" for n in layout.get("notes", []))
    if layout.get("ignored_text_columns"):
        cols = ", ".join(layout["ignored_text_columns"])
        notes += f"<li>{_e(words['ignored_columns'].format(cols=cols))}</li>"
    if layout.get("numeric_columns_without_role"):
        cols = ", ".join(layout["numeric_columns_without_role"])
        notes += f"<li><b>{_e(words['unassigned_columns'].format(cols=cols))}</b></li>"
    roles = "".join(
        f"<li>{_e(role)}: {_e(', '.join(cols))}</li>" for role, cols in inp.get("column_roles", {}).items()
    )
    return (
        f"<h2>{_e(words['data'])}</h2><p>"
        + _e(
            words["data_text"].format(
                read=_num(inp["rows_read"]),
                used=_num(inp["rows_used"]),
                excluded=_num(inp["rows_excluded"]),
                leader=summ["leader"],
                how=how,
            )
        )
        + f" Registered voters {_num(summ['registered'])}; turnout {_f(summ['turnout'], '.2%')}; leader's share "
        f"of ballots cast {_f(summ['leader_share'], '.2%')}; {summ['regions']} regions.</p>"
        + f"<h3>{_e(words['layout_notes'])} ({_e(layout.get('preset', 'mapping file'))})</h3>"
        + f"<ul>{roles}{notes}</ul>"
        + _table([words["exclusion_reason"], words["rows"]], reasons)
        + (_table(["line", "station", "reasons"], first, numeric_from=3) if first else "")
        + (f"<ul>{warn}</ul>" if warn else "")
    )


def _figures_table(data: dict[str, Any], words: dict[str, str]) -> str:
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
    mx, dg = data["mixture"], data["digits"]
    par, ci = mx["parameters"], mx["intervals95"]
    rows[5:5] = [
        [
            "Finite-mixture fraud model (Mebane): incremental f_i / extreme f_e",
            f"{_f(par['f_i'], '.4f')} / {_f(par['f_e'], '.4f')}",
            f"{_interval(ci.get('f_i'), 4)} / {_interval(ci.get('f_e'), 4)} ({_e(mx['interval_method'])})",
            f"LR = {_f(mx['lr_statistic'], ',.1f')}, {_p(mx['p_value_no_fraud'])}; theta = {_f(par['theta'], '.3f')}, "
            f"alpha = {_f(par['alpha'], '.2f')}; fraudulent votes {_num(mx['fraudulent_votes_for_leader'])}"
            + ("" if mx["converged"] else " (EM stopped at its round limit)"),
        ],
        [
            "Last digits of counts (Beber-Scacco)",
            f"X2 = {_f(dg['last_digit']['chi2'], '.1f')} over {_num(dg['last_digit']['counts_used'])} counts",
            "",
            f"df 9, {_p(dg['last_digit']['p_value'])}",
        ],
        [
            "Second digits of counts (Mebane 2BL)",
            f"X2 = {_f(dg['second_digit']['chi2'], '.1f')}; mean {dg['second_digit']['mean_digit_observed']} vs "
            f"{dg['second_digit']['mean_digit_expected']} expected",
            f"Benford X2 {dg['second_digit'].get('benford_chi2', 'n/a')} (reference only)",
            f"df 9, {_p(dg['second_digit']['p_value'])}",
        ],
    ]
    head = [words["method"], words["estimate"], words["interval"], words["test"]]
    return f"<h2>{_e(words['key_figures'])}</h2>" + _table(head, rows, 9)


def _regions_section(data: dict[str, Any], words: dict[str, str], top: int = 25) -> str:
    regions = sorted(
        data["regions"], key=lambda r: -(r["integer_excess"] if r["integer_excess"] is not None else -1e9)
    )
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
        "excess votes",
        "share of national excess votes",
        "last-digit p",
        "2BL p",
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
            _num(r.get("excess_votes")),
            _f(r.get("excess_votes_share_of_national"), ".1%"),
            _f(r.get("p_last_digit"), ".2g"),
            _f(r.get("p_second_digit"), ".2g"),
            _num(r["association_z"], 1),
        ]

    return (
        f"<h2 id='regions'>{_e(words['regions'])}</h2><p>"
        + _e(words["regions_text"].format(top=min(top, len(regions))))
        + "</p>"
        + _table(header, [row(r) for r in regions[:top]])
        + f"<details><summary>{_e(words['all_regions'].format(n=len(regions)))}</summary>"
        + _table(header, [row(r) for r in regions])
        + "</details>"
    )


def render_html(analysis: Analysis, data: dict[str, Any] | None = None, lang: str = "en") -> str:
    """The complete HTML document in language `lang` (en, uk, ru)."""
    words = text(lang)
    data = data or analysis.as_dict()
    figures = all_figures(analysis, words)
    fig_html = "".join(
        f"<figure id='fig-{_e(name)}'><img alt='{_e(name)}' src='data:image/png;base64,{png}'>"
        f"<figcaption>{_e(words['cap_' + name])}</figcaption></figure>"
        for name, png in figures.items()
    )
    opts = data["options"]
    source = data["input"]["source"]
    mixture_ci = (
        f"{opts['mixture_bootstrap']} bootstrap refits"
        if opts.get("mixture_bootstrap")
        else "Wald (outer product)"
    )
    title = words["title"].format(name=Path(source).name)
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(title)}</h1>"
        + summary_html(data, words)
        + f"<h2>{_e(words['figures'])}</h2>"
        + fig_html
        + _figures_table(data, words)
        + _input_section(data, words)
        + _regions_section(data, words)
        + f"<h2>{_e(words['method_notes'])}</h2><p>"
        + _e(
            words["method_notes_text"].format(
                seed=opts["seed"], runs=opts["runs"], klimek=opts["klimek_bootstrap"], mixture=mixture_ci
            )
        )
        + "</p></body></html>"
    )


def write_report(
    analysis: Analysis, path: str | Path, data: dict[str, Any] | None = None, lang: str = "en"
) -> Path:
    """Render and write the report; returns the path written."""
    out = Path(path)
    out.write_text(render_html(analysis, data, lang), encoding="utf-8")
    return out
