"""The Classification Accuracy Score (CAS, Ravuri and Vinyals 2019, "Classification Accuracy Score for Conditional
Generative Models").

A classifier is trained *only* on generated images, labelled with the classes
they were generated for, and tested on real held-out images:

    CAS = top-1 accuracy on the real test set,    recall_c = share of the real images of class c called c.

A generator whose class-c images miss the real class (wrong content, or one
mode of it) gives a classifier that fails on real class-c images, however good
its FID; so the per-class recall shows which classes a long-tailed generator
gets wrong. The caller chooses the classifier with a factory (scikit-learn
style: ``fit(x, y)``, ``predict(x)``); by default it is the kit's downstream
CNN (:class:`KitCnn`, the augmentation paper's), imported when it is used (it
needs TensorFlow; this module does not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn import metrics

from bagan_lib.errors import KitError


@dataclass(frozen=True)
class CASResult:
    """Top-1 ``accuracy`` on the real test images, ``recall`` per class (NaN for a class with no test image)."""

    accuracy: float
    recall: tuple
    n_generated: int
    n_test: int
    classifier: str

    @property
    def mean_recall(self) -> float:
        """The mean per-class recall (balanced accuracy) over the classes with test images."""
        return float(np.nanmean(self.recall))


class KitCnn:
    """The kit's downstream CNN (:func:`bagan_lib.experiments.downstream_classifiers.train_cnn`) as a CAS classifier.

    ``fit`` holds out a stratified ``val_fraction`` of the *generated* images
    for early stopping, so the classifier sees no real image before the test.
    """

    def __init__(self, n_classes: int, *, epochs: int = 30, val_fraction: float = 0.1, width: float = 1.0,
                 seed: int = 0):
        self.n_classes, self.epochs, self.val_fraction = n_classes, epochs, val_fraction
        self.width, self.seed = width, seed
        self.model, self.history = None, None

    def fit(self, x, y) -> "KitCnn":
        from bagan_lib.data.imbalance import stratified_split
        from bagan_lib.experiments.downstream_classifiers import train_cnn  # TensorFlow: only when used

        x, y = np.asarray(x, np.float32), np.asarray(y, np.int64)
        train, val = stratified_split(y, val_fraction=self.val_fraction, seed=self.seed)
        self.model, self.history = train_cnn(x[train], y[train], x[val], y[val], n_classes=self.n_classes,
                                             epochs=self.epochs, width=self.width, seed=self.seed)
        return self

    def predict(self, x) -> np.ndarray:
        return np.argmax(self.model.predict(np.asarray(x, np.float32), batch_size=256, verbose=0), axis=1)


def _labels(y, n: int, what: str) -> np.ndarray:
    y = np.asarray(y).reshape(-1) if np.ndim(y) else np.asarray([y])
    if len(y) != n or not np.issubdtype(y.dtype, np.integer) or (n and y.min() < 0):
        raise KitError(f"Need one class index (a whole number >= 0) per {what} image ({n}); got {len(y)} of "
                       f"{y.dtype}.", f"pass the class of every {what} image, in the order of the images.")
    return y.astype(np.int64)


def classification_accuracy_score(x_generated, y_generated, x_real_test, y_real_test, classifier=None, *,
                                  n_classes: int | None = None, seed: int = 0) -> CASResult:
    """CAS: train ``classifier()`` on the generated images, then its accuracy and recall per class on the real ones.

    ``classifier``: a factory called with no arguments that returns an object
    with ``fit(x, y)`` and ``predict(x)`` (labels, or one score per class whose
    largest wins), e.g. ``lambda: make_pipeline(FunctionTransformer(flatten),
    LogisticRegression())``; None: :class:`KitCnn` (images in [-1, 1], seeded by
    ``seed``). ``n_classes``: default the largest label of either set + 1.
    """
    if len(x_generated) == 0 or len(x_real_test) == 0:
        raise KitError("CAS needs generated images to train on and real images to test on.",
                       "generate images of every class, and pass the real held-out (test) images.")
    y_generated = _labels(y_generated, len(x_generated), "generated")
    y_real_test = _labels(y_real_test, len(x_real_test), "real test")
    n_classes = int(max(y_generated.max(), y_real_test.max())) + 1 if n_classes is None else int(n_classes)
    if max(y_generated.max(), y_real_test.max()) >= n_classes:
        raise KitError(f"A label is outside 0..{n_classes - 1}.", "pass n_classes of the dataset, or fix the labels.")
    model = classifier() if classifier is not None else KitCnn(n_classes, seed=seed)
    model.fit(x_generated, y_generated)
    predicted = np.asarray(model.predict(x_real_test))
    if predicted.ndim == 2:
        predicted = predicted.argmax(axis=1)
    if predicted.shape != y_real_test.shape or not np.issubdtype(predicted.dtype, np.integer) \
            or predicted.min() < 0 or predicted.max() >= n_classes:
        raise KitError(f"The classifier's predict gave {predicted.shape} {predicted.dtype} values, not one class in "
                       f"0..{n_classes - 1} per real test image ({len(y_real_test)}).",
                       "make predict return class indices (or one score per class) for every image.")
    recall = metrics.recall_score(y_real_test, predicted, labels=np.arange(n_classes), average=None,
                                  zero_division=np.nan)
    return CASResult(float(metrics.accuracy_score(y_real_test, predicted)), tuple(float(r) for r in recall),
                     len(y_generated), len(y_real_test), type(model).__name__)
