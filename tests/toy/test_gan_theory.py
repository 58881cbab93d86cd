"""The 1-D GAN theory of notebooks 01 and 02: D*, Jensen-Shannon, V(D*, G), W1 and the generator's gradient."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import trapezoid

from bagan_lib.toy import theory_1d as T
from bagan_lib.errors import KitError

PAIRS = [((0.0, 1.0), (0.0, 1.0)), ((0.0, 1.0), (0.5, 1.0)), ((0.0, 1.0), (2.0, 1.0)),
         ((0.0, 1.0), (3.0, 0.5)), ((-2.0, 2.0), (1.0, 0.3)), ((0.0, 0.2), (40.0, 1.0))]


@pytest.mark.parametrize("p_r, p_g", PAIRS)
def test_value_at_the_optimal_discriminator_is_2js_minus_log4(p_r, p_g):
    js = T.js_divergence(p_r, p_g)
    assert T.value_at_optimum(p_r, p_g) == pytest.approx(2 * js - np.log(4), abs=1e-9)
    assert 0.0 <= js <= np.log(2) + 1e-12


def test_js_is_zero_for_equal_distributions_and_log2_when_far_apart():
    assert T.js_divergence((1.0, 0.7), (1.0, 0.7)) == pytest.approx(0.0, abs=1e-12)
    distances = [0.0, 0.5, 1, 2, 4, 8, 16]
    js = [T.js_divergence((0.0, 1.0), (d, 1.0)) for d in distances]
    assert np.all(np.diff(js) > 0), "JS grows with the distance ..."
    assert js[-1] == pytest.approx(np.log(2), abs=1e-9), "... and stops at log 2"
    assert np.log(2) - js[-2] < 1e-3


def test_js_is_symmetric():
    a, b = (0.0, 1.0), (1.3, 0.4)
    assert T.js_divergence(a, b) == pytest.approx(T.js_divergence(b, a), abs=1e-10)


def test_optimal_discriminator_is_the_density_ratio():
    x = np.linspace(-4, 6, 101)
    p_r, p_g = (0.0, 1.0), (2.0, 1.5)
    ratio = T.gaussian_pdf(x, *p_r) / (T.gaussian_pdf(x, *p_r) + T.gaussian_pdf(x, *p_g))
    np.testing.assert_allclose(T.optimal_discriminator(x, p_r, p_g), ratio, rtol=1e-12)
    np.testing.assert_allclose(T.optimal_discriminator(x, p_r, p_r), 0.5)
    # far from both densities D* is still finite (no 0/0)
    assert np.isfinite(T.optimal_discriminator(np.array([1e3, -1e3]), p_r, p_g)).all()


def test_optimal_discriminator_maximises_the_value_function():
    p_r, p_g = T.Gaussian(0.0, 1.0), T.Gaussian(1.5, 1.0)
    x = T.integration_grid(p_r, p_g)

    def value(d):
        d = np.clip(d, 1e-300, 1 - 1e-16)
        return trapezoid(p_r.pdf(x) * np.log(d) + p_g.pdf(x) * np.log(1 - d), x)

    best = T.optimal_discriminator(x, p_r, p_g)
    assert value(best) == pytest.approx(T.value_at_optimum(p_r, p_g), abs=1e-9)
    for other in (np.full_like(x, 0.5), np.clip(best + 0.05, 0, 1), best ** 2):
        assert value(other) < value(best)


def test_wasserstein_grows_linearly_with_the_distance():
    for d in (0.0, 0.5, 3.0, 20.0):
        assert T.wasserstein1((0.0, 1.0), (d, 1.0)) == pytest.approx(d, abs=1e-6)
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 20000), rng.normal(2.5, 1, 20000)
    assert T.wasserstein1_samples(a, b) == pytest.approx(2.5, abs=0.05)


def test_saturating_gradient_vanishes_while_non_saturating_does_not():
    d = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    sat = T.generator_gradient(d, loss="saturating")
    nonsat = T.generator_gradient(d, loss="non_saturating")
    assert sat[-1] < 1e-30 and sat[-2] < 1e-12, "saturating: no gradient once the supports separate"
    assert np.all(np.diff(sat[1:]) < 0)
    assert np.all(nonsat >= 0.6) and np.all(np.diff(nonsat) > 0), "non-saturating: the gradient stays"
    # with equal widths the two gradients add up to d / sigma^2 (D + (1 - D) = 1)
    np.testing.assert_allclose(sat + nonsat, d, rtol=1e-9)


def test_near_optimal_discriminator_delays_but_does_not_prevent_saturation():
    d = np.array([2.0, 8.0, 30.0])
    soft = T.generator_gradient(d, loss="saturating", sharpness=0.25)
    sharp = T.generator_gradient(d, loss="saturating", sharpness=1.0)
    assert soft[1] > sharp[1]
    assert soft[-1] < 1e-20
    assert np.all(np.diff(T.generator_gradient(d, loss="non_saturating", sharpness=0.25)) > 0)


@pytest.mark.parametrize("loss", T.LOSSES)
@pytest.mark.parametrize("mu", [0.5, 2.0, 5.0])
def test_generator_gradient_matches_finite_differences(loss, mu):
    frozen = ((0.0, 1.0), (mu, 1.0))     # the discriminator is held fixed while the generator moves
    h = 1e-4
    up = T.generator_loss(mu + h, (0.0, 1.0), loss=loss, discriminator=frozen)
    down = T.generator_loss(mu - h, (0.0, 1.0), loss=loss, discriminator=frozen)
    assert abs(up - down) / (2 * h) == pytest.approx(T.generator_gradient(mu, loss=loss), rel=1e-6)


def test_bad_inputs_raise_kit_errors():
    with pytest.raises(KitError):
        T.Gaussian(0.0, -1.0)
    with pytest.raises(KitError):
        T.generator_gradient(1.0, loss="wasserstein")
    with pytest.raises(KitError):
        T.wasserstein1_samples([1.0, 2.0], [1.0])
