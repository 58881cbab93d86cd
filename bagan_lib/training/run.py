"""One model trained end to end: data, autoencoder, GAN, checkpoints, figures and a metrics file.

:func:`train_model` is what ``python -m bagan_lib train`` and notebooks 04-06 call::

    result = train_model(TrainConfig(model="bagan_gp_v3", dataset="fashion_mnist", profile="teach",
                                     out_dir="runs/v3"))
    result.history[-1]["g_loss"], result.timings["ms_per_step"], result.sample_grid(rows=6)

The steps (BAGAN-GP paper, Fig. 1):

1. the dataset, its imbalance protocol (the paper's for fashion_mnist, mnist and
   cifar10; none for synthetic_cells, already imbalanced like Cells), the
   profile's cap per class, images in [-1, 1] at the profile's size (28 -> 32);
2. the autoencoder the model starts from, pre-trained for ``ae_epochs`` (its own
   checkpoint: a finished autoencoder is reused on resume, never retrained);
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
resumed step on (e.g. a lower learning rate after a divergence).

Runs are reproducible on CPU when :func:`bagan_lib.notebook_setup.start` ran
first (it turns on TensorFlow's op determinism); the command line does that.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bagan_lib.errors import KitError
from bagan_lib.training.run_folder import RunFolder, check_same_run

DEFAULT_PROTOCOLS = {"fashion_mnist": "bagan_gp_paper", "mnist": "bagan_gp_paper", "cifar10": "bagan_gp_paper"}
RESUMABLE = ("epochs", "gp_lambda", "critic_steps", "learning_rate")  # may change when a run is resumed
AE_KEYS = ("image_size", "channels", "n_classes", "latent_dim", "width")  # what an autoencoder must fit


@dataclass
class TrainConfig:
    """Everything a run depends on. ``None`` fields take the profile's (or the model's) value."""

    model: str = "bagan_gp_v3"
    dataset: str = "synthetic_cells"
    profile: str | None = None           # None: $BAGAN_PROFILE, else "teach"
    out_dir: str = "runs/train"
    seed: int = 42
    protocol: str | None = None          # None: the paper's protocol for the dataset (fashion_mnist: table B)
    protocol_options: dict = field(default_factory=dict)   # e.g. {"rate": 10} for capgan
    epochs: int | None = None
    ae_epochs: int | None = None
    gp_lambda: float | None = None       # None: 10 for BAGAN-GP and cDRAGAN, 0 for BAGAN
    learning_rate: float | None = None   # None: the model's Adam (2e-4; BAGAN 5e-5)
    latent_dim: int | None = None
    critic_steps: int | None = None      # None: the profile's for BAGAN-GP and cDRAGAN, 1 for BAGAN
    image_size: int | None = None
    width: float | None = None
    batch_size: int | None = None
    max_per_class: int | None = None
    steps_per_epoch: int | None = None   # the profile's is a cap: at most one pass over the data
    checkpoint_every: int | None = None  # steps; None: at epoch ends only
    jit_compile: bool = False
    data_dir: str | None = None
    autoencoder_path: str | None = None  # start from this saved autoencoder (another run's) instead of training one
    pretrain: str | None = None          # capgan: none, ros, two_phase or ensemble (None: ros, the paper's)
    resume: bool = False
    overwrite: bool = False              # delete a run already in out_dir and start again

    def resolved_profile(self):
        """The profile with this config's overrides; raises KitError on a bad value."""
        from bagan_lib.profiles import get_profile

        return get_profile(self.profile, epochs=self.epochs, ae_epochs=self.ae_epochs, latent_dim=self.latent_dim,
                           critic_steps=self.critic_steps, image_size=self.image_size, width=self.width,
                           batch_size=self.batch_size, max_per_class=self.max_per_class,
                           steps_per_epoch=self.steps_per_epoch)

    def check(self) -> None:
        """Fail early, before any data is loaded, on a setting no run could use."""
        from bagan_lib.models.recipes import get_recipe

        recipe = get_recipe(self.model)
        if self.pretrain is not None:
            from bagan_lib.models.pretraining import check_strategy

            check_strategy(self.pretrain)
            if recipe.autoencoder != "cvae":
                raise KitError(f"pretrain={self.pretrain!r}: {self.model} has no pre-training strategy (only "
                               "CAPGAN's CVAE has).", "leave pretrain=None (no --pretrain), or choose model='capgan'.")
        if self.resume and self.overwrite:
            raise KitError("resume and overwrite exclude each other.",
                           "pass resume=True (--resume) to continue the run in out_dir, or overwrite=True "
                           "(--overwrite) to delete it and start again.")
        for name in ("checkpoint_every", "steps_per_epoch", "max_per_class"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise KitError(f"{name}={value!r} must be a positive whole number.", f"pass e.g. {name}=100.")
        if self.learning_rate is not None and not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise KitError(f"learning_rate={self.learning_rate!r} must be a finite number > 0.",
                           "pass e.g. learning_rate=1e-4.")
        if self.gp_lambda is not None and not (math.isfinite(self.gp_lambda) and self.gp_lambda >= 0):
            raise KitError(f"gp_lambda={self.gp_lambda!r} must be a finite number >= 0.", "pass e.g. gp_lambda=10.")

    def pretrain_strategy(self) -> str | None:
        """The pre-training strategy this run uses: the explicit one, else the model's (CAPGAN: ros)."""
        from bagan_lib.models.recipes import get_recipe

        return self.pretrain or get_recipe(self.model).pretrain

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class TrainingData:
    """The training images of a run, scaled to [-1, 1], with what they came from."""

    x: np.ndarray
    y: np.ndarray
    class_names: tuple
    split: object          # the ProtocolSplit (its val/test parts are for evaluation)
    image_size: int

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def channels(self) -> int:
        return int(self.x.shape[-1])

    def counts(self) -> np.ndarray:
        return np.bincount(self.y, minlength=self.n_classes)


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
        from bagan_lib.training.sample_grid import one_per_class, sample_grid

        return sample_grid(self.trainer, one_per_class(self.data.x, self.data.y, self.data.n_classes),
                           n_classes=self.data.n_classes, latent_dim=self.trainer.latent_dim, rows=rows,
                           seed=self.config.seed)


def load_training_data(config: TrainConfig, profile) -> TrainingData:
    """Dataset -> imbalance protocol -> per-class cap of the profile -> images in [-1, 1] at the profile's size."""
    from bagan_lib.data import load_dataset
    from bagan_lib.data.preprocess import prepare_images
    from bagan_lib.data.imbalance import apply_protocol, profile_caps
    from bagan_lib.data.batches import cap_per_class

    dataset = load_dataset(config.dataset, data_dir=config.data_dir)
    protocol = config.protocol or DEFAULT_PROTOCOLS.get(dataset.name, "none")
    split = apply_protocol(dataset, protocol, seed=config.seed, **config.protocol_options)
    keep = cap_per_class(split.y_train, profile_caps(split, profile.max_per_class), seed=config.seed)
    size = 32 if profile.image_size == 28 else profile.image_size  # the networks take 32 for 28x28 data
    x = prepare_images(split.x_train[keep], size)
    return TrainingData(x=x, y=np.asarray(split.y_train[keep], dtype=np.int32),
                        class_names=tuple(split.class_names), split=split, image_size=size)


def steps_per_epoch(profile, n_images: int) -> int:
    """One pass over the data in whole batches, or the profile's ``steps_per_epoch`` if smaller."""
    steps = n_images // profile.batch_size
    if steps < 1:
        raise KitError(f"{n_images} training images make no batch of {profile.batch_size}.",
                       "use a smaller batch_size or a protocol that keeps more images.")
    return min(steps, profile.steps_per_epoch or steps)


def run_identity(config: TrainConfig, profile, data: TrainingData, steps: int) -> dict:
    """The settings that fix the data, the batches and the shapes: a resumed run must have the same."""
    return {"model": config.model, "dataset": config.dataset, "protocol": data.split.protocol,
            **({"pretrain": config.pretrain_strategy()} if config.pretrain_strategy() else {}),
            "protocol_options": config.protocol_options, "seed": config.seed, "n_train": int(len(data.y)),
            "image_size": data.image_size, "channels": data.channels, "n_classes": data.n_classes,
            "latent_dim": profile.latent_dim, "width": profile.width, "batch_size": profile.batch_size,
            "steps_per_epoch": steps, "ae_epochs": profile.ae_epochs}


def pretrain_autoencoder(config: TrainConfig, profile, data: TrainingData, folder: RunFolder, identity: dict,
                         say=print):
    """Step 1 of BAGAN, BAGAN-GP and CAPGAN: train the autoencoder (CAPGAN: the CVAE, with its pre-training
    strategy) the model starts from, or reload a finished one.

    It is reloaded from ``config.autoencoder_path`` when given (checked to fit;
    a copy goes into the run's folder, so the run resumes without it), and on
    resume from the run's own ``checkpoints/autoencoder.npz``. Returns ``None``
    for a model without one (cdragan).
    """
    import keras

    from bagan_lib.runtime.checkpoints import model_state, read_meta, restore_state, save_state
    from bagan_lib.data.batches import step_batches
    from bagan_lib.models.builders import autoencoder_kind, build_pretraining_network, default_reconstruction

    kind = autoencoder_kind(config.model)
    if kind is None:
        if config.autoencoder_path:
            raise KitError(f"{config.model} starts from fresh networks and uses no autoencoder.",
                           "leave autoencoder_path=None, or choose bagan or bagan_gp_v1/v2/v3.")
        return None
    fits = {"kind": kind, "reconstruction": default_reconstruction(config.model),
            **{k: identity[k] for k in AE_KEYS}}
    if kind == "cvae":
        fits["pretrain"] = config.pretrain_strategy()

    def build():
        return build_pretraining_network(config.model, image_size=data.image_size, channels=data.channels,
                                         n_classes=data.n_classes, latent_dim=profile.latent_dim,
                                         width=profile.width, seed=config.seed)

    keras.utils.set_random_seed(config.seed)
    ae = build()
    source = Path(config.autoencoder_path) if config.autoencoder_path else None
    if source is None and config.resume and folder.autoencoder.is_file():
        source = folder.autoencoder
    if source is not None:
        meta = read_meta(source)
        if source == folder.autoencoder:  # resuming this run
            check_same_run(meta.get("run", {}), identity, source)
        check_same_run(meta.get("autoencoder", {}), fits, source,
                       fix=f"pass the autoencoder of a {kind} {fits['reconstruction']} model with the same image "
                       "size, latent size, width (and pre-training strategy), or leave autoencoder_path=None to "
                       "train one.")
        restore_state(source, model_state(ae))
        losses = meta.get("reconstruction") or [math.nan]
        say(f"autoencoder: reloaded from {source} (final reconstruction loss {losses[-1]:.4f})", flush=True)
        if source != folder.autoencoder:
            save_state(folder.autoencoder, model_state(ae), {**meta, "run": identity, "copied_from": str(source)})
        return ae
    if kind == "cvae":
        from bagan_lib.models.pretraining import pretrain_cvae

        ae, report = pretrain_cvae(build, data.x, data.y, n_classes=data.n_classes, strategy=fits["pretrain"],
                                   epochs=profile.ae_epochs, batch_size=profile.batch_size, seed=config.seed + 1,
                                   steps_cap=profile.steps_per_epoch, say=say)
        losses = report.losses
        say(f"CVAE ({fits['pretrain']} pre-training, {ae.reconstruction}): {report.seconds:.0f} s, objective "
            f"{losses[0]:.2f} -> {losses[-1]:.2f}", flush=True)
        save_state(folder.autoencoder, model_state(ae), {"autoencoder": fits, "run": identity,
                                                         "reconstruction": losses, "pretraining": report.as_dict()})
        return ae
    steps = identity["steps_per_epoch"]
    batches = step_batches(data.x, data.y, batch_size=profile.batch_size, steps_per_epoch=steps,
                           seed=config.seed + 1, start_step=0, end_step=steps * profile.ae_epochs)
    start = time.perf_counter()
    losses = ae.fit(batches, epochs=profile.ae_epochs, steps_per_epoch=steps, verbose=0,
                    shuffle=False).history["reconstruction"]
    say(f"autoencoder ({kind}, {fits['reconstruction']}): {profile.ae_epochs} epochs in "
        f"{time.perf_counter() - start:.0f} s, reconstruction loss {losses[0]:.4f} -> {losses[-1]:.4f}", flush=True)
    save_state(folder.autoencoder, model_state(ae), {"autoencoder": fits, "run": identity, "reconstruction": losses})
    return ae


def train_autoencoder(config: TrainConfig, *, data: TrainingData | None = None, verbose: bool = True):
    """Only step 1 of ``config.model``: its autoencoder, saved in ``config.out_dir``/checkpoints.

    With ``resume=True`` a finished one in that folder is reloaded instead of
    trained again (notebook 05 compares the two kinds of autoencoder this way).
    """
    profile = config.resolved_profile()
    data = data or load_training_data(config, profile)
    folder = RunFolder(config.out_dir)
    folder.prepare(resume=config.resume, overwrite=config.overwrite)
    identity = run_identity(config, profile, data, steps_per_epoch(profile, len(data.y)))
    return pretrain_autoencoder(config, profile, data, folder, identity, print if verbose else _quiet)


def _settings(config: TrainConfig, profile, saved: dict | None) -> tuple[dict, dict]:
    """Epochs, gp_lambda, critic_steps, learning_rate: explicit, else the checkpoint's, else the defaults.

    Returns ``(settings, changed)``; ``changed`` maps a setting given explicitly
    on resume to ``(checkpoint's value, new value)`` where they differ.
    """
    from bagan_lib.models.recipes import get_recipe

    previous = (saved or {}).get("settings", {})
    settings = {name: getattr(config, name) if getattr(config, name) is not None else previous.get(name)
                for name in RESUMABLE}
    if settings["epochs"] is None:
        settings["epochs"] = profile.epochs_for(config.dataset)
    if settings["critic_steps"] is None and get_recipe(config.model).critic_steps is None:  # BAGAN, AC-GAN: 1
        settings["critic_steps"] = profile.critic_steps
    changed = {name: (previous[name], settings[name]) for name in RESUMABLE
               if getattr(config, name) is not None and name in previous and previous[name] != settings[name]}
    return settings, changed


def _class_latents(config: TrainConfig, autoencoder, data: TrainingData, checkpoint: Path | None):
    """BAGAN's class Gaussians: from the GAN checkpoint on resume, else fitted to the encoder's latents."""
    from bagan_lib.runtime.checkpoints import read_constants
    from bagan_lib.gan.class_latents import ClassGaussians, encode_class_gaussians

    if config.model != "bagan":
        return None
    if checkpoint is not None:
        saved = read_constants(checkpoint)
        return ClassGaussians(saved["class_means"], saved["class_covariances"], saved["class_counts"])
    return encode_class_gaussians(autoencoder.encoder, data.x, data.y, data.n_classes)


def _optimizers(trainer, learning_rate: float | None) -> dict:
    import keras

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
    """
    from bagan_lib.runtime.checkpoints import read_meta

    say = print if verbose else _quiet
    start_time = time.perf_counter()
    profile = config.resolved_profile()
    config.check()
    folder = RunFolder(Path(config.out_dir))
    folder.check(resume=config.resume, overwrite=config.overwrite)
    saved = read_meta(folder.gan) if config.resume and folder.gan.is_file() else None
    if config.resume and saved is None:
        say(f"resume: no GAN checkpoint in {folder.checkpoints}; starting at step 0", flush=True)
    settings, changed = _settings(config, profile, saved)
    data = load_training_data(config, profile) if data is None else data
    steps = steps_per_epoch(profile, len(data.y))
    identity = run_identity(config, profile, data, steps)
    if saved is not None:
        check_same_run(saved.get("run", {}), identity, folder.gan)
        check_not_past_the_end(saved, settings["epochs"], steps, folder.gan)
    folder.prepare(resume=config.resume, overwrite=config.overwrite)  # nothing is written or deleted before here
    _write_json(folder.config, {"config": config.as_dict(), "profile": profile.as_dict(), "run": identity,
                                "settings": settings})
    say(f"{config.model} on {config.dataset}: {len(data.y)} images, {data.n_classes} classes, {data.image_size}px; "
        f"{settings['epochs']} epochs x {steps} steps of {profile.batch_size}; output in {folder.root}", flush=True)

    ae_start = time.perf_counter()
    autoencoder = pretrain_autoencoder(config, profile, data, folder, identity, say)
    ae_seconds = time.perf_counter() - ae_start
    class_latents = _class_latents(config, autoencoder, data, folder.gan if saved is not None else None)
    trainer = _build_trainer(config, profile, data, autoencoder, class_latents, settings)
    start_step = 0
    if saved is not None:
        start_step = _restore(trainer, folder.gan, config.learning_rate)
        say(f"resumed from {folder.gan} after {_where(start_step, steps)}"
            + "".join(f"; {k} {old} -> {new}" for k, (old, new) in changed.items()), flush=True)
    settings.update(gp_lambda=trainer.gp_lambda, critic_steps=trainer.critic_steps,
                    learning_rate=float(f"{float(np.asarray(trainer.d_optimizer.learning_rate)):.6g}"))  # 2e-4
    end_step = settings["epochs"] * steps
    meta = {"model": config.model, "run": identity, "settings": settings}
    history = _fit_steps(trainer, data, profile, folder, start_step, end_step, steps, seed=config.seed,
                         resumed=saved, meta=meta, checkpoint_every=config.checkpoint_every, grid_rows=grid_rows,
                         callbacks=list(callbacks), say=say)
    gan_seconds = time.perf_counter() - ae_start - ae_seconds
    steps_run = max(0, end_step - start_step)
    timings = {"total_seconds": round(time.perf_counter() - start_time, 2), "autoencoder_seconds": round(ae_seconds, 2),
               "gan_seconds": round(gan_seconds, 2), "steps_run": steps_run, "steps_per_epoch": steps,
               "epochs": settings["epochs"], "epoch_seconds": [row["seconds"] for row in history],
               "ms_per_step": round(1000 * gan_seconds / steps_run, 1) if steps_run else None}
    result = TrainingResult(config=config, profile=profile, trainer=trainer, autoencoder=autoencoder,
                            class_latents=class_latents, data=data, history=history, timings=timings,
                            paths=folder.paths())
    _write_outputs(result, folder, settings, identity, final_step=max(start_step, end_step))
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
    from bagan_lib.runtime.checkpoints import read_meta
    from bagan_lib.models.builders import autoencoder_kind

    folder = RunFolder(Path(out_dir))
    if not folder.config.is_file() or not folder.gan.is_file():
        raise KitError(f"{folder.root} holds no training run (it needs config.json and checkpoints/gan.npz).",
                       "pass the --out folder of a finished `python -m bagan_lib train` run.")
    saved = json.loads(folder.config.read_text())["config"]
    # the run's own copy of its autoencoder, never the original path (which loading would copy again)
    config = TrainConfig(**{**saved, "out_dir": str(folder.root), "resume": True, "overwrite": False,
                            "autoencoder_path": None})
    profile = config.resolved_profile()
    meta = read_meta(folder.gan)
    data = load_training_data(config, profile) if data is None else data
    identity = run_identity(config, profile, data, steps_per_epoch(profile, len(data.y)))
    check_same_run(meta.get("run", {}), identity, folder.gan,
                   fix="load the run with the data it was trained on (the same dataset files and protocol).")
    if autoencoder_kind(config.model) and not folder.autoencoder.is_file():
        raise KitError(f"{folder.root} has a GAN checkpoint but no checkpoints/autoencoder.npz.",
                       "evaluate a complete run folder (copy checkpoints/ whole).")
    say = print if verbose else _quiet
    autoencoder = pretrain_autoencoder(config, profile, data, folder, identity, say)  # resume: reloads it
    class_latents = _class_latents(config, autoencoder, data, folder.gan)
    trainer = _build_trainer(config, profile, data, autoencoder, class_latents, meta["settings"])
    step = _restore(trainer, folder.gan, None)
    metrics = json.loads(folder.metrics.read_text()) if folder.metrics.is_file() else {}
    end_step = meta["settings"]["epochs"] * identity["steps_per_epoch"]
    timings = {**metrics.get("timings", {}), "global_step": step, "finished": step >= end_step}
    return TrainingResult(config=config, profile=profile, trainer=trainer, autoencoder=autoencoder,
                          class_latents=class_latents, data=data, history=meta.get("history", []), timings=timings,
                          paths=folder.paths())


def _build_trainer(config: TrainConfig, profile, data: TrainingData, autoencoder, class_latents, settings: dict):
    """The model's compiled trainer; its fresh weights depend only on the seed."""
    import keras

    from bagan_lib.models.builders import build_model

    keras.utils.set_random_seed(config.seed + 2)
    trainer = build_model(config.model, image_size=data.image_size, channels=data.channels,
                          n_classes=data.n_classes, latent_dim=profile.latent_dim, width=profile.width,
                          autoencoder=autoencoder, class_latents=class_latents,
                          critic_steps=settings["critic_steps"], gp_lambda=settings["gp_lambda"],
                          jit_compile=config.jit_compile, seed=config.seed)
    trainer.compile(**_optimizers(trainer, settings["learning_rate"]))
    return trainer


def _restore(trainer, path: Path, learning_rate: float | None) -> int:
    """Load the GAN checkpoint into ``trainer``; an explicit ``learning_rate`` replaces the saved one."""
    from bagan_lib.runtime.checkpoints import restore_state, trainer_state

    meta = restore_state(path, trainer_state(trainer))
    if learning_rate is not None:
        for optimizer in (trainer.d_optimizer, trainer.g_optimizer):
            optimizer.learning_rate.assign(learning_rate)
    return int(meta["global_step"])


def _fit_steps(trainer, data: TrainingData, profile, folder: RunFolder, start_step: int, end_step: int, steps: int,
               *, seed: int, resumed: dict | None, meta: dict, checkpoint_every: int | None, grid_rows: int,
               callbacks: list, say) -> list:
    """``fit`` over the global steps ``start_step .. end_step - 1`` with the kit's callbacks; returns the history.

    At most two fits: the rest of an interrupted epoch (its loss sums restored),
    then whole epochs, so the epoch numbers in logs and history stay right.
    """
    from bagan_lib.data.batches import step_batches
    from bagan_lib.training.sample_grid import SampleGrid, one_per_class
    from bagan_lib.training.callbacks import (
        Checkpointer, DivergenceGuard, HistoryRecorder, ProgressLog, RealShareSchedule, RestoreEpochMeans,
        StepCounter)

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
           Checkpointer(folder.gan, counter, history, guard, every=checkpoint_every, meta=meta, constants=constants),
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


def _where(step: int, steps: int) -> str:
    epoch, done = divmod(step, steps)
    return f"step {step} ({epoch} epochs{f' and {done} of {steps} steps' if done else ''} done)"


def _quiet(*args, **kwargs):
    pass


def _write_json(path: Path, payload: dict) -> None:
    from bagan_lib.runtime.outputs import atomic_write_text

    atomic_write_text(path, json.dumps(payload, indent=2, default=str))


def _write_outputs(result: TrainingResult, folder: RunFolder, settings: dict, identity: dict, final_step: int):
    """metrics.json and the loss-curves figure."""
    import platform

    import keras
    import matplotlib.pyplot as plt
    import tensorflow as tf

    from bagan_lib.runtime.outputs import save_figure
    from bagan_lib.figures.training import TERM_LABELS, plot_loss_curves

    terms = [k for k in TERM_LABELS if result.history and k in result.history[0]]
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


def critic_report(result: TrainingResult, label: str, *, n: int = 256, seed: int = 0) -> dict:
    """How sure the trained critic is that generated images are fake, with the last epoch's losses.

    ``P(fake)`` is the softmax probability of the "fake" class for BAGAN's (n+1)-class
    critic, and ``1 - sigmoid(logit)`` for the conditional critic of cDRAGAN and BAGAN-GP.
    """
    import keras
    from keras import ops

    trainer = result.trainer
    labels = (np.arange(n) % result.data.n_classes).astype("int32")
    fakes = trainer.images_from_noise(keras.random.normal((n, trainer.latent_dim), seed=seed), labels)
    scores = trainer.score(fakes, ops.convert_to_tensor(labels), training=False)
    if trainer.objective.name == "acgan":  # the source logit is the first output
        p_fake = 1.0 - ops.sigmoid(scores[:, 0])
    elif trainer.labelled_critic:
        p_fake = 1.0 - ops.sigmoid(ops.reshape(scores, (-1,)))
    else:
        p_fake = ops.softmax(scores, axis=-1)[:, -1]
    last = result.history[-1]
    return {"run": label, "critic steps": trainer.critic_steps, "generator steps": result.timings["steps_run"],
            "d_loss": round(last["d_loss"], 3), "g_loss": round(last["g_loss"], 3),
            "critic's P(fake) on fakes": round(float(ops.mean(p_fake)), 3)}
