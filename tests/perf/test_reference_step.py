"""The reference-design baseline and the kit's BAGAN-GP v3 step do the same mathematics.

From the same weights and the same seed (so the same draws: fake labels, noise,
wrong labels, alpha, in the same order) one training step of the kit's trainer
(one batched critic call, optionally XLA) and of
:class:`bagan_lib.perf.reference_step.ReferenceStep` (three critic calls, its own
cross-entropy and penalty code) must give the same loss terms and the same
weight updates. Tolerances, for float32 on CPU:

* loss terms: 1e-6 relative + 1e-7 absolute (observed: equal, or 1 ulp apart);
* weight updates ``w_after - w_before`` (Adam, learning rate 2e-4): 2e-7 absolute,
  0.1 % of one Adam step. The largest difference, about 5e-8, is in the biases of
  the generator's transposed convolutions: batch normalisation follows them, so
  their exact gradient is 0 and Adam moves them by rounding noise in either step.
"""

from __future__ import annotations


import keras
import numpy as np
import pytest
import tensorflow as tf

from bagan_lib.models.builders import build_autoencoder, build_model
from bagan_lib.perf.reference_step import ReferenceStep, bce, build_reference_networks, penalty

SIZE, CHANNELS, N_CLASSES, LATENT, WIDTH, BATCH, CRITIC_STEPS, SEED = 32, 1, 4, 16, 0.125, 16, 2, 7
LEARNING_RATE = 2e-4


def twins(jit_compile: bool):
    """The kit's v3 trainer and a baseline with copies of its weights and the same seed."""
    keras.utils.set_random_seed(0)
    dims = dict(image_size=SIZE, channels=CHANNELS, n_classes=N_CLASSES, latent_dim=LATENT, width=WIDTH)
    kit = build_model("bagan_gp_v3", autoencoder=build_autoencoder(supervised=True, **dims),
                      critic_steps=CRITIC_STEPS, jit_compile=jit_compile, seed=SEED, **dims)
    kit.compile()
    generator, critic = build_reference_networks(**dims)
    generator.set_weights(kit.generator.get_weights())
    critic.set_weights(kit.critic.get_weights())
    return kit, ReferenceStep(generator, critic, latent_dim=LATENT, n_classes=N_CLASSES,
                              critic_steps=CRITIC_STEPS, seed=SEED)


def batch():
    rng = np.random.default_rng(3)
    return (tf.constant(rng.uniform(-1, 1, (BATCH, SIZE, SIZE, CHANNELS)).astype("float32")),
            tf.constant(rng.integers(0, N_CLASSES, BATCH).astype("int32")))


@pytest.mark.parametrize("jit_compile", [False, True], ids=["kit", "kit_xla"])
def test_kit_step_and_reference_step_give_the_same_losses_and_updates(jit_compile):
    kit, reference = twins(jit_compile)
    pairs = [(kit.generator, reference.generator), (kit.critic, reference.critic)]
    before = [[w.copy() for w in ours.get_weights()] for ours, _ in pairs]
    x, y = batch()
    kit_losses = {k: float(v) for k, v in tf.function(kit.train_step)((x, y)).items()}
    ref_losses = {k: float(v) for k, v in reference.train_step(x, y).items()}

    assert set(kit_losses) == set(ref_losses) == {"d_loss", "g_loss", "real", "fake", "wrong", "gp"}
    for name in kit_losses:
        np.testing.assert_allclose(kit_losses[name], ref_losses[name], rtol=1e-6, atol=1e-7, err_msg=name)
    largest_update = 0.0
    for (ours, theirs), start in zip(pairs, before):
        for variable, w_kit, w_ref, w0 in zip(ours.weights, ours.get_weights(), theirs.get_weights(), start):
            np.testing.assert_allclose(w_kit - w0, w_ref - w0, rtol=0, atol=1e-3 * LEARNING_RATE,
                                       err_msg=variable.path)
            largest_update = max(largest_update, float(np.abs(w_kit - w0).max()))
    assert largest_update > 0.5 * LEARNING_RATE  # the weights really moved: Adam's first steps are ~lr


def test_reference_losses_are_the_papers_cross_entropies():
    logits = tf.constant([[-30.0], [0.0], [2.0]])
    expected_one = np.mean(np.log1p(np.exp(-np.array([-30.0, 0.0, 2.0]))))  # -log sigmoid(l)
    expected_zero = np.mean(np.log1p(np.exp(np.array([-30.0, 0.0, 2.0]))))  # -log(1 - sigmoid(l))
    np.testing.assert_allclose(float(bce(logits, 1.0)), expected_one, rtol=1e-6)
    np.testing.assert_allclose(float(bce(logits, 0.0)), expected_zero, rtol=1e-6)


def test_reference_penalty_is_zero_for_a_critic_with_unit_gradient_norm():
    # D(x) = sum(x * u) with ||u|| = 1 has gradient u everywhere: (||u|| - 1)^2 = 0; doubling u gives 1.
    direction = np.random.default_rng(0).standard_normal((1, 4, 4, 1)).astype("float32")
    direction /= np.linalg.norm(direction)

    def linear(scale):
        return lambda inputs, training=None: tf.reduce_sum(inputs[0] * scale * direction, axis=[1, 2, 3])[:, None]

    x_hat = tf.constant(np.random.default_rng(1).standard_normal((5, 4, 4, 1)).astype("float32"))
    labels = tf.zeros(5, tf.int32)
    np.testing.assert_allclose(float(penalty(linear(1.0), x_hat, labels)), 0.0, atol=1e-5)
    np.testing.assert_allclose(float(penalty(linear(2.0), x_hat, labels)), 1.0, atol=1e-5)
