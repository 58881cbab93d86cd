"""``python -m bagan_lib bench``: the per-model table, ``--versus-reference`` or ``--ops``, printed and saved.

TensorFlow is configured (oneDNN on, quiet logs) before it is first imported, so
the modules that import it are imported inside the functions below, after that.
"""

from __future__ import annotations

import json
import os
import sys

from bagan_lib.errors import KitError
from bagan_lib.notebook_setup import configure_tensorflow_environment, silenced_native_stderr
from bagan_lib.perf.sizes import DEFAULT_MODELS, DEFAULT_PROFILES, bench_cases, versus_sizes
from bagan_lib.runtime.outputs import atomic_write_text, save_table


def stderr_progress(message: str) -> None:
    """Progress lines go to stderr, so stdout holds only the table."""
    print(message, file=sys.stderr, flush=True)


def run_command(*, models=DEFAULT_MODELS, profiles=None, xla: str = "both", repeats: int = 3,
                image_size: int | None = None, batch_size: int | None = None, width: float | None = None,
                channels: int = 1, versus_reference: bool = False, ops: bool = False, pairs: int = 5,
                reference_onednn: str = "both", precisions=("float32",), json_path=None, out=None) -> int:
    """The ``bench`` command: the table on stdout (Markdown), progress on stderr, ``json_path`` / ``out`` files."""
    dims = dict(image_size=image_size, batch_size=batch_size, width=width, channels=channels)
    if (ops or versus_reference) and tuple(precisions) != ("float32",):
        raise KitError("--precision times the per-model table; --versus-reference and --ops compare float32 steps.",
                       "leave --precision out with --versus-reference or --ops.")
    if ops:
        return run_ops_command(profiles=profiles, out=out, **dims)
    if versus_reference:
        from bagan_lib.perf.versus_reference import run_versus

        sizes = versus_sizes(profiles=profiles, **dims)
        table, sgemm = run_versus(sizes, pairs=pairs, reference_onednn=reference_onednn, progress=stderr_progress)
        name, note = "versus_reference", f"two-thread NumPy sgemm: {sgemm:.0f} GFLOP/s (best, before and after)"
    else:
        profiles = profiles or list(DEFAULT_PROFILES)
        bench_cases(models, profiles, xla=xla, repeats=repeats, precisions=precisions, **dims)
        configure_tensorflow_environment()  # oneDNN on, quiet logs: before TensorFlow is imported
        with silenced_native_stderr():
            import tensorflow as tf
        from bagan_lib.perf.bench import precision_ratios, run_bench

        table = run_bench(models, profiles, xla=xla, repeats=repeats, precisions=precisions, progress=stderr_progress,
                          **dims)
        onednn = "on" if os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "1" else "off"
        name, note = "bench", f"TensorFlow {tf.__version__}, oneDNN {onednn}, {os.cpu_count()} CPU cores"
        note = "\n".join([note, *precision_ratios(table)])
    print(table.to_markdown(index=False))
    print(f"\n{note}")
    if json_path:
        atomic_write_text(json_path, json.dumps({"note": note, "rows": table.to_dict("records")}, indent=1) + "\n")
    if out:
        save_table(table, out, name)
    return 0


def run_ops_command(*, profiles=None, out=None, **dims) -> int:
    """``bench --ops``: per-op profiles (Markdown on stdout; ``out``: ``ops_<design>_<size>.csv/.md``)."""
    sizes = versus_sizes(profiles=profiles, **dims)
    configure_tensorflow_environment()  # oneDNN on for both: the profile compares the designs, not the settings
    with silenced_native_stderr():
        from bagan_lib.perf.op_profile import profile_steps
    for size in sizes:
        for design, table in profile_steps(size, progress=stderr_progress).items():
            label = f"{size.image_size}x{size.image_size}x{size.channels}, batch {size.batch_size}"
            print(f"\n{design} step, {label}: {table.attrs['wall_s']:.2f} s wall (under the profiler)\n")
            print(table.to_markdown(index=False))
            if out:
                save_table(table, out, f"ops_{design}_{size.image_size}")
    return 0
