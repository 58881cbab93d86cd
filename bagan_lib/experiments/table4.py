"""The BAGAN-GP paper's Table 4 for any dataset: per-class FID and KID of every model, with both baselines.

Beside FID and KID, every cell holds the classifier ``share``: the share of
the class's images that the dataset's real-data classifier assigns to the class
(:func:`bagan_lib.metrics.per_class.add_class_share`; the quality check of
notebooks 04-06), so a generator that ignores a class shows it at once.

Rows, in the paper's order: autoencoder reconstructions (lower baseline: how
close the pre-trained autoencoder gets), BAGAN, cDRAGAN, BAGAN-GP v1, v2, v3,
CAPGAN (once the kit has it), real training images (upper baseline: what real
images of the class score against the held-out ones). Columns: one per class,
headed with its training and held-out real counts. Every cell compares
``n_per_class`` images of the class (generated, reconstructed or real training
images; the profile's ``eval_per_class`` by default) with all held-out real
images of the class (:func:`bagan_lib.metrics.per_class.held_out_images`), in
the features of one extractor, named in every output.

Runs of several seeds give one cell per seed; the table shows their mean and
standard deviation. A single seed shows the value with its bootstrap interval
(FID: the basic, bias-correcting interval of :func:`bagan_lib.metrics.fid`; none
with ``bootstrap=0``) or the standard deviation over KID's subsets. The dataset
needs a test split (held-out real images): a ``folder:`` dataset without
``test/`` is refused before any scoring, with how to add one.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bagan_lib.data.batches import cap_per_class
from bagan_lib.data.custom import require_test_split
from bagan_lib.errors import KitError
from bagan_lib.figures.table4 import plot_table4
from bagan_lib.metrics.extractors import get_extractor, inception_weights_file
from bagan_lib.metrics.per_class import add_class_share, evaluate_generator, held_out_images, per_class_scores
from bagan_lib.models.builders import build_pretraining_network
from bagan_lib.runtime.checkpoints import model_state, restore_state
from bagan_lib.runtime.outputs import atomic_write_text, save_figure, save_table
from bagan_lib.training.config import saved_config
from bagan_lib.training.run import load_run
from bagan_lib.training.run_data import load_training_data

AE_ROW, REAL_ROW = "autoencoder reconstructions", "real training images"
MODEL_ROWS = {"bagan": "BAGAN", "cdragan": "cDRAGAN", "bagan_gp_v1": "BAGAN-GP v1", "bagan_gp_v2": "BAGAN-GP v2",
              "bagan_gp_v3": "BAGAN-GP v3", "capgan": "CAPGAN"}
ROW_ORDER = (AE_ROW, *MODEL_ROWS.values(), REAL_ROW)
AE_PREFERENCE = ("bagan_gp_v3", "bagan_gp_v2", "bagan_gp_v1", "bagan")  # whose autoencoder is the baseline


@dataclass
class Table4:
    """Per-class scores of every row and seed (``scores``, long form) and the paper's layout (``fid``, ``kid``)."""

    scores: object            # pandas: row, seed, class, name, n_train, n_real, n_scored, FID..., KID..., share, note
    fid: object               # pandas: one row per table row, one column per class (strings)
    kid: object
    share: object             # the classifier share in the same layout
    extractor: str
    settings: dict
    runs: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def _split_key(config, profile) -> str:
    """What fixes a run's training images and held-out images: runs with one key share their data."""
    return json.dumps([config.dataset, config.protocol, config.protocol_options, config.seed, profile.max_per_class,
                       profile.image_size], sort_keys=True, default=str)


def load_runs(run_dirs, *, verbose: bool = False) -> list:
    """Every run folder read back (:func:`bagan_lib.training.run.load_run`), loading each distinct data split once.

    Evaluation compares with held-out real images, so a dataset without a test
    split is refused as soon as its data are loaded, before any run is rebuilt."""
    loaded, data_by_key = [], {}
    for run_dir in run_dirs:
        config_file = Path(run_dir) / "config.json"
        data = None
        if config_file.is_file():  # else load_run says what is missing
            config = saved_config(config_file)
            profile = config.resolved_profile()
            key = _split_key(config, profile)
            if key not in data_by_key:
                data_by_key[key] = load_training_data(config, profile)
                require_test_split(config.dataset, len(data_by_key[key].split.y_test), "evaluate")
            data = data_by_key[key]
        loaded.append(load_run(run_dir, data=data, verbose=verbose))
    return loaded


def _check_same_data(runs) -> None:
    def describe(run):
        d = run.data
        return {"dataset": run.config.dataset, "protocol": d.split.protocol,
                "protocol_options": run.config.protocol_options, "image_size": d.image_size,
                "channels": d.channels, "n_classes": d.n_classes}

    first = describe(runs[0])
    for run in runs[1:]:
        differ = [f"{k} {first[k]!r} vs {v!r}" for k, v in describe(run).items() if first[k] != v]
        if differ:
            raise KitError(f"{run.out_dir} was trained on other data than {runs[0].out_dir}: {'; '.join(differ)}.",
                           "build one table per dataset, protocol and image size (one evaluate call each).")


def _capped_per_class(x, y, n: int, seed: int):
    keep = cap_per_class(y, n, seed=seed)
    return x[keep], np.asarray(y)[keep]


def pretrained_autoencoder(run):
    """The run's autoencoder as pre-training left it, rebuilt from its ``checkpoints/autoencoder.npz``.

    ``run.autoencoder`` cannot serve: the generator *is* its decoder (and
    embedding), so after the GAN training, or after :func:`bagan_lib.training.run.load_run`
    restored the GAN state, it decodes with the generator's weights. The lower
    baseline is the pre-trained autoencoder.
    """
    ae = build_pretraining_network(run.config.model, image_size=run.data.image_size, channels=run.data.channels,
                                   n_classes=run.data.n_classes, latent_dim=run.profile.latent_dim,
                                   width=run.profile.width)
    restore_state(run.paths["autoencoder"], model_state(ae))
    return ae


def _reconstruct(autoencoder, x, y, batch_size: int = 512) -> np.ndarray:
    parts = []
    for i in range(0, len(x), batch_size):
        images, labels = x[i:i + batch_size], np.asarray(y[i:i + batch_size], "int32")
        parts.append(np.asarray(autoencoder([images, labels] if autoencoder.supervised else images, training=False)))
    return np.clip(np.concatenate(parts), -1.0, 1.0)


UNFINISHED = "not finished"


def _unfinished(run) -> str:
    return f"{UNFINISHED}: the run's checkpoint is at step {run.timings['global_step']}"


def _rows(label: str, seed: int, result, n_train) -> list:
    rows = []
    for record in result.table.to_dict("records"):
        record["n_scored"] = record.pop("n_generated")  # generated, reconstructed or real training images
        rows.append({"row": label, "seed": seed, "n_train": int(n_train[record["class"]]), **record})
    return rows


def evaluate_runs(run_dirs, *, extractor: str = "domain", n_per_class: int | None = None, extractor_seed: int = 0,
                  bootstrap: int = 100, kid_subsets: int = 100, kid_subset_size: int = 1000,
                  inception_size: int = 299, weights_path=None, weights_sha256=None, data_dir=None, cache_dir=None,
                  verbose: bool = True) -> Table4:
    """Table 4 of the runs in ``run_dirs`` (folders written by ``train``; any models, any seeds, one dataset).

    ``extractor``: ``"domain"`` (the kit's classifier of the dataset, trained
    with ``extractor_seed`` at the first run's profile; the same for every run)
    or ``"inception"`` (``inception_size``, ``weights_path``). The baselines are
    computed once per distinct data split (seed): the reconstructions by the
    autoencoder of that seed's BAGAN-GP v3 run (else v2, v1, BAGAN), the real
    training images capped at ``n_per_class`` per class.
    """


    say = print if verbose else (lambda *a, **k: None)
    if not run_dirs:
        raise KitError("No run folders given.", "pass the --out folders of `train` runs (--runs DIR ...).")
    start = time.perf_counter()
    if extractor == "inception":  # missing weights fail before the runs are loaded
        inception_weights_file(weights_path=weights_path, sha256=weights_sha256)
    runs = load_runs(run_dirs)
    _check_same_data(runs)
    first = runs[0]
    n = n_per_class or first.profile.eval_per_class
    notes = [f"{run.out_dir}: checkpoint at step {run.timings['global_step']}, the run is not finished"
             for run in runs if not run.timings["finished"]]
    features = get_extractor(extractor, dataset=first.config.dataset, image_size=first.data.image_size,
                             seed=extractor_seed, profile=first.profile.name, inception_size=inception_size,
                             weights_path=weights_path, weights_sha256=weights_sha256, data_dir=data_dir,
                             cache_dir=cache_dir, verbose=verbose)
    # the share is judged by the real-data classifier: the domain extractor's own, else the same one trained here
    judge = features if extractor == "domain" else get_extractor(
        "domain", dataset=first.config.dataset, image_size=first.data.image_size, seed=extractor_seed,
        profile=first.profile.name, data_dir=data_dir, cache_dir=cache_dir, verbose=verbose)
    options = dict(bootstrap=bootstrap, kid_subsets=kid_subsets, kid_subset_size=kid_subset_size)
    names = first.data.class_names
    splits = {}
    for run in runs:
        splits.setdefault(_split_key(run.config, run.profile), []).append(run)
    rows = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for group in splits.values():
            data, seed = group[0].data, group[0].config.seed
            real, real_y = held_out_images(data.split, data.image_size, data.channels)
            real_features = features(real)
            n_train = data.counts()
            x_train, y_train = _capped_per_class(data.x, data.y, n, seed)
            scored = per_class_scores(real_features, real_y, features(x_train), y_train, class_names=names,
                                      seed=seed, warn=False, **options)
            rows += _rows(REAL_ROW, seed, add_class_share(scored, judge.classifier, x_train, y_train), n_train)
            with_ae = {run.config.model: run for run in group if run.autoencoder is not None}
            owner = next((with_ae[m] for m in AE_PREFERENCE if m in with_ae), None)
            if owner is not None:
                rebuilt = _reconstruct(pretrained_autoencoder(owner), x_train, y_train)
                scored = per_class_scores(real_features, real_y, features(rebuilt), y_train, class_names=names,
                                          seed=seed, warn=False, **options)
                rows += _rows(AE_ROW, seed, add_class_share(scored, judge.classifier, rebuilt, y_train), n_train)
            for run in group:
                label = MODEL_ROWS.get(run.config.model, run.config.model)
                scored = evaluate_generator(run.trainer, features, real_images=None, real_labels=real_y,
                                            class_names=names, n_per_class=n, seed=seed,
                                            real_features=real_features, share_classifier=judge.classifier,
                                            warn=False, **options)
                model_rows = _rows(label, seed, scored, n_train)
                if not run.timings["finished"]:  # said in every output, the CSV and Markdown tables included
                    for row in model_rows:
                        row["note"] = "; ".join(filter(None, [row.get("note"), _unfinished(run)]))
                rows += model_rows
                say(f"evaluate: {label} seed {seed} scored in {sum(scored.seconds.values()):.1f} s", flush=True)
    scores = pd.DataFrame(rows)
    duplicated = scores.duplicated(["row", "seed", "class"])
    if duplicated.any():
        twice = sorted(set(scores.loc[duplicated, "row"] + " seed " + scores.loc[duplicated, "seed"].astype(str)))
        raise KitError(f"Several runs fill the same cell: {', '.join(twice)}.",
                       "pass one run per model and seed.")
    thin = scores[scores["note"].str.contains("rank-deficient")][["name", "n_real"]].drop_duplicates()
    if len(thin):
        notes.append(f"fewer held-out real images than the {features.dim} feature dimensions in "
                     + ", ".join(f"{r.name} ({r.n_real})" for r in thin.itertuples())
                     + ": FID's covariance is rank-deficient there; read KID")
    notes += sorted({str(w.message) for w in caught if "rank-deficient" not in str(w.message)})
    settings = {"extractor": features.name, "extractor_kind": extractor, "feature_dim": features.dim,
                "n_per_class": n, **options, "dataset": first.config.dataset, "protocol": first.data.split.protocol,
                "image_size": first.data.image_size, "seeds": sorted({int(s) for s in scores["seed"]}),
                "seconds": round(time.perf_counter() - start, 1)}
    table = Table4(scores, layout(scores, "FID"), layout(scores, "KID"), layout(scores, "share"), features.name,
                   settings,
                   runs=[{"folder": str(r.out_dir), "model": r.config.model, "seed": r.config.seed,
                          "global_step": r.timings["global_step"], "finished": r.timings["finished"]} for r in runs],
                   notes=notes)
    return table


def _saved_evaluation(folder) -> dict:
    """``table4.json`` of an ``evaluate --out`` folder, with the entries a merge reads; else a KitError."""
    path = Path(folder) / "table4.json"
    fix = ("pass --out folders of `python -m bagan_lib evaluate` (run the evaluation again if its table4.json was "
           "damaged).")
    if not path.is_file():
        raise KitError(f"{folder} holds no saved evaluation (no table4.json).", fix)
    try:
        payload = json.loads(path.read_text())
    except ValueError as exc:
        raise KitError(f"{path} is not JSON ({exc}).", fix) from exc
    missing = [k for k in ("extractor", "settings", "scores", "runs", "notes") if not isinstance(payload, dict)
               or k not in payload]
    if missing:
        raise KitError(f"{path} is not a saved evaluation (it lacks {', '.join(missing)}).", fix)
    return payload


def merge_tables(folders) -> Table4:
    """One Table 4 from several saved evaluations (``table4.json`` in each folder), e.g. one per seed.

    They must share the extractor (the same key), the dataset and protocol, and
    the scoring settings; a cell (row, seed, class) may come from one of them only.
    """
    payloads = [_saved_evaluation(folder) for folder in folders]
    if not payloads:
        raise KitError("No evaluation to merge.", "pass at least one folder.")
    same = ("extractor", "n_per_class", "dataset", "protocol", "image_size", "bootstrap", "kid_subsets",
            "kid_subset_size")
    first = payloads[0]
    for folder, payload in zip(folders, payloads):
        settings = {"extractor": payload["extractor"], **payload["settings"]}
        reference = {"extractor": first["extractor"], **first["settings"]}
        differ = [k for k in same if settings.get(k) != reference.get(k)]
        if differ:
            raise KitError(f"{folder} was scored differently from {folders[0]} ({', '.join(differ)}).",
                           "merge only evaluations made with the same extractor, dataset and settings.")
    scores = pd.concat([pd.DataFrame(p["scores"]) for p in payloads], ignore_index=True)
    duplicated = scores.duplicated(["row", "seed", "class"])
    if duplicated.any():
        raise KitError("Several evaluations fill the same cell (the same seed twice).",
                       "merge evaluations of different seeds.")
    settings = {**first["settings"], "seeds": sorted({int(s) for s in scores["seed"]}),
                "seconds": round(sum(p["settings"].get("seconds", 0) for p in payloads), 1),
                "merged_from": [str(f) for f in folders]}
    return Table4(scores, layout(scores, "FID"), layout(scores, "KID"), layout(scores, "share"), first["extractor"],
                  settings,
                  runs=[r for p in payloads for r in p["runs"]], notes=sorted({n for p in payloads for n in p["notes"]}))


PAPER_ORDERINGS = (("BAGAN-GP v3", "BAGAN"), ("BAGAN-GP v2", "BAGAN-GP v1"), ("BAGAN-GP v3", "BAGAN-GP v1"),
                   ("CAPGAN", "BAGAN-GP v3"))  # (better, worse) on the minority classes, as the papers claim


def minority_means(scores, metric: str = "KID"):
    """Per row and seed, the mean of ``metric`` over the minority classes (fewer training images than the most)."""
    largest = scores.groupby("class")["n_train"].max()
    minority = largest.index[largest < largest.max()]
    part = scores[scores["class"].isin(minority)]
    return part.groupby(["row", "seed"])[metric].mean().unstack("seed")


ORDERING_COLUMNS = ("claim", "metric", "better", "worse", "seeds where it holds", "holds on the mean")


def paper_orderings(scores, metric: str = "KID"):
    """Whether the papers' orderings hold on the minority classes: per pair, the mean over seeds and per seed.

    Lower is better for FID and KID. "CAPGAN at least as good as BAGAN-GP" is read
    as CAPGAN's minority mean at most v3's. Pairs whose rows are missing are left out.
    """
    means = minority_means(scores, metric)
    rows = []
    for better, worse in PAPER_ORDERINGS:
        if better not in means.index or worse not in means.index:
            continue
        b, w = means.loc[better], means.loc[worse]
        seeds = b.index.intersection(w.index)
        holds = int((b[seeds] <= w[seeds]).sum())
        rows.append({"claim": f"{better} better than {worse}", "metric": metric,
                     "better": round(float(b[seeds].mean()), 3), "worse": round(float(w[seeds].mean()), 3),
                     "seeds where it holds": f"{holds} of {len(seeds)}",
                     "holds on the mean": bool(b[seeds].mean() <= w[seeds].mean())})
    return pd.DataFrame(rows, columns=ORDERING_COLUMNS)  # the columns also when no pair has both rows


def _span(values) -> str:
    low, high = int(np.min(values)), int(np.max(values))
    return str(low) if low == high else f"{low}-{high}"


def row_order(scores) -> list:
    """The rows present in ``scores``: the paper's first (:data:`ROW_ORDER`), then any others by name."""
    present = set(scores["row"])
    return [r for r in ROW_ORDER if r in present] + sorted(present - set(ROW_ORDER))


def layout(scores, metric: str):
    """The paper's layout of one metric: a row per table row (in the paper's order), a column per class.

    A row whose run had not finished training is labelled ``(not finished)``.
    A cell: ``mean ± std (k seeds)`` over seeds, or for one seed the value with
    its bootstrap interval (FID: ``v [low, high]``, ``v`` alone without bootstrap) or its subset spread (KID:
    ``v ± std``); three significant digits, since the scale depends on the extractor. The
    classifier ``share`` is a fraction: two decimals, and for one seed the value alone.
    Evaluations saved before the share existed show ``n/a`` there.
    """
    order = row_order(scores)
    columns = {}
    for c, cls in scores.groupby("class", sort=True):
        header = f"{cls['name'].iloc[0]} (train {_span(cls['n_train'])}, real {_span(cls['n_real'])})"
        cells = {}
        for row, part in cls.groupby("row"):
            values = part[metric].to_numpy(dtype=float) if metric in part else np.full(len(part), np.nan)
            if np.isnan(values).all():
                cells[row] = "n/a"
            elif metric == "share":
                cells[row] = (f"{np.nanmean(values):.2f} ± {np.nanstd(values):.2f} ({len(values)} seeds)"
                              if len(values) > 1 else f"{values[0]:.2f}")
            elif len(values) > 1:
                cells[row] = f"{np.nanmean(values):.3g} ± {np.nanstd(values):.2g} ({len(values)} seeds)"
            elif metric == "FID":
                one = part.iloc[0]
                cells[row] = (f"{one['FID']:.3g}" if np.isnan(one["FID low"])  # bootstrap 0: no interval
                              else f"{one['FID']:.3g} [{one['FID low']:.3g}, {one['FID high']:.3g}]")
            else:
                cells[row] = f"{values[0]:.3g} ± {part['KID std'].iloc[0]:.2g}"
        columns[header] = cells
    table = pd.DataFrame(columns).reindex(order)
    notes = scores["note"].fillna("").astype(str) if "note" in scores else pd.Series("", index=scores.index)
    unfinished = set(scores.loc[notes.str.contains(UNFINISHED), "row"])
    table.index = [f"{row} ({UNFINISHED})" if row in unfinished else row for row in table.index]
    table.index.name = metric
    return table.reset_index()


def save_table4(table: Table4, out_dir) -> dict:
    """``table4_fid``/``table4_kid``/``table4_share`` (CSV and Markdown), ``table4_scores`` (every cell, long form),
    ``table4_orderings`` (the papers' claims checked on the minority classes, :func:`paper_orderings`),
    ``table4.json`` and the grouped bar chart ``table4.png`` in ``out_dir``; returns the paths."""
    out = Path(out_dir)

    paths = {"fid": save_table(table.fid, out, "table4_fid"), "kid": save_table(table.kid, out, "table4_kid"),
             "share": save_table(table.share, out, "table4_share"),
             "scores": save_table(table.scores, out, "table4_scores"),
             "orderings": save_table(pd.concat([paper_orderings(table.scores, m) for m in ("KID", "FID")],
                                               ignore_index=True), out, "table4_orderings")}
    payload = {"extractor": table.extractor, "settings": table.settings, "runs": table.runs, "notes": table.notes,
               "fid": table.fid.to_dict("records"), "kid": table.kid.to_dict("records"),
               "share": table.share.to_dict("records"),
               "scores": json.loads(table.scores.to_json(orient="records"))}
    paths["json"] = atomic_write_text(out / "table4.json", json.dumps(payload, indent=2))
    fig = plot_table4(table.scores, title=f"{table.settings['dataset']}: per-class FID, KID and classifier share ({table.extractor})",
                      rows=row_order(table.scores))
    paths["figure"] = save_figure(fig, out, "table4")
    plt.close(fig)
    return paths


def print_share(table: Table4) -> None:
    """The classifier-share table on stdout, with chance named (the ``evaluate`` command prints it after FID)."""
    chance = 1 / table.scores["class"].nunique()
    print(f"# Per-class classifier share: images of the class that the real-data classifier calls that class "
          f"(chance {chance:.2f})")
    print(table.share.to_markdown(index=False))
