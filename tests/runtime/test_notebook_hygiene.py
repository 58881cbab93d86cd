"""Committed notebooks are clean, uniform and parameterised (the nbdev habit: no stray outputs).

Checks every ``notebooks/NN_name.ipynb``: kernelspec and language_info metadata; a title and
learning goals; exactly one ``parameters`` cell holding literals only; the shared setup cell;
no outputs or execution counts except in cells marked ``# NBVAL_CHECK_OUTPUT``.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from bagan_lib.runtime.notebook_hygiene import clean, is_checked
from bagan_lib.runtime.main_job import NOTEBOOK_NAME, NOTEBOOKS_DIR

PLANNED = ["00_setup_and_data", "01_gan_loss", "02_wgan_gp", "03_dragan", "04_bagan",
           "05_supervised_autoencoder", "06_bagan_gp", "07_capgan_cvae", "08_evaluation",
           "09_gan_augmentation", "09b_augmentation_paper_table1"]
SHARED_NAMES = {"profile", "dataset", "seed", "gp_lambda", "latent_dim", "image_size", "epochs", "out_dir"}
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def test_notebooks_exist_and_follow_the_plan():
    stems = [p.stem for p in NOTEBOOKS]
    assert "00_setup_and_data" in stems
    for stem in stems:
        assert NOTEBOOK_NAME.match(stem + ".ipynb"), f"{stem}: name must be NN_snake_case"
        assert stem in PLANNED, f"{stem} is not one of the planned notebooks {PLANNED}"


def _parameter_names(source: str) -> list[str]:
    names = []
    for node in ast.parse(source).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name), \
            f"parameters cell may hold only `name = literal` lines, found: {ast.unparse(node)}"
        ast.literal_eval(node.value)  # raises ValueError for anything but a literal
        names.append(node.targets[0].id)
    return names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["language_info"]["name"] == "python"

    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "first cell: a title"
    assert re.search(r"learning goals", first.source, re.I), "first cell: learning goals"

    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters`"
    names = _parameter_names(tagged[0].source)
    assert "profile" in names and "seed" in names and "out_dir" in names
    assert code[0] is tagged[0] and "notebook_setup.start(" in code[1].source, \
        "the parameters cell comes first, the shared setup cell second"
    assert code[1].source == nbformat.read(NOTEBOOKS_DIR / "00_setup_and_data.ipynb", 4).cells[2].source, \
        "the setup cell is the same in every notebook"

    for cell in code:
        if not is_checked(cell):
            assert cell.outputs == [] and cell.execution_count is None, \
                f"stray output in {path.name}: {cell.source[:60]!r}"
    assert "kit.check_outputs(" in code[-1].source, "the last cell checks what the notebook wrote (nbval runs it)"
    assert clean(nb) == nb, f"run `python -m bagan_lib notebooks clean {path.name}` before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_checked_cells_carry_their_expected_output(path):
    """nbval compares these cells with a fresh run: an empty reference would check nothing."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if is_checked(cell):
            assert cell.outputs, f"{path.name}: a '# NBVAL_CHECK_OUTPUT' cell was committed without its output"
