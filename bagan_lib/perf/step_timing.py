"""Timing one training step: a trainer with random weights, a random batch, and calls timed after warm-up."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from bagan_lib.errors import KitError
from bagan_lib.gan.class_latents import ClassGaussians
from bagan_lib.models.builders import build_model, build_pretraining_network
from bagan_lib.models.recipes import get_recipe
from bagan_lib.perf.sizes import BenchSize


def build_bench_trainer(model: str, size: BenchSize, *, jit_compile: bool = False, seed: int = 0):
    """A compiled trainer for ``model`` at ``size`` with random weights, ready to time.

    Where the recipe pre-trains an autoencoder, an untrained one stands in; BAGAN's
    class-conditional latents are unit Gaussians. Neither changes the step's cost.
    """
    dims = dict(image_size=size.image_size, channels=size.channels, n_classes=size.n_classes,
                latent_dim=size.latent_dim, width=size.width)
    autoencoder = build_pretraining_network(model, **dims)
    class_latents = None
    if get_recipe(model).latents == "class_gaussians":
        eye = np.eye(size.latent_dim, dtype="float32")
        class_latents = ClassGaussians(np.zeros((size.n_classes, size.latent_dim), "float32"),
                                       np.repeat(eye[None], size.n_classes, axis=0), np.full(size.n_classes, 2))
    trainer = build_model(model, autoencoder=autoencoder, class_latents=class_latents,
                          critic_steps=size.critic_steps, jit_compile=jit_compile, seed=seed, **dims)
    trainer.compile()
    return trainer


def random_batch(size: BenchSize, seed: int = 0):
    """One batch of random images in [-1, 1] and random int32 labels, as tensors."""
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
    batch = int(x.shape[0])
    return {"critic": (tf.function(trainer.critic_step), (x, y)),
            # the real images too: AC-GAN on ALI latents encodes part of them (they cost nothing elsewhere)
            "generator": (tf.function(lambda images, labels: trainer.generator_step(batch, labels, images)), (x, y)),
            "step": (tf.function(trainer.train_step), ((x, y),))}
