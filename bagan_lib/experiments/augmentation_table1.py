"""Notebook 09b: the augmentation paper's Table I ("On Data Augmentation Using GANs"), on its own protocol.

The paper's experiment (section VI):

1. the training split sparsified by the paper's protocol (``augmentation_paper``:
   Fashion-MNIST classes 1, 3, 7 kept at 50, 65, 80 %; :mod:`bagan_lib.data.imbalance`),
   capped per class by the profile; the official test set, never augmented;
2. the sparse classes topped up to the majority's count by each method of
   :data:`TABLE1_ROWS` (no augmentation, affine transforms, CGAN, AC-GAN and its
   batch-proportion variants, AC-GAN on ALI latents v1 and v2);
3. the same CNN on each set (the paper's section V-D: Adam 1e-3, batch 64, early
   stopping on the validation loss); accuracy and top-k accuracy on the test set
   (top-2 for 10 classes, top-5 for 100, none for 2), mean and standard deviation
   over seeds;
4. two checks of the paper's text: a CNN trained on generated images only (the
   paper: 0.7937 on Fashion-MNIST), and the Fig. 7 observation that ALI's near-exact
   reconstructions add nothing over duplicated real images
   (:func:`reconstruction_check`: the same real images, once duplicated and once
   through ``G_x(G_z(x))``, compared seed by seed with a paired t-test).

Every generator has the same budget (:data:`BUDGETS`); ALI is trained once per
seed and shared by ``acgan_ali_v1`` and ``acgan_ali_v2``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from bagan_lib.errors import KitError
from bagan_lib.experiments.augmentation_study import (
    StudyBudget, score_training_set, test_images, top_k_for, validation_images)
from bagan_lib.runtime.outputs import save_table

# Lazy imports in this module: `augmentation table1` (the command line) combines CSV files with pandas only.

# (row of Table I, training set, model): the paper's row order
TABLE1_ROWS = (("No Aug", "imbalanced", None), ("Affine", "transforms", None), ("CGAN", "generated", "cgan"),
               ("ACGAN", "generated", "acgan"), ("ACGAN_v1", "generated", "acgan_v1"),
               ("ACGAN_v2", "generated", "acgan_v2"), ("ACGAN_v3", "generated", "acgan_v3"),
               ("ACGAN_ALI_v1", "generated", "acgan_ali_v1"), ("ACGAN_ALI_v2", "generated", "acgan_ali_v2"))
# the Fig. 7 check's two extra training sets (not rows of the paper's table)
CHECK_ROWS = ("Duplicates", "ALI reconstructions")

# The paper's Table I: (accuracy, top-k accuracy); top-2 on Fashion-MNIST, top-5 on CIFAR-100, accuracy only on
# the medical (two-class) set. ACGAN_v3 on the medical set is printed 0.88 in bold beside ACGAN's 0.8812.
PAPER_TABLE1 = {
    "fashion_mnist": {"No Aug": (0.9157, 0.98), "Affine": (0.9112, 0.9785), "CGAN": (0.9173, 0.9801),
                      "ACGAN": (0.9178, 0.9803), "ACGAN_v1": (0.9152, 0.9797), "ACGAN_v2": (0.915, 0.9799),
                      "ACGAN_v3": (0.9201, 0.9812), "ACGAN_ALI_v1": (0.9173, 0.9806),
                      "ACGAN_ALI_v2": (0.9169, 0.9809)},
    "cifar100": {"No Aug": (0.5014, 0.7756), "Affine": (0.5277, 0.8116), "CGAN": (0.503033, 0.7793),
                 "ACGAN": (0.4662, 0.7439), "ACGAN_v1": (0.4809, 0.7531), "ACGAN_v2": (0.4812, 0.75583),
                 "ACGAN_v3": (0.48133, 0.76), "ACGAN_ALI_v1": (0.5083, 0.7815), "ACGAN_ALI_v2": (0.4952, 0.7715)},
}
PAPER_GENERATED_ONLY = {"fashion_mnist": 0.7937, "medical": 0.7786}  # section VII, last paragraph
GENERATED_ONLY_MODEL = "acgan_v3"  # the paper does not name its generator; ACGAN_v3 is its best on Fashion-MNIST

# teach: six conv AC-GANs, CGAN, ALI and twelve CNNs share 15 minutes of a 2-core CPU: 5 GAN (and ALI) epochs each
# and 600 training images per full class (the profile's 800 took 18.6 min for seed 42 under a load of 2.3)
BUDGETS = {"smoke": StudyBudget(2, 0.25, 32, None, 32), "teach": StudyBudget(10, 0.5, 300, 5, 400, 600),
           "paper": StudyBudget(50, 1.0, None, None, None)}


def budget(profile) -> StudyBudget:
    return BUDGETS.get(profile.name, BUDGETS["teach"])


def train_generators(base_config, data, models, *, say=print) -> dict:
    """Train every model of ``models`` on ``data`` (``base_config`` with each model and its own folder).

    The GAN epochs and ALI's are the study's budget (``base_config.epochs`` when
    given). ALI is trained once, by the first ALI model, and reloaded by the other
    (``autoencoder_path``), so ``acgan_ali_v1`` and ``acgan_ali_v2`` start from the
    same encoder. Returns model -> :class:`~bagan_lib.training.run.TrainingResult`.
    """
    from bagan_lib.models.builders import autoencoder_kind
    from bagan_lib.training.run import train_model

    profile = base_config.resolved_profile()
    epochs = base_config.epochs or budget(profile).gan_epochs
    ali_path, runs = None, {}
    for model in models:
        config = dataclasses.replace(base_config, model=model, epochs=epochs, ae_epochs=base_config.ae_epochs or epochs,
                                     out_dir=str(Path(base_config.out_dir) / model))
        if autoencoder_kind(model) == "ali" and ali_path is not None:
            config = dataclasses.replace(config, autoencoder_path=str(ali_path))
        runs[model] = train_model(config, data=data, verbose=False)
        if autoencoder_kind(model) == "ali" and ali_path is None:
            ali_path = runs[model].paths["autoencoder"]
        say(f"{model}: {runs[model].timings['epochs']} epochs, {runs[model].timings['total_seconds']:.0f} s",
            flush=True)
    return runs


def reconstruction_sets(ali, x, y, n_classes: int, *, seed: int = 0):
    """The Fig. 7 check's two training sets: the sparse classes topped up with the **same** real images drawn with
    replacement, once as they are (``Duplicates``) and once as ALI reconstructions ``G_x(G_z(x))``."""
    from bagan_lib.experiments.augmented_sets import AugmentedSet, top_up_counts

    x, y = np.asarray(x, np.float32), np.asarray(y, np.int32)
    counts = top_up_counts(y, n_classes)
    rng = np.random.default_rng(seed)
    drawn = np.concatenate([rng.choice(np.flatnonzero(y == c), size=n, replace=True)
                            for c, n in enumerate(counts) if n > 0] or [np.zeros(0, np.int64)])
    recon = np.concatenate([np.asarray(ali.reconstruct(x[drawn[i:i + 256]])) for i in range(0, len(drawn), 256)]
                           or [np.zeros((0,) + x.shape[1:], np.float32)])
    real = np.full(len(y), "real", object)
    sets = []
    for label, added, kind in (("Duplicates", x[drawn], "duplicate"),
                               ("ALI reconstructions", np.clip(recon, -1, 1), "reconstruction")):
        sets.append(AugmentedSet(label, np.concatenate([x, added.astype(np.float32)]), np.concatenate([y, y[drawn]]),
                                 np.concatenate([real, np.full(len(drawn), kind, object)])))
    return sets


def run_table1(data, profile, runs: dict, *, seed: int = 0, say=print) -> list:
    """One row of test metrics (CNN) per training set of :data:`TABLE1_ROWS` and :data:`CHECK_ROWS`.

    ``runs``: model -> trained run (:func:`train_generators`); a row whose model
    is missing is left out and said so. Rows carry ``row`` (the paper's name).
    """
    from bagan_lib.experiments.augmented_sets import build_training_set

    plan = budget(profile)
    x_train, y_train, x_val, y_val = validation_images(data, seed=seed)
    x_test, y_test = test_images(data, profile, seed=seed, test_per_class=plan.test_per_class)
    sets = []
    for label, kind, model in TABLE1_ROWS:
        if model is not None and model not in runs:
            say(f"{label}: {model} was not trained, the row is left out", flush=True)
            continue
        train_set = build_training_set(kind, x_train, y_train, data.n_classes,
                                       generator=runs[model].trainer if model else None, seed=seed)
        sets.append((label, train_set))
    ali = trained_ali(runs)
    if ali is not None:
        sets += [(s.mode, s) for s in reconstruction_sets(ali, x_train, y_train, data.n_classes, seed=seed)]
    rows = []
    for label, train_set in sets:
        train_set.label = label
        row = score_training_set(train_set, x_val, y_val, x_test, y_test, n_classes=data.n_classes, profile=profile,
                                 seed=seed, with_svm=False, plan=plan)[0]
        rows.append({"row": label, **row})
        say(f"{label:>20}: {len(train_set.y)} training images, CNN test accuracy {row['accuracy']:.4f}", flush=True)
    return rows


def generated_only_row(data, profile, run, *, seed: int = 0) -> dict:
    """The paper's check: the CNN trained on ``run``'s generated images only (this study's count per class)."""
    from bagan_lib.experiments.augmentation_study import generated_only

    return generated_only(data, profile, {run.config.model: run.trainer}, seed=seed, plan=budget(profile))[0]


def trained_ali(runs: dict):
    """The ALI the study's ALI models share (the first one's), or None without an ALI model."""
    from bagan_lib.models.builders import autoencoder_kind

    return next((run.autoencoder for model, run in runs.items() if autoencoder_kind(model) == "ali"), None)


def _accuracy_columns(frame) -> list[str]:
    return ["accuracy"] + [c for c in frame.columns if c.startswith("top-") and c.endswith(" accuracy")]


def table1(rows: list, *, dataset: str | None = None):
    """Table I: mean ± std over seeds of accuracy and top-k accuracy per row, in the paper's order, with the
    paper's values beside them where it has them (``dataset``)."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    columns = _accuracy_columns(frame)
    grouped = frame.groupby("row", sort=False)[columns]
    mean, std, n = grouped.mean(), grouped.std(ddof=0), grouped.size()
    order = [r for r, _, _ in TABLE1_ROWS if r in mean.index] + [r for r in CHECK_ROWS if r in mean.index]
    table = pd.DataFrame({"row": order})
    for col in columns:
        table[col] = [f"{mean.loc[r, col]:.4f} ± {std.loc[r, col]:.4f}" for r in order]
    paper = PAPER_TABLE1.get(dataset or "", {})
    if paper:
        table["paper accuracy"] = [paper.get(r, (np.nan,))[0] for r in order]
        if len(columns) > 1:
            table[f"paper {columns[1]}"] = [paper.get(r, (np.nan, np.nan))[1] for r in order]
    table["seeds"] = [int(n.loc[r]) for r in order]
    return table


def row_order_statement(rows: list, *, dataset: str | None = None) -> dict:
    """How this run's Table I compares with the paper's claims: the best row, each GAN row's gain over No Aug,
    whether every gain is within 1 % (the paper: on Fashion-MNIST), and where ACGAN_v3 ranks (the paper: best)."""
    import pandas as pd

    mean = pd.DataFrame(rows).groupby("row", sort=False)["accuracy"].mean()
    ranked = [r for r, _, _ in TABLE1_ROWS if r in mean.index]
    order = sorted(ranked, key=lambda r: -mean[r])
    gains = {r: float(mean[r] - mean["No Aug"]) for r in ranked if r != "No Aug"} if "No Aug" in mean else {}
    gan_gains = {r: g for r, g in gains.items() if r != "Affine"}
    out = {"order": order, "best": order[0], "gains over No Aug": gains,
           "every GAN gain within 1 %": bool(gan_gains) and all(abs(g) <= 0.01 for g in gan_gains.values()),
           "ACGAN_v3 rank": order.index("ACGAN_v3") + 1 if "ACGAN_v3" in order else None, "of": len(order)}
    paper = PAPER_TABLE1.get(dataset or "")
    if paper:
        out["paper order"] = sorted(paper, key=lambda r: -paper[r][0])
    return out


def reconstruction_check(rows: list) -> dict:
    """The Fig. 7 observation measured: accuracy with ALI reconstructions against duplicated real images.

    Per seed the difference (reconstructions - duplicates); its mean, standard
    deviation, a paired t-test over seeds (SciPy) and the verdict "equal within
    noise" when the test does not reject equality at 5 % (needs 2 seeds or more).
    """
    import pandas as pd
    from scipy import stats

    frame = pd.DataFrame(rows)
    pivot = frame[frame["row"].isin(CHECK_ROWS)].pivot_table(index="seed", columns="row", values="accuracy")
    if not set(CHECK_ROWS) <= set(pivot.columns):
        raise KitError("The rows hold no 'Duplicates' and 'ALI reconstructions' results.",
                       "run the study with an ALI model (acgan_ali_v1 or acgan_ali_v2) among the generators.")
    diff = (pivot["ALI reconstructions"] - pivot["Duplicates"]).to_numpy()
    out = {"seeds": len(diff), "mean difference": float(diff.mean()),
           "std of difference": float(diff.std(ddof=1)) if len(diff) > 1 else float("nan"),
           "duplicates": float(pivot["Duplicates"].mean()), "reconstructions": float(pivot["ALI reconstructions"].mean())}
    if len(diff) > 1 and np.ptp(diff) > 0:
        out["paired t-test p"] = float(stats.ttest_rel(pivot["ALI reconstructions"], pivot["Duplicates"]).pvalue)
        out["equal within noise"] = out["paired t-test p"] >= 0.05
    elif len(diff) > 1:  # identical differences: the test is undefined; equal only if they are all zero
        out["paired t-test p"], out["equal within noise"] = float("nan"), bool(np.all(diff == 0))
    else:
        out["paired t-test p"], out["equal within noise"] = float("nan"), None  # one seed: no noise estimate
    return out


def combine_runs(run_dirs, out_dir, *, dataset: str | None = None, say=print) -> dict:
    """Combine notebook 09b's output folders (one per seed) into Table I over seeds and the two checks.

    Reads each folder's ``table1_rows.csv`` and ``generated_only.csv``; refuses a
    folder without them and a seed that appears twice. Writes ``table1``,
    ``table1_statement``, ``reconstruction_check`` and ``generated_only_seeds``.
    """
    import json

    import pandas as pd

    rows, only = [], []
    for folder in map(Path, run_dirs):
        if not (folder / "table1_rows.csv").exists():
            raise KitError(f"{folder} has no table1_rows.csv.",
                           "pass the out_dir of a finished notebook 09b run (papermill ... -p out_dir DIR).")
        rows += pd.read_csv(folder / "table1_rows.csv").to_dict("records")
        if (folder / "generated_only.csv").exists():
            only += pd.read_csv(folder / "generated_only.csv").to_dict("records")
    frame = pd.DataFrame(rows)
    if frame.groupby("row")["seed"].apply(lambda s: s.duplicated().any()).any():
        raise KitError("A seed appears in more than one of the runs.", "pass each seed's folder once.")
    tables = {"table1": table1(rows, dataset=dataset)}
    if set(CHECK_ROWS) <= set(frame["row"]):
        tables["reconstruction_check"] = pd.DataFrame([reconstruction_check(rows)])
    if only:
        from bagan_lib.experiments.downstream_classifiers import summarize_seeds
        tables["generated_only_seeds"] = summarize_seeds([{k: r[k] for k in ("training set", "seed", "accuracy")}
                                                          for r in only])
    for name, table in tables.items():
        save_table(table, out_dir, name)
    statement = row_order_statement(rows, dataset=dataset)
    Path(out_dir, "table1_statement.json").write_text(json.dumps(statement, indent=2) + "\n")
    say(f"{frame['seed'].nunique()} seeds combined into {out_dir}: {', '.join(tables)}, table1_statement.json",
        flush=True)
    return {**tables, "statement": statement}
