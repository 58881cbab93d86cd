"""One training run end to end, in process: results and files, resume rules, the divergence guard, progress lines."""

from __future__ import annotations

import json
import shutil

import keras
import numpy as np
import pytest

from bagan_lib.runtime import checkpoints
from bagan_lib.errors import KitError
from bagan_lib.training.run_folder import RunFolder
from bagan_lib.training.config import TrainConfig
from bagan_lib.training.pretrain_stage import pretrain_autoencoder
from bagan_lib.training.run import train_model
from bagan_lib.training.run_data import (
    TrainingData, check_same_data, data_fingerprint, load_training_data, run_identity, steps_per_epoch)
from bagan_lib.training.callbacks import ProgressLog, StepCounter, TrainingDiverged

SMOKE = dict(model="cdragan", dataset="synthetic_cells", profile="smoke", seed=3)  # 2 steps per epoch


@pytest.fixture(scope="module")
def cells():
    config = TrainConfig(**SMOKE)
    return load_training_data(config, config.resolved_profile())


@pytest.fixture(scope="module")
def finished(cells, tmp_path_factory):
    out = tmp_path_factory.mktemp("finished")
    return train_model(TrainConfig(**SMOKE, out_dir=str(out), epochs=2), data=cells, verbose=False)


def _meta(out):
    return checkpoints.read_meta(out / "checkpoints" / "gan.npz")


def test_a_run_returns_and_writes_every_loss_term_checkpoint_and_figure(finished):
    out = finished.out_dir
    history = finished.history
    assert [row["epoch"] for row in history] == [1, 2]
    for row in history:
        assert {"d_loss", "real", "fake", "gp", "g_loss", "seconds"} <= set(row)
        # the critic's total is its terms plus lambda times the penalty (Eq. 12 + Eq. 7), also as epoch means
        assert row["d_loss"] == pytest.approx(row["real"] + row["fake"] + 10 * row["gp"], rel=1e-5)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["history"] == history and set(metrics["terms"]) == {"d_loss", "real", "fake", "gp", "g_loss"}
    assert metrics["timings"]["steps_run"] == metrics["final_step"] == 4 == _meta(out)["global_step"]
    assert metrics["settings"] == {"epochs": 2, "gp_lambda": 10.0, "critic_steps": 1, "learning_rate": 2e-4,
                                   "precision": "float32", "distribute": "none", "augment": None, "gsr": None,
                                   "transition": None}  # the long-tail options, off
    assert metrics["run"]["latent_dim"] == 16 and metrics["versions"]["keras"] == keras.__version__
    for name in ("config.json", "loss_curves.png", "checkpoints/gan.npz", "grids/grid_epoch_001.png",
                 "grids/grid_epoch_002.png", "grids/training.gif"):
        assert (out / name).is_file(), name
    assert not (out / "checkpoints" / "autoencoder.npz").exists()  # cdragan starts from fresh networks
    with np.load(finished.paths["gan"]) as saved:  # the checkpoint holds the returned trainer's final weights
        for i, v in enumerate(finished.trainer.generator.variables):
            np.testing.assert_array_equal(saved[f"generator_{i}"], v.numpy())
    assert finished.sample_grid(rows=2).shape == (3 * 32, 4 * 32, 3)


def test_loss_curves_show_every_term_with_labelled_axes(finished):
    from bagan_lib.figures.training import TERM_LABELS, plot_loss_curves

    fig = plot_loss_curves(finished.history, title="cDRAGAN")
    critic, generator = fig.axes
    assert [line.get_label() for line in critic.get_lines()] == [TERM_LABELS[k] for k in ("d_loss", "real", "fake",
                                                                                          "gp")]
    np.testing.assert_array_equal(generator.get_lines()[0].get_ydata(), finished.series("g_loss"))
    assert all(ax.get_xlabel() == "epoch" and ax.get_ylabel() and ax.get_title() for ax in fig.axes)


def test_a_new_run_refuses_a_folder_that_holds_one(finished):
    before = finished.paths["gan"].read_bytes()
    with pytest.raises(KitError, match=r"already holds a training run.*resume=True.*overwrite=True"):
        train_model(TrainConfig(**SMOKE, out_dir=str(finished.out_dir), epochs=2), verbose=False)
    assert finished.paths["gan"].read_bytes() == before


def test_resume_keeps_the_checkpoint_settings_refuses_other_shapes_and_extends(finished, cells, tmp_path, capsys):
    out = tmp_path / "run"
    shutil.copytree(finished.out_dir, out)
    again = train_model(TrainConfig(**SMOKE, out_dir=str(out), resume=True), data=cells)  # epochs: the checkpoint's
    assert "nothing to train" in capsys.readouterr().out and again.history == finished.history
    for a, b in zip(again.trainer.critic.variables, finished.trainer.critic.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(KitError, match=r"latent_dim 16 -> 8"):
        train_model(TrainConfig(**SMOKE, out_dir=str(out), resume=True, latent_dim=8), data=cells, verbose=False)
    longer = train_model(TrainConfig(**SMOKE, out_dir=str(out), resume=True, epochs=3), data=cells, verbose=False)
    assert longer.history[:2] == finished.history and len(longer.history) == 3 and _meta(out)["global_step"] == 6
    # a smaller budget must not hand back the 3-epoch model as a 1-epoch one, nor touch the folder
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(KitError, match=r"step 6 \(3 epochs done\), more than the 1 epochs asked for.*epochs=3"):
        train_model(TrainConfig(**SMOKE, out_dir=str(out), resume=True, epochs=1), data=cells, verbose=False)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    fresh = train_model(TrainConfig(**SMOKE, out_dir=str(out), overwrite=True, epochs=1), data=cells, verbose=False)
    assert len(fresh.history) == 1 and _meta(out)["global_step"] == 2
    assert sorted(p.name for p in (out / "grids").iterdir()) == ["grid_epoch_001.png", "training.gif"]


def test_a_run_can_start_from_another_runs_autoencoder(cells, tmp_path):
    config = TrainConfig(**{**SMOKE, "model": "bagan_gp_v1"}, out_dir=str(tmp_path / "v1"))
    profile = config.resolved_profile()
    identity = run_identity(config, profile, cells, steps_per_epoch(profile, len(cells.y)))
    v1 = pretrain_autoencoder(config, profile, cells, RunFolder(tmp_path / "v1"), identity, say=lambda *a, **k: None)
    shared = tmp_path / "v1" / "checkpoints" / "autoencoder.npz"
    v2 = train_model(TrainConfig(**{**SMOKE, "model": "bagan_gp_v2"}, out_dir=str(tmp_path / "v2"), epochs=1,
                                 autoencoder_path=str(shared)), data=cells, verbose=False)
    for a, b in zip(v2.autoencoder.encoder.weights, v1.encoder.weights):  # v2's critic is fresh: encoder untouched
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert checkpoints.read_meta(v2.paths["autoencoder"])["copied_from"] == str(shared)  # v2 resumes on its own
    for model, message in (("bagan_gp_v3", r"kind 'unsupervised' -> 'supervised'"), ("cdragan", "no autoencoder")):
        with pytest.raises(KitError, match=message):
            train_model(TrainConfig(**{**SMOKE, "model": model}, out_dir=str(tmp_path / model),
                                    autoencoder_path=str(shared)), data=cells, verbose=False)


class AtStep(keras.callbacks.Callback):
    """Calls ``action(trainer)`` once, before step ``step`` or (``before=False``) after it; steps count from 1."""

    def __init__(self, step, action, before=False):
        super().__init__()
        self.step, self.action, self.before, self.begun = step, action, before, 0

    def on_train_batch_begin(self, batch, logs=None):
        self.begun += 1
        if self.before and self.begun == self.step:
            self.action(self.model)

    def on_train_batch_end(self, batch, logs=None):
        if not self.before and self.begun == self.step:
            self.action(self.model)


def poison_critic(trainer):
    """The critic's first kernel becomes NaN: the next step's critic losses are NaN."""
    kernel = trainer.critic.trainable_variables[0]
    kernel.assign(np.full(kernel.shape, np.nan, dtype="float32"))


def test_a_nan_loss_stops_naming_step_and_term_and_keeps_the_last_good_checkpoint(cells, tmp_path, capsys):
    config = TrainConfig(**SMOKE, out_dir=str(tmp_path), epochs=3, checkpoint_every=1, resume=True)
    with pytest.raises(TrainingDiverged, match=r"step 4 \(epoch 2, step 2 of 2\).*d_loss=nan.*step 3 in .* kept"):
        train_model(config, data=cells, callbacks=[AtStep(3, poison_critic)])
    assert "no GAN checkpoint" in capsys.readouterr().out  # resume without a checkpoint starts at step 0
    assert _meta(tmp_path)["global_step"] == 3
    with np.load(tmp_path / "checkpoints" / "gan.npz") as saved:
        assert all(np.isfinite(saved[k]).all() for k in saved.files if k != "__meta__")


def test_non_finite_weights_after_finite_losses_are_not_checkpointed(cells, tmp_path):
    config = TrainConfig(**SMOKE, out_dir=str(tmp_path), epochs=3, checkpoint_every=1)
    infinite_rate = AtStep(3, lambda trainer: trainer.g_optimizer.learning_rate.assign(np.inf), before=True)
    with pytest.raises(TrainingDiverged, match=r"step 3 \(epoch 2, step 1 of 2\).*made generator:.*step 2 in"):
        train_model(config, data=cells, callbacks=[infinite_rate], verbose=False)  # step 3's losses are finite
    assert _meta(tmp_path)["global_step"] == 2


@pytest.mark.parametrize("change, message", [
    (dict(model="gan"), "Unknown model"), (dict(checkpoint_every=0), "checkpoint_every=0"),
    (dict(learning_rate=-1.0), "learning_rate=-1.0"), (dict(resume=True, overwrite=True), "exclude each other"),
])
def test_config_errors_come_before_any_work(change, message):
    with pytest.raises(KitError, match=message):
        TrainConfig(**{**SMOKE, **change}).check()


def test_a_dataset_that_fails_to_load_leaves_no_folder(tmp_path):
    with pytest.raises(KitError, match="imagenet"):
        train_model(TrainConfig(**{**SMOKE, "dataset": "imagenet"}, out_dir=str(tmp_path / "run")), verbose=False)
    assert not (tmp_path / "run").exists()


def test_progress_lines_are_plain_and_at_most_one_per_interval():
    lines, now = [], [0.0]
    counter = StepCounter(start_step=0, steps_per_epoch=8)
    log = ProgressLog(2, counter, interval=30, label="v3", print_fn=lambda text, flush: lines.append(text),
                      clock=lambda: now[0])
    logs = {"g_loss": 1.5, "real": 0.25, "d_loss": 2.0}
    log.on_epoch_begin(0)
    for batch in range(8):  # 10 s per step: a line after steps 3 and 6; step 8 ends the epoch
        now[0] += 10
        counter.on_train_batch_end(batch)
        log.on_train_batch_end(batch, logs)
    log.on_epoch_end(0, logs)
    assert lines == ["v3 epoch 1/2 step 3/8: d_loss 2 real 0.25 g_loss 1.5 | 30 s",
                     "v3 epoch 1/2 step 6/8: d_loss 2 real 0.25 g_loss 1.5 | 60 s",
                     "v3 epoch 1/2: d_loss 2 real 0.25 g_loss 1.5 | 80.0 s, 10000 ms/step, about 1.3 min left"]


def _files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _with(data, x=None, y=None):
    """The same TrainingData with other images or labels (a fresh fingerprint)."""
    return TrainingData(data.x if x is None else x, data.y if y is None else y, data.class_names, data.split,
                        data.image_size)


def test_the_fingerprint_names_what_changed():
    """Issue 18, defect 2: count, labels (per-class counts or their assignment) and image content, each named."""
    x, y = np.zeros((6, 2, 2, 1), np.float32), np.array([0, 0, 1, 1, 1, 0])
    saved = data_fingerprint(x, y, 2)
    check_same_data(saved, data_fingerprint(x.copy(), y.copy(), 2), "run")
    check_same_data(None, saved, "run")  # a run from before fingerprints: nothing to compare
    for other, message in ((data_fingerprint(x[:5], y[:5], 2), "number of training images changed: 6 -> 5"),
                           (data_fingerprint(x, np.array([0, 1, 1, 1, 1, 0]), 2), r"per class \[3, 3\] -> \[2, 4\]"),
                           (data_fingerprint(x, y[::-1].copy(), 2), "the same images per class, given to other"),
                           (data_fingerprint(x + 1, y, 2), "image content changed")):
        with pytest.raises(KitError, match=message):
            check_same_data(saved, other, "run")


def test_resume_on_other_data_is_refused_naming_what_changed_and_changes_nothing(finished, cells, tmp_path):
    """Issue 18, defect 2: the same settings and count but other pixels (or labels) trained on silently."""
    out = tmp_path / "run"
    shutil.copytree(finished.out_dir, out)
    before = _files(out)
    assert json.loads((out / "config.json").read_text())["data"] == cells.fingerprint() == _meta(out)["data"]
    for other, message in ((_with(cells, x=-cells.x), "image content changed"),
                           (_with(cells, y=np.roll(cells.y, 1)), "labels changed")):
        with pytest.raises(KitError, match=rf"gan.npz was trained on other data: the {message}"):
            train_model(TrainConfig(**SMOKE, out_dir=str(out), resume=True, epochs=3), data=other, verbose=False)
    assert _files(out) == before


def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_and_ends_where_an_undamaged_run_ends(
        finished, cells, tmp_path, capsys):
    """Issue 18, defect 5: flipped bytes in gan.npz gave a traceback after config.json was rewritten; now the
    previous checkpoint (gan.prev.npz) is used, said so, and the resumed run ends with the same weights."""
    out = tmp_path / "run"
    shutil.copytree(finished.out_dir, out)
    gan = out / "checkpoints" / "gan.npz"
    assert _meta(out)["global_step"] == 4 and checkpoints.read_meta(out / "checkpoints" / "gan.prev.npz")[
        "global_step"] == 2
    data = bytearray(gan.read_bytes())
    data[len(data) // 2:len(data) // 2 + 64] = bytes(64)
    gan.write_bytes(bytes(data))
    again = train_model(TrainConfig(**SMOKE, out_dir=str(out), resume=True), data=cells)
    printed = capsys.readouterr().out
    assert "damaged" in printed and "resuming from the previous checkpoint" in printed and "step 2" in printed
    assert _meta(out)["global_step"] == 4 and again.history[:1] == finished.history[:1]
    for a, b in zip(again.trainer.critic.variables, finished.trainer.critic.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # the damaged file was replaced, not kept as the previous one: that is still the good step-2 state
    assert checkpoints.read_meta(out / "checkpoints" / "gan.prev.npz")["global_step"] == 2


def test_no_good_checkpoint_is_one_kit_error_and_the_folder_is_untouched(finished, cells, tmp_path):
    """Issue 18, defect 5: damage in every checkpoint: one KitError, config.json not rewritten."""
    out = tmp_path / "run"
    shutil.copytree(finished.out_dir, out)
    (out / "checkpoints" / "gan.npz").write_bytes(b"")
    (out / "checkpoints" / "gan.prev.npz").write_bytes(b"PK\x03\x04 cut short")
    before = _files(out)
    with pytest.raises(checkpoints.CheckpointDamagedError, match="No usable checkpoint"):
        train_model(TrainConfig(**SMOKE, out_dir=str(out), resume=True), data=cells, verbose=False)
    assert _files(out) == before


def test_resume_may_change_the_penalty_weight(finished, cells, tmp_path, capsys):
    """Issue 18, defect 6: ``--resume --gp-lambda 0`` failed with "12 trackers variables, the model 10"; the README
    lists the penalty weight among the settings a resume may change."""
    out = tmp_path / "run"
    shutil.copytree(finished.out_dir, out)
    longer = train_model(TrainConfig(**SMOKE, out_dir=str(out), resume=True, epochs=3, gp_lambda=0.0), data=cells)
    assert "gp_lambda 10.0 -> 0.0" in capsys.readouterr().out
    assert [("gp" in row) for row in longer.history] == [True, True, False]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["settings"]["gp_lambda"] == 0.0 and _meta(out)["global_step"] == 6
    assert "gp" in metrics["terms"] and (out / "loss_curves.png").is_file()


def test_overwrite_keeps_the_old_run_when_a_late_check_fails(finished, cells, tmp_path):
    """Issue 18, defect 10: ``overwrite`` deleted the old run, then a check made after pre-training failed (BAGAN's
    class Gaussians with one image of a class). Every check now comes before the folder changes."""
    out = tmp_path / "run"
    shutil.copytree(finished.out_dir, out)
    keep = np.flatnonzero(cells.y != 3)
    keep = np.sort(np.concatenate([keep, np.flatnonzero(cells.y == 3)[:1]]))
    one_of_class_3 = TrainingData(cells.x[keep], cells.y[keep], cells.class_names, cells.split, cells.image_size)
    before = _files(out)
    with pytest.raises(KitError, match=r"at least 2 training image\(s\) per class.*trophozoite \(1\)"):
        train_model(TrainConfig(**{**SMOKE, "model": "bagan"}, out_dir=str(out), overwrite=True, epochs=1),
                    data=one_of_class_3, verbose=False)
    assert _files(out) == before
