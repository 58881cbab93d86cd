"""``train --augment``: the critic's augmentation as a run setting, resolved once, recorded, kept on resume."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bagan_lib.errors import KitError
from bagan_lib.training.config import TrainConfig, resolve_settings

ADA_STATE = ("seed_state", "p", "sign_sum", "sign_steps", "images", "steps")  # the checkpoint's "augment" group


def test_augment_is_resolved_once_and_fixed_for_a_run():
    config = TrainConfig(model="bagan_gp_v3", profile="smoke", augment="ada")
    fresh = resolve_settings(config)
    assert fresh.augment == "ada" and fresh.recorded()["augment"] == "ada"
    saved = {"settings": fresh.recorded()}
    unset = dataclasses.replace(config, augment=None, resume=True)
    assert resolve_settings(unset, saved).augment == "ada"  # unset on resume: the checkpoint's
    for other in ("diffaugment", "none"):
        with pytest.raises(KitError, match="trained with augment='ada'"):
            resolve_settings(dataclasses.replace(unset, augment=other), saved)
    old = {"settings": {"epochs": 1}}  # a checkpoint from before augmentation: none
    assert resolve_settings(unset, old).augment is None
    with pytest.raises(KitError, match="trained with augment='none'"):
        resolve_settings(dataclasses.replace(unset, augment="diffaugment"), old)
    assert resolve_settings(TrainConfig(model="bagan_gp_v3", profile="smoke", augment="none")).augment is None


def test_a_critic_without_a_logit_refuses_ada_before_anything_runs():
    with pytest.raises(KitError, match="zero point.*diffaugment"):
        resolve_settings(TrainConfig(model="wgan_gp", profile="smoke", augment="ada"))
    assert resolve_settings(TrainConfig(model="wgan_gp", profile="smoke", augment="diffaugment")).augment \
        == "diffaugment"


def run_cli(*args, cwd):
    """``python -m bagan_lib`` offline with an empty home (as tests/test_cli.py runs it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAGAN_")}
    home = Path(cwd) / ".home"
    env.update(HOME=str(home), KERAS_HOME=str(home / ".keras"), BAGAN_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, "-m", "bagan_lib", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def ada_state(run: Path) -> dict:
    with np.load(run / "checkpoints" / "gan.npz") as saved:
        return {name: np.asarray(saved[f"augment_{i}"]) for i, name in enumerate(ADA_STATE)}


def test_train_with_ada_then_resume_keeps_its_state(tmp_path):
    out = tmp_path / "run"
    args = ("train", "--model", "bagan_gp_v3", "--dataset", "synthetic_cells", "--profile", "smoke",
            "--augment", "ada", "--out", out)
    first = run_cli(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    config = json.loads((out / "config.json").read_text())
    assert config["config"]["augment"] == "ada" and config["settings"]["augment"] == "ada"
    state = ada_state(out)  # smoke: 2 steps of 32, 1 critic step each; ADA adjusts every 4 steps
    assert (state["p"], state["steps"], state["sign_steps"], state["images"]) == (0.0, 2.0, 2.0, 64.0)
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert {"ada_p", "ada_rt"} <= set(history[0])
    np.testing.assert_allclose(state["sign_sum"], 2 * history[0]["ada_rt"], rtol=1e-6)

    refused = run_cli(*args[:-4], "--augment", "diffaugment", "--out", out, "--resume", "--epochs", "2",
                      cwd=tmp_path)
    assert refused.returncode == 2 and "trained with augment='ada'" in refused.stderr

    resumed = run_cli(*args[:-4], "--out", out, "--resume", "--epochs", "2", cwd=tmp_path)  # --augment left out
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    history = json.loads((out / "metrics.json").read_text())["history"]
    end = ada_state(out)
    # step 4 adjusted p from the sums of all four steps: the two before the resume were kept
    r_t = (history[0]["ada_rt"] + history[1]["ada_rt"]) / 2
    assert float(end["p"]) == pytest.approx(min(max(np.sign(r_t - 0.6) * 4 * 32 / 10_000, 0.0), 1.0))
    assert (end["steps"], end["sign_steps"], end["images"], end["sign_sum"]) == (0.0, 0.0, 0.0, 0.0)
    assert json.loads((out / "config.json").read_text())["settings"]["augment"] == "ada"
    assert not np.array_equal(end["seed_state"], state["seed_state"])  # the augmentation's draws went on
