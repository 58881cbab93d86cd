"""Mixed precision: one training step of every model under ``mixed_float16`` and ``mixed_bfloat16``, against float32.

**What is compared.** Every model of the recipe table is built from one seed at
smoke-like sizes (32x32, width 0.125, 2 critic steps), and one ``train_step``
runs on one batch from the same weights and the same random draws (the trainer
draws in float32 whatever the policy) three times: under float32, under the
mixed policy, and under float32 from the weights rounded to the policy's half
precision. Both optimizers are plain SGD, so a step's update ``Delta`` (trainable
weights after minus before) is linear in the gradients; Adam's first step is
``lr * sign(g)`` and would hide every gradient error below a sign flip.

**Tolerances** (``u``: the unit roundoff, 2^-11 for float16, 2^-8 for bfloat16):

1. every loss term and weight is finite;
2. each loss term is within ``u`` (relative; ``1e-3 u`` absolute for terms near
   0): the forward pass rounds inputs and weights to ``u`` and keeps the logits and
   the losses in float32. Measured: at most 1.1e-4 (float16), 5.7e-4 (bfloat16);
3. per network, the mixed update's component along the float32 update,
   ``p = <Delta_mixed, Delta_32> / |Delta_32|^2``, is within [0.8, 1.25]: a scale error
   (a loss scale not undone, the replicas' share, a term counted twice) moves
   ``p`` to 2 or more (or to 32768). Measured: 0.888 to 1.062;
4. per network, the rest, ``e = |Delta_mixed - Delta_32| / |Delta_32|``, is at most
   ``3 s + 0.05``, where ``s`` is the same distance for the float32 step from the
   rounded weights. The step is ill-conditioned at initialisation: its gradients
   are small differences of the real and the fake terms (D(x_r) ~ D(x_f) ~ 0),
   so merely rounding the weights moves the generator's update by up to
   ``s = 0.33`` (measured). Computing in half precision adds rounded activations,
   and on CPU kernels that accumulate bias gradients in half precision over
   B x H x W positions: measured ``e / s`` at most 2.4; the float16 outliers
   (``e = 0.040`` with ``s = 0.003``, cdcgan's critic) are the additive 0.05.

Every test restores the float32 policy (an autouse fixture), so other tests are unaffected.
"""

from __future__ import annotations

import functools

import keras
import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf

from bagan_lib.gan.class_latents import ClassGaussians
from bagan_lib.models.builders import build_autoencoder, build_cvae, build_model, build_pretraining_network
from bagan_lib.models.recipes import MODEL_NAMES, get_recipe
from bagan_lib.runtime.checkpoints import restore_state, save_state, trainer_state
from bagan_lib.runtime.devices import precision_policy

SIZE, N, LATENT, WIDTH, BATCH, LR = 32, 3, 8, 0.125, 16, 0.01
POLICIES = {"mixed_float16": (np.float16, 2.0 ** -11), "mixed_bfloat16": (ml_dtypes.bfloat16, 2.0 ** -8)}
PROJECTION = (0.8, 1.25)
SENSITIVITY_FACTOR, FLOOR = 3.0, 0.05


@pytest.fixture(autouse=True)
def float32_afterwards():
    yield
    keras.mixed_precision.set_global_policy("float32")


def batch(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (BATCH, SIZE, SIZE, 1)).astype("float32")
    return tf.constant(x), tf.constant((np.arange(BATCH) % N).astype("int32"))


def build(model, precision="float32", critic_steps=2, optimizer=lambda: keras.optimizers.SGD(LR), draws=0):
    """The model's trainer under ``precision``, weights from seed 0 (an untrained autoencoder where the recipe has
    one), its random draws from seed ``draws``."""
    with precision_policy(precision):
        keras.utils.set_random_seed(0)
        dims = dict(image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=WIDTH)
        autoencoder = build_pretraining_network(model, **dims, seed=0)
        latents = None
        if get_recipe(model).latents == "class_gaussians":
            latents = ClassGaussians(np.zeros((N, LATENT), "float32"),
                                     np.repeat(np.eye(LATENT, dtype="float32")[None], N, 0), np.full(N, 2))
        trainer = build_model(model, **dims, autoencoder=autoencoder, class_latents=latents,
                              critic_steps=critic_steps, seed=draws)
        trainer.compile(d_optimizer=optimizer(), g_optimizer=optimizer())
    return trainer


def networks(trainer):
    """The trained networks; with AC-GAN on ALI latents also the frozen ALI encoder, whose half-precision latents
    feed the generator: the rounded start rounds its weights too (its update is zero, never compared)."""
    out = {"generator": trainer.generator.trainable_variables, "critic": trainer.critic.trainable_variables}
    if getattr(trainer, "latent_encoder", None) is not None:
        out["encoder"] = trainer.latent_encoder.trainable_variables
    return out


def step(trainer, start=None):
    """One train_step from ``start`` (else the trainer's weights): (start, loss terms, update per network)."""
    if start is not None:
        for name, variables in networks(trainer).items():
            for variable, value in zip(variables, start[name]):
                variable.assign(value)
    before = {name: [v.numpy() for v in variables] for name, variables in networks(trainer).items()}
    logs = {name: float(value) for name, value in trainer.train_step(batch()).items()}
    update = {name: np.concatenate([(v.numpy() - b).ravel() for v, b in zip(variables, before[name])])
              for name, variables in networks(trainer).items()}
    return before, logs, update


@functools.lru_cache(maxsize=None)
def float32_step(model):
    return step(build(model))


@functools.lru_cache(maxsize=None)
def rounded_step(model, precision):
    """The float32 step from the float32 start rounded to the policy's half precision (a fresh trainer: the same
    draws as :func:`float32_step`). Cached: deterministic, and compare() asks for (bagan_gp_v3, mixed_bfloat16)
    three times in this module."""
    half, _ = POLICIES[precision]
    start = float32_step(model)[0]
    rounded = {name: [w.astype(half).astype("float32") for w in weights] for name, weights in start.items()}
    return step(build(model), rounded)[2]


def compare(model, precision, logs, update):
    """The four checks of the module docstring; returns the measured numbers."""
    u = POLICIES[precision][1]
    _, logs32, update32 = float32_step(model)
    update_rounded = rounded_step(model, precision)
    assert all(np.isfinite(v) for v in logs.values()), logs
    assert set(logs) == set(logs32)
    np.testing.assert_allclose([logs[k] for k in logs32], list(logs32.values()), rtol=u, atol=1e-3 * u)
    measured = {}
    for name, delta32 in update32.items():
        if name == "encoder":  # frozen: rounded in the start, not updated
            continue
        delta = update[name]
        assert np.all(np.isfinite(delta)) and np.linalg.norm(delta32) > 0
        projection = float(np.dot(delta, delta32) / np.dot(delta32, delta32))
        error = float(np.linalg.norm(delta - delta32) / np.linalg.norm(delta32))
        sensitivity = float(np.linalg.norm(update_rounded[name] - delta32) / np.linalg.norm(delta32))
        assert PROJECTION[0] <= projection <= PROJECTION[1], (name, projection)
        assert error <= SENSITIVITY_FACTOR * sensitivity + FLOOR, (name, error, sensitivity)
        measured[name] = (projection, error, sensitivity)
    return measured


def test_the_networks_compute_in_the_policy_and_return_float32():
    trainer = build("capgan", "mixed_bfloat16")
    assert trainer.critic.get_layer("disc_conv0").compute_dtype == "bfloat16"
    assert trainer.generator.compute_dtype == "bfloat16"
    assert all(v.dtype == "float32" for v in trainer.weights if v.dtype.startswith(("float", "bfloat")))
    x, y = batch()
    assert trainer.critic([x, y]).dtype == "float32"
    assert trainer.generator([tf.zeros((2, LATENT)), y[:2]]).dtype == "float32"
    # the factored critic (its head in float32) scores as the plain critic does, to bfloat16's rounding
    np.testing.assert_allclose(trainer.critic_parts([x, y]).numpy(), trainer.critic([x, y]).numpy(),
                               atol=4 * 2.0 ** -8 * float(np.max(np.abs(trainer.critic([x, y]).numpy()))) + 1e-6)


@pytest.mark.parametrize("precision", list(POLICIES))
def test_float16_alone_scales_the_loss(precision):
    trainer = build("bagan_gp_v3", precision)
    scaled = precision == "mixed_float16"
    for optimizer in (trainer.d_optimizer, trainer.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer) == scaled
    assert not isinstance(build("bagan_gp_v3").d_optimizer, keras.optimizers.LossScaleOptimizer)


@pytest.mark.parametrize("precision", list(POLICIES))
def test_one_bagan_gp_v3_step_is_finite_and_close_to_float32(precision):
    _, logs, update = step(build("bagan_gp_v3", precision), float32_step("bagan_gp_v3")[0])
    compare("bagan_gp_v3", precision, logs, update)


# Known, not mended: AC-GAN on ALI latents under bfloat16 keeps every loss term within u of float32, but its update
# strays further than rounding the start does (v1: generator projection 0.79 < 0.8; v2: critic error 0.43 against a
# sensitivity of 0.034). Plain AC-GAN is close to the edge too (generator error 0.39, sensitivity 0.33). strict: the
# day they pass, the mark must go.
BFLOAT16_KNOWN = {("acgan_ali_v1", "mixed_bfloat16"), ("acgan_ali_v2", "mixed_bfloat16")}
# the _unmasked AC-GAN-on-ALI variants run the same networks and steps as the masked ones with acgan's loss
EVERY_MODEL = [m for m in MODEL_NAMES if m != "bagan_gp_v3" and not m.endswith("_unmasked")]


@pytest.mark.slow  # every model under both policies: about 4 minutes on one core
@pytest.mark.parametrize("model, precision", [
    pytest.param(m, p, marks=pytest.mark.xfail(strict=True, reason="AC-GAN on ALI under bfloat16: see BFLOAT16_KNOWN"))
    if (m, p) in BFLOAT16_KNOWN else (m, p) for p in POLICIES for m in EVERY_MODEL])
def test_one_step_of_every_model_is_finite_and_close_to_float32(model, precision):
    _, logs, update = step(build(model, precision), float32_step(model)[0])
    compare(model, precision, logs, update)


def make_pretraining(kind, policy):
    """The autoencoder (``kind`` "autoencoder") or the CVAE under ``policy``, weights from seed 0, plain SGD."""
    with precision_policy(policy):
        keras.utils.set_random_seed(0)
        dims = dict(image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=WIDTH)
        network = (build_autoencoder(supervised=True, **dims) if kind == "autoencoder"
                   else build_cvae(**dims, seed=0))
        network.compile(optimizer=keras.optimizers.SGD(LR))
    return network


def run_pretraining(kind, network, start):
    """One step from ``start``; under float16 the first one the loss scale lets through (see the test's docstring)."""
    seed_state = network.seed_generator.state.numpy() if kind == "cvae" else None
    for _ in range(20):
        for variable, value in zip(network.trainable_variables, start):
            variable.assign(value)
        if seed_state is not None:
            network.seed_generator.state.assign(seed_state)  # the same noise as the float32 step
        logs = {k: float(v) for k, v in network.train_step(batch()).items()}
        delta = np.concatenate([(v.numpy() - s).ravel() for v, s in zip(network.trainable_variables, start)])
        if np.any(delta):
            return logs, delta
    raise AssertionError("twenty steps skipped")


@functools.lru_cache(maxsize=None)
def float32_pretraining_step(kind):
    """The start (the weights after 5 float32 Adam steps) and the float32 step from it: (start, logs, update).
    The same for both policies, so cached (deterministic: every network is built from seed 0)."""
    reference = make_pretraining(kind, "float32")
    warm = make_pretraining(kind, "float32")
    warm.compile(optimizer=keras.optimizers.Adam(2e-3))
    for _ in range(5):
        warm.train_step(batch())
    start = [v.numpy() for v in warm.trainable_variables]
    logs32, delta32 = run_pretraining(kind, reference, start)
    return start, logs32, delta32


@pytest.mark.parametrize("precision", list(POLICIES))
@pytest.mark.parametrize("kind", ["autoencoder", "cvae"])
def test_one_pretraining_step_is_finite_and_close_to_float32(kind, precision):
    """The autoencoder's (BAGAN-GP) and the CVAE's (CAPGAN) step: the losses to ``4 u``, the update as above.

    From the weights after 5 float32 Adam steps, not from initialisation: there the autoencoder's decoder
    outputs about 1e-4 (its labelled latent is tiny and batch normalisation's epsilon dominates the variance),
    below float16's smallest normal number (6.1e-5), and a float16 forward pass keeps few digits of it
    (measured: the update 53 % off float32 at step 0, 1 % after 5 steps). A hazard of float16's range that
    bfloat16, with float32's range, has not; the real run outgrows it within its first steps.

    The CVAE's objective sums over pixels (about 700 at the start): at Keras' initial loss scale 2^15 its float16
    gradients overflow, and dynamic scaling skips the first steps, halving the scale each time, until it fits
    (as :func:`test_loss_scaling_skips_overflowing_steps_halves_the_scale_then_trains` shows for the GAN). The
    float16 step compared is the first one applied, from the same weights and noise.
    """
    half, u = POLICIES[precision]
    start, logs32, delta32 = float32_pretraining_step(kind)
    mixed = make_pretraining(kind, precision)
    assert isinstance(mixed.optimizer, keras.optimizers.LossScaleOptimizer) == (precision == "mixed_float16")
    logs, delta = run_pretraining(kind, mixed, start)
    _, delta_rounded = run_pretraining(kind, make_pretraining(kind, "float32"),
                                       [w.astype(half).astype("float32") for w in start])
    np.testing.assert_allclose([logs[k] for k in logs32], list(logs32.values()), rtol=4 * u)
    projection = float(np.dot(delta, delta32) / np.dot(delta32, delta32))
    error = np.linalg.norm(delta - delta32) / np.linalg.norm(delta32)
    sensitivity = np.linalg.norm(delta_rounded - delta32) / np.linalg.norm(delta32)
    assert np.all(np.isfinite(delta)) and PROJECTION[0] <= projection <= PROJECTION[1], projection
    assert error <= SENSITIVITY_FACTOR * sensitivity + FLOOR, (error, sensitivity)


def test_the_comparison_refuses_a_step_twice_too_large_and_a_step_with_other_draws():
    """The tolerance has teeth: an update scaled by 2 (e.g. a missing replica share) fails the projection, and the
    float32 step with other random draws (noise, labels, penalty points) fails the distance (measured 0.93 against
    the bound 0.37 for the generator). Another real batch would not: at initialisation the update hardly depends
    on the real images (measured: 0.3 % for the critic, whose update the penalty dominates, 22 % for the generator)."""
    start, logs, update = float32_step("bagan_gp_v3")
    with pytest.raises(AssertionError, match="generator"):
        compare("bagan_gp_v3", "mixed_bfloat16", logs, {k: 2 * v for k, v in update.items()})
    _, other_logs, other = step(build("bagan_gp_v3", draws=7), start)
    with pytest.raises(AssertionError, match="generator"):
        compare("bagan_gp_v3", "mixed_bfloat16", logs, other)


def test_loss_scaling_skips_overflowing_steps_halves_the_scale_then_trains():
    """A loss scale far too large overflows float16 in the backward pass: each such step is skipped (no weight or
    Adam state changes), the scale halves, and once it fits the next step trains, finite."""
    trainer = build("bagan_gp_v3", "mixed_float16", critic_steps=1, optimizer=lambda: keras.optimizers.Adam(2e-4))
    optimizers = {"critic": trainer.d_optimizer, "generator": trainer.g_optimizer}
    for optimizer in optimizers.values():
        optimizer.dynamic_scale.assign(2.0 ** 40)
    trained_at = {}
    for i in range(40):
        scales = {name: float(o.dynamic_scale.numpy()) for name, o in optimizers.items()}
        iterations = {name: int(o.iterations.numpy()) for name, o in optimizers.items()}
        _, logs, update = step(trainer)
        assert all(np.isfinite(v) for v in logs.values()), logs  # the loss is finite: the gradients overflow
        for name, optimizer in optimizers.items():
            after = float(optimizer.dynamic_scale.numpy())
            if name in trained_at:
                continue
            if after == scales[name] / 2:  # skipped
                assert not np.any(update[name]) and int(optimizer.iterations.numpy()) == iterations[name]
            else:
                assert after == scales[name] and np.all(np.isfinite(update[name])) and np.any(update[name])
                assert int(optimizer.iterations.numpy()) == iterations[name] + 1
                trained_at[name] = (i, after)
        if len(trained_at) == 2:
            break
    assert set(trained_at) == {"critic", "generator"}, trained_at
    for name, (skipped, scale) in trained_at.items():
        assert skipped >= 1 and scale == 2.0 ** (40 - skipped), (name, skipped, scale)  # halved once per skip
    _, logs, update = step(trainer)  # and it goes on training
    assert all(np.all(np.isfinite(d)) and np.any(d) for d in update.values())


@pytest.mark.parametrize("saved, resumed", [("mixed_float16", "float32"), ("float32", "mixed_float16")])
def test_a_checkpoint_resumes_under_another_precision(tmp_path, saved, resumed):
    """One float32 copy of every variable in every policy; the float16 loss scales are an optional group."""
    source, target = build("bagan_gp_v3", saved), build("bagan_gp_v3", resumed)
    source.train_step(batch())
    state = trainer_state(source)
    assert ("loss_scale" in state) == (saved == "mixed_float16")
    save_state(tmp_path / "gan.npz", state)
    restore_state(tmp_path / "gan.npz", trainer_state(target), optional=("loss_scale",))
    for a, b in zip(source.generator.weights + source.critic.weights, target.generator.weights + target.critic.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    inner = getattr(target.d_optimizer, "inner_optimizer", target.d_optimizer)
    assert int(inner.iterations.numpy()) == 2  # the two critic steps of the saved run


@pytest.mark.parametrize("precision", list(POLICIES))
def test_the_domain_feature_extractor_computes_in_the_policy_and_returns_float32_features(precision):
    """The scoring classifier (FID's ``domain`` features) built under a mixed policy: conv stack in half precision,
    its ``features`` and ``logits`` in float32, within the half precision's rounding of the float32 network's."""
    from bagan_lib.metrics.scoring_classifier import build_classifier

    def features(policy):
        with precision_policy(policy):
            keras.utils.set_random_seed(0)
            model = build_classifier(SIZE, 1, N, width=0.25)
        extractor = keras.Model(model.inputs, model.get_layer("features").output)
        return model, extractor(batch()[0])

    model, mixed = features(precision)
    _, reference = features("float32")
    assert model.get_layer("cls_conv0").compute_dtype == np.dtype(POLICIES[precision][0]).name
    assert mixed.dtype == "float32" and model(batch()[0]).dtype == "float32"
    u = POLICIES[precision][1]
    scale = float(np.max(np.abs(reference.numpy())))
    np.testing.assert_allclose(mixed.numpy(), reference.numpy(), atol=16 * u * scale)
