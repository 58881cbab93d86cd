"""Latent separation (silhouette, t-SNE), class-Gaussian overlap (Bhattacharyya) and the image sweeps."""

from __future__ import annotations

import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bagan_lib import image_sweeps, latent_analysis as la  # noqa: E402
from bagan_lib.profiles import get_profile  # noqa: E402


def test_overlap_is_one_for_identical_and_closed_form_in_one_dimension():
    cov = np.array([[[2.0]], [[2.0]], [[0.5]]])
    means = np.array([[0.0], [0.0], [3.0]])
    bc = la.gaussian_overlap(means, cov, jitter=0.0)
    assert bc[0, 1] == pytest.approx(1.0)
    s1, s2, d = 2.0, 0.5, 3.0  # variances and mean gap
    db = d ** 2 / (4 * (s1 + s2)) + 0.5 * math.log((s1 + s2) / (2 * math.sqrt(s1 * s2)))
    assert bc[0, 2] == pytest.approx(math.exp(-db), rel=1e-9)
    assert np.allclose(bc, bc.T) and np.allclose(np.diag(bc), 1)


def test_overlap_vanishes_for_far_gaussians_in_many_dimensions():
    d = 64
    means = np.stack([np.zeros(d), np.full(d, 10.0)])
    covs = np.stack([np.eye(d), 2 * np.eye(d)])
    bc = la.gaussian_overlap(means, covs)
    assert bc[0, 1] < 1e-30 and la.mean_off_diagonal(bc) == pytest.approx(bc[0, 1])


def _clusters(seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), 60)
    return rng.normal(0, 0.3, (180, 8)) + 5 * np.eye(3, 8)[labels], labels


def test_silhouette_high_for_separated_classes_and_near_zero_for_shuffled_labels():
    points, labels = _clusters()
    assert la.separation_score(points, labels) > 0.8
    shuffled = np.random.default_rng(1).permutation(labels)
    assert abs(la.separation_score(points, shuffled)) < 0.05


def test_tsne_is_finite_2d_and_seed_reproducible():
    points, labels = _clusters()
    a, b = la.tsne_2d(points, seed=3), la.tsne_2d(points, seed=3)
    assert a.shape == (180, 2) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)


def test_subsample_keeps_every_class_in_proportion():
    labels = np.repeat([0, 1, 2], [900, 90, 10])
    keep = la.subsample(labels, 100, seed=0)
    assert np.bincount(labels[keep]).tolist() == [90, 9, 2]


def test_dispersion_is_within_over_between():
    latents = np.array([[0, 1], [0, -1], [10, 1], [10, -1]], float)
    assert image_sweeps.dispersion(latents, np.array([0, 0, 1, 1])) == pytest.approx(1 / 10)


def test_latent_dim_sweep_trains_once_then_reads_the_cache(tmp_path):
    from bagan_lib.training import TrainConfig, load_training_data

    profile = get_profile("smoke")
    data = load_training_data(TrainConfig(dataset="synthetic_cells", profile="smoke", seed=1), profile)
    first = image_sweeps.latent_dim_sweep(data, (2, 4), profile=profile, seed=1, epochs=1, cache_dir=tmp_path,
                                          verbose=False)
    again = image_sweeps.latent_dim_sweep(data, (2, 4), profile=profile, seed=1, epochs=1, cache_dir=tmp_path,
                                          verbose=False)
    assert not first.from_cache and again.from_cache
    assert first.table().equals(again.table())
    np.testing.assert_array_equal(first.arrays[4]["reconstructions"], again.arrays[4]["reconstructions"])
    assert first.arrays[2]["originals"].shape[0] == data.n_classes
    fig = image_sweeps.plot_latent_dim_entry(first, 4, data.class_names, title="t")
    assert all(ax.get_xlabel() for ax in fig.axes[-3:]) and fig._suptitle.get_text() == "t"
