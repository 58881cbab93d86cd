"""CAPGAN: the CVAE's objective against closed forms, the pre-training strategies, and the GAN's initialisation."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import integrate, stats

from bagan_lib.models import cvae, pretraining
from bagan_lib.gan.critic_parts import ConditionalCriticParts
from bagan_lib.errors import KitError
from bagan_lib.models.builders import build_cvae, build_model

SIZE, N, LATENT, WIDTH = 32, 3, 4, 0.125


def test_kl_term_equals_the_integral_of_p_log_p_over_q():
    mu, logvar = np.array([[0.7, -1.3]]), np.log(np.array([[0.25, 2.5]]))

    def kl_1d(m, s2):  # numerical KL(N(m, s2) || N(0, 1)), Eq. 8 as an integral
        p, q = stats.norm(m, math.sqrt(s2)), stats.norm(0, 1)
        return integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), -30, 30)[0]

    expected = [kl_1d(m, s2) for m, s2 in zip(mu[0], np.exp(logvar[0]))]
    got = cvae.kl_to_standard_normal(mu.astype("float32"), logvar.astype("float32"))
    np.testing.assert_allclose(float(got[0]), sum(expected), rtol=1e-5)
    mean = cvae.kl_to_standard_normal(mu.astype("float32"), logvar.astype("float32"), reduction="reference")
    np.testing.assert_allclose(float(mean[0]), np.mean(expected), rtol=1e-5)
    assert float(cvae.kl_to_standard_normal(np.zeros((1, 3), "float32"), np.zeros((1, 3), "float32"))[0]) == 0.0


def test_reparameterised_samples_have_the_requested_mean_and_variance():
    n = 40000
    mu = np.tile(np.array([[2.0, -1.0, 0.0]], "float32"), (n, 1))
    var = np.array([0.5, 4.0, 1.0], "float32")
    z = np.asarray(cvae.reparameterize(mu, np.log(np.tile(var, (n, 1))), keras.random.SeedGenerator(7)))
    # mean within 4 standard errors; variance within 4 standard errors of the sample variance (2 var^2 / n)
    assert np.all(np.abs(z.mean(0) - mu[0]) < 4 * np.sqrt(var / n))
    assert np.all(np.abs(z.var(0) - var) < 4 * var * np.sqrt(2 / n))
    assert abs(stats.kurtosis(z[:, 2])) < 0.1  # normal (a uniform draw, Eq. 5's typo, has kurtosis -1.2)


def test_reconstruction_terms_are_the_bernoulli_cross_entropy_and_squared_error_on_the_unit_scale():
    images = np.array([[[[-1.0], [0.0]], [[1.0], [0.5]]]], "float32")        # one 2x2 image in [-1, 1]
    recon = np.array([[[[-0.8], [0.2]], [[0.9], [0.0]]]], "float32")
    t, p = (images + 1) / 2, (recon + 1) / 2
    ce_expected = -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p))
    ce, mse = cvae.reconstruction_terms(images, recon)
    np.testing.assert_allclose(float(ce[0]), ce_expected, rtol=1e-5)
    np.testing.assert_allclose(float(mse[0]), np.sum((t - p) ** 2), rtol=1e-6)
    _, mse_mean = cvae.reconstruction_terms(images, recon, reduction="reference")
    np.testing.assert_allclose(float(mse_mean[0]), np.mean((t - p) ** 2), rtol=1e-6)   # Eq. 10's 1/m
    terms = cvae.capgan_objective(images, recon, np.ones((1, 2), "float32"), np.zeros((1, 2), "float32"),
                                  weights={"mse": 2.0})
    np.testing.assert_allclose(float(terms["total"]), 1.0 + ce_expected + 2 * np.sum((t - p) ** 2), rtol=1e-5)


def test_bad_cvae_settings_are_refused():
    with pytest.raises(KitError, match="reduction"):
        build_cvae(image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=WIDTH, reduction="sum")
    with pytest.raises(KitError, match="Unknown CVAE loss"):
        build_cvae(image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=WIDTH, weights={"l1": 1})


def test_random_oversampling_balances_with_copies_of_real_images_only():
    y = np.array([0] * 50 + [1] * 7 + [2] * 2)
    idx = pretraining.random_oversample(y, 3, seed=1)
    assert np.bincount(y[idx]).tolist() == [50, 50, 50]
    assert set(range(len(y))) <= set(idx.tolist())            # every real image is kept
    assert idx.min() >= 0 and idx.max() < len(y)               # and nothing else: indices into the real set
    with pytest.raises(KitError, match="no training image"):
        pretraining.random_oversample(np.array([0, 0, 2]), 3)


def test_ensemble_subsets_split_the_majority_and_keep_every_minority_image():
    y = np.array([0] * 90 + [1] * 10 + [2] * 9 + [3] * 30)
    assert pretraining.majority_classes(y, 4).tolist() == [0, 3]   # above the median count (20)
    subsets = pretraining.ensemble_subsets(y, 4, 3, seed=0)
    minority = set(np.flatnonzero(np.isin(y, [1, 2])).tolist())
    majority = [set(s.tolist()) - minority for s in subsets]
    assert all(minority <= set(s.tolist()) for s in subsets)
    assert sum(len(m) for m in majority) == 120 and len(set.union(*majority)) == 120  # disjoint, all of it
    assert [np.bincount(y[s], minlength=4).tolist() for s in subsets] == [[30, 10, 9, 10]] * 3


def test_ensemble_average_uses_inverse_loss_weights():
    coefficients = pretraining.loss_coefficients([1.0, 2.0, 4.0])
    np.testing.assert_allclose(coefficients, np.array([4, 2, 1]) / 7)
    sets = [[np.full((2,), k, "float32"), np.full((1, 3), 10 * k, "float32")] for k in (1.0, 2.0, 3.0)]
    averaged = pretraining.average_weights(sets, coefficients)
    np.testing.assert_allclose(averaged[0], np.full(2, (4 * 1 + 2 * 2 + 1 * 3) / 7), rtol=1e-6)
    np.testing.assert_allclose(averaged[1], np.full((1, 3), 10 * (4 * 1 + 2 * 2 + 1 * 3) / 7), rtol=1e-6)
    with pytest.raises(KitError, match="finite and positive"):
        pretraining.loss_coefficients([1.0, float("nan")])


def tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    y = np.array([0] * 48 + [1] * 8 + [2] * 8, "int32")
    x = np.clip(rng.normal(0, 0.3, (len(y), SIZE, SIZE, 1)) + (y[:, None, None, None] - 1) * 0.5, -1, 1)
    return x.astype("float32"), y


def build_tiny():
    return build_cvae(image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=WIDTH, seed=3)


def compiled_tiny():
    model = build_tiny()
    model.compile()
    return model


@pytest.mark.parametrize("strategy", pretraining.STRATEGIES)
def test_every_strategy_trains_valid_weights(strategy):
    x, y = tiny_data()
    keras.utils.set_random_seed(0)
    initial = [np.asarray(v).copy() for v in pretraining.network_weights(compiled_tiny())]
    keras.utils.set_random_seed(0)
    model, report = pretraining.pretrain_cvae(compiled_tiny, x, y, n_classes=N, strategy=strategy, epochs=2,
                                              batch_size=16, seed=0, members=2, say=lambda *a, **k: None)
    weights = [np.asarray(v) for v in pretraining.network_weights(model)]
    assert all(np.all(np.isfinite(w)) for w in weights)
    assert any(not np.allclose(w, w0) for w, w0 in zip(weights, initial))   # it trained
    names = [phase["name"] for phase in report.phases]
    counts = [phase["counts"] for phase in report.phases]
    if strategy == "none":
        assert names == ["imbalanced"] and counts == [[48, 8, 8]]
    if strategy == "ros":
        assert names == ["oversampled"] and counts == [[48, 48, 48]]
    if strategy == "two_phase":
        assert names == ["oversampled", "fine-tuned"] and counts[1] == [48, 8, 8]
        assert [phase["epochs"] for phase in report.phases] == [2, 1]
    if strategy == "ensemble":
        assert counts == [[24, 8, 8], [24, 8, 8]]
        c = np.asarray(report.coefficients)
        np.testing.assert_allclose(c, (1 / np.array(report.member_losses)) / np.sum(1 / np.array(report.member_losses)))
        for i, w in enumerate(weights):
            expected = sum(ck * m[i].astype(np.float64) for ck, m in zip(c, report.member_weights))
            np.testing.assert_allclose(w, expected, rtol=1e-5, atol=1e-7)


def test_ensemble_members_start_from_the_same_weights():
    starts = []
    for _ in range(2):
        keras.utils.set_random_seed(11)
        starts.append([np.asarray(v) for v in pretraining.network_weights(compiled_tiny())])
    for a, b in zip(*starts):
        np.testing.assert_array_equal(a, b)


def test_the_gan_starts_from_the_cvaes_weights_and_keeps_training_the_embedding():
    x, y = tiny_data()
    keras.utils.set_random_seed(0)
    model, _ = pretraining.pretrain_cvae(compiled_tiny, x, y, n_classes=N, strategy="ros", epochs=1, batch_size=16,
                                         say=lambda *a, **k: None)
    snapshot = {v.path: np.asarray(v).copy() for v in pretraining.network_weights(model)}
    trainer = build_model("capgan", image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=WIDTH,
                          autoencoder=model, critic_steps=1, seed=0)
    critic = trainer.critic
    for i in range(3):
        for a, b in zip(critic.get_layer(f"disc_conv{i}").weights, model.encoder.get_layer(f"enc_conv{i}").weights):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for a, b in zip(critic.get_layer("disc_mu").weights, model.encoder.get_layer("enc_mu").weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    generator_weights = {v.path: np.asarray(v) for v in trainer.generator.weights}
    for path, value in snapshot.items():
        if path.startswith(("decoder/", "embedding/")):
            np.testing.assert_array_equal(generator_weights[path], value)
    embedding = trainer.generator.get_layer("embedding").get_layer("label_embedding").embeddings
    before = np.asarray(embedding).copy()
    trainer.compile()
    trainer.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(16, drop_remainder=True).take(1), verbose=0,
                shuffle=False)
    assert not np.allclose(np.asarray(embedding), before)   # the embedding trains in the GAN phase
    assert trainer.wrong_labels and trainer.fake_labels == "balanced" and trainer.gp_lambda == 10.0


def test_capgan_critic_parts_score_as_the_critic():
    keras.utils.set_random_seed(2)
    trainer = build_model("capgan", image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=WIDTH,
                          autoencoder=compiled_tiny(), critic_steps=1, seed=0)
    x, y = tiny_data()
    assert isinstance(trainer.critic_parts, ConditionalCriticParts)
    np.testing.assert_allclose(np.asarray(trainer.critic_parts([x, y])), np.asarray(trainer.critic([x, y])),
                               rtol=1e-4, atol=1e-5)


def test_capgan_refuses_an_autoencoder_and_others_refuse_a_cvae():
    from bagan_lib.models.builders import build_autoencoder

    dims = dict(image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=WIDTH)
    with pytest.raises(KitError, match="conditional VAE"):
        build_model("capgan", autoencoder=build_autoencoder(supervised=True, **dims), **dims)
    with pytest.raises(KitError, match="got a conditional VAE"):
        build_model("bagan_gp_v3", autoencoder=build_tiny(), **dims)


def test_cvae_samples_and_reconstructions_are_images_in_range():
    model = build_tiny()
    x, y = tiny_data()
    assert np.asarray(model([x[:4], y[:4]])).shape == (4, SIZE, SIZE, 1)
    samples = np.asarray(model.sample(np.array([0, 1, 2]), seed=0))
    assert samples.shape == (3, SIZE, SIZE, 1) and samples.min() >= -1 and samples.max() <= 1


def test_the_capgan_protocols_rate_survives_a_profiles_cap():
    from bagan_lib.data import load_dataset
    from bagan_lib.data.imbalance import apply_protocol, profile_caps
    from bagan_lib.data.batches import cap_per_class

    data = load_dataset("synthetic_cells")
    split = apply_protocol(data, "capgan", rate=10, majority=1)
    caps = profile_caps(split, 40)
    counts = np.bincount(split.y_train[cap_per_class(split.y_train, caps)], minlength=len(split.class_names))
    assert counts[1] == 40 and all(c == min(4, n) for i, (c, n) in
                                   enumerate(zip(counts, np.bincount(split.y_train))) if i != 1)
    other = apply_protocol(data, "none")
    assert profile_caps(other, 40) == 40


def test_pretrain_is_only_a_capgan_setting_and_must_be_a_strategy():
    from bagan_lib.training.config import TrainConfig

    with pytest.raises(KitError, match="only CAPGAN"):
        TrainConfig(model="bagan_gp_v3", pretrain="ros").check()
    with pytest.raises(KitError, match="not a pre-training strategy"):
        TrainConfig(model="capgan", pretrain="smote").check()
    assert TrainConfig(model="capgan").pretrain_strategy() == "ros"


def test_a_capgan_run_trains_resumes_with_its_cvae_and_refuses_another_strategy(tmp_path):
    from bagan_lib.training.config import TrainConfig
    from bagan_lib.training.run import load_run, train_model

    common = dict(model="capgan", dataset="synthetic_cells", profile="smoke", seed=5, protocol="capgan",
                  protocol_options={"rate": 5}, out_dir=str(tmp_path / "run"))
    result = train_model(TrainConfig(**common, pretrain="two_phase", epochs=1), verbose=False)
    assert result.history[-1]["wrong"] > 0 and "gp" in result.history[-1]
    meta = __import__("json").loads((tmp_path / "run" / "config.json").read_text())
    assert meta["run"]["pretrain"] == "two_phase"
    loaded = load_run(tmp_path / "run")
    np.testing.assert_array_equal(np.asarray(loaded.trainer.generator.weights[0]),
                                  np.asarray(result.trainer.generator.weights[0]))
    with pytest.raises(KitError):
        train_model(TrainConfig(**common, pretrain="ros", resume=True), verbose=False)


def test_notebook_07_figures_are_titled_and_labelled():
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from bagan_lib.figures import cvae as cvae_plots

    draws = cvae.noise_draw_comparison(mu=1.0, sigma=0.5, n=5000, seed=0)
    assert abs(draws["normal"].mean() - 1.0) < 0.03 and abs(draws["uniform"].mean() - 1.25) < 0.03
    summary = pd.DataFrame({"rate": [10, 100], "a minority": [0.5, 0.4], "b minority": [0.3, 0.1]})
    for fig in (cvae_plots.plot_noise_draws(draws, mu=1.0, sigma=0.5, title="t1"),
                cvae_plots.plot_minority_by_rate(summary, ["a", "b"], title="t2")):
        ax = fig.axes[0]
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
