"""Where the time of one step goes: TensorFlow's profiler, summed per op type, beside the FLOPs of each type.

``python -m bagan_lib bench --ops`` prints this for the kit's BAGAN-GP step and
the reference design's. The profiler records every kernel an executor thread
runs (``name:Type`` events in the trace); this module sums their durations per
type. With oneDNN the kernels are renamed (``_MklNativeFusedConv2D`` is a
``Conv2D`` fused with its bias and activation, ``..BackpropFilterWithBias`` also
computes the bias gradient), so types are mapped back to the graph's op types
that :mod:`bagan_lib.perf.flops` counts, and GFLOP/s per type is work over time.

Kernels of the two executor threads can overlap, and the worker threads of a
kernel are inside its span, so the summed times can exceed the step's wall
time: read the shares, not the sum.
"""

from __future__ import annotations

import glob
import re
import tempfile
import time

import pandas as pd
import tensorflow as tf
from tensorflow.tsl.profiler.protobuf import xplane_pb2

from bagan_lib.perf.flops import function_flops
from bagan_lib.perf.step_timing import finish
from bagan_lib.perf.versus_reference import KIT, REFERENCE_ONEDNN
from bagan_lib.perf.versus_worker import step_function

KERNEL_PREFIX = re.compile(r"^(_MklNative|_Mkl|_)?(Fused)?")


def graph_op_type(kernel_type: str) -> str:
    """The graph op type behind a kernel name: ``_MklNativeFusedConv2D`` -> ``Conv2D``."""
    base = KERNEL_PREFIX.sub("", kernel_type)
    return base[: -len("WithBias")] if base.endswith("WithBias") else base


def kernel_times(xspace) -> dict:
    """``{op type: (calls, seconds)}`` summed over the executor threads' kernel events of a profile."""
    totals = {}
    for plane in xspace.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if ":" not in name or "::" in name:
                    continue  # executor bookkeeping, not a kernel
                op_type = graph_op_type(name.rsplit(":", 1)[1])
                calls, seconds = totals.get(op_type, (0, 0.0))
                totals[op_type] = (calls + 1, seconds + event.duration_ps * 1e-12)
    return totals


def profile_function(function, *args, logdir: str | None = None):
    """Run ``function(*args)`` (traced and warmed up by the caller) once under the profiler.

    Returns ``(kernel_times, wall seconds)``.
    """
    logdir = logdir or tempfile.mkdtemp(prefix="bagan_ops_")
    tf.profiler.experimental.start(logdir)
    try:
        start = time.perf_counter()
        finish(function(*args))
        wall = time.perf_counter() - start
    finally:
        tf.profiler.experimental.stop()
    paths = sorted(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True))
    space = xplane_pb2.XSpace()
    with open(paths[-1], "rb") as handle:
        space.ParseFromString(handle.read())
    return kernel_times(space), wall


def op_table(times: dict, flops_by_op: dict, *, top: int = 12):
    """One row per op type, slowest first: calls, ms, share of kernel time, GFLOP, GFLOP/s; the rest summed."""
    total = sum(seconds for _, seconds in times.values()) or 1.0
    rows = []
    for op_type, (calls, seconds) in sorted(times.items(), key=lambda kv: -kv[1][1]):
        gflop = flops_by_op.get(op_type, 0.0) / 1e9
        rows.append({"op": op_type, "calls": calls, "ms": 1000 * seconds, "% of kernel time": 100 * seconds / total,
                     "GFLOP": gflop, "GFLOP/s": gflop / seconds if gflop and seconds else float("nan")})
    table = pd.DataFrame(rows)
    if len(table) > top:
        rest = table.iloc[top:]
        other = {"op": f"({len(rest)} other types)", "calls": int(rest["calls"].sum()), "ms": rest["ms"].sum(),
                 "% of kernel time": rest["% of kernel time"].sum(), "GFLOP": rest["GFLOP"].sum(),
                 "GFLOP/s": float("nan")}
        table = pd.concat([table.iloc[:top], pd.DataFrame([other])], ignore_index=True)
    return table.round({"ms": 1, "% of kernel time": 1, "GFLOP": 2, "GFLOP/s": 1})


def profile_steps(size, *, progress=None) -> dict:
    """``{"kit": table, "reference": table}`` for one step at ``size`` (a ``BenchSize``), in this process."""
    say = progress or (lambda message: None)
    tables = {}
    for contender in (KIT, REFERENCE_ONEDNN):
        say(f"ops: {contender.design} step at {size.image_size}x{size.image_size}, batch {size.batch_size}")
        function, args = step_function(contender, size)
        for _ in range(2):
            finish(function(*args))  # trace and warm up outside the profile
        times, wall = profile_function(function, *args)
        table = op_table(times, function_flops(function, *args).by_op)
        table.attrs["wall_s"] = wall
        tables[contender.design] = table
    return tables
