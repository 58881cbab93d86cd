"""Keras callbacks of a training run: stop on NaN, checkpoint, print progress, record history.

Order matters and :func:`bagan_lib.training.train_model` keeps it: the
:class:`DivergenceGuard` runs before the :class:`Checkpointer`, so a non-finite
state is never written and the last checkpoint on disk is the last good one.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras

from .checkpoints import save_state, trainer_state
from .errors import KitError


class TrainingDiverged(KitError):
    """A loss term became NaN or infinite."""


class StepCounter(keras.callbacks.Callback):
    """The global step and epoch of the run, kept across a resume (``start_step``)."""

    def __init__(self, start_step: int, steps_per_epoch: int):
        super().__init__()
        self.global_step, self.steps_per_epoch = int(start_step), int(steps_per_epoch)

    @property
    def epoch(self) -> int:
        return self.global_step // self.steps_per_epoch

    @property
    def step_in_epoch(self) -> int:
        return self.global_step % self.steps_per_epoch

    def on_train_batch_end(self, batch, logs=None):
        self.global_step += 1


class DivergenceGuard(keras.callbacks.Callback):
    """Raise :class:`TrainingDiverged` naming the step and term when a tracked loss is not finite.

    The logs are the epoch's running means, so the first non-finite mean marks the
    step that produced the non-finite value.
    """

    def __init__(self, counter: StepCounter, checkpoint_path: Path):
        super().__init__()
        self.counter, self.checkpoint_path = counter, Path(checkpoint_path)
        self.last_good: int | None = None

    def on_train_batch_end(self, batch, logs=None):
        bad = sorted(k for k, v in (logs or {}).items() if not math.isfinite(float(v)))
        if bad:
            step = self.counter.global_step  # the counter already counted this step
            kept = (f"The last good checkpoint ({self.checkpoint_path}, step {self.last_good}) is kept."
                    if self.last_good is not None else "No checkpoint was written before it.")
            raise TrainingDiverged(
                f"Training diverged at step {step} (epoch {(step - 1) // self.counter.steps_per_epoch + 1}, "
                f"batch {batch + 1}): {', '.join(f'{k}={float(logs[k])}' for k in bad)} is not finite. {kept}",
                "resume from the checkpoint with a lower learning rate, a larger gp_lambda, or another seed.")


class Checkpointer(keras.callbacks.Callback):
    """Write the full state (:mod:`bagan_lib.checkpoints`) every ``every`` steps and at every epoch end."""

    def __init__(self, path, counter: StepCounter, history: "HistoryRecorder", guard: DivergenceGuard,
                 every: int | None = None, extra_meta: dict | None = None):
        super().__init__()
        self.path, self.counter, self.history, self.guard = Path(path), counter, history, guard
        self.every, self.extra_meta = every, dict(extra_meta or {})

    def save(self):
        meta = {"global_step": self.counter.global_step, "epoch": self.counter.epoch,
                "step_in_epoch": self.counter.step_in_epoch, "history": self.history.epochs, **self.extra_meta}
        save_state(self.path, trainer_state(self.model), meta)
        self.guard.last_good = self.counter.global_step

    def on_train_batch_end(self, batch, logs=None):
        if self.every and self.counter.global_step % self.every == 0:
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        self.save()


class HistoryRecorder(keras.callbacks.Callback):
    """Every tracked term per epoch, as a list of dicts (``epoch`` 1-based, ``seconds``), across resumes."""

    def __init__(self, epochs: list | None = None):
        super().__init__()
        self.epochs = list(epochs or [])
        self._start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()},
               "seconds": round(time.perf_counter() - self._start, 3)}
        self.epochs = [r for r in self.epochs if r["epoch"] != epoch + 1] + [row]

    def series(self, name: str) -> list:
        return [r.get(name, float("nan")) for r in self.epochs]


class ProgressLog(keras.callbacks.Callback):
    """One plain line per epoch (and at most one every ``interval`` seconds inside long epochs).

    No carriage returns or progress bars, so the output reads the same in a
    notebook, a terminal and a papermill log.
    """

    def __init__(self, total_epochs: int, steps_per_epoch: int, counter: StepCounter, *, interval: float = 30.0,
                 label: str = "", print_fn=print):
        super().__init__()
        self.total_epochs, self.steps_per_epoch, self.counter = total_epochs, steps_per_epoch, counter
        self.interval, self.label, self.print = interval, f"{label} " if label else "", print_fn
        self._run_start = self._epoch_start = self._last_line = time.perf_counter()
        self._steps_done = 0

    @staticmethod
    def _terms(logs) -> str:
        return " ".join(f"{k} {float(v):.3f}" for k, v in (logs or {}).items())

    def on_train_begin(self, logs=None):
        self._run_start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._last_line = time.perf_counter()
        self._epoch_steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self._steps_done += 1
        self._epoch_steps += 1
        now = time.perf_counter()
        if now - self._last_line >= self.interval:
            self._last_line = now
            self.print(f"{self.label}epoch {self.counter.epoch + 1}/{self.total_epochs} "
                       f"step {self.counter.step_in_epoch}/{self.steps_per_epoch}: {self._terms(logs)}", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        seconds = now - self._epoch_start
        ms = 1000 * seconds / max(1, self._epoch_steps)
        per_step = (now - self._run_start) / max(1, self._steps_done)
        remaining = (self.total_epochs * self.steps_per_epoch - self.counter.global_step) * per_step
        self.print(f"{self.label}epoch {epoch + 1}/{self.total_epochs}: {self._terms(logs)} | {seconds:.1f} s, "
                   f"{ms:.0f} ms/step, about {remaining / 60:.1f} min left", flush=True)
