"""Figures of a training run: the loss terms per epoch.

The critic's terms are those of Eq. 12 (cDRAGAN, BAGAN-GP v1) or Eq. 14 (v2,
v3: with the wrong-label term), each plus lambda times the penalty of Eq. 7, or
BAGAN's B1; the generator's loss is Eq. 13, 15 or B2.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

LOSS_GROUPS = (("critic", ("d_loss", "real", "fake", "wrong", "gp", "aux")), ("generator", ("g_loss",)))
TERM_LABELS = {"d_loss": "critic total (terms + lambda x penalty)", "real": "real term", "fake": "fake term",
               "wrong": "wrong-label term", "gp": "gradient penalty (before lambda)",
               "aux": "class term (AC-GAN)", "g_loss": "generator loss"}


def plot_loss_curves(history: list[dict], *, title: str):
    """Critic terms (left) and generator loss (right) against the epoch; ``history`` is one dict per epoch."""
    epochs = [row["epoch"] for row in history]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, (group, names) in zip(axes, LOSS_GROUPS):
        for name in names:
            if any(name in row for row in history):  # a resumed run may add or drop a term (gp_lambda 0)
                ax.plot(epochs, [row.get(name, math.nan) for row in history], marker="o", ms=3,
                        label=TERM_LABELS[name])
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("mean over the epoch's steps")
        ax.set_title(f"{group} loss" + (" terms" if len(names) > 1 else ""))
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def compare_loss_curves(histories: dict[str, list[dict]], term: str, *, title: str):
    """One loss term of several runs (e.g. the ablation of notebook 06) against the epoch."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for label, history in histories.items():
        ax.plot([r["epoch"] for r in history], [r.get(term, float("nan")) for r in history], marker="o", ms=3,
                label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(TERM_LABELS.get(term, term))
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
