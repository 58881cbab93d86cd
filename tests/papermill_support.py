"""What tests/test_notebooks_papermill*.py share: each notebook, run headless by papermill with explicit
parameters, uses them (and, for :data:`FULL_RUNS`, writes its figures and tables with them).

nbval runs every notebook in full in the same ``make test``, at the smoke profile through
``BAGAN_PROFILE``, and each notebook's last cell (``kit.check_outputs``) fails when a figure or table
it should write is missing. This test passes the parameters explicitly, as a researcher's rerun does:
the parameters and setup cells show that the explicit ones are used; a notebook whose parameters
reach other code (:data:`FULL_RUNS`) runs in full. Before, every notebook ran in full twice (nbval and
papermill, about 10 minutes each of the CI's workers).

The notebooks are split over two test files (:data:`FIRST_FILE` and every other notebook) so that
pytest-xdist's ``--dist loadfile`` can run them on both workers. Every notebook of
:func:`list_notebooks` is in exactly one of the two files; a new notebook goes to the second file by
default.
"""

from __future__ import annotations

import nbformat
import papermill

from bagan_lib.runtime.main_job import NOTEBOOKS_DIR, list_notebooks

# A notebook whose explicit parameters reach code its committed parameters do not: run in full, and these
# (figures, tables) checked. Every other notebook checks its own outputs in its last cell
# (``kit.check_outputs``), which nbval runs; papermill then only has to show that explicit parameters
# are the ones used, which the parameters and setup cells alone show (about 10 s instead of a full run).
# Notebook 09: at smoke's cap of 64 every Fashion-MNIST B class is full; a cap of 80 keeps Trouser
# (70 images) a minority class, so the minority-recall figure and the verdicts are made.
FULL_RUNS = {"09_gan_augmentation": ({"max_per_class": 80},
                                     {"class_counts", "grid_bagan_gp_v3", "grid_capgan", "grid_acgan", "grid_wgan_gp",
                                      "minority_recall"},
                                     {"class_counts", "results", "results_all_metrics", "minority_recall", "verdicts",
                                      "generated_only"})}


# The papermill run of each notebook in the last CI (s): 08 113, 09 92, 07 85, 02 74, 03 73, 06 64, the rest
# less than 41 each; the first file takes about half of the total.
FIRST_FILE = {"00_setup_and_data", "02_wgan_gp", "04_bagan", "06_bagan_gp", "08_evaluation"}


def notebooks(first: bool) -> list:
    """The notebooks of the first test file (``first``) or of the second (every other one)."""
    return [p for p in list_notebooks(NOTEBOOKS_DIR) if (p.stem in FIRST_FILE) == first]


def run_and_check(path, tmp_path, monkeypatch):
    """Run ``path`` with explicit parameters: in full for :data:`FULL_RUNS` (and check its outputs), else its
    parameters and setup cells, with ``$BAGAN_PROFILE`` set to another profile, which the parameter must beat."""
    out_dir = tmp_path / "out"
    executed = tmp_path / path.name
    params = {"profile": "smoke", "seed": 7, "out_dir": str(out_dir)}
    source = path
    if path.stem in FULL_RUNS:
        monkeypatch.delenv("BAGAN_PROFILE", raising=False)
        params.update(FULL_RUNS[path.stem][0])
    else:
        monkeypatch.setenv("BAGAN_PROFILE", "paper")  # the explicit parameter alone must choose
        nb = nbformat.read(path, as_version=4)
        setup = next(i for i, c in enumerate(nb.cells) if "notebook_setup.start(" in c.source)
        nb.cells = nb.cells[:setup + 1] + [nbformat.v4.new_code_cell("print('chosen', P.name, seed, kit.out_dir)")]
        source = tmp_path / f"head_{path.name}"
        nbformat.write(nb, source)
    papermill.execute_notebook(str(source), str(executed), parameters=params, cwd=str(path.parent),
                               kernel_name="python3", progress_bar=False,
                               execution_timeout=600)  # a stalled cell fails the test instead of hanging CI
    nb = nbformat.read(executed, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "profile   smoke" in text, "the setup cell reports the profile it was given"
    if path.stem not in FULL_RUNS:
        assert f"chosen smoke 7 {out_dir}" in text, text[-500:]
        return
    figures = {p.stem for p in out_dir.glob("*.png")}
    tables = {p.stem for p in out_dir.glob("*.csv")}
    _, want_figures, want_tables = FULL_RUNS[path.stem]
    assert want_figures <= figures and want_tables <= tables, (figures, tables)
