"""SSIM between real and generated images, as the CAPGAN paper reports it.

The structural similarity index (Wang et al. 2004, Eq. 13) compares local
means, variances and covariance of two images in 11x11 Gaussian windows. A
generator has no "matching" real image for a sample, so CAPGAN pairs real and
generated images at random and averages ``tf.image.ssim`` over the pairs;
here over several shuffles, reporting the mean and the spread between shuffles.

The luminance term (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1), with
C1 = (0.01 L)^2, is not invariant to shifting the pixel values, so the range
matters: images are mapped from their ``value_range`` ([-1, 1], the kit's, or
[0, 1]) to [0, 1] and compared with ``max_val=1`` (L = 1), which equals SSIM of
the 8-bit images with ``max_val=255``. Read with the wrong range, the score is
simply wrong (a [0, 1] image read as [-1, 1] scores about 16 % higher), so the
default range is checked: images without a single negative value are refused as
[0, 1] images unless ``value_range=(-1, 1)`` is stated. Images smaller than the
11x11 window are refused too (a smaller window is a different measure).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bagan_lib.errors import KitError
from bagan_lib.metrics.features import as_numbers

# Lazy imports in this module: the metrics package face is read by the command line at start-up; TensorFlow loads on
# first use.

VALUE_RANGES = ((-1.0, 1.0), (0.0, 1.0))
KIT_RANGE = (-1.0, 1.0)
WINDOW = 11  # Wang et al.'s Gaussian window, tf.image.ssim's default


@dataclass(frozen=True)
class SSIMResult:
    """Mean SSIM over random real/generated pairs, averaged over ``shuffles``; ``std`` between shuffles."""

    mean: float
    std: float
    pairs: int
    shuffles: int
    pairing: str
    value_range: tuple


def to_unit_range(images, value_range) -> np.ndarray:
    """Images of ``value_range`` ((-1, 1) or (0, 1)) as float32 in [0, 1]; values outside the range: a KitError."""
    value_range = tuple(float(v) for v in value_range)
    if value_range not in VALUE_RANGES:
        raise KitError(f"value_range={value_range} is not one the kit uses.",
                       "pass value_range=(-1, 1) for the kit's images or (0, 1).")
    x = as_numbers(images, "SSIM's images", np.float32)
    low, high = value_range
    if x.ndim != 4 or x.size == 0 or not np.isfinite(x).all() or x.min() < low - 1e-4 or x.max() > high + 1e-4:
        raise KitError(f"SSIM needs finite (n, h, w, c) images in [{low:g}, {high:g}]; got shape {x.shape}"
                       + (f", range [{x.min():.3g}, {x.max():.3g}]" if x.size and np.isfinite(x).all() else "") + ".",
                       "pass images in value_range (the kit's are in [-1, 1]: value_range=(-1, 1)).")
    return np.clip((x - low) / (high - low), 0.0, 1.0)


def ssim_pairs(a: np.ndarray, b: np.ndarray, *, batch_size: int = 512, filter_size: int = WINDOW) -> np.ndarray:
    """``tf.image.ssim(a[i], b[i], max_val=1)`` for every i (images in [0, 1], at least ``filter_size`` pixels
    on each side: tf.image.ssim would shrink the window silently, and 1x1 images would score about 0.66)."""
    if min(a.shape[1], a.shape[2]) < filter_size:
        raise KitError(f"SSIM compares {filter_size}x{filter_size} windows, but the images are "
                       f"{a.shape[1]}x{a.shape[2]}.",
                       f"compare images of at least {filter_size}x{filter_size} pixels (e.g. resize them with "
                       "bagan_lib.data.prepare_images to 32).")
    import tensorflow as tf

    return np.concatenate([tf.image.ssim(a[i:i + batch_size], b[i:i + batch_size], max_val=1.0,
                                         filter_size=filter_size).numpy() for i in range(0, len(a), batch_size)])


def ssim_score(real, generated, *, value_range=None, shuffles: int = 5, pairing: str = "shuffle",
               seed: int = 0) -> SSIMResult:
    """Mean SSIM of real/generated pairs (CAPGAN's evaluation).

    ``value_range``: ``(-1, 1)`` (the kit's) or ``(0, 1)``; None is the kit's
    [-1, 1], checked: images with no negative value at all are refused as [0, 1] ones.
    ``pairing="shuffle"``: in each of ``shuffles`` rounds both sets are
    permuted (seeded) and the first ``min(n_real, n_generated)`` images paired.
    ``pairing="index"``: real[i] with generated[i] (reconstructions against
    their originals), once. 1 means identical images; unrelated ones score near 0.
    Images must be at least 11x11 (the window).
    """
    stated, value_range = value_range, KIT_RANGE if value_range is None else value_range
    a, b = to_unit_range(real, value_range), to_unit_range(generated, value_range)
    if stated is None and min(a.min(), b.min()) >= 0.5:  # mapped from [-1, 1]: 0.5 is the value 0
        raise KitError("SSIM's images have no negative value, so they look like [0, 1] images, but the range is the "
                       "default [-1, 1]; read as [-1, 1] they would score wrongly high.",
                       "pass value_range=(0, 1) for [0, 1] images, or value_range=(-1, 1) to state that these are "
                       "[-1, 1] images after all.")
    if a.shape[1:] != b.shape[1:]:
        raise KitError(f"Real images {a.shape[1:]} and generated images {b.shape[1:]} differ in shape.",
                       "compare images of the same size and channels.")
    if pairing not in ("shuffle", "index") or shuffles < 1:
        raise KitError(f"pairing={pairing!r}, shuffles={shuffles}.", "pass pairing='shuffle' or 'index', shuffles >= 1.")
    n = min(len(a), len(b))
    if pairing == "index":
        if len(a) != len(b):
            raise KitError(f"pairing='index' needs as many real as generated images ({len(a)} vs {len(b)}).",
                           "pass pairs, or use pairing='shuffle'.")
        values = [float(ssim_pairs(a, b).mean())]
    else:
        rng = np.random.default_rng(seed)
        values = [float(ssim_pairs(a[rng.permutation(len(a))[:n]], b[rng.permutation(len(b))[:n]]).mean())
                  for _ in range(shuffles)]
    return SSIMResult(float(np.mean(values)), float(np.std(values)), n, len(values), pairing,
                      tuple(float(v) for v in value_range))
