"""Report figures, rendered with matplotlib's Agg backend to base64 PNG so the HTML needs no other files.

Figures are drawn from histograms, never from 100,000 individual markers (the comet plot draws at most
30,000 sampled stations, rasterised), which keeps the whole set around a second.
"""

from __future__ import annotations

import base64
import io
from fractions import Fraction

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from plebiscite.forensics.analysis import Analysis
from plebiscite.forensics.integer import eligible_stations

DPI = 90


def to_base64_png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


Labels = dict[str, str]


def _hist2d(ax: plt.Axes, turnout: np.ndarray, share: np.ndarray, title: str, labels: Labels) -> None:
    counts, _, _ = np.histogram2d(turnout * 100, share * 100, bins=100, range=[[0, 100], [0, 100]])
    image = ax.imshow(
        np.ma.masked_equal(counts.T, 0),
        origin="lower",
        extent=(0, 100, 0, 100),
        norm=LogNorm(vmin=1),
        cmap="viridis",
        interpolation="nearest",
        aspect="auto",
    )
    ax.set_xlabel(labels["lbl_turnout"])
    ax.set_ylabel(labels["lbl_share"])
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, label=labels["lbl_stations_cell"])


def fingerprint(analysis: Analysis, labels: Labels) -> str:
    """Observed 2-D fingerprint next to one realisation of the fitted Klimek model."""
    e, fit = analysis.election, analysis.klimek
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    fig.subplots_adjust(left=0.06, right=0.97, bottom=0.11, top=0.93, wspace=0.25)
    _hist2d(axes[0], e.turnout, e.leader_share, labels["lbl_observed"], labels)
    if fit.model_turnout is not None and fit.model_share is not None:
        title = f"Klimek model: f_i={fit.f_i:.2f}, f_e={fit.f_e:.3f}"
        _hist2d(axes[1], fit.model_turnout, fit.model_share, title, labels)
    return to_base64_png(fig)


def integer_histograms(analysis: Analysis, labels: Labels) -> str:
    """Turnout and share in 0.1-point bins (eligible stations); bins centred on whole percents in red."""
    e = analysis.election
    mask = eligible_stations(e)
    fig, axes = plt.subplots(2, 1, figsize=(11, 6))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.95, hspace=0.3)
    edges = np.arange(-0.05, 100.051, 0.1)
    centres = (edges[:-1] + edges[1:]) / 2
    whole = np.isclose(centres, np.rint(centres), atol=1e-6)
    for ax, values, label in (
        (axes[0], 100 * e.turnout[mask], labels["lbl_turnout"]),
        (axes[1], 100 * e.leader_share[mask], labels["lbl_share"]),
    ):
        counts, _ = np.histogram(values, bins=edges)
        ax.stairs(np.where(whole, 0, counts), edges, color="0.45", linewidth=0.6)
        ax.vlines(centres[whole], 0, counts[whole], color="crimson", linewidth=1.2, label=labels["lbl_whole"])
        ax.set_xlim(20, 100)
        ax.set_xlabel(label)
        ax.set_ylabel(labels["lbl_stations_bin"])
        ax.legend(loc="upper left", frameon=False)
    ir = analysis.integer
    axes[0].set_title(
        f"integer stations: observed {ir.observed:,}, expected {ir.expected:,.0f}, "
        f"excess {ir.excess:,.0f} (z = {ir.z:.1f})"
    )
    return to_base64_png(fig)


def comet(analysis: Analysis, labels: Labels, max_points: int = 30_000) -> str:
    """Vote share against turnout: stations coloured by size, and regions as bubbles sized by electorate."""
    e = analysis.election
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.11, top=0.93, wspace=0.18)
    rng = np.random.default_rng(0)
    pick = rng.permutation(e.stations)[:max_points]
    classes = ((0, 500, "< 500 registered"), (500, 1500, "500-1,500"), (1500, np.inf, ">= 1,500"))
    for (lo, hi, label), colour in zip(classes, ("tab:orange", "tab:blue", "tab:green"), strict=True):
        sel = pick[(e.registered[pick] >= lo) & (e.registered[pick] < hi)]
        axes[0].scatter(
            100 * e.turnout[sel],
            100 * e.leader_share[sel],
            s=1,
            alpha=0.25,
            color=colour,
            label=label,
            rasterized=True,
        )
    axes[0].set_title("stations (sample) by size")
    axes[0].legend(markerscale=8, frameon=False, loc="upper left")
    regions = analysis.regions
    t = np.array([100 * float(r["turnout"]) for r in regions])  # type: ignore[arg-type]
    s = np.array([100 * float(r["leader_share"] or 0) for r in regions])  # type: ignore[arg-type]
    size = np.array([float(r["registered"]) for r in regions])  # type: ignore[arg-type]
    axes[1].scatter(t, s, s=20 + 400 * size / size.max(), alpha=0.5, color="tab:purple")
    axes[1].set_title("regions (bubble area ~ registered voters)")
    for ax in axes:
        ax.set_xlim(0, 100)
        ax.set_ylim(0, 100)
        ax.set_xlabel(labels["lbl_turnout"])
        ax.set_ylabel(labels["lbl_share"])
    return to_base64_png(fig)


def excess_votes(analysis: Analysis) -> str:
    """Votes per turnout bin: leader, others, and others scaled by the reference ratio; excess shaded."""
    res = analysis.shpilkin
    c = res.curve
    x = 100 * c.centers
    expected = c.ratio * c.others
    fig, ax = plt.subplots(figsize=(11, 4.2))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.92)
    ax.plot(x, c.leader / 1e3, color="crimson", label="leader")
    ax.plot(x, c.others / 1e3, color="tab:blue", label="all other options")
    ax.plot(
        x, expected / 1e3, color="crimson", linestyle="--", label=f"others x {c.ratio:.3f} (reference ratio)"
    )
    ax.fill_between(x, expected / 1e3, c.leader / 1e3, where=c.leader > expected, color="crimson", alpha=0.2)
    ax.axvspan(0, 100 * c.reference_upper, color="0.9", zorder=0, label="reference (assumed clean) range")
    ax.set_xlabel("turnout, % (1-point bins)")
    ax.set_ylabel("votes per bin, thousands")
    ax.set_title(
        f"excess votes for the leader: {res.central / 1e6:,.2f} million "
        f"(range over reference choices {res.low / 1e6:,.2f}-{res.high / 1e6:,.2f} million)"
    )
    ax.set_xlim(0, 100)
    ax.legend(frameon=False, loc="upper left")
    return to_base64_png(fig)


def coarse_spikes(analysis: Analysis) -> str:
    """Observed minus resampled-null count at each coarse fraction (red beyond 2 sqrt(expected))."""
    fig, axes = plt.subplots(2, 1, figsize=(11, 5.5))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.09, top=0.95, hspace=0.45)
    for ax, res in ((axes[0], analysis.spikes_share), (axes[1], analysis.spikes_turnout)):
        diff = res.observed_by_fraction - res.expected_by_fraction
        err = 2 * np.sqrt(np.maximum(res.expected_by_fraction, 1))
        pos = np.array([100 * float(Fraction(f)) for f in res.fractions])
        unusual = diff > err
        ax.vlines(pos[~unusual], 0, diff[~unusual], color="0.5", linewidth=2)
        ax.vlines(pos[unusual], 0, diff[unusual], color="crimson", linewidth=2)
        ax.plot(pos, err, "k_", markersize=5, label="2 sqrt(expected)")
        for k in np.argsort(-diff)[:6]:
            if unusual[k]:
                ax.annotate(res.fractions[k], (pos[k], diff[k]), fontsize=7, ha="center", va="bottom")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xlim(0, 100)
        ax.set_xlabel(f"{res.quantity.replace('_', ' ')}, % (position of the fraction)")
        ax.set_ylabel("observed - expected")
        ax.legend(frameon=False, loc="upper left")
        ax.set_title(
            f"{res.quantity.replace('_', ' ')}: {res.observed:,} coarse stations, "
            f"{res.expected:,.0f} expected, excess {res.excess:,.0f} (z = {res.z:.1f})"
        )
    return to_base64_png(fig)


def all_figures(analysis: Analysis, labels: Labels) -> dict[str, str]:
    """Every figure of the report, keyed by name, in reading order (the classic plots first)."""
    from plebiscite.forensics.plots_regions import region_anomalies, turnout_by_region

    return {
        "fingerprint": fingerprint(analysis, labels),
        "integer_histograms": integer_histograms(analysis, labels),
        "turnout_regions": turnout_by_region(analysis, labels),
        "region_anomalies": region_anomalies(analysis, labels),
        "comet": comet(analysis, labels),
        "excess_votes": excess_votes(analysis),
        "coarse_spikes": coarse_spikes(analysis),
    }
