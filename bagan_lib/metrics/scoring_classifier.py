"""A classifier trained on real images: it labels generated samples, so quality is measured per class.

If a generator's samples of class ``c`` are recognisable, a classifier trained
only on *real* images calls most of them ``c``. Per-class accuracy on generated
samples, next to the same classifier's accuracy on held-out real images (the
upper baseline) and chance (``1 / n``), is the kit's quick, extractor-free
quality check (:func:`generated_class_accuracy`, :func:`quality_table`). The
same network's penultimate layer (``"features"``) is the ``domain`` feature
extractor for FID (:func:`penultimate_features`).

The classifier sees images exactly as the GANs do: float32 in [-1, 1], prepared
by :func:`bagan_lib.data.preprocess.prepare_images` (``uint8`` input is prepared
here). It trains on the real training images balanced by random oversampling
(:func:`bagan_lib.data.imbalance.oversample_indices`), so the minority classes are
not simply out-voted. Trained weights are cached on disk (atomically, see
:mod:`bagan_lib.runtime.checkpoints`), keyed by the dataset name, image size, seed, and a
hash of the training images, labels, training settings and architecture: a
second call with the same inputs loads instead of training; any change trains afresh.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from keras import layers

from bagan_lib.data import load_dataset
from bagan_lib.data.batches import cap_per_class
from bagan_lib.data.custom import require_test_split
from bagan_lib.data.imbalance import oversample_indices
from bagan_lib.data.preprocess import prepare_images
from bagan_lib.errors import KitError
from bagan_lib.gan.sampling import generate_per_class
from bagan_lib.runtime.checkpoints import model_state, restore_state, save_state

BASE_FILTERS = (32, 64, 128)
BASE_FEATURES = 128


def default_cache_dir() -> Path:
    """``$BAGAN_CACHE_DIR`` or ``~/.cache/bagan-kit``."""
    return Path(os.environ.get("BAGAN_CACHE_DIR") or Path.home() / ".cache" / "bagan-kit")


def build_classifier(image_size: int, channels: int, n_classes: int, *, width: float = 1.0):
    """A small CNN: image in [-1, 1] -> class logits.

    Conv blocks (kernel 3, stride 2, LeakyReLU 0.2; 32, 64, then 128 filters,
    times ``width``) until the maps are about 4x4 (3 blocks at 32x32, 4 at 64x64),
    flattened, the penultimate Dense layer named ``"features"`` (128 times
    ``width``, ReLU), and a Dense ``"logits"`` layer. Flattening keeps where
    things are: on Fashion-MNIST at 32x32 it reaches 0.88 held-out accuracy
    after 6 epochs, global average pooling 0.81.
    """
    if width <= 0 or image_size < 4:
        raise KitError(f"width={width!r}, image_size={image_size!r}: need width > 0 and images of 4x4 or more.",
                       "pass e.g. width=1.0 (or 0.5 for a faster one) and the GAN's image size.")
    image = keras.Input((image_size, image_size, channels), name="image")
    h = image
    for i in range(max(1, math.ceil(math.log2(image_size / 4)))):
        filters = BASE_FILTERS[min(i, len(BASE_FILTERS) - 1)]
        h = layers.Conv2D(max(4, round(filters * width)), 3, strides=2, padding="same", name=f"cls_conv{i}")(h)
        h = layers.LeakyReLU(0.2, name=f"cls_lrelu{i}")(h)
    h = layers.Flatten(name="cls_flatten")(h)
    # the features (FID's) and logits in float32 under a mixed policy too; the conv stack computes in its dtype
    features = layers.Dense(max(4, round(BASE_FEATURES * width)), activation="relu", dtype="float32",
                            name="features")(h)
    logits = layers.Dense(n_classes, dtype="float32", name="logits")(features)
    return keras.Model(image, logits, name="real_data_classifier")


def classifier_images(x, image_size: int | None = None, channels: int | None = None) -> np.ndarray:
    """Images as the classifier (and the GANs) take them: float32 (n, h, w, c) in [-1, 1].

    ``uint8`` images are resized to ``image_size`` and scaled by ``prepare_images``;
    float images must already be in [-1, 1] (at ``image_size``, if given).
    """
    x = np.asarray(x)
    if x.dtype == np.uint8:
        return prepare_images(x, image_size or x.shape[1], channels)
    x = x.astype("float32", copy=False)
    if x.ndim != 4 or x.size == 0 or not np.isfinite(x).all() or x.min() < -1.0001 or x.max() > 1.0001:
        raise KitError(f"Classifier images must be finite (n, h, w, c) floats in [-1, 1]; got shape {x.shape}"
                       + (f", range [{x.min():.2f}, {x.max():.2f}]." if x.size and np.isfinite(x).all() else "."),
                       "pass uint8 images, or scale them with data.preprocess.prepare_images first.")
    if image_size is not None and x.shape[1:3] != (image_size, image_size):
        raise KitError(f"The images are {x.shape[1]}x{x.shape[2]}, not {image_size}x{image_size}.",
                       "prepare them at the classifier's size (prepare_images(x_uint8, image_size)).")
    return x


@dataclass
class Classifier:
    """A trained real-data classifier and where it came from."""

    model: object
    class_names: tuple
    key: str
    from_cache: bool
    train_counts: np.ndarray            # images per class it trained on, after oversampling
    validation: object = None           # real_class_accuracy on the validation images, if given
    _extractor: object = field(default=None, repr=False)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple:
        return tuple(self.model.input_shape[1:])

    def checked(self, images) -> np.ndarray:
        """``images`` as float32 in [-1, 1], of the shape the classifier was trained on (else a KitError)."""
        x = classifier_images(images)
        if x.shape[1:] != self.image_shape:
            raise KitError(f"Images of shape {x.shape[1:]} do not fit this classifier ({self.image_shape}).",
                           "classify images of the size and channels it was trained on (the GAN's).")
        return x

    def predict(self, images, batch_size: int = 256) -> np.ndarray:
        """The predicted class of every image."""
        logits = self.model.predict(self.checked(images), batch_size=batch_size, verbose=0)
        return np.argmax(logits, axis=1)


def architecture_summary(model) -> list:
    """Each layer's type and settings (names aside, which Keras numbers per process): what the cache key hashes."""
    return [[type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"}]
            for layer in model.layers]


def classifier_key(x, y, *, name: str, seed: int, settings: dict, model) -> str:
    """``<name>-<size>px-seed<seed>-<hash>``: the hash covers every image, the labels, ``settings`` and the
    architecture, so a cached classifier is only reused for exactly the same training."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(x).tobytes())
    digest.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    digest.update(json.dumps([list(x.shape), settings, architecture_summary(model)], sort_keys=True,
                             default=str).encode())
    return f"{name}-{x.shape[1]}px-seed{seed}-{digest.hexdigest()[:16]}"


def _check_labels(y, n: int, n_classes: int) -> np.ndarray:
    y = np.asarray(y).reshape(-1)
    if len(y) != n or not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_classes:
        raise KitError(f"Need {n} integer labels in 0..{n_classes - 1}; got {len(y)} of dtype {y.dtype}.",
                       "pass one class index per image, e.g. dataset.y_train.")
    return y.astype("int64")


def train_classifier(x, y, *, class_names, name: str, image_size: int | None = None, seed: int = 0,
                     epochs: int = 6, batch_size: int = 128, width: float = 1.0, cache_dir=None,
                     x_val=None, y_val=None, verbose: bool = True) -> Classifier:
    """Train the classifier on real images ``x`` (uint8, or floats in [-1, 1]) balanced by oversampling, or load it.

    ``name`` is the dataset's name (part of the cache key). ``cache_dir=None``
    uses :func:`default_cache_dir`; the weights go to
    ``<cache_dir>/classifiers/<key>.npz``. With ``x_val, y_val`` (held-out real
    images), ``.validation`` holds the per-class accuracy on them (and it is printed).
    Training is seeded: the same inputs train the same weights on CPU.
    """


    x = classifier_images(x, image_size)
    n_classes = len(class_names)
    y = _check_labels(y, len(x), n_classes)
    if epochs < 1 or batch_size < 1:
        raise KitError(f"epochs={epochs}, batch_size={batch_size}: both must be at least 1.",
                       "pass e.g. epochs=6, batch_size=128.")
    keras.utils.set_random_seed(seed)
    model = build_classifier(x.shape[1], x.shape[3], n_classes, width=width)
    settings = {"seed": seed, "epochs": epochs, "batch_size": batch_size, "classes": list(class_names),
                "optimizer": "adam-1e-3", "balancing": "oversample_indices"}
    key = classifier_key(x, y, name=name, seed=seed, settings=settings, model=model)
    path = Path(cache_dir or default_cache_dir()) / "classifiers" / f"{key}.npz"
    say = print if verbose else (lambda *a, **k: None)
    meta = None
    if path.is_file():
        try:
            meta = restore_state(path, model_state(model))
            say(f"classifier: loaded {path.name} from the cache", flush=True)
        except KitError as error:  # another Keras version's names, or a foreign file: train again, overwrite
            say(f"classifier: {error.problem} Training again.", flush=True)
    loaded = meta is not None
    if not loaded:
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        balanced = oversample_indices(y, seed=seed)
        history = model.fit(x[balanced], y[balanced], batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True)
        meta = {"key": key, "accuracy": history.history["accuracy"],
                "train_counts": np.bincount(y[balanced], minlength=n_classes).tolist()}
        save_state(path, model_state(model), meta)
        say(f"classifier: {epochs} epochs on {len(balanced)} real images balanced by oversampling "
            f"({meta['train_counts'][0]} per class), training accuracy {meta['accuracy'][-1]:.3f}; "
            f"cached as {path}", flush=True)
    result = Classifier(model, tuple(class_names), key, from_cache=loaded,
                        train_counts=np.asarray(meta["train_counts"]))
    if x_val is not None:
        result.validation = real_class_accuracy(result, classifier_images(x_val, x.shape[1]), y_val)
        say("classifier: held-out accuracy per class: " + ", ".join(
            f"{row['name']} {row['accuracy']:.2f}" for _, row in result.validation.iterrows()), flush=True)
    return result


def penultimate_features(classifier: Classifier, images, batch_size: int = 256) -> np.ndarray:
    """The ``features`` layer's output for every image (the ``domain`` feature extractor for FID)."""
    if classifier._extractor is None:
        model = classifier.model
        classifier._extractor = keras.Model(model.inputs, model.get_layer("features").output)
    return classifier._extractor.predict(classifier.checked(images), batch_size=batch_size, verbose=0)


def _accuracy_table(classifier: Classifier, images, labels, real_counts=None):
    """Per class: images, the share called by their own class, chance, and the most common mistake."""
    labels = _check_labels(labels, len(images), classifier.n_classes)
    predicted = classifier.predict(images)
    names, n = classifier.class_names, classifier.n_classes
    rows = []
    for c, name in enumerate(names):
        mine = predicted[labels == c]
        mistakes = np.bincount(mine[mine != c], minlength=n)
        row = {"class": c, "name": name}
        if real_counts is not None:
            row["train images"] = int(real_counts[c])
        row.update({"n": int(len(mine)), "accuracy": float(np.mean(mine == c)) if len(mine) else float("nan"),
                    "chance": 1.0 / n,
                    "mostly mistaken for": names[mistakes.argmax()] if mistakes.sum() else "",
                    "mistaken share": float(mistakes.max() / len(mine)) if len(mine) else 0.0})
        rows.append(row)
    return pd.DataFrame(rows)


def real_class_accuracy(classifier: Classifier, images, labels, *, real_counts=None):
    """Per-class accuracy on held-out real images: the upper baseline for generated ones.

    A table (pandas) with one row per class: ``class``, ``name``, ``train images``
    (if ``real_counts``, the GAN's training count per class), ``n``, ``accuracy``,
    ``chance`` (1/n), ``mostly mistaken for`` (the wrong class the misclassified
    images were most often given, "" if none) and ``mistaken share`` (the share of
    the class's images given that class).
    """
    return _accuracy_table(classifier, classifier.checked(images), labels, real_counts)


def generated_class_accuracy(classifier: Classifier, generator, *, n_per_class: int, seed: int = 0,
                             real_counts=None, batch_size: int = 256):
    """Per-class accuracy of the classifier on ``n_per_class`` generated images of every class.

    ``generator``: a function ``labels -> images in [-1, 1]``, or a trained GAN
    trainer (then :func:`bagan_lib.gan.sampling.trainer_generate_fn` with ``seed`` makes the images).
    It is called in batches of ``batch_size`` labels. Returns the table of
    :func:`real_class_accuracy` for the generated images.
    """
    images, labels = generate_per_class(generator, classifier.n_classes, n_per_class, seed=seed,
                                        batch_size=batch_size)
    return real_class_accuracy(classifier, images, labels, real_counts=real_counts)


def quality_table(classifier: Classifier, results: dict, *, real_images, real_labels, n_per_class: int,
                  train_counts=None, seed: int = 0):
    """One row per class: training count, held-out real accuracy, each generator's accuracy, chance.

    ``results``: label -> trainer or ``labels -> images`` function (e.g.
    ``{"BAGAN": bagan.trainer, "BAGAN-GP v3": v3.trainer}``). Accuracies are rounded to 3 digits.
    """
    real = real_class_accuracy(classifier, real_images, real_labels)
    table = real[["class", "name"]].copy()
    if train_counts is not None:
        table["train images"] = np.asarray(train_counts)
    table["real (held out)"] = real["accuracy"].round(3)
    for label, generator in results.items():
        table[label] = generated_class_accuracy(classifier, generator, n_per_class=n_per_class, seed=seed)[
            "accuracy"].round(3)
    table["chance"] = round(1.0 / classifier.n_classes, 3)
    return table


# per profile: (real training images per class, epochs); smoke only checks that the code runs
BUDGETS = {"smoke": (64, 2), "teach": (2000, 6), "paper": (None, 10)}


@dataclass
class ReferenceClassifier:
    """The classifier of a dataset with the held-out real images it is checked on."""

    classifier: Classifier
    x_test: np.ndarray
    y_test: np.ndarray

    def real_accuracy(self, real_counts=None):
        return real_class_accuracy(self.classifier, self.x_test, self.y_test, real_counts=real_counts)


def reference_classifier(dataset: str, *, image_size: int, seed: int = 0, max_per_class: int | None = 2000,
                         max_test_per_class: int | None = 500, epochs: int = 6, data_dir=None, cache_dir=None,
                         verbose: bool = True) -> ReferenceClassifier:
    """The classifier for ``dataset``: trained on its real training split *before* any imbalance protocol
    (at most ``max_per_class`` per class), checked on its test split (at most ``max_test_per_class`` per class).
    28x28 data is resized to 32x32, as for the GANs."""

    data = load_dataset(dataset, data_dir=data_dir)
    require_test_split(data.name, len(data.y_test), "the reference classifier")
    size = 32 if image_size == 28 else image_size
    train = cap_per_class(data.y_train, max_per_class, seed=seed)
    test = cap_per_class(data.y_test, max_test_per_class, seed=seed)
    x_test = classifier_images(data.x_test[test], size)
    classifier = train_classifier(data.x_train[train], data.y_train[train], class_names=data.class_names,
                                  name=data.name, image_size=size, seed=seed, epochs=epochs, cache_dir=cache_dir,
                                  x_val=x_test, y_val=data.y_test[test], verbose=verbose)
    return ReferenceClassifier(classifier, x_test, np.asarray(data.y_test[test]))


def for_profile(dataset: str, profile, *, image_size: int, seed: int = 0, data_dir=None, cache_dir=None,
                verbose: bool = True) -> ReferenceClassifier:
    """:func:`reference_classifier` with the training budget of ``profile`` (see ``BUDGETS``)."""
    per_class, epochs = BUDGETS.get(profile.name, BUDGETS["teach"])
    return reference_classifier(dataset, image_size=image_size, seed=seed, max_per_class=per_class,
                                max_test_per_class=None if per_class is None else max(50, per_class // 4),
                                epochs=epochs, data_dir=data_dir, cache_dir=cache_dir, verbose=verbose)
