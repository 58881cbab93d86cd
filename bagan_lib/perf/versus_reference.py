"""``bench --versus-reference``: the kit's BAGAN-GP step against the reference design's, side by side.

Each contender runs in a process of its own, because TensorFlow reads its
settings (oneDNN) once, at import:

* ``reference``: :class:`bagan_lib.perf.reference_step.ReferenceStep` with
  TensorFlow's default settings as on the machines REFERENCE.md measured
  (``TF_ENABLE_ONEDNN_OPTS=0``; TensorFlow turns oneDNN on by itself only on
  CPUs with AVX-512 VNNI/BF16/AMX);
* ``reference+oneDNN`` (optional): the same step with ``TF_ENABLE_ONEDNN_OPTS=1``,
  to show what the kit's own changes add on top of oneDNN;
* ``kit``: the kit's BAGAN-GP v3 trainer step with its best settings on a CPU
  (:data:`KIT`, chosen by measurement).

Every worker (:mod:`bagan_lib.perf.versus_worker`) builds its step, warms it up
(tracing and compiling are not timed), then waits. The parent asks them for one timed step in turn,
A B A B ..., so a change in the machine's load hits both alike; the speed-up
is the ratio of each pair, and the table gives the median ratio. The machine's
two-thread NumPy sgemm throughput is measured in the same run, before and
after the pairs (the best of both), as the practical fp32 peak.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, replace

import pandas as pd

from bagan_lib.errors import KitError
from bagan_lib.perf.sizes import versus_sizes

PROTOCOL_PREFIX = "@bench "      # the lines of the worker protocol on stdout; anything else is ignored


@dataclass(frozen=True)
class Contender:
    """One way of running the step: which design, and the process settings it runs with."""

    name: str
    design: str                       # "reference" or "kit"
    onednn: bool
    xla: bool = False                 # kit: XLA on the critic update (AdversarialTrainer(jit_compile=True))
    inter_op_threads: int = 0         # 0: TensorFlow's default

    def environment(self) -> dict:
        env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="1" if self.onednn else "0", TF_CPP_MIN_LOG_LEVEL="3",
                   KERAS_BACKEND="tensorflow", PYTHONUNBUFFERED="1")
        env.pop("XLA_FLAGS", None)
        return env


REFERENCE = Contender("reference", "reference", onednn=False)
REFERENCE_ONEDNN = Contender("reference+oneDNN", "reference", onednn=True)
KIT = Contender("kit", "kit", onednn=True, xla=False)




class Worker:
    """A contender's process, driven line by line."""

    def __init__(self, contender: Contender, size):
        self.contender, self.size = contender, size
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.log, text=True, env=contender.environment())

    def command(self) -> list[str]:
        """The worker's command line: this module, with the contender and size as JSON."""
        spec = json.dumps({"contender": asdict(self.contender), "size": asdict(self.size)})
        return [sys.executable, "-m", "bagan_lib.perf.versus_worker", spec]

    def receive(self) -> dict:
        for line in self.process.stdout:
            if line.startswith(PROTOCOL_PREFIX):
                return json.loads(line[len(PROTOCOL_PREFIX):])
        self.process.wait()
        self.log.seek(0)
        tail = "".join(self.log.readlines()[-15:])
        raise RuntimeError(f"the {self.contender.name} worker stopped (exit {self.process.returncode}):\n{tail}")

    def time_step(self) -> dict:
        """One timed step: ``{"seconds": wall-clock, "cpu_seconds": CPU time of all its threads}``."""
        self.process.stdin.write("run\n")
        self.process.stdin.flush()
        return self.receive()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def measure_sgemm(n: int = 2048, repeats: int = 5, threads: int = 2) -> float:
    """Best GFLOP/s of an n x n float32 NumPy matrix product on ``threads`` threads (own process)."""
    code = ("import numpy as np, time\n"
            f"a = np.random.default_rng(0).standard_normal(({n}, {n}), dtype=np.float32); b = a.T.copy()\n"
            "a @ b\nbest = 0.0\n"
            f"for _ in range({repeats}):\n"
            "    t = time.perf_counter(); a @ b; best = max(best, 1 / (time.perf_counter() - t))\n"
            f"print(2 * {n} ** 3 * best / 1e9)\n")
    env = dict(os.environ, **{k: str(threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                        "MKL_NUM_THREADS")})
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def pair_ratios(baseline_seconds, kit_seconds) -> list[float]:
    """Speed-up of each pair: baseline time over kit time (> 1: the kit is faster)."""
    if len(baseline_seconds) != len(kit_seconds) or not kit_seconds:
        raise KitError("The baseline and the kit need the same number (>= 1) of timed steps.",
                       "time them in pairs.")
    return [b / k for b, k in zip(baseline_seconds, kit_seconds)]


def compare(size, contenders, *, pairs: int = 5, progress=None) -> dict:
    """Time ``contenders`` in alternation at ``size`` (a :class:`bagan_lib.perf.sizes.BenchSize`).

    Returns ``{name: {"gflop", "onednn", "seconds": [...], "cpu_seconds": [...]}}``, one entry per
    pair in the lists. CPU seconds (all threads) are less sensitive to other processes than wall-clock
    seconds, which are what the speed-ups use.
    """
    say = progress or (lambda message: None)
    workers = []
    try:
        say(f"versus: {size.image_size}x{size.image_size}, batch {size.batch_size}: starting "
            + ", ".join(c.name for c in contenders) + " (build, trace, warm up; not timed)")
        for contender in contenders:  # their warm-ups overlap, but nothing is timed before all are ready
            workers.append(Worker(contender, size))
        result = {}
        for worker in workers:
            ready = worker.receive()
            result[worker.contender.name] = {"gflop": ready["gflop"], "onednn": ready["onednn"], "seconds": [],
                                             "cpu_seconds": []}
        for i in range(pairs):
            for worker in workers:
                timed = worker.time_step()
                for key in ("seconds", "cpu_seconds"):
                    result[worker.contender.name][key].append(timed[key])
            say(f"versus: pair {i + 1}/{pairs}: " + ", ".join(
                f"{name} {r['seconds'][-1]:.2f} s" for name, r in result.items()))
        return result
    finally:
        for worker in workers:
            worker.close()


def versus_rows(size, result: dict, sgemm_gflops: float) -> list[dict]:
    """Table rows of one size: each contender's median time, GFLOP/s, share of sgemm and speed-ups.

    ``GFLOP/step`` is the work each contender does (the kit's factored critic does less
    for the same mathematics); ``GFLOP/s`` and ``% of sgemm`` are achieved on that work.
    ``reference GFLOP/s`` divides the reference design's work by the contender's time:
    the throughput of the algorithm, comparable across contenders.
    """
    baselines = [name for name in (REFERENCE.name, REFERENCE_ONEDNN.name) if name in result]
    nominal = next((result[name]["gflop"] for name in baselines), None)
    rows = []
    for name, r in result.items():
        median = statistics.median(r["seconds"])
        row = {"image": f"{size.image_size}x{size.image_size}x{size.channels}", "batch": size.batch_size,
               "width": size.width, "critic steps": size.critic_steps, "contender": name, "GFLOP/step": round(r["gflop"], 1), "s/step": round(median, 3),
               "CPU s/step": round(statistics.median(r["cpu_seconds"]), 3),
               "GFLOP/s": round(r["gflop"] / median, 1),
               "% of sgemm": round(100 * r["gflop"] / median / sgemm_gflops, 1)}
        if nominal is not None:
            row["reference GFLOP/s"] = round(nominal / median, 1)
        for baseline in baselines:
            ratios = pair_ratios(result[baseline]["seconds"], r["seconds"])
            row[f"x {baseline}"] = round(statistics.median(ratios), 2)
            row[f"pairs x {baseline}"] = " ".join(f"{v:.2f}" for v in ratios)
        rows.append(row)
    return rows


def run_versus(sizes=None, *, pairs: int = 5, reference_onednn: str = "off", kit: Contender = KIT,
               progress=None):
    """The versus-reference table (pandas DataFrame) and the sgemm GFLOP/s measured in the same run."""

    if reference_onednn not in ("off", "on", "both"):
        raise KitError(f"reference_onednn={reference_onednn!r} is not a setting.", "use off, on or both.")
    if not isinstance(pairs, int) or pairs < 1:
        raise KitError(f"pairs={pairs!r} must be a whole number >= 1.", "pass e.g. --pairs 5.")
    baselines = {"off": [REFERENCE], "on": [REFERENCE_ONEDNN], "both": [REFERENCE, REFERENCE_ONEDNN]}
    say = progress or (lambda message: None)
    say("versus: measuring the two-thread NumPy sgemm")
    sgemm = [measure_sgemm()]
    rows = []
    for size in sizes or versus_sizes():
        result = compare(size, baselines[reference_onednn] + [kit], pairs=pairs, progress=progress)
        rows.append((size, result))
    sgemm.append(measure_sgemm())
    say(f"versus: sgemm {sgemm[0]:.0f} GFLOP/s before, {sgemm[1]:.0f} after")
    table = pd.DataFrame([row for size, result in rows for row in versus_rows(size, result, max(sgemm))])
    return table, max(sgemm)


def with_settings(contender: Contender, **changes) -> Contender:
    """A contender with some settings changed (e.g. ``xla=True``), renamed to say so."""
    label = ",".join(f"{k}={v}" for k, v in changes.items())
    return replace(contender, name=f"{contender.name}[{label}]", **changes)
