"""One model trained end to end: data, autoencoder, GAN, checkpoints, figures and a metrics file.

:func:`train_model` is what ``python -m bagan_lib train`` and notebooks 04-06 call::

    result = train_model(TrainConfig(model="bagan_gp_v3", dataset="fashion_mnist", profile="teach",
                                     out_dir="runs/v3"))
    result.history[-1]["g_loss"], result.timings["ms_per_step"], result.sample_grid(rows=6)

The steps (BAGAN-GP paper, Fig. 1):

0. the settings, resolved once (:func:`bagan_lib.training.config.resolve_settings`);
1. the dataset, its imbalance protocol (the paper's for fashion_mnist, mnist and
   cifar10; none for synthetic_cells, already imbalanced like Cells), the
   profile's cap per class, images in [-1, 1] at the profile's size (28 -> 32);
   (:mod:`bagan_lib.training.run_data`);
2. the autoencoder the model starts from, pre-trained for ``ae_epochs`` (its own
   checkpoint: a finished autoencoder is reused on resume, never retrained;
   :mod:`bagan_lib.training.pretrain_stage`);
3. BAGAN only: the class Gaussians of the encoder's latents;
4. the adversarial training, with the callbacks of
   :mod:`bagan_lib.training.callbacks` and the Eq. 16 grid of every epoch;
5. ``metrics.json``, ``config.json`` and the loss curves; the folder layout is in
   :mod:`bagan_lib.training.run_folder`.

**Resume.** ``resume=True`` restores the autoencoder and the GAN state and
continues from the saved global step. Batch ``s`` depends only on (seed, s)
(:func:`bagan_lib.data.batches.step_batches`) and the checkpoint holds every
variable, so on CPU a run killed at any point and resumed ends with the same
weights as an uninterrupted one. An interrupted epoch is finished by a first
``fit`` over its remaining steps; the loss trackers' sums from before the
interruption are restored, so that epoch's means cover all of its steps, as
without the interruption (only its ``seconds`` count the time after the resume).
Settings left at ``None`` on resume (epochs, gp_lambda, critic_steps,
learning_rate) take the checkpoint's values; explicit ones apply from the
resumed step on (e.g. a lower learning rate after a divergence; a penalty weight
of 0 drops the ``gp`` term from the later epochs' history). The critic's
augmentation (``augment``) is fixed for a run: left at ``None`` it is the
checkpoint's, an explicit other one is refused; its state (ADA's ``p``) is in the
checkpoint. So are group spectral regularisation (``gsr``, its weight) and
transitional conditioning (``transition``, the ramp's epochs, resolved once and
turned into steps with the run's steps per epoch; ``alpha_t`` and the steps done
are in the checkpoint, so the ramp continues).

**Safety.** A run holds its folder's lock for its whole life (a second command
on the folder is refused). Every check comes before the folder changes: the
checkpoint is verified in full (a damaged ``gan.npz`` falls back to
``gan.prev.npz``, with a message), the settings and the data's fingerprint must
match the checkpoint's (:func:`bagan_lib.training.run_data.check_same_data`),
and the data must suit the model (:func:`bagan_lib.training.run_data.check_trainable`);
only then does ``overwrite`` delete the old run and ``config.json`` get written.

Runs are reproducible on CPU when :func:`bagan_lib.notebook_setup.start` ran
first (it turns on TensorFlow's op determinism); the command line does that.

**Precision and devices.** ``precision`` (``float32``, ``mixed_float16``,
``mixed_bfloat16``) is the Keras policy the networks are built under;
``distribute`` (``none``, ``mirrored``, ``multiworker``) the strategy whose scope
holds the networks and optimizers, with the profile's batch as the *global*
batch split over the replicas (:func:`bagan_lib.data.batches.step_batches`).
Both are resumable settings (left at ``None``: the checkpoint's): a checkpoint
holds one float32 copy of every variable whatever the policy and the devices,
so a run trained on several devices resumes on one, and the other way round.
Only the chief of a multi-worker cluster writes the run's files.
"""

from __future__ import annotations

import dataclasses
import json
import math
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from bagan_lib.data.batches import step_batches
from bagan_lib.errors import Interrupted, KitError
from bagan_lib.figures.training import TERM_LABELS, plot_loss_curves
from bagan_lib.gan.class_latents import ClassGaussians, encode_class_gaussians
from bagan_lib.models.builders import autoencoder_kind, build_model
from bagan_lib.models.recipes import get_recipe
from bagan_lib.runtime.checkpoints import (
    read_constants, read_meta, restore_state, trainer_state, usable_checkpoint, verify_checkpoint)
from bagan_lib.runtime.devices import check_global_batch, get_strategy, is_chief, precision_policy
from bagan_lib.runtime.folder_lock import folder_lock
from bagan_lib.runtime.outputs import atomic_write_text, save_figure
from bagan_lib.training.callbacks import (
    Checkpointer, DivergenceGuard, HistoryRecorder, ProgressLog, RealShareSchedule, RestoreEpochMeans, StepCounter)
from bagan_lib.training.config import RunSettings, TrainConfig, resolve_settings
from bagan_lib.training.pretrain_stage import pretrain_autoencoder
from bagan_lib.training.run_data import (
    TrainingData, check_same_data, check_trainable, load_training_data, run_identity, steps_per_epoch)
from bagan_lib.training.run_folder import RunFolder, check_same_run
from bagan_lib.gan.sampling import one_per_class, sample_grid
from bagan_lib.training.sample_grid import SampleGrid


@dataclass
class TrainingResult:
    """What :func:`train_model` returns; ``history`` has one dict per epoch (every tracked term, ``seconds``)."""

    config: TrainConfig
    profile: object
    trainer: object
    autoencoder: object    # None for cdragan
    class_latents: object  # BAGAN's ClassGaussians, else None
    data: TrainingData
    history: list
    timings: dict          # total/autoencoder/gan seconds, ms_per_step, epoch_seconds, steps_run
    paths: dict            # config, metrics, loss_curves, checkpoints, gan, autoencoder, grids, gif

    @property
    def out_dir(self) -> Path:
        return Path(self.config.out_dir)

    def series(self, name: str) -> list:
        """One tracked term per epoch (NaN where an epoch lacks it)."""
        return [row.get(name, math.nan) for row in self.history]

    def sample_grid(self, rows: int = 4):
        """The Eq. 16 grid of the trained generator (uint8), with the run's fixed noise seed."""
        return sample_grid(self.trainer, one_per_class(self.data.x, self.data.y, self.data.n_classes),
                           n_classes=self.data.n_classes, latent_dim=self.trainer.latent_dim, rows=rows,
                           seed=self.config.seed)


def _class_latents(config: TrainConfig, autoencoder, data: TrainingData, checkpoint: Path | None):
    """BAGAN's class Gaussians: from the GAN checkpoint on resume, else fitted to the encoder's latents."""
    if get_recipe(config.model).latents != "class_gaussians":
        return None
    if checkpoint is not None:
        saved = read_constants(checkpoint)
        return ClassGaussians(saved["class_means"], saved["class_covariances"], saved["class_counts"])
    return encode_class_gaussians(autoencoder.encoder, data.x, data.y, data.n_classes)


def _optimizers(trainer, learning_rate: float | None) -> dict:
    if learning_rate is None:
        return {}
    settings = {**trainer.optimizer_defaults, "learning_rate": learning_rate}
    return {"d_optimizer": keras.optimizers.Adam(**settings), "g_optimizer": keras.optimizers.Adam(**settings)}


def train_model(config: TrainConfig, *, data: TrainingData | None = None, callbacks=(), verbose: bool = True,
                grid_rows: int = 4) -> TrainingResult:
    """Train ``config.model`` end to end (see the module docstring); returns a :class:`TrainingResult`.

    ``data`` may be passed to reuse images already loaded with
    :func:`load_training_data` and the same config. ``callbacks`` run after the
    kit's own (after the checkpoint of a step is written). ``verbose=False``
    prints nothing; otherwise one line per epoch and a few about the stages.
    Raises :class:`~bagan_lib.training.callbacks.TrainingDiverged` when a loss or
    a weight becomes NaN or infinite (the last good checkpoint stays on disk).

    The networks are built under the run's precision policy and, with its
    optimizers, in the scope of its strategy (:mod:`bagan_lib.runtime.devices`).
    A non-chief worker of a multi-worker run trains in a scratch folder holding a
    copy of the chief's checkpoints, removed at the end, and prints nothing: the
    run's files are the chief's alone.
    """
    folder = RunFolder(Path(config.out_dir))
    checkpoint = usable_checkpoint(folder.gan)[0] if config.resume else None  # (the note: once the lock is held)
    settings = resolve_settings(config, read_meta(checkpoint) if checkpoint is not None else None)
    strategy = get_strategy(settings.distribute)  # first: a multi-worker strategy comes before other TensorFlow work
    chief = is_chief(settings.distribute)
    worker_config = config if chief else _scratch_copy(config, folder)
    try:
        with precision_policy(settings.precision), strategy.scope():
            return _train(worker_config, data=data, callbacks=callbacks, verbose=verbose and chief,
                          grid_rows=grid_rows)
    finally:
        if not chief:
            shutil.rmtree(worker_config.out_dir, ignore_errors=True)


def _scratch_copy(config: TrainConfig, folder: RunFolder) -> TrainConfig:
    """``config`` writing into a new scratch folder that holds a copy of ``folder``'s checkpoints (when resuming)."""
    scratch = Path(tempfile.mkdtemp(prefix="bagan-worker-"))
    if config.resume and folder.checkpoints.is_dir():
        shutil.copytree(folder.checkpoints, RunFolder(scratch).checkpoints)
    return dataclasses.replace(config, out_dir=str(scratch))


def _train(config: TrainConfig, *, data: TrainingData | None, callbacks, verbose: bool,
           grid_rows: int) -> TrainingResult:
    """:func:`train_model` inside its precision policy and strategy scope."""

    try:
        with folder_lock(config.out_dir, f"train --model {config.model} --out {config.out_dir}"):
            return _train_locked(config, data=data, callbacks=callbacks, say=print if verbose else _silent,
                                 grid_rows=grid_rows)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: say what is kept and how to go on
        folder = RunFolder(Path(config.out_dir))
        if folder.gan.is_file():
            raise Interrupted.wrap(exc, f"Training into {folder.root} was interrupted; its last checkpoint "
                                        f"({_step_of(folder.gan)}) is kept.",
                                   "continue it: the same command with --resume (resume=True).") from exc
        raise Interrupted.wrap(exc, f"Training into {folder.root} was interrupted before its first GAN checkpoint.",
                               "run the command again (with --resume it reuses a finished autoencoder).") from exc


def _train_locked(config: TrainConfig, *, data: TrainingData | None, callbacks, say, grid_rows: int):
    """:func:`train_model` holding the run folder's lock: every check first, then the folder changes."""
    start_time = time.perf_counter()
    folder = RunFolder(Path(config.out_dir))
    checkpoint = None
    if config.resume:
        checkpoint, note = usable_checkpoint(folder.gan)  # verified in full; a damaged newest: the previous one
        if note:
            print(f"checkpoint: {note}", flush=True)  # also when not verbose: the run goes back in time
    saved = read_meta(checkpoint) if checkpoint is not None else None
    settings = resolve_settings(config, saved)
    profile = settings.profile
    check_global_batch(profile.batch_size)
    folder.check(resume=config.resume, overwrite=config.overwrite)
    if config.resume and saved is None:
        say(f"resume: nothing to resume from, no GAN checkpoint in {folder.checkpoints}; training starts at step 0"
            + (" (the finished autoencoder is reused)" if folder.autoencoder.is_file() else ""), flush=True)
    data = load_training_data(config, profile) if data is None else data
    steps = steps_per_epoch(profile, len(data.y))
    identity = run_identity(config, profile, data, steps)
    fingerprint = data.fingerprint()
    if saved is not None:
        check_same_run(saved.get("run", {}), identity, checkpoint)
        check_same_data(saved.get("data"), fingerprint, checkpoint)
        check_not_past_the_end(saved, settings.epochs, steps, checkpoint)
    elif config.resume and folder.config.is_file():  # an autoencoder without a GAN checkpoint yet
        check_same_data(folder.read_config().get("data"), fingerprint, folder.config)
    if config.resume and folder.autoencoder.is_file():  # what pre-training will reload, checked before it is used
        check_same_run(verify_checkpoint(folder.autoencoder).get("run", {}), identity, folder.autoencoder)
    check_trainable(config, data)
    folder.prepare(resume=config.resume, overwrite=config.overwrite)  # nothing is written or deleted before here
    _write_json(folder.config, {"config": config.as_dict(), "profile": profile.as_dict(), "run": identity,
                                "settings": settings.recorded(), "data": fingerprint})
    say(f"{config.model} on {config.dataset}: {len(data.y)} images, {data.n_classes} classes, {data.image_size}px; "
        f"{settings.epochs} epochs x {steps} steps of {profile.batch_size}; output in {folder.root}", flush=True)

    ae_start = time.perf_counter()
    autoencoder = pretrain_autoencoder(config, profile, data, folder, identity, say)
    ae_seconds = time.perf_counter() - ae_start
    class_latents = _class_latents(config, autoencoder, data, checkpoint if saved is not None else None)
    trainer = _build_trainer(config, settings, data, autoencoder, class_latents)
    start_step = 0
    if saved is not None:
        start_step = _restore(trainer, checkpoint, config.learning_rate)
        say(f"resumed from {checkpoint} after {_where(start_step, steps)}"
            + "".join(f"; {k} {old} -> {new}" for k, old, new in settings.changed), flush=True)
    recorded = {**settings.recorded(), "gp_lambda": trainer.gp_lambda,  # the learning rate the optimizers hold
                "learning_rate": float(f"{float(np.asarray(trainer.d_optimizer.learning_rate)):.6g}")}  # 2e-4
    end_step = settings.epochs * steps
    meta = {"model": config.model, "run": identity, "data": fingerprint, "settings": recorded}
    # gan.npz becomes the previous checkpoint at the next save only when it is good: not after a fallback from it
    history = _fit_steps(trainer, data, profile, folder, start_step, end_step, steps, seed=config.seed,
                         resumed=saved, meta=meta, checkpoint_every=config.checkpoint_every, grid_rows=grid_rows,
                         callbacks=list(callbacks), say=say, keep_previous=checkpoint in (None, folder.gan))
    gan_seconds = time.perf_counter() - ae_start - ae_seconds
    steps_run = max(0, end_step - start_step)
    timings = {"total_seconds": round(time.perf_counter() - start_time, 2), "autoencoder_seconds": round(ae_seconds, 2),
               "gan_seconds": round(gan_seconds, 2), "steps_run": steps_run, "steps_per_epoch": steps,
               "epochs": settings.epochs, "epoch_seconds": [row["seconds"] for row in history],
               "ms_per_step": round(1000 * gan_seconds / steps_run, 1) if steps_run else None}
    result = TrainingResult(config=config, profile=profile, trainer=trainer, autoencoder=autoencoder,
                            class_latents=class_latents, data=data, history=history, timings=timings,
                            paths=folder.paths())
    _write_outputs(result, folder, recorded, identity, final_step=max(start_step, end_step))
    return result


def load_run(out_dir, *, data: TrainingData | None = None, verbose: bool = False) -> TrainingResult:
    """A run read back from its folder to be evaluated: nothing is trained and nothing is written.

    The networks are rebuilt from ``config.json`` and restored from
    ``checkpoints/`` (the autoencoder, then the full GAN state); the data are
    loaded as for training (``data`` may pass them in when already loaded with
    the same config), and checked against the checkpoint. ``timings`` are those
    of ``metrics.json`` plus ``global_step`` and ``finished`` (the checkpoint
    reached the run's last step). A folder without a run: a KitError.
    """
    folder = RunFolder(Path(out_dir))
    if not folder.config.is_file() or not folder.existing_run():
        raise KitError(f"{folder.root} holds no training run (it needs config.json and checkpoints/gan.npz).",
                       "pass the --out folder of a finished `python -m bagan_lib train` run.")
    checkpoint, note = usable_checkpoint(folder.gan)
    if checkpoint is None:
        raise KitError(f"{folder.root} holds no GAN checkpoint (checkpoints/gan.npz).",
                       "pass the --out folder of a `python -m bagan_lib train` run that trained at least one epoch.")
    if note:
        print(f"checkpoint: {note}", flush=True)
    saved = folder.read_config()["config"]
    # the run's own copy of its autoencoder, never the original path (which loading would copy again)
    config = TrainConfig(**{**saved, "out_dir": str(folder.root), "resume": True, "overwrite": False,
                            "autoencoder_path": None})
    meta = read_meta(checkpoint)
    settings = resolve_settings(config, meta)
    profile = settings.profile
    data = load_training_data(config, profile) if data is None else data
    identity = run_identity(config, profile, data, steps_per_epoch(profile, len(data.y)))
    fix = "load the run with the data it was trained on (the same dataset files and protocol)."
    check_same_run(meta.get("run", {}), identity, checkpoint, fix=fix)
    check_same_data(meta.get("data"), data.fingerprint(), checkpoint, fix=fix)
    if autoencoder_kind(config.model) and not folder.autoencoder.is_file():
        raise KitError(f"{folder.root} has a GAN checkpoint but no checkpoints/autoencoder.npz.",
                       "evaluate a complete run folder (copy checkpoints/ whole).")
    say = print if verbose else _silent
    with precision_policy(settings.precision):  # the run's networks; one device whatever the run trained on
        autoencoder = pretrain_autoencoder(config, profile, data, folder, identity, say)  # resume: reloads it
        class_latents = _class_latents(config, autoencoder, data, checkpoint)
        trainer = _build_trainer(config, settings, data, autoencoder, class_latents)
    step = _restore(trainer, checkpoint, None)
    try:  # only for the timings shown beside the scores; a run interrupted before its end has none
        metrics = json.loads(folder.metrics.read_text()) if folder.metrics.is_file() else {}
    except (OSError, ValueError):
        metrics = {}
    end_step = settings.epochs * identity["steps_per_epoch"]
    timings = {**metrics.get("timings", {}), "global_step": step, "finished": step >= end_step}
    return TrainingResult(config=config, profile=profile, trainer=trainer, autoencoder=autoencoder,
                          class_latents=class_latents, data=data, history=meta.get("history", []), timings=timings,
                          paths=folder.paths())


def _build_trainer(config: TrainConfig, settings: RunSettings, data: TrainingData, autoencoder, class_latents):
    """The model's compiled trainer; its fresh weights depend only on the seed."""
    keras.utils.set_random_seed(config.seed + 2)
    trainer = build_model(config.model, image_size=data.image_size, channels=data.channels,
                          n_classes=data.n_classes, latent_dim=settings.profile.latent_dim,
                          width=settings.profile.width, autoencoder=autoencoder, class_latents=class_latents,
                          critic_steps=settings.critic_steps, gp_lambda=settings.gp_lambda,
                          jit_compile=config.jit_compile, seed=config.seed, augment=settings.augment,
                          gsr_lambda=settings.gsr, class_counts=np.bincount(data.y, minlength=data.n_classes),
                          transition=settings.transition_steps(steps_per_epoch(settings.profile, len(data.y))))
    trainer.compile(**_optimizers(trainer, settings.learning_rate))
    return trainer


def _restore(trainer, path: Path, learning_rate: float | None) -> int:
    """Load the GAN checkpoint into ``trainer``; an explicit ``learning_rate`` replaces the saved one.

    The loss trackers are matched by name: their set follows settings a resume
    may change (``gp_lambda`` 0 has no ``gp`` term); a term new to the resumed
    run starts its epoch's sum at zero. A float16 run's loss scale is restored
    when both the file and the trainer have one.
    """
    meta = restore_state(path, trainer_state(trainer), by_name=("trackers",), optional=("loss_scale",))
    if learning_rate is not None:
        for optimizer in (trainer.d_optimizer, trainer.g_optimizer):
            optimizer.learning_rate.assign(learning_rate)
    return int(meta["global_step"])


def _fit_steps(trainer, data: TrainingData, profile, folder: RunFolder, start_step: int, end_step: int, steps: int,
               *, seed: int, resumed: dict | None, meta: dict, checkpoint_every: int | None, grid_rows: int,
               callbacks: list, say, keep_previous: bool = True) -> list:
    """``fit`` over the global steps ``start_step .. end_step - 1`` with the kit's callbacks; returns the history.

    At most two fits: the rest of an interrupted epoch (its loss sums restored),
    then whole epochs, so the epoch numbers in logs and history stay right.
    """

    epochs = end_step // steps
    counter = StepCounter(start_step, steps)
    guard = DivergenceGuard(counter, folder.gan, last_good=start_step if resumed is not None else None)
    history = HistoryRecorder(resumed["history"] if resumed is not None else None)
    gaussians = getattr(trainer.latent_sampler, "gaussians", None)
    constants = None if gaussians is None else {"class_means": gaussians.means,
                                                "class_covariances": gaussians.covariances,
                                                "class_counts": gaussians.counts}
    own = ([RealShareSchedule()] if getattr(trainer, "real_share_schedule", None) is not None else []) + [
           counter, guard, history,
           SampleGrid(folder.grids, one_per_class(data.x, data.y, data.n_classes), n_classes=data.n_classes,
                      latent_dim=trainer.latent_dim, rows=grid_rows, seed=seed),
           Checkpointer(folder.gan, counter, history, guard, every=checkpoint_every, meta=meta, constants=constants,
                        keep_previous=keep_previous),
           ProgressLog(epochs, counter, label=meta["model"], print_fn=say)]
    step = start_step
    while step < end_step:
        epoch, done = divmod(step, steps)
        last = epoch + 1 if done else epochs
        batches = step_batches(data.x, data.y, batch_size=profile.batch_size, steps_per_epoch=steps, seed=seed,
                               start_step=step, end_step=last * steps)
        trainer.fit(batches, initial_epoch=epoch, epochs=last, steps_per_epoch=steps - done, verbose=0,
                    shuffle=False, callbacks=([RestoreEpochMeans(trainer)] if done else []) + own + callbacks)
        step = last * steps
    if start_step >= end_step:
        say(f"nothing to train: the checkpoint is at {_where(start_step, steps)}, the run has {epochs} epochs",
            flush=True)
    return history.epochs


def check_not_past_the_end(saved: dict, epochs: int, steps: int, checkpoint: Path) -> None:
    """Refuse to resume a checkpoint that has trained longer than ``epochs``.

    Resuming it would hand back the longer-trained model as if it had trained
    ``epochs`` (a notebook rerun with a smaller budget into the same folder did
    exactly that, silently). Called before anything in the folder is written.
    """
    done = int(saved.get("global_step", 0))
    if done > epochs * steps:
        raise KitError(f"The checkpoint {checkpoint} has trained {_where(done, steps)}, more than the {epochs} "
                       f"epochs asked for; resuming it would return the longer-trained model.",
                       f"pass epochs={-(-done // steps)} or more to continue that run, or give a fresh out_dir "
                       f"(or overwrite=True) to train {epochs} epochs.")


def _step_of(checkpoint: Path) -> str:
    try:
        return f"step {read_meta(checkpoint).get('global_step', '?')}"
    except KitError:
        return "damaged"


def _where(step: int, steps: int) -> str:
    epoch, done = divmod(step, steps)
    return f"step {step} ({epoch} epochs{f' and {done} of {steps} steps' if done else ''} done)"


def _write_json(path: Path, payload: dict) -> None:
    atomic_write_text(path, json.dumps(payload, indent=2, default=str))


def _write_outputs(result: TrainingResult, folder: RunFolder, settings: dict, identity: dict, final_step: int):
    """metrics.json and the loss-curves figure."""
    terms = [k for k in TERM_LABELS if any(k in row for row in result.history)]  # a resume may add or drop one
    _write_json(folder.metrics, {
        "model": result.config.model, "dataset": result.config.dataset, "seed": result.config.seed,
        "terms": {k: TERM_LABELS[k] for k in terms}, "history": result.history, "timings": result.timings,
        "final_step": final_step, "settings": settings, "run": identity,
        "train_counts": dict(zip(result.data.class_names, result.data.counts().tolist())),
        "config": result.config.as_dict(), "profile": result.profile.as_dict(),
        "paths": {k: str(v) for k, v in result.paths.items()},
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
                     "numpy": np.__version__},
    })
    if result.history:
        fig = plot_loss_curves(result.history, title=f"{result.config.model} on {result.config.dataset}: "
                                                     "loss terms per epoch")
        save_figure(fig, folder.root, folder.loss_curves.stem)
        plt.close(fig)


def _silent(*args, **kwargs):
    """``print`` that prints nothing (``verbose=False``)."""
