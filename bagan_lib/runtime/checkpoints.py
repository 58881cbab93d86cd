"""Checkpoints: the full training state in one file, written atomically.

A GAN checkpoint (:func:`trainer_state`) holds every variable a resumed run
needs to continue *exactly* where the interrupted one stopped:

* the generator and critic weights (BatchNorm moving statistics included: they
  are non-trainable weights; so are the states of any random layers);
* both optimizers' variables (Adam's moments, its iteration counter and learning rate);
* the trainer's ``SeedGenerator`` state, so the resumed run draws the same noise;
* with augmentation (:mod:`bagan_lib.gan.augment`), its own seed state and ADA's
  probability ``p`` with its sums since the last adjustment (the ``augment`` group);
* with transitional conditioning (:mod:`bagan_lib.gan.transition`), ``alpha_t``
  and the steps done (the ``transition`` group), so the ramp continues;
* the loss trackers' running sums, so the means of an interrupted epoch still
  cover all of its steps;
* constants that are not variables (BAGAN's class Gaussians) and metadata as
  JSON: global step, epoch, step in epoch, history so far, the run's settings.

The data order needs no state: batch ``s`` depends only on the seed and ``s``
(:func:`bagan_lib.data.batches.step_batches`).

The file is an ``.npz``: arrays ``<group>_<i>`` and ``const_<name>`` plus
``__meta__`` (JSON, with the sha256 of all arrays). It is written to a temporary
file in the same folder and moved over the old one with ``os.replace``, so a
crash mid-write leaves the previous checkpoint intact. A state with a NaN or
infinite value is never written.

**Damage.** A file can still be damaged later (a bad disk, a copy cut short,
another program). Every read verifies the whole file before anything is used:
every array readable, its checksum the one written, every float finite
(:func:`verify_checkpoint`); damage is a :class:`CheckpointDamagedError`, never
a traceback, and a restore assigns nothing unless everything verified. With
``keep_previous=True`` (the GAN checkpoints of a run) the checkpoint being
replaced is kept as ``<name>.prev.npz``; :func:`usable_checkpoint` falls back to
it when the newest is damaged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
import zlib
from pathlib import Path

import numpy as np

from bagan_lib.errors import KitError
from bagan_lib.runtime.outputs import atomic_write

FORMAT = 1
_AUTO_SUFFIX = re.compile(r"_\d+(?=/|$)")  # Keras numbers repeated names per process: adam_2, seed_generator_1


class CheckpointMismatchError(KitError):
    """A checkpoint does not fit the model it is restored into."""


class CheckpointDamagedError(KitError):
    """A checkpoint file is unreadable, fails its checksum, or holds NaN or infinite values."""


DAMAGED_FIX = ("start the run again in a fresh folder (or with --overwrite / overwrite=True), or restore the "
               "checkpoints/ folder from a backup.")
_READ_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


class NonFiniteStateError(KitError):
    """A state to be saved holds NaN or infinite values (``variables`` names them)."""

    def __init__(self, problem: str, fix: str, variables: list[str]):
        super().__init__(problem, fix)
        self.variables = variables


def trainer_state(trainer) -> dict[str, list]:
    """The variable groups of an :class:`~bagan_lib.gan.trainer.AdversarialTrainer` that a checkpoint holds.

    An augmenting trainer adds the ``augment`` group (its seed state; ADA's ``p``
    and sums), a transitional one the ``transition`` group (``alpha_t``, steps done). The optimizer groups are Adam's variables alone; a float16 run's dynamic loss
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
    augmentation = getattr(trainer, "augmentation", None)
    if augmentation is not None:
        groups["augment"] = list(augmentation.variables)
    transition = getattr(trainer, "transition", None)
    if transition is not None:
        groups["transition"] = list(transition.variables)
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
               constants: dict[str, np.ndarray] | None = None, keep_previous: bool = False) -> Path:
    """Write ``groups`` of variables, ``constants`` and ``meta`` to ``path`` atomically, with their checksum.

    Raises :class:`NonFiniteStateError` (and writes nothing) when a variable holds
    NaN or infinity: a checkpoint must always be a state worth resuming from.
    ``keep_previous``: the file being replaced stays as :func:`previous_path`
    (pass it only when that file is known to be good, e.g. written by this run).
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
    header = {"format": FORMAT, "meta": meta or {}, "sha256": checksum(arrays),
              "variables": {name: [[_key(v), list(v.shape)] for v in variables] for name, variables in groups.items()},
              "constants": sorted(constants or {})}
    if keep_previous and path.is_file():
        _keep_as_previous(path)

    def write(tmp):
        with open(tmp, "wb") as file:  # a file object: np.savez would append ".npz" to the temporary's name
            np.savez(file, __meta__=np.array(json.dumps(header)), **arrays)

    return atomic_write(path, write)


def previous_path(path) -> Path:
    """Where the checkpoint replaced last is kept: ``gan.npz`` -> ``gan.prev.npz``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.prev{path.suffix}")


def _keep_as_previous(path: Path) -> None:
    """Make ``path``'s current file the previous checkpoint; ``path`` itself stays in place throughout."""
    def link(tmp):
        os.unlink(tmp)
        try:
            os.link(path, tmp)  # no copy: the same bytes under a second name
        except OSError:  # a file system without hard links
            shutil.copyfile(path, tmp)

    atomic_write(previous_path(path), link)


def checksum(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over every array's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _not_finite(array: np.ndarray) -> bool:
    return array.dtype.kind == "f" and not np.isfinite(array).all()


def _open(path: Path):
    if not path.is_file():
        raise KitError(f"No checkpoint at {path}.", "train without resume first, or pass the run's folder.")
    try:
        data = np.load(path)
    except _READ_ERRORS as exc:
        raise CheckpointDamagedError(f"{path} is not a readable checkpoint ({_reason(exc)}).", DAMAGED_FIX) from exc
    try:
        return data, json.loads(str(data["__meta__"]))
    except _READ_ERRORS as exc:
        data.close()
        raise CheckpointDamagedError(f"{path} is not a readable checkpoint ({_reason(exc)}).", DAMAGED_FIX) from exc


def _reason(exc: Exception) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]


def _read_all(path: Path, data, header) -> dict[str, np.ndarray]:
    """Every array of an open checkpoint, verified: readable, the checksum written with it, floats finite."""
    try:
        arrays = {name: data[name] for name in data.files if name != "__meta__"}
    except _READ_ERRORS as exc:
        raise CheckpointDamagedError(f"{path} is damaged: an array cannot be read ({_reason(exc)}).",
                                     DAMAGED_FIX) from exc
    expected = header.get("sha256")  # checkpoints written before the checksum existed have none
    if expected is not None and checksum(arrays) != expected:
        raise CheckpointDamagedError(f"{path} is damaged: its arrays do not match the checksum written with them.",
                                     DAMAGED_FIX)
    bad = sorted(name for name, array in arrays.items() if _not_finite(array))
    if bad:
        raise CheckpointDamagedError(f"{path} is damaged: {', '.join(bad[:4])} hold NaN or infinite values.",
                                     DAMAGED_FIX)
    return arrays


def verify_checkpoint(path) -> dict:
    """Read and check the whole checkpoint at ``path`` (see :func:`_read_all`); returns its metadata.

    Raises :class:`CheckpointDamagedError` on any damage, ``KitError`` when there is no file.
    """
    path = Path(path)
    data, header = _open(path)
    with data:
        _read_all(path, data, header)
    return header["meta"]


def read_meta(path) -> dict:
    """The metadata of a checkpoint, without touching any model (the arrays are not read: see verify_checkpoint)."""
    data, header = _open(Path(path))
    data.close()
    return header["meta"]


def read_constants(path) -> dict[str, np.ndarray]:
    """The constant arrays saved with ``save_state(..., constants=...)``, verified with the whole file."""
    path = Path(path)
    data, header = _open(path)
    with data:
        arrays = _read_all(path, data, header)
    return {name: arrays[f"const_{name}"] for name in header.get("constants", [])}


def usable_checkpoint(path) -> tuple[Path | None, str | None]:
    """The checkpoint to resume from: ``path`` if it verifies, else its previous one (:func:`previous_path`).

    Returns ``(checkpoint, note)``: ``note`` says why the previous one is used
    (None when ``path`` is good); ``(None, None)`` when neither file exists.
    Raises :class:`CheckpointDamagedError` when none verifies. Reads only.
    """
    path = Path(path)
    previous = previous_path(path)
    if not path.is_file() and not previous.is_file():
        return None, None
    problems = []
    for candidate in (path, previous):
        if not candidate.is_file():
            problems.append(f"{candidate} is missing")
            continue
        try:
            meta = verify_checkpoint(candidate)
        except CheckpointDamagedError as exc:
            problems.append(exc.problem.rstrip("."))
            continue
        if candidate == path:
            return candidate, None
        return candidate, (f"{problems[0]}; resuming from the previous checkpoint {candidate} instead (step "
                           f"{meta.get('global_step', '?')}).")
    raise CheckpointDamagedError(f"No usable checkpoint: {'; '.join(problems)}.", DAMAGED_FIX)


def restore_state(path, groups: dict[str, list], *, by_name: tuple = (), optional: tuple = ()) -> dict:
    """Assign the saved arrays to ``groups``; every variable must match by group, count, name and shape.

    The whole file is verified first (:func:`verify_checkpoint`). Raises
    :class:`CheckpointMismatchError` naming the first mismatch; nothing is
    assigned unless everything matches. Groups in ``by_name`` are matched by
    variable name instead: those present on both sides are restored, the others
    keep their values (the loss trackers, whose set depends on settings a resumed
    run may change, such as the penalty weight). A group named in ``optional`` is
    restored only when both the file and ``groups`` have it (a float16 run's
    ``loss_scale``). Returns the metadata.
    """
    path = Path(path)
    data, header = _open(path)
    fix = ("resume with the same model and settings (latent size, image size, width, dataset) as the run that "
           "wrote it, or start a new run in another folder.")
    with data:
        stored = _read_all(path, data, header)
    saved = header["variables"]
    groups = {name: variables for name, variables in groups.items() if name not in optional or name in saved}
    pairs = []
    for name, variables in groups.items():
        if name in by_name:
            index = {_AUTO_SUFFIX.sub("", key): (i, shape) for i, (key, shape) in enumerate(saved.get(name, []))}
            for v in variables:
                if _key(v) in index:
                    i, shape = index[_key(v)]
                    if tuple(shape) != tuple(v.shape):
                        raise CheckpointMismatchError(f"Checkpoint variable {_key(v)} has shape {tuple(shape)}, "
                                                      f"the model's {tuple(v.shape)}.", fix)
                    pairs.append((v, stored[f"{name}_{i}"]))
            continue
        if name not in saved or len(saved[name]) != len(variables):
            raise CheckpointMismatchError(f"Checkpoint {path.name} has {len(saved.get(name, []))} '{name}' "
                                          f"variables, the model {len(variables)}.", fix)
        for i, ((saved_key, shape), v) in enumerate(zip(saved[name], variables)):
            if _AUTO_SUFFIX.sub("", saved_key) != _key(v) or tuple(shape) != tuple(v.shape):
                raise CheckpointMismatchError(
                    f"Checkpoint variable {saved_key} has shape {tuple(shape)}, the model's {v.path} "
                    f"{tuple(v.shape)}.", fix)
            pairs.append((v, stored[f"{name}_{i}"]))
    for v, value in pairs:
        v.assign(value)
    return header["meta"]
