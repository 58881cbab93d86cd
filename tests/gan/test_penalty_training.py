"""The gradient penalty at work: a WGAN-GP critic estimates the Wasserstein distance (Eq. 8-9), and the
penalty gives the same value on two devices under MirroredStrategy as on one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import integrate, stats

from bagan_lib.gan.losses import wasserstein_critic_loss
from bagan_lib.gan.penalties import gradient_penalty

REPO_ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- #
# WGAN-GP estimates the Wasserstein distance
# --------------------------------------------------------------------------- #
def _wgan_gp_optimum(d, lam=10.0):
    """E_r[D*] - E_g[D*] for the best critic under the penalty, real N(0,1), fake N(d,1).

    The critic minimises int f'(x) Delta(x) dx + lam int q(x) (|f'(x)| - 1)^2 dx with
    Delta = F_r - F_g and q the density of the interpolates (alpha ~ U(0,1)); pointwise
    |f'| = 1 + Delta / (2 lam q), so the estimate is d + int Delta^2 / (2 lam q) dx:
    WGAN-GP with a finite lambda overestimates W1 = d (by 5 % at d=1, 15 % at d=3).
    """

    def q(x):
        return integrate.quad(lambda a: stats.norm.pdf(x, (1 - a) * d, np.hypot(a, 1 - a)), 0.0, 1.0)[0]

    def delta(x):
        return stats.norm.cdf(x) - stats.norm.cdf(x - d)

    extra = integrate.quad(lambda x: delta(x) ** 2 / (2 * lam * q(x)), -12.0, d + 12.0, limit=200)[0]
    return d + extra


def _train_wgan_gp_critic(d, seed=0, steps=1500, batch=256):
    keras.utils.set_random_seed(seed)
    critic = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(64),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Dense(64),
            keras.layers.LeakyReLU(0.2),
            # Zero output layer: the critic starts with slope 0 and the Wasserstein term picks
            # the direction. From a random start with the wrong sign, a 1-D critic must pass
            # through |f'| = 0 to turn round, which the penalty opposes (lam * 1 per unit
            # mass): it can stay in a local minimum of slope ~ +(1 - d / (2 lam)).
            keras.layers.Dense(1, kernel_initializer="zeros"),
        ]
    )
    optimizer = keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9)
    draws = keras.random.SeedGenerator(seed)

    @tf.function
    def step():
        real = keras.random.normal((batch, 1), seed=draws)
        fake = keras.random.normal((batch, 1), mean=d, seed=draws)
        with tf.GradientTape() as tape:
            loss = wasserstein_critic_loss(critic(real, training=True), critic(fake, training=True))
            loss += 10.0 * gradient_penalty(critic, real, fake, seed=draws)
        grads = tape.gradient(loss, critic.trainable_variables)
        optimizer.apply_gradients(zip(grads, critic.trainable_variables))

    for _ in range(steps):
        step()
    rng = np.random.default_rng(1000 + seed)
    x_r = rng.normal(0.0, 1.0, (200_000, 1)).astype("float32")
    x_g = rng.normal(d, 1.0, (200_000, 1)).astype("float32")
    return float(np.mean(critic(x_r)) - np.mean(critic(x_g)))


@pytest.mark.parametrize("d", [1.0, 3.0])
def test_wgan_gp_critic_estimates_wasserstein_distance(d):
    """Critic 64-64-1 (LeakyReLU 0.2), lambda 10, Adam 1e-3 (0.5, 0.9), 1500 steps of batch 256.

    W1(N(0,1), N(d,1)) = d. Measured (seed 0, 200k fresh samples): d=1 -> 1.039, d=3 -> 3.412
    (seeds 0-4 gave 1.03-1.07 and 3.40-3.50). The penalised optimum itself is above W1
    (_wgan_gp_optimum: 1.054 and 3.463), so the test checks the estimate against that optimum
    within 5 %, and against W1 within 10 % where the bias allows it (d=1); at d=3 it checks
    that the estimate shows the bias (> 1.05 d): a 10 % tolerance around W1 would be wrong there.
    """
    estimate = _train_wgan_gp_critic(d)
    optimum = _wgan_gp_optimum(d)
    assert estimate == pytest.approx(optimum, rel=0.05)
    if d == 1.0:
        assert estimate == pytest.approx(d, rel=0.10)
    else:
        assert estimate > 1.05 * d


# --------------------------------------------------------------------------- #
# MirroredStrategy with two logical CPUs (own process: devices are set before TF starts)
# --------------------------------------------------------------------------- #
_MIRRORED_SCRIPT = textwrap.dedent(
    """
    import json, os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from bagan_lib.errors import KitError
    from bagan_lib.gan.penalties import gradient_penalty

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        x_in = keras.Input((4, 4, 1))
        y_in = keras.Input((), dtype="int32")
        dense = keras.layers.Dense(1)
        score = dense(keras.layers.Flatten()(x_in))
        critic = keras.Model([x_in, y_in], keras.layers.Add()([score, keras.layers.Embedding(5, 1)(y_in)]))
        w = np.random.default_rng(0).normal(size=(16, 1))
        dense.set_weights([(3.0 * w / np.linalg.norm(w)).astype("float32"), np.zeros(1, "float32")])
        seeds = keras.random.SeedGenerator(1)

    rng = np.random.default_rng(1)
    real = tf.constant(rng.uniform(-1, 1, (8, 4, 4, 1)).astype("float32"))
    fake = tf.constant(rng.uniform(-1, 1, (8, 4, 4, 1)).astype("float32"))
    labels = tf.constant(rng.integers(0, 5, 8).astype("int32"))
    dataset = tf.data.Dataset.from_tensor_slices((real, fake, labels)).batch(8)
    batch = next(iter(strategy.experimental_distribute_dataset(dataset)))

    def replica_step(r, f, y):
        with tf.GradientTape() as tape:
            penalty = gradient_penalty(critic, r, f, labels=y, seed=seeds)
        grads = [g for g in tape.gradient(penalty, critic.trainable_variables) if g is not None]
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads])
        return penalty, finite, tf.shape(r)[0]

    @tf.function(autograph=False)
    def step(batch):
        return strategy.run(replica_step, args=batch)

    def step_eager(batch):
        return strategy.run(replica_step, args=batch)

    def unseeded_replica_step(r, f, y):
        return gradient_penalty(critic, r, f, labels=y)

    @tf.function(autograph=False)
    def step_unseeded(batch):
        return strategy.run(unseeded_replica_step, args=batch)

    out = {}
    for mode in ("graph", "eager"):
        fn = step if mode == "graph" else step_eager
        penalties, finite, sizes = fn(batch)
        out[mode] = {
            "penalties": [float(p) for p in strategy.experimental_local_results(penalties)],
            "finite": [bool(v) for v in strategy.experimental_local_results(finite)],
            "sizes": [int(s) for s in strategy.experimental_local_results(sizes)],
        }
    try:
        step_unseeded(batch)
        out["unseeded"] = "no error"
    except KitError as error:
        out["unseeded"] = str(error)
    out["replicas"] = strategy.num_replicas_in_sync
    print("RESULT " + json.dumps(out))
    """
)


def test_penalty_under_mirrored_strategy_with_two_cpus():
    """strategy.run, eagerly and in tf.function, one replica per logical CPU.

    Not tested with jit_compile: on logical CPU devices TensorFlow's XLA cannot reach the
    replica-1 copy of *any* mirrored variable (even a bare Dense layer fails with "Trying to
    access resource ... located in device CPU:1 from device CPU:0"), with XLA around or
    inside strategy.run; that is a TensorFlow limitation, not one of the penalty.
    """
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", _MIRRORED_SCRIPT], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=300
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT ") :])
    assert out["replicas"] == 2
    for mode in ("graph", "eager"):
        assert out[mode]["sizes"] == [4, 4]  # each replica penalises its own half of the batch
        assert out[mode]["finite"] == [True, True]
        np.testing.assert_allclose(out[mode]["penalties"], [4.0, 4.0], rtol=1e-5)
    assert "SeedGenerator" in out["unseeded"]
