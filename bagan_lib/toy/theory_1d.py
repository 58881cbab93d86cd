"""The 1-D theory behind notebooks 01 and 02, computed exactly or by numerical integration.

Two 1-D Gaussians stand for the data, ``p_r = N(mu_r, sigma_r^2)``, and the
generator, ``p_g = N(mu_g, sigma_g^2)``. Equation numbers are the BAGAN-GP
paper's (section 3.2.1).

* :func:`optimal_discriminator`: ``D*(x) = p_r(x) / (p_r(x) + p_g(x))``, the
  discriminator that maximises the value function of Eq. 1 for a fixed generator.
* :func:`js_divergence`: the Jensen-Shannon divergence, in nats (``log 2`` at most).
* :func:`value_at_optimum`: ``V(D*, G) = E_r[log D*] + E_g[log(1 - D*)]``, which
  equals ``2 JS(p_r || p_g) - log 4`` (Goodfellow et al., 2014).
* :func:`wasserstein1`: the earth mover's distance of Eq. 4, by ``int |F_r - F_g| dx``.
* :func:`generator_gradient`: the derivative of the generator's loss with respect
  to ``mu_g``, with the discriminator held fixed at ``D*`` or at a less confident,
  near-optimal copy of it, for the saturating loss (Eq. 1) and the non-saturating
  loss (Eq. 3).

Everything is computed in log space (``logaddexp``, ``expit``), so distributions
that are 50 standard deviations apart give exact zeros and ``log 2``, not NaNs.
Numbers are in nats. Only NumPy and SciPy are used: importing this module does
not import TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.integrate import trapezoid
from scipy.special import expit, ndtr

from bagan_lib.errors import KitError

LOG2 = float(np.log(2.0))
LOG4 = float(np.log(4.0))
LOSSES = ("saturating", "non_saturating")


@dataclass(frozen=True)
class Gaussian:
    """A 1-D normal distribution ``N(mu, sigma^2)``."""

    mu: float
    sigma: float = 1.0

    def __post_init__(self):
        if not (np.isfinite(self.mu) and np.isfinite(self.sigma) and self.sigma > 0):
            raise KitError(f"Gaussian(mu={self.mu!r}, sigma={self.sigma!r}) is not a distribution.",
                           "pass a finite mean and a positive standard deviation.")

    def logpdf(self, x):
        z = (np.asarray(x, dtype=np.float64) - self.mu) / self.sigma
        return -0.5 * z * z - np.log(self.sigma) - 0.5 * np.log(2 * np.pi)

    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def cdf(self, x):
        return ndtr((np.asarray(x, dtype=np.float64) - self.mu) / self.sigma)


def _as_gaussian(p) -> Gaussian:
    if isinstance(p, Gaussian):
        return p
    if isinstance(p, (tuple, list)) and len(p) == 2:
        return Gaussian(float(p[0]), float(p[1]))
    if isinstance(p, (int, float, np.number)):
        return Gaussian(float(p), 1.0)
    raise KitError(f"{p!r} is not a Gaussian.", "pass Gaussian(mu, sigma), a (mu, sigma) pair, or a mean.")


def gaussian_pdf(x, mu: float = 0.0, sigma: float = 1.0):
    """The density of ``N(mu, sigma^2)`` at ``x``."""
    return Gaussian(mu, sigma).pdf(x)


def integration_grid(p_r, p_g, *, n: int | None = None, width: float = 12.0) -> np.ndarray:
    """A uniform grid covering both distributions to ``width`` standard deviations.

    The spacing is at most ``min(sigma) / 40`` (and at least 4001 points), so the
    trapezoid rule is accurate to far better than 1e-6 for these smooth integrands.
    """
    p_r, p_g = _as_gaussian(p_r), _as_gaussian(p_g)
    lo = min(p_r.mu - width * p_r.sigma, p_g.mu - width * p_g.sigma)
    hi = max(p_r.mu + width * p_r.sigma, p_g.mu + width * p_g.sigma)
    if n is None:
        n = int(min(2_000_001, max(4001, np.ceil((hi - lo) / (min(p_r.sigma, p_g.sigma) / 40)))))
    return np.linspace(lo, hi, n)


def _log_densities(p_r, p_g, x):
    return _as_gaussian(p_r).logpdf(x), _as_gaussian(p_g).logpdf(x)


def optimal_discriminator(x, p_r, p_g):
    """``D*(x) = p_r(x) / (p_r(x) + p_g(x))`` (Goodfellow et al., Prop. 1), computed as a sigmoid of log-odds.

    Where both densities underflow the log-odds are still finite, so ``D*`` is
    well defined everywhere (it is 1/2 only where ``p_r = p_g``).
    """
    log_r, log_g = _log_densities(p_r, p_g, x)
    return expit(log_r - log_g)


def optimal_logit(x, p_r, p_g):
    """The log-odds of :func:`optimal_discriminator`: ``log p_r(x) - log p_g(x)``."""
    log_r, log_g = _log_densities(p_r, p_g, x)
    return log_r - log_g


def js_divergence(p_r, p_g, *, grid=None) -> float:
    """``JS(p_r || p_g) = KL(p_r || m) / 2 + KL(p_g || m) / 2`` with ``m = (p_r + p_g) / 2``, in nats.

    Integrated numerically on :func:`integration_grid`. 0 for equal distributions,
    ``log 2`` for distributions that do not overlap.
    """
    x = integration_grid(p_r, p_g) if grid is None else np.asarray(grid, np.float64)
    log_r, log_g = _log_densities(p_r, p_g, x)
    log_m = np.logaddexp(log_r, log_g) - LOG2
    integrand = 0.5 * np.exp(log_r) * (log_r - log_m) + 0.5 * np.exp(log_g) * (log_g - log_m)
    return float(max(0.0, trapezoid(integrand, x)))


def value_at_optimum(p_r, p_g, *, grid=None) -> float:
    """``V(D*, G) = E_r[log D*(x)] + E_g[log(1 - D*(x))]`` (Eq. 1 at the optimal discriminator), numerically."""
    x = integration_grid(p_r, p_g) if grid is None else np.asarray(grid, np.float64)
    log_r, log_g = _log_densities(p_r, p_g, x)
    log_sum = np.logaddexp(log_r, log_g)
    integrand = np.exp(log_r) * (log_r - log_sum) + np.exp(log_g) * (log_g - log_sum)
    return float(trapezoid(integrand, x))


def wasserstein1(p_r, p_g, *, grid=None) -> float:
    """The earth mover's distance (Eq. 4) in 1-D: ``W1 = int |F_r(x) - F_g(x)| dx``.

    For two Gaussians with the same ``sigma`` it equals ``|mu_r - mu_g|``.
    """
    p_r, p_g = _as_gaussian(p_r), _as_gaussian(p_g)
    x = integration_grid(p_r, p_g) if grid is None else np.asarray(grid, np.float64)
    return float(trapezoid(np.abs(p_r.cdf(x) - p_g.cdf(x)), x))


def wasserstein1_samples(a, b) -> float:
    """W1 between two equal-size 1-D samples: in 1-D the optimal transport plan matches them in sorted order."""
    a, b = np.sort(np.asarray(a, np.float64).ravel()), np.sort(np.asarray(b, np.float64).ravel())
    if a.shape != b.shape or a.size == 0:
        raise KitError(f"wasserstein1_samples needs two samples of the same size, got {a.size} and {b.size}.",
                       "draw the same number of points from both distributions.")
    return float(np.mean(np.abs(a - b)))


# --------------------------------------------------------------------------- #
# the generator's gradient
# --------------------------------------------------------------------------- #
def _check_loss(loss):
    if loss not in LOSSES:
        raise KitError(f"loss={loss!r} is not a generator loss.", f"use one of {LOSSES}.")


def _expectation_grid(p_g: Gaussian, p_r: Gaussian):
    """Grid for expectations over ``p_g`` whose integrand also lives near ``p_r`` (see generator_gradient)."""
    return integration_grid(p_r, p_g)


def generator_loss(mu_g: float, p_r, *, sigma_g: float = 1.0, loss: str = "non_saturating",
                   discriminator=None, sharpness: float = 1.0) -> float:
    """The generator's loss for ``p_g = N(mu_g, sigma_g^2)`` against a *fixed* discriminator.

    ``loss="saturating"``: ``E_g[log(1 - D(x))]`` (Eq. 1, minimised by G);
    ``loss="non_saturating"``: ``-E_g[log D(x)]`` (Eq. 3).
    ``discriminator`` is a pair ``(p_r, p_g_at_training)`` of Gaussians: the
    discriminator is ``sigmoid(sharpness * optimal_logit)`` for that pair; by default
    the optimal discriminator for the current ``mu_g``. The expectation is a
    trapezoid integral on :func:`integration_grid`.
    """
    _check_loss(loss)
    p_r, p_g = _as_gaussian(p_r), Gaussian(float(mu_g), float(sigma_g))
    d_pair = discriminator or (p_r, p_g)
    x = _expectation_grid(p_g, p_r)
    logit = sharpness * optimal_logit(x, *d_pair)
    # log sigmoid(l) = -softplus(-l); log(1 - sigmoid(l)) = -softplus(l)
    values = -np.logaddexp(0.0, logit) if loss == "saturating" else np.logaddexp(0.0, -logit)
    return float(trapezoid(p_g.pdf(x) * values, x))


def generator_gradient(distance, *, sigma: float = 1.0, loss: str = "non_saturating", sharpness: float = 1.0):
    """``|dL_G / d mu_g|`` with ``p_r = N(0, sigma^2)``, ``p_g = N(distance, sigma^2)`` and D held fixed.

    The discriminator is ``D(x) = sigmoid(sharpness * l*(x))`` with ``l*`` the log-odds
    of the optimal discriminator for this pair. ``sharpness=1`` is ``D*`` itself;
    ``sharpness < 1`` is a near-optimal discriminator that is less confident (its
    log-odds are a fraction of the optimal ones). The gradient reaches the generator
    through its samples ``x = mu_g + sigma * eps`` (the reparameterisation), so

    * saturating, Eq. 1: ``d/d mu_g E_g[log(1 - D(x))] = -E_g[D(x) * l'(x)]``;
    * non-saturating, Eq. 3: ``d/d mu_g (-E_g[log D(x)]) = -E_g[(1 - D(x)) * l'(x)]``.

    For equal widths ``l'(x) = -sharpness * d / sigma^2`` is constant, so the
    saturating gradient is ``(sharpness * d / sigma^2) * E_g[D(x)]``. ``E_g[D]`` is
    about the chance that a fake lands on the real side of the midpoint, which
    shrinks like ``exp(-d^2 / (8 sigma^2))``. The non-saturating gradient is
    ``(sharpness * d / sigma^2) * (1 - E_g[D])`` and grows like ``d``. The
    expectation is integrated in log space on a fine grid, so tiny values stay
    accurate. Accepts a scalar or an array of distances; returns the same shape.
    """
    _check_loss(loss)
    if not sigma > 0 or not sharpness > 0:
        raise KitError(f"sigma={sigma!r}, sharpness={sharpness!r} must be positive.",
                       "use sigma=1.0 and sharpness in (0, 1].")
    d_all = np.asarray(distance, dtype=np.float64)
    out = np.empty(d_all.shape)
    for index, d in np.ndenumerate(d_all):
        p_r, p_g = Gaussian(0.0, sigma), Gaussian(float(d), sigma)
        x = _expectation_grid(p_g, p_r)
        logit = sharpness * optimal_logit(x, p_r, p_g)
        slope = -sharpness * d / sigma**2                       # d logit / dx, constant for equal widths
        # log of p_g(x) * D(x) (saturating) or p_g(x) * (1 - D(x)) (non-saturating)
        log_weight = p_g.logpdf(x) - np.logaddexp(0.0, -logit if loss == "saturating" else logit)
        out[index] = abs(slope) * trapezoid(np.exp(log_weight), x)
    return float(out) if out.ndim == 0 else out


def gradient_table(distances, *, sigma: float = 1.0, sharpness=(1.0,)):
    """A pandas table: distance, JS, W1 and both generator gradients (for each ``sharpness``)."""
    rows = []
    for d in distances:
        row = {"distance": float(d), "JS (nats)": js_divergence((0.0, sigma), (float(d), sigma)),
               "W1": wasserstein1((0.0, sigma), (float(d), sigma))}
        for s in sharpness:
            tag = "" if len(sharpness) == 1 else f", sharpness {s:g}"
            row[f"|grad| saturating{tag}"] = generator_gradient(d, sigma=sigma, loss="saturating", sharpness=s)
            row[f"|grad| non-saturating{tag}"] = generator_gradient(d, sigma=sigma, loss="non_saturating",
                                                                    sharpness=s)
        rows.append(row)
    return pd.DataFrame(rows)
