"""Class-averaged scores of long-tailed generation: intra-FID and intra-KID, and FID-FS and KID-FS on the tail.

A single FID over all generated images is dominated by the head classes, which
supply most of them. Long-tailed generation is therefore scored class by class
and averaged with every class weighted equally:

    intra-FID = 1/C sum_c FID_c        (Miyato and Koyama 2018, "cGANs with Projection Discriminator")

and likewise intra-KID with the per-class KID (Binkowski et al. 2018). The
few-shot variants FID-FS and KID-FS (Khorram et al. 2024, "Taming the Tail in
Class-Conditional GANs", the tail-class metrics) average over the tail classes
T only:

    FID-FS = 1/|T| sum_{c in T} FID_c.

(The kit reads FID-FS as this mean of per-class FIDs, as it reads intra-FID.)
The per-class scores come from :func:`bagan_lib.metrics.per_class.per_class_scores`
(or :func:`~bagan_lib.metrics.per_class.evaluate_generator`): this module only
averages its table, so every number here is in that result's feature space.

The tail is given explicitly (class indices) or by :func:`tail_classes` from
the training counts: ``max_count=n`` (every class with at most n training
images; ImageNet-LT's few-shot classes have fewer than 20, Liu et al. 2019) or
``fraction=f`` (the ``floor(f C)`` smallest classes, at least 1; classes tied
with the last of them join it, so a tie is never split by class index).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bagan_lib.data.imbalance import floor_share
from bagan_lib.errors import KitError

SCORES = ("FID", "KID")


@dataclass(frozen=True)
class ClassMean:
    """The mean of one per-class score over ``classes``, with the scores averaged and the extractor's name.

    ``value`` is NaN when a class in ``classes`` was not scored (too few
    images, see ``per_class_scores``); ``unscored`` lists those classes and
    ``note`` says so.
    """

    value: float
    score: str
    classes: tuple
    per_class: tuple
    extractor: str
    unscored: tuple = ()
    note: str = ""


def _table(result):
    table = getattr(result, "table", None)
    if table is None or not {"class", *SCORES} <= set(getattr(table, "columns", ())):
        raise KitError(f"Expected the result of per_class_scores or evaluate_generator, got {type(result).__name__}.",
                       "score the classes first: per_class_scores(real, real_labels, generated, generated_labels, "
                       "class_names=...), then pass its result.")
    return table


def check_classes(classes, n_classes: int, what: str = "tail") -> tuple[int, ...]:
    """``classes`` as a sorted tuple of distinct class indices in 0..n_classes-1 (at least one), else a KitError."""
    try:
        items = [int(c) for c in classes if isinstance(c, (int, np.integer)) and not isinstance(c, bool)]
        complete = len(items) == len(classes)
    except TypeError:
        items, complete = [], False
    if not complete or not items or len(set(items)) != len(items) or min(items) < 0 or max(items) >= n_classes:
        raise KitError(f"The {what} classes {classes!r} are not distinct class indices in 0..{n_classes - 1} (at "
                       "least one).", "pass class indices, e.g. tail_classes(counts, fraction=0.3) or [7, 8, 9].")
    return tuple(sorted(items))


def class_mean(result, score: str, classes=None) -> ClassMean:
    """The mean of ``score`` ("FID" or "KID") of a per-class result over ``classes`` (None: every class)."""
    if score not in SCORES:
        raise KitError(f"score={score!r} is not a per-class score that is averaged here.",
                       f"choose one of {', '.join(SCORES)}.")
    table = _table(result)
    by_class = dict(zip(table["class"].astype(int), table[score].astype(float)))
    n_classes = len(by_class)
    classes = tuple(range(n_classes)) if classes is None else check_classes(classes, n_classes)
    values = tuple(by_class[c] for c in classes)
    unscored = tuple(c for c, v in zip(classes, values) if not np.isfinite(v))
    note = ""
    if unscored:
        note = (f"{score} undefined: class{'es' if len(unscored) > 1 else ''} {', '.join(map(str, unscored))} "
                "not scored (too few images); generate or hold out more images of them")
    value = float("nan") if unscored else float(np.mean(values))
    return ClassMean(value, score, classes, values, result.extractor, unscored, note)


def intra_fid(result) -> ClassMean:
    """intra-FID: the mean per-class FID over all classes (Miyato and Koyama 2018)."""
    return class_mean(result, "FID")


def intra_kid(result) -> ClassMean:
    """intra-KID: the mean per-class KID over all classes."""
    return class_mean(result, "KID")


def fid_fs(result, tail) -> ClassMean:
    """FID-FS: the mean per-class FID over the ``tail`` classes only (Khorram et al. 2024)."""
    return class_mean(result, "FID", tail)


def kid_fs(result, tail) -> ClassMean:
    """KID-FS: the mean per-class KID over the ``tail`` classes only (Khorram et al. 2024)."""
    return class_mean(result, "KID", tail)


def tail_classes(counts, *, max_count: int | None = None, fraction: float | None = None) -> tuple[int, ...]:
    """The few-shot (tail) classes from the training images per class ``counts`` (indexed by class).

    Exactly one rule: ``max_count=n``: every class with at most n images;
    ``fraction=f`` in (0, 1]: the ``max(1, floor(f C))`` smallest classes and
    every class tied with the last of them (so CIFAR-10-LT's step variant at
    fraction 0.3 gives all five tail classes, never three picked by index).
    Returned sorted by class index.
    """
    counts = np.asarray(counts)
    if counts.ndim != 1 or len(counts) < 2 or not np.issubdtype(counts.dtype, np.integer) or counts.min() < 0:
        raise KitError(f"counts must be the number of training images of every class (>= 2 classes), got {counts!r}.",
                       "pass e.g. split.counts()['train'] or np.bincount(y_train, minlength=n_classes).")
    if (max_count is None) == (fraction is None):
        raise KitError("tail_classes takes exactly one rule: max_count or fraction.",
                       "pass max_count=20 (classes with at most 20 images) or fraction=0.3 (the smallest 30 %).")
    if fraction is not None:
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
            raise KitError(f"fraction={fraction!r} must be in (0, 1].", "pass e.g. fraction=0.3.")
        k = max(1, floor_share(len(counts), fraction))
        max_count = int(np.sort(counts)[k - 1])
    elif isinstance(max_count, bool) or not isinstance(max_count, (int, np.integer)) or max_count < 0:
        raise KitError(f"max_count={max_count!r} must be a whole number >= 0.", "pass e.g. max_count=20.")
    tail = tuple(int(c) for c in np.flatnonzero(counts <= max_count))
    if not tail:
        raise KitError(f"No class has at most {max_count} training images (the smallest has {counts.min()}).",
                       f"raise max_count to at least {counts.min()}, or use fraction=.")
    return tail
