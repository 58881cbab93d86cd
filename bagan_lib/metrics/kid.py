"""Kernel Inception Distance (KID, Binkowski et al. 2018, "Demystifying MMD GANs", section 4 and appendix).

KID is the squared maximum mean discrepancy (MMD) between two feature
distributions under the cubic polynomial kernel

    k(x, y) = (x . y / d + 1)^3          (d: the feature dimension),

estimated without bias (Gretton et al. 2012, Lemma 6):

    MMD^2_u = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(n(n-1)) sum_{i != j} k(y_i, y_j)
              - 2/(m n) sum_{i, j} k(x_i, y_j).

Unlike FID it fits no covariance, so it stays unbiased with a few dozen real
images (the minority classes); it can be slightly negative for equal
distributions. As in Binkowski et al.'s code it is averaged over random
subsets of both sets, and the standard deviation over subsets is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bagan_lib.errors import KitError
from bagan_lib.metrics.features import paired_features


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The KID kernel matrix k(x_i, y_j) = (x_i . y_j / d + 1)^3."""
    base = x @ y.T / x.shape[1] + 1.0
    cube = base * base
    cube *= base  # two multiplications: several times faster than base ** 3
    return cube


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """The unbiased estimator MMD^2_u of Gretton et al. (2012) with :func:`polynomial_kernel` (m, n >= 2)."""
    m, n = len(x), len(y)
    kxx, kyy, kxy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2.0 * kxy.mean())


@dataclass(frozen=True)
class KIDResult:
    """Mean and standard deviation of MMD^2_u over ``subsets`` random subsets, and the extractor's name."""

    mean: float
    std: float
    subsets: int
    subset_size: int
    n_a: int
    n_b: int
    extractor: str
    note: str = ""


def kid(features_a, features_b, *, subsets: int = 100, subset_size: int = 1000, seed: int = 0,
        extractor: str | None = None) -> KIDResult:
    """KID of two feature sets: MMD^2_u on ``subsets`` pairs of random subsets of ``subset_size`` each.

    Each subset is drawn without replacement from each set (seeded by ``seed``).
    ``subset_size`` is capped by the smaller set (``note`` says so); when it is
    capped, every subset of the smaller set is that whole set, and the spread
    only reflects the larger set's sampling.
    """
    a, b, name = paired_features(features_a, features_b, extractor)
    if subsets < 1 or subset_size < 2:
        raise KitError(f"subsets={subsets}, subset_size={subset_size}: need subsets >= 1 and subset_size >= 2.",
                       "pass e.g. subsets=100, subset_size=1000 (Binkowski et al.'s values).")
    size, note = subset_size, ""
    if min(len(a), len(b)) < subset_size:
        size = min(len(a), len(b))
        note = f"subset_size {subset_size} capped at {size}, the smaller sample"
    rng = np.random.default_rng(seed)
    values = np.array([mmd2_unbiased(a.values[rng.choice(len(a), size, replace=False)],
                                     b.values[rng.choice(len(b), size, replace=False)]) for _ in range(subsets)])
    return KIDResult(float(values.mean()), float(values.std()), subsets, size, len(a), len(b), name, note)
