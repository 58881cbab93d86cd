"""The 2-D toy of notebooks 01-03: a ring of 8 Gaussians, small MLP networks, and mode coverage.

The ring makes mode collapse visible and measurable. A method is scored by

* **modes covered**: modes that receive at least ``min_share`` (1 %) of the
  samples as high-quality samples;
* **high-quality share**: samples within 3 standard deviations of their
  nearest mode.

(Same spirit as the mode counts of Unrolled GAN and VEEGAN; the thresholds are
the kit's and are stated in every table.)

:func:`train_toy` trains any method of :data:`METHODS` on the ring through the
kit's one trainer, :class:`bagan_lib.gan.trainer.AdversarialTrainer`.
:func:`critic_landscape` and :func:`penalty_points` read a trained critic for
the figures of :mod:`bagan_lib.figures.toy`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import ops

from bagan_lib.errors import KitError
from bagan_lib.gan.penalties import gradient_penalty_at, interpolates
from bagan_lib.gan.trainer import AdversarialTrainer

RADIUS, STD, N_MODES = 2.0, 0.02, 8
WIDTH, BATCH_SIZE = 128, 256        # hidden units per layer (3 layers, both networks); real points per batch

# method -> trainer settings. Every method shares the networks (3 x 128 ReLU units), the batch (256),
# Adam(learning_rate, beta_1=0.5, beta_2=0.9) and the schedule of 5 critic steps per generator step, so
# that a comparison at the same seed changes only the loss and the penalty. METHOD_NOTES says why.
METHODS = {
    "gan": dict(objective="gan", gp_lambda=0.0, critic_steps=5, learning_rate=1e-4),
    "gan_saturating": dict(objective="gan_saturating", gp_lambda=0.0, critic_steps=5, learning_rate=1e-4),
    "wgan_clip": dict(objective="wasserstein", gp_lambda=0.0, critic_steps=5, clip=0.01, learning_rate=1e-4),
    "wgan_gp": dict(objective="wasserstein", gp_lambda=10.0, critic_steps=5, interpolation="model",
                    learning_rate=1e-4),
    "dragan": dict(objective="gan", gp_lambda=10.0, critic_steps=5, interpolation="noise", learning_rate=1e-4),
}

LABELS = {
    "gan": "GAN (non-saturating)",
    "gan_saturating": "GAN (saturating)",
    "wgan_clip": "WGAN (weight clipping)",
    "wgan_gp": "WGAN-GP",
    "dragan": "DRAGAN",
}

METHOD_NOTES = {
    "gan": "Eq. 2 and 3: cross-entropy discriminator, non-saturating generator loss, no penalty. "
           "5 discriminator steps like the others, so only the loss and the penalty differ.",
    "gan_saturating": "Eq. 1 for the generator (it minimises log(1 - D(G(z)))); otherwise as gan.",
    "wgan_clip": "Eq. 6 and 9 with every critic weight clipped to [-0.01, 0.01] after each update "
                 "(the original WGAN's c).",
    "wgan_gp": "Eq. 8 and 9: lambda = 10 and model interpolation (the WGAN-GP paper's values), "
               "5 critic steps (its n_critic).",
    "dragan": "Eq. 10 and 11: cross-entropy discriminator plus lambda = 10 times the penalty at noise "
              "interpolates x + alpha * 0.5 * std(x) * u (bagan_lib.gan.penalties, as in the DRAGAN and BAGAN-GP "
              "code). Tuned on the ring (3000 steps): with 1 discriminator step per generator step it covered "
              "0-2 of 8 modes at seed 0 for learning rates 1e-4, 3e-4 and 1e-3 with lambda 10 or 1 (a larger "
              "learning rate helped the plain GAN as much: 7 of 8 at 1e-3). With 5 steps, as here, it covered "
              "8 of 8 at seeds 0, 1 and 42 and 7 of 8 at seed 7, against 6, 4, 5 and 2 for the plain GAN "
              "with the same schedule. The noise scale is fixed in bagan_lib.gan.penalties and was not tuned.",
}


def method_label(method: str) -> str:
    return LABELS.get(method, method)


def mode_centers(n_modes: int = N_MODES, radius: float = RADIUS) -> np.ndarray:
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1).astype(np.float32)


def sample_ring(n: int, *, seed: int = 0, std: float = STD) -> np.ndarray:
    """``n`` points from the ring of 8 Gaussians (equal weights), float32 (n, 2)."""
    rng = np.random.default_rng(seed)
    centers = mode_centers()
    return (centers[rng.integers(0, len(centers), n)] + rng.normal(0, std, (n, 2))).astype(np.float32)


@dataclass(frozen=True)
class Coverage:
    modes_covered: int
    high_quality_share: float
    per_mode: tuple

    def as_row(self) -> dict:
        return {"modes covered (of 8)": self.modes_covered, "high-quality share": round(self.high_quality_share, 3)}


def mode_coverage(samples, *, std: float = STD, min_share: float = 0.01) -> Coverage:
    """How many of the 8 modes the samples cover, and the share of high-quality samples."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise KitError(f"mode_coverage needs an (n, 2) array of points, got shape {samples.shape}.",
                       "pass generated samples, e.g. run.samples(2000).")
    centers = mode_centers()
    distances = np.linalg.norm(samples[:, None, :] - centers[None], axis=-1)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= 3 * std
    per_mode = np.bincount(nearest[good], minlength=len(centers))
    covered = int((per_mode >= min_share * len(samples)).sum())
    return Coverage(covered, float(good.mean()), tuple(int(v) for v in per_mode))


def mlp_generator(latent_dim: int, width: int = WIDTH, depth: int = 3):
    z = keras.Input((latent_dim,), name="z")
    h = z
    for _ in range(depth):
        h = keras.layers.Dense(width, activation="relu")(h)
    return keras.Model(z, keras.layers.Dense(2, name="xy")(h), name="toy_generator")


class ClipWeights:
    """A Keras weight constraint keeping every weight in [-c, c]: the original WGAN's Lipschitz trick."""

    def __init__(self, c: float):
        self.c = c

    def __call__(self, w):
        return ops.clip(w, -self.c, self.c)

    def get_config(self):
        return {"c": self.c}


def mlp_critic(width: int = WIDTH, depth: int = 3, clip: float | None = None):
    """An MLP critic with one unconstrained output; no normalisation (the penalty is per sample)."""
    constraint = ClipWeights(clip) if clip else None
    x = keras.Input((2,), name="xy")
    h = x
    for _ in range(depth):
        h = keras.layers.Dense(width, activation="relu", kernel_constraint=constraint,
                               bias_constraint=constraint)(h)
    out = keras.layers.Dense(1, kernel_constraint=constraint, bias_constraint=constraint, name="score")(h)
    return keras.Model(x, out, name="toy_critic")


@dataclass
class ToyRun:
    """Result of :func:`train_toy`: the trainer, losses per logged chunk, and sample snapshots."""

    method: str
    trainer: object
    settings: dict = field(default_factory=dict)
    history: dict = field(default_factory=dict)
    snapshots: dict = field(default_factory=dict)   # step -> (n, 2) samples
    seconds: float = 0.0

    @property
    def label(self) -> str:
        """The method's name, with lambda and the latent size when they differ from the defaults."""
        extra = []
        if self.settings.get("gp_lambda", 0.0) != METHODS[self.method]["gp_lambda"]:
            extra.append(f"λ = {self.settings['gp_lambda']:g}")
        if self.settings.get("latent_dim", 2) != 2:
            extra.append(f"latent {self.settings['latent_dim']}")
        return method_label(self.method) + (f" ({', '.join(extra)})" if extra else "")

    def samples(self, n: int = 2000, seed: int = 0) -> np.ndarray:
        z = keras.random.normal((n, self.trainer.latent_dim), seed=seed)
        return np.asarray(self.trainer.generator(z, training=False))

    def coverage(self, n: int = 2000) -> Coverage:
        return mode_coverage(self.samples(n))

    def coverage_over_steps(self) -> list[dict]:
        """One row per snapshot: step, modes covered, high-quality share."""
        rows = []
        for step, samples in sorted(self.snapshots.items()):
            cov = mode_coverage(samples)
            rows.append({"method": self.label, "step": step, "modes covered (of 8)": cov.modes_covered,
                         "high-quality share": round(cov.high_quality_share, 3)})
        return rows


def train_toy(method: str = "gan", *, steps: int = 2000, latent_dim: int = 2, batch_size: int = BATCH_SIZE,
              gp_lambda: float | None = None, critic_steps: int | None = None,
              learning_rate: float | None = None, seed: int = 0, snapshot_every: int | None = None,
              snapshot_size: int = 1000, width: int = WIDTH, jit_compile: bool = False,
              verbose: int = 0) -> ToyRun:
    """Train ``method`` on the ring for ``steps`` generator steps; snapshots every ``snapshot_every`` steps.

    ``gp_lambda``, ``critic_steps`` and ``learning_rate`` override the method's
    values in :data:`METHODS` (for the slider sweeps and for tuning); None keeps them.
    Both networks use Adam(learning_rate, beta_1=0.5, beta_2=0.9).

    The real batches are drawn up front from ``seed`` (``steps * batch_size``
    points), so a run does not depend on how often it is snapshotted, and the
    same seed gives the same run on CPU. ``jit_compile=True`` asks Keras for XLA;
    Keras ignores it (with a warning) when TensorFlow's op determinism is on, as
    it is in every notebook (:func:`bagan_lib.notebook_setup.start`).
    """



    if method not in METHODS:
        raise KitError(f"Unknown toy method {method!r}.", f"choose one of {', '.join(METHODS)}.")
    for name, value in (("latent_dim", latent_dim), ("steps", steps), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise KitError(f"{name}={value!r} must be a positive whole number.",
                           "pass e.g. latent_dim=2, steps=2000, batch_size=256.")
    latent_dim, steps, batch_size = int(latent_dim), int(steps), int(batch_size)
    bad_every = isinstance(snapshot_every, bool) or not isinstance(snapshot_every, (int, np.integer))
    if snapshot_every is not None and (bad_every or snapshot_every < 1):
        raise KitError(f"snapshot_every={snapshot_every!r} must be a positive whole number or None.",
                       "pass e.g. snapshot_every=steps // 6, or None for one snapshot at the end.")
    settings = dict(METHODS[method])
    if gp_lambda is not None:
        if not float(gp_lambda) >= 0:
            raise KitError(f"gp_lambda={gp_lambda!r} must be >= 0.", "pass e.g. gp_lambda=10.0.")
        settings["gp_lambda"] = float(gp_lambda)
    if critic_steps is not None:
        settings["critic_steps"] = int(critic_steps)
    if learning_rate is not None:
        settings["learning_rate"] = float(learning_rate)
    trainer_settings = dict(settings)
    clip = trainer_settings.pop("clip", None)
    lr = trainer_settings.pop("learning_rate")

    started = time.perf_counter()
    keras.utils.set_random_seed(seed)
    trainer = AdversarialTrainer(mlp_generator(latent_dim, width), mlp_critic(width, clip=clip),
                                 latent_dim=latent_dim, seed=seed, **trainer_settings)
    trainer.compile(d_optimizer=keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.9),
                    g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.9),
                    jit_compile=jit_compile)
    real = sample_ring(steps * batch_size, seed=seed)
    run = ToyRun(method, trainer, settings=dict(settings, latent_dim=latent_dim, batch_size=batch_size,
                                                 steps=steps, seed=seed, width=width))
    every = int(snapshot_every or steps)
    done = 0
    while done < steps:
        chunk = min(every, steps - done)
        data = tf.data.Dataset.from_tensor_slices(real[done * batch_size:(done + chunk) * batch_size])
        hist = trainer.fit(data.batch(batch_size, drop_remainder=True), epochs=1, verbose=verbose, shuffle=False)
        done += chunk
        for key, values in hist.history.items():
            run.history.setdefault(key, []).extend(float(v) for v in values)
        run.snapshots[done] = run.samples(snapshot_size, seed=seed + 1)
    run.seconds = time.perf_counter() - started
    return run


def untrained_samples(n: int, *, latent_dim: int = 2, seed: int = 0, width: int = WIDTH) -> np.ndarray:
    """``n`` samples of a freshly initialised generator (what training starts from); reseeds Keras."""
    keras.utils.set_random_seed(seed)
    generator = mlp_generator(int(latent_dim), width)
    return np.asarray(generator(keras.random.normal((n, int(latent_dim)), seed=seed), training=False))


# --------------------------------------------------------------------------- #
# reading a trained critic, for the figures
# --------------------------------------------------------------------------- #
def critic_landscape(critic, *, extent: float = 3.0, resolution: int = 81):
    """The critic's score on a square grid: ``(xs, ys, scores)`` with scores shaped (resolution, resolution)."""
    xs = np.linspace(-extent, extent, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, xs)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    scores = np.asarray(critic(grid, training=False)).reshape(resolution, resolution)
    return xs, xs.copy(), scores


@dataclass(frozen=True)
class PenaltyPoints:
    """Where a gradient penalty is evaluated, and the critic's gradient norm there (None without a critic)."""

    real: np.ndarray
    fake: np.ndarray          # the fakes paired with ``real`` (model interpolation); ``real`` again for noise
    x_hat: np.ndarray
    norms: np.ndarray | None
    interpolation: str


def penalty_points(critic, real, fake=None, *, interpolation: str = "model", seed: int = 0) -> PenaltyPoints:
    """The interpolates of :func:`bagan_lib.gan.penalties.interpolates` and ``||grad D||`` at each of them.

    ``critic`` None: only the interpolates (to draw where a penalty would be applied).
    ``seed`` is an int, so the draw is fixed: the same points every call.
    """
    real = np.asarray(real, np.float32)
    fake = None if fake is None else np.asarray(fake, np.float32)
    x_hat = interpolates(real, fake, interpolation=interpolation, seed=seed)
    norms = None
    if critic is not None:
        _, norms = gradient_penalty_at(critic, x_hat, return_norms=True, training=False)
        norms = np.asarray(norms)
    return PenaltyPoints(real, real if fake is None else fake, np.asarray(x_hat), norms, interpolation)


def run_penalty_points(run: ToyRun, n: int = 256, *, interpolation: str | None = None,
                       seed: int = 0) -> PenaltyPoints:
    """:func:`penalty_points` for a trained run: ``n`` real points, ``n`` of its fakes, its own critic.

    ``interpolation`` defaults to the run's own (``"model"`` for runs without a penalty).
    """
    interpolation = interpolation or run.settings.get("interpolation", "model")
    real = sample_ring(n, seed=seed + 2)
    fake = run.samples(n, seed=seed + 3)
    return penalty_points(run.trainer.critic, real, fake, interpolation=interpolation, seed=seed)


def coverage_table(runs, *, n: int = 2000):
    """A pandas table: method, modes covered, high-quality share, steps, seed, seconds."""
    rows = []
    for run in runs:
        cov = run.coverage(n)
        rows.append({"method": run.label, **cov.as_row(), "steps": run.settings["steps"],
                     "seed": run.settings["seed"], "lambda": run.settings["gp_lambda"],
                     "critic steps": run.settings["critic_steps"], "learning rate": run.settings["learning_rate"]})
    return pd.DataFrame(rows)


def compare_with_baseline(runs, baseline: str = "gan", *, n: int = 2000) -> str:
    """Sentences comparing each run's coverage with the plain GAN's (computed from the runs, not assumed).

    ``runs``: the trained :class:`ToyRun` objects (a list or a dict's values); the
    numbers are those of :func:`coverage_table` with the same ``n``.
    """
    runs = list(runs.values() if isinstance(runs, dict) else runs)
    base_run = next((r for r in runs if r.method == baseline), None)
    if base_run is None:
        raise KitError(f"No {method_label(baseline)!r} run to compare with.", f"train {baseline!r} with the others.")
    covs = {id(r): r.coverage(n) for r in runs}
    base = covs[id(base_run)]
    lines = []
    if base.modes_covered == N_MODES:
        lines.append(f"The plain {base_run.label} covers all 8 modes in this run, so mode coverage cannot separate "
                     "the methods here: compare the high-quality share, the snapshots and the critics instead.")
    for run in runs:
        if run is base_run:
            continue
        cov = covs[id(run)]
        diff = cov.modes_covered - base.modes_covered
        word = "more than" if diff > 0 else "fewer than" if diff < 0 else "as many as"
        lines.append(f"{run.label}: {cov.modes_covered} of 8 modes ({word} the plain GAN's {base.modes_covered}), "
                     f"high-quality share {cov.high_quality_share:.2f} (plain GAN {base.high_quality_share:.2f}).")
    return "\n".join(lines)
