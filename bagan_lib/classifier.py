"""A classifier trained on real images: it labels generated samples, so quality is measured per class.

If a generator's samples of class ``c`` are recognisable, a classifier trained
only on *real* images calls most of them ``c``. Per-class accuracy on generated
samples (next to the same classifier's accuracy on held-out real images, the
upper baseline, and chance, ``1 / n``) is the kit's quick, extractor-free quality
check. The same network's penultimate layer (``"features"``) is the ``domain``
feature extractor of the evaluation notebook.

The classifier trains on the dataset's real training images balanced by random
oversampling (:func:`bagan_lib.imbalance.oversample_indices`), in [-1, 1] like the
GANs. Trained weights are cached on disk, keyed by the dataset, the image size,
the seed and a hash of the training data and architecture, so notebooks and runs
share one classifier.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import KitError

ARCHITECTURE = "cnn-v1: conv 32/64/128 (k3, s2) + LeakyReLU, global average pool, Dense 128 'features', Dense n"


def default_cache_dir() -> Path:
    """``$BAGAN_CACHE_DIR`` or ``~/.cache/bagan-kit``."""
    return Path(os.environ.get("BAGAN_CACHE_DIR") or Path.home() / ".cache" / "bagan-kit")


def build_classifier(image_size: int, channels: int, n_classes: int) -> "keras.Model":  # noqa: F821
    """A small CNN: image in [-1, 1] -> class logits; the layer ``features`` feeds the logits."""
    import keras
    from keras import layers

    image = keras.Input((image_size, image_size, channels), name="image")
    h = image
    for i, filters in enumerate((32, 64, 128)):
        h = layers.Conv2D(filters, 3, strides=2, padding="same", name=f"cls_conv{i}")(h)
        h = layers.LeakyReLU(0.2)(h)
    h = layers.GlobalAveragePooling2D()(h)
    features = layers.Dense(128, activation="relu", name="features")(h)
    logits = layers.Dense(n_classes, name="logits")(features)
    return keras.Model(image, logits, name="real_data_classifier")


@dataclass
class Classifier:
    model: object
    class_names: tuple
    key: str
    from_cache: bool

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def predict(self, images, batch_size: int = 256) -> np.ndarray:
        return np.argmax(self.model.predict(np.asarray(images, "float32"), batch_size=batch_size, verbose=0), axis=1)


def _cache_key(x, y, *, name: str, seed: int, epochs: int) -> str:
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(x[:: max(1, len(x) // 512)]).tobytes())  # a stride sample: fast, data-bound
    digest.update(np.ascontiguousarray(y).tobytes())
    digest.update(json.dumps([name, x.shape[1:], len(x), seed, epochs, ARCHITECTURE]).encode())
    return f"{name}-{x.shape[1]}px-seed{seed}-{digest.hexdigest()[:12]}"


def train_classifier(x, y, *, class_names, name: str, seed: int = 0, epochs: int = 6, batch_size: int = 128,
                     cache_dir=None, verbose: bool = True) -> Classifier:
    """Train (or load from the cache) the classifier on real images ``x`` in [-1, 1], balanced by ROS."""
    import keras

    from .checkpoints import model_state, restore_state, save_state
    from .imbalance import oversample_indices

    x, y = np.asarray(x, "float32"), np.asarray(y, "int64")
    if x.ndim != 4 or x.min() < -1.0001 or x.max() > 1.0001:
        raise KitError(f"Classifier images must be (n, h, w, c) in [-1, 1]; got shape {x.shape}, range "
                       f"[{x.min():.2f}, {x.max():.2f}].", "scale them with data.preprocess.prepare_images first.")
    n_classes = len(class_names)
    key = _cache_key(x, y, name=name, seed=seed, epochs=epochs)
    keras.utils.set_random_seed(seed)
    model = build_classifier(x.shape[1], x.shape[3], n_classes)
    path = Path(cache_dir or default_cache_dir()) / "classifiers" / f"{key}.npz"
    if path.is_file():
        restore_state(path, model_state(model))
        if verbose:
            print(f"classifier: loaded {path.name} from the cache", flush=True)
        return Classifier(model, tuple(class_names), key, True)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    balanced = oversample_indices(y, seed=seed)
    history = model.fit(x[balanced], y[balanced], batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True)
    save_state(path, model_state(model), {"key": key, "accuracy": history.history["accuracy"]})
    if verbose:
        print(f"classifier: {epochs} epochs on {len(balanced)} balanced real images, training accuracy "
              f"{history.history['accuracy'][-1]:.3f}; cached as {path.name}", flush=True)
    return Classifier(model, tuple(class_names), key, False)


def penultimate_features(classifier: Classifier, images, batch_size: int = 256) -> np.ndarray:
    """The 128 ``features`` of each image (the ``domain`` extractor of the evaluation notebook)."""
    import keras

    extractor = keras.Model(classifier.model.input, classifier.model.get_layer("features").output)
    return extractor.predict(np.asarray(images, "float32"), batch_size=batch_size, verbose=0)


def class_accuracy(classifier: Classifier, images, labels, *, what: str = "accuracy"):
    """Per class: how many images, the share the classifier calls by their label, and the most common mistake."""
    import pandas as pd

    labels = np.asarray(labels)
    predicted = classifier.predict(images)
    rows = []
    for c, name in enumerate(classifier.class_names):
        mine = predicted[labels == c]
        wrong = mine[mine != c]
        mistaken = classifier.class_names[np.bincount(wrong, minlength=classifier.n_classes).argmax()] if len(wrong) else ""
        rows.append({"class": c, "name": name, "n": int(len(mine)),
                     what: float(np.mean(mine == c)) if len(mine) else float("nan"),
                     "mostly mistaken for": mistaken})
    table = pd.DataFrame(rows)
    table.attrs["chance"] = 1.0 / classifier.n_classes
    return table


def generated_class_accuracy(classifier: Classifier, trainer, *, n_per_class: int, seed: int = 0,
                             batch_size: int = 256):
    """Per-class accuracy of ``n_per_class`` generated images of every class (fixed noise from ``seed``)."""
    import keras

    labels = np.repeat(np.arange(classifier.n_classes), n_per_class).astype("int32")
    noise = keras.random.normal((len(labels), trainer.latent_dim), seed=seed)
    images = np.concatenate([np.asarray(trainer.images_from_noise(noise[i:i + batch_size], labels[i:i + batch_size]))
                             for i in range(0, len(labels), batch_size)])
    return class_accuracy(classifier, images, labels, what="accuracy")


def quality_table(classifier: Classifier, results: dict, *, real_images, real_labels, n_per_class: int,
                  train_counts=None, seed: int = 0):
    """One row per class: training count, real held-out accuracy, and each model's generated accuracy, plus chance."""
    real = class_accuracy(classifier, real_images, real_labels)
    table = real[["class", "name"]].copy()
    if train_counts is not None:
        table["train images"] = np.asarray(train_counts)
    table["real (held out)"] = real["accuracy"].round(3)
    for label, trainer in results.items():
        table[label] = generated_class_accuracy(classifier, trainer, n_per_class=n_per_class, seed=seed)[
            "accuracy"].round(3)
    table["chance"] = round(1.0 / classifier.n_classes, 3)
    return table


# per profile: (real training images per class, images the training sees in all its epochs). A budget in
# images, not epochs, so small datasets get more passes: synthetic_cells (8000 balanced images) trains 15
# epochs and reaches 0.79 / 0.59 held-out accuracy on its minority classes ring / schizont, against 0.15 / 0.37
# after 6 epochs; Fashion-MNIST (20000) trains 6.
BUDGETS = {"smoke": (64, 1_000), "teach": (2000, 120_000), "paper": (None, 600_000)}


def for_profile(dataset: str, profile, *, image_size: int, seed: int = 0, data_dir=None, cache_dir=None,
                verbose: bool = True) -> "ReferenceClassifier":
    """:func:`reference_classifier` with the training budget of ``profile`` (see ``BUDGETS``)."""
    per_class, images_seen = BUDGETS.get(profile.name, BUDGETS["teach"])
    return reference_classifier(dataset, image_size=image_size, seed=seed, max_per_class=per_class,
                                max_test_per_class=None if per_class is None else max(50, per_class // 4),
                                images_seen=images_seen, data_dir=data_dir, cache_dir=cache_dir, verbose=verbose)


@dataclass
class ReferenceClassifier:
    """The classifier of a dataset with the held-out real images it is checked on."""

    classifier: Classifier
    x_test: np.ndarray
    y_test: np.ndarray

    def real_accuracy(self):
        return class_accuracy(self.classifier, self.x_test, self.y_test)


def reference_classifier(dataset: str, *, image_size: int, seed: int = 0, max_per_class: int | None = 2000,
                         max_test_per_class: int | None = 500, images_seen: int = 120_000, data_dir=None,
                         cache_dir=None, verbose: bool = True) -> ReferenceClassifier:
    """The classifier for ``dataset``: trained on its whole real training split (before any imbalance protocol,
    at most ``max_per_class`` per class) for about ``images_seen`` images (3 to 20 epochs), checked on its
    test split."""
    import math

    from .data import load_dataset
    from .data.preprocess import prepare_images
    from .input_pipeline import cap_per_class

    data = load_dataset(dataset, data_dir=data_dir)
    size = 32 if image_size == 28 else image_size
    train = cap_per_class(data.y_train, max_per_class, seed=seed)
    test = cap_per_class(data.y_test, max_test_per_class, seed=seed)
    balanced = len(data.class_names) * int(np.bincount(data.y_train[train]).max())  # after oversampling
    epochs = min(20, max(3, math.ceil(images_seen / balanced)))
    classifier = train_classifier(prepare_images(data.x_train[train], size), data.y_train[train],
                                  class_names=data.class_names, name=data.name, seed=seed, epochs=epochs,
                                  cache_dir=cache_dir, verbose=verbose)
    return ReferenceClassifier(classifier, prepare_images(data.x_test[test], size), np.asarray(data.y_test[test]))
