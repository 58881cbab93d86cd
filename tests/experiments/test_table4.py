"""Table 4 from smoke-size runs trained here: run folders read back exactly, rows in the paper's order,
seeds aggregated, files written, and the evaluate command."""

from __future__ import annotations


import json

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from bagan_lib.gan.sampling import generate_per_class
from bagan_lib.cli import main
from bagan_lib.errors import KitError
from bagan_lib.experiments.table4 import AE_ROW, REAL_ROW, evaluate_runs, pretrained_autoencoder, save_table4
from bagan_lib.training.config import TrainConfig
from bagan_lib.training.run import load_run, train_model
from bagan_lib.training.run_data import load_training_data

RUNS = [("bagan_gp_v3", 1), ("bagan_gp_v3", 2), ("bagan", 1), ("cdragan", 1)]
FAST = dict(n_per_class=24, bootstrap=5, kid_subsets=4)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    data, results = {}, {}
    for model, seed in RUNS:
        config = TrainConfig(model=model, dataset="synthetic_cells", profile="smoke", seed=seed,
                             out_dir=str(root / f"{model}-{seed}"))
        if seed not in data:
            data[seed] = load_training_data(config, config.resolved_profile())
        results[(model, seed)] = train_model(config, data=data[seed], verbose=False)
    return results


def test_a_run_folder_is_read_back_exactly_without_writing(runs):
    original = runs[("bagan", 1)]
    folder = original.out_dir
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    loaded = load_run(folder, data=original.data)
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} == before
    assert loaded.timings["finished"] and loaded.timings["global_step"] == 2 and loaded.config.model == "bagan"
    a, _ = generate_per_class(original.trainer, 4, 3, seed=5)
    b, _ = generate_per_class(loaded.trainer, 4, 3, seed=5)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(KitError, match="holds no training run"):
        load_run(folder / "grids")


def test_the_autoencoder_baseline_uses_the_pretrained_weights_not_the_generators(runs):
    run = load_run(runs[("bagan_gp_v3", 1)].out_dir, data=runs[("bagan_gp_v3", 1)].data)
    ae = pretrained_autoencoder(run)
    with np.load(run.paths["autoencoder"]) as saved:
        for i, weight in enumerate(ae.weights):
            np.testing.assert_array_equal(np.asarray(weight), saved[f"weights_{i}"])
    # the run's own autoencoder shares its decoder with the generator, which the GAN steps changed
    trained = [np.asarray(w) for w in run.autoencoder.decoder.weights]
    assert any(not np.array_equal(a, np.asarray(b)) for a, b in zip(trained, ae.decoder.weights))


def test_table4_has_the_papers_rows_a_column_per_class_and_seeds_aggregated(runs, cache, tmp_path):
    dirs = [str(r.out_dir) for r in runs.values()]
    table = evaluate_runs(dirs, cache_dir=cache, verbose=False, **FAST)
    assert list(table.fid["FID"]) == [AE_ROW, "BAGAN", "cDRAGAN", "BAGAN-GP v3", REAL_ROW]
    assert list(table.kid["KID"]) == list(table.fid["FID"])
    headers = list(table.fid.columns[1:])
    assert len(headers) == 4 and headers[0].startswith("normal (train 64, real ")
    v3 = table.fid.set_index("FID").loc["BAGAN-GP v3"]
    assert all("(2 seeds)" in cell for cell in v3)
    assert all("[" in cell for cell in table.fid.set_index("FID").loc["BAGAN"])   # one seed: bootstrap interval
    assert table.extractor.startswith("domain:synthetic_cells-32px-seed0-")
    assert table.settings["seeds"] == [1, 2] and table.settings["n_per_class"] == 24
    scores = table.scores
    assert len(scores) == 4 * (2 * 2 + 2 + 2)   # per class: real and AE rows per seed, 4 runs
    assert set(scores.loc[scores["row"] == AE_ROW, "seed"]) == {1, 2}
    real_kid = scores[scores["row"] == REAL_ROW]["KID"].mean()
    for model in ("BAGAN", "cDRAGAN", "BAGAN-GP v3"):  # smoke generators are far from real images
        assert scores[scores["row"] == model]["KID"].mean() > real_kid
    assert list(table.share["share"]) == list(table.fid["FID"])
    assert scores["share"].between(0, 1).all()
    # the share of the real training images is the judge's own accuracy on them (n_per_class 24 each)
    real = scores[(scores["row"] == REAL_ROW) & (scores["seed"] == 1)]
    assert all(abs(share * 24 - round(share * 24)) < 1e-9 for share in real["share"])
    paths = save_table4(table, tmp_path)
    for name in ("table4_fid.csv", "table4_fid.md", "table4_kid.csv", "table4_kid.md", "table4_scores.csv",
                 "table4_share.csv", "table4_share.md", "table4.json", "table4.png"):
        assert (tmp_path / name).is_file(), name
    payload = json.loads(paths["json"].read_text())
    assert payload["extractor"] == table.extractor and len(payload["scores"]) == len(scores)
    with pytest.raises(KitError, match="Several runs fill the same cell"):
        evaluate_runs(dirs[:1] * 2, cache_dir=cache, verbose=False, **FAST)


def test_the_evaluate_command_writes_the_table_and_refuses_bad_input(runs, cache, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BAGAN_CACHE_DIR", str(cache))
    run = str(runs[("cdragan", 1)].out_dir)
    assert main(["evaluate", "--runs", run, "--out", str(tmp_path), "--n-per-class", "16", "--bootstrap", "3",
                 "--kid-subsets", "2"]) == 0
    out = capsys.readouterr().out
    assert "| cDRAGAN" in out and "real training images" in out and (tmp_path / "table4.png").is_file()
    assert "Per-class classifier share" in out and (tmp_path / "table4_share.csv").is_file()
    assert main(["evaluate", "--runs", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err
    assert main(["evaluate", "--runs", run, "--out", str(tmp_path), "--bootstrap", "-1"]) == 2
    assert main(["evaluate", "--runs", run, "--out", str(tmp_path), "--extractor", "vgg"]) == 2
    capsys.readouterr()
    monkeypatch.setenv("BAGAN_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert main(["evaluate", "--runs", run, "--out", str(tmp_path), "--extractor", "inception"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--weights-path" in error and "--extractor domain" in error


def test_evaluations_of_single_seeds_merge_into_the_several_seed_table(runs, cache, tmp_path):
    from bagan_lib.experiments.table4 import merge_tables

    for seed in (1, 2):
        table = evaluate_runs([str(runs[("bagan_gp_v3", seed)].out_dir)], cache_dir=cache, verbose=False, **FAST)
        save_table4(table, tmp_path / f"seed{seed}")
    merged = merge_tables([tmp_path / "seed1", tmp_path / "seed2"])
    together = evaluate_runs([str(runs[("bagan_gp_v3", s)].out_dir) for s in (1, 2)], cache_dir=cache,
                             verbose=False, **FAST)
    assert merged.settings["seeds"] == [1, 2]
    assert merged.fid.equals(together.fid) and merged.kid.equals(together.kid)   # the same cells, the same numbers
    assert merged.share.equals(together.share)
    with pytest.raises(KitError, match="same cell"):
        merge_tables([tmp_path / "seed1", tmp_path / "seed1"])
    with pytest.raises(KitError, match="no saved evaluation"):
        merge_tables([tmp_path])
    assert main(["evaluate", "--merge", str(tmp_path / "seed1"), str(tmp_path / "seed2"), "--out",
                 str(tmp_path / "merged")]) == 0
    assert (tmp_path / "merged" / "table4_fid.md").is_file()


def test_paper_orderings_compare_minority_means_per_seed():
    import pandas as pd

    from bagan_lib.experiments.table4 import minority_means, paper_orderings

    rows = []
    for seed, (v3, bagan) in enumerate([(1.0, 2.0), (3.0, 2.5), (1.0, 4.0)]):
        for cls, n_train in ((0, 100), (1, 10), (2, 20)):
            majority = cls == 0
            rows += [{"row": "BAGAN-GP v3", "seed": seed, "class": cls, "n_train": n_train,
                      "KID": 99.0 if majority else v3},
                     {"row": "BAGAN", "seed": seed, "class": cls, "n_train": n_train,
                      "KID": 0.0 if majority else bagan}]
    scores = pd.DataFrame(rows)
    means = minority_means(scores)
    assert means.loc["BAGAN-GP v3"].tolist() == [1.0, 3.0, 1.0]   # the majority class (99) is left out
    table = paper_orderings(scores)
    assert len(table) == 1 and table.loc[0, "claim"] == "BAGAN-GP v3 better than BAGAN"
    assert table.loc[0, "seeds where it holds"] == "2 of 3" and bool(table.loc[0, "holds on the mean"])
    assert table.loc[0, "better"] == pytest.approx(5 / 3, abs=1e-3)
    assert table.loc[0, "worse"] == pytest.approx(8.5 / 3, abs=1e-3)


def test_table4_figure_axes_and_chance_line():
    """The Table 4 figure: symlog FID and KID axes (a collapsed row at 10^4 beside real images near 0 stay
    readable), a linear share axis from 0 to 1 with chance 1/n drawn and named where no bar hides it."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from bagan_lib.figures.table4 import plot_table4

    rows = []
    for row, fid, kid, share in (("good", 10.0, 0.5, 0.9), ("collapsed", 1e4, 1e7, 0.0)):
        for c in range(4):
            rows.append({"row": row, "class": c, "name": f"c{c}", "n_train": 100 * (c + 1), "n_real": 20,
                         "FID": fid, "FID low": fid * 0.9, "FID high": fid * 1.1, "KID": kid, "KID std": 0.1,
                         "share": share})
    fig = plot_table4(pd.DataFrame(rows), title="t", rows=["good", "collapsed"])
    fid_ax, kid_ax, share_ax = fig.axes
    assert fid_ax.get_yscale() == kid_ax.get_yscale() == "symlog"
    assert share_ax.get_yscale() == "linear" and share_ax.get_ylim() == (0, 1.05)
    chance = [t for t in share_ax.texts if t.get_text().startswith("chance")]
    assert len(chance) == 1 and chance[0].get_text() == "chance (1/4)"
    assert chance[0].xy[1] == 0.25 and chance[0].get_zorder() > 2  # above the bars (zorder 1)
    assert any(np.allclose(line.get_ydata(), 0.25) for line in share_ax.get_lines())
    assert share_ax.get_xlabel().startswith("class") and "train 400" in share_ax.get_xticklabels()[3].get_text()
    plt.close(fig)
