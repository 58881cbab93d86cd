"""BAGAN on the shared trainer: the (n+1)-class losses, the balanced share of fakes, class-conditional latents."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from bagan_lib.gan import losses
from bagan_lib.gan.class_latents import (
    ClassConditionalLatents, ClassGaussians, class_conditional_latents, fit_class_gaussians)
from bagan_lib.errors import KitError
from bagan_lib.models.builders import build_autoencoder, build_model

SIZE, N, LATENT = 32, 3, 6


def test_bagan_losses_are_the_hand_computed_cross_entropies():
    real = np.array([[2.0, 0.0, 0.0, -1.0], [0.0, 1.0, 3.0, 0.0]], "float32")  # n = 3 classes + "fake"
    fake = np.array([[0.0, 0.0, 0.0, 2.0], [1.0, 1.0, 1.0, 1.0]], "float32")
    y_real, y_fake = np.array([0, 2]), np.array([1, 0])

    def ce(logits, label):
        return -(logits[label] - math.log(np.exp(logits).sum()))

    real_term, fake_term = losses.bagan_discriminator_loss(real, fake, y_real)
    np.testing.assert_allclose(float(real_term), (ce(real[0], 0) + ce(real[1], 2)) / 2, rtol=1e-6)
    np.testing.assert_allclose(float(fake_term), (ce(fake[0], 3) + ce(fake[1], 3)) / 2, rtol=1e-6)
    np.testing.assert_allclose(float(losses.bagan_generator_loss(fake, y_fake)),
                               (ce(fake[0], 1) + ce(fake[1], 0)) / 2, rtol=1e-6)


def test_class_gaussians_fit_and_sample_with_the_class_mean_and_covariance():
    rng = np.random.default_rng(0)
    cov = np.array([[2.0, 0.8], [0.8, 1.0]])
    latents = np.concatenate([rng.multivariate_normal([3, -1], cov, 4000), rng.normal(0, 0.5, (4000, 2))])
    labels = np.repeat([0, 1], 4000)
    fitted = fit_class_gaussians(latents, labels, 2)
    np.testing.assert_allclose(fitted.means[0], [3, -1], atol=0.08)
    np.testing.assert_allclose(fitted.covariances[0], cov, atol=0.12)
    sampler = ClassConditionalLatents(fitted)
    eps = keras.random.normal((20000, 2), seed=1)
    z = sampler(eps, tf.zeros(20000, tf.int32)).numpy()
    np.testing.assert_allclose(z.mean(0), fitted.means[0], atol=0.05)
    np.testing.assert_allclose(np.cov(z, rowvar=False), fitted.covariances[0], rtol=0.05, atol=0.03)


def test_class_sampler_is_mean_plus_cholesky_times_noise_exactly():
    means = np.array([[1.0, 2.0], [-1.0, 0.0]], "float32")
    covs = np.array([np.diag([4.0, 9.0]), np.eye(2)], "float32")
    sampler = ClassConditionalLatents(ClassGaussians(means, covs, np.array([10, 10])))
    z = sampler(tf.constant([[1.0, 1.0], [1.0, -2.0]]), tf.constant([0, 1])).numpy()
    jitter = 1e-3 * 6.5  # JITTER * mean variance of class 0
    np.testing.assert_allclose(z[0], [1 + math.sqrt(4 + jitter), 2 + math.sqrt(9 + jitter)], rtol=1e-5)
    np.testing.assert_allclose(z[1], [-1 + math.sqrt(1.001), -2 * math.sqrt(1.001)], rtol=1e-5, atol=1e-6)


def test_a_minority_class_smaller_than_the_latent_size_still_has_a_cholesky_factor():
    rng = np.random.default_rng(3)
    latents = rng.normal(size=(3 + 40, 6))  # class 0: 3 images in 6-d, a covariance of rank 2
    labels = np.array([0] * 3 + [1] * 40)
    fitted = fit_class_gaussians(latents, labels, 2)
    assert np.linalg.matrix_rank(fitted.covariances[0]) == 2
    factor = fitted.cholesky()[0]
    jitter = 1e-3 * np.trace(fitted.covariances[0]) / 6  # the documented JITTER * mean variance
    np.testing.assert_allclose(factor @ factor.T, fitted.covariances[0] + jitter * np.eye(6), atol=1e-6)
    z = class_conditional_latents(fitted)(tf.constant(rng.normal(size=(5, 6)), tf.float32), tf.zeros(5, tf.int32))
    assert np.isfinite(z.numpy()).all()


@pytest.mark.parametrize("latents, labels, message", [
    (np.zeros((5, 2)), np.array([0, 0, 0, 0, 1]), "Class 1 has 1 image"),
    (np.zeros((4, 2)), np.array([0, 0, 2, 2]), "outside 0..1"),
    (np.zeros((4, 2)), np.array([0, 0, 1]), "do not match"),
])
def test_bad_class_latents_are_refused(latents, labels, message):
    with pytest.raises(KitError, match=message):
        fit_class_gaussians(latents, labels, 2)


def _bagan(separated=False):
    keras.utils.set_random_seed(0)
    ae = build_autoencoder(supervised=False, image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT,
                           width=0.125, reconstruction="l2")
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (30, SIZE, SIZE, 1)).astype("float32")
    y = np.arange(30) % N
    fitted = fit_class_gaussians(ae.encoder.predict(x, verbose=0), y, N)
    if separated:  # class latents far apart, so the decoder can tell the classes from z alone
        fitted = ClassGaussians(3 * np.eye(N, LATENT, dtype="float32"),
                                np.stack([0.01 * np.eye(LATENT, dtype="float32")] * N), np.full(N, 10))
    trainer = build_model("bagan", image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=0.125,
                          autoencoder=ae, class_latents=fitted, seed=2)
    trainer.compile()
    return trainer, ae, x, y


def test_bagan_is_built_from_the_autoencoder():
    trainer, ae, _, _ = _bagan()
    assert trainer.generator is ae.decoder and trainer.critic_steps == 1 and trainer.gp_lambda == 0
    for i in range(3):
        for a, b in zip(ae.encoder.get_layer(f"enc_conv{i}").get_weights(),
                        trainer.critic.get_layer(f"disc_conv{i}").get_weights()):
            np.testing.assert_array_equal(a, b)
    assert trainer.critic.output.shape[-1] == N + 1
    assert float(trainer.d_optimizer.learning_rate) == pytest.approx(5e-5)


@pytest.mark.parametrize("batch, expected", [(12, 4), (13, 5), (2, 1)])
def test_fake_share_equals_an_average_class(batch, expected):
    trainer, *_ = _bagan()
    assert int(trainer.fakes_per_batch(batch)) == expected == math.ceil(batch / N)


def test_the_critic_step_scores_the_real_batch_and_a_class_share_of_fakes():
    trainer, _, x, y = _bagan()
    seen = {}

    def recording_update(x_real, y_real, x_fake, y_fake, y_wrong=None, x_hat=None):
        seen.update(real=int(x_real.shape[0]), fake=int(x_fake.shape[0]), y_fake=y_fake.numpy(),
                    extra=(y_wrong, x_hat))
        loss, terms = trainer.critic_loss(x_real, y_real, x_fake, y_fake)
        real_term, fake_term = losses.bagan_discriminator_loss(trainer.critic(x_real), trainer.critic(x_fake), y_real)
        np.testing.assert_allclose([float(loss), float(terms["real"]), float(terms["fake"])],
                                   [float(real_term + fake_term), float(real_term), float(fake_term)], rtol=1e-6)
        return terms

    trainer.critic_update = recording_update
    trainer.critic_step(tf.constant(x[:13]), tf.constant(y[:13], tf.int32))
    assert (seen["real"], seen["fake"], seen["extra"]) == (13, 5, (None, None))  # ceil(13 / 3) fakes, no penalty
    assert seen["y_fake"].min() >= 0 and seen["y_fake"].max() < N


def test_class_latents_must_fit_the_model():
    _, ae, x, y = _bagan()
    fitted = fit_class_gaussians(np.random.default_rng(0).normal(size=(30, LATENT + 1)), y, N)
    with pytest.raises(KitError, match="class_latents hold 3 classes of 7-d latents"):
        build_model("bagan", image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=0.125,
                    autoencoder=ae, class_latents=fitted)


def test_generator_steps_teach_the_critic_to_name_the_conditioned_class():
    """After the critic has learnt the classes, generator steps alone raise D's probability of the conditioned class."""
    trainer, _, x, y = _bagan(separated=True)
    x = np.broadcast_to(((y - 1.0) * 0.6)[:, None, None, None], x.shape).astype("float32")  # a grey level per class
    trainer.d_optimizer.learning_rate.assign(2e-3)
    critic_step, generator_step = tf.function(trainer.critic_step), tf.function(trainer.generator_step)
    for _ in range(40):
        critic_step(tf.constant(x), tf.constant(y, tf.int32))
    trainer.g_optimizer.learning_rate.assign(2e-3)
    labels = tf.constant(np.arange(48) % N, tf.int32)
    noise = keras.random.normal((48, LATENT), seed=7)

    def conditioned_probability():
        # batch statistics in the decoder's BatchNorm, as in the steps (moving averages lag after 30 steps)
        probs = tf.nn.softmax(trainer.critic(trainer.images_from_noise(noise, labels, training=True)))
        return float(tf.reduce_mean(tf.gather(probs, labels, batch_dims=1)))

    before = conditioned_probability()
    for _ in range(30):
        generator_step(48, None)
    after = conditioned_probability()
    assert after > 2 * before, (before, after)
