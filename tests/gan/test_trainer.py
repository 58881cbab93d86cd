"""The shared adversarial trainer: the batched critic call, step counts, labels, reproducibility."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from bagan_lib.gan import losses
from bagan_lib.errors import KitError
from bagan_lib.gan.trainer import AdversarialTrainer

N_CLASSES, LATENT, SIZE = 4, 8, 8


def tiny_generator():
    z, y = keras.Input((LATENT,)), keras.Input((), dtype="int32")
    h = keras.layers.Multiply()([z, keras.layers.Flatten()(keras.layers.Embedding(N_CLASSES, LATENT)(y))])
    h = keras.layers.Dense(4 * 4 * 8)(h)
    h = keras.layers.Reshape((4, 4, 8))(h)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")(h)
    return keras.Model([z, y], h)


def tiny_critic():
    x, y = keras.Input((SIZE, SIZE, 1)), keras.Input((), dtype="int32")
    h = keras.layers.Conv2D(8, 4, strides=2, padding="same")(x)
    h = keras.layers.LeakyReLU(0.2)(h)
    h = keras.layers.Flatten()(h)
    label = keras.layers.Flatten()(keras.layers.Embedding(N_CLASSES, h.shape[-1])(y))
    return keras.Model([x, y], keras.layers.Dense(1)(keras.layers.Multiply()([h, label])))


def make_trainer(seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    settings = dict(objective="conditional_bce", n_classes=N_CLASSES, wrong_labels=True, critic_steps=2,
                    gp_lambda=10.0, seed=seed)
    settings.update(kwargs)
    trainer = AdversarialTrainer(tiny_generator(), tiny_critic(), latent_dim=LATENT, **settings)
    trainer.compile()
    return trainer


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, SIZE, SIZE, 1)).astype("float32")
    y = rng.integers(0, N_CLASSES, n).astype("int32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16, drop_remainder=True)


def test_batched_critic_call_equals_three_separate_calls():
    trainer = make_trainer(gp_lambda=0.0)
    rng = np.random.default_rng(1)
    x_real = tf.constant(rng.uniform(-1, 1, (16, SIZE, SIZE, 1)), tf.float32)
    x_fake = tf.constant(rng.uniform(-1, 1, (16, SIZE, SIZE, 1)), tf.float32)
    y_real, y_fake, y_wrong = (tf.constant(rng.integers(0, N_CLASSES, 16), tf.int32) for _ in range(3))
    variables = trainer.critic.trainable_variables
    with tf.GradientTape() as tape:
        batched, terms = trainer.critic_loss(x_real, y_real, x_fake, y_fake, y_wrong)
    g_batched = tape.gradient(batched, variables)
    with tf.GradientTape() as tape:
        separate = losses.conditional_discriminator_loss(
            trainer.critic([x_real, y_real]), trainer.critic([x_fake, y_fake]), trainer.critic([x_real, y_wrong]))
    g_separate = tape.gradient(separate.total, variables)
    np.testing.assert_allclose(float(batched), float(separate.total), rtol=1e-6)
    for name in ("real", "fake", "wrong"):
        np.testing.assert_allclose(float(terms[name]), float(getattr(separate, name)), rtol=1e-6)
    for a, b in zip(g_batched, g_separate):
        np.testing.assert_allclose(tf.convert_to_tensor(a).numpy(), tf.convert_to_tensor(b).numpy(),
                                   rtol=1e-5, atol=1e-7)  # embedding gradients arrive as IndexedSlices


def test_fit_counts_steps_and_tracks_every_term():
    trainer = make_trainer(critic_steps=3)
    history = trainer.fit(data(), epochs=2, verbose=0, shuffle=False).history
    assert set(history) == {"d_loss", "g_loss", "real", "fake", "wrong", "gp"}
    assert all(np.isfinite(v).all() for v in history.values())
    assert int(trainer.d_optimizer.iterations) == 3 * 2 * 4  # critic steps x epochs x batches
    assert int(trainer.g_optimizer.iterations) == 2 * 4


def test_same_seed_same_weights():
    runs = []
    for _ in range(2):
        trainer = make_trainer(seed=5)
        trainer.fit(data(), epochs=1, verbose=0, shuffle=False)
        runs.append([w.copy() for w in trainer.get_weights()])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_label_sampling():
    real = tf.constant(np.arange(32) % N_CLASSES, tf.int32)
    assert np.array_equal(make_trainer(fake_labels="real").sample_labels(32, real), real)
    draws = make_trainer(fake_labels="balanced").sample_labels(20000, None).numpy()
    observed = np.bincount(draws, minlength=N_CLASSES)
    assert stats.chisquare(observed).pvalue > 0.01 and draws.min() >= 0 and draws.max() < N_CLASSES


@pytest.mark.parametrize("kwargs, message", [
    (dict(fake_labels="stratified"), "not a label sampling"),
    (dict(n_classes=None), "needs a conditional model"),
    (dict(critic_steps=0), "critic_steps"),
    (dict(alpha="beta"), "penalty setting"),
    (dict(objective="hinge"), "Unknown adversarial objective"),
    (dict(fake_share="half"), "not a share of fakes"),
    (dict(fake_share="class"), "pairs every real image with a fake"),
    (dict(fake_share="class", gp_lambda=0.0, fake_labels="real"), "balanced fake labels"),
])
def test_bad_settings(kwargs, message):
    with pytest.raises(KitError, match=message):
        make_trainer(**kwargs)


def test_conditional_trainer_refuses_unlabelled_data():
    trainer = make_trainer()
    images = tf.data.Dataset.from_tensor_slices(np.zeros((16, SIZE, SIZE, 1), "float32")).batch(16)
    with pytest.raises(KitError, match="needs \\(images, labels\\)"):
        trainer.fit(images, epochs=1, verbose=0, shuffle=False)


XLA_SCRIPT = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import tensorflow as tf
tf.config.experimental.enable_op_determinism()  # as notebook_setup does on a CPU
import keras
import numpy as np
sys.path.insert(0, os.environ["TESTS_DIR"])
from test_trainer import data, make_trainer  # the tiny networks of this file: XLA compiles them fast

batch = next(iter(data()))


def one_critic_step(jit):
    trainer = make_trainer(seed=3, jit_compile=jit)  # the same weights and seed state for both
    trainer.compile(d_optimizer=keras.optimizers.SGD(1.0))  # a large step: far beyond the tolerance
    start = trainer.critic.get_weights()
    terms = tf.function(trainer.critic_step)(*batch)  # nested in a tf.function, as inside fit
    return start, {name: float(value) for name, value in terms.items()}, trainer.critic.get_weights()


(start, eager, after), (start_xla, xla, after_xla) = one_critic_step(False), one_critic_step(True)
print(json.dumps({
    "same_start": all(np.array_equal(a, b) for a, b in zip(start, start_xla)),
    "eager": eager, "xla": xla,
    "max_weight_difference": max(float(np.max(np.abs(a - b))) for a, b in zip(after, after_xla)),
    "max_weight_change": max(float(np.max(np.abs(a - b))) for a, b in zip(start, after)),
}))
"""


def test_xla_critic_step_matches_the_uncompiled_one_under_op_determinism():
    """``jit_compile=True`` runs the critic update (forward, penalty, backward, SGD update) as one XLA function.

    In a subprocess with TensorFlow's op determinism on, as notebook_setup does on
    a CPU: an explicit ``tf.function(jit_compile=True)`` is allowed there (Keras
    only turns off its own ``jit_compile="auto"``). The random draws happen
    outside the compiled function, so both steps see the same labels, noise and
    penalty points and differ only by XLA's float round-off (measured 3e-8 on the
    weights after an SGD step of rate 1 that moves them by up to 0.5). Tolerance:
    weights ``atol=1e-6``, losses ``rtol=1e-5``. SGD makes the weights follow the
    gradients linearly (Adam's first step is about ``lr * sign(gradient)`` and
    would hide a wrong gradient).
    """
    env = {**os.environ, "BAGAN_OFFLINE": "1", "TESTS_DIR": os.path.dirname(os.path.abspath(__file__))}
    done = subprocess.run([sys.executable, "-c", XLA_SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["same_start"] and set(result["xla"]) == {"d_loss", "real", "fake", "wrong", "gp"}
    for name, value in result["eager"].items():
        np.testing.assert_allclose(result["xla"][name], value, rtol=1e-5, err_msg=name)
    assert result["max_weight_change"] > 1e-2
    assert result["max_weight_difference"] < 1e-6, result["max_weight_difference"]
