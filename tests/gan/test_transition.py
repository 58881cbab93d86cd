"""Transitional conditioning (bagan_lib.gan.transition): exactly unconditional at step 0, exactly the conditional
model after the ramp, linear in between at the stated steps, the wrong-label term weighted by alpha, and alpha kept
in checkpoints."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from bagan_lib.errors import KitError
from bagan_lib.gan.critic_parts import ConditionalCriticParts
from bagan_lib.gan.transition import Transition, transition_alpha
from bagan_lib.models.builders import build_autoencoder, build_model
from bagan_lib.models.networks import build_discriminator, build_generator
from bagan_lib.models.recipes import get_recipe
from bagan_lib.runtime.checkpoints import restore_state, save_state, trainer_state

N_CLASSES, LATENT, SIZE, WIDTH = 3, 8, 32, 0.25
START, END = 4, 12   # the ramp in steps


def transitional_trainer(seed=0, **kwargs):
    autoencoder = build_autoencoder(supervised=True, image_size=SIZE, channels=1, n_classes=N_CLASSES,
                                    latent_dim=LATENT, width=WIDTH)
    keras.utils.set_random_seed(seed)
    trainer = build_model("bagan_gp_v3", image_size=SIZE, channels=1, n_classes=N_CLASSES, latent_dim=LATENT,
                          width=WIDTH, autoencoder=autoencoder, critic_steps=1, transition=(START, END), seed=seed,
                          **kwargs)
    trainer.compile()
    return trainer


def inputs(n=4, seed=0):
    rng = np.random.default_rng(seed)
    z = tf.constant(rng.normal(size=(n, LATENT)), tf.float32)
    x = tf.constant(rng.uniform(-1, 1, (n, SIZE, SIZE, 1)), tf.float32)
    return z, x


def every_label(n):
    return [tf.fill((n,), label) for label in range(N_CLASSES)]


def test_alpha_is_linear_between_the_stated_steps():
    steps = np.arange(0, 16)
    alphas = np.asarray(transition_alpha(steps, START, END))
    np.testing.assert_allclose(alphas, np.clip((steps - 4) / 8, 0, 1))
    assert alphas[4] == 0 and alphas[8] == 0.5 and alphas[12] == 1 and alphas[15] == 1
    schedule = Transition(START, END)
    assert float(schedule.alpha) == 0.0
    for _ in range(6):
        schedule.end_step()
    assert (float(schedule.step), float(schedule.alpha)) == (6.0, 0.25)
    with pytest.raises(KitError, match="end after it starts"):
        Transition(5, 5)


def test_at_step_0_the_networks_ignore_the_label():
    trainer = transitional_trainer()
    z, x = inputs()
    images = [np.asarray(trainer.generator([z, y])) for y in every_label(4)]
    scores = [np.asarray(trainer.critic([x, y])) for y in every_label(4)]
    factored = [np.asarray(trainer.critic_parts([x, y])) for y in every_label(4)]
    for label in range(1, N_CLASSES):  # bit for bit: the label is multiplied by exactly 0
        np.testing.assert_array_equal(images[label], images[0])
        np.testing.assert_array_equal(scores[label], scores[0])
        np.testing.assert_array_equal(factored[label], factored[0])
    # ... and they are the unconditional networks: the decoder of z, the head on phi(x)
    decoder = trainer.generator.get_layer("decoder")
    np.testing.assert_array_equal(images[0], np.asarray(decoder(z)))


def test_after_the_ramp_the_networks_are_the_plain_conditional_ones():
    trainer = transitional_trainer()
    trainer.transition.set_step(END + 3)
    assert float(trainer.transition.alpha) == 1.0
    z, x = inputs(seed=1)
    plain_generator = build_generator(trainer.generator.get_layer("embedding"), trainer.generator.get_layer("decoder"))
    plain_critic = build_discriminator(SIZE, 1, N_CLASSES, WIDTH)
    plain_critic.set_weights(trainer.critic.get_weights())
    for y in every_label(4) + [tf.constant([0, 1, 2, 1])]:
        np.testing.assert_array_equal(np.asarray(trainer.generator([z, y])), np.asarray(plain_generator([z, y])))
        np.testing.assert_array_equal(np.asarray(trainer.critic([x, y])), np.asarray(plain_critic([x, y])))
        np.testing.assert_allclose(np.asarray(trainer.critic_parts([x, y])),
                                   np.asarray(ConditionalCriticParts(plain_critic)([x, y])), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("step", [6, 8, 11])
def test_in_between_both_label_pathways_are_the_linear_blend(step):
    trainer = transitional_trainer()
    z, x = inputs(seed=2)
    y = tf.constant([0, 1, 2, 1])
    latent = keras.Model(trainer.generator.inputs, trainer.generator.get_layer("transition").output)
    ends = {}
    for at in (0, END):
        trainer.transition.set_step(at)
        ends[at] = (np.asarray(latent([z, y])), np.asarray(trainer.critic([x, y])))
    trainer.transition.set_step(step)
    alpha = (step - START) / (END - START)
    assert float(trainer.transition.alpha) == pytest.approx(alpha)
    e_y = np.asarray(trainer.generator.get_layer("embedding").get_layer("label_embedding")(y))
    np.testing.assert_allclose(ends[0][0], z.numpy(), rtol=1e-6)  # the labelled latent: z, then z * e_y
    np.testing.assert_allclose(np.asarray(latent([z, y])), z.numpy() * ((1 - alpha) + alpha * e_y), rtol=1e-5,
                               atol=1e-6)
    # the critic's head after the blend is linear (Dense, Dense): its score is the same blend of the two ends
    np.testing.assert_allclose(np.asarray(trainer.critic([x, y])), (1 - alpha) * ends[0][1] + alpha * ends[END][1],
                               rtol=1e-4, atol=1e-5)


def test_the_wrong_label_term_is_weighted_by_alpha():
    trainer = transitional_trainer(gp_lambda=0.0)
    z, x = inputs(seed=3)
    y_real, y_fake, y_wrong = tf.constant([0, 1, 2, 0]), tf.constant([1, 1, 2, 0]), tf.constant([2, 0, 1, 1])
    x_fake = trainer.generator([z, y_fake])
    for step in (0, 8, END):
        trainer.transition.set_step(step)
        total, terms = trainer.critic_loss(x, y_real, x_fake, y_fake, y_wrong)
        alpha = float(trainer.transition.alpha)
        expected = float(terms["real"]) + float(terms["fake"]) + alpha * float(terms["wrong"])
        assert float(total) == pytest.approx(expected, rel=1e-6)


def test_a_checkpoint_keeps_alpha_and_the_ramp_goes_on(tmp_path):
    trainer = transitional_trainer(seed=4)
    rng = np.random.default_rng(5)
    data = tf.data.Dataset.from_tensor_slices((rng.uniform(-1, 1, (24, SIZE, SIZE, 1)).astype("float32"),
                                               rng.integers(0, N_CLASSES, 24).astype("int32"))).batch(4)
    history = trainer.fit(data, epochs=1, verbose=0).history  # 6 steps: alpha 0, 0, 0, 0, 0, 1/8
    assert history["alpha"][0] == pytest.approx(np.clip((np.arange(6) - START) / 8, 0, 1).mean())
    assert (float(trainer.transition.step), float(trainer.transition.alpha)) == (6.0, 0.25)
    save_state(tmp_path / "gan.npz", trainer_state(trainer))
    resumed = transitional_trainer(seed=9)
    assert "transition" in trainer_state(resumed) and float(resumed.transition.alpha) == 0.0
    restore_state(tmp_path / "gan.npz", trainer_state(resumed))
    assert (float(resumed.transition.step), float(resumed.transition.alpha)) == (6.0, 0.25)
    history = resumed.fit(data, epochs=1, verbose=0).history  # steps 6..11: alpha 2/8 .. 7/8
    assert history["alpha"][0] == pytest.approx(np.mean((np.arange(6, 12) - START) / 8))
    assert float(resumed.transition.alpha) == 1.0


def test_models_without_the_label_products_refuse_a_transition():
    for model in ("cgan", "bagan", "acgan", "bagan_gp_v3_cbn"):
        with pytest.raises(KitError, match="transition"):
            get_recipe(model).check_transition(model, (1, 2))
    get_recipe("bagan_gp_v3").check_transition("bagan_gp_v3", (1, 2))
