"""Class balance of generation: how far the classes of generated images are from uniform.

A sampler that draws the classes itself (an unconditional GAN, or a
conditional one sampled with its own class prior) may trade the tail classes
for the head ones. A classifier trained on *real* images labels every
generated image; with ``p_hat`` the share of images it assigns to each of the
C classes, the imbalance is the Kullback-Leibler divergence from uniform

    KL(p_hat || U) = sum_c p_c log(p_c / (1/C)) = sum_c p_c log(p_c C)    (0 log 0 = 0),

0 for perfectly balanced generation and at most log C, reached when every
image is one class (natural log: nats); it equals log C minus the entropy of
p_hat. Computed with ``scipy.stats.entropy``. Labelling GAN samples with a
real-data classifier to see which classes a GAN drops is the method of
Santurkar et al. 2018 ("A Classification-Based Study of Covariate Shift in GAN
Distributions").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import entropy

from bagan_lib.errors import KitError


@dataclass(frozen=True)
class ClassBalance:
    """``kl`` = KL(shares || uniform) in nats; ``shares`` and ``counts`` per class; ``max_kl`` = log C."""

    kl: float
    shares: tuple
    counts: tuple
    n_images: int

    @property
    def max_kl(self) -> float:
        return float(np.log(len(self.counts)))


def kl_from_uniform(counts) -> float:
    """KL(p || U) of the distribution ``p = counts / counts.sum()`` over ``len(counts)`` classes (nats)."""
    counts = np.asarray(counts)
    if counts.ndim != 1 or len(counts) < 2 or not np.isfinite(counts).all() or counts.min() < 0 or counts.sum() <= 0:
        raise KitError(f"counts must be >= 2 non-negative numbers, not all 0 (one per class), got {counts!r}.",
                       "pass the number of generated images assigned to every class, zeros included.")
    return float(entropy(counts, np.full(len(counts), 1.0 / len(counts))))


def class_balance(predicted, *, n_classes: int | None = None) -> ClassBalance:
    """The class balance of generated images from a real-data classifier's output on them.

    ``predicted``: one class index per image, or one row of class scores per
    image (its largest wins; ``n_classes`` is then the number of columns), e.g.
    :meth:`bagan_lib.metrics.scoring_classifier.Classifier.predict`'s labels.
    With labels ``n_classes`` is needed: a class no image is assigned to still
    counts (as 0), and only ``n_classes`` says it exists.
    """
    predicted = np.asarray(predicted)
    if predicted.ndim == 2:
        n_classes = predicted.shape[1] if n_classes is None else n_classes
        predicted = predicted.argmax(axis=1)
    if n_classes is None:
        raise KitError("class_balance needs n_classes with class labels: classes no image is assigned to count too.",
                       "pass n_classes=len(class_names) (or the classifier's scores, one column per class).")
    if predicted.ndim != 1 or len(predicted) == 0 or not np.issubdtype(predicted.dtype, np.integer) \
            or predicted.min() < 0 or predicted.max() >= n_classes:
        raise KitError(f"predicted must hold one class in 0..{n_classes - 1} per generated image, got shape "
                       f"{predicted.shape} of {predicted.dtype}.",
                       "pass the real-data classifier's predicted classes of the generated images.")
    counts = np.bincount(predicted, minlength=n_classes)
    return ClassBalance(kl_from_uniform(counts), tuple(float(p) for p in counts / counts.sum()),
                        tuple(int(c) for c in counts), int(counts.sum()))
