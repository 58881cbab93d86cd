"""``python -m bagan_lib doctor``: what a GPU user runs first; one line and one verdict per check.

Verdicts: ``OK`` (works), ``WARN`` (works, but not as well as it could),
``SKIP`` (cannot be checked here, and why), ``FAIL`` (broken: the kit cannot
train this way here). The checks:

* ``devices``: the physical devices, and the logical ones the strategies use;
* ``build``: the TensorFlow build, with its CUDA and cuDNN versions where it was
  built with them (``tf.sysconfig.get_build_info()``); a CUDA build that sees
  no GPU is a WARN (driver or ``CUDA_VISIBLE_DEVICES``);
* ``oneDNN``: TensorFlow's oneDNN CPU kernels (a WARN when off on a CPU-only
  machine: the kit's steps are slower without them);
* ``step``: one smoke-size training step of BAGAN-GP v3 for every requested
  precision and strategy, through ``fit`` with the kit's distributed input, as
  ``train`` runs it: its time (the second of two steps; the first traces) and
  its ratio to the float32 step on one device; a FAIL names the error, and a
  step with a non-finite loss or weight fails.

The exit status is 1 when a line fails, else 0.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import keras
import numpy as np

from bagan_lib.data.batches import step_batches
from bagan_lib.errors import KitError
from bagan_lib.perf.sizes import bench_size
from bagan_lib.perf.step_timing import build_bench_trainer
from bagan_lib.runtime.devices import device_report, get_strategy, precision_policy

VERDICTS = ("OK", "WARN", "SKIP", "FAIL")
MODEL, PROFILE = "bagan_gp_v3", "smoke"


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    verdict: str
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.verdict:<5} {self.name:<46} {self.detail}"


def environment_checks(report: dict | None = None) -> list[Check]:
    """The devices, the build and oneDNN (``report``: :func:`bagan_lib.runtime.devices.device_report`)."""
    report = report or device_report()
    gpus = report["gpus"]
    devices = Check("OK", "devices", f"{', '.join(report['physical'])}; logical: {', '.join(report['logical'])}"
                    + ("" if gpus else " (no GPU: training runs on the CPU)"))
    if report["cuda_build"]:
        build = f"TensorFlow {report['tensorflow']}, Keras {report['keras']}, CUDA {report['cuda']}, cuDNN " \
                f"{report['cudnn']}"
        build_check = Check("OK" if gpus else "WARN", "build", build + ("" if gpus else
                            ": built for CUDA but sees no GPU (check the driver, nvidia-smi, CUDA_VISIBLE_DEVICES)"))
    else:
        build_check = Check("OK", "build", f"TensorFlow {report['tensorflow']}, Keras {report['keras']}, a CPU build "
                            "(no CUDA)" + (": the GPUs are not used; install tensorflow[and-cuda]" if gpus else ""))
        if gpus:
            build_check = Check("WARN", build_check.name, build_check.detail)
    if report["onednn"]:
        onednn = Check("OK", "oneDNN", f"on ({report['cpu_cores']} CPU cores)")
    else:
        onednn = Check("OK" if gpus else "WARN", "oneDNN", "off" + ("" if gpus else
                       ": CPU steps are slower (set TF_ENABLE_ONEDNN_OPTS=1 before TensorFlow starts)"))
    return [devices, build_check, onednn]


class _SecondStepTimer(keras.callbacks.Callback):
    """Seconds of the second training batch (the first one traces the step)."""

    def __init__(self):
        super().__init__()
        self.seconds, self._start = None, None

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if batch == 1:
            self.seconds = time.perf_counter() - self._start


def smoke_step(precision: str, distribute: str) -> tuple[float, dict]:
    """Two smoke-size BAGAN-GP v3 steps under ``precision`` and ``distribute``; (seconds of the second, its logs).

    Raises KitError when a loss or a weight is not finite.
    """
    size = bench_size(MODEL, PROFILE)
    strategy = get_strategy(distribute)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2 * size.batch_size, size.image_size, size.image_size, size.channels)).astype("float32")
    y = (np.arange(2 * size.batch_size) % size.n_classes).astype("int32")
    timer = _SecondStepTimer()
    keras.utils.set_random_seed(0)
    with precision_policy(precision), strategy.scope():
        trainer = build_bench_trainer(MODEL, size)
        batches = step_batches(x, y, batch_size=size.batch_size, steps_per_epoch=2, seed=0, start_step=0, end_step=2)
        logs = trainer.fit(batches, epochs=1, steps_per_epoch=2, verbose=0, shuffle=False, callbacks=[timer]).history
    logs = {name: float(values[-1]) for name, values in logs.items()}
    bad = [name for name, value in logs.items() if not np.isfinite(value)]
    bad += [v.path for v in trainer.weights if v.dtype.startswith("float") and not np.isfinite(v.numpy()).all()]
    if bad:
        raise KitError(f"the step made {', '.join(bad[:4])} NaN or infinite.", "report it with this output.")
    return timer.seconds, logs


def step_checks(precisions, distributions, *, step=smoke_step) -> list[Check]:
    """One line per (precision, distribution): the smoke step's verdict, time and ratio to float32 on one device."""
    checks, reference = [], None
    for distribute in distributions:
        for precision in precisions:
            name = f"step {MODEL} {PROFILE} {precision} {distribute}"
            try:
                replicas = get_strategy(distribute).num_replicas_in_sync
            except KitError as error:
                checks.append(Check("SKIP", name, error.problem))
                continue
            try:
                seconds, logs = step(precision, distribute)
            except Exception as error:  # noqa: BLE001  (the doctor reports every failure as a verdict)
                message = " ".join(str(error).split())
                checks.append(Check("FAIL", name, f"{type(error).__name__}: {message[:300]}"))
                continue
            if (precision, distribute) == ("float32", "none"):
                reference = seconds
            ratio = f", x{seconds / reference:.2f} the float32 step" if reference else ""
            checks.append(Check("OK", name, f"{1000 * seconds:.0f} ms on {replicas} replica(s){ratio}; d_loss "
                                f"{logs['d_loss']:.3f}, g_loss {logs['g_loss']:.3f}, all finite"))
    return checks


def run_doctor(precisions, distributions, *, print_fn=print) -> int:
    """Print every check's line and a summary; 1 when a check failed, else 0."""
    checks = environment_checks()
    for check in checks:
        print_fn(check.line(), flush=True)
    for check in step_checks(precisions, distributions):
        print_fn(check.line(), flush=True)
        checks.append(check)
    failed = [c for c in checks if c.verdict == "FAIL"]
    print_fn(f"{'FAIL' if failed else 'OK':<5} {'doctor':<46} {len(checks)} checks, {len(failed)} failed, "
             f"{sum(c.verdict == 'WARN' for c in checks)} warnings, {sum(c.verdict == 'SKIP' for c in checks)} "
             "skipped", flush=True)
    return 1 if failed else 0
