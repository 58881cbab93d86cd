"""Autoencoder pre-training and the BAGAN / BAGAN-GP recipes built on the shared trainer."""

from __future__ import annotations


import keras
import numpy as np
import pytest
import tensorflow as tf

from bagan_lib.errors import KitError
from bagan_lib.gan.class_latents import encode_class_gaussians
from bagan_lib.models.builders import (
    autoencoder_kind, build_autoencoder, build_model, build_pretraining_network, default_reconstruction)
from bagan_lib.models.recipes import MODEL_NAMES, RECIPES

SIZE, C, N, LATENT, WIDTH = 32, 1, 3, 8, 0.125


def batches(seed=0, n=48):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N, n).astype("int32")
    # each class a different constant grey level: easy to reconstruct, easy to tell apart
    x = np.broadcast_to((y[:, None, None, None] - 1.0) * 0.6, (n, SIZE, SIZE, C)).astype("float32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16, drop_remainder=True)


def autoencoder(supervised, reconstruction="l1"):
    keras.utils.set_random_seed(0)
    ae = build_autoencoder(supervised=supervised, image_size=SIZE, channels=C, n_classes=N, latent_dim=LATENT,
                           width=WIDTH, reconstruction=reconstruction)
    ae.compile(optimizer=keras.optimizers.Adam(2e-3))
    return ae


@pytest.mark.parametrize("supervised, reconstruction", [(False, "l2"), (True, "l1")])
def test_autoencoder_learns(supervised, reconstruction):
    ae = autoencoder(supervised, reconstruction)
    # L1 sits on the median (0.4) for ~40 epochs before the tiny embedding init grows: give it 60
    losses = ae.fit(batches(), epochs=60, verbose=0, shuffle=False).history["reconstruction"]
    assert losses[-1] < 0.5 * losses[0], losses
    x, y = next(iter(batches()))
    error = x.numpy() - ae([x, y]).numpy()
    expected = np.mean(np.abs(error)) if reconstruction == "l1" else np.mean(error ** 2)
    np.testing.assert_allclose(ae.evaluate(batches(), verbose=0, steps=1), expected, rtol=1e-4)


def test_supervised_autoencoder_trains_the_embedding():
    ae = autoencoder(True)
    before = ae.embedding.get_weights()[0].copy()
    ae.fit(batches(), epochs=1, verbose=0, shuffle=False)
    assert not np.allclose(before, ae.embedding.get_weights()[0])


@pytest.mark.parametrize("model", list(RECIPES))
def test_each_recipe_trains_a_step(model):
    recipe = RECIPES[model]
    ae = None if recipe.autoencoder is None else autoencoder(recipe.autoencoder == "supervised")
    if recipe.autoencoder in ("cvae", "ali"):  # CAPGAN's CVAE, ALI: untrained stand-ins
        keras.utils.set_random_seed(0)
        ae = build_pretraining_network(model, image_size=SIZE, channels=C, n_classes=N, latent_dim=LATENT, width=WIDTH)
    class_latents = None
    if model == "bagan":
        x, y = (np.concatenate(a) for a in zip(*[(bx.numpy(), by.numpy()) for bx, by in batches(n=96)]))
        class_latents = encode_class_gaussians(ae.encoder, x, y, N)
    trainer = build_model(model, image_size=SIZE, channels=C, n_classes=N, latent_dim=LATENT, width=WIDTH,
                          autoencoder=ae, class_latents=class_latents, critic_steps=1, seed=1)
    trainer.compile()
    history = trainer.fit(batches(), epochs=1, verbose=0, shuffle=False).history
    assert ("wrong" in history) == recipe.wrong_labels and ("gp" in history) == (recipe.gp_lambda > 0)
    assert ("aux" in history) == (recipe.objective == "acgan")
    assert trainer.fake_labels == recipe.fake_labels
    assert all(np.isfinite(v).all() for v in history.values())


def test_v3_generator_is_the_pretrained_embedding_and_decoder():
    ae = autoencoder(True)  # untrained: its random weights are as recognisable as trained ones
    weights = [w.copy() for w in ae.decoder.get_weights() + ae.embedding.get_weights()]
    trainer = build_model("bagan_gp_v3", image_size=SIZE, channels=C, n_classes=N, latent_dim=LATENT,
                          width=WIDTH, autoencoder=ae, discriminator_init="encoder", seed=1)
    assert ae.embedding in trainer.generator.layers and ae.decoder in trainer.generator.layers  # the objects
    generator_weights = trainer.generator.get_weights()
    assert len(generator_weights) == len(weights)
    for w, g in zip(weights, ae.decoder.get_weights() + ae.embedding.get_weights()):  # unchanged
        np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(trainer.critic.get_layer("disc_conv0").get_weights()[0],
                                  ae.encoder.get_layer("enc_conv0").get_weights()[0])
    trainer.compile()
    trainer.generator_step(16, None)
    assert not np.array_equal(ae.embedding.get_weights()[0], weights[-1])  # the embedding keeps training


def test_model_names_and_their_pretraining():
    assert MODEL_NAMES[:6] == ("bagan", "cdragan", "bagan_gp_v1", "bagan_gp_v2", "bagan_gp_v3", "capgan")
    assert MODEL_NAMES[6:13] == ("cdcgan", "cgan", "wgan_gp", "acgan", "acgan_v1", "acgan_v2", "acgan_v3")  # nb 09's
    assert MODEL_NAMES[13:17] == ("acgan_ali_v1", "acgan_ali_v2", "acgan_ali_v1_unmasked", "acgan_ali_v2_unmasked")
    assert MODEL_NAMES[17:] == ("bagan_gp_v3_cbn",)  # long-tailed generation: v3 with the cBN generator (gSR)
    assert autoencoder_kind("bagan_gp_v3_cbn") == "supervised"
    assert [autoencoder_kind(m) for m in MODEL_NAMES[:6]] == [
        "unsupervised", None, "unsupervised", "unsupervised", "supervised", "cvae"]
    assert all(autoencoder_kind(m) is None for m in MODEL_NAMES[6:13])
    assert all(autoencoder_kind(m) == "ali" for m in MODEL_NAMES[13:17])
    assert [default_reconstruction(m) for m in MODEL_NAMES[:6]] == ["l2", "l1", "l1", "l1", "l1", "capgan_elbo"]


def test_defaults_apply_to_none_only():
    trainer = build_model("cdragan", image_size=SIZE, channels=C, n_classes=N, latent_dim=LATENT, width=WIDTH)
    assert (trainer.critic_steps, trainer.gp_lambda, trainer.name) == (5, 10.0, "cdragan")
    trainer.compile()  # no arguments: the BAGAN-GP Adam
    assert [float(trainer.g_optimizer.learning_rate), float(trainer.g_optimizer.beta_1),
            float(trainer.g_optimizer.beta_2)] == pytest.approx([2e-4, 0.5, 0.9])
    no_penalty = build_model("cdragan", image_size=SIZE, channels=C, n_classes=N, latent_dim=LATENT, width=WIDTH,
                             gp_lambda=0.0)
    assert no_penalty.gp_lambda == 0.0 and "gp" not in no_penalty.trackers


@pytest.mark.parametrize("model, kwargs, message", [
    ("cdragan", {"critic_steps": 0}, "critic_steps=0"),
    ("bagan", {"autoencoder": "unsupervised", "gp_lambda": 10.0}, "one score per image"),
    ("bagan_gp_v2", {}, "pre-trained unsupervised autoencoder"),
    ("bagan_gp_v3", {"autoencoder": "unsupervised"}, "needs a supervised autoencoder"),
    ("cdragan", {"discriminator_init": "encoder"}, "no encoder"),
    ("bagan_gp_v4", {}, "Unknown model"),
    ("bagan", {"autoencoder": "unsupervised"}, "per-class Gaussians"),
])
def test_recipe_errors(model, kwargs, message):
    if kwargs.get("autoencoder") == "unsupervised":
        kwargs["autoencoder"] = autoencoder(False)
    with pytest.raises(KitError, match=message):
        build_model(model, image_size=SIZE, channels=C, n_classes=N, latent_dim=LATENT, width=WIDTH, **kwargs)
