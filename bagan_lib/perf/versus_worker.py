"""The worker process of ``bench --versus-reference``: builds one contender's step, then times it on request.

Run as ``python -m bagan_lib.perf.versus_worker SPEC`` by
:class:`bagan_lib.perf.versus_reference.Worker`, with the contender's settings
(oneDNN) in its environment before TensorFlow is imported.
"""

from __future__ import annotations

import json
import os
import sys
import time

import tensorflow as tf

from bagan_lib.perf.flops import function_flops
from bagan_lib.perf.reference_step import ReferenceStep, build_reference_networks
from bagan_lib.perf.sizes import BenchSize
from bagan_lib.perf.step_timing import build_bench_trainer, finish, random_batch
from bagan_lib.perf.versus_reference import PROTOCOL_PREFIX, Contender


def step_function(contender: Contender, size, seed: int = 0):
    """(the contender's one-step ``tf.function``, its arguments), built in this process."""
    x, y = random_batch(size, seed)
    if contender.design == "reference":
        generator, critic = build_reference_networks(image_size=size.image_size, channels=size.channels,
                                                     n_classes=size.n_classes, latent_dim=size.latent_dim,
                                                     width=size.width)
        baseline = ReferenceStep(generator, critic, latent_dim=size.latent_dim, n_classes=size.n_classes,
                                 critic_steps=size.critic_steps, seed=seed)
        return baseline.train_step, (x, y)
    trainer = build_bench_trainer("bagan_gp_v3", size, jit_compile=contender.xla, seed=seed)
    return tf.function(trainer.train_step), ((x, y),)


def build_step(contender: Contender, size, seed: int = 0):
    """(one-step callable, GFLOP per step) for a contender, in this process."""
    function, args = step_function(contender, size, seed)
    gflop = function_flops(function, *args).total / 1e9
    return (lambda: function(*args)), gflop


def serve(contender: Contender, size, warmup: int = 2) -> None:
    """The worker: build and warm up, say ``ready``, then time one step per ``run`` line on stdin."""
    if contender.inter_op_threads:
        tf.config.threading.set_inter_op_parallelism_threads(contender.inter_op_threads)
    start = time.perf_counter()
    step, gflop = build_step(contender, size)
    for _ in range(warmup):
        finish(step())
    _say({"ready": True, "gflop": gflop, "warmup_s": time.perf_counter() - start,
          "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS")})
    for line in sys.stdin:
        if line.strip() != "run":
            break
        start, cpu_start = time.perf_counter(), time.process_time()
        finish(step())
        _say({"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu_start})


def _say(message: dict) -> None:
    print(PROTOCOL_PREFIX + json.dumps(message), flush=True)


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    serve(Contender(**spec["contender"]), BenchSize(**spec["size"]))
