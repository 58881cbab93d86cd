"""The real-data classifier that measures generated samples per class."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bagan_lib import classifier as clf  # noqa: E402
from bagan_lib.errors import KitError  # noqa: E402

NAMES = ("dark", "mid", "light")


def grey_levels(n_per_class, seed, counts=None):
    """Each class a grey level (-0.6, 0, 0.6) plus noise: easy, and imbalanced when ``counts`` says so."""
    rng = np.random.default_rng(seed)
    counts = counts or [n_per_class] * 3
    y = np.concatenate([np.full(n, c) for c, n in enumerate(counts)])
    x = (y[:, None, None, None] - 1) * 0.6 + rng.normal(0, 0.15, (len(y), 32, 32, 1))
    return np.clip(x, -1, 1).astype("float32"), y


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    x, y = grey_levels(0, 0, counts=[300, 30, 120])
    cache = tmp_path_factory.mktemp("cache")
    return clf.train_classifier(x, y, class_names=NAMES, name="grey", seed=0, epochs=3, cache_dir=cache,
                                verbose=False), cache, (x, y)


def test_learns_an_imbalanced_separable_problem(trained):
    model, _, _ = trained
    x, y = grey_levels(50, 1)
    table = clf.class_accuracy(model, x, y)
    assert list(table["n"]) == [50, 50, 50] and (table["accuracy"] > 0.95).all(), table


def test_cache_round_trips_and_a_new_key_retrains(trained):
    model, cache, (x, y) = trained
    again = clf.train_classifier(x, y, class_names=NAMES, name="grey", seed=0, epochs=3, cache_dir=cache, verbose=False)
    assert again.from_cache and not model.from_cache and again.key == model.key
    probe = grey_levels(20, 2)[0]
    np.testing.assert_array_equal(model.model.predict(probe, verbose=0), again.model.predict(probe, verbose=0))
    other = clf.train_classifier(x, y, class_names=NAMES, name="grey", seed=1, epochs=1, cache_dir=cache, verbose=False)
    assert not other.from_cache and other.key != model.key


class ImagesOfClass:
    """A stand-in trainer: 'generates' real test images of the asked class (or of the next class)."""

    latent_dim = 4

    def __init__(self, images, labels, shift=0):
        self.images, self.labels, self.shift = images, labels, shift

    def images_from_noise(self, noise, labels):
        wanted = (np.asarray(labels) + self.shift) % 3
        return np.stack([self.images[np.flatnonzero(self.labels == c)[i % 20]] for i, c in enumerate(wanted)])


def test_generated_accuracy_equals_real_accuracy_for_real_images_and_zero_for_the_wrong_class(trained):
    model, _, _ = trained
    x, y = grey_levels(20, 3)
    real = clf.class_accuracy(model, x, y)
    same = clf.generated_class_accuracy(model, ImagesOfClass(x, y), n_per_class=20)
    np.testing.assert_allclose(same["accuracy"], real["accuracy"])
    shifted = clf.generated_class_accuracy(model, ImagesOfClass(x, y, shift=1), n_per_class=20)
    assert (shifted["accuracy"] < 0.05).all() and list(shifted["mostly mistaken for"]) == ["mid", "light", "dark"]


def test_features_are_the_penultimate_layer(trained):
    model, _, _ = trained
    x = grey_levels(4, 4)[0]
    features = clf.penultimate_features(model, x)
    logits_layer = model.model.get_layer("logits")
    kernel, bias = logits_layer.get_weights()
    np.testing.assert_allclose(features @ kernel + bias, model.model.predict(x, verbose=0), rtol=1e-4, atol=1e-4)


def test_refuses_unscaled_images():
    with pytest.raises(KitError, match=r"in \[-1, 1\]"):
        clf.train_classifier(np.full((4, 32, 32, 1), 255.0), np.arange(4) % 3, class_names=NAMES, name="x")
