"""Checkpoints: the full training state in one file, written atomically.

A GAN checkpoint (:func:`trainer_state`) holds every variable a resumed run
needs to continue *exactly* where the interrupted one stopped:

* the generator and critic weights (BatchNorm moving statistics included: they
  are non-trainable weights; so are the states of any random layers);
* both optimizers' variables (Adam's moments, its iteration counter and learning rate);
* the trainer's ``SeedGenerator`` state, so the resumed run draws the same noise;
* the loss trackers' running sums, so the means of an interrupted epoch still
  cover all of its steps;
* constants that are not variables (BAGAN's class Gaussians) and metadata as
  JSON: global step, epoch, step in epoch, history so far, the run's settings.

The data order needs no state: batch ``s`` depends only on the seed and ``s``
(:func:`bagan_lib.data.batches.step_batches`).

The file is an ``.npz``: arrays ``<group>_<i>`` and ``const_<name>`` plus
``__meta__`` (JSON). It is written to a temporary file in the same folder and
moved over the old one with ``os.replace``, so a crash mid-write leaves the
previous checkpoint intact. A state with a NaN or infinite value is never written.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import numpy as np

from bagan_lib.errors import KitError
from bagan_lib.runtime.outputs import atomic_write

FORMAT = 1
_AUTO_SUFFIX = re.compile(r"_\d+(?=/|$)")  # Keras numbers repeated names per process: adam_2, seed_generator_1


class CheckpointMismatchError(KitError):
    """A checkpoint does not fit the model it is restored into."""


class NonFiniteStateError(KitError):
    """A state to be saved holds NaN or infinite values (``variables`` names them)."""

    def __init__(self, problem: str, fix: str, variables: list[str]):
        super().__init__(problem, fix)
        self.variables = variables


def trainer_state(trainer) -> dict[str, list]:
    """The variable groups of an :class:`~bagan_lib.gan.trainer.AdversarialTrainer` that a checkpoint holds.

    The optimizer groups are Adam's variables alone; a float16 run's dynamic loss
    scales (and their counters) are a group of their own, ``loss_scale``, so a
    checkpoint resumes under any precision policy (restore it as optional).
    """
    optimizers = (trainer.d_optimizer, trainer.g_optimizer)
    inner = [getattr(o, "inner_optimizer", o) for o in optimizers]  # a LossScaleOptimizer's Adam, else the Adam
    replicas = trainer.distribute_strategy.num_replicas_in_sync
    groups = {"generator": list(trainer.generator.variables),
              "critic": list(trainer.critic.variables),
              "d_optimizer": list(inner[0].variables),
              "g_optimizer": list(inner[1].variables),
              "seed_generator": [trainer.seed_generator.state],
              "trackers": [ReplicaSum(v, replicas) for metric in trainer.metrics for v in metric.variables]}
    scales = [v for o in optimizers if hasattr(o, "dynamic_scale") for v in (o.dynamic_scale, o.step_counter)]
    if scales:
        groups["loss_scale"] = scales
    return groups


class ReplicaSum:
    """A loss tracker's variable as one device holds it: tf.distribute reads it as the sum over the replicas.

    Each of R replicas keeps a tracker's sum and count of its own steps, and
    reading either in cross-replica context adds the R copies (R times the one-
    device value); assigning there gives each copy 1 / R of the value. Saved
    divided by R and restored times R, a checkpoint holds the same numbers on
    any number of devices, and an interrupted epoch's mean resumes on any other.
    """

    def __init__(self, variable, replicas: int):
        self.variable, self.replicas = variable, int(replicas)
        self.path, self.shape = variable.path, variable.shape

    def numpy(self):
        return np.asarray(self.variable.numpy()) / self.replicas

    def assign(self, value) -> None:
        self.variable.assign(np.asarray(value) * self.replicas)


def model_state(model) -> dict[str, list]:
    """The weights of any Keras model (e.g. a pre-trained autoencoder) as one group."""
    return {"weights": list(model.weights)}


def _key(variable) -> str:
    """The name a variable is matched by: its path without Keras' per-process numbering."""
    return _AUTO_SUFFIX.sub("", variable.path)


def save_state(path, groups: dict[str, list], meta: dict | None = None, *,
               constants: dict[str, np.ndarray] | None = None) -> Path:
    """Write ``groups`` of variables, ``constants`` and ``meta`` to ``path`` atomically.

    Raises :class:`NonFiniteStateError` (and writes nothing) when a variable holds
    NaN or infinity: a checkpoint must always be a state worth resuming from.
    """
    path = Path(path)
    arrays = {f"{name}_{i}": np.asarray(v.numpy() if hasattr(v, "numpy") else v)
              for name, variables in groups.items() for i, v in enumerate(variables)}
    bad = [f"{name}:{variables[i].path}" for name, variables in groups.items() for i in range(len(variables))
           if _not_finite(arrays[f"{name}_{i}"])]
    if bad:
        raise NonFiniteStateError(f"Not saving {path.name}: {', '.join(bad[:4])}{' ...' if len(bad) > 4 else ''} "
                                  "hold NaN or infinite values.", "resume from the previous checkpoint.", bad)
    arrays.update({f"const_{name}": np.asarray(value) for name, value in (constants or {}).items()})
    header = {"format": FORMAT, "meta": meta or {},
              "variables": {name: [[_key(v), list(v.shape)] for v in variables] for name, variables in groups.items()},
              "constants": sorted(constants or {})}
    return atomic_write(path, lambda tmp: np.savez(tmp, __meta__=np.array(json.dumps(header)), **arrays))


def _not_finite(array: np.ndarray) -> bool:
    return array.dtype.kind == "f" and not np.isfinite(array).all()


def _open(path: Path):
    if not path.is_file():
        raise KitError(f"No checkpoint at {path}.", "train without resume first, or pass the run's folder.")
    try:
        data = np.load(path)
        return data, json.loads(str(data["__meta__"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise KitError(f"{path} is not a readable checkpoint ({exc}).",
                       "delete it and train again (checkpoints are written atomically, so another program "
                       "changed it).") from exc


def read_meta(path) -> dict:
    """The metadata of a checkpoint, without touching any model."""
    data, header = _open(Path(path))
    data.close()
    return header["meta"]


def read_constants(path) -> dict[str, np.ndarray]:
    """The constant arrays saved with ``save_state(..., constants=...)``."""
    data, header = _open(Path(path))
    with data:
        return {name: data[f"const_{name}"] for name in header.get("constants", [])}


def restore_state(path, groups: dict[str, list], *, optional=()) -> dict:
    """Assign the saved arrays to ``groups``; every variable must match by group, count, name and shape.

    A group named in ``optional`` is restored only when both the file and
    ``groups`` have it (a float16 run's ``loss_scale``). Raises
    :class:`CheckpointMismatchError` naming the first mismatch; nothing is
    assigned unless everything matches. Returns the metadata.
    """
    path = Path(path)
    data, header = _open(path)
    fix = ("resume with the same model and settings (latent size, image size, width, dataset) as the run that "
           "wrote it, or start a new run in another folder.")
    with data:
        saved = header["variables"]
        groups = {name: variables for name, variables in groups.items() if name not in optional or name in saved}
        for name, variables in groups.items():
            if name not in saved or len(saved[name]) != len(variables):
                raise CheckpointMismatchError(f"Checkpoint {path.name} has {len(saved.get(name, []))} '{name}' "
                                              f"variables, the model {len(variables)}.", fix)
            for (saved_key, shape), v in zip(saved[name], variables):
                if _AUTO_SUFFIX.sub("", saved_key) != _key(v) or tuple(shape) != tuple(v.shape):
                    raise CheckpointMismatchError(
                        f"Checkpoint variable {saved_key} has shape {tuple(shape)}, the model's {v.path} "
                        f"{tuple(v.shape)}.", fix)
        values = {name: [data[f"{name}_{i}"] for i in range(len(variables))] for name, variables in groups.items()}
    for name, variables in groups.items():
        for v, value in zip(variables, values[name]):
            v.assign(value)
    return header["meta"]
