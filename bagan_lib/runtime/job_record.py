"""What a main job records in its run folder: each notebook's true status in ``run.json``, read back by ``run
--resume``, and in the executed notebook itself.

A notebook's status is ``ok``, ``failed`` (at cell N, with the error),
``interrupted`` (at cell N: Ctrl-C, SIGTERM) or ``not run`` (the job stopped
before it). ``run.json`` is written when the job starts (``status: running``)
and again after every notebook and on every exit, so a folder is never
unmarked: a job killed with ``kill -9`` still says ``running`` with the
notebooks it finished. papermill marks a cell "completed" even when the job was
interrupted inside it; :func:`mark_interrupted` writes the truth into the
executed notebook (its metadata and a banner at the top).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from bagan_lib.errors import KitError
from bagan_lib.runtime.outputs import atomic_write_text

RECORD = "run.json"
INTERRUPTED_TAG = "bagan-kit-interrupted"


@dataclass
class NotebookResult:
    name: str
    status: str                # "ok", "failed" or "interrupted"
    seconds: float
    notebook: str              # executed notebook, relative to the run folder
    out_dir: str               # its figures and tables, relative to the run folder
    error: str | None = None
    cell: int | None = None    # the cell that failed or was interrupted (papermill's index in the executed notebook)
    earlier: bool = False      # finished in an earlier job of the same folder (kept by ``run --resume``)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self) -> str:
        """``ok``, ``FAILED: cell 3: ZeroDivisionError: ...``, ``INTERRUPTED at cell 4`` for the index page."""
        if self.ok:
            return "ok (from the earlier job)" if self.earlier else "ok"
        if self.status == "interrupted":
            return f"INTERRUPTED at cell {self.cell}" if self.cell is not None else "INTERRUPTED"
        return "FAILED: " + (self.error or "")


@dataclass
class RunResult:
    run_dir: Path
    profile: str
    dataset: str
    results: list[NotebookResult] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)   # every notebook this job was to run, in order
    only: list[str] | None = None
    status: str = "running"    # "running", then "ok", "failed" or "interrupted"
    lanes: dict | None = None  # notebooks run side by side and each kernel's threads (bagan_lib.runtime.job_lanes)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def not_run(self) -> list[str]:
        done = {r.name for r in self.results}
        return [name for name in self.planned if name not in done]


def write_record(run: RunResult) -> Path:
    """``run.json``: profile, dataset, the job's status and every planned notebook's status."""
    notebooks = [{**asdict(r), "ok": r.ok} for r in run.results]
    notebooks += [{"name": name, "status": "not run", "ok": False} for name in run.not_run()]
    summary = {"profile": run.profile, "dataset": run.dataset, "only": run.only, "status": run.status,
               "ok": run.status == "ok", "lanes": run.lanes, "notebooks": notebooks}
    return atomic_write_text(run.run_dir / RECORD, json.dumps(summary, indent=2))


def read_record(run_dir) -> dict:
    """A run folder's ``run.json``, checked enough to resume from (KitError otherwise)."""
    path = Path(run_dir) / RECORD
    fix = ("pass a run folder made by `python -m bagan_lib run` (it holds run.json), or start a new job without "
           "--resume.")
    if not path.is_file():
        raise KitError(f"Nothing to resume: {run_dir} holds no main job ({RECORD} is missing).", fix)
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KitError(f"{path} is damaged ({type(exc).__name__}: {exc}).", fix) from exc
    if not isinstance(record, dict) or not isinstance(record.get("notebooks"), list) or "profile" not in record:
        raise KitError(f"{path} is not a main job's record.", fix)
    return record


def finished_ok(record: dict, run_dir) -> dict[str, dict]:
    """The notebooks of a record that finished ok and whose executed notebook is still there, by name."""
    return {nb["name"]: nb for nb in record["notebooks"]
            if isinstance(nb, dict) and nb.get("status", "ok" if nb.get("ok") else "") == "ok"
            and (Path(run_dir) / str(nb.get("notebook", ""))).is_file()}


def mark_interrupted(path: Path, cell: int | None, reason: str) -> None:
    """Write into the executed notebook at ``path`` that it was interrupted (at ``cell``), undoing papermill's
    "completed": the cell's status, the notebook's metadata, and a banner at the top."""
    if not path.is_file():
        return
    nb = nbformat.read(str(path), as_version=4)
    if cell is not None and 0 <= cell < len(nb.cells):
        nb.cells[cell].metadata.setdefault("papermill", {}).update(status="interrupted", exception=True)
        for later in nb.cells[cell + 1:]:  # papermill calls the cells it never reached "completed" too
            later.metadata.setdefault("papermill", {}).update(status="pending", start_time=None, end_time=None,
                                                               duration=None)
    nb.metadata.setdefault("papermill", {})["exception"] = True
    nb.metadata["bagan_kit"] = {"status": "interrupted", "cell": cell, "reason": reason}
    where = f" at cell {cell}" if cell is not None else ""
    banner = nbformat.v4.new_markdown_cell(f"**This notebook did not finish: the main job was interrupted{where} "
                                           f"({reason}).** Its outputs stop there; `python -m bagan_lib run "
                                           "--resume RUN_DIR` runs it again.")
    banner.metadata["tags"] = [INTERRUPTED_TAG]
    nb.cells.insert(0, banner)
    atomic_write_text(path, nbformat.writes(nb))
