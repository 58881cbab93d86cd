"""The evaluation metrics against their mathematics: closed forms, direct computations, limiting cases."""

from __future__ import annotations


import numpy as np
import pytest
import scipy.linalg

from bagan_lib.errors import KitError
from bagan_lib.metrics import (
    Features, fid, frechet_distance, gaussian_stats, inception_score, kid, mmd2_unbiased, precision_recall,
    same_extractor, ssim_score)


def random_covariance(rng, d, rank=None):
    a = rng.normal(size=(d, rank or d))
    return a @ a.T / (rank or d)


# --- Frechet distance and FID -----------------------------------------------------------------------------------

def test_equal_covariances_leave_the_squared_mean_distance():
    rng = np.random.default_rng(0)
    mu1, mu2, sigma = rng.normal(size=6), rng.normal(size=6), random_covariance(rng, 6)
    assert frechet_distance(mu1, sigma, mu2, sigma) == pytest.approx(np.sum((mu1 - mu2) ** 2), rel=1e-9, abs=1e-9)


def test_diagonal_covariances_give_the_sum_of_squared_root_differences():
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    s1, s2 = rng.uniform(0.1, 3, 5), rng.uniform(0.1, 3, 5)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(s1) - np.sqrt(s2)) ** 2)
    assert frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected, rel=1e-10)


def test_full_covariances_match_the_sqrtm_formula_and_are_symmetric():
    rng = np.random.default_rng(2)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    s1, s2 = random_covariance(rng, 8), random_covariance(rng, 8)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(frechet_distance(mu2, s2, mu1, s1), rel=1e-10)


def test_rank_deficient_covariances_stay_finite_and_non_negative():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(10, 64)), rng.normal(size=(12, 64))   # n < d: both covariances singular
    for x, y in ((a, b), (a, a), (b, a)):
        value = frechet_distance(*gaussian_stats(x), *gaussian_stats(y))
        assert np.isfinite(value) and value >= 0
    assert frechet_distance(*gaussian_stats(a), *gaussian_stats(a)) == pytest.approx(0, abs=1e-8)
    # a rank-one case by hand: N(0, u u^T) against itself shifted by v
    u, v = np.array([1.0, 2.0, 0.0]), np.array([0.0, 0.0, 3.0])
    assert frechet_distance(np.zeros(3), np.outer(u, u), v, np.outer(u, u)) == pytest.approx(9.0, abs=1e-9)


def test_refuses_mismatched_shapes_and_non_symmetric_covariances():
    with pytest.raises(KitError, match="different dimensions"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(KitError, match="do not fit"):
        frechet_distance(np.zeros(3), np.eye(4), np.zeros(3), np.eye(3))
    with pytest.raises(KitError, match="not symmetric"):
        frechet_distance(np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]), np.zeros(2), np.eye(2))


def test_fid_of_a_sample_against_itself_is_zero_symmetric_and_named():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(300, 8)), rng.normal(1.0, 1.0, size=(300, 8))
    same = fid(x, x, bootstrap=0)
    assert same.value == pytest.approx(0, abs=1e-9) and same.extractor == "raw"
    ab, ba = fid(x, y, bootstrap=50, seed=1), fid(y, x, bootstrap=0)
    assert ab.value == pytest.approx(ba.value, rel=1e-9) and ab.value == pytest.approx(8.0, rel=0.25)
    assert ab.low < ab.value < ab.high and ab.bootstrap == 50 and (ab.n_real, ab.dim) == (300, 8)
    assert fid(x, y, bootstrap=50, seed=1) == ab  # seeded


def test_fids_bootstrap_interval_corrects_the_small_sample_bias():
    rng = np.random.default_rng(14)
    a, b = rng.normal(size=(60, 8)), rng.normal(size=(60, 8))   # one distribution: the true FID is 0
    same = fid(a, b, bootstrap=200, seed=0)
    assert same.value > 0.1 and same.bias > 0.5 * same.value and same.low == 0.0 < same.high
    far = fid(a, b + 2.0, bootstrap=200, seed=0)   # true FID 32
    assert far.low < far.value < far.high and 0 < far.bias < 0.1 * far.value
    unbooted = fid(a, b, bootstrap=0)  # no interval at all (issue 18, defect 10): NaN, not [value, value]
    assert unbooted.bias == 0 and np.isnan(unbooted.low) and np.isnan(unbooted.high)


def test_fid_warns_when_there_are_fewer_images_than_dimensions():
    rng = np.random.default_rng(5)
    with pytest.warns(UserWarning, match="rank-deficient"):
        result = fid(rng.normal(size=(20, 32)), rng.normal(size=(200, 32)), bootstrap=5)
    assert "20 images < 32" in result.note and np.isfinite(result.value)


def test_results_of_different_extractors_are_refused():
    rng = np.random.default_rng(6)
    a, b = Features(rng.normal(size=(20, 4)), "domain:x"), Features(rng.normal(size=(20, 4)), "inception-299")
    for score in (fid, kid, precision_recall):
        with pytest.raises(KitError, match="different feature extractors"):
            score(a, b)
    assert fid(a, a, bootstrap=0).extractor == "domain:x"
    with pytest.raises(KitError, match="not comparable"):
        same_extractor(fid(a, a, bootstrap=0), fid(b, b, bootstrap=0))


# --- KID -------------------------------------------------------------------------------------------------------

def test_unbiased_mmd_matches_a_direct_double_sum():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(5, 3)), rng.normal(0.5, 1, size=(7, 3))
    k = lambda a, b: (a @ b / 3 + 1) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(5) for j in range(5) if i != j) / (5 * 4)
    yy = sum(k(y[i], y[j]) for i in range(7) for j in range(7) if i != j) / (7 * 6)
    xy = sum(k(x[i], y[j]) for i in range(5) for j in range(7)) / (5 * 7)
    assert mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-12)


def test_kid_is_near_zero_for_one_distribution_and_clearly_positive_for_shifted_ones():
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(600, 16)), rng.normal(size=(600, 16))
    same = kid(a, b, subsets=30, subset_size=200, seed=0)
    assert abs(same.mean) < 3 * same.std + 1e-12 and same.subset_size == 200 and not same.note
    shifted = kid(a, b + 0.5, subsets=30, subset_size=200, seed=0)
    assert shifted.mean > 10 * shifted.std and shifted.mean > 50 * abs(same.mean)


def test_kid_caps_the_subset_size_at_the_smaller_sample_and_says_so():
    rng = np.random.default_rng(9)
    result = kid(rng.normal(size=(27, 8)), rng.normal(size=(1000, 8)), subsets=10, subset_size=1000)
    assert result.subset_size == 27 and "capped at 27" in result.note and (result.n_a, result.n_b) == (27, 1000)


# --- SSIM, IS, precision and recall --------------------------------------------------------------------------------

def test_ssim_of_images_with_themselves_is_one_and_lower_for_noise():
    rng = np.random.default_rng(10)
    x = np.clip(rng.normal(0, 0.3, size=(6, 16, 16, 1)), -1, 1).astype("float32")
    assert ssim_score(x, x, pairing="index").mean == pytest.approx(1.0, abs=1e-5)
    copies = np.repeat(x[:1], 8, axis=0)   # shuffled pairs of one image are still identical
    assert ssim_score(copies, copies, shuffles=3).mean == pytest.approx(1.0, abs=1e-5)
    noise = rng.uniform(-1, 1, size=x.shape).astype("float32")
    assert ssim_score(x, noise, shuffles=3).mean < 0.3


def test_ssim_maps_the_value_range_and_refuses_images_outside_it():
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, size=(4, 12, 12, 1)).astype("float32")
    y = np.clip(x + rng.normal(0, 0.2, x.shape), -1, 1).astype("float32")
    kit = ssim_score(x, y, pairing="index").mean
    assert ssim_score((x + 1) / 2, (y + 1) / 2, value_range=(0, 1), pairing="index").mean == pytest.approx(kit, 1e-5)
    with pytest.raises(KitError, match=r"in \[0, 1\]"):
        ssim_score(x, y, value_range=(0, 1))


def test_inception_score_of_confident_uniform_predictions_is_k_and_of_identical_ones_is_one():
    k = 7
    confident = np.tile(np.eye(k), (20, 1))   # every split of 14 rows holds each class twice
    assert inception_score(confident, splits=10).mean == pytest.approx(k, rel=1e-9)
    identical = np.tile(np.full(k, 1 / k), (50, 1))
    assert inception_score(identical).mean == pytest.approx(1.0)
    peaked = np.tile(np.eye(k)[0], (50, 1))
    assert inception_score(peaked).mean == pytest.approx(1.0)
    with pytest.raises(KitError, match="probability vectors"):
        inception_score(np.ones((20, 3)))


def test_precision_and_recall_are_one_for_identical_sets_and_zero_for_far_apart_ones():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(200, 5))
    same = precision_recall(x, x.copy())
    assert (same.precision, same.recall) == (1.0, 1.0)
    far = precision_recall(x, rng.normal(size=(150, 5)) + 100)
    assert (far.precision, far.recall) == (0.0, 0.0) and (far.n_real, far.n_generated, far.k) == (200, 150, 3)
    # a generator covering half of the real data: full precision, recall about one half
    half = precision_recall(x, x[x[:, 0] > 0])
    assert half.precision == 1.0 and 0.35 < half.recall < 0.75


def test_feature_sets_of_different_sizes_or_with_nan_are_refused():
    rng = np.random.default_rng(13)
    for score in (fid, kid, precision_recall):
        with pytest.raises(KitError, match="4 and 5 dimensions"):
            score(rng.normal(size=(20, 4)), rng.normal(size=(20, 5)))
    bad = rng.normal(size=(20, 4))
    bad[3, 1] = np.nan
    with pytest.raises(KitError, match="NaN"):
        fid(bad, bad)
