"""Keras callbacks of a training run: count steps, stop on NaN, checkpoint, record history, print progress.

:func:`bagan_lib.training.run.train_model` passes them in this order, which matters:
the :class:`DivergenceGuard` runs before the :class:`Checkpointer`, so a step
with a non-finite loss is never written, and the checkpointer itself refuses a
state with non-finite weights; the checkpoint on disk is always the last good one.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras

from bagan_lib.runtime.checkpoints import NonFiniteStateError, save_state, trainer_state
from bagan_lib.errors import KitError
from bagan_lib.figures.training import TERM_LABELS

DIVERGED_FIX = ("resume from it (resume=True, or --resume) with a lower learning_rate (--lr) or gp_lambda "
                "(--gp-lambda).")


class TrainingDiverged(KitError):
    """A loss term or a weight became NaN or infinite."""


class RealShareSchedule(keras.callbacks.Callback):
    """AC-GAN's real share of a critic batch, set at every epoch's start; the step is retraced when it changes.

    The share is a Python number in the traced step (so the critic batch keeps
    static shapes); a change needs a new train function, made here before the
    epoch's first step. Resumed runs get the share of the epoch they resume in.
    """

    def on_epoch_begin(self, epoch, logs=None):
        if self.model.set_epoch(epoch):
            self.model.make_train_function(force=True)


class StepCounter(keras.callbacks.Callback):
    """The global step (steps done so far) and epoch of the run, kept across a resume (``start_step``)."""

    def __init__(self, start_step: int, steps_per_epoch: int):
        super().__init__()
        self.global_step, self.steps_per_epoch = int(start_step), int(steps_per_epoch)

    @property
    def epoch(self) -> int:
        """Whole epochs done."""
        return self.global_step // self.steps_per_epoch

    @property
    def step_in_epoch(self) -> int:
        """Steps done in the current epoch."""
        return self.global_step % self.steps_per_epoch

    def where(self, step: int | None = None) -> str:
        """``"step 7 (epoch 3, step 1 of 3)"`` for the ``step``-th step (default: the last one done)."""
        step = self.global_step if step is None else step
        return (f"step {step} (epoch {(step - 1) // self.steps_per_epoch + 1}, step "
                f"{(step - 1) % self.steps_per_epoch + 1} of {self.steps_per_epoch})")

    def on_train_batch_end(self, batch, logs=None):
        self.global_step += 1


class DivergenceGuard(keras.callbacks.Callback):
    """Raise :class:`TrainingDiverged` naming the step and the term(s) when a tracked loss is not finite.

    The logs are the epoch's running means: they stay finite until a step
    produces a non-finite value, so the first non-finite mean names that step.
    """

    def __init__(self, counter: StepCounter, checkpoint_path, last_good: int | None = None):
        super().__init__()
        self.counter, self.checkpoint_path, self.last_good = counter, Path(checkpoint_path), last_good

    def kept(self) -> str:
        if self.last_good is None:
            return "No checkpoint had been written yet."
        return f"The last good checkpoint, step {self.last_good} in {self.checkpoint_path}, is kept."

    def on_train_batch_end(self, batch, logs=None):
        bad = [k for k, v in (logs or {}).items() if not math.isfinite(float(v))]
        if bad:
            terms = ", ".join(f"{k}={float(logs[k])}" for k in bad)
            raise TrainingDiverged(f"Training diverged at {self.counter.where()}: the loss term(s) {terms} "
                                   f"are not finite. {self.kept()}", DIVERGED_FIX)


class Checkpointer(keras.callbacks.Callback):
    """Write the full state (:mod:`bagan_lib.runtime.checkpoints`) every ``every`` steps and at every epoch end.

    ``meta`` and ``constants`` are saved with every checkpoint (the run's
    settings, BAGAN's class Gaussians). A state with non-finite weights is not
    written: :class:`TrainingDiverged` is raised instead. The checkpoint being
    replaced is kept as ``gan.prev.npz`` (the fallback if the newest is ever
    damaged); ``keep_previous=False`` skips that once, for a file known to be
    damaged (a resume that fell back from it).
    """

    def __init__(self, path, counter: StepCounter, history: "HistoryRecorder", guard: DivergenceGuard, *,
                 every: int | None = None, meta: dict | None = None, constants: dict | None = None,
                 keep_previous: bool = True):
        super().__init__()
        self.path, self.counter, self.history, self.guard = Path(path), counter, history, guard
        self.every, self.meta, self.constants = every, dict(meta or {}), constants
        self.keep_previous = keep_previous

    def save(self):
        meta = {**self.meta, "global_step": self.counter.global_step, "epoch": self.counter.epoch,
                "step_in_epoch": self.counter.step_in_epoch, "history": self.history.epochs}
        try:
            save_state(self.path, trainer_state(self.model), meta, constants=self.constants,
                       keep_previous=self.keep_previous)
        except NonFiniteStateError as exc:
            names = ", ".join(exc.variables[:4]) + (" ..." if len(exc.variables) > 4 else "")
            raise TrainingDiverged(f"Training diverged at {self.counter.where()}: the losses were finite but the "
                                   f"update made {names} NaN or infinite. {self.guard.kept()}", DIVERGED_FIX) from exc
        self.guard.last_good = self.counter.global_step
        self.keep_previous = True  # what this run wrote is good

    def on_train_batch_end(self, batch, logs=None):
        # The last step of an epoch is saved by on_epoch_end, with the epoch's history row.
        if self.every and self.counter.global_step % self.every == 0 and self.counter.step_in_epoch:
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        self.save()


class RestoreEpochMeans(keras.callbacks.Callback):
    """Put the loss trackers' running sums of an interrupted epoch back after ``fit`` resets them.

    ``fit`` zeroes every tracker at the start of an epoch; the checkpoint holds
    their sums from the steps before the interruption. Assigning them again at the
    first epoch start makes the resumed epoch's means cover all of its steps,
    exactly as in an uninterrupted run.
    """

    def __init__(self, trainer):
        super().__init__()
        self.saved = [(v, v.numpy()) for metric in trainer.metrics for v in metric.variables]

    def on_epoch_begin(self, epoch, logs=None):
        for variable, value in self.saved:
            variable.assign(value)
        self.saved = []


class HistoryRecorder(keras.callbacks.Callback):
    """Every tracked term per epoch as a list of dicts (``epoch`` 1-based, ``seconds``), kept across resumes.

    ``seconds`` of an epoch that was interrupted counts only the time after the resume.
    """

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


class ProgressLog(keras.callbacks.Callback):
    """One plain line per epoch, and inside long epochs at most one line every ``interval`` seconds.

    No carriage returns or progress bars, so the output reads the same in a
    notebook, a terminal and a papermill log. The time left is estimated from the
    current epoch's seconds per step.
    """

    def __init__(self, total_epochs: int, counter: StepCounter, *, interval: float = 30.0, label: str = "",
                 print_fn=print, clock=time.perf_counter):
        super().__init__()
        self.total_epochs, self.counter, self.interval = total_epochs, counter, interval
        self.label, self.print, self.clock = f"{label} " if label else "", print_fn, clock
        self._epoch_start = self._last_line = clock()
        self._epoch_steps = 0

    @staticmethod
    def _terms(logs) -> str:
        logs = logs or {}
        names = [k for k in TERM_LABELS if k in logs] + sorted(set(logs) - set(TERM_LABELS))
        return " ".join(f"{k} {float(logs[k]):.4g}" for k in names)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._last_line = self.clock()
        self._epoch_steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self._epoch_steps += 1
        now = self.clock()
        if now - self._last_line >= self.interval and self.counter.step_in_epoch:  # the epoch's end has its line
            self._last_line = now
            self.print(f"{self.label}epoch {self.counter.epoch + 1}/{self.total_epochs} step "
                       f"{self.counter.step_in_epoch}/{self.counter.steps_per_epoch}: {self._terms(logs)} | "
                       f"{now - self._epoch_start:.0f} s", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        seconds = self.clock() - self._epoch_start
        per_step = seconds / max(1, self._epoch_steps)
        left = (self.total_epochs * self.counter.steps_per_epoch - self.counter.global_step) * per_step
        self.print(f"{self.label}epoch {epoch + 1}/{self.total_epochs}: {self._terms(logs)} | {seconds:.1f} s, "
                   f"{1000 * per_step:.0f} ms/step, about {left / 60:.1f} min left", flush=True)
