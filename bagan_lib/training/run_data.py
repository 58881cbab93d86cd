"""A run's training images: dataset, imbalance protocol, the profile's cap per class, scaled to [-1, 1]; and the
identity (data, batches, shapes) a resumed run must share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bagan_lib.data import load_dataset
from bagan_lib.data.batches import cap_per_class
from bagan_lib.data.imbalance import apply_protocol, profile_caps
from bagan_lib.data.preprocess import prepare_images
from bagan_lib.errors import KitError
from bagan_lib.training.config import DEFAULT_PROTOCOLS, TrainConfig


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
            "steps_per_epoch": steps, "ae_epochs": profile.ae_epochs}
