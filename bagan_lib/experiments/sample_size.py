"""How FID and KID behave with few real images: subsample one class against another sample of the same class.

Table 4 compares each class's generated images with the class's held-out real
images, and a minority class has only a few dozen of those (``synthetic_cells``:
27 schizonts and 73 rings, Table 3). To see what that does to the scores
without any generator, take two disjoint samples of **one** class: the true
FID and KID between them are 0. :func:`sample_size_study` draws ``n`` images
(``n_real``) from the first, ``repeats`` times for every ``n``, and scores each
draw against the second exactly as :mod:`bagan_lib.metrics.per_class` scores a
generator (:func:`~bagan_lib.metrics.fid` without bootstrap,
:func:`~bagan_lib.metrics.kid`). The spread over the draws is the noise a single
Table 4 cell carries; the mean's distance from 0 is the bias.

FID's bias has a closed form in one dimension (:func:`expected_fid_1d`), which
the tests check the study against: for samples of sizes ``n_a``, ``n_b`` of
N(mu, s^2), FID = (m_a - m_b)^2 + (s_a - s_b)^2 with the sample means m and
the sample standard deviations s (ddof 1), and

    E[FID] = s^2 (1/n_a + 1/n_b) + 2 s^2 (1 - c4(n_a) c4(n_b)),
    c4(n) = E[s] / s = sqrt(2 / (n - 1)) Gamma(n / 2) / Gamma((n - 1) / 2)

(the mean term from Var(m_a - m_b); the second from E[(s_a - s_b)^2] =
E[s_a^2] + E[s_b^2] - 2 E[s_a] E[s_b], with E[s^2] = s^2 unbiased). Both terms
are positive for every finite n: FID is biased upwards, and more so for few
images. KID's estimator is unbiased: its mean stays at 0 at any n.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import gammaln

from bagan_lib.errors import KitError
from bagan_lib.metrics.blas_threads import blas_threads_for
from bagan_lib.metrics.features import Features, as_features, paired_features
from bagan_lib.metrics.frechet import fid
from bagan_lib.metrics.kid import kid

# n_real values of the study: below the 27-73 of the minority classes, through them, and past 128, the
# domain extractor's feature dimension (where FID's covariance becomes full rank)
SIZES = (10, 27, 50, 73, 128, 256, 512, 1024)


def c4(n) -> np.ndarray:
    """E[s] / sigma for the sample standard deviation s (ddof 1) of n normal draws (n >= 2)."""
    n = np.asarray(n, dtype=np.float64)
    if np.any(n < 2):
        raise KitError(f"c4 needs n >= 2 draws; got {n}.", "pass sample sizes of 2 or more.")
    return np.sqrt(2.0 / (n - 1)) * np.exp(gammaln(n / 2) - gammaln((n - 1) / 2))


def expected_fid_1d(n_a, n_b, variance: float = 1.0) -> np.ndarray:
    """E[FID] of two independent samples (sizes n_a, n_b) of one 1-D normal with ``variance`` (see the module
    docstring); the true FID is 0, so this is the bias."""
    n_a, n_b = np.asarray(n_a, dtype=np.float64), np.asarray(n_b, dtype=np.float64)
    return variance * (1 / n_a + 1 / n_b) + 2 * variance * (1 - c4(n_a) * c4(n_b))


def split_in_two(features, seed: int = 0) -> tuple[Features, Features]:
    """Two disjoint random halves of one feature set (the larger half first), for a same-distribution study."""
    features = as_features(features, min_rows=4)
    order = np.random.default_rng(seed).permutation(len(features))
    half = (len(features) + 1) // 2
    return features.subset(np.sort(order[:half])), features.subset(np.sort(order[half:]))


@dataclass
class SampleSizeStudy:
    """FID and KID of ``repeats`` draws of ``n_real`` images per size, against a sample of the same distribution."""

    draws: object            # pandas: n_real, repeat, n_reference, FID, KID (one row per draw)
    extractor: str
    dim: int
    n_pool: int
    n_reference: int
    repeats: int
    kid_subsets: int
    notes: list = field(default_factory=list)

    def summary(self):
        """One row per ``n_real``: mean, standard deviation and 5-95 % range of FID and KID over the draws."""
        groups = self.draws.groupby("n_real")
        table = groups.agg(**{"FID mean": ("FID", "mean"), "FID std": ("FID", "std"),
                              "FID 5%": ("FID", lambda v: np.percentile(v, 5)),
                              "FID 95%": ("FID", lambda v: np.percentile(v, 95)),
                              "KID mean": ("KID", "mean"), "KID std": ("KID", "std"),
                              "KID 5%": ("KID", lambda v: np.percentile(v, 5)),
                              "KID 95%": ("KID", lambda v: np.percentile(v, 95))}).reset_index()
        table.insert(1, "draws", groups.size().to_numpy())
        table.insert(2, "n_reference", self.n_reference)
        table.insert(3, "n_real < dim", table["n_real"] < self.dim)
        return table


def sample_size_study(pool, reference, sizes=SIZES, *, repeats: int = 20, n_reference: int | None = None,
                      kid_subsets: int = 10, kid_subset_size: int = 1000, seed: int = 0,
                      extractor: str | None = None) -> SampleSizeStudy:
    """FID and KID of ``n_real`` images drawn from ``pool`` against ``reference``, for every ``n_real`` in ``sizes``.

    Every draw takes ``n_real`` rows of ``pool`` without replacement; with
    ``n_reference=None`` it is compared with all of ``reference`` (a fixed
    sample, as the generated images of a Table 4 cell), else with
    ``n_reference`` rows drawn afresh from ``reference`` each time (independent
    samples on both sides, as :func:`expected_fid_1d` assumes). Sizes larger
    than the pool are left out (``notes`` says so); draws of nearly the whole
    pool overlap, so their spread understates the spread of independent samples.
    Both sets must come from one extractor (the result carries its name).
    """

    pool, reference, name = paired_features(pool, reference, extractor)
    sizes = sorted({int(n) for n in sizes})
    if not sizes or sizes[0] < 2 or repeats < 2:
        raise KitError(f"sizes={sizes}, repeats={repeats}: need sizes of 2 or more images and repeats >= 2.",
                       "pass e.g. sizes=(10, 27, 73, 256), repeats=20.")
    if n_reference is not None and not 2 <= n_reference <= len(reference):
        raise KitError(f"n_reference={n_reference} must lie between 2 and the {len(reference)} reference rows.",
                       "pass n_reference=None to compare with the whole reference sample.")
    notes = []
    kept = [n for n in sizes if n <= len(pool)]
    if len(kept) < len(sizes):
        notes.append(f"n_real {', '.join(str(n) for n in sizes if n > len(pool))} left out: the pool has only "
                     f"{len(pool)} images")
    if not kept:
        raise KitError(f"The pool has {len(pool)} images, fewer than every size in {sizes}.",
                       "pass smaller sizes or a larger pool.")
    rng = np.random.default_rng(seed)
    rows = []
    with blas_threads_for(pool.dim), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the rank-deficiency warning of every small draw: the study shows it
        for n in kept:
            for repeat in range(repeats):
                a = pool.values[rng.choice(len(pool), n, replace=False)]
                b = reference.values if n_reference is None else \
                    reference.values[rng.choice(len(reference), n_reference, replace=False)]
                draw_seed = int(rng.integers(2**31))
                f = fid(a, b, bootstrap=0, extractor=name)
                k = kid(a, b, subsets=kid_subsets, subset_size=kid_subset_size, seed=draw_seed, extractor=name)
                rows.append({"n_real": n, "repeat": repeat, "n_reference": len(b), "FID": f.value, "KID": k.mean})
    return SampleSizeStudy(pd.DataFrame(rows), name, pool.dim, len(pool),
                           len(reference) if n_reference is None else n_reference, repeats, kid_subsets, notes)
