"""One model trained end to end: data, autoencoder, GAN, checkpoints, figures and a metrics file.

:func:`train_model` is what ``python -m bagan_lib train`` and notebooks 04-06 call::

    result = train_model(TrainConfig(model="bagan_gp_v3", dataset="fashion_mnist", profile="teach",
                                     out_dir="runs/v3"))

The output folder holds::

    config.json            the resolved settings (profile values and overrides)
    metrics.json           history per epoch (every loss term), timings, versions, the config
    checkpoints/autoencoder.npz   the finished pre-trained autoencoder (reused on resume)
    checkpoints/gan.npz    the full GAN state: every epoch end and every ``checkpoint_every`` steps
    grids/grid_epoch_NNN.png, grids/training.gif   the Eq. 16 sample grid per epoch
    loss_curves.png        the loss terms per epoch

Resuming (``resume=True``) restores the autoencoder and the GAN state and
continues from the saved global step; batches depend only on (seed, step), so a
resumed run on CPU ends with the same weights as an uninterrupted one. The loss
means logged for the epoch that was interrupted cover only its steps after the
resume.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import KitError

DEFAULT_PROTOCOLS = {"fashion_mnist": "bagan_gp_paper", "mnist": "bagan_gp_paper", "cifar10": "bagan_gp_paper"}


@dataclass
class TrainConfig:
    """Everything a run depends on. ``None`` fields take the profile's (or the model's) value."""

    model: str = "bagan_gp_v3"
    dataset: str = "synthetic_cells"
    profile: str | None = None
    out_dir: str = "runs/train"
    seed: int = 42
    protocol: str | None = None          # None: the paper's protocol for the dataset (fashion_mnist: table B)
    protocol_options: dict = field(default_factory=dict)   # e.g. {"rate": 10} for capgan
    epochs: int | None = None
    ae_epochs: int | None = None
    gp_lambda: float | None = None
    latent_dim: int | None = None
    critic_steps: int | None = None
    image_size: int | None = None
    width: float | None = None
    batch_size: int | None = None
    max_per_class: int | None = None
    steps_per_epoch: int | None = None
    checkpoint_every: int | None = None  # steps; None: at epoch ends only
    jit_compile: bool = False
    data_dir: str | None = None
    resume: bool = False
    autoencoder_path: str | None = None  # start from this saved autoencoder instead of training one

    def resolved_profile(self):
        from .profiles import get_profile

        return get_profile(self.profile, epochs=self.epochs, ae_epochs=self.ae_epochs, latent_dim=self.latent_dim,
                           critic_steps=self.critic_steps, image_size=self.image_size, width=self.width,
                           batch_size=self.batch_size, max_per_class=self.max_per_class,
                           steps_per_epoch=self.steps_per_epoch)

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
    config: TrainConfig
    profile: object
    trainer: object
    autoencoder: object
    class_latents: object
    data: TrainingData
    history: list          # one dict per epoch: every tracked term and its seconds
    timings: dict
    out_dir: Path

    def series(self, name: str) -> list:
        return [row.get(name, math.nan) for row in self.history]

    def sample_grid(self, rows: int = 6, seed: int | None = None) -> np.ndarray:
        """The Eq. 16 grid of the trained generator: row 0 real images, rows 1.. fixed noise for every class."""
        from .monitoring import one_per_class, sample_grid

        return sample_grid(self.trainer, one_per_class(self.data.x, self.data.y, self.data.n_classes),
                           n_classes=self.data.n_classes, latent_dim=self.trainer.latent_dim, rows=rows,
                           seed=self.config.seed if seed is None else seed)


def load_training_data(config: TrainConfig, profile) -> TrainingData:
    """Dataset -> imbalance protocol -> per-class cap of the profile -> images in [-1, 1] at the profile's size."""
    from .data import load_dataset
    from .data.preprocess import prepare_images
    from .imbalance import apply_protocol
    from .input_pipeline import cap_per_class

    dataset = load_dataset(config.dataset, data_dir=config.data_dir)
    protocol = config.protocol or DEFAULT_PROTOCOLS.get(dataset.name, "none")
    split = apply_protocol(dataset, protocol, seed=config.seed, **config.protocol_options)
    keep = cap_per_class(split.y_train, profile.max_per_class, seed=config.seed)
    size = 32 if profile.image_size == 28 else profile.image_size  # the networks take 32 for 28x28 data
    x = prepare_images(split.x_train[keep], size)
    return TrainingData(x=x, y=np.asarray(split.y_train[keep], dtype=np.int32),
                        class_names=tuple(split.class_names), split=split, image_size=size)


def _steps_per_epoch(profile, n_images: int) -> int:
    steps = profile.steps_per_epoch or n_images // profile.batch_size
    if steps < 1:
        raise KitError(f"{n_images} training images make no batch of {profile.batch_size}.",
                       "use a smaller batch_size or a protocol that keeps more images.")
    return min(steps, n_images // profile.batch_size) if profile.steps_per_epoch else steps


def pretrain_autoencoder(config: TrainConfig, profile, data: TrainingData, path: Path, *, verbose: bool = True):
    """Step 1 of BAGAN and BAGAN-GP: train (or, on resume, reload) the autoencoder the model starts from."""
    import keras

    from .checkpoints import model_state, restore_state, save_state
    from .input_pipeline import step_batches
    from .models import autoencoder_kind, build_autoencoder, default_reconstruction

    kind = autoencoder_kind(config.model)
    if kind is None:
        return None
    keras.utils.set_random_seed(config.seed)
    ae = build_autoencoder(supervised=kind == "supervised", image_size=data.image_size, channels=data.channels,
                           n_classes=data.n_classes, latent_dim=profile.latent_dim, width=profile.width,
                           reconstruction=default_reconstruction(config.model))
    ae.compile()
    source = Path(config.autoencoder_path) if config.autoencoder_path else (path if config.resume else None)
    if config.autoencoder_path and not source.is_file():
        raise KitError(f"No saved autoencoder at {source}.",
                       "pass the checkpoints/autoencoder.npz of an earlier run, or leave autoencoder_path unset.")
    if source is not None and source.is_file():
        restore_state(source, model_state(ae))
        if source != path:
            save_state(path, model_state(ae), {"copied_from": str(source)})  # so --resume needs nothing else
        if verbose:
            print(f"autoencoder: reloaded from {source}", flush=True)
        return ae
    steps = _steps_per_epoch(profile, len(data.y))
    batches = step_batches(data.x, data.y, batch_size=profile.batch_size, steps_per_epoch=steps,
                           seed=config.seed + 1, start_step=0, end_step=steps * profile.ae_epochs)
    start = time.perf_counter()
    history = ae.fit(batches, epochs=profile.ae_epochs, steps_per_epoch=steps, verbose=0, shuffle=False).history
    if verbose:
        print(f"autoencoder ({kind}, {default_reconstruction(config.model)}): {profile.ae_epochs} epochs in "
              f"{time.perf_counter() - start:.0f} s, reconstruction {history['reconstruction'][0]:.3f} -> "
              f"{history['reconstruction'][-1]:.3f}", flush=True)
    save_state(path, model_state(ae), {"reconstruction": history["reconstruction"]})
    return ae


def train_model(config: TrainConfig, *, data: TrainingData | None = None, callbacks=(), verbose: bool = True,
                grid_rows: int = 4) -> TrainingResult:
    """Train ``config.model`` end to end (see the module docstring); returns a :class:`TrainingResult`.

    ``data`` may be passed to reuse already loaded images (notebooks training
    several models on the same data); it must come from :func:`load_training_data`
    with the same profile.
    """
    import keras

    from .checkpoints import read_meta, restore_state, trainer_state
    from .class_latents import encode_class_gaussians
    from .input_pipeline import step_batches
    from .models import build_model
    from .monitoring import SampleGrid, one_per_class
    from .training_callbacks import Checkpointer, DivergenceGuard, HistoryRecorder, ProgressLog, StepCounter

    profile = config.resolved_profile()
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_dir = out / "checkpoints"
    gan_path, ae_path = ckpt_dir / "gan.npz", ckpt_dir / "autoencoder.npz"
    _write_json(out / "config.json", {"config": config.as_dict(), "profile": profile.as_dict()})
    data = data or load_training_data(config, profile)
    epochs = profile.epochs_for(config.dataset) if config.epochs is None else config.epochs
    steps = _steps_per_epoch(profile, len(data.y))
    start_time = time.perf_counter()

    autoencoder = pretrain_autoencoder(config, profile, data, ae_path, verbose=verbose)
    class_latents = None
    if config.model == "bagan":
        class_latents = encode_class_gaussians(autoencoder.encoder, data.x, data.y, data.n_classes)
    keras.utils.set_random_seed(config.seed + 2)
    trainer = build_model(config.model, image_size=data.image_size, channels=data.channels,
                          n_classes=data.n_classes, latent_dim=profile.latent_dim, width=profile.width,
                          autoencoder=autoencoder, class_latents=class_latents, critic_steps=profile.critic_steps,
                          gp_lambda=config.gp_lambda, jit_compile=config.jit_compile, seed=config.seed)
    trainer.compile()

    meta = {"global_step": 0, "history": []}
    if config.resume and gan_path.is_file():
        meta = restore_state(gan_path, trainer_state(trainer))
        if verbose:
            print(f"resumed from {gan_path} at step {meta['global_step']} (epoch {meta['global_step'] // steps + 1})",
                  flush=True)
    elif config.resume and verbose:
        print(f"resume: no checkpoint in {ckpt_dir}; starting from step 0", flush=True)
    start_step, end_step = int(meta["global_step"]), epochs * steps

    counter = StepCounter(start_step, steps)
    guard = DivergenceGuard(counter, gan_path)
    guard.last_good = start_step if gan_path.is_file() and config.resume else None
    history = HistoryRecorder(meta.get("history"))
    checkpointer = Checkpointer(gan_path, counter, history, guard, every=config.checkpoint_every)
    progress = ProgressLog(epochs, steps, counter, label=config.model, print_fn=print if verbose else _quiet)
    grid = SampleGrid(out / "grids", one_per_class(data.x, data.y, data.n_classes), n_classes=data.n_classes,
                      latent_dim=profile.latent_dim, rows=grid_rows, seed=config.seed)
    all_callbacks = [counter, guard, history, checkpointer, progress, grid, *callbacks]
    gan_start = time.perf_counter()
    if start_step % steps:  # finish the interrupted epoch first, then whole epochs
        first_epoch = start_step // steps
        rest = steps - start_step % steps
        trainer.fit(step_batches(data.x, data.y, batch_size=profile.batch_size, steps_per_epoch=steps,
                                 seed=config.seed, start_step=start_step, end_step=start_step + rest),
                    epochs=first_epoch + 1, initial_epoch=first_epoch, steps_per_epoch=rest, verbose=0, shuffle=False,
                    callbacks=all_callbacks)
        start_step += rest
    if start_step < end_step:
        trainer.fit(step_batches(data.x, data.y, batch_size=profile.batch_size, steps_per_epoch=steps,
                                 seed=config.seed, start_step=start_step, end_step=end_step),
                    epochs=epochs, initial_epoch=start_step // steps, steps_per_epoch=steps, verbose=0, shuffle=False,
                    callbacks=all_callbacks)
    gan_seconds = time.perf_counter() - gan_start
    steps_run = end_step - int(meta["global_step"])
    timings = {"total_seconds": round(time.perf_counter() - start_time, 2), "gan_seconds": round(gan_seconds, 2),
               "steps_run": steps_run, "steps_per_epoch": steps, "epochs": epochs,
               "ms_per_step": round(1000 * gan_seconds / steps_run, 1) if steps_run else None}
    result = TrainingResult(config=config, profile=profile, trainer=trainer, autoencoder=autoencoder,
                            class_latents=class_latents, data=data, history=history.epochs, timings=timings,
                            out_dir=out)
    _write_outputs(result, read_meta(gan_path) if gan_path.is_file() else {})
    return result


def _quiet(*args, **kwargs):
    pass


def _write_json(path: Path, payload: dict) -> None:
    from .outputs import atomic_write_text

    atomic_write_text(path, json.dumps(payload, indent=2, default=str))


def _write_outputs(result: TrainingResult, checkpoint_meta: dict) -> None:
    """metrics.json and the loss-curves figure."""
    import platform

    import keras
    import tensorflow as tf

    from .outputs import save_figure
    from .training_plots import plot_loss_curves

    counts = result.data.counts()
    _write_json(result.out_dir / "metrics.json", {
        "model": result.config.model, "dataset": result.config.dataset, "seed": result.config.seed,
        "config": result.config.as_dict(), "profile": result.profile.as_dict(),
        "train_counts": {name: int(c) for name, c in zip(result.data.class_names, counts)},
        "history": result.history, "timings": result.timings,
        "final_step": checkpoint_meta.get("global_step"),
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__},
    })
    if result.history:
        fig = plot_loss_curves(result.history, title=f"{result.config.model} on {result.config.dataset}: "
                                                     "loss terms per epoch")
        save_figure(fig, result.out_dir, "loss_curves")
