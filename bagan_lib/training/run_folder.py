"""The output folder of one training run: where each file goes, and when a run may write into it.

::

    config.json                   the resolved settings (profile values and overrides)
    metrics.json                  history per epoch (every loss term), timings, versions, the config
    loss_curves.png               the loss terms per epoch
    checkpoints/autoencoder.npz   the finished pre-trained autoencoder (or a copy of autoencoder_path),
                                  reused on resume, never retrained
    checkpoints/gan.npz           the full GAN state: every epoch end and every ``checkpoint_every`` steps
    grids/grid_epoch_NNN.png      the Eq. 16 sample grid after every epoch
    grids/training.gif            all grids as an animation

Nothing written is lost by accident: a new run refuses a folder that already
holds a run's checkpoints unless asked to continue it (``resume``) or to
delete it (``overwrite``). A resumed run must have the settings that fix the
data, the batches and the shapes (:func:`check_same_run`).
"""

from __future__ import annotations

import json
from pathlib import Path

from bagan_lib.errors import KitError


LAYOUT = {"config": "config.json", "metrics": "metrics.json", "loss_curves": "loss_curves.png",
          "checkpoints": "checkpoints", "gan": "checkpoints/gan.npz", "autoencoder": "checkpoints/autoencoder.npz",
          "grids": "grids", "gif": "grids/training.gif"}


class RunFolder:
    """The paths of a run's files (``folder.gan``, ``folder.metrics``, ... as in :data:`LAYOUT`) and its rules."""

    def __init__(self, root):
        self.root = Path(root)
        for name, relative in LAYOUT.items():
            setattr(self, name, self.root / relative)

    def paths(self) -> dict[str, Path]:
        return {name: getattr(self, name) for name in LAYOUT}

    def existing_run(self) -> list[Path]:
        """The checkpoints of a run already in the folder."""
        return [p for p in (self.gan, self.autoencoder) if p.is_file()]

    def check(self, *, resume: bool, overwrite: bool) -> None:
        """Refuse to start a new run over an existing one unless ``overwrite`` (changes nothing)."""
        existing = self.existing_run()
        if existing and not resume and not overwrite:
            raise KitError(f"{self.root} already holds a training run ({', '.join(p.name for p in existing)}).",
                           "pass resume=True (--resume) to continue it, overwrite=True (--overwrite) to delete "
                           "it and start again, or choose another out_dir (--out).")

    def prepare(self, *, resume: bool, overwrite: bool) -> None:
        """After :meth:`check`: delete an old run's files if ``overwrite``, and create the folder."""
        self.check(resume=resume, overwrite=overwrite)
        if overwrite:
            for path in [*self.existing_run(), self.metrics, self.loss_curves, self.gif,
                         *self.grids.glob("grid_epoch_*.png")]:
                path.unlink(missing_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)


RESUME_FIX = ("resume with the settings of that run, or start a new run in another folder (or with overwrite=True / "
              "--overwrite).")


def check_same_run(saved: dict, current: dict, path: Path, fix: str = RESUME_FIX) -> None:
    """Raise a KitError naming every setting in ``current`` that differs from what wrote ``path``."""
    current = json.loads(json.dumps(current))  # compare as stored: tuples become lists
    differ = [f"{k} {saved.get(k)!r} -> {v!r}" for k, v in current.items() if saved.get(k) != v]
    if differ:
        raise KitError(f"{path} was written with other settings: {'; '.join(differ)}.", fix)
