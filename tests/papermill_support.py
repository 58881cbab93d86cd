"""What tests/test_notebooks_papermill*.py share: each notebook, run headless by papermill with explicit
parameters, writes its figures and tables.

(nbval runs the same notebooks in the same ``make test``, at the smoke profile through
``BAGAN_PROFILE``; this test passes the parameters explicitly, as a researcher's rerun does.)

The notebooks are split over two test files (:data:`FIRST_FILE` and every other notebook) so that
pytest-xdist's ``--dist loadfile`` can run them on both workers: in one file they were ~11 minutes
on one worker. Every notebook of :func:`list_notebooks` is in exactly one of the two files; a new
notebook goes to the second file by default.
"""

from __future__ import annotations

import nbformat
import papermill

from bagan_lib.runtime.main_job import NOTEBOOKS_DIR, list_notebooks

# Outputs each notebook must write at the smoke profile: (figures, tables), by file stem.
EXPECTED = {
    "00_setup_and_data": ({"table2_cifar10_D", "synthetic_cells_grid", "capgan_rates"},
                          {"paper_tables_B_D", "table3_cells", "capgan_rates_synthetic_cells"}),
    "01_gan_loss": ({"optimal_discriminator", "js_vs_distance", "generator_gradients", "ring_real",
                     "snapshots_gan_losses"},
                    {"js_check", "generator_gradients", "coverage_gan_losses"}),
    "02_wgan_gp": ({"w1_vs_js", "wgan_clip_critic", "wgan_gp_landscape", "gradient_norms", "snapshots",
                    "sweep_lambda", "sweep_latent_dim"},
                   {"coverage", "sweep_lambda", "sweep_latent_dim"}),
    "03_dragan": ({"interpolation_schemes", "snapshots_side_by_side", "coverage_over_steps", "critic_landscapes",
                   "gradient_norms", "sweep_lambda", "sweep_latent_dim"},
                  {"coverage_over_steps", "coverage", "sweep_lambda", "sweep_latent_dim"}),
    "04_bagan": ({"class_counts", "critic_batch", "bagan_grid", "bagan_losses", "quality_fashion_mnist",
                  "class_gaussians", "overlap_matrix", "bagan_grid_cells"},
                 {"latent_generator_check", "quality_fashion_mnist", "quality_synthetic_cells"}),
    "05_supervised_autoencoder": ({"reconstructions", "tsne_latents", "sweep_latent_dim"},
                                  {"separation", "sweep_latent_dim"}),
    "06_bagan_gp": ({"grid_cdragan", "grid_bagan_gp_v1", "grid_bagan_gp_v2", "grid_bagan_gp_v3", "losses_d_loss",
                     "losses_g_loss", "quality", "sweep_lambda"},
                    {"timings", "quality", "sweep_lambda", "critic_steps"}),
    "07_capgan_cvae": ({"reparameterisation", "class_counts", "pretraining_curves", "latent_tsne", "reconstructions",
                        "prior_samples_quality", "grid_capgan_rate100", "grid_bagan_gp_v3_rate100", "capgan_vs_v3"},
                       {"prior_samples_quality", "strategies", "timings", "quality_rate10", "quality_rate100",
                        "capgan_vs_v3"}),
    "08_evaluation": ({"fid_kid_vs_n_real", "grid_bagan", "grid_cdragan", "grid_bagan_gp_v1", "grid_bagan_gp_v2",
                       "grid_bagan_gp_v3", "table4", "tsne_real_vs_generated"},
                      {"class_counts", "fid_kid_vs_n_real", "table4_fid", "table4_kid", "table4_scores", "extractors",
                       "extractors_agreement"}),
    "09_gan_augmentation": ({"class_counts", "grid_bagan_gp_v3", "grid_capgan", "grid_acgan", "grid_wgan_gp",
                             "minority_recall"},
                            {"class_counts", "results", "results_all_metrics", "minority_recall", "verdicts", "generated_only"}),
    "09b_augmentation_paper_table1": ({"class_counts", "grid_acgan_v3", "grid_acgan_ali_v2", "ali_reconstructions",
                                       "table1"}, {"table1_rows", "table1", "generated_only"}),
}
# Parameters beyond the shared ones: at smoke's cap of 64 every Fashion-MNIST B class is full,
# and a cap of 80 keeps Trouser (70 images) a minority class, so notebook 09's minority code runs.
# Notebook 09b: two generators (one AC-GAN, one on ALI latents) exercise every code path; nbval runs all seven.
EXTRA_PARAMETERS = {"09_gan_augmentation": {"max_per_class": 80},
                    "09b_augmentation_paper_table1": {"generators": ["acgan_v3", "acgan_ali_v2"]}}


# The papermill run of each notebook in the last CI (s): 08 113, 09 92, 07 85, 02 74, 03 73, 06 64, the rest
# less than 41 each; the first file takes about half of the total.
FIRST_FILE = {"00_setup_and_data", "02_wgan_gp", "04_bagan", "06_bagan_gp", "08_evaluation"}


def notebooks(first: bool) -> list:
    """The notebooks of the first test file (``first``) or of the second (every other one)."""
    return [p for p in list_notebooks(NOTEBOOKS_DIR) if (p.stem in FIRST_FILE) == first]


def run_and_check(path, tmp_path, monkeypatch):
    monkeypatch.delenv("BAGAN_PROFILE", raising=False)  # the explicit parameter alone must choose
    out_dir = tmp_path / "out"
    executed = tmp_path / path.name
    params = {"profile": "smoke", "seed": 7, "out_dir": str(out_dir), **EXTRA_PARAMETERS.get(path.stem, {})}
    papermill.execute_notebook(str(path), str(executed), parameters=params, cwd=str(path.parent),
                               kernel_name="python3", progress_bar=False,
                               execution_timeout=600)  # a stalled cell fails the test instead of hanging CI
    nb = nbformat.read(executed, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "profile   smoke" in text, "the setup cell reports the profile it was given"
    figures = {p.stem for p in out_dir.glob("*.png")}
    tables = {p.stem for p in out_dir.glob("*.csv")}
    want_figures, want_tables = EXPECTED.get(path.stem, (set(), set()))
    assert figures and tables, f"{path.name} wrote no figures or no tables"
    assert want_figures <= figures and want_tables <= tables, (figures, tables)
