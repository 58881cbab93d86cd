"""``train --gsr`` and ``train --transition``: long-tail methods as run settings, resolved once, recorded, kept on
resume, refused for models whose networks lack what they need; and smoke runs from the command line."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from bagan_lib.errors import KitError
from bagan_lib.models.recipes import GSR_LAMBDA
from bagan_lib.training.config import TrainConfig, resolve_settings
from test_augment_run import run_cli  # python -m bagan_lib offline with an empty home


def test_gsr_is_resolved_once_and_fixed_for_a_run():
    config = TrainConfig(model="bagan_gp_v3_cbn", profile="smoke", gsr=GSR_LAMBDA)
    fresh = resolve_settings(config)
    assert fresh.gsr == 0.5 and fresh.recorded()["gsr"] == 0.5
    saved = {"settings": fresh.recorded()}
    unset = dataclasses.replace(config, gsr=None, resume=True)
    assert resolve_settings(unset, saved).gsr == 0.5
    for other in (0.0, 1.0):
        with pytest.raises(KitError, match="trained with gsr='0.5'"):
            resolve_settings(dataclasses.replace(unset, gsr=other), saved)
    assert resolve_settings(dataclasses.replace(config, gsr=0.0)).gsr is None  # 0: none
    assert resolve_settings(unset, {"settings": {"epochs": 1}}).gsr is None     # a checkpoint from before: none
    with pytest.raises(KitError, match="no class-conditional batch normalisation.*bagan_gp_v3_cbn"):
        resolve_settings(TrainConfig(model="bagan_gp_v3", profile="smoke", gsr=0.5))
    with pytest.raises(KitError, match="finite number"):
        resolve_settings(dataclasses.replace(config, gsr=-1.0))


def test_the_transition_is_resolved_once_to_epochs_and_fixed_for_a_run():
    config = TrainConfig(model="bagan_gp_v3", profile="smoke", epochs=8, transition="default")
    fresh = resolve_settings(config)
    assert fresh.transition == (2.0, 4.0) and fresh.recorded()["transition"] == [2.0, 4.0]
    assert fresh.transition_steps(5) == (10.0, 20.0)
    saved = {"settings": json.loads(json.dumps(fresh.recorded()))}
    unset = dataclasses.replace(config, transition=None, epochs=16, resume=True)  # more epochs: the same ramp
    assert resolve_settings(unset, saved).transition == (2.0, 4.0)
    assert resolve_settings(dataclasses.replace(unset, transition=[2, 4]), saved).transition == (2.0, 4.0)
    for other in ("none", [2, 5], "default"):  # "default" of 16 epochs is another ramp
        with pytest.raises(KitError, match="trained with transition='2 4'"):
            resolve_settings(dataclasses.replace(unset, transition=other), saved)
    assert resolve_settings(dataclasses.replace(config, transition="none")).transition is None
    for bad in ([3, 3], [-1, 2], "soon", [1]):
        with pytest.raises(KitError, match="ramp"):
            resolve_settings(dataclasses.replace(config, transition=bad))
    with pytest.raises(KitError, match="cgan's networks"):
        resolve_settings(TrainConfig(model="cgan", profile="smoke", transition="default"))


def history_of(run: Path) -> list:
    return json.loads((run / "metrics.json").read_text())["history"]


def test_train_bagan_gp_v3_cbn_with_gsr_records_the_per_class_norms(tmp_path):
    out = tmp_path / "gsr"
    refused = run_cli("train", "--model", "bagan_gp_v3", "--profile", "smoke", "--gsr", "--out", tmp_path / "no",
                      cwd=tmp_path)
    assert refused.returncode == 2 and "bagan_gp_v3_cbn" in refused.stderr
    done = run_cli("train", "--model", "bagan_gp_v3_cbn", "--profile", "smoke", "--gsr", "--out", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    config = json.loads((out / "config.json").read_text())
    assert config["config"]["gsr"] == GSR_LAMBDA and config["settings"]["gsr"] == GSR_LAMBDA
    row = history_of(out)[0]
    norms = [row[f"gsr_norm_{c}"] for c in range(4)]  # synthetic_cells: 4 classes
    assert all(np.isfinite(norms)) and np.isfinite(row["gsr"]) and row["gsr"] >= 0


def test_train_with_a_transition_then_resume_continues_the_ramp(tmp_path):
    out = tmp_path / "transition"
    args = ("train", "--model", "bagan_gp_v3", "--profile", "smoke", "--out", out)
    first = run_cli(*args, "--transition", "1", "2", "--epochs", "1", cwd=tmp_path)  # smoke: 2 steps an epoch
    assert first.returncode == 0, first.stderr[-3000:]
    assert json.loads((out / "config.json").read_text())["settings"]["transition"] == [1.0, 2.0]
    with np.load(out / "checkpoints" / "gan.npz") as saved:
        assert (float(saved["transition_0"]), float(saved["transition_1"])) == (0.0, 2.0)  # alpha_2, 2 steps done
    refused = run_cli(*args, "--transition", "1", "3", "--resume", "--epochs", "3", cwd=tmp_path)
    assert refused.returncode == 2 and "trained with transition='1 2'" in refused.stderr
    resumed = run_cli(*args, "--resume", "--epochs", "3", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    # steps 0-1: alpha 0; 2-3: 0 and 1/2 (the ramp from step 2 to step 4); 4-5: 1
    assert [row["alpha"] for row in history_of(out)] == [0.0, 0.25, 1.0]
    with np.load(out / "checkpoints" / "gan.npz") as saved:
        assert (float(saved["transition_0"]), float(saved["transition_1"])) == (1.0, 6.0)
