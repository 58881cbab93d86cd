"""Latent separation (silhouette, dispersion, t-SNE), class-Gaussian overlap (Bhattacharyya), and their figures."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from bagan_lib.experiments import latent_analysis as la
from bagan_lib.figures import latents as lp
from bagan_lib.errors import KitError

NAMES = ("a", "b", "c")


def test_overlap_is_one_for_identical_and_closed_form_in_one_dimension():
    cov = np.array([[[2.0]], [[2.0]], [[0.5]]])
    means = np.array([[0.0], [0.0], [3.0]])
    bc = la.gaussian_overlap(means, cov, jitter=0.0)
    assert bc[0, 1] == pytest.approx(1.0)
    s1, s2, d = 2.0, 0.5, 3.0  # variances and mean gap
    db = d ** 2 / (4 * (s1 + s2)) + 0.5 * math.log((s1 + s2) / (2 * math.sqrt(s1 * s2)))
    assert bc[0, 2] == pytest.approx(math.exp(-db), rel=1e-9)
    assert np.allclose(bc, bc.T) and np.allclose(np.diag(bc), 1)


def test_overlap_is_the_integral_of_the_root_of_the_densities():
    # BC = integral sqrt(p1 p2): a numerical check of the closed form for two 2-D Gaussians
    m1, m2 = np.array([0.0, 0.0]), np.array([1.0, -0.5])
    c1, c2 = np.array([[1.0, 0.3], [0.3, 0.5]]), np.array([[0.6, -0.2], [-0.2, 0.9]])
    grid = np.linspace(-6, 6, 601)
    xx, yy = np.meshgrid(grid, grid)
    points = np.stack([xx.ravel(), yy.ravel()], 1)

    def density(m, c):
        diff = points - m
        return np.exp(-0.5 * np.einsum("ni,ij,nj->n", diff, np.linalg.inv(c), diff)) / (2 * np.pi * np.sqrt(
            np.linalg.det(c)))

    numeric = np.sum(np.sqrt(density(m1, c1) * density(m2, c2))) * (grid[1] - grid[0]) ** 2
    assert la.gaussian_overlap(np.stack([m1, m2]), np.stack([c1, c2]), jitter=0.0)[0, 1] == pytest.approx(numeric,
                                                                                                         rel=1e-6)


def test_overlap_vanishes_for_far_gaussians_and_stays_finite_for_singular_ones():
    d = 64
    far = la.gaussian_overlap(np.stack([np.zeros(d), np.full(d, 10.0)]), np.stack([np.eye(d), 2 * np.eye(d)]))
    assert 0 <= far[0, 1] < 1e-30 and la.mean_off_diagonal(far) == pytest.approx(far[0, 1])
    # 5 latents in 128 dimensions: a singular covariance, as for a minority class; the jitter keeps it finite,
    # and the same singular Gaussian twice still overlaps fully
    rng = np.random.default_rng(0)
    latents = [rng.normal(size=(5, 128)) for _ in range(2)]
    latents.insert(1, latents[0])
    bc = la.gaussian_overlap(np.stack([z.mean(0) for z in latents]), np.stack([np.cov(z, rowvar=False)
                                                                              for z in latents]))
    assert np.isfinite(bc).all() and ((0 <= bc) & (bc <= 1)).all() and np.allclose(bc, bc.T)
    assert bc[0, 1] == pytest.approx(1.0) and bc[0, 2] < 1e-6
    with pytest.raises(KitError, match="not positive definite"):
        la.gaussian_overlap(np.zeros((2, 3)), np.zeros((2, 3, 3)) + np.eye(3) * [[[1]], [[-1]]], jitter=0.0)
    with pytest.raises(KitError, match="do not fit"):
        la.gaussian_overlap(np.zeros((2, 3)), np.zeros((2, 2, 2)))


def _clusters(seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), 60)
    return rng.normal(0, 0.3, (180, 8)) + 5 * np.eye(3, 8)[labels], labels


def test_silhouette_high_for_separated_classes_and_near_zero_for_shuffled_labels():
    points, labels = _clusters()
    assert la.separation_score(points, labels) > 0.8
    shuffled = np.random.default_rng(1).permutation(labels)
    assert abs(la.separation_score(points, shuffled)) < 0.05
    with pytest.raises(KitError, match="two classes"):
        la.separation_score(points, np.zeros(180, int))


def test_dispersion_is_within_over_between_and_scale_free():
    latents = np.array([[0, 1], [0, -1], [10, 1], [10, -1]], float)
    labels = np.array([0, 0, 1, 1])
    assert la.dispersion(latents, labels) == pytest.approx(1 / 10)
    assert la.dispersion(7 * latents + 3, labels) == pytest.approx(1 / 10)
    points, labels = _clusters()
    # within: E|N(0, 0.3^2 I_8)| = 0.3 sqrt(2) Gamma(4.5) / Gamma(4); between: |5 e_i - 5 e_j| = 5 sqrt(2)
    expected = 0.3 * math.sqrt(2) * math.gamma(4.5) / math.gamma(4) / (5 * math.sqrt(2))
    assert la.dispersion(points, labels) == pytest.approx(expected, rel=0.05)
    assert la.dispersion(points, np.random.default_rng(1).permutation(labels)) > 2


def test_tsne_is_finite_2d_seed_reproducible_and_refuses_too_many_points():
    points, labels = _clusters()
    a, b = la.tsne_2d(points, seed=3), la.tsne_2d(points, seed=3)
    assert a.shape == (180, 2) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(KitError, match="subsample"):
        la.tsne_2d(points, max_points=100)


def test_subsample_keeps_every_class_in_proportion():
    labels = np.repeat([0, 1, 2], [900, 90, 10])
    keep = la.subsample(labels, 100, seed=0)
    assert np.bincount(labels[keep]).tolist() == [90, 9, 2]


def test_encode_labelled_is_the_encoder_output_times_the_label_embedding():
    import keras

    from bagan_lib.models.builders import build_autoencoder

    keras.utils.set_random_seed(0)
    sup = build_autoencoder(supervised=True, image_size=32, channels=1, n_classes=3, latent_dim=4, width=0.125)
    x = np.random.default_rng(0).uniform(-1, 1, (6, 32, 32, 1)).astype("float32")
    y = np.array([0, 1, 2, 2, 1, 0])
    z = la.encode(sup, x, batch_size=4)
    table = sup.embedding.get_layer("label_embedding").get_weights()[0]
    np.testing.assert_allclose(la.encode(sup, x, y, kind="labelled", batch_size=4), z * table[y], rtol=1e-5)
    np.testing.assert_allclose(z, np.asarray(sup.encoder(x)), rtol=1e-5, atol=1e-6)
    with pytest.raises(KitError, match="one label per image"):
        la.encode(sup, x, y[:3], kind="labelled")
    with pytest.raises(KitError, match="not a latent"):
        la.encode(sup, x, kind="decoder")


def _legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_scatter_and_maps_are_titled_labelled_and_name_the_classes():
    points, labels = _clusters()
    fig = lp.plot_latent_scatter(points[:, :2], labels, NAMES, title="one map")
    (ax,) = fig.axes
    assert fig._suptitle.get_text() == "one map" and ax.get_xlabel() == "t-SNE 1" and ax.get_ylabel() == "t-SNE 2"
    assert _legend_texts(ax) == list(NAMES)
    fig = lp.plot_latent_maps({"x": points[:, :2], "y": points[:, 1:3]}, labels, NAMES, scores={"x": 0.5},
                              title="two")
    assert [a.get_title() for a in fig.axes] == ["x\nsilhouette 0.50", "y"]
    assert len(fig.axes[0].collections[0].get_offsets()) == 60
    with pytest.raises(KitError, match="one 2-D point per label"):
        lp.plot_latent_maps({"x": points}, labels, NAMES, title="bad")


def test_gaussian_ellipses_are_the_projected_one_and_two_sigma_contours():
    means = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 1.0], [0.0, 3.0, -1.0]])
    covs = np.stack([np.diag([1.0, 0.25, 2.0])] * 3)
    projection = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])  # the first two coordinates
    fig = lp.plot_class_gaussians_2d(means, covs, NAMES, title="fig 2", projection=projection)
    ax = fig.axes[0]
    assert ax.get_title() == "fig 2" and ax.get_xlabel() and ax.get_ylabel()
    assert _legend_texts(ax) == list(NAMES)
    first, second = ax.patches[0], ax.patches[1]   # class a: 1 sigma, then 2 sigma
    assert sorted([first.width, first.height]) == pytest.approx([1.0, 2.0])    # 2 * sqrt(0.25), 2 * sqrt(1)
    assert sorted([second.width, second.height]) == pytest.approx([2.0, 4.0])
    basis = lp.means_projection(means)
    assert basis.shape == (3, 2) and np.allclose(basis.T @ basis, np.eye(2))
    centred = means - means.mean(0)
    assert np.allclose(centred @ basis @ basis.T, centred), "3 means lie in the plane of their first 2 axes"
    with pytest.raises(KitError, match="projection"):
        lp.plot_class_gaussians_2d(means, covs, NAMES, title="t", projection=np.eye(2))


def test_overlap_matrix_figure_is_annotated_and_labelled():
    matrix = la.gaussian_overlap(*[np.array(v) for v in ([[0.0], [1.0], [9.0]], [[[1.0]], [[1.0]], [[1.0]]])],
                                 jitter=0.0)
    fig = lp.plot_overlap_matrix(matrix, NAMES, title="overlap")
    ax = fig.axes[0]
    assert ax.get_title() == "overlap" and ax.get_xlabel() == "class" and ax.get_ylabel() == "class"
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 9 and texts[0] == "1.00" and texts[1] == f"{math.exp(-1 / 8):.2f}"
    assert [t.get_text() for t in ax.get_xticklabels()] == list(NAMES)
