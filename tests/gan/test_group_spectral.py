"""Group spectral regularisation (bagan_lib.gan.group_spectral) and the cBN generator (bagan_lib.models.class_batchnorm):
the effective-number weights, the grouped spectral norms and the penalty against closed forms, the penalty's
gradient against sigma_max's, cBN against plain batch norm, and one training step that records the diagnostic."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from bagan_lib.errors import KitError
from bagan_lib.gan.group_spectral import (
    GSR_BETA, GroupSpectralRegulariser, class_gain_norms, class_weights, effective_number, group_shape, grouped,
    gsr_penalty, spectral_norms)
from bagan_lib.models.builders import build_autoencoder, build_model
from bagan_lib.models.class_batchnorm import (
    ClassBatchNormalization, build_cbn_decoder, build_cbn_generator, cbn_decoder_from, class_batchnorm_layers)
from bagan_lib.models.networks import build_decoder, build_embedding, build_generator
from bagan_lib.models.recipes import GSR_LAMBDA, get_recipe

N_CLASSES, LATENT, SIZE, WIDTH = 3, 8, 32, 0.25   # the cBN layers then have 32 and 16 channels: 4 x 8 and 4 x 4


def rng(seed=0):
    return np.random.default_rng(seed)


def cbn_generator(seed=0):
    keras.utils.set_random_seed(seed)
    return build_cbn_generator(build_embedding(N_CLASSES, LATENT),
                               build_cbn_decoder(SIZE, 1, LATENT, N_CLASSES, WIDTH))


# -- the class weights -----------------------------------------------------------------------
def test_effective_numbers_and_weights_on_hand_made_counts():
    # beta = 1/2: E_1 = 1, E_2 = 1.5, E_n -> 2; K = 3 / (1 + 2/3 + 1/2) = 18/13
    np.testing.assert_allclose(effective_number([1, 2, 1000], beta=0.5), [1.0, 1.5, 2.0])
    np.testing.assert_allclose(class_weights([1, 2, 1000], beta=0.5), [18 / 13, 12 / 13, 9 / 13])
    np.testing.assert_allclose(effective_number([1, 3], beta=0.0), [1.0, 1.0])  # beta = 0: every class counts once
    np.testing.assert_allclose(class_weights([1, 500], beta=0.0), [1.0, 1.0])
    counts = np.array([5000, 500, 50])
    weights = class_weights(counts)
    expected = (1 - GSR_BETA) / (1 - GSR_BETA ** counts)        # 1 / E_n, then scaled to average 1
    np.testing.assert_allclose(weights, expected * 3 / expected.sum())
    assert weights.sum() == pytest.approx(3) and weights[2] > weights[1] > weights[0]  # the tail weighs most
    for bad in ([0, 5], [[1, 2]], []):
        with pytest.raises(KitError, match="at least one image"):
            class_weights(bad)


# -- grouping and spectral norms ---------------------------------------------------------------
def test_the_grouping_is_the_squarest_row_by_row():
    assert [group_shape(d) for d in (128, 64, 32, 16, 12, 7, 1)] == [(8, 16), (8, 8), (4, 8), (4, 4), (3, 4),
                                                                      (1, 7), (1, 1)]
    vectors = np.arange(2 * 12, dtype="float32").reshape(2, 12)
    np.testing.assert_array_equal(np.asarray(grouped(vectors)), vectors.reshape(2, 3, 4))


def test_spectral_norms_equal_the_closed_forms():
    u, v = rng().normal(size=4), rng(1).normal(size=8)
    rank_one = np.outer(u, v)                                   # sigma_max(u v^T) = |u| |v|
    diagonal = np.zeros((4, 8))
    diagonal[np.arange(4), np.arange(4)] = [0.5, -3.0, 2.0, 1.0]  # sigma_max = max |d|
    orthogonal = np.linalg.qr(rng(2).normal(size=(8, 8)))[0][:4]  # orthonormal rows: every sigma is 1
    norms = np.asarray(spectral_norms(np.stack([rank_one, diagonal, orthogonal]).astype("float32")))
    np.testing.assert_allclose(norms, [np.linalg.norm(u) * np.linalg.norm(v), 3.0, 1.0], rtol=1e-5)


def test_the_penalty_equals_its_closed_form_on_hand_made_gains_and_biases():
    generator = cbn_generator()
    layers = class_batchnorm_layers(generator)
    assert [tuple(layer.gain_offsets.shape) for layer in layers] == [(N_CLASSES, 32), (N_CLASSES, 16)]
    counts = np.array([200, 20, 2])
    expected = 0.0
    weights = class_weights(counts)
    for layer in layers:
        d = layer.gain_offsets.shape[1]
        rows, cols = group_shape(d)
        gains, biases = np.zeros((N_CLASSES, d)), np.zeros((N_CLASSES, d))
        for y in range(N_CLASSES):
            u, v = rng(y).normal(size=rows), rng(10 + y).normal(size=cols)
            gains[y] = np.outer(u, v).ravel()                         # rank 1: sigma = |u| |v|
            scale = rng(20 + y).normal(size=min(rows, cols))
            bias = np.zeros((rows, cols))
            bias[np.arange(len(scale)), np.arange(len(scale))] = scale  # diagonal: sigma = max |d|
            biases[y] = bias.ravel()
            expected += weights[y] * ((np.linalg.norm(u) * np.linalg.norm(v)) ** 2 + np.abs(scale).max() ** 2)
        layer.gain_offsets.assign(gains.astype("float32"))
        layer.biases.assign(biases.astype("float32"))
    expected /= len(layers) * N_CLASSES
    regulariser = GroupSpectralRegulariser(generator, counts)
    assert float(regulariser.penalty()) == pytest.approx(expected, rel=1e-5)
    gain_norms, _ = regulariser.norms()
    np.testing.assert_allclose(np.asarray(class_gain_norms(layers)), np.asarray(gain_norms).mean(axis=0), rtol=1e-6)
    assert float(gsr_penalty(np.ones((2, 3)), np.zeros((2, 3)), [1.0, 2.0, 3.0])) == pytest.approx(2.0)


def test_the_gradient_of_the_penalty_is_the_analytic_one_for_a_rank_one_gain():
    """d sigma_max(A) / dA = u1 v1^T, so d R / d g_y = 2 w_y sigma_max(Gamma_y) u1 v1^T / (L C) (bias 0)."""
    generator = cbn_generator()
    layers = class_batchnorm_layers(generator)
    counts = np.array([100, 10, 1])
    y, layer = 2, layers[0]
    rows, cols = group_shape(layer.gain_offsets.shape[1])
    u, v, s = rng(3).normal(size=rows), rng(4).normal(size=cols), 1.7
    u1, v1 = u / np.linalg.norm(u), v / np.linalg.norm(v)
    gains = np.zeros(tuple(layer.gain_offsets.shape), "float32")
    gains[y] = (s * np.outer(u1, v1)).ravel()
    layer.gain_offsets.assign(gains)
    regulariser = GroupSpectralRegulariser(generator, counts)
    with tf.GradientTape() as tape:
        penalty = regulariser.penalty()
    gradient = tf.convert_to_tensor(tape.gradient(penalty, layer.gain_offsets)).numpy()
    expected = np.zeros_like(gains)
    expected[y] = (2 * class_weights(counts)[y] * s * np.outer(u1, v1) / (len(layers) * N_CLASSES)).ravel()
    np.testing.assert_allclose(gradient, expected, atol=1e-6, rtol=1e-4)
    # the same for sigma_max alone: its gradient is u1 v1^T
    matrix = tf.Variable((s * np.outer(u1, v1)).astype("float32"))
    with tf.GradientTape() as tape:
        sigma = spectral_norms(tf.convert_to_tensor(matrix))
    np.testing.assert_allclose(tape.gradient(sigma, matrix).numpy(), np.outer(u1, v1), atol=1e-6)


# -- class-conditional batch normalisation -------------------------------------------------------
def test_cbn_at_gain_one_bias_zero_is_plain_batch_norm_without_affine():
    x = tf.constant(rng(5).normal(2.0, 3.0, (6, 4, 4, 5)), tf.float32)
    y = tf.constant([0, 1, 2, 2, 1, 0], tf.int32)
    conditional = ClassBatchNormalization(N_CLASSES)
    plain = keras.layers.BatchNormalization(center=False, scale=False)
    for training in (True, False):  # batch statistics, then the moving averages both kept
        np.testing.assert_allclose(np.asarray(conditional([x, y], training=training)),
                                   np.asarray(plain(x, training=training)), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(conditional.norm.moving_mean), np.asarray(plain.moving_mean), rtol=1e-6)
    # per-class affine: (1 + g_y) x_hat + b_y
    gains, biases = rng(6).normal(size=(N_CLASSES, 5)), rng(7).normal(size=(N_CLASSES, 5))
    conditional.gain_offsets.assign(gains.astype("float32"))
    conditional.biases.assign(biases.astype("float32"))
    x_hat = np.asarray(plain(x, training=True))
    expected = x_hat * (1 + gains[y.numpy()])[:, None, None, :] + biases[y.numpy()][:, None, None, :]
    np.testing.assert_allclose(np.asarray(conditional([x, y], training=True)), expected, rtol=1e-5, atol=1e-5)


def test_the_cbn_generator_from_a_decoder_starts_as_the_plain_generator():
    keras.utils.set_random_seed(8)
    decoder, embedding = build_decoder(SIZE, 1, LATENT, WIDTH), build_embedding(N_CLASSES, LATENT)
    for i, layer in enumerate(l for l in decoder.layers if l.name.startswith("dec_bn")):  # a trained-looking affine
        d = layer.gamma.shape[0]
        layer.gamma.assign(rng(i).uniform(0.5, 1.5, d).astype("float32"))
        layer.beta.assign(rng(10 + i).normal(size=d).astype("float32"))
        layer.moving_mean.assign(rng(20 + i).normal(size=d).astype("float32"))
        layer.moving_variance.assign(rng(30 + i).uniform(0.5, 2, d).astype("float32"))
    plain = build_generator(embedding, decoder)
    conditional = build_cbn_generator(embedding, cbn_decoder_from(decoder, N_CLASSES))
    z = tf.constant(rng(9).normal(size=(6, LATENT)), tf.float32)
    y = tf.constant([0, 1, 2, 0, 1, 2], tf.int32)
    for training in (False, True):
        np.testing.assert_allclose(np.asarray(conditional([z, y], training=training)),
                                   np.asarray(plain([z, y], training=training)), atol=1e-5)


# -- in the trainer ------------------------------------------------------------------------------
def test_gsr_is_refused_without_a_cbn_generator():
    with pytest.raises(KitError, match="bagan_gp_v3_cbn"):
        get_recipe("bagan_gp_v3").check_gsr("bagan_gp_v3", GSR_LAMBDA)
    get_recipe("bagan_gp_v3_cbn").check_gsr("bagan_gp_v3_cbn", GSR_LAMBDA)
    keras.utils.set_random_seed(0)
    plain = build_generator(build_embedding(N_CLASSES, LATENT), build_decoder(SIZE, 1, LATENT, WIDTH))
    with pytest.raises(KitError, match="no class-conditional batch normalisation"):
        GroupSpectralRegulariser(plain, [3, 2, 1])


def test_a_training_step_of_bagan_gp_v3_cbn_with_gsr_records_the_norms():
    autoencoder = build_autoencoder(supervised=True, image_size=SIZE, channels=1, n_classes=N_CLASSES,
                                    latent_dim=LATENT, width=WIDTH)
    counts = np.array([40, 6, 2])
    keras.utils.set_random_seed(1)
    trainer = build_model("bagan_gp_v3_cbn", image_size=SIZE, channels=1, n_classes=N_CLASSES, latent_dim=LATENT,
                          width=WIDTH, autoencoder=autoencoder, critic_steps=1, gsr_lambda=GSR_LAMBDA,
                          class_counts=counts, seed=1)
    trainer.compile()
    assert trainer.gsr is not None and len(trainer.cbn_layers) == 2
    for layer in trainer.cbn_layers:  # classes apart, so that the step has something to regularise
        layer.gain_offsets.assign(rng(11).normal(0, 0.3, tuple(layer.gain_offsets.shape)).astype("float32"))
    x = rng(12).uniform(-1, 1, (8, SIZE, SIZE, 1)).astype("float32")
    y = np.array([0, 0, 0, 0, 0, 1, 1, 2], "int32")
    history = trainer.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(8), epochs=1, verbose=0).history
    norms = [np.stack([np.linalg.svd(np.asarray(layer.gain_offsets)[c].reshape(group_shape(
        layer.gain_offsets.shape[1])), compute_uv=False).max() for layer in trainer.cbn_layers]).mean()
        for c in range(N_CLASSES)]  # numpy's SVD of the tables after the step
    np.testing.assert_allclose([history[f"gsr_norm_{c}"][0] for c in range(N_CLASSES)], norms, rtol=1e-4)
    assert history["gsr"][0] == pytest.approx(float(trainer.gsr.penalty()), rel=1e-5)
    assert np.isfinite(history["g_loss"][0]) and history["gsr"][0] > 0
