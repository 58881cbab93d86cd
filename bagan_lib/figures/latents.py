"""Figures of latent spaces: t-SNE scatter (paper Fig. 10), class Gaussians as ellipses (Fig. 2), overlap matrix.

Every function returns a titled matplotlib Figure with labelled axes and a
legend of class names (nothing is shown); notebooks keep them with
:func:`bagan_lib.runtime.outputs.save_figure`. Class colours are the Okabe-Ito palette,
which stays distinguishable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse

from bagan_lib.errors import KitError

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#999999", "#882255")  # Okabe-Ito, then two more for ten classes


def class_colour(c: int) -> str:
    return PALETTE[c % len(PALETTE)]


def _scatter_classes(ax, points, labels, class_names) -> None:
    for c, name in enumerate(class_names):
        mine = points[labels == c]
        ax.scatter(mine[:, 0], mine[:, 1], s=6, alpha=0.7, color=class_colour(c), label=name)
    ax.set_xlabel("t-SNE 1")
    ax.set_ylabel("t-SNE 2")


def plot_latent_scatter(points_2d, labels, class_names, *, title: str):
    """One 2-D map (e.g. :func:`bagan_lib.experiments.latent_analysis.tsne_2d`), coloured by class."""
    return plot_latent_maps({title: points_2d}, labels, class_names, title=title)


def plot_latent_maps(maps: dict, labels, class_names, *, scores: dict | None = None, title: str):
    """Fig. 10: one scatter per entry of ``maps`` (name -> (n, 2) points) of the same images, coloured by class.

    ``scores`` (name -> silhouette) go into the panel titles.
    """
    labels = np.asarray(labels)
    for name, points in maps.items():
        if np.shape(points) != (len(labels), 2):
            raise KitError(f"Map {name!r} has shape {np.shape(points)}, the labels are {len(labels)}.",
                           "pass one 2-D point per label (the t-SNE of the same images).")
    fig, axes = plt.subplots(1, len(maps), figsize=(4.2 * len(maps), 4.2), squeeze=False)
    for ax, (name, points) in zip(axes[0], maps.items()):
        _scatter_classes(ax, np.asarray(points), labels, class_names)
        subtitle = f"\nsilhouette {scores[name]:.2f}" if scores and name in scores else ""
        ax.set_title(f"{name}{subtitle}" if len(maps) > 1 or subtitle else "")
    axes[0][-1].legend(fontsize=7, markerscale=2, loc="best", title="class")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _ellipse(ax, mean, cov, n_sigma, color, **kwargs):
    values, vectors = np.linalg.eigh(cov)
    angle = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1]))
    width, height = 2 * n_sigma * np.sqrt(np.maximum(values[::-1], 0))
    ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, color=color, **kwargs))


def means_projection(means) -> np.ndarray:
    """A (d, 2) orthonormal basis: the first two principal axes of the class means (padded for d < 2 or n < 3)."""
    means = np.asarray(means, "float64")
    d = means.shape[1]
    _, _, vt = np.linalg.svd(means - means.mean(0), full_matrices=True)
    basis = vt[:2].T
    return basis if basis.shape[1] == 2 else np.eye(max(d, 2))[:d, :2]


def plot_class_gaussians_2d(means, covariances, class_names, *, title: str, samples=None, sample_labels=None,
                            projection=None):
    """Fig. 2: the class Gaussians projected to a plane, as 1-sigma (solid) and 2-sigma (dashed) ellipses.

    The plane is ``projection`` (a (d, 2) matrix) or, by default, the first two
    principal axes of the class means (:func:`means_projection`), where the means
    lie furthest apart. A Gaussian projected linearly stays Gaussian, with mean
    ``P^T mu`` and covariance ``P^T S P``, so the ellipses are exact for the
    plane. Optional ``samples`` (latents with ``sample_labels``) are drawn as dots.
    """

    means, covs = np.asarray(means, "float64"), np.asarray(covariances, "float64")
    basis = means_projection(means) if projection is None else np.asarray(projection, "float64")
    if basis.shape != (means.shape[1], 2):
        raise KitError(f"The projection has shape {basis.shape}; the latents have {means.shape[1]} dimensions.",
                       f"pass a ({means.shape[1]}, 2) matrix, or leave projection=None.")
    centre = means.mean(0)
    fig, ax = plt.subplots(figsize=(5.5, 4.8))
    for c, name in enumerate(class_names):
        color = class_colour(c)
        m2, c2 = (means[c] - centre) @ basis, basis.T @ covs[c] @ basis
        if samples is not None:
            pts = (np.asarray(samples)[np.asarray(sample_labels) == c] - centre) @ basis
            ax.scatter(pts[:, 0], pts[:, 1], s=4, alpha=0.35, color=color)
        for k, style in ((1, "-"), (2, "--")):
            _ellipse(ax, m2, c2, k, color, linestyle=style, lw=1.5)
        ax.plot(*m2, "o", color=color, label=name)
    ax.autoscale_view()
    axis = "principal axis {} of the class means" if projection is None else "projection axis {}"
    ax.set_xlabel(axis.format(1))
    ax.set_ylabel(axis.format(2))
    ax.set_title(title)
    ax.legend(fontsize=7, title="class (1 and 2 sigma)", title_fontsize=7)
    fig.tight_layout()
    return fig


def plot_overlap_matrix(matrix, class_names, *, title: str):
    """The Bhattacharyya coefficients between class Gaussians, annotated (1 on the diagonal)."""
    matrix = np.asarray(matrix)
    n = len(class_names)
    fig, ax = plt.subplots(figsize=(1.6 + 0.7 * n, 1.0 + 0.6 * n))
    im = ax.imshow(matrix, vmin=0, vmax=1, cmap="viridis")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if matrix[i, j] < 0.5 else "black")
    ax.set_xticks(range(n), class_names, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(n), class_names, fontsize=7)
    ax.set_xlabel("class")
    ax.set_ylabel("class")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="Bhattacharyya coefficient")
    fig.tight_layout()
    return fig
