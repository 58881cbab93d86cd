"""Figures shared by the notebooks. Every function returns the matplotlib Figure,
titled and with labelled axes, so a notebook can show it and save it with
:func:`bagan_lib.runtime.outputs.save_figure`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from bagan_lib.data.preprocess import to_uint8


def _pyplot():
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


def plot_reconstructions(rows: dict, labels, class_names, *, title: str):
    """Image rows (name -> images, all for the same ``labels``), one column per image, class names on top."""
    plt = _pyplot()

    n = len(labels)
    fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n, 1.2 * len(rows) + 0.4), squeeze=False)
    for r, (name, images) in enumerate(rows.items()):
        tiles = to_uint8(np.asarray(images))
        for c in range(n):
            ax = axes[r][c]
            ax.imshow(tiles[c].squeeze(), cmap="gray" if tiles.shape[-1] == 1 else None, vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(class_names[int(labels[c])], fontsize=7)
        axes[r][0].set_ylabel(name, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_grid_image(grid, class_names, *, title: str):
    """An Eq. 16 grid (uint8 image) with its rows and columns named."""
    plt = _pyplot()
    rows = grid.shape[0] // (grid.shape[1] // len(class_names))
    fig, ax = plt.subplots(figsize=(0.9 * len(class_names) + 1, 0.9 * rows + 0.8))
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=255)
    tile = grid.shape[1] / len(class_names)
    ax.set_xticks([tile * (c + 0.5) for c in range(len(class_names))], class_names, rotation=45, ha="right",
                  fontsize=7)
    ax.set_yticks([tile * (r + 0.5) for r in range(rows)], ["real"] + [f"z{r}" for r in range(1, rows)], fontsize=7)
    ax.set_xlabel("class c (column)")
    ax.set_ylabel("row: real image, then fixed noise z_i")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_per_class_accuracy(table, columns, *, title: str):
    """Grouped bars: per class, the accuracy of each column of ``table`` (a quality table), chance as a line."""
    plt = _pyplot()
    names = list(table["name"])
    x = np.arange(len(names))
    width = 0.8 / len(columns)
    fig, ax = plt.subplots(figsize=(min(16, max(6, 0.8 * len(names) * max(1, len(columns) / 2))), 4.2))
    for i, column in enumerate(columns):
        ax.bar(x + (i - (len(columns) - 1) / 2) * width, table[column], width, label=column)
    if "chance" in table:
        ax.axhline(float(table["chance"].iloc[0]), color="black", linestyle=":", label="chance")
    labels = [f"{n}\n({k})" for n, k in zip(names, table["train images"])] if "train images" in table else names
    ax.set_xticks(x, labels, fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("class (training images)")
    ax.set_ylabel("share classified as the class")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside: never over the bars
    fig.tight_layout()
    return fig
