"""Inception Score (Salimans et al. 2016, section 4): exp(E_x KL(p(y|x) || p(y))).

It needs class probabilities from an ImageNet classifier (InceptionV3 with its
top): confident predictions (low entropy p(y|x)) spread over many classes
(high entropy p(y)) score high, at most the number of classes K. It looks at the
generated images alone, never at real ones, and only means something for
ImageNet-like images, so it is reported only where that classifier's weights
are available (:func:`bagan_lib.metrics.extractors.imagenet_classifier`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bagan_lib.errors import KitError
from bagan_lib.metrics.features import as_numbers

# Lazy imports in this module: the metrics package face is read by the command line at start-up; scipy loads on
# first use.


@dataclass(frozen=True)
class ISResult:
    """Mean and standard deviation of the score over ``splits`` equal parts, and the classifier's name."""

    mean: float
    std: float
    splits: int
    n: int
    classifier: str


def split_bounds(n: int, splits: int) -> list[tuple[int, int]]:
    """Rows ``[i n // splits, (i + 1) n // splits)`` of split i: Salimans et al.'s code and torch-fidelity's.
    (``np.array_split`` differs when ``splits`` does not divide n: it makes the first parts the longer ones.)"""
    return [(i * n // splits, (i + 1) * n // splits) for i in range(splits)]


def inception_score(probabilities, *, splits: int = 10, classifier: str = "raw") -> ISResult:
    """IS of (n, K) class probabilities, per split as in Salimans et al.'s code: exp(mean_i KL(p_i || mean p)).

    The rows are split as that code splits them (:func:`split_bounds`); the
    result is the mean and the (population) standard deviation over splits.
    Uniform, fully confident predictions over K classes score K; identical
    predictions score 1. Rows must be non-negative and sum to 1.
    """
    from scipy.special import rel_entr

    p = as_numbers(probabilities, "The class probabilities")
    if not isinstance(splits, (int, np.integer)) or p.ndim != 2 or p.shape[1] < 1 or len(p) < splits or splits < 1:
        raise KitError(f"Need (n, K) probabilities with n >= splits >= 1; got shape {p.shape}, splits={splits}.",
                       "pass the softmax outputs of the classifier, one row per image.")
    if not np.isfinite(p).all() or p.min() < 0 or np.abs(p.sum(axis=1) - 1).max() > 1e-3:
        raise KitError("The rows are not probability vectors (non-negative, summing to 1).",
                       "pass softmax probabilities, not logits.")
    scores = []
    for start, stop in split_bounds(len(p), splits):
        part = p[start:stop]
        marginal = part.mean(axis=0, keepdims=True)
        scores.append(np.exp(rel_entr(part, marginal).sum(axis=1).mean()))
    return ISResult(float(np.mean(scores)), float(np.std(scores)), splits, len(p), classifier)
