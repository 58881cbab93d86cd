"""intra-FID, intra-KID, FID-FS and KID-FS: class means of per_class_scores, against exact answers and
independent computations; the tail rules."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg
from sklearn.metrics.pairwise import polynomial_kernel

from bagan_lib.data.imbalance import long_tail_counts
from bagan_lib.errors import KitError
from bagan_lib.metrics import Features
from bagan_lib.metrics.per_class import per_class_scores
from bagan_lib.metrics.tail import class_mean, fid_fs, intra_fid, intra_kid, kid_fs, tail_classes
from feature_samples import labelled_features

NAMES = ("a", "b", "c", "d")
N = 200  # images per class, real and generated


def scores(real, y_real, generated, y_generated, names=NAMES):
    """per_class_scores with KID's subsets as large as the classes: every subset is the whole class, so KID is
    the full-sample MMD^2_u, reproducible independently."""
    return per_class_scores(real, y_real, generated, y_generated, class_names=names, bootstrap=0, kid_subsets=2,
                            kid_subset_size=10_000, warn=False)


def hand_fid(a, b):
    """FID the textbook way (Heusel et al. 2017): scipy's sqrtm of the covariance product."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * np.real(linalg.sqrtm(s1 @ s2))))


def hand_kid(a, b):
    """MMD^2_u (Gretton et al. 2012, Lemma 6) with scikit-learn's cubic polynomial kernel (x.y / d + 1)^3."""
    kernel = dict(degree=3, gamma=1.0 / a.shape[1], coef0=1)
    kaa, kbb = polynomial_kernel(a, a, **kernel), polynomial_kernel(b, b, **kernel)
    kab = polynomial_kernel(a, b, **kernel)
    m, n = len(a), len(b)
    return ((kaa.sum() - np.trace(kaa)) / (m * (m - 1)) + (kbb.sum() - np.trace(kbb)) / (n * (n - 1))
            - 2 * kab.mean())


@pytest.fixture(scope="module")
def real():
    return labelled_features([N] * 4, spacing=3.0, dim=3)


def test_intra_fid_of_identical_class_features_is_zero(real):
    features, y = real
    result = scores(features, y, features, y)
    mean = intra_fid(result)
    assert mean.value == pytest.approx(0, abs=1e-9) and mean.per_class == pytest.approx((0,) * 4, abs=1e-9)
    assert mean.classes == (0, 1, 2, 3) and mean.score == "FID" and mean.extractor == "toy" and mean.note == ""


def test_intra_fid_and_fid_fs_on_shifted_classes_are_the_mean_squared_shifts(real):
    """Class c's generated features are its real ones moved by c along one axis: same covariance, so FID_c = c^2
    exactly; intra-FID = (0 + 1 + 4 + 9) / 4 = 3.5 and FID-FS over the tail {2, 3} = (4 + 9) / 2 = 6.5."""
    features, y = real
    moved = features.values.copy()
    moved[:, 0] += y
    result = scores(features, y, Features(moved, "toy"), y)
    assert intra_fid(result).per_class == pytest.approx((0, 1, 4, 9), abs=1e-9)
    assert intra_fid(result).value == pytest.approx(3.5, abs=1e-9)
    assert fid_fs(result, [2, 3]).value == pytest.approx(6.5, abs=1e-9)
    assert fid_fs(result, (3, 2)).classes == (2, 3)
    assert fid_fs(result, tail_classes(np.array([5000, 500, 50, 5]), max_count=50)).value == pytest.approx(6.5)


def test_intra_and_few_shot_means_equal_the_hand_means_of_independent_per_class_scores(real):
    """Generated classes drawn afresh, shifted and scaled per class: each class's FID (scipy sqrtm) and KID
    (scikit-learn's kernel) computed here, then averaged by hand."""
    features, y = real
    rng = np.random.default_rng(5)
    generated = (rng.normal(size=features.values.shape) * (1 + 0.3 * y[:, None]) + 3.0 * y[:, None]
                 + 0.5 * y[:, None] ** 2)
    result = scores(features, y, Features(generated, "toy"), y)
    fids = [hand_fid(features.values[y == c], generated[y == c]) for c in range(4)]
    kids = [hand_kid(features.values[y == c], generated[y == c]) for c in range(4)]
    assert intra_fid(result).per_class == pytest.approx(fids, rel=1e-6)
    assert intra_fid(result).value == pytest.approx(sum(fids) / 4, rel=1e-6)
    assert intra_kid(result).value == pytest.approx(sum(kids) / 4, rel=1e-6)
    assert fid_fs(result, [1, 3]).value == pytest.approx((fids[1] + fids[3]) / 2, rel=1e-6)
    assert kid_fs(result, [1, 3]).value == pytest.approx((kids[1] + kids[3]) / 2, rel=1e-6)
    assert kid_fs(result, [0]).value == pytest.approx(kids[0], rel=1e-6)  # only the tail counts
    assert class_mean(result, "KID").value == intra_kid(result).value


def test_an_unscored_class_makes_its_mean_undefined_and_says_which(real):
    features, y = real
    keep = (y != 3) | (np.arange(len(y)) % N < 2)  # class 3 keeps 2 real images: too few to score
    result = scores(features.subset(keep), y[keep], features, y)
    mean = intra_fid(result)
    assert np.isnan(mean.value) and mean.unscored == (3,) and "class 3 not scored" in mean.note
    assert np.isnan(kid_fs(result, [2, 3]).value)
    assert fid_fs(result, [1, 2]).value == pytest.approx(0, abs=1e-9) and fid_fs(result, [1, 2]).note == ""


def test_means_refuse_a_bad_tail_a_bad_score_and_anything_but_a_per_class_result(real):
    features, y = real
    result = scores(features, y, features, y)
    for bad in ([], [4], [-1], [1, 1], [1.0], "23", 3, [True]):
        with pytest.raises(KitError, match="not distinct class indices in 0..3"):
            fid_fs(result, bad)
    with pytest.raises(KitError, match="choose one of FID, KID"):
        class_mean(result, "precision")
    with pytest.raises(KitError, match="result of per_class_scores"):
        intra_fid(result.table["FID"].to_numpy())


CIFAR10_LT = long_tail_counts(5000, 100, 10)  # 5000, 2997, ..., 83, 50


def test_tail_by_max_count_and_by_fraction():
    assert tail_classes(CIFAR10_LT, max_count=150) == (7, 8, 9)
    assert tail_classes(CIFAR10_LT, max_count=50) == (9,)
    assert tail_classes(CIFAR10_LT, fraction=0.3) == (7, 8, 9)
    assert tail_classes(CIFAR10_LT, fraction=0.05) == (9,)  # at least one class
    assert tail_classes(CIFAR10_LT, fraction=1) == tuple(range(10))
    reversed_tail = long_tail_counts(5000, 100, 10, list(range(9, -1, -1)))
    assert tail_classes(reversed_tail, fraction=0.3) == (0, 1, 2)  # by count, not by index
    cifar100_lt = long_tail_counts(500, 100, 100)
    assert tail_classes(cifar100_lt, fraction=0.29) == tuple(range(71, 100))  # 29, not floor(28.999999999999996)


def test_a_fraction_never_splits_tied_classes():
    step = long_tail_counts(5000, 100, 10, step=True)  # five classes of 5000, five of 50
    assert tail_classes(step, fraction=0.3) == (5, 6, 7, 8, 9)
    assert tail_classes(step, fraction=0.5) == tail_classes(step, max_count=50) == (5, 6, 7, 8, 9)
    assert tail_classes(np.array([10, 3, 3, 7]), fraction=0.25) == (1, 2)


@pytest.mark.parametrize("kwargs, message", [
    (dict(), "exactly one rule"), (dict(max_count=20, fraction=0.3), "exactly one rule"),
    (dict(max_count=49), r"No class has at most 49 .*smallest has 50.*raise max_count to at least 50"),
    (dict(max_count=-1), "whole number >= 0"), (dict(max_count=2.5), "whole number >= 0"),
    (dict(fraction=0), r"must be in \(0, 1\]"), (dict(fraction=1.5), r"must be in \(0, 1\]"),
    (dict(fraction=True), r"must be in \(0, 1\]"),
])
def test_tail_rules_refuse_bad_arguments(kwargs, message):
    with pytest.raises(KitError, match=message):
        tail_classes(CIFAR10_LT, **kwargs)


@pytest.mark.parametrize("counts", [[5000], [[1, 2], [3, 4]], [1.5, 2.0], [3, -1]])
def test_tail_rules_refuse_what_are_not_counts(counts):
    with pytest.raises(KitError, match="number of training images of every class"):
        tail_classes(np.array(counts), max_count=10)
