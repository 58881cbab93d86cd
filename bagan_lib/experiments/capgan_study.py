"""Notebook 07's experiments: the four pre-training strategies side by side, and CAPGAN against BAGAN-GP v3 by rate.

* :func:`compare_strategies` pre-trains one CVAE per strategy on the same data
  with the same seed (:func:`bagan_lib.models.pretraining.pretrain_cvae`);
* :func:`strategy_table` measures each: final objective, silhouette of the
  posterior means of held-out images (how well the latent space separates the
  classes), and the classifier check of images decoded from the prior;
* :func:`train_by_rate` trains the given models under the ``capgan`` protocol at
  each rate (same seed and budget), and :func:`minority_summary` reduces their
  per-class classifier accuracy to the minority classes' mean.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from bagan_lib.errors import KitError
from bagan_lib.experiments.latent_analysis import encode, separation_score, tsne_2d
from bagan_lib.metrics.scoring_classifier import quality_table
from bagan_lib.models.builders import build_pretraining_network
from bagan_lib.models.pretraining import check_strategy, pretrain_cvae
from bagan_lib.training.run import train_model


def compare_strategies(data, profile, strategies, *, seed: int = 0, say=print) -> dict:
    """``strategy -> (cvae, PretrainingReport)``, each pre-trained from the same initial weights on ``data``."""
    def build():
        return build_pretraining_network("capgan", image_size=data.image_size, channels=data.channels,
                                         n_classes=data.n_classes, latent_dim=profile.latent_dim,
                                         width=profile.width, seed=seed)

    out = {}
    for strategy in strategies:
        check_strategy(strategy)
        keras.utils.set_random_seed(seed)
        out[strategy] = pretrain_cvae(build, data.x, data.y, n_classes=data.n_classes, strategy=strategy,
                                      epochs=profile.pretrain_epochs("cvae"), batch_size=profile.batch_size, seed=seed,
                                      steps_cap=profile.steps_per_epoch, say=say)
        report = out[strategy][1]
        say(f"{strategy:>9}: {sum(p['steps'] * p['epochs'] for p in report.phases)} steps in {report.seconds:.0f} s, "
            f"objective {report.losses[-1]:.1f}", flush=True)
    return out


def latent_maps(cvaes: dict, images, labels, *, seed: int = 0) -> tuple[dict, dict]:
    """(t-SNE maps, silhouettes) of the posterior means of the same ``images`` under every CVAE."""
    maps, scores = {}, {}
    for name, model in cvaes.items():
        mu = encode(model, images)
        maps[name], scores[name] = tsne_2d(mu, seed=seed), separation_score(mu, labels)
    return maps, scores


def strategy_table(results: dict, quality, scores: dict, minority) -> "object":
    """One row per strategy: training images seen, final objective, latent silhouette, minority accuracy."""
    rows = []
    for strategy, (_, report) in results.items():
        rows.append({"strategy": strategy, "images (first phase / member)": int(sum(report.phases[0]["counts"])),
                     "epochs": sum(p["epochs"] for p in report.phases),
                     "final objective": round(report.losses[-1], 2), "latent silhouette": round(scores[strategy], 3),
                     "minority accuracy of prior samples": round(float(quality.loc[minority, strategy].mean()), 3),
                     "seconds": round(report.seconds, 1)})
    return pd.DataFrame(rows)


def minority_classes(counts, majority: int) -> list:
    """Every class but ``majority`` (the CAPGAN protocol's minority classes), as row positions."""
    return [c for c in range(len(counts)) if c != majority]


def train_by_rate(base, models, rates, *, majority: int = 0, out_dir, verbose: bool = True) -> dict:
    """``(model, rate) -> TrainingResult``: each model under the ``capgan`` protocol at each rate, same seed/budget.

    ``base`` is a :class:`~bagan_lib.training.run.TrainConfig` (dataset, profile, seed,
    epochs; ``resume=True`` reuses finished runs); runs go to ``out_dir/<model>_rate<r>``.
    """
    if not rates:
        raise KitError("No imbalance rate given.", "pass rates such as [10, 100].")
    runs = {}
    for rate in rates:
        for model in models:
            config = dataclasses.replace(base, model=model, protocol="capgan",
                                         protocol_options={"rate": rate, "majority": majority},
                                         out_dir=str(Path(out_dir) / f"{model}_rate{rate:g}"))
            runs[model, rate] = train_model(config, verbose=verbose)
    return runs


def quality_by_rate(reference, runs: dict, *, n_per_class: int, seed: int = 0) -> dict:
    """``rate -> quality table`` (:func:`bagan_lib.metrics.scoring_classifier.quality_table`) of every model trained at that rate."""
    tables = {}
    for rate in sorted({r for _, r in runs}):
        at_rate = {m: run for (m, r), run in runs.items() if r == rate}
        counts = next(iter(at_rate.values())).data.counts()
        tables[rate] = quality_table(reference.classifier, {m: run.trainer for m, run in at_rate.items()},
                                     real_images=reference.x_test, real_labels=reference.y_test,
                                     n_per_class=n_per_class, train_counts=counts, seed=seed)
    return tables


def minority_summary(tables: dict, models, *, majority: int = 0):
    """One row per rate: each model's mean classifier accuracy over the minority classes (and the majority's)."""
    rows = []
    for rate, table in tables.items():
        minority = minority_classes(table["train images"], majority)
        row = {"rate": rate, "minority images per class": int(np.median(table["train images"].iloc[minority]))}
        for model in models:
            row[f"{model} minority"] = round(float(table[model].iloc[minority].mean()), 3)
            row[f"{model} majority"] = round(float(table[model].iloc[majority]), 3)
        rows.append(row)
    return pd.DataFrame(rows)
