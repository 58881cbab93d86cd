"""A run's training images: dataset, imbalance protocol, the profile's cap per class, scaled to [-1, 1]; and the
identity (data, batches, shapes) a resumed run must share.

The identity names settings; the data's own **fingerprint** (:meth:`TrainingData.fingerprint`: the count, the
images per class, and sha256 hashes of the labels and of the images exactly as trained on) is recorded in the
run's ``config.json`` and in every GAN checkpoint, so a resume on other data with the same settings (a ``folder:``
dataset whose files were replaced) is refused, naming what changed (:func:`check_same_data`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from bagan_lib.data import load_dataset
from bagan_lib.data.batches import cap_per_class
from bagan_lib.data.imbalance import apply_protocol, profile_caps
from bagan_lib.data.preprocess import prepare_images
from bagan_lib.errors import KitError
from bagan_lib.models.recipes import get_recipe
from bagan_lib.training.config import DEFAULT_PROTOCOLS, TrainConfig


@dataclass
class TrainingData:
    """The training images of a run, scaled to [-1, 1], with what they came from."""

    x: np.ndarray
    y: np.ndarray
    class_names: tuple
    split: object          # the ProtocolSplit (its val/test parts are for evaluation)
    image_size: int
    _fingerprint: dict | None = field(default=None, repr=False, compare=False)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def channels(self) -> int:
        return int(self.x.shape[-1])

    def counts(self) -> np.ndarray:
        return np.bincount(self.y, minlength=self.n_classes)

    def fingerprint(self) -> dict:
        """What identifies these exact training data: count, images per class, sha256 of labels and of images."""
        if self._fingerprint is None:
            self._fingerprint = data_fingerprint(self.x, self.y, self.n_classes)
        return self._fingerprint


def data_fingerprint(x, y, n_classes: int) -> dict:
    """The fingerprint of images ``x`` and labels ``y`` (see :meth:`TrainingData.fingerprint`)."""
    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y, dtype=np.int64)
    images = hashlib.sha256(f"{x.dtype.str}|{x.shape}|".encode())
    images.update(x.tobytes())
    return {"n": int(len(y)), "per_class": np.bincount(y, minlength=n_classes).tolist(),
            "labels_sha256": hashlib.sha256(y.tobytes()).hexdigest(), "images_sha256": images.hexdigest()}


DATA_FIX = ("resume with the data the run was trained on (the same dataset files, protocol and seed), or start a "
            "new run in another folder (or with --overwrite / overwrite=True).")


def check_same_data(saved: dict | None, current: dict, where, fix: str = DATA_FIX) -> None:
    """Refuse data whose fingerprint differs from the one ``where`` recorded, naming what changed.

    ``saved`` None (a run from before fingerprints): nothing to compare.
    """
    if not saved or saved == current:
        return
    if saved.get("n") != current["n"]:
        what = f"the number of training images changed: {saved.get('n')} -> {current['n']}"
    elif saved.get("labels_sha256") != current["labels_sha256"]:
        what = (f"the labels changed: images per class {saved.get('per_class')} -> {current['per_class']}"
                if saved.get("per_class") != current["per_class"]
                else "the labels changed (the same images per class, given to other images)")
    elif saved.get("images_sha256") != current["images_sha256"]:
        what = f"the image content changed (the same {current['n']} images and labels, other pixels)"
    else:
        what = "the data changed"
    raise KitError(f"{where} was trained on other data: {what}.", fix)


def check_trainable(config: TrainConfig, data: "TrainingData") -> None:
    """The data checks a run would otherwise meet only after pre-training (made before anything is written).

    Every class needs a training image (the sample grid shows one per class; a
    CVAE's oversampling balances from them); BAGAN's class Gaussians need two per
    class for a covariance.
    """
    need = 2 if get_recipe(config.model).latents == "class_gaussians" else 1
    counts = data.counts()
    short = [f"{data.class_names[c]} ({counts[c]})" for c in range(data.n_classes) if counts[c] < need]
    if short:
        reason = "BAGAN's class Gaussians need a covariance" if need == 2 else "every class must be trainable"
        raise KitError(f"{config.model} needs at least {need} training image(s) per class ({reason}); "
                       f"{', '.join(short)} have fewer after the protocol and the profile's cap.",
                       "give every class more images, or use a protocol that keeps them.")


def load_training_data(config: TrainConfig, profile) -> TrainingData:
    """Dataset -> imbalance protocol -> per-class cap of the profile -> images in [-1, 1] at the profile's size."""
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
            "steps_per_epoch": steps, "ae_epochs": profile.pretrain_epochs(get_recipe(config.model).autoencoder)}
