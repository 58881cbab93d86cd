"""Figures of notebook 08: FID and KID against the number of real images, and real-vs-generated t-SNE maps.

Every function returns a titled matplotlib Figure with labelled axes (nothing
is shown); notebooks keep them with :func:`bagan_lib.runtime.outputs.save_figure`.
Colours: real images blue, generated orange (Okabe-Ito, as in
:mod:`bagan_lib.figures.latents`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from bagan_lib.errors import KitError
from bagan_lib.figures.latents import PALETTE

REAL_COLOUR, GENERATED_COLOUR, MEAN_COLOUR = PALETTE[0], PALETTE[1], PALETTE[5]


def plot_sample_size(study, *, title: str, highlight: tuple | None = (27, 73), highlight_label: str | None = None):
    """FID (top) and KID (bottom) of every draw of a :class:`~bagan_lib.experiments.sample_size.SampleSizeStudy`
    against n_real (log scale): the draws as dots, their mean with a band of one standard deviation, the true
    value 0 as a line, the feature dimension as a dotted line, and ``highlight`` (an n_real range) shaded."""
    draws, summary = study.draws, study.summary()
    n = summary["n_real"].to_numpy()
    fig, axes = plt.subplots(2, 1, figsize=(10, 6.8), sharex=True)
    for ax, metric in zip(axes, ("FID", "KID")):
        jitter = np.exp(np.random.default_rng(0).uniform(-0.06, 0.06, len(draws)))  # dots side by side
        ax.scatter(draws["n_real"] * jitter, draws[metric], s=8, alpha=0.35, color=REAL_COLOUR,
                   label=f"one draw ({study.repeats} per n_real)")
        mean, std = summary[f"{metric} mean"].to_numpy(), summary[f"{metric} std"].to_numpy()
        ax.plot(n, mean, "o-", color=MEAN_COLOUR, ms=4, label="mean over the draws")
        ax.fill_between(n, mean - std, mean + std, color=MEAN_COLOUR, alpha=0.18, label="mean ± 1 std")
        ax.axhline(0.0, color="black", lw=1, ls="--", label="true value (one class against itself): 0")
        ax.axvline(study.dim, color="grey", lw=1, ls=":", label=f"feature dimension d = {study.dim}")
        if highlight:
            span = f"{highlight[0]}-{highlight[1]}" if highlight[0] != highlight[1] else f"{highlight[0]}"
            ax.axvspan(highlight[0] * 0.97, highlight[1] * 1.03, color="grey", alpha=0.15,
                       label=f"{highlight_label or 'real images'}: {span}")
        ax.set_ylabel(f"{metric} (lower is better)")
        ax.grid(alpha=0.3)
    axes[0].set_xscale("log")
    axes[1].set_xticks(n, [str(v) for v in n])
    axes[1].minorticks_off()
    axes[1].set_xlabel(f"n_real: real images drawn from a pool of {study.n_pool} (log scale)\n"
                       f"each draw is compared with {study.n_reference} other images of the same class")
    axes[0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[0].set_title(title)
    fig.tight_layout()
    return fig


def plot_feature_maps(maps: dict, class_names, *, title: str, scores=None):
    """Fig. 11: one row per map (name -> :class:`~bagan_lib.metrics.feature_maps.FeatureMap`), one column per
    class; each panel shows that class's real (blue) and generated (orange) points over every other point (grey).

    ``scores`` (optional, Table 4's long-form ``scores``: columns row, class, precision, recall) adds the
    class's precision and recall, measured in the full feature space, to each panel.
    """
    if not maps:
        raise KitError("No maps to draw.", "pass name -> real_generated_map(...).")
    n_rows, n_cols = len(maps), len(class_names)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.3 * n_cols + 0.8, 2.2 * n_rows + 0.9), squeeze=False)
    lookup = {} if scores is None else {(r["row"], int(r["class"])): r for _, r in scores.iterrows()}
    for i, (name, fmap) in enumerate(maps.items()):
        for c, class_name in enumerate(class_names):
            ax = axes[i][c]
            ax.scatter(fmap.points[:, 0], fmap.points[:, 1], s=2, color="#d9d9d9", label="other classes")
            real, fake = fmap.part(c, False), fmap.part(c, True)
            ax.scatter(real[:, 0], real[:, 1], s=7, color=REAL_COLOUR, alpha=0.8, label="real (held out)")
            ax.scatter(fake[:, 0], fake[:, 1], s=7, color=GENERATED_COLOUR, marker="x", alpha=0.8, lw=0.8,
                       label="generated")
            ax.set_xticks([])
            ax.set_yticks([])
            text = f"{len(real)} real, {len(fake)} generated"
            row = lookup.get((name, c))
            if row is not None and np.isfinite(row["precision"]):
                text += f"\nprecision {row['precision']:.2f}, recall {row['recall']:.2f}"
            ax.text(0.02, 0.02, text, transform=ax.transAxes, fontsize=6, va="bottom",
                    bbox={"facecolor": "white", "alpha": 0.7, "lw": 0, "pad": 1})
            if i == 0:
                ax.set_title(class_name, fontsize=9)
            if i == n_rows - 1:
                ax.set_xlabel("t-SNE 1", fontsize=7)
            if c == 0:
                ax.set_ylabel(f"{name}\nt-SNE 2", fontsize=8)
    axes[0][-1].legend(fontsize=7, markerscale=2, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.suptitle(title)
    fig.tight_layout()
    return fig
