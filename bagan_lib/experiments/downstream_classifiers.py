"""The downstream classifiers of the two augmentation papers, and the metrics they are judged by.

* :func:`build_cnn`: the small CNN of "On data augmentation using GANs": three
  convolution blocks (3x3 conv + ReLU, 2x2 max pooling, dropout 0.25; 32, 64,
  128 filters), then Dense(128, ReLU) named ``"features"``, dropout 0.5 and the
  class logits. :func:`train_cnn` trains it with Adam(1e-3), batch 64, early
  stopping on the validation loss, best weights kept.
* :class:`CnnSvm`: the CNN-SVM hybrid of "WGAN for imbalanced classification":
  the trained CNN's penultimate ``features``, standardised, feed an RBF SVM
  (scikit-learn's ``SVC``).
* :func:`classification_metrics`: accuracy, macro precision, recall and F1,
  balanced accuracy, per-class recall and top-k accuracy (scikit-learn; none
  for two classes, where the paper reports accuracy alone), and
  :func:`summarize_seeds` their mean and standard deviation over seeds.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
from keras import layers
from sklearn import metrics
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from bagan_lib.errors import KitError


def build_cnn(image_size: int, channels: int, n_classes: int, *, width: float = 1.0):
    """The augmentation paper's CNN: image in [-1, 1] -> class logits."""
    image = keras.Input((image_size, image_size, channels), name="image")
    h = image
    for i, filters in enumerate((32, 64, 128)):
        h = layers.Conv2D(max(4, round(filters * width)), 3, padding="same", activation="relu", name=f"conv{i}")(h)
        h = layers.MaxPooling2D(2, name=f"pool{i}")(h)
        h = layers.Dropout(0.25, name=f"dropout{i}")(h)
    h = layers.Flatten(name="flatten")(h)
    features = layers.Dense(max(4, round(128 * width)), activation="relu", name="features")(h)
    logits = layers.Dense(n_classes, name="logits")(layers.Dropout(0.5, name="dropout_dense")(features))
    return keras.Model(image, logits, name="downstream_cnn")


def train_cnn(x, y, x_val, y_val, *, n_classes: int, epochs: int = 30, batch_size: int = 64, patience: int = 3,
              width: float = 1.0, seed: int = 0):
    """Train :func:`build_cnn` on ``(x, y)``; early stopping on ``(x_val, y_val)``'s loss, best weights kept.

    Returns ``(model, history dict)``. The validation set must come from the
    training distribution's real images, never from the test set.
    """

    if len(x_val) == 0:
        raise KitError("Early stopping needs validation images.", "pass a held-out part of the real training images.")
    keras.utils.set_random_seed(seed)
    model = build_cnn(x.shape[1], x.shape[-1], n_classes, width=width)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    history = model.fit(np.asarray(x, np.float32), np.asarray(y, np.int32), batch_size=batch_size, epochs=epochs,
                        validation_data=(np.asarray(x_val, np.float32), np.asarray(y_val, np.int32)),
                        callbacks=[stop], verbose=0, shuffle=True)
    return model, history.history


def cnn_features(model, images, batch_size: int = 256) -> np.ndarray:
    """The CNN's penultimate ``features`` layer on ``images``."""
    extractor = keras.Model(model.inputs[0], model.get_layer("features").output)
    return np.concatenate([np.asarray(extractor(images[i:i + batch_size], training=False))
                           for i in range(0, len(images), batch_size)])


class CnnSvm:
    """An RBF SVM on a trained CNN's penultimate features (the WGAN paper's hybrid)."""

    def __init__(self, cnn, *, C: float = 1.0, gamma="scale"):
        self.cnn = cnn
        self.svm = make_pipeline(StandardScaler(), SVC(kernel="rbf", C=C, gamma=gamma))

    def fit(self, x, y) -> "CnnSvm":
        self.svm.fit(cnn_features(self.cnn, x), np.asarray(y))
        return self

    def decision_function(self, x) -> np.ndarray:
        """One column of decision values per class, ``(n, n_classes)``, whose argmax is the predicted class."""
        values = self.svm.decision_function(cnn_features(self.cnn, x))
        # a binary SVC gives one value, > 0 for its second class: as two columns, the argmax names the same class
        return np.stack([-values, values], axis=1) if values.ndim == 1 else values

    def predict(self, x) -> np.ndarray:
        return self.svm.predict(cnn_features(self.cnn, x))


def classification_metrics(y_true, scores, *, n_classes: int, top_k: int | None = 2) -> dict:
    """Accuracy, macro precision/recall/F1, balanced accuracy, top-k accuracy and per-class recall.

    ``scores``: (n, n_classes) logits or decision values (the predicted class is their argmax).
    ``top_k``: the k of the top-k column, or None for no such column. "On Data
    Augmentation Using GANs" (section on metrics) reports top-k accuracy for
    Fashion-MNIST and CIFAR-100 and accuracy alone for the two-class
    histopathology set: with k >= n_classes every true class is in the top k,
    so the score is 1.0 whatever the classifier, and a k that large is refused.
    """
    y_true, scores = np.asarray(y_true), np.asarray(scores)
    if scores.shape != (len(y_true), n_classes):
        raise KitError(f"scores have shape {scores.shape}; need ({len(y_true)}, {n_classes}).",
                       "pass one row of class scores per test image.")
    if top_k is not None and not 1 <= top_k < n_classes:
        raise KitError(f"top_k={top_k!r} with {n_classes} classes: top-k needs more than k classes (with "
                       f"k >= {n_classes} every image counts as right).",
                       f"pass top_k=None for {n_classes} classes" + (" (the paper reports accuracy alone for its "
                       "two-class set)" if n_classes == 2 else f", or a k from 1 to {n_classes - 1}") + ".")
    y_pred = scores.argmax(axis=1)
    labels = np.arange(n_classes)
    precision, recall, f1, _ = metrics.precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                                       average="macro", zero_division=0)
    per_class = metrics.recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    out = {"accuracy": metrics.accuracy_score(y_true, y_pred), "macro precision": precision,
           "macro recall": recall, "macro F1": f1, "balanced accuracy": metrics.balanced_accuracy_score(y_true, y_pred)}
    if top_k is not None:  # two classes allow k=1 only: the accuracy (scikit-learn refuses two score columns there)
        out[f"top-{top_k} accuracy"] = (metrics.top_k_accuracy_score(y_true, scores, k=top_k, labels=labels)
                                        if n_classes > 2 else out["accuracy"])
    out.update({f"recall {c}": r for c, r in enumerate(per_class)})
    return {k: float(v) for k, v in out.items()}


def summarize_seeds(rows: list, *, by: str = "training set"):
    """Mean and standard deviation over seeds of every metric, one row per ``by`` value (``"0.812 ± 0.004"``)."""
    frame = pd.DataFrame(rows)
    metrics = [c for c in frame.columns if c not in (by, "seed", "classifier")]
    keys = [k for k in (by, "classifier") if k in frame.columns]
    grouped = frame.groupby(keys, sort=False)[metrics]
    mean, std, n = grouped.mean(), grouped.std(ddof=0), grouped.size()
    table = mean.copy().astype(object)
    for col in metrics:
        table[col] = [f"{m:.3f} ± {s:.3f}" for m, s in zip(mean[col], std[col])]
    table["seeds"] = n
    return table.reset_index()
