"""The output folder of one training run: where each file goes, and when a run may write into it.

::

    config.json                   the resolved settings (profile values and overrides)
    metrics.json                  history per epoch (every loss term), timings, versions, the config
    loss_curves.png               the loss terms per epoch
    checkpoints/autoencoder.npz   the finished pre-trained autoencoder (or a copy of autoencoder_path),
                                  reused on resume, never retrained
    checkpoints/gan.npz           the full GAN state: every epoch end and every ``checkpoint_every`` steps
    checkpoints/gan.prev.npz      the GAN state before the last one: the fallback when gan.npz is damaged
    grids/grid_epoch_NNN.png      the Eq. 16 sample grid after every epoch
    grids/training.gif            all grids as an animation

Nothing written is lost by accident: a new run refuses a folder that already
holds a run's checkpoints unless asked to continue it (``resume``) or to
delete it (``overwrite``). A resumed run must have the settings that fix the
data, the batches and the shapes (:func:`check_same_run`). While a run writes
into its folder it holds the folder's lock (``.lock``,
:mod:`bagan_lib.runtime.folder_lock`): a second command on the same folder is
refused at once, naming the first one's pid. Temporaries that a killed process
left (``.*.tmp``) are removed when the next run starts writing.
"""

from __future__ import annotations

import json
from pathlib import Path

from bagan_lib.errors import KitError
from bagan_lib.runtime.outputs import remove_temporaries


LAYOUT = {"config": "config.json", "metrics": "metrics.json", "loss_curves": "loss_curves.png",
          "checkpoints": "checkpoints", "gan": "checkpoints/gan.npz", "gan_previous": "checkpoints/gan.prev.npz",
          "autoencoder": "checkpoints/autoencoder.npz",
          "grids": "grids", "gif": "grids/training.gif"}


class RunFolder:
    """The paths of a run's files (``folder.gan``, ``folder.metrics``, ... as in :data:`LAYOUT`) and its rules."""

    def __init__(self, root):
        self.root = Path(root)
        for name, relative in LAYOUT.items():
            setattr(self, name, self.root / relative)

    def paths(self) -> dict[str, Path]:
        return {name: getattr(self, name) for name in LAYOUT}

    def read_config(self) -> dict:
        """The run's ``config.json``; a damaged one is a KitError (a resume rewrites it only after every check)."""
        fix = "restore it from a backup, or start the run again with --overwrite (overwrite=True)."
        try:
            payload = json.loads(self.config.read_text())
        except (OSError, ValueError) as exc:
            raise KitError(f"{self.config} is damaged or unreadable ({type(exc).__name__}: {exc}).", fix) from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("config"), dict):
            raise KitError(f"{self.config} is damaged: it holds no run configuration.", fix)
        return payload

    def existing_run(self) -> list[Path]:
        """The checkpoints of a run already in the folder."""
        return [p for p in (self.gan, self.gan_previous, self.autoencoder) if p.is_file()]

    def check_resumable(self) -> None:
        """Refuse ``--resume`` on a folder that holds nothing of a run (empty, missing or mistyped): the command
        line would otherwise start a new run there while the user believes an old one continues."""
        if not self.existing_run() and not self.config.is_file():
            what = "does not exist" if not self.root.exists() else "holds no training run (no config.json, no " \
                                                                    "checkpoints/)"
            raise KitError(f"Nothing to resume: {self.root} {what}.",
                           "check the folder's name, or drop --resume to start a new run there.")

    def check(self, *, resume: bool, overwrite: bool) -> None:
        """Refuse to start a new run over an existing one unless ``overwrite`` (changes nothing)."""
        existing = self.existing_run()
        if existing and not resume and not overwrite:
            raise KitError(f"{self.root} already holds a training run ({', '.join(p.name for p in existing)}).",
                           "pass resume=True (--resume) to continue it, overwrite=True (--overwrite) to delete "
                           "it and start again, or choose another out_dir (--out).")

    def prepare(self, *, resume: bool, overwrite: bool) -> None:
        """After :meth:`check` and every other check of the run: delete an old run's files if ``overwrite``,
        remove stale temporaries, and create the folder. Call it holding the folder's lock."""
        self.check(resume=resume, overwrite=overwrite)
        if overwrite:
            for path in [*self.existing_run(), self.metrics, self.loss_curves, self.gif,
                         *self.grids.glob("grid_epoch_*.png")]:
                path.unlink(missing_ok=True)
        for folder in (self.root, self.checkpoints, self.grids):
            remove_temporaries(folder)
        self.root.mkdir(parents=True, exist_ok=True)


RESUME_FIX = ("resume with the settings of that run, or start a new run in another folder (or with overwrite=True / "
              "--overwrite).")


def check_same_run(saved: dict, current: dict, path: Path, fix: str = RESUME_FIX) -> None:
    """Raise a KitError naming every setting in ``current`` that differs from what wrote ``path``."""
    current = json.loads(json.dumps(current))  # compare as stored: tuples become lists
    differ = [f"{k} {saved.get(k)!r} -> {v!r}" for k, v in current.items() if saved.get(k) != v]
    if differ:
        raise KitError(f"{path} was written with other settings: {'; '.join(differ)}.", fix)
