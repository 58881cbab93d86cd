"""Improved precision and recall of generated samples (Kynkaanniemi et al. 2019, section 2).

Each set of features defines a manifold: the union of balls around its points,
each ball's radius the distance to the point's k-th nearest neighbour in the
same set (k = 3 in the paper). Precision is the share of generated samples that
fall inside the real manifold (are they realistic?); recall the share of real
samples inside the generated manifold (is the real variety covered?).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bagan_lib.errors import KitError
from bagan_lib.metrics.features import paired_features

# Lazy imports in this module: the metrics package face is read by the command line at start-up; scikit-learn loads
# on first use.


@dataclass(frozen=True)
class PrecisionRecall:
    precision: float
    recall: float
    k: int
    n_real: int
    n_generated: int
    extractor: str


def knn_radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from every row of ``x`` to its k-th nearest other row (sklearn NearestNeighbors)."""
    from sklearn.neighbors import NearestNeighbors

    distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)  # column 0: the point itself
    return distances[:, k]


def inside_manifold(reference: np.ndarray, radii: np.ndarray, queries: np.ndarray, *, chunk: int = 1024) -> np.ndarray:
    """For each query, whether it lies in some ball ``||q - r_j|| <= radii[j]`` around the reference points."""
    from sklearn.metrics import pairwise_distances

    slack = 1e-9 * (1.0 + radii)  # round-off of the distance of a point to itself
    return np.concatenate([(pairwise_distances(queries[i:i + chunk], reference) <= radii + slack).any(axis=1)
                           for i in range(0, len(queries), chunk)])


def precision_recall(features_real, features_generated, *, k: int = 3, extractor: str | None = None) -> PrecisionRecall:
    """Kynkaanniemi et al.'s precision and recall with k-nearest-neighbour manifolds (both sets need > k points)."""
    real, generated, name = paired_features(features_real, features_generated, extractor)
    if not 1 <= k < min(len(real), len(generated)):
        raise KitError(f"k={k} needs more than k points in each set ({len(real)} real, {len(generated)} generated).",
                       "pass a smaller k (the paper's is 3) or more images.")
    precision = inside_manifold(real.values, knn_radii(real.values, k), generated.values).mean()
    recall = inside_manifold(generated.values, knn_radii(generated.values, k), real.values).mean()
    return PrecisionRecall(float(precision), float(recall), k, len(real), len(generated), name)
