"""The two per-region figures: turnout distributions by region, and which regions drive the national excesses.

A national figure says how much; these say where. Regions are ordered by what matters for the question: by
median turnout for the distributions, by contribution for the anomalies.
"""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from plebiscite.forensics.analysis import Analysis
from plebiscite.forensics.plots import Labels, to_base64_png

MAX_REGIONS = 25


def _short(name: str, width: int = 34) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def turnout_by_region(analysis: Analysis, labels: Labels) -> str:
    """Box plots of station turnout for the largest regions (and all stations), sorted by median."""
    e = analysis.election
    counts = np.bincount(e.region_codes, minlength=len(e.region_names))
    largest = np.argsort(-counts)[:MAX_REGIONS]
    largest = largest[counts[largest] > 0]
    groups = [100 * e.turnout[e.region_codes == r] for r in largest]
    order = np.argsort([np.median(g) for g in groups])
    data = [100 * e.turnout] + [groups[k] for k in order]
    names = [labels["lbl_all"]] + [_short(e.region_names[largest[k]]) for k in order]
    fig, ax = plt.subplots(figsize=(11, 0.28 * len(data) + 1.2))
    fig.subplots_adjust(left=0.3, right=0.98, bottom=0.6 / (0.28 * len(data) + 1.2) + 0.04, top=0.98)
    # matplotlib >= 3.10 spells it orientation=, older versions vert= (deprecated since 3.11)
    sideways: dict[str, Any] = (
        {"orientation": "horizontal"} if matplotlib.__version_info__ >= (3, 10) else {"vert": False}
    )
    ax.boxplot(data, whis=(5, 95), showfliers=False, widths=0.6, **sideways)
    ax.set_yticks(np.arange(1, len(data) + 1), names, fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel(labels["lbl_turnout"])
    ax.grid(axis="x", color="0.9")
    return to_base64_png(fig)


def region_anomalies(analysis: Analysis, labels: Labels, top: int = 15) -> str:
    """Top regions by integer-percentage excess (stations) and by share of the national excess votes."""
    rows = analysis.regions
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.3 * top + 1.2))
    fig.subplots_adjust(left=0.2, right=0.98, wspace=0.9, bottom=0.16, top=0.97)
    for ax, key, scale, label in (
        (axes[0], "integer_excess", 1.0, labels["lbl_integer_excess"]),
        (axes[1], "excess_votes_share_of_national", 100.0, labels["lbl_votes_share"]),
    ):
        values = [(str(r["region"]), float(v)) for r in rows if isinstance(v := r.get(key), int | float)]
        values.sort(key=lambda item: -item[1])
        shown = values[:top][::-1]
        if shown:
            ax.barh(
                np.arange(len(shown)),
                [v * scale for _, v in shown],
                color=["crimson" if v > 0 else "0.6" for _, v in shown],
            )
            ax.set_yticks(np.arange(len(shown)), [_short(n, 28) for n, _ in shown], fontsize=8)
        ax.set_xlabel(textwrap.fill(label, 34))
        ax.axvline(0, color="k", lw=0.5)
    return to_base64_png(fig)
