"""``python -m bagan_lib bench``: how fast one training step is, measured, per model and profile.

For every model, profile, XLA setting and precision policy (``--precision``:
``float32`` by default, ``mixed_bfloat16``, ``mixed_float16``) it builds the model with random
weights (an untrained autoencoder where the recipe needs one: a step costs the
same whatever the weights), feeds one random batch held in memory (so input
never waits), and times three ``tf.function`` s separately:

* one **critic step** (fakes, penalty, update: ``AdversarialTrainer.critic_step``),
* one **generator step** (``AdversarialTrainer.generator_step``),
* the full **training step** ``fit`` runs per batch: ``critic_steps`` critic
  steps and one generator step (``AdversarialTrainer.train_step``).

Tracing and XLA compilation happen in warm-up calls that are not timed; the
table gives the median over ``repeats`` timed calls and the spread
``(max - min) / (2 * median)`` in percent. Images per second are real images
consumed per second of training step (batch / step time). Floating-point
operations are counted on each traced function's graph by
:mod:`bagan_lib.perf.flops`; GFLOP/s is the step's count over its median time.
XLA fuses elementwise ops but does not change the convolutions and matrix
products that make up the count, so both XLA settings report the same work.

The sizes and options are in :mod:`bagan_lib.perf.sizes`, the timing in
:mod:`bagan_lib.perf.step_timing`, the command in :mod:`bagan_lib.perf.command`;
``--versus-reference`` times the kit's step against the reference design's
instead: :mod:`bagan_lib.perf.versus_reference`.
"""

from __future__ import annotations

import pandas as pd

from bagan_lib.perf.flops import function_flops
from bagan_lib.perf.sizes import DEFAULT_MODELS, DEFAULT_PROFILES, XLA_MODES, BenchSize, bench_cases
from bagan_lib.perf.step_timing import build_bench_trainer, random_batch, step_functions, time_calls
from bagan_lib.runtime.devices import precision_policy

COLUMNS = ("model", "profile", "image", "batch", "critic steps", "XLA", "precision",
           "critic ms", "critic ±%", "generator ms", "generator ±%", "step ms", "step ±%", "images/s",
           "critic GFLOP", "generator GFLOP", "step GFLOP", "GFLOP/s")


def bench_case(model: str, size: BenchSize, *, profile: str = "", xla: bool = False, repeats: int = 3,
               precision: str = "float32", progress=None) -> dict:
    """One row of the bench table: times, FLOPs and throughput of ``model`` at ``size`` (``profile``: a label),
    its networks built under the Keras policy ``precision``."""
    say = progress or (lambda message: None)
    with precision_policy(precision):
        trainer = build_bench_trainer(model, size, jit_compile=xla)
    x, y = random_batch(size)
    row = {"model": model, "profile": profile, "image": f"{size.image_size}x{size.image_size}x{size.channels}",
           "batch": size.batch_size, "critic steps": size.critic_steps, "XLA": "on" if xla else "off",
           "precision": precision}
    gflop = {}
    for part, (function, args) in step_functions(trainer, x, y).items():
        say(f"bench: {model} {profile} XLA {row['XLA']} {precision}: {part} (tracing, then {repeats} timed calls)")
        gflop[part] = function_flops(function, *args).total / 1e9
        timing = time_calls(function, *args, repeats=repeats)
        row[f"{part} ms"] = round(1000 * timing.median, 1)
        row[f"{part} ±%"] = round(timing.spread_percent, 1)
        if part == "step":
            row["images/s"] = round(size.batch_size / timing.median, 1)
            row["GFLOP/s"] = round(gflop[part] / timing.median, 1)
    for part in ("critic", "generator", "step"):
        row[f"{part} GFLOP"] = round(gflop[part], 3)
    return {column: row[column] for column in COLUMNS}


def run_bench(models=DEFAULT_MODELS, profiles=DEFAULT_PROFILES, *, xla: str = "both", repeats: int = 3,
              image_size: int | None = None, batch_size: int | None = None, width: float | None = None,
              channels: int = 1, precisions=("float32",), progress=None):
    """The bench table (a pandas DataFrame, columns :data:`COLUMNS`): one row per model, profile, XLA and precision.

    The precisions of one case are timed one after the other in the same
    process, so their ratio (e.g. bfloat16 against float32) compares like with like.
    """
    cases = bench_cases(models, profiles, xla=xla, repeats=repeats, image_size=image_size, batch_size=batch_size,
                        width=width, channels=channels, precisions=precisions)
    rows = [bench_case(model, size, profile=profile, xla=use_xla, repeats=repeats, precision=precision,
                       progress=progress)
            for model, profile, size in cases for use_xla in XLA_MODES[xla] for precision in precisions]
    return pd.DataFrame(rows, columns=list(COLUMNS))




def precision_ratios(table) -> list[str]:
    """One line per case and mixed precision: its step time as a ratio to the same case's float32 step."""
    case = ["model", "profile", "image", "batch", "XLA"]
    lines = []
    for key, rows in table.groupby(case, sort=False):
        reference = rows[rows["precision"] == "float32"]
        if reference.empty:
            continue
        for _, row in rows[rows["precision"] != "float32"].iterrows():
            ratio = row["step ms"] / reference["step ms"].iloc[0]
            lines.append(f"{row['precision']} / float32 step time: {ratio:.2f} ({', '.join(map(str, key))})")
    return lines
