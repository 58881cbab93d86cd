"""The Classification Accuracy Score: exact accuracy and recalls from classifiers whose predictions are known."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.neighbors import NearestCentroid

from bagan_lib.errors import KitError
from bagan_lib.metrics.cas import classification_accuracy_score

# Ten real test images; the stub classifier reads its prediction off each image's first value.
Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
PREDICTED = np.array([0, 0, 0, 1, 1, 1, 0, 2, 0, 0])


class Stub:
    """Remembers what it was trained on; predicts the label written in each image."""

    def fit(self, x, y):
        self.x, self.y = np.array(x), np.array(y)
        return self

    def predict(self, x):
        return np.asarray(x)[:, 0].astype(np.int64)


def test_cas_of_a_stub_classifier_is_its_known_accuracy_and_recalls():
    """Right: 3 of 4 class-0, 2 of 3 class-1, 1 of 3 class-2 images: accuracy 6/10; class 3 has no test image."""
    x_generated, y_generated = np.arange(12.0).reshape(6, 2), np.array([0, 1, 2, 3, 0, 1])
    x_test = np.stack([PREDICTED, np.zeros(10)], axis=1)
    stubs = []
    result = classification_accuracy_score(x_generated, y_generated, x_test, Y_TRUE,
                                           lambda: stubs.append(Stub()) or stubs[-1], n_classes=4)
    assert result.accuracy == pytest.approx(0.6)
    assert result.recall[:3] == pytest.approx((3 / 4, 2 / 3, 1 / 3)) and np.isnan(result.recall[3])
    assert result.mean_recall == pytest.approx((3 / 4 + 2 / 3 + 1 / 3) / 3)
    assert (result.n_generated, result.n_test, result.classifier) == (6, 10, "Stub")
    (stub,) = stubs  # one classifier, trained on the generated images and their labels only
    assert np.array_equal(stub.x, x_generated) and np.array_equal(stub.y, y_generated)


def test_class_scores_count_as_their_largest_class():
    class Scores(Stub):
        def predict(self, x):
            return np.eye(3)[super().predict(x)] * 0.8 + 0.1  # one row of scores per image

    x_test = np.stack([PREDICTED, np.zeros(10)], axis=1)
    result = classification_accuracy_score(np.zeros((3, 2)), [0, 1, 2], x_test, Y_TRUE, Scores)
    assert result.accuracy == pytest.approx(0.6) and len(result.recall) == 3


def test_a_generator_that_swaps_two_classes_gets_zero_recall_on_both():
    """Well-separated real classes; the generator draws class 1 where class 2 belongs and back. A nearest-centroid
    classifier trained on its images calls every real class-1 image 2 and every class-2 image 1."""
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [20, 0], [0, 20], [20, 20]], float)
    y_real = np.repeat(np.arange(4), 25)
    x_real = centres[y_real] + rng.normal(size=(100, 2))
    y_generated = np.repeat(np.arange(4), 50)
    good = centres[y_generated] + rng.normal(size=(200, 2))
    result = classification_accuracy_score(good, y_generated, x_real, y_real, NearestCentroid)
    assert result.accuracy == 1.0 and result.recall == (1.0,) * 4
    swapped = centres[np.array([0, 2, 1, 3])[y_generated]] + rng.normal(size=(200, 2))
    result = classification_accuracy_score(swapped, y_generated, x_real, y_real, NearestCentroid)
    assert result.accuracy == 0.5 and result.recall == (1.0, 0.0, 0.0, 1.0)


@pytest.mark.parametrize("args, message", [
    ((np.zeros((0, 2)), [], np.zeros((2, 2)), [0, 1]), "needs generated images"),
    ((np.zeros((3, 2)), [0, 1], np.zeros((2, 2)), [0, 1]), r"one class index .* per generated image \(3\); got 2"),
    ((np.zeros((2, 2)), [0, 1], np.zeros((2, 2)), [0.0, 1.0]), "per real test image"),
    ((np.zeros((2, 2)), [0, 5], np.zeros((2, 2)), [0, 1]), r"outside 0..2"),
])
def test_cas_refuses_bad_labels(args, message):
    with pytest.raises(KitError, match=message):
        classification_accuracy_score(*args, Stub, n_classes=3)


def test_cas_refuses_predictions_that_are_not_classes():
    class Wrong(Stub):
        def predict(self, x):
            return np.full(len(x), 7)

    with pytest.raises(KitError, match="not one class in 0..1 per real test image"):
        classification_accuracy_score(np.zeros((2, 2)), [0, 1], np.zeros((2, 2)), [0, 1], Wrong)


def test_the_cas_module_does_not_import_tensorflow():
    check = ("import sys, bagan_lib.metrics.cas, bagan_lib.metrics.tail, bagan_lib.metrics.class_balance; "
             "sys.exit(1 if {'tensorflow', 'keras'} & set(sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", check]).returncode == 0


def test_the_default_classifier_is_the_kits_cnn_trained_on_generated_images_only():
    """By default CAS trains the augmentation paper's CNN (imported when used), early-stopped on a stratified tenth
    of the generated images; images near -0.8 and +0.8 it tells apart on real ones."""
    rng = np.random.default_rng(0)
    y_generated = np.repeat([0, 1], 40)
    x_generated = (np.where(y_generated == 0, -0.8, 0.8)[:, None, None, None]
                   + rng.normal(0, 0.05, (80, 8, 8, 1))).astype(np.float32)
    y_real = np.array([0, 1, 1, 0, 1])
    x_real = np.where(y_real == 0, -0.8, 0.8)[:, None, None, None] * np.ones((5, 8, 8, 1), np.float32)
    result = classification_accuracy_score(x_generated, y_generated, x_real, y_real, seed=1)
    assert result.classifier == "KitCnn" and result.accuracy == 1.0 and result.recall == (1.0, 1.0)
