"""A run's settings are resolved in one place: fresh or resumed, training or bench, the same inputs give the same."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bagan_lib.errors import KitError
from bagan_lib.models.recipes import MODEL_NAMES
from bagan_lib.perf.sizes import bench_size
from bagan_lib.profiles import PROFILES
from bagan_lib.training.config import RunSettings, TrainConfig, cluster_role, resolve_settings


def saved_checkpoint(settings: RunSettings) -> dict:
    """What a GAN checkpoint records of a run's settings (its meta's ``settings``)."""
    return {"settings": settings.resumable()}


@pytest.mark.parametrize("model", MODEL_NAMES)
@pytest.mark.parametrize("overrides", [{}, {"epochs": 3, "critic_steps": 4}, {"learning_rate": 1e-4}])
def test_a_resumed_run_resolves_the_settings_of_the_fresh_run_from_the_same_inputs(model, overrides):
    config = TrainConfig(model=model, dataset="fashion_mnist", profile="teach", **overrides)
    fresh = resolve_settings(config)
    resumed = resolve_settings(dataclasses.replace(config, resume=True), saved_checkpoint(fresh))
    assert resumed == fresh
    assert resumed.changed == ()


def test_resume_without_explicit_settings_takes_the_checkpoints_and_an_explicit_one_wins_and_is_reported():
    fresh = resolve_settings(TrainConfig(model="bagan_gp_v3", dataset="fashion_mnist", profile="teach", epochs=2))
    later = TrainConfig(model="bagan_gp_v3", dataset="fashion_mnist", profile="teach", resume=True,
                        learning_rate=5e-5)
    resumed = resolve_settings(later, saved_checkpoint(fresh))
    assert resumed.epochs == 2 and resumed.gp_lambda == fresh.gp_lambda == 10.0
    assert resumed.learning_rate == 5e-5 and resumed.changed == (("learning_rate", None, 5e-5),)


def test_defaults_come_from_the_recipe_and_the_profile():
    teach = PROFILES["teach"]
    v3 = resolve_settings(TrainConfig(model="bagan_gp_v3", dataset="fashion_mnist", profile="teach"))
    bagan = resolve_settings(TrainConfig(model="bagan", dataset="fashion_mnist", profile="teach"))
    assert (v3.gp_lambda, v3.critic_steps, v3.epochs) == (10.0, teach.critic_steps, teach.epochs_for("fashion_mnist"))
    assert (bagan.gp_lambda, bagan.critic_steps) == (0.0, 1)
    assert v3.pretrain is None
    assert resolve_settings(TrainConfig(model="capgan", profile="teach")).pretrain == "ros"


def test_a_penalty_weight_is_checked_once_before_anything_runs():
    with pytest.raises(KitError, match="no gradient penalty"):
        resolve_settings(TrainConfig(model="bagan", profile="teach", gp_lambda=10.0))
    with pytest.raises(KitError, match="finite number >= 0"):
        resolve_settings(TrainConfig(model="bagan_gp_v3", profile="teach", gp_lambda=-1.0))


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("model", MODEL_NAMES)
@pytest.mark.parametrize("dataset", ["synthetic_cells", "fashion_mnist"])
def test_bench_times_each_model_with_the_critic_steps_training_uses(model, profile, dataset):
    training = resolve_settings(TrainConfig(model=model, profile=profile, dataset=dataset))
    assert bench_size(model, profile, dataset=dataset).critic_steps == training.critic_steps


def test_the_bce_and_ac_gan_baselines_take_one_critic_step_in_bench_as_in_training():
    for model in ("acgan", "cgan", "cdcgan"):
        assert bench_size(model, "paper").critic_steps == 1 < PROFILES["paper"].critic_steps


def test_precision_and_distribution_are_resolved_like_the_other_resumable_settings(monkeypatch):
    """Explicit, else the checkpoint's, else the session's ($BAGAN_PRECISION, $BAGAN_DISTRIBUTE), else float32 on
    one device; a change on resume is reported (a checkpoint holds one float32 copy, whatever trained it)."""
    for variable in ("BAGAN_PRECISION", "BAGAN_DISTRIBUTE", "TF_CONFIG"):
        monkeypatch.delenv(variable, raising=False)
    config = TrainConfig(model="bagan_gp_v3", profile="smoke")
    fresh = resolve_settings(config)
    assert (fresh.precision, fresh.distribute) == ("float32", "none")
    monkeypatch.setenv("BAGAN_PRECISION", "mixed_bfloat16")
    monkeypatch.setenv("BAGAN_DISTRIBUTE", "mirrored")
    session = resolve_settings(config)
    assert (session.precision, session.distribute) == ("mixed_bfloat16", "mirrored")
    resumed = resolve_settings(dataclasses.replace(config, resume=True), saved_checkpoint(fresh))
    assert (resumed.precision, resumed.distribute, resumed.changed) == ("float32", "none", ())  # the checkpoint's
    moved = resolve_settings(dataclasses.replace(config, resume=True, precision="mixed_float16",
                                                 distribute="mirrored"), saved_checkpoint(fresh))
    assert moved.changed == (("precision", "float32", "mixed_float16"), ("distribute", "none", "mirrored"))


@pytest.mark.parametrize("overrides, needle", [
    ({"precision": "float16"}, "not a precision policy"),
    ({"distribute": "tpu"}, "not a distribution"),
    ({"distribute": "mirrored", "jit_compile": True}, "cannot run with distribute='mirrored'"),
    ({"distribute": "multiworker"}, "TF_CONFIG"),
])
def test_impossible_device_settings_are_refused_before_anything_runs(overrides, needle, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(KitError, match=needle):
        resolve_settings(TrainConfig(model="bagan_gp_v3", profile="smoke", **overrides))


def test_xla_is_refused_when_the_checkpoint_trained_on_several_devices(monkeypatch):
    monkeypatch.delenv("BAGAN_DISTRIBUTE", raising=False)
    saved = {"settings": {"distribute": "mirrored"}}
    with pytest.raises(KitError, match="cannot run with distribute='mirrored'"):
        resolve_settings(TrainConfig(model="bagan_gp_v3", profile="smoke", resume=True, jit_compile=True), saved)


@pytest.mark.parametrize("cluster, task, chief", [
    ({"worker": ["a:1", "b:2"]}, {"type": "worker", "index": 0}, True),    # worker 0 without a chief task
    ({"worker": ["a:1", "b:2"]}, {"type": "worker", "index": 1}, False),
    ({"chief": ["c:0"], "worker": ["a:1"]}, {"type": "worker", "index": 0}, False),
    ({"chief": ["c:0"], "worker": ["a:1"]}, {"type": "chief", "index": 0}, True),
])
def test_the_chief_is_read_from_tf_config_without_tensorflow(cluster, task, chief):
    role = cluster_role({"TF_CONFIG": json.dumps({"cluster": cluster, "task": task})})
    assert role.chief == chief and role.workers == 2
    assert cluster_role({}) is None
    with pytest.raises(KitError, match="TF_CONFIG is not a cluster description"):
        cluster_role({"TF_CONFIG": "{not json"})
