"""Notebook 09's figure (the classifier's recall on each minority class, per training set) and notebook 09b's Table I."""

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


def plot_table1(rows, *, paper: dict | None = None, title: str):
    """Notebook 09b: the test accuracy of each Table I row (mean over seeds, a bar per seed's spread), with the
    paper's value as a marker where it has one (``augmentation_table1.PAPER_TABLE1[dataset]``)."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    order = list(dict.fromkeys(frame["row"]))
    stats = frame.groupby("row", sort=False)["accuracy"].agg(["mean", "std", "count"]).loc[order]
    y = np.arange(len(order))[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(order) + 1.4))
    ax.barh(y, stats["mean"], xerr=stats["std"].fillna(0), color="tab:blue", alpha=0.75, label="this kit (mean ± std)")
    if paper:
        known = [(yy, paper[r][0]) for yy, r in zip(y, order) if r in paper]
        if known:
            ax.scatter([v for _, v in known], [yy for yy, _ in known], color="black", marker="D", s=18, zorder=3,
                       label="the paper")
    values = list(stats["mean"]) + ([paper[r][0] for r in order if r in paper] if paper else [])
    low, high = min(values), max(values)
    ax.set_xlim(max(0.0, low - 0.05 - 0.5 * (high - low)), min(1.0, high + 0.02 + 0.2 * (high - low)))  # the gaps are small
    ax.set_yticks(y, order)
    ax.set_xlabel("test accuracy of the CNN")
    ax.set_ylabel("training set (Table I row)")
    ax.set_title(f"{title} ({int(stats['count'].max())} seed(s))")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
