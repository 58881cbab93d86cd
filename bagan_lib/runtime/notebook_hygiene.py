"""Keep committed notebooks clean: ``python -m bagan_lib notebooks clean [PATH ...]``.

A committed notebook keeps outputs only in cells whose source starts with
``# NBVAL_CHECK_OUTPUT`` (nbval compares those against a fresh run), and no
execution metadata from papermill or Jupyter: diffs stay readable and nbval
stays meaningful. The hygiene test fails on any notebook this would change.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat

from bagan_lib.errors import KitError, os_error

# Lazy imports in this module: `notebooks clean` starts fast; nbformat and papermill load when needed.

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
KEEP_NOTEBOOK_METADATA = ("kernelspec", "language_info")


def is_checked(cell) -> bool:
    return cell.cell_type == "code" and cell.source.lstrip().startswith(CHECK_MARK)


def clean(nb):
    """Return the notebook with stray outputs, execution counts and run metadata removed."""
    nb = nbformat.from_dict(nb)
    nb.metadata = {k: nb.metadata[k] for k in KEEP_NOTEBOOK_METADATA if k in nb.metadata}
    checked = 0
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k == "tags"}
        if cell.cell_type != "code":
            continue
        if is_checked(cell):
            # nbval skips cells without an execution count as "unrun": number them 1, 2, ...
            checked += 1
            cell.execution_count = checked
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = checked
                if "metadata" in output:
                    output["metadata"] = {}
        else:
            cell.outputs = []
            cell.execution_count = None
    return nb


def read_notebook(path):
    """The notebook at ``path`` (nbformat 4), validated; a KitError if it cannot be read or is not a notebook."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except OSError as exc:
        raise os_error(exc, "read", path) from exc
    except Exception as exc:  # nbformat raises many kinds (JSON, schema, version, attribute) for a damaged file
        reason = (str(exc).strip().splitlines() or [""])[0][:200]
        raise KitError(f"{path} is not a valid Jupyter notebook ({type(exc).__name__}: {reason}).",
                       "pass .ipynb notebooks only; restore a damaged one from git (git checkout -- PATH).") from exc
    return nb


def clean_files(paths) -> list[Path]:
    """Clean notebooks in place; returns those that changed. Every notebook is read and checked before any is
    written, so one damaged file changes nothing."""
    notebooks = [(path, read_notebook(path)) for path in map(Path, paths)]
    changed = []
    for path, nb in notebooks:
        cleaned = clean(nb)
        if cleaned != nb:
            nbformat.write(cleaned, path)
            changed.append(path)
    return changed


def record_checked_outputs(path, *, profile: str = "smoke") -> None:
    """Execute a notebook at ``profile`` and keep only its ``# NBVAL_CHECK_OUTPUT`` outputs.

    This is how the expected outputs that nbval compares are recorded; the
    execution happens in a temporary copy, so a failing run leaves ``path`` as it was.
    """
    import papermill

    path = Path(path)
    read_notebook(path)  # a damaged file: one clear error, before papermill starts a kernel
    with tempfile.TemporaryDirectory() as tmp:
        executed = Path(tmp) / path.name
        previous = os.environ.get("BAGAN_PROFILE")
        os.environ["BAGAN_PROFILE"] = profile
        try:
            papermill.execute_notebook(str(path), str(executed), cwd=str(path.parent), kernel_name="python3",
                                       progress_bar=False)
        finally:
            if previous is None:
                os.environ.pop("BAGAN_PROFILE")
            else:
                os.environ["BAGAN_PROFILE"] = previous
        nbformat.write(clean(nbformat.read(executed, as_version=4)), path)
