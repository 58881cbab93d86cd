"""Notebook 09's figure: the classifier's recall on each minority class, per training set."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def plot_minority_recall(table, *, title: str):
    """Grouped bars: one group per minority class, one bar per training set (``augmentation_study.minority_recall``)."""
    classes, sets = list(table.columns), list(table.index)
    width = 0.8 / max(1, len(sets))
    fig, ax = plt.subplots(figsize=(max(7, 0.9 * len(classes) * max(1, len(sets)) / 3 + 3), 3.8))
    for i, name in enumerate(sets):
        ax.bar(np.arange(len(classes)) + (i - (len(sets) - 1) / 2) * width, table.loc[name].to_numpy(), width,
               label=name)
    ax.set_xticks(np.arange(len(classes)), classes, rotation=30, ha="right")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("minority class")
    ax.set_ylabel("test recall of the CNN")
    ax.set_title(title)
    ax.legend(fontsize=7, title="training set", title_fontsize=7, loc="upper left", bbox_to_anchor=(1.005, 1))  # off the bars
    fig.tight_layout()
    return fig
