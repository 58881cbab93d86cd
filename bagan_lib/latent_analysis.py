"""How well an encoder separates the classes: t-SNE maps, silhouette scores, overlap of class Gaussians.

BAGAN-GP's argument (paper section 3.2.2, Fig. 2 and Fig. 10): BAGAN's
unsupervised encoder does not spread the classes apart, so its per-class latent
Gaussians overlap and a latent drawn for one class can decode to another; the
supervised autoencoder with a label embedding separates them.

* :func:`separation_score`: scikit-learn's silhouette score of the labels in the
  full-dimensional latent space, euclidean: 1 = tight, far-apart classes,
  0 = classes on top of each other, < 0 = points nearer another class.
* :func:`gaussian_overlap`: the Bhattacharyya coefficient ``BC = exp(-D_B)``
  between every pair of class Gaussians, with
  ``D_B = 1/8 (mu1 - mu2)^T S^-1 (mu1 - mu2) + 1/2 ln(det S / sqrt(det S1 det S2))``,
  ``S = (S1 + S2) / 2``: 1 for identical Gaussians, 0 for disjoint ones.
  Log-determinants come from ``slogdet`` so high dimensions do not overflow.
"""

from __future__ import annotations

import numpy as np

from .errors import KitError


def encode(autoencoder, images, labels=None, *, kind: str = "encoder", batch_size: int = 256) -> np.ndarray:
    """Latents of ``images``: ``"encoder"`` (the encoder's output) or ``"labelled"`` (times the label embedding)."""
    if kind not in ("encoder", "labelled"):
        raise KitError(f"kind={kind!r} is not a latent.", "use 'encoder' or 'labelled'.")
    z = autoencoder.encoder.predict(np.asarray(images, "float32"), batch_size=batch_size, verbose=0)
    if kind == "labelled":
        if autoencoder.embedding is None:
            raise KitError("This autoencoder has no label embedding.", "use kind='encoder' or the supervised one.")
        z = autoencoder.embedding.predict([z, np.asarray(labels, "int32")], batch_size=batch_size, verbose=0)
    return z


def subsample(labels, max_points: int, seed: int = 0) -> np.ndarray:
    """Indices of at most ``max_points`` points, every class kept in proportion (at least 2 each)."""
    labels = np.asarray(labels)
    if len(labels) <= max_points:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    share = max_points / len(labels)
    keep = [rng.permutation(np.flatnonzero(labels == c))[:max(2, int(round(share * np.sum(labels == c))))]
            for c in np.unique(labels)]
    return np.sort(np.concatenate(keep))


def tsne_2d(latents, *, seed: int = 0, perplexity: float = 30.0, max_iter: int = 500) -> np.ndarray:
    """A 2-D t-SNE map of the latents (scikit-learn; PCA initialisation, seeded).

    Runs on one thread: next to TensorFlow's thread pools, OpenMP threads only
    wait for each other on a 2-core machine (measured 2-3x slower).
    """
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    latents = np.asarray(latents, "float64")
    perplexity = min(perplexity, max(2.0, (len(latents) - 1) / 3))
    with threadpool_limits(1):
        return TSNE(2, perplexity=perplexity, init="pca", random_state=seed, max_iter=max_iter).fit_transform(latents)


def separation_score(latents, labels) -> float:
    """Silhouette score of the class labels in the latent space (euclidean, all dimensions)."""
    from sklearn.metrics import silhouette_score

    return float(silhouette_score(np.asarray(latents, "float64"), np.asarray(labels), metric="euclidean"))


def gaussian_overlap(means, covariances, *, jitter: float = 1e-6) -> np.ndarray:
    """The n x n matrix of Bhattacharyya coefficients between the class Gaussians (see the module docstring)."""
    means = np.asarray(means, "float64")
    covs = np.asarray(covariances, "float64")
    n, d = means.shape
    covs = covs + jitter * np.eye(d)
    logdets = np.array([np.linalg.slogdet(c)[1] for c in covs])
    out = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            s = (covs[i] + covs[j]) / 2
            diff = means[i] - means[j]
            distance = diff @ np.linalg.solve(s, diff) / 8 + 0.5 * (np.linalg.slogdet(s)[1]
                                                                    - 0.5 * (logdets[i] + logdets[j]))
            out[i, j] = out[j, i] = np.exp(-distance)
    return out


def mean_off_diagonal(matrix) -> float:
    """Mean of the off-diagonal entries (how much the classes overlap on average)."""
    matrix = np.asarray(matrix)
    return float(matrix[~np.eye(len(matrix), dtype=bool)].mean())
