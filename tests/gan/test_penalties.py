"""Tests of bagan_lib.gan.penalties against the mathematics of the gradient penalty (Eq. 7).

A linear critic D(x) = w.x + b has input gradient w everywhere, so its penalty is
exactly (||w|| - 1)^2 wherever the interpolates fall; the interpolates themselves are
checked against their definitions (Eq. 8 and DRAGAN's Eq. 10), and a small critic
trained with WGAN-GP on two 1-D Gaussians is compared with the Wasserstein distance.
"""

from __future__ import annotations


import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from bagan_lib.errors import KitError
from bagan_lib.gan.penalties import gradient_penalty, gradient_penalty_at, interpolates, sample_alpha

N_CLASSES = 5


# --------------------------------------------------------------------------- #
# critics with a known input gradient
# --------------------------------------------------------------------------- #
def _direction(shape, norm, seed=0):
    w = np.random.default_rng(seed).normal(size=(int(np.prod(shape)), 1))
    return (w / np.linalg.norm(w) * norm).astype("float32")


def linear_critic(shape, norm=3.0, labelled=False):
    """D(x) = w.flatten(x) + b (+ embedding(label), a scalar), with ||w|| = norm."""
    x_in = keras.Input(shape)
    flat = keras.layers.Flatten()(x_in) if len(shape) > 1 else x_in
    dense = keras.layers.Dense(1)
    score = dense(flat)
    dense.set_weights([_direction(shape, norm), np.array([0.7], "float32")])
    if not labelled:
        return keras.Model(x_in, score)
    y_in = keras.Input((), dtype="int32")
    embedding = keras.layers.Embedding(N_CLASSES, 1)
    per_label = embedding(y_in)  # (B, 1): one scalar per class
    embedding.set_weights([np.linspace(-2.0, 2.0, N_CLASSES, dtype="float32")[:, None]])
    return keras.Model([x_in, y_in], keras.layers.Add()([score, per_label]))


def mlp_critic(shape, seed=0, labelled=False):
    """A nonlinear critic, so the penalty depends on where the interpolates are."""
    keras.utils.set_random_seed(seed)
    x_in = keras.Input(shape)
    h = keras.layers.Flatten()(x_in)
    h = keras.layers.Dense(16, activation="tanh")(h)
    if labelled:
        y_in = keras.Input((), dtype="int32")
        h = keras.layers.Multiply()([h, keras.layers.Embedding(N_CLASSES, 16)(y_in)])
        return keras.Model([x_in, y_in], keras.layers.Dense(1)(h))
    return keras.Model(x_in, keras.layers.Dense(1)(h))


def _weight_grads(tape, target, model):
    """Gradients w.r.t. the model's weights, zeros for weights the target does not reach.

    (tape.gradient's unconnected_gradients=ZERO does not accept Keras 3 variables.)
    """
    grads = tape.gradient(target, model.trainable_variables)
    return [
        tf.zeros(v.shape, v.dtype) if g is None else tf.convert_to_tensor(g)  # Embedding: IndexedSlices
        for g, v in zip(grads, model.trainable_variables)
    ]


def _batch(shape, batch=8, seed=0):
    rng = np.random.default_rng(seed)
    real = rng.uniform(-1, 1, (batch, *shape)).astype("float32")
    fake = rng.uniform(-1, 1, (batch, *shape)).astype("float32")
    labels = rng.integers(0, N_CLASSES, batch).astype("int32")
    return real, fake, labels


# --------------------------------------------------------------------------- #
# exact values
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("shape", [(4, 4, 1), (3, 3, 3), (6,)], ids=["gray", "rgb", "vector"])
@pytest.mark.parametrize("labelled", [False, True], ids=["plain", "labels"])
@pytest.mark.parametrize("interpolation", ["model", "noise"])
@pytest.mark.parametrize("alpha", ["uniform", "normal"])
def test_linear_critic_penalty_is_exact(shape, labelled, interpolation, alpha):
    critic = linear_critic(shape, norm=3.0, labelled=labelled)
    real, fake, labels = _batch(shape)
    penalty, norms = gradient_penalty(
        critic,
        real,
        fake if interpolation == "model" else None,
        labels=labels if labelled else None,
        interpolation=interpolation,
        alpha=alpha,
        seed=7,
        return_norms=True,
    )
    assert norms.shape == (8,)
    np.testing.assert_allclose(norms.numpy(), 3.0, rtol=1e-5)
    assert float(penalty) == pytest.approx((3.0 - 1.0) ** 2, rel=1e-5)


@pytest.mark.parametrize("norm", [0.25, 1.0, 2.0, 5.0])
def test_penalty_is_squared_distance_of_norm_from_one(norm):
    critic = linear_critic((4, 4, 1), norm=norm)
    real, fake, _ = _batch((4, 4, 1))
    value = float(gradient_penalty(critic, real, fake, seed=1))
    assert value == pytest.approx((norm - 1.0) ** 2, rel=1e-4, abs=1e-6)


def test_penalty_gradient_is_finite_for_a_constant_critic():
    """Zero input gradient: sqrt'(0) is infinite, the epsilon keeps the weight gradient finite."""
    x_in = keras.Input((4, 4, 1))
    dense = keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer="ones")
    critic = keras.Model(x_in, dense(keras.layers.Flatten()(x_in)))
    real, fake, _ = _batch((4, 4, 1))

    def weight_gradient(eps):
        with tf.GradientTape() as tape:
            penalty = gradient_penalty(critic, real, fake, seed=3, eps=eps)
        # the bias does not reach the input gradient: its penalty gradient is an unconnected zero
        return penalty, _weight_grads(tape, penalty, critic)

    penalty, grads = weight_gradient(1e-12)
    assert float(penalty) == pytest.approx(1.0, abs=1e-5)  # (0 - 1)^2
    assert all(np.all(np.isfinite(g.numpy())) for g in grads)
    # Why the epsilon is there: without it the kernel's gradient is 0/0.
    _, grads_no_eps = weight_gradient(0.0)
    assert np.isnan(grads_no_eps[0].numpy()).any()


def test_penalty_gradient_matches_finite_differences():
    """d penalty / d w for the linear critic: 2 (||w|| - 1) w / ||w||, a second-order gradient."""
    critic = linear_critic((6,), norm=3.0)
    real, fake, _ = _batch((6,))
    with tf.GradientTape() as tape:
        penalty = gradient_penalty(critic, real, fake, seed=2)
    kernel_grad = tape.gradient(penalty, critic.trainable_variables[0]).numpy()
    w = critic.trainable_variables[0].numpy()
    np.testing.assert_allclose(kernel_grad, 2 * (3.0 - 1.0) * w / 3.0, rtol=1e-4)


# --------------------------------------------------------------------------- #
# where the penalty is applied
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("shape", [(2, 2, 1), (3,)])
def test_uniform_alpha_is_per_sample_and_uniform(shape):
    real = np.zeros((20000, *shape), "float32")
    a = sample_alpha(real, alpha="uniform", seed=123).numpy()
    assert a.shape == (20000,) + (1,) * len(shape)
    a = a.ravel()
    assert a.min() >= 0.0 and a.max() < 1.0
    assert stats.kstest(a, "uniform").pvalue > 0.01
    assert len(np.unique(a)) > 0.99 * a.size


def test_model_interpolates_lie_on_each_pairs_segment():
    real, fake, _ = _batch((5, 5, 2), batch=256, seed=4)
    fake = real - 1.0 - np.abs(fake)  # keep real - fake >= 1, so alpha is well determined
    x_hat = interpolates(real, fake, interpolation="model", alpha="uniform", seed=11).numpy()
    recovered = (x_hat - fake) / (real - fake)  # alpha of every pixel
    per_sample = recovered.reshape(256, -1)
    # one alpha for all pixels of a sample ...
    assert np.abs(per_sample - per_sample[:, :1]).max() < 1e-5
    # ... in [0, 1] (up to float rounding), different between samples ...
    assert per_sample.min() >= -1e-6 and per_sample.max() <= 1.0 + 1e-6
    assert len(np.unique(np.round(per_sample[:, 0], 6))) > 250
    # ... and it is exactly the alpha the same seed draws.
    np.testing.assert_allclose(per_sample[:, 0], sample_alpha(real, seed=11).numpy().ravel(), atol=1e-5)


def test_normal_alpha_leaves_the_segment():
    """The reference's N(0, 1) draw: a departure from Eq. 8, most points are extrapolations."""
    real = np.zeros((5000, 3), "float32")
    a = sample_alpha(real, alpha="normal", seed=5).numpy().ravel()
    assert a.min() < 0.0 and a.max() >= 1.0
    outside = np.mean((a < 0.0) | (a >= 1.0))
    # P(N(0,1) outside [0,1)) = 0.5 + (1 - Phi(1)) = 0.659
    assert outside == pytest.approx(0.5 + stats.norm.sf(1.0), abs=0.03)
    assert stats.kstest(a, "norm").pvalue > 0.01


def test_dragan_noise_perturbation_is_bounded():
    real, _, _ = _batch((4, 4, 3), batch=64, seed=6)
    real = real * 0.4 + 0.1
    half_std = 0.5 * real.std()
    x_hat = interpolates(real, None, interpolation="noise", alpha="uniform", seed=9).numpy()
    delta = x_hat - real
    assert delta.min() >= 0.0
    assert delta.max() < half_std * (1 + 1e-5)
    # the bound is reached up to the draws: the largest step uses most of it
    assert delta.max() > 0.8 * half_std
    # alpha is per sample: dividing by the per-sample max scales each sample differently
    assert len(np.unique(np.round(delta.reshape(64, -1).max(axis=1), 6))) > 60


# --------------------------------------------------------------------------- #
# seeds, tf.function and XLA
# --------------------------------------------------------------------------- #
def test_seed_semantics():
    real, fake, _ = _batch((4, 4, 1))
    # int: stateless, the same draw every time
    np.testing.assert_array_equal(interpolates(real, fake, seed=3), interpolates(real, fake, seed=3))
    # SeedGenerator: advances, and two generators with the same seed agree
    g1, g2 = keras.random.SeedGenerator(42), keras.random.SeedGenerator(42)
    first, second = interpolates(real, fake, seed=g1), interpolates(real, fake, seed=g1)
    assert not np.allclose(first, second)
    np.testing.assert_array_equal(first, interpolates(real, fake, seed=g2))
    np.testing.assert_array_equal(second, interpolates(real, fake, seed=g2))
    # None: varies eagerly and inside tf.function
    assert not np.allclose(interpolates(real, fake), interpolates(real, fake))
    unseeded = tf.function(lambda r, f: interpolates(r, f))
    assert not np.allclose(unseeded(real, fake), unseeded(real, fake))
    unseeded_xla = tf.function(lambda r, f: interpolates(r, f, interpolation="noise"), jit_compile=True)
    assert not np.allclose(unseeded_xla(real, fake), unseeded_xla(real, fake))


@pytest.mark.parametrize("interpolation", ["model", "noise"])
@pytest.mark.parametrize("labelled", [False, True], ids=["plain", "labels"])
def test_tf_function_and_xla_match_eager(interpolation, labelled):
    critic = mlp_critic((4, 4, 1), labelled=labelled)
    real, fake, labels = _batch((4, 4, 1), batch=16)
    y = labels if labelled else None

    def penalty_and_weight_grads(r, f, seed):
        with tf.GradientTape() as tape:
            p = gradient_penalty(critic, r, f, labels=y, interpolation=interpolation, seed=seed)
        return p, _weight_grads(tape, p, critic)

    # tf.function (no XLA): the same int seed draws the same alphas as eager execution
    graph = tf.function(penalty_and_weight_grads)
    eager_p, eager_g = penalty_and_weight_grads(real, fake, 17)
    assert float(eager_p) > 0.0
    graph_p, graph_g = graph(real, fake, 17)
    assert float(graph_p) == pytest.approx(float(eager_p), rel=1e-5)
    for a, b in zip(graph_g, eager_g):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-7)
    # ... and two SeedGenerators with the same seed follow the same sequence
    g_eager, g_graph = keras.random.SeedGenerator(8), keras.random.SeedGenerator(8)
    values = [(float(penalty_and_weight_grads(real, fake, g_eager)[0]), float(graph(real, fake, g_graph)[0])) for _ in range(3)]
    for eager_value, graph_value in values:
        assert graph_value == pytest.approx(eager_value, rel=1e-5)
    assert len({round(v[0], 6) for v in values}) == 3  # the generator advanced

    # XLA draws other numbers for the same seed (compiled stateless RNG), so compare the
    # compiled penalty and its weight gradient with eager ones at the compiled interpolates.
    @tf.function(jit_compile=True)
    def xla_step(r, f, seed):
        x_hat = interpolates(r, f, interpolation=interpolation, seed=seed)
        with tf.GradientTape() as tape:
            p = gradient_penalty_at(critic, x_hat, labels=y)
        return x_hat, p, _weight_grads(tape, p, critic)

    g_xla = keras.random.SeedGenerator(8)
    first_x_hat = None
    for _ in range(2):
        x_hat, xla_p, xla_g = xla_step(real, fake, g_xla)
        with tf.GradientTape() as tape:
            p = gradient_penalty_at(critic, x_hat, labels=y)
        assert float(xla_p) == pytest.approx(float(p), rel=1e-4)
        for a, b in zip(xla_g, _weight_grads(tape, p, critic)):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-3, atol=1e-6)
        if first_x_hat is None:
            first_x_hat = x_hat.numpy()
    assert not np.allclose(first_x_hat, x_hat.numpy())  # the generator advanced under XLA too


def test_xla_alpha_is_uniform_too():
    draw = tf.function(lambda r, seed: sample_alpha(r, seed=seed), jit_compile=True)
    a = draw(np.zeros((20000, 3), "float32"), keras.random.SeedGenerator(2)).numpy().ravel()
    assert a.min() >= 0.0 and a.max() < 1.0
    assert stats.kstest(a, "uniform").pvalue > 0.01


def test_linear_critic_under_xla_with_unseeded_draws():
    critic = linear_critic((4, 4, 1), norm=3.0, labelled=True)
    real, fake, labels = _batch((4, 4, 1))
    fn = tf.function(lambda r, f, y: gradient_penalty(critic, r, f, labels=y), jit_compile=True)
    assert float(fn(real, fake, labels)) == pytest.approx(4.0, rel=1e-5)


# --------------------------------------------------------------------------- #
# argument errors
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(interpolation="linear"), "interpolation"),
        (dict(alpha="beta"), "alpha"),
        (dict(seed="42"), "seed"),
        (dict(seed=1.5), "seed"),
        (dict(fake=None), "fake"),
        (dict(fake=np.zeros((8, 4, 4, 2), "float32")), "shape"),
        (dict(real=np.zeros((8, 4, 4, 1), "uint8")), "dtype"),
        (dict(real=np.zeros((8,), "float32")), "rank"),
        (dict(eps=-1.0), "eps"),
    ],
)
def test_bad_arguments_raise_kit_error(kwargs, fragment):
    critic = linear_critic((4, 4, 1))
    real, fake, _ = _batch((4, 4, 1))
    call = dict(real=real, fake=fake)
    call.update(kwargs)
    with pytest.raises(KitError, match=fragment) as info:
        gradient_penalty(critic, **call)
    assert "Fix:" in str(info.value)


def test_critic_with_several_scores_per_sample_is_rejected():
    x_in = keras.Input((4, 4, 1))
    critic = keras.Model(x_in, keras.layers.Dense(3)(keras.layers.Flatten()(x_in)))
    real, fake, _ = _batch((4, 4, 1))
    with pytest.raises(KitError, match="one score per sample"):
        gradient_penalty(critic, real, fake)
