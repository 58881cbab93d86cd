"""Notebook 09's experiment: does GAN augmentation help a classifier on imbalanced data?

The protocol (the WGAN paper's Tables 1-2, the augmentation paper's CNN):

1. the imbalanced training images of a run's protocol (Fashion-MNIST: Table 1 B),
   its held-out part for early stopping, and the dataset's official **test set**
   (capped per class by the profile), which is never augmented or resampled;
2. training sets (:mod:`bagan_lib.experiments.augmented_sets`): imbalanced, image transforms,
   each generator's top-up, and the balanced original;
3. on each, the CNN (:func:`bagan_lib.experiments.downstream_classifiers.train_cnn`) and the CNN-SVM
   hybrid on its features; their metrics on the test set
   (:func:`bagan_lib.experiments.downstream_classifiers.classification_metrics`);
4. the augmentation paper's second question: a CNN trained on generated images
   only, tested on the real test set.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import NamedTuple

import numpy as np

from bagan_lib.data.imbalance import stratified_split
from bagan_lib.data.preprocess import prepare_images
from bagan_lib.errors import KitError
from bagan_lib.runtime.outputs import save_table

# Lazy imports in this module: `augmentation combine` (the command line) needs only pandas; training code is
# imported when a study trains.


class StudyBudget(NamedTuple):
    cnn_epochs: int               # at most (early stopping on the validation loss)
    cnn_width: float
    test_per_class: int | None    # None: the whole official test set
    gan_epochs: int | None        # each generator's epochs; None: the profile's
    generated_only: int | None    # images per class of the generated-only check; None: the majority's count
    max_per_class: int | None = None  # the study's cap on training images per class; None: the profile's


# teach: four generators and eleven CNNs share 15 minutes of a 2-core CPU, so each
# generator gets 10 epochs (the profile's 20 elsewhere), each CNN at most 10, and the
# generated-only check 400 images per class (half the majority's 800)
BUDGETS = {"smoke": StudyBudget(2, 0.25, 32, None, None), "teach": StudyBudget(10, 0.5, 300, 10, 400),
           "paper": StudyBudget(50, 1.0, None, None, None)}


def budget(profile) -> StudyBudget:
    return BUDGETS.get(profile.name, BUDGETS["teach"])


def generator_epochs(profile, epochs: int | None = None) -> int | None:
    """The GAN epochs of each generator in the study: ``epochs`` if given, else the study's budget for the profile.

    ``None`` means the profile's own epochs (:meth:`bagan_lib.profiles.Profile.epochs_for`).
    """
    return epochs if epochs is not None else budget(profile).gan_epochs


def test_images(data, profile, *, seed: int = 0, test_per_class: int | None | str = "budget"):
    """The dataset's official test split at the run's image size, capped per class (by default the study's
    budget for the profile): ``(x, y)``."""
    from bagan_lib.data.batches import cap_per_class

    split = data.split
    cap = budget(profile).test_per_class if test_per_class == "budget" else test_per_class
    keep = cap_per_class(split.y_test, cap, seed=seed)
    return prepare_images(split.x_test[keep], data.image_size), np.asarray(split.y_test[keep], np.int32)


def validation_images(data, *, seed: int = 0):
    """Real images for early stopping: the protocol's held-out part (else 15 % of the training images, stratified).

    Returns ``(x_train, y_train, x_val, y_val)``; the training part excludes the validation images.
    """
    split = data.split
    if len(split.y_val):
        return data.x, data.y, prepare_images(split.x_val, data.image_size), np.asarray(split.y_val, np.int32)
    train, val = stratified_split(data.y, val_fraction=0.15, seed=seed)
    return data.x[train], data.y[train], data.x[val], data.y[val]


# protocol -> the protocol of its balanced original: Table 1 B -> A; the augmentation paper's sparsified classes -> none
BALANCED_ORIGINALS = {"bagan_gp_paper": "bagan_gp_paper_balanced", "augmentation_paper": "none"}


def balanced_images(config, profile, n_per_class: int):
    """The balanced original (upper reference): the dataset without pruning, ``n_per_class`` of every class.

    Defined for the BAGAN-GP protocol (Table 1 B against A) and the augmentation paper's (the data before
    sparsifying). ``None`` for a dataset
    that is imbalanced by itself (``synthetic_cells``: its Table 3 counts), which has
    no balanced original; the study then leaves the row out and says so.
    """
    from bagan_lib.data.batches import cap_per_class
    from bagan_lib.training.config import DEFAULT_PROTOCOLS
    from bagan_lib.training.run_data import load_training_data

    protocol = config.protocol or DEFAULT_PROTOCOLS.get(config.dataset, "none")
    if protocol not in BALANCED_ORIGINALS:
        return None
    data = load_training_data(dataclasses.replace(config, protocol=BALANCED_ORIGINALS[protocol], protocol_options={}),
                              profile)
    keep = cap_per_class(data.y, n_per_class, seed=config.seed)
    counts = np.bincount(data.y[keep], minlength=data.n_classes)
    if counts.min() < n_per_class:
        raise KitError(f"The balanced original has only {counts.min()} images of a class, fewer than "
                       f"{n_per_class}.", "use a larger dataset or a smaller per-class cap.")
    return data.x[keep], data.y[keep]


def class_counts(data, balanced) -> dict:
    """Training images per class of the imbalanced set and, where there is one, the balanced original."""
    out = {"imbalanced training": data.counts()}
    if balanced is not None:
        out["balanced original"] = np.bincount(balanced[1], minlength=data.n_classes)
    return out


def top_k_for(n_classes: int) -> int | None:
    """The top-k accuracy the augmentation paper reports: top-5 for 100 classes (CIFAR-100), top-2 for 10
    (Fashion-MNIST), none for 2 (its medical set: every class is in the top 2)."""
    return 5 if n_classes >= 50 else 2 if n_classes > 2 else None


def score_training_set(train_set, x_val, y_val, x_test, y_test, *, n_classes: int, profile, seed: int = 0,
                       with_svm: bool = True, plan: StudyBudget | None = None) -> list:
    """Train the CNN (and the CNN-SVM) on ``train_set``; one row of test metrics per classifier.

    ``plan``: the CNN's budget (default: this study's for the profile).
    """
    from bagan_lib.experiments.downstream_classifiers import CnnSvm, classification_metrics, train_cnn

    plan = plan or budget(profile)
    top_k = top_k_for(n_classes)
    model, history = train_cnn(train_set.x, train_set.y, x_val, y_val, n_classes=n_classes, epochs=plan.cnn_epochs,
                               width=plan.cnn_width, seed=seed)
    scores = np.concatenate([np.asarray(model(x_test[i:i + 512], training=False)) for i in range(0, len(x_test), 512)])
    size = {"training images": len(train_set.y), "epochs": len(history["loss"])}
    rows = [{"training set": train_set.name, "classifier": "CNN", "seed": seed, **size,
             **classification_metrics(y_test, scores, n_classes=n_classes, top_k=top_k)}]
    if with_svm:
        hybrid = CnnSvm(model).fit(train_set.x, train_set.y)
        rows.append({"training set": train_set.name, "classifier": "CNN-SVM", "seed": seed, **size,
                     **classification_metrics(y_test, hybrid.decision_function(x_test), n_classes=n_classes,
                                              top_k=top_k)})
    return rows


def run_study(data, profile, generators: dict, *, balanced, seed: int = 0, with_svm: bool = True,
              flip: bool = False, say=print) -> list:
    """Rows of test metrics for every training set: imbalanced, transforms, each generator, balanced.

    ``generators``: label -> trained trainer (e.g. ``{"BAGAN-GP v3": run.trainer}``).
    """
    from bagan_lib.experiments.augmented_sets import build_training_set

    x_train, y_train, x_val, y_val = validation_images(data, seed=seed)
    x_test, y_test = test_images(data, profile, seed=seed)
    sets = [("imbalanced", "imbalanced", None), ("image transforms", "transforms", None)]
    sets += [(label, "generated", g) for label, g in generators.items()]
    if balanced is not None:
        sets += [("balanced", "balanced", None)]
    else:
        say(f"{data.split.dataset} has no balanced original (it is imbalanced by itself): no 'balanced' row", flush=True)
    rows = []
    for label, mode, generator in sets:
        train_set = build_training_set(mode, x_train, y_train, data.n_classes, generator=generator,
                                       balanced=balanced, flip=flip, seed=seed)
        train_set.label = label
        rows += score_training_set(train_set, x_val, y_val, x_test, y_test, n_classes=data.n_classes,
                                   profile=profile, seed=seed, with_svm=with_svm)
        say(f"{label:>18}: {len(train_set.y)} training images, CNN test accuracy {rows[-1 - with_svm]['accuracy']:.3f}, "
            f"macro F1 {rows[-1 - with_svm]['macro F1']:.3f}", flush=True)
    return rows


def generated_only(data, profile, generators: dict, *, n_per_class: int | None = None, seed: int = 0,
                   plan: StudyBudget | None = None) -> list:
    """The augmentation paper's check: a CNN trained on generated images only, tested on the real test set.

    ``n_per_class`` images of every class (None: the study's budget for the profile,
    else as many as the majority class has, as the paper does); ``plan``: the budget (default: this study's).
    """
    from bagan_lib.experiments.augmented_sets import AugmentedSet, generated_top_up

    plan = plan or budget(profile)
    if n_per_class is None:
        n_per_class = plan.generated_only or int(data.counts().max())
    _, _, x_val, y_val = validation_images(data, seed=seed)
    x_test, y_test = test_images(data, profile, seed=seed, test_per_class=plan.test_per_class)
    rows = []
    for label, generator in generators.items():
        x, y = generated_top_up(generator, np.full(data.n_classes, n_per_class), seed=seed)
        train_set = AugmentedSet("generated only", x, y, np.full(len(y), "generated", object))
        train_set.label = f"{label}, generated only"
        rows += score_training_set(train_set, x_val, y_val, x_test, y_test, n_classes=data.n_classes,
                                   profile=profile, seed=seed, with_svm=False, plan=plan)
    return rows


def minority_recall(rows: list, minority, class_names):
    """Per-class recall of the CNN on the minority classes, one row per training set (mean over seeds)."""
    import pandas as pd

    frame = pd.DataFrame([r for r in rows if r["classifier"] == "CNN"])
    columns = {f"recall {c}": class_names[c] for c in minority}
    return frame.groupby("training set", sort=False)[list(columns)].mean().rename(columns=columns)


BASELINES = ("imbalanced", "image transforms")


def with_minority_recall(rows: list, minority):
    """The rows as a DataFrame with ``minority recall``: the mean per-class recall over the ``minority`` classes."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    if not len(minority):
        raise KitError("There are no minority classes: every class has as many images as the largest.",
                       "use an imbalanced protocol (Fashion-MNIST: bagan_gp_paper, Table 1 B).")
    frame["minority recall"] = frame[[f"recall {c}" for c in minority]].mean(axis=1)
    return frame


def seed_table(rows: list, minority, *, classifier: str = "CNN"):
    """The results table over seeds: mean ± std of the headline metrics per training set (WGAN paper, Tables 1-2)."""
    from bagan_lib.experiments.downstream_classifiers import summarize_seeds

    frame = with_minority_recall(rows, minority)
    frame = frame[frame["classifier"] == classifier]
    keep = ["training set", "seed", "accuracy", "macro F1", "balanced accuracy", "minority recall"]
    return summarize_seeds(frame[keep].to_dict("records"))


def verdicts(rows: list, minority, *, classifier: str = "CNN"):
    """Does each generator's top-up beat each baseline on minority recall *and* macro F1? Counted per seed.

    One row per (generator, baseline): the means over seeds, the seeds where the
    generator's row is higher on both metrics, and whether it is higher on both means.
    """
    import pandas as pd

    frame = with_minority_recall(rows, minority)
    frame = frame[frame["classifier"] == classifier].set_index(["training set", "seed"])
    generators = [name for name in frame.index.unique("training set") if name not in (*BASELINES, "balanced")]
    out = []
    for name in generators:
        for baseline in BASELINES:
            mine, theirs = frame.loc[name], frame.loc[baseline]
            seeds = mine.index.intersection(theirs.index)
            both = ((mine.loc[seeds, "minority recall"] > theirs.loc[seeds, "minority recall"])
                    & (mine.loc[seeds, "macro F1"] > theirs.loc[seeds, "macro F1"]))
            means = {metric: (mine.loc[seeds, metric].mean(), theirs.loc[seeds, metric].mean())
                     for metric in ("minority recall", "macro F1")}
            out.append({"generator": name, "baseline": baseline,
                        "minority recall": f"{means['minority recall'][0]:.3f} vs {means['minority recall'][1]:.3f}",
                        "macro F1": f"{means['macro F1'][0]:.3f} vs {means['macro F1'][1]:.3f}",
                        "seeds where both are higher": f"{int(both.sum())} of {len(seeds)}",
                        "higher on both means": all(a > b for a, b in means.values())})
    return pd.DataFrame(out)


def class_count_table(data):
    """The imbalanced training counts as a table (``class``, ``name``, ``images``): what :func:`summarize_runs` reads."""
    import pandas as pd

    return pd.DataFrame({"class": range(data.n_classes), "name": data.class_names, "images": data.counts()})


def minority_classes(counts) -> np.ndarray:
    """The classes with fewer training images than the largest one."""
    return np.flatnonzero(np.asarray(counts) < np.max(counts))


def summarize_runs(run_dirs, out_dir, *, say=print) -> dict:
    """Combine notebook 09's output folders (one per seed) into the tables over seeds.

    Reads each folder's ``results_all_metrics.csv``, ``class_counts.csv`` and
    (where present) ``generated_only.csv``; the minority classes (fewer images than
    the largest) must agree. Writes ``seed_table_cnn``,
    ``seed_table_cnn_svm``, ``verdicts`` and ``generated_only_seeds`` (CSV and
    Markdown) to ``out_dir``. Refuses folders of different datasets or protocols,
    and a seed that appears twice.
    """
    import pandas as pd

    from bagan_lib.experiments.downstream_classifiers import summarize_seeds

    rows, only, counts = [], [], None
    for folder in map(Path, run_dirs):
        missing = [name for name in ("results_all_metrics.csv", "class_counts.csv") if not (folder / name).exists()]
        if missing:
            raise KitError(f"{folder} has no {' or '.join(missing)}.",
                           "pass the out_dir of a finished notebook 09 run (papermill ... -p out_dir DIR).")
        these = pd.read_csv(folder / "class_counts.csv")["images"].to_numpy()
        # the protocol's split depends on the seed, so counts may differ a little; the minority classes may not
        if counts is not None and (len(these) != len(counts)
                                   or not np.array_equal(minority_classes(these), minority_classes(counts))):
            raise KitError(f"{folder} has other minority classes (counts {these.tolist()}) than the first run "
                           f"({counts.tolist()}).", "combine runs of one dataset, protocol and profile only.")
        counts = these
        rows += pd.read_csv(folder / "results_all_metrics.csv").to_dict("records")
        if (folder / "generated_only.csv").exists():
            only += pd.read_csv(folder / "generated_only.csv").assign(seed=rows[-1]["seed"]).to_dict("records")
    frame = pd.DataFrame(rows)
    repeated = frame.groupby(["training set", "classifier"])["seed"].apply(lambda s: s.duplicated().any())
    if repeated.any():
        raise KitError("A seed appears in more than one of the runs.", "pass each seed's folder once.")
    minority = minority_classes(counts)
    tables = {"seed_table_cnn": seed_table(rows, minority),
              "seed_table_cnn_svm": seed_table(rows, minority, classifier="CNN-SVM"),
              "verdicts": verdicts(rows, minority)}
    if only:
        keep = [c for c in ("training set", "seed", "accuracy", "macro F1") if c in only[0]]
        tables["generated_only_seeds"] = summarize_seeds([{k: r[k] for k in keep} for r in only])
    for name, table in tables.items():
        save_table(table, out_dir, name)
    say(f"{len(set(frame['seed']))} seeds ({', '.join(map(str, sorted(set(frame['seed']))))}) combined into "
        f"{out_dir}: {', '.join(tables)}", flush=True)
    return tables
