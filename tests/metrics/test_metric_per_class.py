"""Per-class evaluation: one row per class, n_real reported, small classes flagged, generators scored by class."""

from __future__ import annotations


import numpy as np
import pytest

from bagan_lib.errors import KitError
from bagan_lib.metrics import Features
from feature_samples import labelled_features
from bagan_lib.metrics.per_class import evaluate_generator, held_out_images, per_class_scores

NAMES = ("big", "small", "empty")


def class_features(counts, shift=0.0, dim=6, seed=0):
    return labelled_features(counts, spacing=3.0, dim=dim, shift=shift, seed=seed)


def test_one_row_per_class_with_real_counts_and_notes_where_real_images_are_few():
    real, y_real = class_features([400, 4, 0])
    generated, y_generated = class_features([300, 300, 300], seed=1)
    with pytest.warns(UserWarning, match=r"small \(4\)"):
        result = per_class_scores(real, y_real, generated, y_generated, class_names=NAMES, bootstrap=20,
                                  kid_subsets=5)
    table = result.table
    assert list(table["n_real"]) == [400, 4, 0] and list(table["n_generated"]) == [300] * 3
    assert result.extractor == "toy" and all(f is None or f.extractor == "toy" for f in result.fid)
    big, small, empty = table.to_dict("records")
    assert big["FID"] < 0.2 and big["FID low"] < big["FID high"] < 1 and big["note"] == ""
    assert abs(big["KID"]) < 3 * big["KID std"] + 1e-3 and big["precision"] > 0.8 and big["recall"] > 0.8
    assert "n_real 4 < 6 features" in small["note"] and np.isfinite(small["KID"])
    assert (big["KID subset"], small["KID subset"], empty["KID subset"]) == (300, 4, 0)
    assert empty["note"] == "too few images to score" and np.isnan(empty["FID"])


def test_a_shifted_class_scores_worse_than_a_matching_one():
    real, y_real = class_features([300, 300])
    generated, y_generated = class_features([300, 300], seed=1)
    generated.values[y_generated == 1] += 2.0
    table = per_class_scores(real, y_real, generated, y_generated, class_names=NAMES[:2], bootstrap=0,
                             kid_subsets=5).table
    assert table["FID"][1] > 20 * table["FID"][0] and table["KID"][1] > 20 * abs(table["KID"][0])
    assert table["precision"][1] < 0.5
    with pytest.raises(KitError, match="one label"):
        per_class_scores(real, y_real[:-1], generated, y_generated, class_names=NAMES[:2])


class MeanColour:
    """A stand-in extractor: per-image mean and spread of the pixels."""

    name = "mean-colour"

    def __call__(self, images):
        x = np.asarray(images).reshape(len(images), -1)
        return Features(np.stack([x.mean(1), x.std(1)], 1), self.name)


def test_a_generator_is_scored_class_by_class_against_the_real_images():
    rng = np.random.default_rng(0)
    levels = np.array([-0.5, 0.5])
    real_labels = np.repeat([0, 1], 50)
    real = np.clip(levels[real_labels, None, None, None] + rng.normal(0, 0.1, (100, 8, 8, 1)), -1, 1)
    calls = []

    def generate(labels):  # class 0 right, class 1 drawn at class 0's level
        calls.append(len(labels))
        return np.clip(-0.5 + rng.normal(0, 0.1, (len(labels), 8, 8, 1)), -1, 1)

    result = evaluate_generator(generate, MeanColour(), real_images=real, real_labels=real_labels,
                                class_names=("dark", "light"), n_per_class=40, batch_size=32, bootstrap=10,
                                kid_subsets=5)
    assert calls == [32, 32, 16] and list(result.table["n_generated"]) == [40, 40]
    assert result.table["FID"][1] > 50 * result.table["FID"][0] and set(result.seconds) == {"generate", "extract",
                                                                                           "score"}


def test_held_out_images_are_the_protocols_part_else_the_test_split():
    from bagan_lib.data.imbalance import ProtocolSplit

    x = np.zeros((6, 28, 28, 1), "uint8")
    y = np.array([0, 0, 1, 1, 0, 1])
    with_val = ProtocolSplit("d", "p", ("a", "b"), x, y, x[:2], y[:2], x, y)
    images, labels = held_out_images(with_val, 32)
    assert images.shape == (2, 32, 32, 1) and labels.tolist() == [0, 0] and images.min() == -1
    without = ProtocolSplit("d", "none", ("a", "b"), x, y, x[:0], y[:0], x[:5], y[:5])
    assert held_out_images(without, 32)[1].tolist() == [0, 0, 1, 1, 0]


class _ByBrightness:
    """A stand-in classifier with known answers: an image's class is the round of its mean value times 2."""

    class_names = ("dark", "grey", "light")
    n_classes = 3

    def checked(self, images):
        return np.asarray(images, dtype="float32")

    def predict(self, images):
        return np.clip(np.rint(np.asarray(images).mean(axis=(1, 2, 3)) * 2), 0, 2).astype(int)


def test_the_classifier_share_is_the_fraction_of_each_class_called_that_class():
    # class 0: 3 images, 2 called dark; class 1: 4 images, all called grey; class 2: 2 images, none called light
    means = [0.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0, 0.5]
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2])
    images = np.ones((9, 4, 4, 1), "float32") * np.array(means, "float32")[:, None, None, None]
    real, y_real = class_features([50, 50, 50])
    generated, _ = class_features([3, 4, 2], seed=1)
    result = per_class_scores(real, y_real, generated, labels, class_names=_ByBrightness.class_names,
                              bootstrap=0, kid_subsets=2, warn=False)
    from bagan_lib.metrics.per_class import add_class_share

    add_class_share(result, _ByBrightness(), images, labels)
    np.testing.assert_allclose(result.table["share"], [2 / 3, 1.0, 0.0])
