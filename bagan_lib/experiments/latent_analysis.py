"""How well an encoder separates the classes: t-SNE maps, silhouette, dispersion, overlap of class Gaussians.

BAGAN-GP's argument (paper section 3.2.2, Fig. 2 and Fig. 10): BAGAN's
unsupervised encoder does not spread the classes apart, so its per-class latent
Gaussians overlap and a latent drawn for one class can decode to another; the
supervised autoencoder with a label embedding (Fig. 3) separates them.

* :func:`encode`: the latents of images, from the encoder alone or from encoder
  and label embedding (the *labelled latent* ``E(x) * e(y)`` of Fig. 3).
* :func:`tsne_2d`: a 2-D t-SNE map for the picture (Fig. 10); distances in it
  are not to be measured, so the numbers below use the full latents.
* :func:`separation_score`: scikit-learn's silhouette score of the labels in the
  **full-dimensional** latent space, euclidean. Per point ``s = (b - a) / max(a, b)``
  with ``a`` its mean distance to its own class and ``b`` to the nearest other
  class, averaged: 1 = tight, far-apart classes, 0 = classes on top of each
  other, < 0 = points nearer another class than their own.
* :func:`dispersion`: mean distance of a latent to its class mean divided by the
  mean distance between class means (within / between). Small when the classes
  form tight, well-spread groups; scale-free, so latents of different sizes compare.
* :func:`gaussian_overlap`: the Bhattacharyya coefficient ``BC = exp(-D_B)``
  between every pair of class Gaussians (Fig. 2), with
  ``D_B = 1/8 (mu1 - mu2)^T S^-1 (mu1 - mu2) + 1/2 ln(det S / sqrt(det S1 det S2))``,
  ``S = (S1 + S2) / 2``: 1 for identical Gaussians, towards 0 for disjoint ones;
  ``BC = integral of sqrt(p1 p2)``. Log-determinants come from ``slogdet``, so a
  128-d latent neither overflows nor underflows.
"""

from __future__ import annotations

import numpy as np
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from bagan_lib.errors import KitError

# Relative jitter on the covariances, as the latent sampler of bagan_lib.gan.class_latents adds: a minority class
# with fewer images than latent dimensions has a singular covariance and no finite log-determinant.
OVERLAP_JITTER = 1e-3


def encode(autoencoder, images, labels=None, *, kind: str = "encoder", batch_size: int = 256) -> np.ndarray:
    """Latents of ``images`` (in [-1, 1]), batched.

    ``kind="encoder"``: the encoder's output ``E(x)`` (BAGAN's latent, and the
    supervised encoder alone; for CAPGAN's CVAE the posterior mean ``mu(x)``); ``kind="labelled"``: ``E(x) * e(y)``, the labelled
    latent the supervised autoencoder's decoder receives (needs ``labels``).
    """
    if kind not in ("encoder", "labelled"):
        raise KitError(f"kind={kind!r} is not a latent.", "use 'encoder' or 'labelled'.")
    images = np.asarray(images, "float32")
    z = _batched(autoencoder.encoder, images, batch_size=batch_size)
    if kind == "labelled":
        if autoencoder.embedding is None:
            raise KitError("This autoencoder has no label embedding (it is BAGAN's unsupervised one).",
                           "use kind='encoder', or the supervised autoencoder.")
        if labels is None or len(labels) != len(images):
            raise KitError("The labelled latent needs one label per image.", "pass labels=y for the same images.")
        labels = np.asarray(labels, "int32")
        z = np.concatenate([np.asarray(autoencoder.embedding([z[i:i + batch_size], labels[i:i + batch_size]]))
                            for i in range(0, len(z), batch_size)])
    return z


def _batched(encoder, images, *, batch_size: int) -> np.ndarray:
    """The encoder on ``images`` in batches (direct calls: no ``predict`` function traced per model).

    A CVAE's encoder answers (mu, logvar): its latent is the posterior mean ``mu``.
    """
    parts = []
    for i in range(0, len(images), batch_size):
        out = encoder(images[i:i + batch_size], training=False)
        parts.append(np.asarray(out[0] if isinstance(out, (list, tuple)) else out))
    return np.concatenate(parts)


def subsample(labels, max_points: int, seed: int = 0) -> np.ndarray:
    """Indices of at most about ``max_points`` points, every class kept in proportion (at least 2 each)."""
    labels = np.asarray(labels)
    if len(labels) <= max_points:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    share = max_points / len(labels)
    keep = [rng.permutation(np.flatnonzero(labels == c))[:max(2, int(round(share * np.sum(labels == c))))]
            for c in np.unique(labels)]
    return np.sort(np.concatenate(keep))


def tsne_2d(latents, *, seed: int = 0, perplexity: float = 30.0, max_iter: int = 500,
            max_points: int = 5000) -> np.ndarray:
    """A 2-D t-SNE map of the latents, one row per latent (scikit-learn; PCA initialisation, seeded).

    t-SNE's cost grows fast with the number of points: more than ``max_points``
    is refused; take a share of every class first with :func:`subsample`. The
    perplexity is lowered for small sets (it must stay below the point count).
    Runs on one thread: next to TensorFlow's thread pools, OpenMP threads only
    wait for each other on a 2-core machine (measured 2-3x slower).
    """

    latents = np.asarray(latents, "float64")
    if latents.ndim != 2 or not 4 <= len(latents) <= max_points:
        raise KitError(f"t-SNE maps 4 to {max_points} latent vectors (rows); got shape {latents.shape}.",
                       "pass a 2-D array; for many points take latents[subsample(labels, 2000)] first.")
    perplexity = min(perplexity, max(1.0, (len(latents) - 1) / 3))
    with threadpool_limits(1):
        return TSNE(2, perplexity=perplexity, init="pca", random_state=seed, max_iter=max_iter).fit_transform(latents)


def _check_labelled(latents, labels) -> tuple[np.ndarray, np.ndarray]:
    latents, labels = np.asarray(latents, "float64"), np.asarray(labels).reshape(-1)
    if latents.ndim != 2 or len(latents) != len(labels):
        raise KitError(f"latents {latents.shape} and labels {labels.shape} do not match.",
                       "pass one latent vector (a row) per label.")
    if len(np.unique(labels)) < 2:
        raise KitError("Separation needs at least two classes among the labels.",
                       "pass the latents of images from two or more classes.")
    return latents, labels


def separation_score(latents, labels) -> float:
    """Silhouette score of the class labels in the full latent space, euclidean (see the module docstring)."""
    latents, labels = _check_labelled(latents, labels)
    return float(silhouette_score(latents, labels, metric="euclidean"))


def dispersion(latents, labels) -> float:
    """Mean distance to the own class mean / mean distance between class means (see the module docstring)."""
    latents, labels = _check_labelled(latents, labels)
    classes = np.unique(labels)
    means = np.stack([latents[labels == c].mean(0) for c in classes])
    within = np.mean([np.linalg.norm(latents[labels == c] - means[i], axis=1).mean() for i, c in enumerate(classes)])
    upper = np.triu_indices(len(classes), k=1)
    between = np.linalg.norm(means[:, None] - means[None], axis=-1)[upper].mean()
    return float(within / max(between, 1e-12))


def gaussian_overlap(means, covariances, *, jitter: float = OVERLAP_JITTER) -> np.ndarray:
    """The n x n matrix of Bhattacharyya coefficients between class Gaussians (see the module docstring).

    ``means`` (n, d), ``covariances`` (n, d, d), e.g. a ``ClassGaussians``' fields.
    Each covariance gets ``jitter * mean(diag)`` added to its diagonal first (the
    same regularisation as BAGAN's latent sampler); ``jitter=0`` takes them as they are.
    A class fitted on fewer images than latent dimensions has a singular
    covariance; its overlap with any *other* class then mostly measures the
    jitter (near 0), so read such entries with care.
    """
    means = np.asarray(means, "float64")
    covs = np.asarray(covariances, "float64")
    if means.ndim != 2 or covs.shape != (means.shape[0], means.shape[1], means.shape[1]):
        raise KitError(f"means {means.shape} and covariances {covs.shape} do not fit.",
                       "pass means (n_classes, d) and covariances (n_classes, d, d).")
    n, d = means.shape
    scale = np.trace(covs, axis1=1, axis2=2) / d
    covs = covs + jitter * np.maximum(scale, 1e-12)[:, None, None] * np.eye(d)
    signs, logdets = np.linalg.slogdet(covs)
    if np.any(signs <= 0):
        raise KitError("A class covariance is not positive definite.",
                       "fit the Gaussians on at least two distinct latents per class, or raise jitter.")
    out = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            s = (covs[i] + covs[j]) / 2
            gap = means[i] - means[j]
            distance = gap @ np.linalg.solve(s, gap) / 8 + 0.5 * (np.linalg.slogdet(s)[1]
                                                                  - 0.5 * (logdets[i] + logdets[j]))
            out[i, j] = out[j, i] = np.exp(-distance)
    return out


def mean_off_diagonal(matrix) -> float:
    """Mean of the off-diagonal entries (how much the classes overlap on average)."""
    matrix = np.asarray(matrix)
    return float(matrix[~np.eye(len(matrix), dtype=bool)].mean())
