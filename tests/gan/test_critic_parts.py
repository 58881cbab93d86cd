"""The factored conditional critic computes what the critic computes, with less work."""

from __future__ import annotations


import keras
import numpy as np
import pytest
import tensorflow as tf

from bagan_lib.gan.critic_parts import ConditionalCriticParts
from bagan_lib.errors import KitError
from bagan_lib.perf.flops import function_flops
from bagan_lib.models.builders import build_autoencoder, build_model
from bagan_lib.models.networks import build_bagan_discriminator, build_discriminator

SIZE, CHANNELS, N_CLASSES, WIDTH, BATCH = 32, 1, 4, 0.125, 8


def critic_and_batch():
    keras.utils.set_random_seed(1)
    critic = build_discriminator(SIZE, CHANNELS, N_CLASSES, WIDTH)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, (BATCH, SIZE, SIZE, CHANNELS)).astype("float32"))
    y = tf.constant(rng.integers(0, N_CLASSES, BATCH).astype("int32"))
    return critic, x, y


def test_parts_give_the_critics_scores_and_gradients():
    critic, x, y = critic_and_batch()
    parts = ConditionalCriticParts(critic)
    results = []
    for scorer in (critic, parts):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            scores = scorer([x, y], training=True)
            loss = tf.reduce_sum(tf.sin(scores))
        weights = [tf.convert_to_tensor(g) for g in tape.gradient(loss, critic.trainable_variables)]
        results.append((scores.numpy(), tape.gradient(loss, x).numpy(), weights))
    (s1, gx1, gw1), (s2, gx2, gw2) = results
    np.testing.assert_allclose(s2, s1, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gx2, gx1, rtol=1e-5, atol=1e-9)
    for variable, a, b in zip(critic.trainable_variables, gw1, gw2):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-9, err_msg=variable.path)


def test_the_label_codes_are_one_row_per_class():
    critic, x, y = critic_and_batch()
    codes = ConditionalCriticParts(critic).label_codes()
    assert tuple(codes.shape) == (N_CLASSES, critic.get_layer("disc_flatten").output.shape[-1])


def test_other_critics_are_refused_with_the_fix():
    with pytest.raises(KitError, match="build_discriminator"):
        ConditionalCriticParts(build_bagan_discriminator(SIZE, CHANNELS, N_CLASSES, WIDTH))


def two_trainers():
    """The same v2 model built twice from the same seed: with critic parts (the default) and without."""
    made = []
    for factored in (True, False):
        keras.utils.set_random_seed(0)
        dims = dict(image_size=SIZE, channels=CHANNELS, n_classes=N_CLASSES, latent_dim=8, width=WIDTH)
        trainer = build_model("bagan_gp_v2", autoencoder=build_autoencoder(supervised=False, **dims),
                              critic_steps=2, seed=3, **dims)
        if not factored:
            trainer.critic_parts = None
        trainer.compile()
        made.append(trainer)
    return made


def test_a_training_step_is_the_same_with_and_without_parts_and_costs_less():
    factored, plain = two_trainers()
    assert factored.critic_parts is not None
    _, x, y = critic_and_batch()
    flops = [function_flops(tf.function(t.train_step), (x, y)).total for t in (factored, plain)]
    losses = [{k: float(v) for k, v in tf.function(t.train_step)((x, y)).items()} for t in (factored, plain)]
    for name in losses[1]:
        np.testing.assert_allclose(losses[0][name], losses[1][name], rtol=1e-6, atol=1e-7, err_msg=name)
    for a, b in zip(factored.critic.get_weights() + factored.generator.get_weights(),
                    plain.critic.get_weights() + plain.generator.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-7)
    # the real images' conv stack runs once for two terms: a fifth less work or more in the critic steps
    assert flops[0] < 0.85 * flops[1]
