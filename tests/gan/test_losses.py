"""Tests of bagan_lib.gan.losses against known values and the GAN theory behind Eq. 1-3.

The central check: for two 1-D Gaussians, the optimal discriminator D* = p_r / (p_r + p_g)
gives V(D*, G) = 2 JS(p_r || p_g) - log 4 (Goodfellow et al. 2014, Theorem 1), and the
library's discriminator loss on D*'s logits is a Monte Carlo estimate of -V(D*, G).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import integrate, stats

from bagan_lib.errors import KitError
from bagan_lib.gan.losses import (
    ConditionalDiscriminatorTerms, bce_with_logits, conditional_discriminator_loss, conditional_generator_loss,
    gan_discriminator_loss, gan_generator_loss_nonsaturating, gan_generator_loss_saturating, wasserstein_critic_loss,
    wasserstein_generator_loss)

LOG2 = np.log(2.0)


def _f(x):
    return float(keras.ops.convert_to_numpy(x))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------- #
# known values
# --------------------------------------------------------------------------- #
def test_zero_logits_give_log2_per_term():
    zeros = np.zeros((16, 1), "float32")
    assert _f(bce_with_logits(zeros, 1)) == pytest.approx(LOG2)
    assert _f(bce_with_logits(zeros, 0)) == pytest.approx(LOG2)
    assert _f(gan_discriminator_loss(zeros, zeros)) == pytest.approx(2 * LOG2)  # log 4
    assert _f(gan_generator_loss_nonsaturating(zeros)) == pytest.approx(LOG2)
    assert _f(gan_generator_loss_saturating(zeros)) == pytest.approx(-LOG2)
    assert _f(conditional_generator_loss(zeros)) == pytest.approx(LOG2)
    terms = conditional_discriminator_loss(zeros, zeros, zeros)
    assert [_f(t) for t in terms] == pytest.approx([LOG2, LOG2, LOG2, 3 * LOG2])


def test_losses_match_the_probability_formulas():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(0, 3, 64), rng.normal(0, 3, 64)
    d_real, d_fake = _sigmoid(real), _sigmoid(fake)
    # Eq. 2
    expected_d = -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake))
    assert _f(gan_discriminator_loss(real, fake)) == pytest.approx(expected_d, rel=1e-10)
    # Eq. 1 (generator's part) and Eq. 3
    assert _f(gan_generator_loss_saturating(fake)) == pytest.approx(np.mean(np.log(1 - d_fake)), rel=1e-10)
    assert _f(gan_generator_loss_nonsaturating(fake)) == pytest.approx(-np.mean(np.log(d_fake)), rel=1e-10)
    assert _f(conditional_generator_loss(fake)) == pytest.approx(-np.mean(np.log(d_fake)), rel=1e-10)


def test_confident_logits_stay_finite():
    big = np.array([1000.0, -1000.0, 80.0, -80.0], "float32")
    assert _f(bce_with_logits(big, 1)) == pytest.approx((1000.0 + 80.0) / 4)
    assert _f(bce_with_logits(big, 0)) == pytest.approx((1000.0 + 80.0) / 4)
    right = gan_discriminator_loss(np.full(4, 1000.0, "float32"), np.full(4, -1000.0, "float32"))
    assert _f(right) == pytest.approx(0.0, abs=1e-30)


def test_half_precision_logits_are_promoted():
    logits = tf.constant([[30.0], [-30.0]], tf.float16)
    loss = gan_discriminator_loss(logits, logits)
    assert loss.dtype == tf.float32
    assert np.isfinite(_f(loss))


def test_float64_is_kept():
    assert bce_with_logits(np.zeros(3, "float64"), 1).dtype == tf.float64


# --------------------------------------------------------------------------- #
# saturating vs non-saturating generator loss (Eq. 1 vs Eq. 3)
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("logit", [-20.0, -10.0])
def test_saturating_loss_vanishes_where_nonsaturating_does_not(logit):
    """A discriminator that confidently rejects the fake (logit << 0)."""
    x = tf.Variable([[logit]])
    with tf.GradientTape(persistent=True) as tape:
        saturating = gan_generator_loss_saturating(x)
        nonsaturating = gan_generator_loss_nonsaturating(x)
    g_sat = float(tape.gradient(saturating, x)[0, 0])
    g_non = float(tape.gradient(nonsaturating, x)[0, 0])
    assert g_sat == pytest.approx(-_sigmoid(logit), rel=1e-4)  # about -2e-9 at -20: no signal
    assert abs(g_sat) < 1e-4
    assert g_non == pytest.approx(-1.0, abs=1e-4)  # -sigmoid(-l): full-size signal
    # both push the logit up (towards "real"), as a generator should
    assert g_sat < 0 and g_non < 0


# --------------------------------------------------------------------------- #
# Wasserstein (Eq. 6, 9)
# --------------------------------------------------------------------------- #
def test_wasserstein_signs():
    real, fake = np.array([3.0, 5.0]), np.array([1.0, 1.0, 1.0])
    # the critic maximises E_r - E_g = 3 (Eq. 6), so it minimises mean(fake) - mean(real) = -3
    assert _f(wasserstein_critic_loss(real, fake)) == pytest.approx(-3.0)
    assert _f(wasserstein_generator_loss(fake)) == pytest.approx(-1.0)  # Eq. 9
    # gradients: the critic lowers its fake scores and raises its real ones
    r, f = tf.Variable(real), tf.Variable(fake)
    with tf.GradientTape() as tape:
        loss = wasserstein_critic_loss(r, f)
    g_r, g_f = tape.gradient(loss, [r, f])
    np.testing.assert_allclose(g_r.numpy(), -1 / 2)
    np.testing.assert_allclose(g_f.numpy(), 1 / 3)


# --------------------------------------------------------------------------- #
# conditional losses (Eq. 12-15)
# --------------------------------------------------------------------------- #
def test_conditional_terms_sum_to_total():
    rng = np.random.default_rng(1)
    real, fake, wrong = (rng.normal(size=(32, 1)).astype("float32") for _ in range(3))
    terms = conditional_discriminator_loss(real, fake, wrong)  # Eq. 14
    assert isinstance(terms, ConditionalDiscriminatorTerms)
    assert _f(terms.real) == pytest.approx(_f(bce_with_logits(real, 1)))
    assert _f(terms.fake) == pytest.approx(_f(bce_with_logits(fake, 0)))
    assert _f(terms.wrong) == pytest.approx(_f(bce_with_logits(wrong, 0)))
    assert _f(terms.total) == pytest.approx(_f(terms.real) + _f(terms.fake) + _f(terms.wrong))
    no_wrong = conditional_discriminator_loss(real, fake)  # Eq. 12
    assert _f(no_wrong.wrong) == 0.0
    assert _f(no_wrong.total) == pytest.approx(_f(gan_discriminator_loss(real, fake)))
    assert set(terms._asdict()) == {"real", "fake", "wrong", "total"}


def test_losses_run_in_tf_function_and_xla():
    rng = np.random.default_rng(2)
    real, fake, wrong = (tf.constant(rng.normal(size=(8, 1)).astype("float32")) for _ in range(3))

    def all_losses(r, f, w):
        return (
            conditional_discriminator_loss(r, f, w),
            conditional_discriminator_loss(r, f),
            gan_discriminator_loss(r, f),
            gan_generator_loss_saturating(f),
            gan_generator_loss_nonsaturating(f),
            wasserstein_critic_loss(r, f),
            wasserstein_generator_loss(f),
        )

    eager = tf.nest.flatten(all_losses(real, fake, wrong))
    for jit in (False, True):
        compiled = tf.nest.flatten(tf.function(all_losses, jit_compile=jit)(real, fake, wrong))
        np.testing.assert_allclose([_f(v) for v in compiled], [_f(v) for v in eager], rtol=1e-6, atol=1e-7)


def test_bad_arguments_raise_kit_error():
    with pytest.raises(KitError, match="target"):
        bce_with_logits(np.zeros(2, "float32"), 2)
    with pytest.raises(KitError, match="dtype"):
        gan_discriminator_loss(np.ones(2, "int32"), np.zeros(2, "float32"))
    with pytest.raises(KitError, match="None"):
        wasserstein_critic_loss(None, np.zeros(2, "float32"))


# --------------------------------------------------------------------------- #
# theory: V(D*, G) = 2 JS(p_r || p_g) - log 4
# --------------------------------------------------------------------------- #
def _value_at_optimum_and_js(mu):
    """Both sides of V(D*, G) = 2 JS - log 4 for p_r = N(0,1), p_g = N(mu,1), by quadrature."""
    lp_r = lambda x: stats.norm.logpdf(x)  # noqa: E731
    lp_g = lambda x: stats.norm.logpdf(x, mu)  # noqa: E731
    lp_sum = lambda x: np.logaddexp(lp_r(x), lp_g(x))  # log(p_r + p_g)  # noqa: E731
    lo, hi = min(0.0, mu) - 15.0, max(0.0, mu) + 15.0
    # V(D*, G) = E_r[log D*] + E_g[log(1 - D*)], D* = p_r / (p_r + p_g)
    value = integrate.quad(lambda x: np.exp(lp_r(x)) * (lp_r(x) - lp_sum(x)), lo, hi, limit=200)[0]
    value += integrate.quad(lambda x: np.exp(lp_g(x)) * (lp_g(x) - lp_sum(x)), lo, hi, limit=200)[0]
    # JS from its definition, with m = (p_r + p_g) / 2: JS = KL(p_r || m) / 2 + KL(p_g || m) / 2
    lp_m = lambda x: lp_sum(x) - np.log(2.0)  # noqa: E731
    kl_rm = integrate.quad(lambda x: np.exp(lp_r(x)) * (lp_r(x) - lp_m(x)), lo, hi, limit=200)[0]
    kl_gm = integrate.quad(lambda x: np.exp(lp_g(x)) * (lp_g(x) - lp_m(x)), lo, hi, limit=200)[0]
    return value, 0.5 * kl_rm + 0.5 * kl_gm


@pytest.mark.parametrize("mu", [0.0, 0.5, 1.0, 2.0, 4.0])
def test_optimal_discriminator_value_is_twice_js_minus_log4(mu):
    value, js = _value_at_optimum_and_js(mu)
    assert 0.0 <= js <= LOG2 + 1e-12
    assert value == pytest.approx(2 * js - np.log(4.0), abs=1e-8)
    if mu == 0.0:
        assert js == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("mu", [0.0, 0.5, 1.0, 2.0, 4.0])
def test_discriminator_loss_at_optimum_estimates_minus_value(mu):
    """Monte Carlo: the library's Eq. 2 on D*'s logits is -V(D*, G) = log 4 - 2 JS."""
    rng = np.random.default_rng(int(mu * 10) + 3)
    n = 400_000
    x_r, x_g = rng.normal(0.0, 1.0, n), rng.normal(mu, 1.0, n)

    def logit(x):  # log D* - log(1 - D*) = log p_r - log p_g
        return stats.norm.logpdf(x) - stats.norm.logpdf(x, mu)

    l_r, l_g = logit(x_r), logit(x_g)
    loss = _f(gan_discriminator_loss(l_r, l_g))  # float64 all the way
    value, js = _value_at_optimum_and_js(mu)
    # standard error of the two independent sample means of softplus terms
    se = np.sqrt(np.var(np.logaddexp(0.0, -l_r)) / n + np.var(np.logaddexp(0.0, l_g)) / n)
    assert loss == pytest.approx(-value, abs=5 * se + 1e-12)
    assert loss == pytest.approx(np.log(4.0) - 2 * js, abs=5 * se + 1e-12)
    # and the non-saturating / saturating generator losses agree with the same quadrature:
    # E_g[log(1 - D*)] is the g-part of V
    g_part = integrate.quad(
        lambda x: stats.norm.pdf(x, mu) * -np.logaddexp(0.0, logit(x)), mu - 15, mu + 15, limit=200
    )[0]
    se_g = np.sqrt(np.var(np.logaddexp(0.0, l_g)) / n)
    assert _f(gan_generator_loss_saturating(l_g)) == pytest.approx(g_part, abs=5 * se_g + 1e-12)
