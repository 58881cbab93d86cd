"""Each notebook, run headless by papermill with explicit parameters, uses them (see papermill_support): the
notebooks of :data:`papermill_support.FIRST_FILE` (the others: tests/test_notebooks_papermill_second.py).

Two files so that ``--dist loadfile`` can give the notebooks to both xdist workers (see papermill_support)."""

from __future__ import annotations

import pytest

from bagan_lib.runtime.main_job import NOTEBOOKS_DIR, list_notebooks
from papermill_support import FIRST_FILE, notebooks, run_and_check

pytestmark = pytest.mark.slow  # long end to end: `pytest -m "not slow"` skips it while developing


@pytest.mark.parametrize("path", notebooks(first=True), ids=lambda p: p.stem)
def test_notebook_runs_with_explicit_parameters(path, tmp_path, monkeypatch):
    run_and_check(path, tmp_path, monkeypatch)


def test_the_two_papermill_files_share_every_notebook_between_them():
    """No notebook is left out by the split (and FIRST_FILE names only notebooks that exist)."""
    every = list_notebooks(NOTEBOOKS_DIR)
    assert FIRST_FILE <= {p.stem for p in every}
    assert sorted(notebooks(first=True) + notebooks(first=False)) == every
    assert notebooks(first=True) and notebooks(first=False)
