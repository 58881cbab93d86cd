"""Notebook 08's helpers: real-vs-generated t-SNE maps, extractors side by side, locating the runs of notebooks
04 and 06, and the figures (titled, labelled)."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from bagan_lib.errors import KitError  # noqa: E402
from bagan_lib.metrics import Features  # noqa: E402
from feature_samples import labelled_features  # noqa: E402
from bagan_lib.metrics.extractor_comparison import compare_extractors  # noqa: E402
from bagan_lib.metrics.feature_maps import real_generated_map  # noqa: E402
from bagan_lib.experiments.sample_size import sample_size_study  # noqa: E402
from bagan_lib.experiments.table4_runs import TABLE4_MODELS, check_runs, notebook_run_dirs  # noqa: E402
from bagan_lib.figures.metrics import plot_feature_maps, plot_sample_size  # noqa: E402

NAMES = ("a", "b", "c")


def labelled(counts, shift=0.0, seed=0, dim=5):
    return labelled_features(counts, spacing=6.0, dim=dim, shift=shift, seed=seed)


def test_the_map_keeps_at_most_n_per_class_of_each_kind_and_separates_distant_classes():
    real, y_real = labelled([50, 8, 30])
    generated, y_generated = labelled([40, 40, 40], seed=1)
    fmap = real_generated_map(real, y_real, generated, y_generated, max_per_class=20, seed=0)
    assert fmap.points.shape == (20 + 8 + 20 + 3 * 20, 2) and fmap.extractor == "toy"
    assert [len(fmap.part(c, False)) for c in range(3)] == [20, 8, 20]
    assert [len(fmap.part(c, True)) for c in range(3)] == [20, 20, 20]
    centres = np.stack([fmap.points[fmap.labels == c].mean(0) for c in range(3)])
    spread = max(fmap.points[fmap.labels == c].std(0).max() for c in range(3))
    assert min(np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i)) > spread
    again = real_generated_map(real, y_real, generated, y_generated, max_per_class=20, seed=0)
    np.testing.assert_array_equal(fmap.points, again.points)
    with pytest.raises(KitError, match="one label per feature vector"):
        real_generated_map(real, y_real[:-1], generated, y_generated)


class Scaled:
    """A stand-in extractor: the pixels of 2x2 images, times ``scale``."""

    def __init__(self, scale, name):
        self.scale, self.name = scale, name

    def __call__(self, images):
        return Features(np.asarray(images).reshape(len(images), -1) * self.scale, self.name)


def test_extractors_side_by_side_keep_their_names_and_rank_the_classes():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 60)
    real = rng.normal(size=(240, 2, 2, 1))
    generated = rng.normal(size=(240, 2, 2, 1)) + 0.5 * y[:, None, None, None]  # class c shifted by c / 2
    result = compare_extractors({"one": Scaled(1.0, "pixels"), "ten": Scaled(10.0, "pixels x10")}, real, y,
                                generated, y, class_names=("w", "x", "y", "z"), kid_subsets=5)
    table = result.table
    assert list(table.columns) == ["class", "name", "n_real", "n_generated", "FID one", "KID one", "FID ten",
                                   "KID ten"]
    assert np.allclose(table["FID ten"], 100 * table["FID one"])  # FID scales with the square of the features
    assert np.all(np.diff(table["FID one"]) > 0)
    assert result.extractors == {"one": "pixels", "ten": "pixels x10"}
    assert result.agreement.to_dict("records") == [{"extractors": "one vs ten", "classes": 4,
                                                    "Spearman rho of FID": pytest.approx(1.0)}]
    alone = compare_extractors({"one": Scaled(1.0, "pixels")}, real, y, generated, y, class_names="wxyz",
                               kid_subsets=2)
    assert alone.agreement.empty


def write_run(folder, model, *, dataset="synthetic_cells", seed=42, profile="smoke", image_size=32):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"config": {"model": model, "dataset": dataset, "seed": seed},
                                                    "profile": {"name": profile}, "run": {"image_size": image_size}}))


def test_the_runs_of_notebooks_04_and_06_are_found_and_checked(tmp_path):
    for model in TABLE4_MODELS:
        sub = "04_bagan/bagan_synthetic_cells" if model == "bagan" else f"06_bagan_gp/{model}"
        write_run(tmp_path / sub, model, seed=7 if model == "cdragan" else 42)
    dirs = notebook_run_dirs(tmp_path, "synthetic_cells")
    assert list(dirs) == list(TABLE4_MODELS) and dirs["bagan"] == tmp_path / "04_bagan" / "bagan_synthetic_cells"
    with pytest.raises(KitError, match=r"cdragan \(seed 7\)"):
        check_runs(dirs, dataset="synthetic_cells", seed=42, profile="smoke", image_size=32)
    check_runs({m: d for m, d in dirs.items() if m != "cdragan"}, dataset="synthetic_cells", seed=42,
               profile="smoke", image_size=32)
    with pytest.raises(KitError, match="profile 'smoke'"):
        check_runs({"bagan": dirs["bagan"]}, dataset="synthetic_cells", seed=42, profile="teach", image_size=32)
    with pytest.raises(KitError, match="model 'bagan'"):
        check_runs({"bagan_gp_v3": dirs["bagan"]}, dataset="synthetic_cells", seed=42, profile="smoke",
                   image_size=32)
    with pytest.raises(KitError, match=r"No training run .* bagan \(.*fashion_mnist\)"):
        notebook_run_dirs(tmp_path, "fashion_mnist")
    given = {"bagan": dirs["bagan"], "bagan_gp_v3": dirs["bagan_gp_v3"]}
    assert notebook_run_dirs(given, "synthetic_cells", models=("bagan", "bagan_gp_v3")) == given
    with pytest.raises(KitError, match=r"cdragan \(not given\)"):
        notebook_run_dirs(given, "synthetic_cells")
    with pytest.raises(KitError, match="unknown models: gan"):
        notebook_run_dirs({"gan": dirs["bagan"]}, "synthetic_cells")


def _texts(fig):
    axes = fig.get_axes()
    return ([fig._suptitle.get_text()] if fig._suptitle else []) + [ax.get_title() for ax in axes], \
        [ax.get_xlabel() for ax in axes], [ax.get_ylabel() for ax in axes]


def test_the_figures_have_titles_and_labelled_axes():
    rng = np.random.default_rng(0)
    study = sample_size_study(rng.normal(size=(80, 4)), rng.normal(size=(50, 4)), (5, 20, 60), repeats=3)
    fig = plot_sample_size(study, title="one class against itself")
    titles, xlabels, ylabels = _texts(fig)
    assert "one class against itself" in titles and any("n_real" in x for x in xlabels)
    assert {"FID (lower is better)", "KID (lower is better)"} <= set(ylabels)
    real, y_real = labelled([20, 20, 20])
    generated, y_generated = labelled([20, 20, 20], seed=1)
    maps = {"model A": real_generated_map(real, y_real, generated, y_generated, seed=0)}
    scores = pd.DataFrame({"row": ["model A"] * 3, "class": [0, 1, 2], "precision": [0.5, 0.25, np.nan],
                           "recall": [0.75, 0.5, np.nan]})
    fig = plot_feature_maps(maps, NAMES, title="Fig. 11", scores=scores)
    titles, xlabels, ylabels = _texts(fig)
    assert titles[:4] == ["Fig. 11", "a", "b", "c"] and xlabels == ["t-SNE 1"] * 3
    assert ylabels[0] == "model A\nt-SNE 2"
    panel_texts = [t.get_text() for t in fig.get_axes()[0].texts]
    assert panel_texts == ["20 real, 20 generated\nprecision 0.50, recall 0.75"]
    with pytest.raises(KitError, match="No maps"):
        plot_feature_maps({}, NAMES, title="x")


def test_pixel_features_are_block_means_named_by_their_size():
    from bagan_lib.metrics.extractor_comparison import PixelExtractor

    images = np.arange(2 * 4 * 4 * 1, dtype=float).reshape(2, 4, 4, 1)
    features = PixelExtractor(2)(images)
    assert features.extractor == "pixels-2px" and features.values.shape == (2, 4)
    np.testing.assert_allclose(features.values[0], [images[0, :2, :2].mean(), images[0, :2, 2:].mean(),
                                                    images[0, 2:, :2].mean(), images[0, 2:, 2:].mean()])
    with pytest.raises(KitError, match="multiple of 3"):
        PixelExtractor(3)(images)
