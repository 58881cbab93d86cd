"""The runs Table 4 compares: the models notebooks 04 and 06 trained, read from their folders or trained here.

Notebook 04 trains BAGAN in ``<its out_dir>/bagan_<dataset>``, notebook 06
cDRAGAN and BAGAN-GP v1, v2, v3 in ``<its out_dir>/<model>``. With the
notebooks' default ``out_dir`` (``outputs/NN_name``) and in the main job
(``runs/<time>-<profile>/NN_name``) those folders sit side by side, so one
folder, ``runs_dir``, locates all five (:func:`notebook_run_dirs`; runs kept
elsewhere are passed as a dict ``model -> folder``). A run is
used only if it was trained on the data asked for (dataset, seed, profile,
image size: :func:`check_runs`); a missing or different run is a KitError that
says which, never a silent substitute. Without ``runs_dir``,
:func:`train_table4_runs` trains the five as notebook 06 does (``resume=True``:
a rerun reuses finished runs; v2 starts from v1's autoencoder).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from bagan_lib.errors import KitError
from bagan_lib.models.recipes import get_recipe
from bagan_lib.training.config import TrainConfig
from bagan_lib.training.run import load_run, train_model
from bagan_lib.training.run_data import load_training_data

TABLE4_MODELS = ("bagan", "cdragan", "bagan_gp_v1", "bagan_gp_v2", "bagan_gp_v3")  # the paper's row order
NOTEBOOK_FOLDERS = {"bagan": "04_bagan/bagan_{dataset}", "cdragan": "06_bagan_gp/cdragan",
                    "bagan_gp_v1": "06_bagan_gp/bagan_gp_v1", "bagan_gp_v2": "06_bagan_gp/bagan_gp_v2",
                    "bagan_gp_v3": "06_bagan_gp/bagan_gp_v3"}
AUTOENCODER_FROM = {"bagan_gp_v2": "bagan_gp_v1"}  # v2 starts from v1's autoencoder (the ablation of notebook 06)
PRODUCING_NOTEBOOKS = tuple(sorted({folder.split("/")[0] for folder in NOTEBOOK_FOLDERS.values()}))  # 04, 06


def notebook_run_dirs(runs_dir, dataset: str, models=TABLE4_MODELS) -> dict:
    """``model -> run folder``: under ``runs_dir`` (the folder holding notebooks 04's and 06's out_dirs), or,
    for runs kept elsewhere, ``runs_dir`` itself as a dict ``model -> folder``."""
    if isinstance(runs_dir, dict):
        unknown = sorted(set(runs_dir) - set(TABLE4_MODELS))
        if unknown:
            raise KitError(f"runs_dir names unknown models: {', '.join(unknown)}.",
                           f"use the model names {', '.join(TABLE4_MODELS)}.")
        where = "runs_dir"
        dirs = {m: Path(runs_dir[m]) if m in runs_dir else None for m in models}
    else:
        where = str(runs_dir)
        dirs = {m: Path(runs_dir) / NOTEBOOK_FOLDERS[m].format(dataset=dataset) for m in models}
    missing = [f"{m} ({d if d is not None else 'not given'})" for m, d in dirs.items()
               if d is None or not (d / "config.json").is_file()]
    if missing:
        raise KitError(f"No training run in {where} for {', '.join(missing)}.",
                       f"run notebooks 04 and 06 with dataset={dataset!r} and their out_dir under one folder "
                       "(04_bagan/, 06_bagan_gp/) and pass that folder, pass a dict model -> run folder, or set "
                       "runs_dir=None to train the models here.")
    return dirs


def check_runs(dirs: dict, *, dataset: str, seed: int, profile: str, image_size: int) -> None:
    """Every run in ``dirs`` (model -> folder) trained on ``dataset`` with ``seed``, ``profile`` and ``image_size``."""
    wanted = {"model": None, "dataset": dataset, "seed": seed, "profile": profile, "image_size": image_size}
    problems = []
    for model, folder in dirs.items():
        saved = json.loads((Path(folder) / "config.json").read_text())
        have = {"model": saved["config"]["model"], "dataset": saved["config"]["dataset"],
                "seed": saved["config"]["seed"], "profile": saved["profile"]["name"],
                "image_size": saved["run"]["image_size"]}
        differ = [f"{k} {have[k]!r}" for k in wanted if k != "model" and have[k] != wanted[k]]
        if have["model"] != model:
            differ.insert(0, f"model {have['model']!r}")
        if differ:
            problems.append(f"{folder} ({', '.join(differ)})")
    if problems:
        raise KitError(f"These runs were not trained as asked (dataset {dataset!r}, seed {seed}, profile "
                       f"{profile!r}, {image_size}px): {'; '.join(problems)}.",
                       "pass the parameters the runs were trained with, or set runs_dir=None to train the "
                       "models here.")


def load_notebook_runs(runs_dir, *, dataset: str, seed: int, profile: str, image_size: int,
                       models=TABLE4_MODELS) -> dict:
    """``model -> TrainingResult`` read back (:func:`bagan_lib.training.run.load_run`) from ``runs_dir``, checked."""

    dirs = notebook_run_dirs(runs_dir, dataset, models)
    check_runs(dirs, dataset=dataset, seed=seed, profile=profile, image_size=image_size)
    config = TrainConfig(**json.loads((dirs[models[0]] / "config.json").read_text())["config"])
    data = load_training_data(config, config.resolved_profile())  # one split, shared by all (checked above)
    return {model: load_run(folder, data=data) for model, folder in dirs.items()}


def train_table4_runs(base, out_dir, *, data=None, models=TABLE4_MODELS, verbose: bool = True) -> dict:
    """``model -> TrainingResult``: each model trained from ``base`` (a TrainConfig) into ``out_dir/<model>``.

    As notebook 06: ``resume=True`` (finished runs are reused), and v2 starts
    from v1's autoencoder, so the two differ only in the labels of the fakes
    and the wrong-label term.
    """
    out = Path(out_dir)
    base = dataclasses.replace(base, resume=True)
    data = data if data is not None else load_training_data(base, base.resolved_profile())
    runs = {}
    order = sorted(models, key=lambda m: m in AUTOENCODER_FROM)  # the autoencoders' owners first
    for model in order:
        owner = AUTOENCODER_FROM.get(model)
        shared = str(out / owner / "checkpoints" / "autoencoder.npz") if owner in models else None
        penalty = None if get_recipe(model).gp_lambda == 0 else base.gp_lambda  # no penalty weight for BAGAN
        config = dataclasses.replace(base, model=model, out_dir=str(out / model), autoencoder_path=shared,
                                     gp_lambda=penalty)
        runs[model] = train_model(config, data=data, verbose=verbose)
    return {m: runs[m] for m in models}
