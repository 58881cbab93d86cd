"""Precision and devices from the command line: ``train --distribute mirrored`` on two logical CPU devices and
``train --precision mixed_bfloat16`` each run a smoke epoch and resume; ``doctor`` gives a verdict per line.

**Mirrored against one device.** Two replicas (the CPU split in two) train the
same global batches as one device, with the same random draws, the global
batch's normalisation statistics and the replicas' losses halved before the
gradients are summed; what differs is the order of floating-point sums. The
tolerance is tests/training/run_comparison.py's (as for several workers).
Measured after 2 epochs (2 autoencoder and 4 GAN steps): the mirrored run
1.6e-7 from one device, the zero-gradient biases 4.3e-4 (bound 2.4e-3), loss
terms 8.6e-8 relative, grids 1 grey level; the run handed over to one device
after its first epoch 1.3e-5 (the decoder's dense bias; bound 2e-5).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bagan_lib.cli import main
from bagan_lib.runtime.checkpoints import read_meta
from bagan_lib.runtime.doctor import Check, environment_checks, step_checks
from run_comparison import compare_runs

ARGS = ("train", "--model", "bagan_gp_v3", "--profile", "smoke", "--seed", "5")


def run_cli(*args, cwd):
    """``python -m bagan_lib`` offline with an empty home (as tests/test_cli.py runs it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAGAN_") and k != "TF_CONFIG"}
    env.update(HOME=str(Path(cwd) / ".home"), KERAS_HOME=str(Path(cwd) / ".home" / ".keras"), BAGAN_OFFLINE="1",
               TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, "-m", "bagan_lib", *map(str, args)], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def arrays(folder: Path) -> dict:
    with np.load(folder / "checkpoints" / "gan.npz") as saved:
        return {name: saved[name] for name in saved.files if name != "__meta__"}


@pytest.mark.slow  # five smoke runs of TensorFlow processes
def test_mirrored_on_two_cpu_devices_trains_like_one_device_resumes_and_hands_over(tmp_path):
    mirrored = run_cli(*ARGS, "--out", "mirrored", "--epochs", 1, "--distribute", "mirrored", "--cpu-devices", 2,
                       cwd=tmp_path)
    assert "distribute mirrored (2 replicas)" in mirrored.stdout
    shutil.copytree(tmp_path / "mirrored", tmp_path / "handover")
    resumed = run_cli(*ARGS, "--out", "mirrored", "--epochs", 2, "--resume", cwd=tmp_path)  # the run's devices
    assert "distribute mirrored (2 replicas)" in resumed.stdout and "after step 2" in resumed.stdout
    handover = run_cli(*ARGS, "--out", "handover", "--epochs", 2, "--resume", "--distribute", "none", cwd=tmp_path)
    assert "distribute mirrored -> none" in handover.stdout  # the change is reported
    run_cli(*ARGS, "--out", "single", "--epochs", 2, cwd=tmp_path)
    metrics = json.loads((tmp_path / "mirrored" / "metrics.json").read_text())
    assert metrics["settings"]["distribute"] == "mirrored" and [r["epoch"] for r in metrics["history"]] == [1, 2]
    for name in ("grids/grid_epoch_001.png", "grids/grid_epoch_002.png", "grids/training.gif", "loss_curves.png"):
        assert (tmp_path / "mirrored" / name).is_file(), name
    measured = {"mirrored": compare_runs(tmp_path / "mirrored", tmp_path / "single"),
                "handover": compare_runs(tmp_path / "handover", tmp_path / "single")}
    print("\nagainst one device:", measured)


@pytest.mark.slow  # two smoke runs of TensorFlow processes
def test_bfloat16_runs_a_smoke_epoch_and_resumes(tmp_path):
    first = run_cli(*ARGS, "--out", "bf16", "--epochs", 1, "--precision", "mixed_bfloat16", cwd=tmp_path)
    assert "training  mixed_bfloat16" in first.stdout
    again = run_cli(*ARGS, "--out", "bf16", "--epochs", 2, "--resume", cwd=tmp_path)  # the run's precision
    assert "training  mixed_bfloat16" in again.stdout and "after step 2" in again.stdout
    metrics = json.loads((tmp_path / "bf16" / "metrics.json").read_text())
    assert metrics["settings"]["precision"] == "mixed_bfloat16"
    assert [r["epoch"] for r in metrics["history"]] == [1, 2]
    assert all(np.isfinite(v) for row in metrics["history"] for v in row.values())
    saved = arrays(tmp_path / "bf16")
    assert all(v.dtype != np.dtype("float16") and (v.dtype.kind != "f" or v.dtype == np.float32)
               for v in saved.values())  # one float32 copy of every variable: any precision resumes it
    assert read_meta(tmp_path / "bf16" / "checkpoints" / "gan.npz")["global_step"] == 4


@pytest.mark.parametrize("args, needle", [
    (["--precision", "float16"], "invalid choice"),
    (["--distribute", "mirrored", "--xla"], "cannot run with distribute='mirrored'"),
    (["--distribute", "multiworker"], "TF_CONFIG"),
    (["--distribute", "tpu"], "invalid choice"),
])
def test_impossible_device_options_exit_2_before_any_work(tmp_path, args, needle, capsys, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert main([*ARGS, "--out", str(tmp_path / "run"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and needle in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_environment_checks_give_a_verdict_and_name_the_cuda_build():
    cpu = {"tensorflow": "2.21.0", "keras": "3.15.1", "physical": ["CPU:0"], "logical": ["/device:CPU:0"],
           "gpus": [], "cuda_build": False, "cuda": None, "cudnn": None, "onednn": True, "cpu_cores": 2}
    assert [c.verdict for c in environment_checks(cpu)] == ["OK", "OK", "OK"]
    no_onednn = environment_checks({**cpu, "onednn": False})[2]
    assert no_onednn.verdict == "WARN" and "TF_ENABLE_ONEDNN_OPTS=1" in no_onednn.detail
    gpu = {**cpu, "gpus": ["/physical_device:GPU:0"], "cuda_build": True, "cuda": "12.5.1", "cudnn": "9"}
    build = environment_checks(gpu)[1]
    assert build.verdict == "OK" and "CUDA 12.5.1, cuDNN 9" in build.detail
    blind = environment_checks({**gpu, "gpus": []})[1]
    assert blind.verdict == "WARN" and "sees no GPU" in blind.detail


def test_step_checks_report_times_ratios_failures_and_skips(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    seconds = {"float32": 0.1, "mixed_bfloat16": 0.3}

    def step(precision, distribute):
        if precision == "mixed_float16":
            raise ValueError("no float16\nkernel")
        return seconds[precision], {"d_loss": 1.0, "g_loss": 0.5}

    checks = step_checks(["float32", "mixed_bfloat16", "mixed_float16"], ["none", "multiworker"], step=step)
    assert [c.verdict for c in checks] == ["OK", "OK", "FAIL", "SKIP", "SKIP", "SKIP"]
    assert "x3.00 the float32 step" in checks[1].detail
    assert checks[2].detail == "ValueError: no float16 kernel"  # one line
    assert "TF_CONFIG" in checks[3].detail
    assert all(isinstance(c, Check) and c.line().split()[0] in ("OK", "FAIL", "SKIP") for c in checks)


@pytest.mark.slow  # six smoke steps
def test_doctor_prints_a_verdict_on_every_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    done = subprocess.run([sys.executable, "-m", "bagan_lib", "doctor", "--precision", "float32", "mixed_bfloat16",
                           "mixed_float16", "--distribute", "none", "mirrored", "multiworker"],
                          cwd=tmp_path, env={**env, "TF_CPP_MIN_LOG_LEVEL": "2"}, capture_output=True, text=True,
                          timeout=900)
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert len(lines) == 3 + 9 + 1 and all(line.split()[0] in ("OK", "WARN", "SKIP", "FAIL") for line in lines)
    steps = [line for line in lines if " step " in f" {line} "]
    assert sum(line.startswith("OK") for line in steps) == 6  # float32, bfloat16, float16 on 1 and on 2 devices
    assert sum(line.startswith("SKIP") and "TF_CONFIG" in line for line in steps) == 3
    assert lines[-1].startswith("OK") and "0 failed" in lines[-1]
