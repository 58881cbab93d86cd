"""Lanes of the main job: how many notebooks run side by side, and the threads each one's kernel may use.

On a CPU the notebooks' training steps are small convolutions that one thread
runs almost as fast as two, so two notebooks on one thread each finish sooner
than the same two one after the other on two threads. ``lanes`` notebooks run
at once; each kernel gets ``cores // lanes`` threads for TensorFlow's
intra-op pool and for BLAS/OpenMP (the environment variables both read when
they start), one inter-op thread, and the job records both in ``run.json``.

A notebook that reads other notebooks' training runs (08 reads 04's and 06's,
``runs_dir``) starts once those have finished; the others start in notebook
order as a lane frees. On a machine with a GPU the default is one lane (the
notebooks would share the device).
"""

from __future__ import annotations

import contextlib
import os
import shutil

from bagan_lib.errors import KitError

# The variables a kernel's libraries read once, when they load: TensorFlow's pools and the BLAS/OpenMP threads.
THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
INTEROP_VARIABLE = "TF_NUM_INTEROP_THREADS"
MAX_AUTO_LANES = 2  # more lanes than this buy little (notebook 08 waits for 04 and 06) and multiply memory


def cores() -> int:
    """The CPU cores this process may use (its affinity, e.g. under ``taskset``; else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def has_gpu() -> bool:
    """An NVIDIA driver is installed and CUDA_VISIBLE_DEVICES does not hide every device (no TensorFlow import)."""
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES") in ("", "-1")
    return shutil.which("nvidia-smi") is not None and not hidden


def resolve_lanes(lanes: int | None) -> int:
    """``lanes`` checked, or the default: one on a GPU machine or a single core, else up to two."""
    if lanes is None:
        return 1 if has_gpu() else max(1, min(MAX_AUTO_LANES, cores()))
    if isinstance(lanes, bool) or not isinstance(lanes, int) or lanes < 1:
        raise KitError(f"lanes={lanes!r}: the number of notebooks run side by side must be a whole number >= 1.",
                       "pass --lanes 1 (one after the other) or --lanes 2 (two at once, each on half the cores).")
    return lanes


def threads_per_lane(lanes: int) -> int:
    return max(1, cores() // lanes)


@contextlib.contextmanager
def kernel_threads(lanes: int):
    """While the job runs, the kernels it starts use ``threads_per_lane(lanes)`` threads; yields the settings.

    Only with more than one lane, and never over a value the user set: that one is kept (and recorded).
    """
    if lanes == 1:
        yield {"lanes": 1, "threads": None}
        return
    threads = threads_per_lane(lanes)
    wanted = {**dict.fromkeys(THREAD_VARIABLES, str(threads)), INTEROP_VARIABLE: "1"}
    added = {name: value for name, value in wanted.items() if name not in os.environ}
    os.environ.update(added)
    try:
        yield {"lanes": lanes, "threads": int(os.environ["TF_NUM_INTRAOP_THREADS"]) if
               os.environ["TF_NUM_INTRAOP_THREADS"].isdigit() else os.environ["TF_NUM_INTRAOP_THREADS"]}
    finally:
        for name in added:
            os.environ.pop(name, None)


def waits_for(name: str, declared: dict, planned: list[str], producing: tuple[str, ...]) -> list[str]:
    """The planned notebooks ``name`` must wait for: those whose training runs it reads (it declares
    ``runs_dir``), else none."""
    if "runs_dir" not in declared:
        return []
    return [other for other in planned if other in producing and other != name]
