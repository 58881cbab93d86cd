"""``python -m bagan_lib bench``: how fast one training step is, measured, per model and profile.

For every model, profile and XLA setting it builds the model with random
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

``--versus-reference`` times the kit's step against the reference design's
instead: :mod:`bagan_lib.perf.versus_reference`.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass

from bagan_lib.errors import KitError
from bagan_lib.profiles import get_profile
from bagan_lib.models.recipes import MODEL_NAMES, get_recipe

DEFAULT_MODELS = ("bagan", "cdragan", "bagan_gp_v3")  # v1 costs what cdragan does, v2 what v3 does
DEFAULT_PROFILES = ("teach", "paper")
XLA_MODES = {"off": (False,), "on": (True,), "both": (False, True)}
N_CLASSES = 10  # Fashion-MNIST, CIFAR-10
NETWORK_SIZES = (32, 64, 128)  # bagan_lib.models.networks.encoder_filters
COLUMNS = ("model", "profile", "image", "batch", "critic steps", "XLA",
           "critic ms", "critic ±%", "generator ms", "generator ±%", "step ms", "step ±%", "images/s",
           "critic GFLOP", "generator GFLOP", "step GFLOP", "GFLOP/s")


@dataclass(frozen=True)
class BenchSize:
    """Everything that sets the cost of one step."""

    image_size: int
    channels: int
    batch_size: int
    width: float
    latent_dim: int
    critic_steps: int
    n_classes: int = N_CLASSES


def bench_size(model: str, profile: str, *, image_size: int | None = None, batch_size: int | None = None,
               width: float | None = None, channels: int = 1) -> BenchSize:
    """The step size of ``model`` at ``profile``: its image size, width, latent, batch and critic steps.

    BAGAN keeps its one critic step, as in training; the others take the profile's.
    """
    get_recipe(model)
    chosen = get_profile(profile, image_size=image_size, batch_size=batch_size, width=width)
    if channels not in (1, 3):
        raise KitError(f"channels={channels!r} is not an image format the kit trains on.", "use 1 or 3.")
    if chosen.image_size not in NETWORK_SIZES:
        raise KitError(f"image_size={chosen.image_size} is not a size the networks are built for.",
                       f"pass --image-size with one of {NETWORK_SIZES}.")
    return BenchSize(image_size=chosen.image_size, channels=channels,
                     batch_size=chosen.batch_size, width=chosen.width, latent_dim=chosen.latent_dim,
                     critic_steps=1 if model == "bagan" else chosen.critic_steps)


def build_bench_trainer(model: str, size: BenchSize, *, jit_compile: bool = False, seed: int = 0):
    """A compiled trainer for ``model`` at ``size`` with random weights, ready to time.

    Where the recipe pre-trains an autoencoder, an untrained one stands in; BAGAN's
    class-conditional latents are unit Gaussians. Neither changes the step's cost.
    """
    import numpy as np

    from bagan_lib.gan.class_latents import ClassGaussians
    from bagan_lib.models.builders import build_model, build_pretraining_network

    dims = dict(image_size=size.image_size, channels=size.channels, n_classes=size.n_classes,
                latent_dim=size.latent_dim, width=size.width)
    autoencoder = build_pretraining_network(model, **dims)
    class_latents = None
    if model == "bagan":
        eye = np.eye(size.latent_dim, dtype="float32")
        class_latents = ClassGaussians(np.zeros((size.n_classes, size.latent_dim), "float32"),
                                       np.repeat(eye[None], size.n_classes, axis=0), np.full(size.n_classes, 2))
    trainer = build_model(model, autoencoder=autoencoder, class_latents=class_latents,
                          critic_steps=size.critic_steps, jit_compile=jit_compile, seed=seed, **dims)
    trainer.compile()
    return trainer


def random_batch(size: BenchSize, seed: int = 0):
    """One batch of random images in [-1, 1] and random int32 labels, as tensors."""
    import tensorflow as tf

    x = tf.random.stateless_uniform((size.batch_size, size.image_size, size.image_size, size.channels),
                                    (seed, 0), -1.0, 1.0)
    y = tf.random.stateless_uniform((size.batch_size,), (seed, 1), 0, size.n_classes, dtype=tf.int32)
    return x, y


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the median and the range of the timed calls."""

    median: float
    low: float
    high: float

    @property
    def spread_percent(self) -> float:
        return 100.0 * (self.high - self.low) / (2.0 * self.median) if self.median > 0 else 0.0


def finish(outputs):
    """Wait for a call's results (copies them to NumPy), so its time is all in the measurement."""
    import tensorflow as tf

    return tf.nest.map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, outputs)


def time_calls(function, *args, repeats: int = 3, warmup: int = 1) -> Timing:
    """Call ``function(*args)`` ``warmup`` times untimed (tracing, compiling), then ``repeats`` times timed."""
    if repeats < 1 or warmup < 0:
        raise KitError(f"repeats={repeats}, warmup={warmup}: need repeats >= 1 and warmup >= 0.",
                       "pass e.g. repeats=3.")
    for _ in range(warmup):
        finish(function(*args))
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        finish(function(*args))
        seconds.append(time.perf_counter() - start)
    return Timing(statistics.median(seconds), min(seconds), max(seconds))


def step_functions(trainer, x, y) -> dict:
    """``{"critic", "generator", "step"}`` -> (tf.function, its arguments) for one batch."""
    import tensorflow as tf

    batch = int(x.shape[0])
    return {"critic": (tf.function(trainer.critic_step), (x, y)),
            "generator": (tf.function(lambda labels: trainer.generator_step(batch, labels)), (y,)),
            "step": (tf.function(trainer.train_step), ((x, y),))}


def bench_case(model: str, size: BenchSize, *, profile: str = "", xla: bool = False, repeats: int = 3,
               progress=None) -> dict:
    """One row of the bench table: times, FLOPs and throughput of ``model`` at ``size`` (``profile``: a label)."""
    from bagan_lib.perf.flops import function_flops

    say = progress or (lambda message: None)
    trainer = build_bench_trainer(model, size, jit_compile=xla)
    x, y = random_batch(size)
    row = {"model": model, "profile": profile, "image": f"{size.image_size}x{size.image_size}x{size.channels}",
           "batch": size.batch_size, "critic steps": size.critic_steps, "XLA": "on" if xla else "off"}
    gflop = {}
    for part, (function, args) in step_functions(trainer, x, y).items():
        say(f"bench: {model} {profile} XLA {row['XLA']}: {part} (tracing, then {repeats} timed calls)")
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


def check_options(models, profiles, xla: str, repeats: int) -> None:
    """Fail fast (before TensorFlow is imported) on unknown models, profiles or settings."""
    from bagan_lib.profiles import PROFILES

    for model in models:
        if model not in MODEL_NAMES:
            raise KitError(f"Unknown model {model!r}.", f"choose from {', '.join(MODEL_NAMES)}.")
    for profile in profiles:
        if profile not in PROFILES:
            raise KitError(f"Unknown profile {profile!r}.", f"choose from {', '.join(PROFILES)}.")
    if xla not in XLA_MODES:
        raise KitError(f"xla={xla!r} is not a setting.", f"use one of {', '.join(XLA_MODES)}.")
    if not isinstance(repeats, int) or repeats < 1:
        raise KitError(f"repeats={repeats!r} must be a whole number >= 1.", "pass e.g. --repeats 3.")


def bench_cases(models, profiles, *, xla: str = "both", repeats: int = 3, **dims) -> list:
    """``(model, profile, BenchSize)`` per case, every option checked (fails before TensorFlow is imported)."""
    check_options(models, profiles, xla, repeats)
    return [(model, profile, bench_size(model, profile, **dims)) for profile in profiles for model in models]


def run_bench(models=DEFAULT_MODELS, profiles=DEFAULT_PROFILES, *, xla: str = "both", repeats: int = 3,
              image_size: int | None = None, batch_size: int | None = None, width: float | None = None,
              channels: int = 1, progress=None):
    """The bench table (a pandas DataFrame, columns :data:`COLUMNS`): one row per model, profile and XLA."""
    import pandas as pd

    cases = bench_cases(models, profiles, xla=xla, repeats=repeats, image_size=image_size, batch_size=batch_size,
                        width=width, channels=channels)
    rows = [bench_case(model, size, profile=profile, xla=use_xla, repeats=repeats, progress=progress)
            for model, profile, size in cases for use_xla in XLA_MODES[xla]]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def stderr_progress(message: str) -> None:
    """Progress lines go to stderr, so stdout holds only the table."""
    print(message, file=sys.stderr, flush=True)


def run_command(args) -> int:
    """The ``bench`` command: the table on stdout (Markdown), progress on stderr, ``--json`` / ``--out`` files."""
    import json
    import os

    from bagan_lib.runtime.outputs import atomic_write_text, save_table

    if args.ops:
        return run_ops_command(args)
    if args.versus_reference:
        from bagan_lib.perf.versus_reference import run_versus, versus_sizes

        sizes = versus_sizes(image_size=args.image_size, batch_size=args.batch_size, width=args.width,
                             channels=args.channels, profiles=args.profiles)
        table, sgemm = run_versus(sizes, pairs=args.pairs, reference_onednn=args.reference_onednn,
                                  progress=stderr_progress)
        name, note = "versus_reference", f"two-thread NumPy sgemm: {sgemm:.0f} GFLOP/s (best, before and after)"
    else:
        from bagan_lib.notebook_setup import configure_tensorflow_environment, silenced_native_stderr

        args.profiles = args.profiles or list(DEFAULT_PROFILES)

        bench_cases(args.models, args.profiles, xla=args.xla, repeats=args.repeats, image_size=args.image_size,
                    batch_size=args.batch_size, width=args.width, channels=args.channels)
        configure_tensorflow_environment()  # oneDNN on, quiet logs: before TensorFlow is imported
        with silenced_native_stderr():
            import tensorflow as tf
        table = run_bench(args.models, args.profiles, xla=args.xla, repeats=args.repeats, image_size=args.image_size,
                          batch_size=args.batch_size, width=args.width, channels=args.channels,
                          progress=stderr_progress)
        onednn = "on" if os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "1" else "off"
        name, note = "bench", f"TensorFlow {tf.__version__}, oneDNN {onednn}, {os.cpu_count()} CPU cores"
    print(table.to_markdown(index=False))
    print(f"\n{note}")
    if args.json:
        atomic_write_text(args.json, json.dumps({"note": note, "rows": table.to_dict("records")}, indent=1) + "\n")
    if args.out:
        save_table(table, args.out, name)
    return 0


def run_ops_command(args) -> int:
    """``bench --ops``: per-op profiles (Markdown on stdout; ``--out``: ``ops_<design>_<size>.csv/.md``)."""
    from bagan_lib.notebook_setup import configure_tensorflow_environment, silenced_native_stderr
    from bagan_lib.perf.op_profile import profile_steps
    from bagan_lib.runtime.outputs import save_table
    from bagan_lib.perf.versus_reference import versus_sizes

    sizes = versus_sizes(image_size=args.image_size, batch_size=args.batch_size, width=args.width,
                         channels=args.channels, profiles=args.profiles)
    configure_tensorflow_environment()  # oneDNN on for both: the profile compares the designs, not the settings
    with silenced_native_stderr():
        import tensorflow  # noqa: F401
    for size in sizes:
        for design, table in profile_steps(size, progress=stderr_progress).items():
            label = f"{size.image_size}x{size.image_size}x{size.channels}, batch {size.batch_size}"
            print(f"\n{design} step, {label}: {table.attrs['wall_s']:.2f} s wall (under the profiler)\n")
            print(table.to_markdown(index=False))
            if args.out:
                save_table(table, args.out, f"ops_{design}_{size.image_size}")
    return 0
