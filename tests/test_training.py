"""A training run end to end: step-indexed batches, checkpoints, resume after SIGKILL, the divergence guard, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bagan_lib import checkpoints  # noqa: E402
from bagan_lib.errors import KitError  # noqa: E402
from bagan_lib.input_pipeline import step_batches  # noqa: E402
from bagan_lib.training import TrainConfig, train_model  # noqa: E402
from bagan_lib.training_callbacks import TrainingDiverged  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SMOKE = dict(dataset="synthetic_cells", profile="smoke", seed=3)


def test_batch_of_a_step_depends_only_on_seed_and_step():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 2, 2, 1)).astype("float32"), np.arange(50) % 5
    settings = dict(batch_size=8, steps_per_epoch=6, seed=11)
    whole = [b[1].numpy() for b in step_batches(x, y, start_step=0, end_step=20, **settings)]
    later = [b[1].numpy() for b in step_batches(x, y, start_step=9, end_step=20, **settings)]
    assert len(whole) == 20 and len(later) == 11
    for a, b in zip(whole[9:], later):
        np.testing.assert_array_equal(a, b)
    epoch0 = np.concatenate(whole[:6])
    assert len(set(epoch0.tolist())) == 5 and sorted(np.concatenate(whole[:6]).tolist()) != epoch0.tolist()
    assert not np.array_equal(np.concatenate(whole[:6]), np.concatenate(whole[6:12]))  # reshuffled per epoch


def _dense(n_in, n_out, seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((n_in,)), keras.layers.Dense(n_out)])


def test_checkpoint_round_trip_and_shape_mismatch(tmp_path):
    source, target = _dense(3, 2, 0), _dense(3, 2, 1)
    path = checkpoints.save_state(tmp_path / "c.npz", checkpoints.model_state(source), {"step": 7})
    assert checkpoints.restore_state(path, checkpoints.model_state(target)) == {"step": 7}
    for a, b in zip(source.get_weights(), target.get_weights()):
        np.testing.assert_array_equal(a, b)
    wrong = _dense(4, 2, 2)
    before = [w.copy() for w in wrong.get_weights()]
    with pytest.raises(KitError, match=r"shape \(3, 2\).*\(4, 2\)"):
        checkpoints.restore_state(path, checkpoints.model_state(wrong))
    for a, b in zip(before, wrong.get_weights()):  # nothing assigned
        np.testing.assert_array_equal(a, b)


def test_a_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model = _dense(3, 2, 0)
    path = checkpoints.save_state(tmp_path / "c.npz", checkpoints.model_state(model), {"step": 1})
    original = path.read_bytes()

    def crash(file, **arrays):
        Path(file).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoints.np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        checkpoints.save_state(path, checkpoints.model_state(_dense(3, 2, 5)), {"step": 2})
    assert path.read_bytes() == original and checkpoints.read_meta(path) == {"step": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]  # no temporary file left behind


class PoisonCritic(keras.callbacks.Callback):
    """Sets one critic weight to NaN after ``after`` batches: the next step's losses are NaN."""

    def __init__(self, after):
        super().__init__()
        self.after, self.seen = after, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.after:
            kernel = self.model.critic.trainable_variables[0]
            kernel.assign(np.full(kernel.shape, np.nan, dtype="float32"))


def test_divergence_stops_naming_step_and_term_and_keeps_last_good_checkpoint(tmp_path):
    config = TrainConfig(model="cdragan", out_dir=str(tmp_path), epochs=3, checkpoint_every=1, **SMOKE)
    with pytest.raises(TrainingDiverged, match=r"step 4 .*(d_loss|fake|real)=nan.*step 3\) is kept"):
        train_model(config, callbacks=[PoisonCritic(after=3)], verbose=False)
    meta = checkpoints.read_meta(tmp_path / "checkpoints" / "gan.npz")
    assert meta["global_step"] == 3
    with np.load(tmp_path / "checkpoints" / "gan.npz") as saved:
        assert all(np.isfinite(saved[k]).all() for k in saved.files if k != "__meta__")


RUN = textwrap.dedent("""
    import sys, time, keras
    from bagan_lib import notebook_setup
    notebook_setup.start("smoke", seed=3, verbose=False)
    from bagan_lib.training import TrainConfig, train_model

    class Slow(keras.callbacks.Callback):  # gives the test time to kill the run mid-epoch
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(float(sys.argv[3]))

    train_model(TrainConfig(model="bagan_gp_v3", dataset="synthetic_cells", profile="smoke", seed=3,
                            out_dir=sys.argv[1], epochs=4, steps_per_epoch=3, checkpoint_every=1,
                            resume=sys.argv[2] == "resume"), callbacks=[Slow()], verbose=False)
""")


def _run(script, out, mode, delay, **kwargs):
    env = dict(os.environ, BAGAN_OFFLINE="1", PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen([sys.executable, str(script), str(out), mode, str(delay)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)


def _final_arrays(out):
    with np.load(Path(out) / "checkpoints" / "gan.npz") as saved:
        return {k: saved[k] for k in saved.files if k != "__meta__"}, json.loads(str(saved["__meta__"]))["meta"]


def test_sigkill_mid_epoch_then_resume_ends_with_the_same_weights(tmp_path):
    """On CPU (op determinism on) a run killed mid-epoch and resumed ends bit for bit where an uninterrupted run ends.

    Resumption restores every variable, both optimizers and the seed generator's
    state, and batch ``s`` depends only on (seed, s). The one thing that differs is
    the logged loss means of the interrupted epoch: they cover only its steps after
    the resume.
    """
    script = tmp_path / "run.py"
    script.write_text(RUN)
    straight = _run(script, tmp_path / "straight", "fresh", 0)
    killed = _run(script, tmp_path / "killed", "fresh", 0.4)
    ckpt = tmp_path / "killed" / "checkpoints" / "gan.npz"
    deadline = time.monotonic() + 120
    step = 0
    while time.monotonic() < deadline and killed.poll() is None:
        if ckpt.is_file():
            step = checkpoints.read_meta(ckpt)["global_step"]
            if step >= 4 and step % 3:  # inside epoch 2 (3 steps per epoch)
                break
        time.sleep(0.05)
    assert killed.poll() is None, "the run ended before it could be killed: " + killed.stderr.read().decode()[-2000:]
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL
    killed_at = checkpoints.read_meta(ckpt)["global_step"]
    assert killed_at % 3 != 0, "killed mid-epoch"
    resumed = _run(script, tmp_path / "killed", "resume", 0)
    for proc in (resumed, straight):
        assert proc.wait(timeout=180) == 0, proc.stderr.read().decode()[-3000:]
    expected, expected_meta = _final_arrays(tmp_path / "straight")
    got, got_meta = _final_arrays(tmp_path / "killed")
    assert got_meta["global_step"] == expected_meta["global_step"] == 12
    assert expected.keys() == got.keys()
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def test_train_command_writes_everything(tmp_path):
    out = tmp_path / "run"
    env = dict(os.environ, BAGAN_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-m", "bagan_lib", "train", "--model", "bagan", "--profile", "smoke",
                           "--out", str(out), "--epochs", "2", "--seed", "5"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "bagan epoch 2/2" in proc.stdout and "\r" not in proc.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert [row["epoch"] for row in metrics["history"]] == [1, 2]
    assert {"d_loss", "g_loss", "real", "fake"} <= set(metrics["history"][0])
    assert metrics["final_step"] == 2 * metrics["timings"]["steps_per_epoch"]
    for name in ("checkpoints/gan.npz", "checkpoints/autoencoder.npz", "grids/grid_epoch_001.png",
                 "grids/grid_epoch_002.png", "grids/training.gif", "loss_curves.png", "config.json"):
        assert (out / name).is_file(), name


@pytest.mark.parametrize("argv, message", [
    (["--model", "bagan_gp_v9", "--out", "x"], "invalid choice"),
    (["--model", "bagan", "--out", "x", "--latent-dim", "0"], "latent_dim=0"),
    (["--model", "bagan", "--out", "x", "--profile", "huge"], "invalid choice"),
])
def test_train_command_rejects_bad_options(argv, message, capsys):
    from bagan_lib.cli import main

    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err and "Traceback" not in err
