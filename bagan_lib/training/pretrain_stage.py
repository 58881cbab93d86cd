"""Step 1 of BAGAN, BAGAN-GP, CAPGAN and AC-GAN on ALI latents: the autoencoder (CAPGAN: the CVAE; AC-GAN on ALI:
ALI, Eq. 4) a model starts from, trained once, saved in the run's folder and reloaded on resume or from another run."""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras
import numpy as np

from bagan_lib.data.batches import step_batches
from bagan_lib.errors import KitError
from bagan_lib.models.builders import autoencoder_kind, build_pretraining_network, default_reconstruction
from bagan_lib.models.pretraining import pretrain_cvae
from bagan_lib.runtime.checkpoints import model_state, read_meta, restore_state, save_state
from bagan_lib.runtime.folder_lock import folder_lock
from bagan_lib.training.callbacks import ProgressLog, StepCounter
from bagan_lib.training.config import TrainConfig
from bagan_lib.training.run_data import TrainingData, load_training_data, run_identity, steps_per_epoch
from bagan_lib.training.run_folder import RunFolder, check_same_run


AE_KEYS = ("image_size", "channels", "n_classes", "latent_dim", "width")  # what an autoencoder must fit


def pretrain_autoencoder(config: TrainConfig, profile, data: TrainingData, folder: RunFolder, identity: dict,
                         say=print):
    """Step 1 of BAGAN, BAGAN-GP and CAPGAN: train the autoencoder (CAPGAN: the CVAE, with its pre-training
    strategy) the model starts from, or reload a finished one.

    It is reloaded from ``config.autoencoder_path`` when given (checked to fit;
    a copy goes into the run's folder, so the run resumes without it), and on
    resume from the run's own ``checkpoints/autoencoder.npz``. Returns ``None``
    for a model without one (cdragan).
    """


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
    if kind == "ali":
        return _pretrain_ali(ae, profile, data, folder, identity, fits, seed=config.seed, say=say)
    if kind == "cvae":
        ae, report = pretrain_cvae(build, data.x, data.y, n_classes=data.n_classes, strategy=fits["pretrain"],
                                   epochs=profile.pretrain_epochs(kind), batch_size=profile.batch_size,
                                   seed=config.seed + 1,
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


def reconstruction_error(ali, images, *, batch_size: int = 256) -> float:
    """Mean absolute error of ALI's reconstructions ``G_x(G_z(x))`` in [-1, 1] pixels (the paper's Fig. 7b)."""
    errors = [np.mean(np.abs(np.asarray(ali.reconstruct(images[i:i + batch_size])) - images[i:i + batch_size]))
              * len(images[i:i + batch_size]) for i in range(0, len(images), batch_size)]
    return float(np.sum(errors) / len(images))


def _pretrain_ali(ali, profile, data: TrainingData, folder: RunFolder, identity: dict, fits: dict, *, seed: int,
                  say=print):
    """ALI's adversarial training (Eq. 4) for the GAN's epochs, with a progress line per epoch; saved with its
    loss curves and the reconstruction error on (up to 512 of) the training images."""
    epochs, steps = profile.pretrain_epochs("ali"), identity["steps_per_epoch"]
    batches = step_batches(data.x, data.y, batch_size=profile.batch_size, steps_per_epoch=steps, seed=seed + 1,
                           start_step=0, end_step=steps * epochs)
    counter = StepCounter(0, steps)
    start = time.perf_counter()
    history = ali.fit(batches, epochs=epochs, steps_per_epoch=steps, verbose=0, shuffle=False,
                      callbacks=[counter, ProgressLog(epochs, counter, label="ALI", print_fn=say)]).history
    error = reconstruction_error(ali, data.x[:512])
    say(f"ALI (Eq. 4): {epochs} epochs in {time.perf_counter() - start:.0f} s, critic loss {history['d_loss'][0]:.3f} "
        f"-> {history['d_loss'][-1]:.3f}, reconstruction error |G_x(G_z(x)) - x| {error:.3f}", flush=True)
    save_state(folder.autoencoder, model_state(ali), {"autoencoder": fits, "run": identity, "reconstruction": [error],
                                                      "ali": {k: [float(v) for v in vs] for k, vs in history.items()}})
    return ali


def train_autoencoder(config: TrainConfig, *, data: TrainingData | None = None, verbose: bool = True):
    """Only step 1 of ``config.model``: its autoencoder, saved in ``config.out_dir``/checkpoints.

    With ``resume=True`` a finished one in that folder is reloaded instead of
    trained again (notebook 05 compares the two kinds of autoencoder this way).
    """
    profile = config.resolved_profile()
    with folder_lock(config.out_dir, f"train_autoencoder --model {config.model} --out {config.out_dir}"):
        data = data or load_training_data(config, profile)
        folder = RunFolder(config.out_dir)
        identity = run_identity(config, profile, data, steps_per_epoch(profile, len(data.y)))
        folder.prepare(resume=config.resume, overwrite=config.overwrite)
        return pretrain_autoencoder(config, profile, data, folder, identity, print if verbose else _silent)


def _silent(*args, **kwargs):
    """``print`` that prints nothing (``verbose=False``)."""
