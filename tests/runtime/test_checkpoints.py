"""Checkpoints: round trip, refusals, atomic writes, and a training run killed with SIGKILL then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from bagan_lib.runtime import checkpoints, outputs
from bagan_lib.data import synthetic_cells
from bagan_lib.errors import KitError

REPO = Path(__file__).resolve().parents[2]


def _dense(n_in, n_out, seed, name="layer"):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((n_in,)), keras.layers.Dense(n_out, name=name)])


def test_round_trip_restores_every_value_and_the_metadata(tmp_path):
    source, target = _dense(3, 2, 0), _dense(3, 2, 1)
    path = checkpoints.save_state(tmp_path / "c.npz", checkpoints.model_state(source), {"step": 7},
                                  constants={"means": np.arange(4.0)})
    assert checkpoints.restore_state(path, checkpoints.model_state(target)) == {"step": 7}
    for a, b in zip(source.get_weights(), target.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(checkpoints.read_constants(path)["means"], np.arange(4.0))


@pytest.mark.parametrize("other, message", [
    (lambda: _dense(4, 2, 2), r"layer/kernel has shape \(3, 2\), the model's .*layer/kernel \(4, 2\)"),
    (lambda: _dense(3, 2, 2, name="other"), r"layer/kernel has shape \(3, 2\), the model's .*other/kernel"),
    (lambda: keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="layer"), keras.layers.Dense(1)]),
     r"2 'weights' variables, the model 4"),
])
def test_restore_refuses_a_model_that_does_not_match_and_assigns_nothing(tmp_path, other, message):
    path = checkpoints.save_state(tmp_path / "c.npz", checkpoints.model_state(_dense(3, 2, 0)))
    model = other()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(checkpoints.CheckpointMismatchError, match=message):
        checkpoints.restore_state(path, checkpoints.model_state(model))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = checkpoints.save_state(tmp_path / "c.npz", checkpoints.model_state(_dense(3, 2, 0)), {"step": 1})
    original = path.read_bytes()

    def crash(file, **arrays):  # dies half-way through writing
        file.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoints.np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        checkpoints.save_state(path, checkpoints.model_state(_dense(3, 2, 5)), {"step": 2})
    assert path.read_bytes() == original and checkpoints.read_meta(path) == {"step": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]  # no temporary file left behind


def test_a_non_finite_state_is_never_written(tmp_path):
    path = checkpoints.save_state(tmp_path / "c.npz", checkpoints.model_state(_dense(3, 2, 0)), {"step": 1})
    model = _dense(3, 2, 0)
    model.layers[0].bias.assign([0.0, np.inf])
    with pytest.raises(checkpoints.NonFiniteStateError, match="weights:.*layer/bias") as caught:
        checkpoints.save_state(path, checkpoints.model_state(model), {"step": 2})
    assert caught.value.variables == [f"weights:{model.layers[0].bias.path}"]
    assert checkpoints.read_meta(path) == {"step": 1}


def test_a_damaged_or_missing_file_is_a_kit_error(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not a zip file")
    with pytest.raises(KitError, match="not a readable checkpoint"):
        checkpoints.read_meta(tmp_path / "bad.npz")
    with pytest.raises(KitError, match="No checkpoint"):
        checkpoints.restore_state(tmp_path / "none.npz", checkpoints.model_state(_dense(3, 2, 0)))


def _flip_inside_an_array(path: Path, name: str, n: int = 64) -> None:
    """Damage ``n`` bytes in the middle of one stored array, leaving the zip's structure intact."""
    with np.load(path) as saved:
        needle = saved[name].tobytes()
    data = bytearray(path.read_bytes())
    start = data.index(needle) + len(needle) // 2 - n // 2
    data[start:start + n] = bytes(255 - b for b in data[start:start + n])
    path.write_bytes(bytes(data))


def test_damage_inside_an_array_is_a_kit_error_and_nothing_is_assigned(tmp_path):
    """Issue 18, defect 5: flipped bytes inside a stored array are found (CRC and the checksum written with the
    file), as a KitError naming the file, and the model keeps its weights."""
    source = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, name="layer")])
    path = checkpoints.save_state(tmp_path / "c.npz", checkpoints.model_state(source), {"step": 3})
    with np.load(path) as saved:
        assert len(json.loads(str(saved["__meta__"]))["sha256"]) == 64
    _flip_inside_an_array(path, "weights_0")
    target = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, name="layer")])
    before = [w.copy() for w in target.get_weights()]
    for read in (checkpoints.verify_checkpoint, lambda p: checkpoints.restore_state(p, checkpoints.model_state(target)),
                 checkpoints.read_constants):
        with pytest.raises(checkpoints.CheckpointDamagedError, match="c.npz"):
            read(path)
    for a, b in zip(before, target.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_checksum_mismatch_or_a_non_finite_array_is_damage(tmp_path):
    """Issue 18, defect 5: the checksum catches what a valid zip does not (a file rewritten with other values)."""
    model = _dense(3, 2, 0)
    path = checkpoints.save_state(tmp_path / "c.npz", checkpoints.model_state(model), {"step": 1})
    with np.load(path) as saved:
        arrays = {k: saved[k] for k in saved.files}
    arrays["weights_0"] = arrays["weights_0"] + 1  # well-formed, but not what was written
    np.savez(path, **arrays)
    with pytest.raises(checkpoints.CheckpointDamagedError, match="checksum"):
        checkpoints.verify_checkpoint(path)
    arrays["weights_0"][0, 0] = np.nan
    header = json.loads(str(arrays["__meta__"]))
    header["sha256"] = checkpoints.checksum({k: v for k, v in arrays.items() if k != "__meta__"})
    arrays["__meta__"] = np.array(json.dumps(header))
    np.savez(path, **arrays)
    with pytest.raises(checkpoints.CheckpointDamagedError, match="NaN or infinite"):
        checkpoints.verify_checkpoint(path)


def test_the_previous_checkpoint_is_kept_and_used_when_the_newest_is_damaged(tmp_path):
    """Issue 18, defect 5: gan.prev.npz holds the checkpoint before the newest; a damaged newest falls back to it."""
    path = tmp_path / "gan.npz"
    checkpoints.save_state(path, checkpoints.model_state(_dense(3, 2, 0)), {"global_step": 1}, keep_previous=True)
    assert not checkpoints.previous_path(path).exists()  # nothing to keep yet
    checkpoints.save_state(path, checkpoints.model_state(_dense(3, 2, 1)), {"global_step": 2}, keep_previous=True)
    previous = checkpoints.previous_path(path)
    assert previous.name == "gan.prev.npz" and checkpoints.read_meta(previous) == {"global_step": 1}
    assert checkpoints.usable_checkpoint(path) == (path, None)
    path.write_bytes(path.read_bytes()[:100])  # truncated
    chosen, note = checkpoints.usable_checkpoint(path)
    assert chosen == previous and "previous checkpoint" in note and "step 1" in note
    previous.write_bytes(b"")
    with pytest.raises(checkpoints.CheckpointDamagedError, match="No usable checkpoint.*gan.npz.*gan.prev.npz"):
        checkpoints.usable_checkpoint(path)
    assert checkpoints.usable_checkpoint(tmp_path / "none.npz") == (None, None)


def test_trackers_are_matched_by_name_so_a_resume_may_drop_or_add_a_loss_term(tmp_path):
    """Issue 18, defect 6: a checkpoint with a ``gp`` tracker restores into a trainer without one (gp_lambda 0)."""
    with_gp = [keras.metrics.Mean(name=n) for n in ("d_loss", "gp")]
    for metric in with_gp:
        metric.update_state(3.0)
    path = checkpoints.save_state(tmp_path / "c.npz", {"trackers": [v for m in with_gp for v in m.variables]})
    without = [keras.metrics.Mean(name="d_loss")]
    group = {"trackers": [v for m in without for v in m.variables]}
    with pytest.raises(checkpoints.CheckpointMismatchError, match="4 'trackers' variables, the model 2"):
        checkpoints.restore_state(path, group)
    checkpoints.restore_state(path, group, by_name=("trackers",))
    assert float(without[0].result()) == 3.0


def test_atomic_writes_follow_the_umask_and_leave_temporaries_no_pattern_matches(tmp_path):
    """Issue 18, defect 10: files were 0600 (mkstemp); a killed writer's zero-byte temporary must not break or
    linger (its name matches no ``*.npz`` / ``*.png`` and the next run removes it)."""
    old = os.umask(0o022)
    try:
        path = outputs.atomic_write_text(tmp_path / "a.json", "{}")
        assert path.stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        assert outputs.atomic_write_text(tmp_path / "b.json", "{}").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
    stale = [tmp_path / ".gan.npz.0123456789abcdef.tmp", tmp_path / ".gan.npz.a1b2c3d4.npz"]  # now, and before
    for p in stale:
        p.write_bytes(b"")
    assert not list(tmp_path.glob("[!.]*.npz"))
    assert sorted(outputs.remove_temporaries(tmp_path)) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]


RUN = textwrap.dedent("""
    import sys, time, keras
    from bagan_lib import notebook_setup
    notebook_setup.start("smoke", seed=3, verbose=False)
    from bagan_lib.training.config import TrainConfig
    from bagan_lib.training.run import train_model

    out, dataset, mode, pause_at = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

    class PauseAt(keras.callbacks.Callback):  # holds the run after step pause_at (its checkpoint is written)
        steps = 0

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            if self.steps == pause_at:
                time.sleep(300)

    train_model(TrainConfig(model="bagan_gp_v3", dataset=dataset, profile="smoke", seed=3, out_dir=out, epochs=3,
                            steps_per_epoch=3, checkpoint_every=1, resume=mode == "resume"),
                callbacks=[PauseAt()], verbose=False)
""")


def _final_state(out):
    with np.load(Path(out) / "checkpoints" / "gan.npz") as saved:
        return {k: saved[k] for k in saved.files if k != "__meta__"}, json.loads(str(saved["__meta__"]))["meta"]


def test_sigkill_mid_epoch_then_resume_ends_with_the_same_weights(tmp_path):
    """On CPU a run killed mid-epoch and resumed ends bit for bit where an uninterrupted run ends.

    Every variable is compared: generator, critic, both optimizers (moments,
    iterations), the seed generator and the loss trackers. It holds because the
    checkpoint restores all of them and batch ``s`` depends only on (seed, s).
    The history is the same too, except each epoch's ``seconds``; for the
    interrupted epoch they count only the time after the resume.
    """
    x, y = synthetic_cells.generate("train", seed=0, counts=(40, 40, 24, 16), image_size=32)
    np.savez(tmp_path / "cells.npz", x=x, y=y)
    script = tmp_path / "run.py"
    script.write_text(RUN)
    env = dict(os.environ, BAGAN_OFFLINE="1", PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="3")
    logs = {}

    def run(name, out, mode, pause_at=0):
        logs[name] = tmp_path / f"{name}.log"
        with logs[name].open("w") as log:  # a file, not a pipe: a full pipe would block the run
            return subprocess.Popen([sys.executable, str(script), str(tmp_path / out),
                                     f"npz:{tmp_path / 'cells.npz'}", mode, str(pause_at)],
                                    cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log)

    straight = run("straight", "straight", "fresh")
    killed = run("killed", "killed", "fresh", pause_at=4)  # step 4 of 9: the first step of epoch 2 is done
    procs = [straight, killed]
    try:
        checkpoint = tmp_path / "killed" / "checkpoints" / "gan.npz"
        deadline = time.monotonic() + 150
        while not (checkpoint.is_file() and checkpoints.read_meta(checkpoint)["global_step"] == 4):
            assert killed.poll() is None, logs["killed"].read_text()[-3000:]
            assert time.monotonic() < deadline, "no checkpoint of step 4 in time"
            time.sleep(0.05)
        killed.send_signal(signal.SIGKILL)
        assert killed.wait(timeout=30) == -signal.SIGKILL
        assert checkpoints.read_meta(checkpoint)["step_in_epoch"] == 1
        resumed = run("resumed", "killed", "resume")
        procs.append(resumed)
        for proc, name in ((straight, "straight"), (resumed, "resumed")):
            assert proc.wait(timeout=240) == 0, logs[name].read_text()[-3000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
    expected, expected_meta = _final_state(tmp_path / "straight")
    got, got_meta = _final_state(tmp_path / "killed")
    assert got_meta["global_step"] == expected_meta["global_step"] == 9
    assert expected.keys() == got.keys() and len(expected) > 40
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
    without_time = [[{k: v for k, v in row.items() if k != "seconds"} for row in meta["history"]]
                    for meta in (expected_meta, got_meta)]
    assert without_time[0] == without_time[1] and len(without_time[0]) == 3
