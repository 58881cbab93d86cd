"""Training sets for the downstream classifier (notebook 09): what is added to an imbalanced set, and how much.

=================  ==========================================================================
mode               the training set
=================  ==========================================================================
``imbalanced``     the imbalanced images as they are (nothing added)
``transforms``     plus image-transform copies (Keras preprocessing layers: rotation,
                   translation, zoom, and a horizontal flip where the data allows it) of each
                   minority class's own images, up to the majority's count
``generated``      plus images of a trained conditional generator, each minority class topped
                   up to the majority's count (the labels are the ones it was conditioned on)
``balanced``       the balanced original (the upper reference), passed in by the caller
=================  ==========================================================================

The test set never passes through here: it is neither augmented nor resampled.
Every added image is recorded in ``source`` ("real", "transform", "generated").
Images are float32 in [-1, 1]; transforms fill uncovered pixels with -1 (the
black background), not by reflection, which would invent structure.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from bagan_lib.errors import KitError
from bagan_lib.gan.sampling import generate_for_labels

MODES = ("imbalanced", "transforms", "generated", "balanced")


@dataclass
class AugmentedSet:
    """A classifier's training set: images, labels, and where each image came from."""

    mode: str
    x: np.ndarray
    y: np.ndarray
    source: np.ndarray   # "real", "transform" or "generated", per image
    label: str | None = None   # the name results are reported under (default: the mode)

    @property
    def name(self) -> str:
        return self.label or self.mode

    def counts(self, n_classes: int) -> np.ndarray:
        return np.bincount(self.y, minlength=n_classes)

    def added(self, n_classes: int) -> np.ndarray:
        """Images added per class (not real)."""
        return np.bincount(self.y[self.source != "real"], minlength=n_classes)


def top_up_counts(y, n_classes: int, target: int | None = None) -> np.ndarray:
    """Images to add per class so every class has ``target`` (default: the largest class's count)."""
    counts = np.bincount(np.asarray(y), minlength=n_classes)
    target = int(counts.max()) if target is None else int(target)
    if target < counts.max():
        raise KitError(f"target={target} is below the largest class's {counts.max()} images.",
                       "leave target=None (the majority's count) or pass a larger one.")
    return target - counts


def transform_layers(*, flip: bool, seed: int = 0):
    """Rotation (+-18 degrees), translation (+-10 %), zoom (+-10 %), and a horizontal flip if ``flip``."""
    fill = dict(fill_mode="constant", fill_value=-1.0)
    parts = [layers.RandomRotation(0.05, seed=seed, **fill), layers.RandomTranslation(0.1, 0.1, seed=seed + 1, **fill),
             layers.RandomZoom(0.1, seed=seed + 2, **fill)]
    if flip:
        parts.append(layers.RandomFlip("horizontal", seed=seed + 3))
    return keras.Sequential(parts, name="image_transforms")


def transformed_copies(x, y, counts, *, flip: bool, seed: int = 0, batch_size: int = 256):
    """``counts[c]`` transformed copies of randomly drawn images of class ``c``: ``(images, labels)``."""
    rng = np.random.default_rng(seed)
    y = np.asarray(y)
    picks, labels = [], []
    for c, n in enumerate(counts):
        if n > 0:
            members = np.flatnonzero(y == c)
            if len(members) == 0:
                raise KitError(f"Class {c} has no image to transform.", "use a protocol that keeps every class.")
            picks.append(rng.choice(members, n, replace=True))
            labels.append(np.full(n, c, np.int32))
    if not picks:
        return np.zeros((0,) + x.shape[1:], np.float32), np.zeros(0, np.int32)
    picks = np.concatenate(picks)
    transform = transform_layers(flip=flip, seed=seed)
    out = [np.asarray(transform(x[picks[i:i + batch_size]], training=True)) for i in range(0, len(picks), batch_size)]
    return np.clip(np.concatenate(out), -1.0, 1.0).astype(np.float32), np.concatenate(labels)


def generated_top_up(generator, counts, *, seed: int = 0, batch_size: int = 256):
    """``counts[c]`` images of class ``c`` from ``generator`` (a trainer or a ``labels -> images`` function)."""
    labels = np.repeat(np.arange(len(counts)), counts).astype(np.int32)
    if len(labels) == 0:
        return np.zeros((0,), np.float32), labels
    images = generate_for_labels(generator, labels, seed=seed, batch_size=batch_size)
    return np.clip(images, -1.0, 1.0).astype(np.float32), labels


def build_training_set(mode: str, x, y, n_classes: int, *, generator=None, balanced=None, flip: bool = False,
                       seed: int = 0) -> AugmentedSet:
    """The training set of ``mode`` (see the module docstring) from the imbalanced ``(x, y)``.

    ``generator`` is needed for ``generated``, ``balanced=(x_bal, y_bal)`` for
    ``balanced``; ``flip`` allows horizontal flips (not for digits).
    """
    if mode not in MODES:
        raise KitError(f"mode={mode!r} is not a training set.", f"choose one of {', '.join(MODES)}.")
    x, y = np.asarray(x, np.float32), np.asarray(y, np.int32)
    if mode == "balanced":
        if balanced is None:
            raise KitError("The balanced reference needs the balanced original images.",
                           "pass balanced=(x_balanced, y_balanced).")
        xb, yb = (np.asarray(a) for a in balanced)
        return AugmentedSet(mode, xb.astype(np.float32), yb.astype(np.int32), np.full(len(yb), "real", object))
    real = np.full(len(y), "real", object)
    if mode == "imbalanced":
        return AugmentedSet(mode, x, y, real)
    counts = top_up_counts(y, n_classes)
    if mode == "transforms":
        x_new, y_new = transformed_copies(x, y, counts, flip=flip, seed=seed)
        kind = "transform"
    else:
        if generator is None:
            raise KitError("The generated set needs a trained conditional generator.",
                           "pass generator=<a trained trainer> (e.g. run.trainer from train_model).")
        x_new, y_new = generated_top_up(generator, counts, seed=seed)
        kind = "generated"
    if len(y_new) == 0:  # already balanced: nothing to add
        x_new = np.zeros((0,) + x.shape[1:], np.float32)
    return AugmentedSet(mode, np.concatenate([x, x_new]), np.concatenate([y, y_new]),
                        np.concatenate([real, np.full(len(y_new), kind, object)]))
