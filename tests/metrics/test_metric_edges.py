"""The metrics on the edge (issue 18, defect 11; defect 10's zero-width interval): inputs where a formula would give a
number that means nothing are refused with a KitError, and the Inception Score splits rows as the standard code."""

from __future__ import annotations

import numpy as np
import pytest

from bagan_lib.errors import KitError
from bagan_lib.metrics import fid, frechet_distance, inception_score, kid, precision_recall, ssim_score
from bagan_lib.metrics.inception_score import split_bounds


# --- SSIM ----------------------------------------------------------------------------------------------------------

def unit_images(seed: int, n: int = 4, size: int = 16) -> np.ndarray:
    """Smooth [0, 1] images (blobs on a dark background): what a [0, 1] pipeline produces."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    centres = rng.uniform(0.3, 0.7, size=(n, 2))
    blobs = np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 0.05)
    return np.clip(blobs + rng.normal(0, 0.05, blobs.shape), 0, 1)[..., None].astype("float32")


def test_ssim_refuses_unit_range_images_under_the_default_range():
    """Issue 18, defect 11: [0, 1] images under the default [-1, 1] range were accepted and scored too high."""
    real, generated = unit_images(0), unit_images(1)
    with pytest.raises(KitError, match=r"value_range=\(0, 1\)"):
        ssim_score(real, generated, pairing="index")
    right = ssim_score(real, generated, value_range=(0, 1), pairing="index").mean
    stated = ssim_score(real, generated, value_range=(-1, 1), pairing="index").mean  # stated: trusted
    assert stated > right + 0.05  # what the silent default gave: a different, higher number
    kit = ssim_score(real * 2 - 1, generated * 2 - 1, pairing="index").mean  # the same images in the kit's range
    assert kit == pytest.approx(right, abs=1e-5)


@pytest.mark.parametrize("size", [1, 5, 10])
def test_ssim_refuses_images_smaller_than_its_window(size):
    """Issue 18, defect 11: images below the 11x11 window shrank it silently (1x1 images scored about 0.66)."""
    images = np.random.default_rng(size).uniform(-1, 1, (3, size, size, 1)).astype("float32")
    with pytest.raises(KitError, match="11x11"):
        ssim_score(images, images[::-1], pairing="index")


def test_ssim_accepts_the_smallest_image_its_window_fits():
    images = np.random.default_rng(2).uniform(-1, 1, (3, 11, 11, 1)).astype("float32")
    assert ssim_score(images, images, pairing="index").mean == pytest.approx(1.0, abs=1e-5)


# --- Frechet distance ---------------------------------------------------------------------------------------------

def test_frechet_distance_refuses_a_covariance_with_a_negative_eigenvalue():
    """Issue 18, defect 11: a covariance with a negative eigenvalue was clipped to a PSD one and scored."""
    not_psd = np.array([[1.0, 2.0], [2.0, 1.0]])   # eigenvalues 3 and -1: symmetric, but no covariance
    assert np.linalg.eigvalsh(not_psd)[0] == pytest.approx(-1.0)
    for args in ((np.zeros(2), not_psd, np.zeros(2), np.eye(2)), (np.zeros(2), np.eye(2), np.zeros(2), not_psd)):
        with pytest.raises(KitError, match="negative eigenvalue"):
            frechet_distance(*args)


def test_frechet_distance_keeps_accepting_singular_covariances_with_round_off():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 40))   # n < d: np.cov is singular, its zero eigenvalues come out as +-1e-16
    sigma = np.cov(x, rowvar=False)
    assert np.linalg.eigvalsh(sigma)[0] < 0   # round-off below zero, which must not be refused
    assert frechet_distance(x.mean(0), sigma, x.mean(0), sigma) == pytest.approx(0, abs=1e-8)


# --- empty and non-numeric input ----------------------------------------------------------------------------------

TEXT = np.array([["a", "b"], ["c", "d"], ["e", "f"]])


@pytest.mark.parametrize("call", [
    lambda: frechet_distance(np.zeros(0), np.zeros((0, 0)), np.zeros(0), np.zeros((0, 0))),
    lambda: frechet_distance(["a", "b"], np.eye(2), np.zeros(2), np.eye(2)),
    lambda: fid(TEXT, TEXT, bootstrap=0),
    lambda: fid(np.zeros((0, 4)), np.zeros((0, 4)), bootstrap=0),
    lambda: kid(TEXT, TEXT),
    lambda: precision_recall(TEXT, TEXT),
    lambda: inception_score(np.zeros((20, 0))),
    lambda: inception_score([["x", "y"]] * 20),
    lambda: inception_score(np.full((20, 2), 0.5), splits=2.5),
    lambda: ssim_score(np.full((2, 12, 12, 1), "w"), np.zeros((2, 12, 12, 1)), value_range=(0, 1)),
    lambda: ssim_score(np.zeros((0, 12, 12, 1)), np.zeros((0, 12, 12, 1))),
], ids=["frechet-empty", "frechet-text", "fid-text", "fid-empty", "kid-text", "precision-recall-text", "is-no-classes",
        "is-text", "is-fractional-splits", "ssim-text", "ssim-empty"])
def test_empty_or_non_numeric_input_is_a_kit_error(call):
    """Issue 18, defect 11: empty or non-numeric input raised raw NumPy errors (ValueError, TypeError)."""
    with pytest.raises(KitError) as info:
        call()
    assert info.value.fix


# --- Inception Score: the standard split ----------------------------------------------------------------------------

def test_inception_score_splits_rows_as_salimans_and_torch_fidelity():
    """Issue 18, defect 11: ``np.array_split`` made the first parts the longer ones; the standard code takes rows
    ``i N // splits`` to ``(i + 1) N // splits``. A hand-computed case where the two differ."""
    assert split_bounds(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert [len(part) for part in np.array_split(np.arange(10), 3)] == [4, 3, 3]   # what it was
    labels = [0, 0, 0, 1, 1, 1, 0, 1, 0, 1]
    confident = np.eye(2)[labels]
    # standard parts: [0 0 0] and [1 1 1] score 1 (one class), [0 1 0 1] scores 2 (two classes, evenly)
    result = inception_score(confident, splits=3)
    assert result.mean == pytest.approx(4 / 3, rel=1e-12)
    assert result.std == pytest.approx(np.std([1.0, 1.0, 2.0]), rel=1e-12)
    # array_split's parts [0 0 0 1], [1 1 0], [1 0 1] would give about 1.845 instead
    one_of_four = np.exp((3 * np.log(4 / 3) + np.log(4)) / 4)
    one_of_three = np.exp((2 * np.log(3 / 2) + np.log(3)) / 3)
    assert abs(result.mean - np.mean([one_of_four, one_of_three, one_of_three])) > 0.5


def test_inception_score_splits_equal_parts_as_before_when_splits_divide_n():
    k = 7
    confident = np.tile(np.eye(k), (20, 1))
    assert split_bounds(140, 10) == [(14 * i, 14 * (i + 1)) for i in range(10)]
    assert inception_score(confident, splits=10).mean == pytest.approx(k, rel=1e-9)


# --- FID without bootstrap -----------------------------------------------------------------------------------------

def test_fid_without_bootstrap_has_no_interval_rather_than_a_zero_width_one():
    """Issue 18, defect 10: ``--bootstrap 0`` printed zero-width "intervals" [v, v]."""
    rng = np.random.default_rng(5)
    result = fid(rng.normal(size=(50, 3)), rng.normal(size=(50, 3)), bootstrap=0)
    assert np.isfinite(result.value) and np.isnan(result.low) and np.isnan(result.high) and result.bias == 0
