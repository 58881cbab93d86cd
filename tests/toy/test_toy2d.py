"""The 2-D toy: mode coverage on hand-built samples, the weight-clip constraint, reproducible training."""

from __future__ import annotations


import numpy as np
import pytest

from bagan_lib.toy import gaussian_ring as toy2d
from bagan_lib.errors import KitError

CENTERS = toy2d.mode_centers()


def test_ring_has_eight_modes_on_a_circle_of_radius_two():
    assert CENTERS.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(CENTERS, axis=1), toy2d.RADIUS, rtol=1e-6)
    real = toy2d.sample_ring(4000, seed=3)
    cov = toy2d.mode_coverage(real)
    assert cov.modes_covered == 8 and cov.high_quality_share > 0.98


def test_all_samples_on_one_mode_cover_one_mode():
    rng = np.random.default_rng(0)
    samples = CENTERS[2] + rng.normal(0, toy2d.STD, (500, 2))
    cov = toy2d.mode_coverage(samples)
    assert cov.modes_covered == 1
    assert cov.per_mode[2] == cov.high_quality_share * 500 and cov.high_quality_share > 0.95


def test_exact_samples_on_all_modes_cover_all_with_share_one():
    samples = np.repeat(CENTERS, 25, axis=0)
    cov = toy2d.mode_coverage(samples)
    assert cov.modes_covered == 8
    assert cov.high_quality_share == 1.0
    assert cov.per_mode == (25,) * 8
    assert cov.as_row() == {"modes covered (of 8)": 8, "high-quality share": 1.0}


def test_far_away_points_have_no_quality_and_cover_nothing():
    samples = np.full((300, 2), 10.0) + np.random.default_rng(1).normal(0, 0.5, (300, 2))
    cov = toy2d.mode_coverage(samples)
    assert cov.high_quality_share == 0.0 and cov.modes_covered == 0
    # the origin is 2 from every mode: far beyond 3 std
    assert toy2d.mode_coverage(np.zeros((10, 2))).high_quality_share == 0.0


def test_a_mode_needs_one_percent_of_the_samples():
    samples = np.concatenate([np.repeat(CENTERS[:1], 995, axis=0), np.repeat(CENTERS[1:2], 5, axis=0)])
    assert toy2d.mode_coverage(samples).modes_covered == 1          # 5 of 1000 < 1 %
    assert toy2d.mode_coverage(samples, min_share=0.005).modes_covered == 2


def test_mode_coverage_rejects_bad_shapes():
    with pytest.raises(KitError):
        toy2d.mode_coverage(np.zeros((10, 3)))


def test_weight_clipping_keeps_every_critic_weight_in_range_after_a_step():
    run = toy2d.train_toy("wgan_clip", steps=2, seed=0, batch_size=64, width=16)
    c = toy2d.METHODS["wgan_clip"]["clip"]
    weights = np.concatenate([np.asarray(w).ravel() for w in run.trainer.critic.trainable_weights])
    assert np.abs(weights).max() <= c + 1e-7
    assert np.abs(weights).max() == pytest.approx(c)   # the Glorot start is far wider: the clip is active


def test_train_toy_is_reproducible_and_independent_of_the_snapshot_cadence():
    kwargs = dict(steps=12, seed=3, batch_size=64, width=16)
    a = toy2d.train_toy("dragan", **kwargs)
    b = toy2d.train_toy("dragan", snapshot_every=5, **kwargs)
    np.testing.assert_array_equal(a.samples(200), b.samples(200))
    assert sorted(b.snapshots) == [5, 10, 12] and sorted(a.snapshots) == [12]
    np.testing.assert_array_equal(a.snapshots[12], b.snapshots[12])
    c = toy2d.train_toy("dragan", **{**kwargs, "seed": 4})
    assert not np.array_equal(a.samples(200), c.samples(200))


def test_train_toy_settings_overrides_and_table():
    run = toy2d.train_toy("wgan_gp", steps=3, seed=0, batch_size=32, width=8, latent_dim=1, gp_lambda=0.0,
                          critic_steps=2, learning_rate=1e-3)
    assert run.settings["gp_lambda"] == 0.0 and run.settings["critic_steps"] == 2
    assert int(run.trainer.d_optimizer.iterations) == 6 and "gp" not in run.history
    assert run.samples(50).shape == (50, 2)
    table = toy2d.coverage_table([run], n=100)
    # the label names the settings that differ from the method's defaults
    assert list(table["method"]) == ["WGAN-GP (λ = 0, latent 1)"] and table.loc[0, "lambda"] == 0.0


@pytest.mark.parametrize("kwargs", [dict(method="nope"), dict(latent_dim=0), dict(steps=0),
                                    dict(gp_lambda=-1.0), dict(latent_dim=2.5), dict(snapshot_every=0)])
def test_bad_settings_raise_kit_errors(kwargs):
    with pytest.raises(KitError):
        toy2d.train_toy(**{"steps": 1, **kwargs})


def test_landscape_and_penalty_points():
    run = toy2d.train_toy("wgan_gp", steps=2, seed=0, batch_size=32, width=8)
    xs, ys, scores = toy2d.critic_landscape(run.trainer.critic, resolution=11)
    assert xs.shape == (11,) and scores.shape == (11, 11) and np.isfinite(scores).all()
    pts = toy2d.run_penalty_points(run, 64)
    assert pts.x_hat.shape == (64, 2) and pts.norms.shape == (64,) and (pts.norms > 0).all()
    # model interpolates lie on the segment between each real point and its fake
    along = pts.x_hat - pts.fake
    seg = pts.real - pts.fake
    cross = along[:, 0] * seg[:, 1] - along[:, 1] * seg[:, 0]
    np.testing.assert_allclose(cross, 0, atol=1e-4)
    noise = toy2d.run_penalty_points(run, 64, interpolation="noise")
    assert noise.interpolation == "noise" and np.all(noise.x_hat - noise.real >= -1e-6)


class _StubRun:
    """Stands in for a trained ToyRun: fixed samples, no training."""

    def __init__(self, method, samples):
        self.method, self._samples, self.settings = method, samples, {}
        self.label = toy2d.method_label(method)

    def coverage(self, n=2000):
        return toy2d.mode_coverage(self._samples)


def test_compare_with_baseline_states_what_was_measured():
    one_mode = np.repeat(CENTERS[:1], 80, axis=0)
    all_modes = np.repeat(CENTERS, 10, axis=0)
    text = toy2d.compare_with_baseline([_StubRun("gan", one_mode), _StubRun("dragan", all_modes)])
    assert "DRAGAN: 8 of 8 modes (more than the plain GAN's 1)" in text
    text = toy2d.compare_with_baseline({"gan": _StubRun("gan", all_modes), "wgan_gp": _StubRun("wgan_gp", one_mode)})
    assert text.startswith("The plain GAN (non-saturating) covers all 8 modes") and "fewer than" in text
    with pytest.raises(KitError):
        toy2d.compare_with_baseline([_StubRun("dragan", all_modes)])
