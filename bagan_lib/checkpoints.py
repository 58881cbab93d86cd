"""Checkpoints: the full training state in one file, written atomically.

A checkpoint holds every variable a resumed run needs to continue *exactly*
where the interrupted one stopped:

* the generator and critic weights (BatchNorm moving statistics included: they
  are non-trainable weights);
* both optimizers' variables (Adam's moments and its iteration counter);
* the trainer's ``SeedGenerator`` state, so the resumed run draws the same noise;
* counters and history (global step, epoch, step in epoch) as JSON metadata.

The data order needs no state: batch ``s`` depends only on the seed and ``s``
(:func:`bagan_lib.input_pipeline.step_batches`).

The file is an ``.npz``: arrays ``g<group>_<i>`` plus ``__meta__`` (JSON). It is
written to a temporary file in the same folder and moved over the old one with
``os.replace``, so a crash mid-write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import KitError
from .outputs import atomic_write


class CheckpointMismatchError(KitError):
    """A checkpoint does not fit the model it is restored into."""


def trainer_state(trainer) -> dict[str, list]:
    """The variable groups of an :class:`~bagan_lib.trainer.AdversarialTrainer` that a checkpoint holds."""
    return {"generator": list(trainer.generator.variables),
            "critic": list(trainer.critic.variables),
            "d_optimizer": list(trainer.d_optimizer.variables),
            "g_optimizer": list(trainer.g_optimizer.variables),
            "seed": [trainer.seed_generator.state]}


def model_state(model) -> dict[str, list]:
    """The weights of any Keras model (e.g. a pre-trained autoencoder) as one group."""
    return {"weights": list(model.weights)}


def _describe(groups: dict) -> dict:
    return {name: [[v.path, list(v.shape)] for v in variables] for name, variables in groups.items()}


def save_state(path, groups: dict[str, list], meta: dict | None = None) -> Path:
    """Write ``groups`` of variables and ``meta`` to ``path`` atomically."""
    path = Path(path)
    arrays = {f"{name}_{i}": np.asarray(v.numpy() if hasattr(v, "numpy") else v)
              for name, variables in groups.items() for i, v in enumerate(variables)}
    header = {"meta": meta or {}, "variables": _describe(groups)}
    return atomic_write(path, lambda tmp: np.savez(tmp, __meta__=np.array(json.dumps(header)), **arrays))


def read_meta(path) -> dict:
    """The metadata of a checkpoint, without touching any model."""
    with np.load(path) as data:
        return json.loads(str(data["__meta__"]))["meta"]


def restore_state(path, groups: dict[str, list]) -> dict:
    """Assign the saved arrays to ``groups``; every variable must match by group, count and shape.

    Returns the metadata. Nothing is assigned unless everything matches.
    """
    path = Path(path)
    if not path.is_file():
        raise KitError(f"No checkpoint at {path}.", "train without resume first, or pass the run's folder.")
    with np.load(path) as data:
        header = json.loads(str(data["__meta__"]))
        saved = header["variables"]
        for name, variables in groups.items():
            if name not in saved or len(saved[name]) != len(variables):
                raise CheckpointMismatchError(
                    f"Checkpoint {path.name} has {len(saved.get(name, []))} '{name}' variables, the model "
                    f"{len(variables)}.", "resume with the same model and settings as the run that wrote it, "
                    "or start a new run in another folder.")
            for (saved_path, shape), v in zip(saved[name], variables):
                if tuple(shape) != tuple(v.shape):
                    raise CheckpointMismatchError(
                        f"Checkpoint variable {saved_path} has shape {tuple(shape)}, the model's {v.path} "
                        f"{tuple(v.shape)}.", "resume with the same --latent-dim, --image-size, width and "
                        "dataset as the run that wrote it, or start a new run in another folder.")
        values = {name: [data[f"{name}_{i}"] for i in range(len(variables))] for name, variables in groups.items()}
    for name, variables in groups.items():
        for v, value in zip(variables, values[name]):
            v.assign(value)
    return header["meta"]
