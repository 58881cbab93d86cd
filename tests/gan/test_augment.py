"""DiffAugment and ADA (bagan_lib.gan.augment): each transform's mathematics, its gradients, the trainer's use of it.

The trainer tests replay the random draws: both seed states (the trainer's and the
augmentation's) are saved, the step's mathematics is computed by hand, the states
are restored and the trainer's step must give the same numbers.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from bagan_lib.errors import KitError
from bagan_lib.gan import losses
from bagan_lib.gan.ali import ALITrainer
from bagan_lib.gan.augment import (
    ADA_TARGET, POLICIES, Augmentation, apply_transforms, brightness, contrast, cutout, cutout_size, saturation,
    translate, translation_range)
from bagan_lib.gan.objectives import OBJECTIVES
from bagan_lib.gan.penalties import gradient_penalty_at, interpolates, sample_alpha
from bagan_lib.models.builders import build_autoencoder, build_model
from bagan_lib.models.networks import build_decoder, build_joint_discriminator, build_vae_encoder
from bagan_lib.models.recipes import AUGMENTATIONS, RECIPES, SCORE_OBJECTIVES, get_recipe
from bagan_lib.runtime.checkpoints import restore_state, save_state, trainer_state
from test_trainer import data, make_trainer  # the tiny networks of the trainer's tests

SIZE = 32


def images(n=4, size=SIZE, channels=3, seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (n, size, size, channels)), tf.float32)


def numpy(x):
    return np.asarray(x)


def value(variable) -> float:
    return float(np.asarray(variable))


# -- each transform on hand-made images ---------------------------------------------------------
def test_the_draws_lie_in_diffaugments_ranges():
    params = Augmentation("diffaugment", seed=1).draw(images(n=4000, size=SIZE, channels=1))
    b, s, c = (numpy(params[k]) for k in ("brightness", "saturation", "contrast"))
    assert -0.5 <= b.min() < -0.45 and 0.45 < b.max() < 0.5
    assert 0 <= s.min() < 0.05 and 1.95 < s.max() < 2 and 0.5 <= c.min() < 0.55 and 1.45 < c.max() < 1.5
    r, half = translation_range(SIZE), cutout_size(SIZE) // 2
    assert (r, cutout_size(SIZE)) == (4, 16)
    for offsets in params["translation"]:
        assert set(numpy(offsets).tolist()) == set(range(-r, r + 1))  # every whole shift in [-4, 4]
    for corner in params["cutout"]:  # at least half of the square's side inside the image
        assert set(numpy(corner).tolist()) == set(range(-half, SIZE - half + 1))


def test_brightness_adds_the_drawn_constant():
    x = images()
    shift = Augmentation("diffaugment", seed=2).draw(x)["brightness"]
    out = numpy(brightness(x, shift)) - numpy(x)
    np.testing.assert_allclose(out, np.broadcast_to(numpy(shift)[:, None, None, None], out.shape), atol=1e-6)


def test_saturation_scales_each_pixels_colour_about_its_grey():
    x, s = images(), tf.constant([0.0, 0.5, 1.0, 1.7])
    out, grey = numpy(saturation(x, s)), numpy(x).mean(-1, keepdims=True)
    np.testing.assert_allclose(out.mean(-1, keepdims=True), grey, atol=1e-6)  # the grey level is kept
    np.testing.assert_allclose(out - grey, numpy(s)[:, None, None, None] * (numpy(x) - grey), atol=1e-6)
    np.testing.assert_allclose(out[0], np.broadcast_to(grey[0], out[0].shape), atol=1e-6)  # s = 0: grey
    one_channel = images(channels=1)
    np.testing.assert_allclose(numpy(saturation(one_channel, s)), numpy(one_channel), atol=1e-6)


def test_contrast_scales_each_image_about_its_mean():
    x, c = images(), tf.constant([0.5, 0.8, 1.0, 1.4])
    out, mean = numpy(contrast(x, c)), numpy(x).mean((1, 2, 3), keepdims=True)
    np.testing.assert_allclose(out.mean((1, 2, 3), keepdims=True), mean, atol=1e-6)
    np.testing.assert_allclose(out - mean, numpy(c)[:, None, None, None] * (numpy(x) - mean), atol=1e-6)


def test_translation_moves_a_single_bright_pixel_by_the_drawn_offset():
    n = 64
    x = np.zeros((n, SIZE, SIZE, 1), "float32")
    x[:, 13, 17, 0] = 1.0  # far enough from the border for every shift
    dy, dx = Augmentation("diffaugment", seed=3).draw(tf.constant(x))["translation"]
    out = numpy(translate(tf.constant(x), dy, dx))
    for b in range(n):
        expected = np.zeros((SIZE, SIZE, 1), "float32")
        expected[13 + int(dy[b]), 17 + int(dx[b]), 0] = 1.0
        np.testing.assert_array_equal(out[b], expected)
    assert len({(int(a), int(c)) for a, c in zip(dy, dx)}) > 20  # the images drew their own offsets


def test_translation_pads_with_zeros():
    x = tf.ones((1, 8, 8, 1))
    out = numpy(translate(x, tf.constant([2]), tf.constant([-3])))[0, :, :, 0]
    expected = np.zeros((8, 8))
    expected[2:, :5] = 1.0  # rows 0-1 came from above the image, columns 5-7 from its right
    np.testing.assert_array_equal(out, expected)


def test_cutout_zeros_exactly_the_drawn_square():
    n, size = 64, cutout_size(SIZE)
    x = tf.ones((n, SIZE, SIZE, 2))
    top, left = Augmentation("diffaugment", seed=4).draw(x)["cutout"]
    out = numpy(cutout(x, top, left, size))
    for b in range(n):
        expected = np.ones((SIZE, SIZE, 2), "float32")
        t, l = int(top[b]), int(left[b])
        expected[max(t, 0):max(t + size, 0), max(l, 0):max(l + size, 0)] = 0.0
        np.testing.assert_array_equal(out[b], expected)
        cut = (min(t + size, SIZE) - max(t, 0)) * (min(l + size, SIZE) - max(l, 0))
        assert (out[b, :, :, 0] == 0).sum() == cut and cut >= (size // 2) ** 2


# -- gradients ------------------------------------------------------------------------------------
def test_the_translation_jacobian_is_the_shift_matrix():
    x = images(n=2, size=8, channels=2, seed=5)
    dy, dx = tf.constant([1, -2]), tf.constant([-1, 3])
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = translate(x, dy, dx)
    jacobian = numpy(tape.jacobian(out, x))  # (2, 8, 8, 2) x (2, 8, 8, 2)
    expected = np.zeros_like(jacobian)
    for b in range(2):
        for i in range(8):
            for j in range(8):
                k, l = i - int(dy[b]), j - int(dx[b])
                if 0 <= k < 8 and 0 <= l < 8:
                    expected[b, i, j, :, b, k, l, :] = np.eye(2)
    np.testing.assert_array_equal(jacobian, expected)


def test_gradients_flow_through_the_whole_policy_as_its_jacobian():
    """Every transform is affine in the images for fixed draws, so ``<w, T(x + d) - T(x)> = <grad, d>`` exactly."""
    x, aug = images(seed=6), Augmentation("diffaugment", seed=6)
    params = aug.draw(x)
    w = tf.constant(np.random.default_rng(7).normal(size=x.shape), tf.float32)
    d = tf.constant(np.random.default_rng(8).normal(size=x.shape), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(w * apply_transforms(x, params))
    grad = tape.gradient(loss, x)
    assert float(tf.reduce_sum(tf.abs(grad))) > 1
    change = tf.reduce_sum(w * (apply_transforms(x + d, params) - apply_transforms(x, params)))
    np.testing.assert_allclose(float(change), float(tf.reduce_sum(grad * d)), rtol=1e-4)
    mask = cutout(tf.ones_like(x), *params["cutout"], params["cutout_size"])
    with tf.GradientTape() as tape:  # cutout alone: the gradient is the upstream one, 0 in the square
        tape.watch(x)
        loss = tf.reduce_sum(w * cutout(x, *params["cutout"], params["cutout_size"]))
    np.testing.assert_array_equal(numpy(tape.gradient(loss, x)), numpy(w * mask))


def test_reproducible_from_the_seed():
    x = images()
    a, b, c = (numpy(Augmentation("diffaugment", seed=s)(x)) for s in (9, 9, 10))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    for aug in (Augmentation("diffaugment", seed=9), Augmentation("diffaugment", seed=9)):
        first, second = numpy(aug(x)), numpy(aug(x))  # the state moves on: a new draw each call
        assert not np.array_equal(first, second)


def test_ada_applies_each_transform_with_probability_p():
    aug = Augmentation("ada", seed=11)
    x = images(n=2000, size=8, channels=1)
    np.testing.assert_array_equal(numpy(aug(x)), numpy(x))  # p = 0: the images themselves
    aug.p.assign(0.3)
    applied = aug.draw(x)["applied"]
    for name, mask in applied.items():
        assert abs(float(np.mean(numpy(mask))) - 0.3) < 0.04, name
    aug.p.assign(1.0)
    params = aug.draw(x)
    assert all(bool(np.all(numpy(m))) for m in params["applied"].values())
    np.testing.assert_allclose(numpy(apply_transforms(x, params)),
                               numpy(apply_transforms(x, {k: v for k, v in params.items() if k != "applied"})))


# -- ADA's controller -------------------------------------------------------------------------------
def ada_trainer(bias: float, p: float = 0.0, **kwargs):
    """A tiny trainer whose critic answers ``bias`` for every image and never learns (learning rate 0)."""
    trainer = make_trainer(augment="ada", ada_images=1000, gp_lambda=0.0, **kwargs)
    kernel, offset = trainer.critic.layers[-1].weights
    kernel.assign(tf.zeros_like(kernel))
    offset.assign(tf.fill(offset.shape, bias))
    trainer.compile(d_optimizer=keras.optimizers.Adam(0.0))
    trainer.augmentation.p.assign(p)
    return trainer


@pytest.mark.parametrize("bias, p0, expected", [
    (5.0, 0.0, 4 * 16 / 1000),    # r_t = 1 > 0.6: the critic calls every real real: p rises by B N / S
    (5.0, 0.99, 1.0),             # ... and stops at 1
    (0.0, 0.5, 0.5 - 4 * 16 / 1000),  # r_t = 0 < 0.6: p falls
    (0.0, 0.03, 0.0),             # ... and stops at 0
])
def test_ada_moves_p_toward_the_target(bias, p0, expected):
    trainer = ada_trainer(bias, p0)
    batches = data()  # 4 batches of 16: one adjustment (every 4 steps)
    for step, batch in enumerate(batches):
        logs = trainer.train_step(batch)
        assert value(trainer.augmentation.p) == pytest.approx(p0 if step < 3 else expected, abs=1e-6)
    assert float(logs["ada_rt"]) == (1.0 if bias > 0 else 0.0)
    assert value(trainer.augmentation.steps) == 0 and value(trainer.augmentation.sign_steps) == 0


def test_ada_reads_the_source_logit_of_a_classes_critic():
    x = tf.constant([[2.0, -9, -9], [-1.0, 9, 9]])  # AC-GAN: source logit, then the class logits
    np.testing.assert_array_equal(numpy(OBJECTIVES["acgan"].real_logit(x)), [[2.0], [-1.0]])
    bagan = numpy(OBJECTIVES["bagan"].real_logit(tf.constant([[1.0, 1.0, np.log(3.0)]])))  # n = 2, then "fake"
    np.testing.assert_allclose(bagan, [[np.log(2 * np.e / 3)]], rtol=1e-6)  # log(p_0 + p_1) - log p_fake


def test_p_is_saved_with_the_trainer(tmp_path):
    trainer = ada_trainer(5.0, 0.37)
    trainer.train_step(next(iter(data())))  # the sums since the last adjustment are under way
    state = trainer_state(trainer)
    assert state["augment"] == trainer.augmentation.variables  # the seed state, p and the sums
    save_state(tmp_path / "gan.npz", state)
    fresh = ada_trainer(5.0, 0.0)  # (its layers have other automatic names in this process: restore the group)
    restore_state(tmp_path / "gan.npz", {"augment": trainer_state(fresh)["augment"]})
    for a, b in zip(trainer.augmentation.variables, fresh.augmentation.variables):
        np.testing.assert_array_equal(numpy(a), numpy(b))
    assert value(fresh.augmentation.p) == pytest.approx(0.37) and value(fresh.augmentation.sign_steps) == 2


# -- in the trainer -----------------------------------------------------------------------------------
def test_ada_at_p_zero_is_the_trainer_without_augmentation():
    runs = []
    for augment in (None, "ada"):
        trainer = make_trainer(seed=4, augment=augment)
        logs = [{k: float(v) for k, v in trainer.train_step(batch).items()} for batch in list(data())[:3]]
        runs.append((logs, trainer.get_weights()))
    (plain_logs, plain_weights), (ada_logs, ada_weights) = runs
    for plain, ada in zip(plain_logs, ada_logs):
        assert {k: ada[k] for k in plain} == plain  # losses bit for bit
    for a, b in zip(plain_weights, ada_weights):  # so the gradients were too
        np.testing.assert_array_equal(a, b)


def v3_trainer(augment):
    keras.utils.set_random_seed(0)
    dims = dict(image_size=SIZE, channels=1, n_classes=4, latent_dim=8, width=0.125)
    trainer = build_model("bagan_gp_v3", autoencoder=build_autoencoder(supervised=True, **dims), critic_steps=1,
                          seed=3, augment=augment, **dims)
    trainer.compile()
    return trainer


def seed_states(trainer):
    saved = [numpy(g.state) for g in (trainer.seed_generator, trainer.augmentation.seed_generator)]

    def restore():
        for g, state in zip((trainer.seed_generator, trainer.augmentation.seed_generator), saved):
            g.state.assign(state)
    return restore


def test_the_critic_sees_the_same_policy_on_both_halves_and_the_penalty_at_their_interpolates():
    """BAGAN-GP v3 + DiffAugment, with critic_parts: Eq. 14 on T(x_r), T(G(z)) and T(x_r) with wrong labels, and
    Eq. 7 at interpolates of T(x_r) and T(G(z)); the plain critic by hand equals the factored one in the trainer."""
    trainer = v3_trainer("diffaugment")
    assert trainer.critic_parts is not None
    x = images(n=8, channels=1, seed=12)
    y = tf.constant([0, 1, 2, 3, 0, 1, 2, 3], tf.int32)
    # a fresh critic's input gradients are ~0 and every penalty ~1: scale its logit so they are ~1.5 (linear in it)
    kernel = trainer.critic.get_layer("disc_logit").kernel
    kernel.assign(kernel * 1.5 / float(tf.reduce_mean(gradient_penalty_at(trainer.critic, x, labels=y,
                                                                          return_norms=True)[1])))
    restore = seed_states(trainer)
    # by hand, in the trainer's draw order, with the plain critic
    y_fake = trainer.uniform_labels(8)
    x_fake = trainer.generate(trainer.draw_latents(8, y_fake), y_fake, training=True)
    y_wrong = trainer.uniform_labels(8)
    a_real, a_fake = trainer.augmentation(x), trainer.augmentation(x_fake)
    before_alpha = numpy(trainer.seed_generator.state)
    x_hat = interpolates(a_real, a_fake, seed=trainer.seed_generator)
    trainer.seed_generator.state.assign(before_alpha)
    alpha = numpy(sample_alpha(a_real, seed=trainer.seed_generator))  # the penalty's alphas, drawn again
    np.testing.assert_allclose(numpy(x_hat), alpha * numpy(a_real) + (1 - alpha) * numpy(a_fake), atol=1e-6)
    plain_points = alpha * numpy(x) + (1 - alpha) * numpy(x_fake)  # the same alphas between un-augmented images
    critic = trainer.critic
    expected = losses.conditional_discriminator_loss(critic([a_real, y]), critic([a_fake, y_fake]),
                                                     critic([a_real, y_wrong]))
    gp = gradient_penalty_at(critic, x_hat, labels=y)
    restore()
    features = trainer.critic_parts.features
    rows = []
    trainer.critic_parts.features = lambda images, training=None: rows.append(images.shape[0]) or features(
        images, training=training)
    terms = trainer.critic_step(x, y)
    assert rows[0] == 16  # T(x_r) and T(G(z)) through the conv stack once: T(x_r) serves the wrong-label term too
    for name in ("real", "fake", "wrong"):
        np.testing.assert_allclose(float(terms[name]), float(getattr(expected, name)), rtol=1e-5, err_msg=name)
    np.testing.assert_allclose(float(terms["gp"]), float(gp), rtol=1e-4)
    np.testing.assert_allclose(float(terms["d_loss"]), float(expected.total + 10 * gp), rtol=1e-5)
    assert np.abs(numpy(a_real) - numpy(x)).max() > 0.1  # the images were transformed ...
    plain_gp = float(gradient_penalty_at(critic, plain_points, labels=y))
    assert 0.05 < float(gp) and abs(plain_gp - float(gp)) > 0.05 * float(gp)  # ... and the penalty between the
    # un-augmented images, with the same alphas, is another number


def test_the_generator_learns_through_the_augmentation():
    trainer = v3_trainer("diffaugment")
    restore = seed_states(trainer)
    y = trainer.uniform_labels(8)
    with tf.GradientTape() as tape:
        fake = trainer.generate(trainer.draw_latents(8, y), y, training=True)
        expected = losses.conditional_generator_loss(trainer.critic([trainer.augmentation(fake), y]))
    grads = tape.gradient(expected, trainer.generator.trainable_variables)
    assert all(g is not None for g in grads) and sum(float(tf.reduce_sum(tf.abs(tf.convert_to_tensor(g))))
                                                    for g in grads) > 0
    restore()
    np.testing.assert_allclose(float(trainer.generator_step(8, None)), float(expected), rtol=1e-5)


def test_fit_tracks_ada_and_is_reproducible():
    runs = []
    for _ in range(2):
        trainer = make_trainer(seed=6, augment="ada", ada_images=100)
        history = trainer.fit(data(), epochs=2, verbose=0, shuffle=False).history
        runs.append((history, trainer.get_weights(), value(trainer.augmentation.p)))
    (history, weights, p), (_, weights2, p2) = runs
    assert {"ada_p", "ada_rt"} <= set(history) and all(0 <= v <= 1 for v in history["ada_p"])
    assert p == p2
    for a, b in zip(weights, weights2):
        np.testing.assert_array_equal(a, b)


# -- refusals and the recipes ----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    (dict(augment="flip"), "not an augmentation"),
    (dict(augment="ada", objective="wasserstein", wrong_labels=False), "no zero point"),
    (dict(augment="ada", ada_target=1.5), "target in \\[0, 1\\]"),
])
def test_bad_augmentation_settings(kwargs, message):
    with pytest.raises(KitError, match=message):
        make_trainer(**kwargs)


def test_ali_refuses_augmentation():
    with pytest.raises(KitError, match="pairs"):
        ALITrainer(build_vae_encoder(SIZE, 1, 8, 0.125), build_decoder(SIZE, 1, 8, 0.125),
                   build_joint_discriminator(SIZE, 1, 8, 0.125), latent_dim=8, augment="diffaugment")


def test_every_recipe_takes_diffaugment_and_ada_where_its_critic_has_a_logit():
    assert POLICIES == AUGMENTATIONS and ADA_TARGET == 0.6
    assert set(SCORE_OBJECTIVES) == {name for name, o in OBJECTIVES.items() if o.real_logit is None}
    for model, recipe in RECIPES.items():
        recipe.check_augment(model, "diffaugment")
        if recipe.objective in SCORE_OBJECTIVES:
            with pytest.raises(KitError, match="diffaugment"):
                recipe.check_augment(model, "ada")
        else:
            recipe.check_augment(model, "ada")
    with pytest.raises(KitError, match="zero point"):
        build_model("wgan_gp", image_size=SIZE, channels=1, n_classes=4, latent_dim=8, width=0.125, augment="ada")
    assert get_recipe("bagan_gp_v3").objective not in SCORE_OBJECTIVES
