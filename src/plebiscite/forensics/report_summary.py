"""The report's first screen: what was found, how sure, what it does not prove -- in plain words.

Each finding is one sentence built from the JSON figures, with a strength word chosen from the finding's
p-value by fixed thresholds (p < 0.001: "very unlikely under honest counting"; p < 0.05: "somewhat unusual";
otherwise "consistent with honest counting"), so the same numbers always give the same words.
"""

from __future__ import annotations

import html
import math
from typing import Any

STRONG = 1e-3
SOME = 0.05


def level(p: float | None, words: dict[str, str]) -> str:
    """Strength word for a p-value (None or NaN reads as 'consistent': no evidence was measured)."""
    if p is None or not math.isfinite(p) or p >= SOME:
        return words["level_none"]
    return words["level_strong"] if p < STRONG else words["level_some"]


def _pct(value: float | None, digits: int = 1, decimal: str = ".") -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{100 * value:.{digits}f} %".replace(".", decimal)


def _count(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:,.0f}".replace(",", "\u202f")


def findings(data: dict[str, Any], words: dict[str, str]) -> list[str]:
    """The finding sentences, strongest evidence first."""
    tail, mx, sh = data["stuffing_upper_tail"], data["mixture"], data["shpilkin"]
    ip, dg, conc = data["integer_percentages"], data["digits"], data["concentration"]
    par, ci = mx["parameters"], mx["intervals95"]
    fi_ci = ci.get("f_i")
    dec = words["decimal"]

    def pct(value: float | None, digits: int = 1) -> str:
        return _pct(value, digits, dec)

    out = [
        words["finding_stuffing"].format(
            tail_obs=_count(tail["observed_stations_in_both_tails"]),
            tail_exp=_count(tail["expected_stations_in_both_tails"]),
            level=level(tail["p_value"], words),
        ),
        words["finding_mixture"].format(
            fi=pct(par["f_i"]),
            fe=pct(par["f_e"], 2),
            fi_ci=f"{pct(fi_ci[0])}–{pct(fi_ci[1])}" if fi_ci else "n/a",
            votes=_count(mx["fraudulent_votes_for_leader"]),
            votes_share=pct(mx["fraudulent_share_of_leader_votes"]),
            level=level(mx["p_value_no_fraud"], words),
        ),
    ]
    low, high = sh["excess_range_over_reference_choices"]
    out.append(
        words["finding_excess"].format(
            votes=_count(sh["excess_votes"]),
            share=pct(sh["excess_share_of_leader_votes"]),
            low=_count(low),
            high=_count(high),
        )
    )
    out.append(
        words["finding_integer"].format(
            obs=_count(ip["observed_stations"]),
            exp=_count(ip["expected_stations"]),
            excess=_count(ip["excess_stations"]),
            level=level(ip["p_value"], words),
        )
    )
    out.append(
        words["finding_digits"].format(
            last_level=level(dg["last_digit"]["p_value"], words),
            second_level=level(dg["second_digit"]["p_value"], words),
        )
    )
    integer_conc, votes_conc = conc["integer_excess"], conc["excess_votes"]
    if integer_conc and data["summary"]["regions"] > 5:
        out.append(
            words["finding_where"].format(
                regions=", ".join(integer_conc["regions"]),
                share=pct(integer_conc["share_of_national_excess"], 0),
                share_votes=pct(votes_conc["share_of_national_excess"], 0) if votes_conc else "n/a",
            )
        )
    return out


def summary_html(data: dict[str, Any], words: dict[str, str]) -> str:
    """The summary box: one screen, no numbers that need a statistics course."""
    summ = data["summary"]
    intro = words["summary_intro"].format(
        stations=_count(summ["stations"]),
        regions=summ["regions"],
        leader=summ["leader"],
        share=_pct(summ["leader_share"], 1, words["decimal"]),
        turnout=_pct(summ["turnout"], 1, words["decimal"]),
    )
    items = "".join(f"<li>{html.escape(sentence)}</li>" for sentence in findings(data, words))
    return (
        f"<section class='summary' id='summary'><h2>{html.escape(words['summary'])}</h2>"
        f"<p>{html.escape(intro)}</p>"
        f"<h3>{html.escape(words['found'])}</h3><ul>{items}</ul>"
        f"<h3>{html.escape(words['how_sure'])}</h3><p>{html.escape(words['how_sure_text'])}</p>"
        f"<h3>{html.escape(words['not_prove'])}</h3><p>{html.escape(words['not_prove_text'])}</p></section>"
    )
