"""ALI (the augmentation paper's Eq. 4) and AC-GAN on ALI latents (Eq. 5): objective, mask, mixture, initialisation."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from bagan_lib.errors import KitError
from bagan_lib.gan import losses
from bagan_lib.gan.ali import ALITrainer, RealLatentMixture, ali_critic_terms, ali_generator_loss
from bagan_lib.models.builders import build_ali, build_model

SIZE, LATENT, N_CLASSES = 32, 8, 4
DIMS = dict(image_size=SIZE, channels=1, latent_dim=LATENT, width=0.125)


def batch(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return (tf.constant(rng.uniform(-1, 1, (n, SIZE, SIZE, 1)).astype("float32")),
            tf.constant(rng.integers(0, N_CLASSES, n).astype("int32")))


def ali(seed=0) -> ALITrainer:
    keras.utils.set_random_seed(seed)
    model = build_ali(**DIMS, seed=seed)
    model.compile()
    return model


def values(variables):
    return [np.array(v.numpy()) for v in variables]


def changed(before, variables):
    return any(not np.array_equal(b, v.numpy()) for b, v in zip(before, variables))


def test_eq4_at_a_critic_that_cannot_tell_is_minus_log_4():
    """D = 1/2 everywhere (a zero last layer): each critic term is log 2, so V = -(real + fake) = -log 4, the
    value of Eq. 4 at its equilibrium, and the encoder's and generator's loss is 2 log 2 as well."""
    model = ali()
    last = model.critic.get_layer("ali_d_logit")
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    x, _ = batch()
    z_fake = tf.random.normal((16, LATENT), seed=1)
    real, fake = model.joint_scores(x, model.encode(x), model.generator(z_fake), z_fake)
    terms = ali_critic_terms(real, fake)
    assert float(terms["real"]) == pytest.approx(math.log(2), abs=1e-6)
    assert float(terms["fake"]) == pytest.approx(math.log(2), abs=1e-6)
    assert -(float(terms["real"]) + float(terms["fake"])) == pytest.approx(-math.log(4), abs=1e-6)
    assert float(ali_generator_loss(real, fake)) == pytest.approx(2 * math.log(2), abs=1e-6)


def test_eq4_terms_equal_the_log_likelihoods_on_given_scores():
    rng = np.random.default_rng(3)
    real, fake = rng.normal(0, 3, (9, 1)).astype("float32"), rng.normal(0, 3, (9, 1)).astype("float32")
    sigmoid = lambda s: 1 / (1 + np.exp(-s.astype("float64")))  # noqa: E731
    v = np.mean(np.log(sigmoid(real))) + np.mean(np.log(1 - sigmoid(fake)))  # Eq. 4's V for D = sigmoid(score)
    terms = ali_critic_terms(real, fake)
    assert -(float(terms["real"]) + float(terms["fake"])) == pytest.approx(v, rel=1e-5)
    # the encoder's and generator's non-saturating loss: -log(1 - D(x, G_z(x))) - log D(G_x(z), z)
    expected = np.mean(-np.log(1 - sigmoid(real))) + np.mean(-np.log(sigmoid(fake)))
    assert float(ali_generator_loss(real, fake)) == pytest.approx(expected, rel=1e-5)


def test_critic_step_moves_only_the_critic_and_generator_step_moves_encoder_and_generator():
    model = ali()
    x, y = batch()
    critic, enc, gen = (values(m.trainable_variables) for m in (model.critic, model.encoder, model.generator))
    model.critic_step(x, y)
    assert changed(critic, model.critic.trainable_variables)
    assert not changed(enc, model.encoder.trainable_variables) and not changed(gen, model.generator.trainable_variables)
    critic = values(model.critic.trainable_variables)
    model.generator_step(16, y, x)
    assert changed(enc, model.encoder.trainable_variables) and changed(gen, model.generator.trainable_variables)
    assert not changed(critic, model.critic.trainable_variables)


def test_the_critic_learns_to_tell_the_pairs_apart_and_the_players_answer():
    """Critic steps alone raise V on a fixed batch (the max of Eq. 4); generator steps alone lower its loss (the min)."""
    model = ali(seed=1)
    x, y = batch(32, seed=2)
    z = tf.random.normal((32, LATENT), seed=3)

    def critic_loss():
        terms = ali_critic_terms(*model.joint_scores(x, model.encode(x), model.generator(z), z, training=False))
        return float(terms["real"] + terms["fake"])

    def players_loss():
        return float(ali_generator_loss(*model.joint_scores(x, model.encode(x), model.generator(z), z,
                                                            training=False)))

    start = critic_loss()
    for _ in range(30):
        model.critic_step(x, y)
    assert critic_loss() < start - 0.1  # 1.39 -> 1.22 measured (fresh noise every step)
    start = players_loss()
    for _ in range(15):
        model.generator_step(32, y, x)
    assert players_loss() < start


def test_fit_tracks_the_terms_and_reconstructs_real_images():
    model = ali()
    x, y = batch(32)
    history = model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(16, drop_remainder=True), epochs=1,
                        verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "real", "fake"}
    assert all(np.isfinite(v[-1]) for v in history.values())
    assert model.reconstruct(x[:5]).shape == (5, SIZE, SIZE, 1)


def test_ali_refuses_settings_it_fixes_itself():
    with pytest.raises(KitError, match="sets gp_lambda itself"):
        ALITrainer(None, None, None, latent_dim=LATENT, gp_lambda=10.0)


def test_masked_generator_loss_equals_eq5_on_a_hand_made_batch():
    """L_G = mean_i m_i BCE(s_i, 1) + mean_i CE(c_i, y_i): images from real latents (m = 0) add their class term only."""
    outputs = np.array([[2.0, 1.0, 0.0, -1.0], [-1.0, 0.0, 3.0, 0.5], [0.5, 2.0, 2.0, 0.0], [-3.0, 0.0, 0.0, 4.0]],
                       "float32")  # column 0: the source logit; then 3 class logits
    labels = np.array([0, 1, 2, 2], "int32")
    mask = np.array([0, 0, 1, 1], "float32")
    s, c = outputs[:, 0].astype("float64"), outputs[:, 1:].astype("float64")
    bce_real = np.log1p(np.exp(-s))                               # -log sigmoid(s)
    ce = -(c[np.arange(4), labels] - np.log(np.exp(c).sum(1)))    # -log softmax(c)_y
    expected_masked = np.mean(mask * bce_real) + ce.mean()
    expected_unmasked = bce_real.mean() + ce.mean()
    assert float(losses.acgan_generator_loss(outputs, labels, mask)) == pytest.approx(expected_masked, rel=1e-6)
    assert float(losses.acgan_generator_loss(outputs, labels)) == pytest.approx(expected_unmasked, rel=1e-6)
    assert float(losses.acgan_generator_loss(outputs, labels, np.ones(4))) == pytest.approx(expected_unmasked, rel=1e-6)


def _deterministic_encoder():
    """mu = a fixed linear map of the image, logvar = -60 (sigma ~ 1e-13): G_z(x) is mu."""
    image = keras.Input((SIZE, SIZE, 1))
    flat = keras.layers.Flatten()(image)
    mu = keras.layers.Dense(LATENT, kernel_initializer=keras.initializers.RandomNormal(seed=4))(flat)
    logvar = keras.layers.Dense(LATENT, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(-60.0))(flat)
    return keras.Model(image, [mu, logvar])


@pytest.mark.parametrize("batch_size, share, expected", [(16, 0.5, 8), (7, 0.5, 4), (5, 0.5, 3), (16, 0.25, 4),
                                                          (4, 0.01, 1), (4, 0.99, 3)])
def test_mixture_count_per_batch(batch_size, share, expected):
    assert RealLatentMixture(_deterministic_encoder(), share=share).count(batch_size) == expected


@pytest.mark.parametrize("masked", [True, False])
def test_mixture_batch_is_encoded_real_images_with_their_labels_then_noise(masked):
    keras.utils.set_random_seed(0)
    encoder = _deterministic_encoder()
    trainer = build_model("acgan_v1", n_classes=N_CLASSES, **DIMS, seed=0)  # any conditional AC-GAN trainer
    mixture = RealLatentMixture(encoder, share=0.5, masked=masked)
    x, y = batch(10, seed=5)
    z, labels, mask = mixture.generator_inputs(trainer, x, y)
    mu = np.asarray(encoder(x)[0])
    np.testing.assert_allclose(np.asarray(z)[:5], mu[:5], atol=1e-5)
    np.testing.assert_array_equal(np.asarray(labels)[:5], np.asarray(y)[:5])
    assert not np.allclose(np.asarray(z)[5:], mu[5:], atol=1e-2)  # noise, not codes
    assert set(np.asarray(labels)[5:]) <= set(range(N_CLASSES))
    if masked:
        np.testing.assert_array_equal(np.asarray(mask), [0] * 5 + [1] * 5)
    else:
        assert mask is None


def test_mixture_refuses_a_share_outside_0_1():
    with pytest.raises(KitError, match="strictly between 0 and 1"):
        RealLatentMixture(_deterministic_encoder(), share=1.0)


def test_acgan_ali_v2_fine_tunes_alis_generator_and_v1_starts_from_scratch():
    """v2's decoder is ALI's G_x (the same weights, trained on); its labelled latent z * e_y is AC-GAN's."""
    pretrained = ali(seed=2)
    v2 = build_model("acgan_ali_v2", n_classes=N_CLASSES, autoencoder=pretrained, **DIMS, seed=0)
    v1 = build_model("acgan_ali_v1", n_classes=N_CLASSES, autoencoder=pretrained, **DIMS, seed=0)
    assert pretrained.generator in v2.generator.layers and pretrained.generator not in v1.generator.layers
    z, labels = tf.random.normal((6, LATENT), seed=7), tf.constant([0, 1, 2, 3, 0, 1])
    labelled = v2.generator.get_layer("embedding")([z, labels])
    np.testing.assert_allclose(np.asarray(v2.generate(z, labels)), np.asarray(pretrained.generator(labelled)),
                               atol=1e-6)
    decoder_v1 = next(layer for layer in v1.generator.layers if layer.name == "decoder")
    assert not np.allclose(decoder_v1.get_layer("dec_dense").get_weights()[0],
                           pretrained.generator.get_layer("dec_dense").get_weights()[0])
    for trainer in (v1, v2):  # both draw real latents from ALI's encoder, which stays frozen
        assert trainer.real_latents.encoder is pretrained.encoder
        assert not any(v is w for v in trainer.generator_variables for w in pretrained.encoder.trainable_variables)


def test_an_acgan_ali_train_step_keeps_the_encoder_and_needs_the_real_batch():
    pretrained = ali(seed=3)
    trainer = build_model("acgan_ali_v1", n_classes=N_CLASSES, autoencoder=pretrained, **DIMS, seed=0)
    trainer.compile()
    encoder = values(pretrained.encoder.weights)
    generator = values(trainer.generator.trainable_variables)
    x, y = batch(16)
    logs = trainer.train_step((x, y))
    assert np.isfinite(float(logs["g_loss"])) and changed(generator, trainer.generator.trainable_variables)
    assert not changed(encoder, pretrained.encoder.weights)
    with pytest.raises(KitError, match="needs it"):
        trainer.generator_step(16, y)


def test_acgan_ali_refuses_a_missing_or_wrong_pretrained_network():
    with pytest.raises(KitError, match="starts from a pre-trained ALI"):
        build_model("acgan_ali_v1", n_classes=N_CLASSES, **DIMS)


def test_ali_is_pretrained_once_saved_and_reloaded_on_resume(tmp_path):
    """From the command line: ALI trains as step 1 of acgan_ali_v1 (its epochs, its reconstruction error), is saved
    as the run's checkpoints/autoencoder.npz, and a resume with more GAN epochs reloads it instead of training it."""
    import os
    import subprocess
    import sys

    out = tmp_path / "run"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    base = [sys.executable, "-m", "bagan_lib", "train", "--model", "acgan_ali_v1", "--dataset", "synthetic_cells",
            "--profile", "smoke", "--out", str(out)]
    first = subprocess.run(base, capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "ALI (Eq. 4): 1 epochs" in first.stdout and "reconstruction error" in first.stdout
    assert (out / "checkpoints" / "autoencoder.npz").is_file()
    again = subprocess.run(base + ["--resume", "--epochs", "2"], capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "autoencoder: reloaded" in again.stdout and "ALI (Eq. 4)" not in again.stdout
    assert "epoch 2/2" in again.stdout
