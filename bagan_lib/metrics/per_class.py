"""Per-class FID, KID and precision/recall of a generator against the held-out real images of each class.

The BAGAN-GP paper (Table 4) scores every class separately: 1000 generated
images of class c against all held-out real images of class c. The minority
classes have only a few dozen real images, fewer than the feature dimension,
so their covariance is rank-deficient and FID is unreliable (and biased
upwards); the table reports ``n_real`` for every class, warns where it is
smaller than the feature dimension, and gives KID (unbiased at any size) next
to FID. The number of generated images per class is the profile's
``eval_per_class`` (1000 at ``paper``, as in the papers).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bagan_lib.data.preprocess import prepare_images
from bagan_lib.errors import KitError
from bagan_lib.metrics.blas_threads import blas_threads_for
from bagan_lib.metrics.features import Features, paired_features
from bagan_lib.metrics.frechet import fid
from bagan_lib.metrics.kid import kid
from bagan_lib.metrics.precision_recall import precision_recall
from bagan_lib.gan.sampling import generate_per_class
from bagan_lib.metrics.scoring_classifier import real_class_accuracy


@dataclass
class PerClassResult:
    """One row per class (``table``, pandas) and the result objects behind it, all from one extractor."""

    table: object
    extractor: str
    fid: list
    kid: list
    precision_recall: list
    seconds: dict = field(default_factory=dict)


def held_out_images(split, image_size: int, channels: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The held-out real images of a :class:`~bagan_lib.data.imbalance.ProtocolSplit`, in [-1, 1] at ``image_size``.

    The protocol's own held-out part (BAGAN-GP's 30 % split) where it has one,
    else the dataset's test split (``synthetic_cells``: Table 3's validation counts).
    """
    x, y = (split.x_val, split.y_val) if len(split.y_val) else (split.x_test, split.y_test)
    return prepare_images(x, image_size, channels), np.asarray(y, dtype=np.int64)


def _labels(labels, n: int, n_classes: int, what: str) -> np.ndarray:
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != n or (n and (labels.min() < 0 or labels.max() >= n_classes)):
        raise KitError(f"Need one label in 0..{n_classes - 1} per {what} feature vector ({n}); got {len(labels)}.",
                       "pass the class of every image, in the order of the features.")
    return labels.astype(np.int64)


def per_class_scores(real, real_labels, generated, generated_labels, *, class_names, bootstrap: int = 100,
                     kid_subsets: int = 100, kid_subset_size: int = 1000, k: int = 3, seed: int = 0,
                     warn: bool = True) -> PerClassResult:
    """FID (with its bootstrap interval and bias estimate), KID and precision/recall per class, from features of one extractor.

    A class with fewer than ``k + 1`` real or generated images gets NaN scores
    and a note. ``KID subset`` is the subset size KID used (``kid_subset_size``
    capped by the smaller sample). Where ``n_real`` is below the feature dimension the row's ``note``
    says so, and one warning names those classes (``warn=False``: only the notes).
    """

    real, generated, name = paired_features(real, generated, min_rows=1)
    n_classes = len(class_names)
    real_labels = _labels(real_labels, len(real), n_classes, "real")
    generated_labels = _labels(generated_labels, len(generated), n_classes, "generated")
    with blas_threads_for(real.dim):
        rows, fids, kids, prs, thin = _score_classes(real, real_labels, generated, generated_labels, class_names,
                                                     bootstrap=bootstrap, kid_subsets=kid_subsets,
                                                     kid_subset_size=kid_subset_size, k=k, seed=seed)
    if thin and warn:
        warnings.warn(f"Per-class FID with {name}: fewer held-out real images than its {real.dim} feature "
                      f"dimensions in {', '.join(thin)}; the covariance is rank-deficient there, read KID.",
                      stacklevel=2)
    return PerClassResult(pd.DataFrame(rows), name, fids, kids, prs)


def _score_classes(real, real_labels, generated, generated_labels, class_names, *, bootstrap, kid_subsets,
                   kid_subset_size, k, seed):
    """The rows of :func:`per_class_scores`, the result objects, and the classes with n_real < dim."""
    rows, fids, kids, prs, thin = [], [], [], [], []
    for c, class_name in enumerate(class_names):
        a, b = real.subset(real_labels == c), generated.subset(generated_labels == c)
        row = {"class": c, "name": class_name, "n_real": len(a), "n_generated": len(b)}
        notes, f, q, pr = [], None, None, None
        if min(len(a), len(b)) < max(2, k + 1):
            notes.append("too few images to score")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # one warning for all classes below
                f = fid(a, b, bootstrap=bootstrap, seed=seed + c)
            q = kid(a, b, subsets=kid_subsets, subset_size=kid_subset_size, seed=seed + c)
            pr = precision_recall(a, b, k=k)
            if len(a) < real.dim:
                thin.append(f"{class_name} ({len(a)})")
                notes.append(f"n_real {len(a)} < {real.dim} features: FID covariance rank-deficient, prefer KID")
        nan = float("nan")
        row.update({"FID": f.value if f else nan, "FID low": f.low if f else nan, "FID high": f.high if f else nan,
                    "FID bias": f.bias if f else nan,
                    "KID": q.mean if q else nan, "KID std": q.std if q else nan,
                    "KID subset": q.subset_size if q else 0,
                    "precision": pr.precision if pr else nan, "recall": pr.recall if pr else nan})
        fids.append(f)
        kids.append(q)
        prs.append(pr)
        row["note"] = "; ".join(notes)
        rows.append(row)
    return rows, fids, kids, prs, thin


def add_class_share(result: PerClassResult, classifier, images, labels) -> PerClassResult:
    """Add the column ``share``: per class c, the share of ``images`` labelled c that ``classifier`` calls c.

    The kit's quality check of notebooks 04-06 (chance is 1 / n classes): with
    the real-data classifier (:func:`bagan_lib.metrics.scoring_classifier.for_profile`), a class
    a generator ignores scores near 0 however close its FID or KID is.
    """
    accuracy = real_class_accuracy(classifier, images, labels).set_index("class")["accuracy"]
    result.table["share"] = result.table["class"].map(accuracy).to_numpy()
    return result


def evaluate_generator(generator, extractor, *, real_images, real_labels, class_names, n_per_class: int,
                       seed: int = 0, real_features: Features | None = None, batch_size: int = 1024,
                       share_classifier=None, **score_options) -> PerClassResult:
    """Per-class scores of a trained generator: ``n_per_class`` images of every class against the real ones.

    ``generator``: a GAN trainer (``trainer.images_from_noise``, noise seeded by
    ``seed``) or a function ``labels -> images in [-1, 1]``
    (:func:`bagan_lib.metrics.scoring_classifier.generate_per_class`). ``extractor``: a
    :mod:`~bagan_lib.metrics.extractors` extractor; ``real_features`` (of the
    same extractor) skips extracting the real images again. With
    ``share_classifier`` (a real-data :class:`~bagan_lib.metrics.scoring_classifier.Classifier`)
    the table gets the column ``share`` (:func:`add_class_share`). ``seconds``
    holds the time spent generating, extracting and scoring. Other options go to
    :func:`per_class_scores`.
    """

    times = {}
    start = time.perf_counter()
    images, labels = generate_per_class(generator, len(class_names), n_per_class, seed=seed, batch_size=batch_size)
    times["generate"] = time.perf_counter() - start
    start = time.perf_counter()
    generated = extractor(images)
    if real_features is None:
        real_features = extractor(real_images)
    times["extract"] = time.perf_counter() - start
    start = time.perf_counter()
    result = per_class_scores(real_features, real_labels, generated, labels, class_names=class_names, seed=seed,
                              **score_options)
    if share_classifier is not None:
        add_class_share(result, share_classifier, images, labels)
    times["score"] = time.perf_counter() - start
    result.seconds = {key: round(value, 2) for key, value in times.items()}
    return result
