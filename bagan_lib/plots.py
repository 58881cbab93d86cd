"""Figures shared by the notebooks. Every function returns the matplotlib Figure,
titled and with labelled axes, so a notebook can show it and save it with
:func:`bagan_lib.outputs.save_figure`."""

from __future__ import annotations

import numpy as np


def _pyplot():
    import matplotlib.pyplot as plt  # imported on first use: the library imports stay light

    return plt


def plot_class_counts(counts: dict, class_names, *, title: str, log_scale: bool = False):
    """Grouped bars: one group per class, one bar per entry of ``counts`` (label -> per-class counts)."""
    plt = _pyplot()
    n = len(class_names)
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * n + 2), 3.6))
    width = 0.8 / max(1, len(counts))
    for i, (label, values) in enumerate(counts.items()):
        xs = np.arange(n) + (i - (len(counts) - 1) / 2) * width
        bars = ax.bar(xs, values, width=width, label=label)
        if n <= 12 and len(counts) <= 2:  # numbers on bars only while they stay legible
            ax.bar_label(bars, fontsize=7, padding=1)
    ax.set_xticks(np.arange(n), class_names, rotation=30, ha="right")
    ax.set_xlabel("class")
    ax.set_ylabel("images" + (" (log scale)" if log_scale else ""))
    if log_scale:
        ax.set_yscale("log")
    ax.set_title(title)
    if len(counts) > 1:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: never hides a bar
    fig.tight_layout()
    return fig


def plot_images_by_class(x, y, class_names, *, per_class: int = 8, title: str, seed: int = 0):
    """A grid: one row per class, ``per_class`` random images of that class (uint8 NHWC)."""
    plt = _pyplot()
    rng = np.random.default_rng(seed)
    n = len(class_names)
    fig, axes = plt.subplots(n, per_class, figsize=(per_class * 0.9 + 1.2, n * 0.95 + 0.5), squeeze=False)
    for c in range(n):
        members = np.flatnonzero(np.asarray(y) == c)
        picks = rng.choice(members, size=min(per_class, len(members)), replace=False) if len(members) else []
        for j in range(per_class):
            ax = axes[c, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j < len(picks):
                img = x[picks[j]]
                ax.imshow(img[..., 0] if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=255)
            else:
                ax.set_facecolor("#eee")
        axes[c, 0].set_ylabel(f"{class_names[c]}\n({len(members)})", rotation=0, ha="right",
                              va="center", fontsize=8)
    for j in range(per_class):
        axes[-1, j].set_xlabel(f"#{j + 1}", fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
