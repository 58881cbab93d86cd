"""The Frechet distance between Gaussians and the Frechet Inception Distance (FID) with a bootstrap interval.

Dowson and Landau (1982): for Gaussians N(mu1, S1) and N(mu2, S2),

    d^2 = ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)).

Heusel et al. (2017, TTUR paper) call this, on InceptionV3 features of real and
generated images, the FID; the BAGAN-GP paper (Table 4) reports it per class.
Here any extractor's features may be used, and every result is named by its
extractor (:mod:`bagan_lib.metrics.features`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from bagan_lib.errors import KitError
from bagan_lib.metrics.blas_threads import blas_threads_for
from bagan_lib.metrics.features import as_features, as_numbers, paired_features

# Lazy imports in this module: the metrics package face is read by the command line at start-up; heavier libraries
# load on first use.


def _check_gaussian(mu, sigma, which: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance checked: numbers of shapes (d,) and (d, d) with d >= 1, finite, symmetric, and
    positive semi-definite (a negative eigenvalue means it is no covariance; clipping it would hide that)."""
    from scipy.linalg import LinAlgError, cholesky

    mu = np.atleast_1d(as_numbers(mu, f"The mean of Gaussian {which}"))
    sigma = np.atleast_2d(as_numbers(sigma, f"The covariance of Gaussian {which}"))
    if mu.ndim != 1 or len(mu) == 0 or sigma.shape != (len(mu), len(mu)):
        raise KitError(f"Gaussian {which}: mean of shape {mu.shape} and covariance of shape {sigma.shape} do not "
                       "fit (need (d,) and (d, d)).", "pass the mean vector and the covariance matrix of one set "
                       "of features (gaussian_stats does both).")
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise KitError(f"Gaussian {which} has NaN or infinite values.", "check the features it was fitted to.")
    scale = max(1.0, float(np.abs(sigma).max()))
    if np.abs(sigma - sigma.T).max() > 1e-6 * scale:
        raise KitError(f"Covariance {which} is not symmetric.", "pass a covariance matrix (np.cov(x, rowvar=False)).")
    sigma = (sigma + sigma.T) / 2
    # Cholesky of sigma + tol I succeeds iff no eigenvalue is below -tol: round-off of a singular np.cov passes
    tolerance = np.sqrt(np.finfo(np.float64).eps) * max(float(np.abs(np.diag(sigma)).max()), np.finfo(float).tiny)
    try:
        cholesky(sigma + tolerance * np.eye(len(sigma)), lower=True, check_finite=False)
    except LinAlgError:
        smallest = float(np.linalg.eigvalsh(sigma)[0])
        raise KitError(f"Covariance {which} has a negative eigenvalue ({smallest:.3g}): it is not positive "
                       "semi-definite, so it is no covariance matrix.",
                       "pass the covariance of real features (gaussian_stats, or np.cov(x, rowvar=False)); "
                       "do not edit or average covariances by hand.") from None
    return mu, sigma


def _clip_round_off(eigenvalues: np.ndarray) -> np.ndarray:
    """Eigenvalues of a PSD matrix with round-off removed: those below ``d * eps * max`` (numpy's rank
    tolerance; negative ones included) are 0. Their square roots (1e-8 for 1e-16) would otherwise add noise."""
    tolerance = len(eigenvalues) * np.finfo(np.float64).eps * max(float(np.abs(eigenvalues).max()), 0.0)
    return np.where(eigenvalues > tolerance, eigenvalues, 0.0)


def psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric PSD matrix, from its eigendecomposition (round-off -> 0)."""
    from scipy.linalg import eigh

    # driver "evd" (divide and conquer): scipy's default "evr" takes 100x longer with multithreaded OpenBLAS
    values, vectors = eigh(sigma, driver="evd")
    return (vectors * np.sqrt(_clip_round_off(values))) @ vectors.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr((S1 S2)^(1/2)) for symmetric PSD S1, S2, computed stably.

    S1 S2 is not symmetric, and ``scipy.linalg.sqrtm`` of it can return complex
    round-off (or fail) when the covariances are singular, as they are whenever
    there are fewer images than feature dimensions. But S1 S2 is similar to the
    symmetric PSD matrix M = S1^(1/2) S2 S1^(1/2) (S1 S2 = S1^(1/2) M S1^(-1/2)
    where S1 is invertible, and by continuity otherwise), so both have the same
    non-negative eigenvalues l_i and tr((S1 S2)^(1/2)) = sum_i sqrt(l_i). Here
    S1^(1/2) comes from ``scipy.linalg.eigh`` of S1, M is symmetrised against
    round-off, its eigenvalues come from ``eigh`` (real by construction), and the
    small negative ones that round-off leaves are clipped to 0 before the root
    (as are positive ones below numpy's rank tolerance ``d * eps * max``, which
    are round-off of true zeros: a singular covariance would otherwise gain
    ``sqrt(1e-16) = 1e-8`` per lost dimension).
    """
    from scipy.linalg import eigh

    root = psd_sqrt(sigma1)
    middle = root @ sigma2 @ root
    eigenvalues = eigh((middle + middle.T) / 2, eigvals_only=True)
    return float(np.sqrt(_clip_round_off(eigenvalues)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """The squared Frechet distance between N(mu1, sigma1) and N(mu2, sigma2) (Dowson and Landau 1982).

    ``||mu1 - mu2||^2 + tr(sigma1) + tr(sigma2) - 2 tr((sigma1 sigma2)^(1/2))``,
    with the trace of the root from :func:`trace_sqrt_product` (eigenvalues of
    the symmetric PSD matrix sigma1^(1/2) sigma2 sigma1^(1/2), small negative
    ones clipped to 0). The result is clipped at 0 (round-off for equal
    Gaussians). Mismatched shapes, empty, non-numeric, non-symmetric or non-finite input, or a covariance with a
    negative eigenvalue (beyond round-off): a KitError.
    """
    mu1, sigma1 = _check_gaussian(mu1, sigma1, "1")
    mu2, sigma2 = _check_gaussian(mu2, sigma2, "2")
    if mu1.shape != mu2.shape:
        raise KitError(f"The Gaussians have different dimensions ({len(mu1)} and {len(mu2)}).",
                       "compare features of the same extractor (the same feature size).")
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt_product(sigma1, sigma2)
    return float(max(value, 0.0))


def gaussian_stats(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (unbiased, ddof=1) of (n, d) features; n >= 2."""
    x = as_features(features, min_rows=2).values
    return x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False))


@dataclass(frozen=True)
class FIDResult:
    """A FID with its bootstrap confidence interval and bias estimate, the sample sizes and the extractor's name."""

    value: float
    low: float
    high: float
    bias: float          # bootstrap estimate of the small-sample bias: mean of the resampled FIDs - value
    n_real: int
    n_generated: int
    dim: int
    bootstrap: int
    confidence: float
    extractor: str
    note: str = ""


def fid(features_real, features_generated, *, bootstrap: int = 100, confidence: float = 0.95,
        seed: int = 0, extractor: str | None = None) -> FIDResult:
    """FID (Heusel et al. 2017) of two feature sets, with a bootstrap confidence interval.

    ``value`` is the Frechet distance of the Gaussians fitted to all features.
    ``bootstrap`` times, both sets are resampled with replacement
    (independently, seeded by ``seed``) and the FID recomputed. FID is biased
    upwards in small samples (Binkowski et al. 2018): the resampled FIDs, with
    only about 63 % distinct images each, lie above ``value`` about as far as
    ``value`` lies above the FID of the distributions; ``bias`` is that shift
    (their mean minus ``value``). The interval is therefore the *basic*
    bootstrap interval (Davison and Hinkley 1997, Eq. 5.6), which corrects for
    it: ``[2 value - q_high, 2 value - q_low]`` with q the (1 -/+ confidence)/2
    percentiles of the resampled FIDs, clipped at 0. For two samples of one
    distribution it reaches down to 0 while ``value`` is positive; when the
    bias is large it can lie wholly below ``value``. (The plain percentile
    interval ``[q_low, q_high]`` would exclude the true 0 there.)
    ``bootstrap=0``: no interval, low = high = NaN, bias 0. With fewer images
    than feature dimensions the covariance is rank-deficient: ``note`` says so
    (and a warning is issued); prefer :func:`bagan_lib.metrics.kid` there.
    """
    real, generated, name = paired_features(features_real, features_generated, extractor)
    if bootstrap < 0 or not 0 < confidence < 1:
        raise KitError(f"bootstrap={bootstrap}, confidence={confidence}: need bootstrap >= 0 and 0 < confidence < 1.",
                       "pass e.g. bootstrap=100, confidence=0.95.")
    with blas_threads_for(real.dim):
        value = frechet_distance(*gaussian_stats(real.values), *gaussian_stats(generated.values))
        low = high = float("nan")  # no interval: NaN, never a zero-width one
        bias = 0.0
        if bootstrap:
            rng = np.random.default_rng(seed)
            samples = [frechet_distance(*gaussian_stats(real.values[rng.integers(0, len(real), len(real))]),
                                        *gaussian_stats(generated.values[rng.integers(0, len(generated),
                                                                                      len(generated))]))
                       for _ in range(bootstrap)]
            q_low, q_high = np.percentile(samples, [50 * (1 - confidence), 50 * (1 + confidence)])
            low, high = float(max(2 * value - q_high, 0.0)), float(max(2 * value - q_low, 0.0))
            bias = float(np.mean(samples) - value)
    small = min(len(real), len(generated))
    note = ""
    if small < real.dim:
        note = (f"{small} images < {real.dim} feature dimensions: the covariance is rank-deficient and FID is "
                "unreliable (KID is unbiased here)")
        warnings.warn(f"FID: {note}.", stacklevel=2)
    return FIDResult(value, low, high, bias, len(real), len(generated), real.dim, bootstrap, confidence, name, note)
