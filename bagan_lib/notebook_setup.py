"""The setup every notebook's first code cell calls: :func:`start`.

It must run before TensorFlow is imported, because TensorFlow reads two
settings only once, at import:

* ``TF_CPP_MIN_LOG_LEVEL=3`` keeps its C++ log lines out of the notebook (with
  oneDNN, grappler logs a harmless "remapper failed ... LeakyReluGrad" line at
  ERROR level on every traced step; real errors still raise Python exceptions);
* ``TF_ENABLE_ONEDNN_OPTS=1`` turns on oneDNN kernels, which TensorFlow enables
  by itself only on CPUs with AVX-512 VNNI/BF16/AMX. On AVX2 machines it made
  the reference BAGAN-GP step 1.7-2.4x faster (REFERENCE.md). A value the user
  already set is respected.

Then it sets up the devices (before TensorFlow computes anything, which is
when it still can): ``cpu_devices`` splits a CPU without GPUs into logical
devices, ``distribute="mirrored"`` trains on all of them (two on such a CPU, by
default) and ``"multiworker"`` makes the multi-worker strategy from
``TF_CONFIG``; ``precision`` sets the Keras dtype policy. Both are also the
session's defaults for :func:`bagan_lib.training.run.train_model`
(``$BAGAN_PRECISION``, ``$BAGAN_DISTRIBUTE``). Then it seeds Python, NumPy and
TensorFlow, makes CPU ops deterministic, keeps TensorFlow's Python warnings
(tf.function retracing advice) out of the notebook, reports the device and
versions, and creates the output folder.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from bagan_lib.errors import KitError
from bagan_lib.profiles import Profile, get_profile
from bagan_lib.training.config import ENVIRONMENT, check_devices, check_seed

# Lazy imports in this module: TensorFlow and Keras are imported only after their environment variables are set.

MIN_VERSIONS = {"tensorflow": "2.16", "keras": "3.15"}
def in_colab() -> bool:
    """True inside Google Colab (its kernel imports ``google.colab`` at start-up)."""
    return "google.colab" in sys.modules


def configure_tensorflow_environment(*, onednn: bool = True) -> list[str]:
    """Set TensorFlow's import-time environment; returns warnings if it is too late."""
    notes = []
    if "tensorflow" in sys.modules:
        notes.append("TensorFlow was imported before bagan_lib.notebook_setup.start(): its logging "
                     "and oneDNN settings could not be changed (restart the kernel and run the "
                     "setup cell first).")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if onednn:
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    return notes


@contextlib.contextmanager
def silenced_native_stderr():
    """Mute file descriptor 2 while TensorFlow is imported.

    TF 2.21 writes its oneDNN banner from C++ before its logging is set up, so
    ``TF_CPP_MIN_LOG_LEVEL`` cannot hide it, and ipykernel forwards native
    stderr into the notebook. Python exceptions are unaffected.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no real file descriptor (some embedded consoles): nothing to mute
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _check_versions(versions: dict[str, str]) -> None:
    from packaging.version import Version

    for package, minimum in MIN_VERSIONS.items():
        if Version(versions[package]) < Version(minimum):
            raise KitError(f"{package} {versions[package]} is older than the kit needs ({minimum}).",
                           f'upgrade it: pip install -U "{package}>={minimum}".')


@dataclass(frozen=True)
class Session:
    """What :func:`start` set up; notebooks read their sizes from ``profile``."""

    profile: Profile
    seed: int
    device: str
    versions: dict
    out_dir: Path | None
    colab: bool
    precision: str = "float32"
    distribute: str = "none"
    replicas: int = 1

    def report(self) -> str:
        lines = [f"profile   {self.profile.name} (image {self.profile.image_size}px, width "
                 f"x{self.profile.width}, batch {self.profile.batch_size}, latent {self.profile.latent_dim})",
                 f"device    {self.device}"]
        if (self.precision, self.distribute) != ("float32", "none"):
            lines.append(f"training  {self.precision}, distribute {self.distribute} ({self.replicas} replicas)")
        lines += [
                 "versions  " + ", ".join(f"{k} {v}" for k, v in self.versions.items()),
                 f"seed      {self.seed}"]
        if self.out_dir is not None:
            lines.append(f"outputs   {self.out_dir}")
        if self.colab:
            lines.append("running on Google Colab")
        return "\n".join(lines)


    def check_outputs(self, figures=(), tables=()) -> list[str]:
        """The notebook's last cell: list the figures (``.png``) and tables (``.csv``) in ``out_dir`` and fail,
        naming them, when one it should have written is missing (nbval and papermill run this cell too)."""
        if self.out_dir is None:
            raise KitError("This session has no out_dir, so its outputs cannot be checked.",
                           "pass out_dir=... to notebook_setup.start.")
        found = {kind: sorted(p.stem for p in self.out_dir.glob(f"*.{ext}"))
                 for kind, ext in (("figures", "png"), ("tables", "csv"))}
        missing = sorted(set(figures) - set(found["figures"])) + sorted(set(tables) - set(found["tables"]))
        if missing:
            raise KitError(f"{self.out_dir} lacks {', '.join(missing)}: a cell above did not write it.",
                           "run the notebook from the top (Run All) and look for the cell that failed.")
        lines = [f"{len(found[k])} {k} in {self.out_dir}: {', '.join(found[k])}" for k in found]
        print("\n".join(lines))
        return lines


def start(profile: str | None = None, *, seed: int = 42, out_dir: str | os.PathLike | None = None,
          precision: str | None = None, distribute: str | None = None, cpu_devices: int | None = None,
          mixed_precision: bool = False, deterministic: bool = True, onednn: bool = True,
          verbose: bool = True, **overrides) -> Session:
    """Seed everything, configure TensorFlow and report the device; returns a :class:`Session`.

    ``profile`` None means ``$BAGAN_PROFILE`` or ``teach``; ``overrides`` (e.g.
    ``image_size=64``, ``latent_dim=None``) replace the profile's values where not None.
    ``precision`` (``float32``, ``mixed_float16``, ``mixed_bfloat16``) and
    ``distribute`` (``none``, ``mirrored``, ``multiworker``) become the session's
    (see the module docstring; None: ``$BAGAN_PRECISION`` / ``$BAGAN_DISTRIBUTE``,
    else float32 on one device); ``cpu_devices``
    splits a CPU without GPUs (default 2 with ``distribute="mirrored"``).
    ``mixed_precision=True``, the older switch, means ``mixed_float16`` on a GPU
    and nothing on a CPU.
    """
    notes = configure_tensorflow_environment(onednn=onednn)
    chosen = get_profile(profile, **overrides)  # validates before the slow import
    check_seed(seed)
    check_devices(precision, distribute)
    for name, value in (("precision", precision), ("distribute", distribute)):
        if value is not None:
            os.environ[ENVIRONMENT[name]] = value  # the session's default for train_model
    precision = precision or os.environ.get(ENVIRONMENT["precision"]) or None
    distribute = distribute or os.environ.get(ENVIRONMENT["distribute"]) or "none"
    check_devices(precision, distribute)

    if "tensorflow" not in sys.modules:
        with silenced_native_stderr():
            import tensorflow  # noqa: F401  (the first import prints the banner)
    import keras
    import numpy as np
    import tensorflow as tf

    from bagan_lib.runtime.devices import get_strategy, split_cpu

    gpus = tf.config.list_physical_devices("GPU")
    if mixed_precision and precision is None:
        if gpus:
            precision = "mixed_float16"
        else:
            notes.append("mixed_precision=True ignored: it speeds up GPUs only and slows a CPU down.")
    if cpu_devices is None and distribute == "mirrored":
        cpu_devices = 2
    if cpu_devices is not None and not gpus:
        split_cpu(cpu_devices)  # before TensorFlow computes anything
    replicas = get_strategy(distribute).num_replicas_in_sync  # multiworker: made first, as it must be
    keras.mixed_precision.set_global_policy(precision or "float32")

    versions = {"python": platform.python_version(), "tensorflow": tf.__version__,
                "keras": keras.__version__, "numpy": np.__version__}
    _check_versions(versions)

    keras.utils.set_random_seed(seed)  # Python, NumPy and TensorFlow generators
    # notebooks 07-09 build many small models in a loop; TensorFlow's "retracing" advice about that is noise here
    tf.get_logger().setLevel("ERROR")
    if deterministic and not gpus:
        # Same seed, same numbers on CPU; on GPU some kernels stay non-deterministic (see README).
        tf.config.experimental.enable_op_determinism()
    if gpus:
        device = f"GPU x{len(gpus)} ({', '.join(g.name for g in gpus)})"
        if precision and precision != "float32":
            device += f", {precision}"
    else:
        onednn_state = "on" if os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "1" else "off"
        device = f"CPU, {os.cpu_count()} cores, oneDNN {onednn_state}"

    path = None
    if out_dir is not None:
        path = Path(out_dir)
        path.mkdir(parents=True, exist_ok=True)
    session = Session(profile=chosen, seed=seed, device=device, versions=versions, out_dir=path,
                      colab=in_colab(), precision=precision or "float32", distribute=distribute, replicas=replicas)
    if verbose:
        print(session.report())
        for note in notes:
            print("note:", note)
    return session
