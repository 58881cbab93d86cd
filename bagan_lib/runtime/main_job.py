"""The main job: execute every notebook in order with papermill and write an index page.

``python -m bagan_lib run --profile smoke`` makes ``runs/<time>-<profile>/`` holding

* ``NN_name.ipynb``: each executed notebook, outputs included;
* ``NN_name/``: the figures (PNG) and tables (CSV) the notebook wrote to its ``out_dir``;
* ``index.md`` and ``index.html``: every notebook linked, with its figures and tables;
* ``run.json``: profile, dataset, and per-notebook status and time
  (:mod:`bagan_lib.runtime.job_record`).

While a notebook runs, its progress reaches the main job's output as it
happens: the section it is in (the notebook's last heading before the running
cell) and every line its cells print (a training run prints one per epoch),
each prefixed with the notebook's number.

The index opens with the headline result: the per-class classifier share of
every model and the papers' orderings checked, from notebook 08's Table 4
(``table4_share.csv``, ``table4_orderings.csv``), when the job produced them.

A notebook that declares ``runs_dir`` (08) is given the run folder once the
notebooks whose training runs it reads (04 and 06) have succeeded in the same
job, so it evaluates their models instead of training them again.

A failing notebook is reported with its failing cell, the index is still
written (so the executed notebook with the error can be opened), and the run
stops with a non-zero exit. On Ctrl-C or SIGTERM the index and ``run.json``
are written too, with the running notebook marked interrupted at its cell.
``run --resume RUN_DIR`` continues such a job in its folder: the notebooks that
finished ok are kept, the others run again. The job holds the run folder's lock
(:mod:`bagan_lib.runtime.folder_lock`) for its whole life.
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import re
import signal
import threading
import time
from datetime import datetime
from pathlib import Path

from bagan_lib.data import DATASET_NAMES
from bagan_lib.errors import Interrupted, KitError
from bagan_lib.profiles import resolve_profile_name
from bagan_lib.runtime.folder_lock import folder_lock
from bagan_lib.runtime.job_lanes import kernel_threads, resolve_lanes, waits_for
from bagan_lib.runtime.job_record import (
    NotebookResult, RunResult, finished_ok, mark_interrupted, read_record, write_record)
from bagan_lib.runtime.outputs import atomic_write_text

# Lazy imports in this module: `python -m bagan_lib run` starts fast; papermill and nbformat load when the notebooks
# run.

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK_NAME = re.compile(r"^(\d\d[a-z]?)_[a-z0-9_]+\.ipynb$")  # "09b_": a companion of notebook 09
# The kernel's own log lines ("running over TCP", and a traceback when the job is interrupted while a cell runs)
# would reach the job's stderr; the cells' errors are in the executed notebook and the job's status.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
# Parameters the main job passes to every notebook that declares them.
SHARED_PARAMETERS = ("profile", "dataset", "out_dir", "runs_dir")


def list_notebooks(notebooks_dir: Path = NOTEBOOKS_DIR, only: list[str] | None = None) -> list[Path]:
    """The kit's notebooks (``NN_snake_case.ipynb``) in order, optionally filtered by prefix."""
    found = sorted(p for p in Path(notebooks_dir).glob("*.ipynb") if NOTEBOOK_NAME.match(p.name))
    if only:
        chosen = [p for p in found if any(p.name.startswith(prefix) for prefix in only)]
        if not chosen:
            raise KitError(f"No notebook matches {' '.join(only)}.",
                           f"use a number or name prefix of: {', '.join(p.stem for p in found)}.")
        found = chosen
    if not found:
        raise KitError(f"No notebooks named NN_name.ipynb in {notebooks_dir}.",
                       "run the command from a checkout of the kit.")
    return found


def _check_dataset_name(dataset: str) -> None:
    if dataset not in DATASET_NAMES and not dataset.startswith(("folder:", "npz:")):
        raise KitError(f"Unknown dataset {dataset!r}.",
                       f"choose one of {', '.join(DATASET_NAMES)}, folder:PATH or npz:PATH.")


def _describe_failure(exc: Exception) -> str:
    cell = getattr(exc, "cell_index", None)
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    where = f"cell {cell}" if cell is not None else "start-up"
    return f"{where}: {ename}: {evalue}".strip()


def _print_now(message: str) -> None:
    print(message, flush=True)  # readable progress even when piped through make or a CI log


def notebook_sections(path: Path) -> list[str]:
    """For every code cell of the notebook at ``path``, the last markdown heading before it ("" for other cells
    and before the first heading): the section a running cell belongs to."""
    import nbformat

    sections, current = [], ""
    for cell in nbformat.read(str(path), as_version=4).cells:
        if cell.cell_type == "markdown":
            headings = [line.lstrip("#").strip() for line in cell.source.splitlines() if line.startswith("#")]
            current = headings[-1] if headings else current
        # announced when the section's first code cell starts, after the previous cell's output has arrived
        sections.append(current if cell.cell_type == "code" else "")
    return sections


class NotebookProgress(logging.Handler):
    """Streams one running notebook's progress to ``log``: its section when it changes, and what its cells print.

    papermill announces every cell on its logger ("Executing Cell N") when run
    with ``log_output=True``; the cells' printed lines arrive through ``write``
    (papermill's ``stdout_file``). Lines are prefixed with ``label``.
    """

    def __init__(self, label: str, sections: list[str], log):
        super().__init__(logging.INFO)
        self.label, self.sections, self.log = label, sections, log
        self.section, self._partial = None, ""
        self.cell = None  # the cell running now (papermill's index), for an interruption's record
        self.thread = None  # the lane thread running the notebook: only its records are this notebook's

    def emit(self, record: logging.LogRecord) -> None:
        if self.thread is not None and record.thread != self.thread:
            return
        match = re.match(r"Executing Cell (\d+)", record.getMessage())
        if match:
            index = int(match.group(1)) - 1
            self.cell = index
            section = self.sections[index] if 0 <= index < len(self.sections) else ""
            if section and section != self.section:
                self.section = section
                self.log(f"  {self.label} § {section}")

    def write(self, text: str) -> None:
        *lines, self._partial = (self._partial + text.replace("\r", "\n")).split("\n")
        for line in lines:
            if line.strip():
                self.log(f"  {self.label} | {line.rstrip()}")

    def flush(self) -> None:
        pass


def _execute(path: Path, output: Path, parameters: dict, progress: "NotebookProgress") -> None:
    """papermill in this (lane) thread, the notebook's progress streamed to ``progress.log``.

    Every lane's handler sits on papermill's logger; each keeps only the records
    of its own thread (:class:`NotebookProgress`), so two notebooks' cell
    announcements never mix.
    """
    import papermill

    logger = logging.getLogger("papermill")
    progress.thread = threading.get_ident()
    logger.addHandler(progress)
    try:
        papermill.execute_notebook(str(path), str(output), parameters=parameters, cwd=str(path.parent),
                                   kernel_name="python3", progress_bar=False, log_output=True,
                                   stdout_file=progress, extra_arguments=KERNEL_ARGUMENTS)
    finally:
        logger.removeHandler(progress)


@contextlib.contextmanager
def _papermill_logger():
    """papermill's cell announcements at INFO reach the lanes' handlers only (outputs come through
    ``stdout_file``, so nothing is printed twice)."""
    logger = logging.getLogger("papermill")
    saved = (logger.level, logger.propagate)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def _stop_kernels(grace: float = 5.0) -> None:
    """Stop the Jupyter kernels this process started (its child processes running ipykernel): SIGTERM, then
    SIGKILL after ``grace`` seconds. Linux only (/proc); elsewhere the kernels exit when they see their parent
    gone."""
    me, kernels = str(os.getpid()), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = stat.read_text().rsplit(")", 1)[1].split()[1]
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if parent == me and b"ipykernel" in command:
            kernels.append(int(stat.parent.name))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in kernels:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(_running(pid) for pid in kernels):
            time.sleep(0.1)


def _running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def run_all(*, profile: str | None = None, dataset: str | None = None,
            runs_dir: str | Path = "runs", only: list[str] | None = None, resume=None,
            notebooks_dir: Path = NOTEBOOKS_DIR, lanes: int | None = None, log=_print_now) -> RunResult:
    """Execute the notebooks into a fresh run folder (or, ``resume``, the folder of an earlier job), ``lanes``
    at a time (:mod:`bagan_lib.runtime.job_lanes`; None: two on a CPU with two cores or more, else one);
    after a failure no further notebook starts.

    ``profile``: None is ``teach``; ``dataset``: None is ``synthetic_cells``. With
    ``resume`` (a run folder) they, and ``only``, are the earlier job's; the
    notebooks that finished ok there are kept, the others run again.
    """
    lanes = resolve_lanes(lanes)
    if resume is not None:
        run_dir = Path(resume).resolve()
        record = read_record(run_dir)
        profile, dataset, only = _resumed_settings(record, profile, dataset, only)
    else:
        record = None
        profile, dataset = resolve_profile_name(profile or "teach"), dataset or "synthetic_cells"
    _check_dataset_name(dataset)
    notebooks = list_notebooks(notebooks_dir, only)
    if resume is None:
        run_dir = _fresh_run_dir(Path(runs_dir), profile)
    with folder_lock(run_dir, "run --resume" if resume is not None else "run"):
        return _run_locked(run_dir, notebooks, profile, dataset, only, record, lanes, log)


def _resumed_settings(record: dict, profile, dataset, only) -> tuple:
    """The earlier job's profile, dataset and notebooks; explicit ones must agree with them."""
    saved = {"profile": record["profile"], "dataset": record.get("dataset", "synthetic_cells"),
             "only": record.get("only")}
    given = {"profile": profile, "dataset": dataset, "only": only}
    differ = [f"--{k} {given[k]} (the job ran {saved[k]})" for k in saved if given[k] and given[k] != saved[k]]
    if differ:
        raise KitError(f"run --resume continues a job with its own settings: {'; '.join(differ)}.",
                       "drop those options to resume, or start a new job without --resume.")
    return resolve_profile_name(saved["profile"]), saved["dataset"], saved["only"]


def _fresh_run_dir(runs_dir: Path, profile: str) -> Path:
    """``runs/<time>-<profile>``, never an existing folder (two jobs started in the same second)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        runs_dir.resolve().mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KitError(f"Cannot create the runs folder {runs_dir} ({exc.strerror or exc}).",
                       "pass --runs-dir a folder you can write to (not a file).") from exc
    for n in range(1, 1000):
        run_dir = runs_dir.resolve() / (f"{stamp}-{profile}" + (f"-{n}" if n > 1 else ""))
        try:
            run_dir.mkdir()
            return run_dir
        except FileExistsError:
            continue
    raise KitError(f"Too many run folders named {stamp}-{profile}* in {runs_dir}.", "wait a second and try again.")


def _run_locked(run_dir: Path, notebooks: list[Path], profile: str, dataset: str, only, record: dict | None,
                lanes: int, log) -> RunResult:
    """The job in ``run_dir`` (its lock held): run.json first, then the notebooks, the records on every exit."""
    run = RunResult(run_dir=run_dir, profile=profile, dataset=dataset, planned=[p.stem for p in notebooks],
                    only=only)
    kept = finished_ok(record, run_dir) if record is not None else {}
    write_record(run)  # the folder is marked from the start: a job killed with kill -9 still says "running"
    with kernel_threads(lanes) as threads:
        run.lanes = threads
        log(f"bagan-kit main job: {len(notebooks)} notebooks, profile {profile}, dataset {dataset}, "
            + (f"{lanes} at a time, {threads['threads']} thread(s) each" if lanes > 1 else "one at a time"))
        log(f"run folder: {run_dir}" + (f" (resumed: {len(kept)} notebooks kept)" if record is not None else ""))
        try:
            with _papermill_logger():
                _schedule(run, notebooks, kept, dataset, lanes, log)
            run.status = "ok" if run.ok and not run.not_run() else (
                "interrupted" if any(r.status == "interrupted" for r in run.results) else "failed")
        except KeyboardInterrupt as exc:
            run.status = "interrupted"
            raise Interrupted.wrap(exc, f"The main job was interrupted ({_signal_name(exc)}); {run_dir} holds the "
                                        "notebooks that finished, the index and run.json with each notebook's "
                                        "status.", f"continue it: python -m bagan_lib run --resume {run_dir}") from exc
        finally:
            write_index(run)
            log(f"index: {run_dir / 'index.html'}")
    return run


class _Lane(threading.Thread):
    """One notebook running in its own thread; the result lands in ``run.results`` (under the job's lock)."""

    def __init__(self, path: Path, run: RunResult, parameters: dict, job: dict, log):
        super().__init__(name=f"notebook {path.stem}", daemon=True)
        self.path, self.run_, self.parameters, self.job = path, run, parameters, job
        self.progress = NotebookProgress(NOTEBOOK_NAME.match(path.name).group(1), notebook_sections(path), log)
        self.result: NotebookResult | None = None

    def run(self) -> None:
        self.result = _run_one(self.path, self.run_, self.parameters, self.job, self.progress)


def _schedule(run: RunResult, notebooks: list[Path], kept: dict, dataset: str, lanes: int, log) -> None:
    """Start the notebooks in order as lanes free (a notebook that reads others' runs after those have finished),
    wait in the main thread so Ctrl-C and SIGTERM reach the job, and stop starting new ones after a failure.

    papermill runs in the lane threads, never in the main thread (there nbclient
    installs its own signal handlers, which stop the kernel and swallow the
    signal). On an interruption every kernel is stopped, the lanes record where
    their notebooks were, and the interruption is raised again.
    """
    import papermill

    from bagan_lib.experiments.table4_runs import PRODUCING_NOTEBOOKS as PRODUCING  # (imports TensorFlow)

    total, started, order = len(notebooks), time.perf_counter(), {p.stem: i for i, p in enumerate(notebooks, 1)}
    succeeded, finished = set(), set()
    pending = []
    for path in notebooks:
        if path.stem in kept:
            earlier = kept[path.stem]
            run.results.append(NotebookResult(name=path.stem, status="ok", seconds=earlier.get("seconds", 0.0),
                                              notebook=path.name, out_dir=path.stem, earlier=True))
            succeeded.add(path.stem)
            finished.add(path.stem)
            log(f"[{order[path.stem]}/{total}] {path.stem}: ok in the earlier job, kept")
        else:
            pending.append((path, papermill.inspect_notebook(str(path))))
    planned = [p.stem for p in notebooks]
    job = {"lock": threading.Lock(), "interrupted": None}
    running: list[_Lane] = []
    failed = False
    try:
        while pending or running:
            while not failed and len(running) < lanes:
                ready = next(((path, declared) for path, declared in pending
                              if set(waits_for(path.stem, declared, planned, PRODUCING)) <= finished), None)
                if ready is None:
                    break
                path, declared = ready
                pending.remove(ready)
                values = {"profile": run.profile, "dataset": dataset, "out_dir": str(run.run_dir / path.stem),
                          "runs_dir": str(run.run_dir) if set(PRODUCING) <= succeeded else None}
                parameters = {k: values[k] for k in SHARED_PARAMETERS if k in declared}
                log(f"[{order[path.stem]}/{total}] {path.stem}: running")
                lane = _Lane(path, run, parameters, job, log)
                lane.start()
                running.append(lane)
            if not running:
                break  # a failure: nothing more starts; the rest stays "not run"
            running[0].join(0.25)
            for lane in [lane for lane in running if not lane.is_alive()]:
                running.remove(lane)
                result = lane.result
                finished.add(lane.path.stem)
                name = f"[{order[lane.path.stem]}/{total}] {lane.path.stem}"
                log(f"{name}: {'ok' if result.ok else 'FAILED'} in {result.seconds:.1f} s "
                    f"({time.perf_counter() - started:.0f} s elapsed)")
                if result.ok:
                    succeeded.add(lane.path.stem)
                else:
                    failed = True
                    log(f"  {lane.path.stem} failed in {result.error}")
                    log(f"  the executed notebook with the error: {run.run_dir / lane.path.name}")
                    if running:
                        log(f"  no further notebook starts; waiting for {', '.join(r.path.stem for r in running)}")
    except KeyboardInterrupt as exc:
        job["interrupted"] = _signal_name(exc)
        _stop_kernels()  # papermill's threads then end with their kernels and save the notebooks
        for lane in running:
            lane.join(60)
            if lane.result is None:  # the lane did not get to record it: the notebook was interrupted where it was
                _record(run, job, NotebookResult(
                    name=lane.path.stem, status="interrupted", seconds=0.0, notebook=lane.path.name,
                    out_dir=lane.path.stem, error=f"interrupted ({job['interrupted']})", cell=lane.progress.cell))
                if (run.run_dir / lane.path.name).is_file():
                    mark_interrupted(run.run_dir / lane.path.name, lane.progress.cell, job["interrupted"])
        raise


def _run_one(path: Path, run: RunResult, parameters: dict, job: dict, progress: NotebookProgress) -> NotebookResult:
    """One notebook through papermill (in a lane thread); its result is appended to ``run.results`` in notebook
    order and ``run.json`` rewritten. A notebook whose kernel the job stopped on an interruption is recorded as
    interrupted, in ``run.json`` and in the executed notebook."""
    output = run.run_dir / path.name
    t0 = time.perf_counter()
    error = cell = None
    try:
        _execute(path, output, parameters, progress)
    except Exception as exc:  # papermill's execution error carries the failing cell
        error, cell = _describe_failure(exc), getattr(exc, "cell_index", None)
    status = "ok" if error is None else "failed"
    if error is not None and "KeyboardInterrupt" in error:  # Ctrl-C in a terminal reaches the kernel too
        status = "interrupted"
    if job["interrupted"] is not None and status != "ok":  # the job stopped this kernel
        status, error, cell = "interrupted", f"interrupted ({job['interrupted']})", progress.cell
        mark_interrupted(output, cell, job["interrupted"])
    return _record(run, job, NotebookResult(name=path.stem, status=status, seconds=round(time.perf_counter() - t0, 1),
                                            notebook=path.name, out_dir=path.stem, error=error, cell=cell))


def _record(run: RunResult, job: dict, result: NotebookResult) -> NotebookResult:
    """``result`` into ``run.results`` (notebook order) and ``run.json``, once per notebook."""
    with job["lock"]:
        if all(r.name != result.name for r in run.results):
            run.results.append(result)
            run.results.sort(key=lambda r: r.name)
            write_record(run)
    return result


def _signal_name(exc: KeyboardInterrupt) -> str:
    return "SIGTERM" if getattr(exc, "status", 130) == 143 else "Ctrl-C / SIGINT"


def _read_table(path: Path):
    """A notebook's CSV table, or None when the file holds no table at all (not even a header)."""
    import pandas as pd

    try:
        return pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, OSError):
        return None  # a notebook that died mid-write must not stop the index


def _tables(out_dir: Path) -> list[tuple[str, object]]:
    tables = [(p.name, _read_table(p)) for p in sorted(out_dir.glob("*.csv"))]
    return [(name, table) for name, table in tables if table is not None]


# The headline tables, from notebook 08's Table 4: shown first on the index page.
HEADLINE_TABLES = (("table4_share.csv", "Per-class quality: the share of each class's images that the real-data "
                                        "classifier assigns to that class (chance 1 / classes)"),
                   ("table4_orderings.csv", "The papers' orderings on the minority classes, checked"))


def _headline(run: RunResult) -> tuple[list[str], list[str]]:
    """The index's opening section (Markdown lines, HTML lines): the headline tables this run produced."""
    md, body = [], []
    for r in run.results:
        for name, caption in HEADLINE_TABLES:
            path = run.run_dir / r.out_dir / name
            table = _read_table(path) if r.ok and path.is_file() else None
            if table is not None and len(table):
                md += [f"**{caption}** ({r.name}/{name})", "", table.to_markdown(index=False), ""]
                body += [f"<h3>{html.escape(caption)}</h3><p>{html.escape(r.name)}/{html.escape(name)}</p>",
                         table.to_html(index=False)]
    if md:
        md = ["## Headline results", ""] + md
        body = ["<h2>Headline results</h2>"] + body
    return md, body


def write_index(run: RunResult) -> None:
    """Write ``index.md``, ``index.html`` and ``run.json`` for a run (also a failed or interrupted one)."""
    rows = [(r.name, r.notebook, r.describe(), r.seconds) for r in run.results]
    rows += [(name, None, "not run", "") for name in run.not_run()]
    job = {"running": "", "ok": "", "failed": " (failed)", "interrupted": " (interrupted: not finished)"}[run.status]
    md = [f"# bagan-kit run: profile `{run.profile}`, dataset `{run.dataset}`{job}", "",
          "| notebook | status | seconds |", "|---|---|---|"]
    for name, notebook, status, seconds in rows:
        md.append(f"| {f'[{name}]({notebook})' if notebook else name} | {status} | {seconds} |")
    body = [f"<h1>bagan-kit run: profile {html.escape(run.profile)}, dataset {html.escape(run.dataset)}"
            f"{html.escape(job)}</h1>",
            "<table border=1><tr><th>notebook</th><th>status</th><th>seconds</th></tr>"]
    for name, notebook, status, seconds in rows:
        link = f'<a href="{notebook}">{name}</a>' if notebook else html.escape(name)
        body.append(f"<tr><td>{link}</td><td>{html.escape(status)}</td><td>{seconds}</td></tr>")
    body.append("</table>")
    headline_md, headline_html = _headline(run)
    md += [""] + headline_md
    body += headline_html
    for r in run.results:
        out_dir = run.run_dir / r.out_dir
        md += ["", f"## {r.name}", ""]
        body.append(f"<h2>{html.escape(r.name)}</h2>")
        if not out_dir.is_dir():
            md.append("(no outputs)")
            body.append("<p>(no outputs)</p>")
            continue
        for name, table in _tables(out_dir):
            md += [f"**{name}**", "", table.head(40).to_markdown(index=False), ""]
            body += [f"<h3>{html.escape(name)}</h3>", table.head(40).to_html(index=False)]
        for png in sorted(out_dir.glob("*.png")):
            rel = f"{r.out_dir}/{png.name}"
            md += [f"![{png.stem}]({rel})", ""]
            body.append(f'<figure><img src="{rel}" style="max-width:900px"><figcaption>'
                        f"{html.escape(png.stem)}</figcaption></figure>")
    atomic_write_text(run.run_dir / "index.md", "\n".join(md) + "\n")
    page = "\n".join(["<!doctype html><html><head><meta charset='utf-8'><title>bagan-kit run</title>",
                      "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}"
                      "table{border-collapse:collapse}td,th{padding:2px 6px}</style></head><body>",
                      *body, "</body></html>"])
    atomic_write_text(run.run_dir / "index.html", page)
    write_record(run)
