"""Figures of latent spaces: t-SNE scatter (paper Fig. 10), class Gaussians as ellipses (Fig. 2), overlap matrix."""

from __future__ import annotations

import numpy as np

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#999999", "#882255")  # Okabe-Ito, colour-blind friendly, then two more


def plot_latent_maps(maps: dict, labels, class_names, *, scores: dict | None = None, title: str):
    """One scatter per entry of ``maps`` (name -> (n, 2) points), coloured by class; silhouette in the subtitle."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(maps), figsize=(4.2 * len(maps), 4.2), squeeze=False)
    labels = np.asarray(labels)
    for ax, (name, points) in zip(axes[0], maps.items()):
        for c, cname in enumerate(class_names):
            mine = points[labels == c]
            ax.scatter(mine[:, 0], mine[:, 1], s=6, alpha=0.7, color=PALETTE[c % len(PALETTE)], label=cname)
        subtitle = f"\nsilhouette {scores[name]:.2f}" if scores and name in scores else ""
        ax.set_title(f"{name}{subtitle}")
        ax.set_xlabel("t-SNE 1")
        ax.set_ylabel("t-SNE 2")
    axes[0][-1].legend(fontsize=7, markerscale=2, loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _ellipse(ax, mean, cov, n_sigma, color, **kwargs):
    from matplotlib.patches import Ellipse

    values, vectors = np.linalg.eigh(cov)
    angle = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1]))
    width, height = 2 * n_sigma * np.sqrt(np.maximum(values[::-1], 0))
    ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, color=color, **kwargs))


def plot_class_gaussians_2d(means, covariances, class_names, *, title: str, samples=None, sample_labels=None):
    """Fig. 2: the class Gaussians projected on the plane of the first two principal axes of the class means,
    drawn as 1- and 2-sigma ellipses (plus optional latent samples as dots)."""
    import matplotlib.pyplot as plt

    means, covs = np.asarray(means, "float64"), np.asarray(covariances, "float64")
    centred = means - means.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    basis = vt[:2].T if vt.shape[0] >= 2 else np.eye(means.shape[1])[:, :2]
    fig, ax = plt.subplots(figsize=(5.5, 4.8))
    for c, name in enumerate(class_names):
        color = PALETTE[c % len(PALETTE)]
        m2, c2 = (means[c] - means.mean(0)) @ basis, basis.T @ covs[c] @ basis
        if samples is not None:
            pts = (np.asarray(samples)[np.asarray(sample_labels) == c] - means.mean(0)) @ basis
            ax.scatter(pts[:, 0], pts[:, 1], s=4, alpha=0.35, color=color)
        for k, style in ((1, "-"), (2, "--")):
            _ellipse(ax, m2, c2, k, color, linestyle=style, lw=1.5)
        ax.plot(*m2, "o", color=color, label=name)
    ax.autoscale_view()
    ax.set_xlabel("principal axis 1 of the class means")
    ax.set_ylabel("principal axis 2 of the class means")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_overlap_matrix(matrix, class_names, *, title: str):
    """The Bhattacharyya coefficients between class Gaussians, annotated."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(class_names), 0.6 + 0.6 * len(class_names)))
    im = ax.imshow(matrix, vmin=0, vmax=1, cmap="viridis")
    for i in range(len(matrix)):
        for j in range(len(matrix)):
            ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if matrix[i, j] < 0.5 else "black")
    ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(class_names)), class_names, fontsize=7)
    ax.set_xlabel("class")
    ax.set_ylabel("class")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="Bhattacharyya coefficient")
    fig.tight_layout()
    return fig
