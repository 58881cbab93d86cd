"""Each notebook, run headless by papermill with explicit parameters, writes its figures and tables: every
notebook not in :data:`papermill_support.FIRST_FILE` (those: tests/test_notebooks_papermill.py)."""

from __future__ import annotations

import pytest

from papermill_support import notebooks, run_and_check

pytestmark = pytest.mark.slow  # long end to end: `pytest -m "not slow"` skips it while developing


@pytest.mark.parametrize("path", notebooks(first=False), ids=lambda p: p.stem)
def test_notebook_runs_with_explicit_parameters(path, tmp_path, monkeypatch):
    run_and_check(path, tmp_path, monkeypatch)
