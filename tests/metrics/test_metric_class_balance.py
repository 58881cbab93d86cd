"""Class balance of generation: KL(p_hat || U) is 0 for uniform classes, log C for one class, scipy's in between."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import entropy

from bagan_lib.errors import KitError
from bagan_lib.metrics.class_balance import class_balance, kl_from_uniform


def test_uniform_counts_give_zero():
    assert kl_from_uniform([250] * 4) == pytest.approx(0, abs=1e-15)
    balance = class_balance(np.repeat(np.arange(10), 7), n_classes=10)
    assert balance.kl == pytest.approx(0, abs=1e-15) and balance.shares == (0.1,) * 10 and balance.n_images == 70


@pytest.mark.parametrize("n_classes", [2, 10, 100])
def test_every_image_one_class_gives_log_c(n_classes):
    balance = class_balance(np.full(500, n_classes - 1), n_classes=n_classes)
    assert balance.kl == pytest.approx(math.log(n_classes), rel=1e-12) and balance.kl == pytest.approx(balance.max_kl)
    assert balance.counts == (0,) * (n_classes - 1) + (500,)


def test_a_hand_made_distribution_equals_the_formula_and_scipy():
    """p = (1/2, 1/4, 1/8, 1/8, 0): sum p log(p C) with 0 log 0 = 0 is (1/2) log(5/2) + (1/4) log(5/4) +
    (1/4) log(5/8)."""
    labels = np.repeat(np.arange(5), [40, 20, 10, 10, 0])
    balance = class_balance(labels, n_classes=5)
    by_hand = 0.5 * math.log(2.5) + 0.25 * math.log(1.25) + 0.25 * math.log(0.625)
    assert balance.kl == pytest.approx(by_hand, rel=1e-12)
    assert balance.kl == pytest.approx(entropy([0.5, 0.25, 0.125, 0.125, 0], [0.2] * 5), rel=1e-12)
    assert balance.kl == pytest.approx(math.log(5) - entropy([0.5, 0.25, 0.125, 0.125]), rel=1e-12)
    assert balance.shares == (0.5, 0.25, 0.125, 0.125, 0.0) and balance.counts == (40, 20, 10, 10, 0)


def test_class_scores_count_as_their_largest_class_and_give_the_number_of_classes():
    scores = np.eye(4)[[0, 0, 1, 1, 1, 1, 2, 2]] * 0.7 + 0.1  # no image of class 3
    balance = class_balance(scores)
    assert balance.counts == (2, 4, 2, 0)
    assert balance.kl == pytest.approx(entropy([2, 4, 2, 0], [1, 1, 1, 1]), rel=1e-12)


@pytest.mark.parametrize("predicted, n_classes, message", [
    ([0, 1, 1], None, "needs n_classes"), ([0, 3], 3, r"one class in 0..2"), ([], 3, "one class"),
    ([0.0, 1.0], 2, "one class"), ([-1, 0], 2, "one class"),
])
def test_class_balance_refuses_what_are_not_class_labels(predicted, n_classes, message):
    with pytest.raises(KitError, match=message):
        class_balance(np.asarray(predicted), n_classes=n_classes)


@pytest.mark.parametrize("counts", [[5], [0, 0, 0], [3, -1], [[1, 2], [3, 4]], [1, float("nan")]])
def test_kl_refuses_what_are_not_counts(counts):
    with pytest.raises(KitError, match="non-negative numbers"):
        kl_from_uniform(counts)
