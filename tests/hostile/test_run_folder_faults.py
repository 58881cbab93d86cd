"""Hostile use of run folders through the command line (issue 18, part A): two writers, damaged checkpoints and
configs, resumes on other data or on nothing, a late failure under ``--overwrite``, signals, the main job
interrupted and resumed.

One smoke run of BAGAN-GP v3 is trained once for the module (on ``npz:cells.npz``, a path relative to the working
folder, so each case may change its own copy of the data); every case works on a copy of it. Refusals must exit 2
with one ``error:`` line naming a fix, no traceback, and leave every file as it was (:func:`snapshot`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from bagan_lib.data import synthetic_cells
from bagan_lib.runtime.checkpoints import read_meta, verify_checkpoint


def _harness():
    """The harness in this folder's conftest.py, by path: a plain ``import conftest`` may find tests/conftest.py."""
    spec = importlib.util.spec_from_file_location("hostile_harness", Path(__file__).with_name("conftest.py"))
    module = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


_HARNESS = _harness()
SIGNAL_STATUS, Hostile, snapshot = _HARNESS.SIGNAL_STATUS, _HARNESS.Hostile, _HARNESS.snapshot

TRAIN = ("train", "--model", "bagan_gp_v3", "--dataset", "npz:cells.npz", "--profile", "smoke", "--out", "run",
         "--checkpoint-every", "1", "--seed", "3")
RESUME = (*TRAIN, "--resume")
UMASK_022 = lambda: os.umask(0o022)  # noqa: E731  (the files' modes are checked against it)


def _cells(counts=(40, 40, 24, 16), seed=0):
    x, y = synthetic_cells.generate("train", seed=seed, counts=counts, image_size=32)
    x_test, y_test = synthetic_cells.generate("validation", seed=seed, counts=(12, 12, 12, 12), image_size=32)
    return dict(x=x, y=y, x_test=x_test, y_test=y_test, class_names=np.array(synthetic_cells.CLASS_NAMES))


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A finished smoke run (2 epochs x 2 steps, a checkpoint every step) and its data, in a module folder."""
    work = tmp_path_factory.mktemp("trained")
    np.savez(work / "cells.npz", **_cells())
    result = Hostile(work).run(*TRAIN, "--epochs", "2", preexec_fn=UMASK_022)
    assert result.returncode == 0, result.stderr[-3000:]
    return work


@pytest.fixture
def case(hostile, trained) -> Path:
    """A copy of the trained run and its data in this case's working folder."""
    shutil.copytree(trained / "run", hostile.work / "run")
    shutil.copy(trained / "cells.npz", hostile.work / "cells.npz")
    return hostile.work / "run"


@pytest.fixture
def signals_reach_children():
    """A pytest started in the background (``make test &``) ignores SIGINT, and its children inherit that; a handler
    here is reset to the default in a child at exec, so the command line gets Ctrl-C as a user's shell sends it."""
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _step(run: Path) -> int:
    return read_meta(run / "checkpoints" / "gan.npz")["global_step"]


def _damage(path: Path, at: float = 0.5, n: int = 64) -> None:
    data = bytearray(path.read_bytes())
    start = int(len(data) * at)
    data[start:start + n] = bytes(255 - b for b in data[start:start + n])
    path.write_bytes(bytes(data))


HOLD = textwrap.dedent("""
    import sys
    from bagan_lib.runtime.folder_lock import folder_lock
    with folder_lock(sys.argv[1], "another command"):
        print("locked", flush=True)
        sys.stdin.readline()
""")


class _Holder:
    """Another live process holding a folder's lock until the ``with`` block ends."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLD, str(self.folder)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
        assert self.proc.stdout.readline().strip() == "locked"
        return self.proc

    def __exit__(self, *exc):
        self.proc.communicate("\n", timeout=30)


def _wait_for_training(proc: subprocess.Popen, run: Path, beyond: int, timeout: float = 240) -> None:
    """Until the run's checkpoint is past step ``beyond`` (the process is training)."""
    def past():
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        try:
            return _step(run) > beyond
        except Exception:  # noqa: BLE001  (mid-replace on a slow disk: try again)
            return False

    Hostile.wait_for(past, timeout=timeout)


# --------------------------------------------------------------------------- #
# defect 1: one writer per folder
# --------------------------------------------------------------------------- #
def test_a_second_train_into_a_running_runs_folder_is_refused_and_the_first_finishes_intact(hostile, case):
    """Issue 18, defect 1: two ``train`` commands into one ``--out`` both said "done" and mixed their files."""
    first = hostile.start(*RESUME, "--epochs", "1000000000")
    try:
        _wait_for_training(first, case, beyond=4)
        second = hostile.run("train", "--model", "bagan", "--dataset", "npz:cells.npz", "--profile", "smoke",
                             "--out", "run", "--overwrite", "--epochs", "2")
        Hostile.assert_refused(second, f"in use by pid {first.pid}")
        assert "kill" in second.stderr and first.poll() is None
    finally:
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=120)
    Hostile.assert_refused(subprocess.CompletedProcess(first.args, first.returncode, out, err), "--resume", 143)
    config = json.loads((case / "config.json").read_text())
    assert config["config"]["model"] == "bagan_gp_v3" and verify_checkpoint(case / "checkpoints" / "gan.npz")
    assert not (case / ".lock").exists()


def test_train_into_a_folder_another_live_process_holds_is_refused_and_changes_nothing(hostile, case):
    """Issue 18, defect 1: a live lock names the holder's pid and the fix."""
    before = snapshot(case)
    with _Holder(case) as holder:
        result = hostile.run(*RESUME, "--epochs", "3")
        line = Hostile.assert_refused(result, f"pid {holder.pid}")
        assert "another command" in line
    assert snapshot(case) == before


def test_a_stale_lock_left_by_a_killed_process_is_reported_and_the_run_continues(hostile, case):
    """Issue 18, defect 1: ``kill -9`` leaves a lock file but no lock; the next run says so and goes on."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (case / ".lock").write_text(json.dumps({"pid": int(dead.stdout), "host": "h", "command": "train (killed)",
                                            "since": "2026-01-01 00:00:00"}))
    result = hostile.run(*RESUME, "--epochs", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"pid {int(dead.stdout)}" in result.stderr and "no longer running" in result.stderr
    assert not (case / ".lock").exists() and "nothing to train" in result.stdout


def test_evaluate_into_an_out_folder_another_process_holds_is_refused_before_any_scoring(hostile, case):
    """Issue 18, defect 1: ``evaluate --out`` is locked for the command's life."""
    out = hostile.work / "scores"
    with _Holder(out) as holder:
        started = time.monotonic()
        result = hostile.run("evaluate", "--runs", "run", "--out", out)
        Hostile.assert_refused(result, f"pid {holder.pid}")
    assert time.monotonic() - started < 60 and not out.exists()  # the holder's folder, gone with it: no tables


def test_evaluate_out_that_is_a_file_is_one_error_line(hostile, case):
    """Issue 18, defect 1 (and 8): the lock of ``--out`` is taken first; a file there is refused at once."""
    (hostile.work / "scores").write_text("not a folder")
    Hostile.assert_refused(hostile.run("evaluate", "--runs", "run", "--out", "scores"), "scores")
    assert (hostile.work / "scores").read_text() == "not a folder"


# --------------------------------------------------------------------------- #
# defect 2: resume on other data
# --------------------------------------------------------------------------- #
def _rewrite_data(work: Path, change) -> None:
    arrays = dict(np.load(work / "cells.npz"))
    change(arrays)
    np.savez(work / "cells.npz", **arrays)


def test_resume_on_images_replaced_by_others_of_the_same_count_is_refused(hostile, case):
    """Issue 18, defect 2: every image replaced, same count and labels: training went on silently on other data."""
    _rewrite_data(hostile.work, lambda a: a.update(x=255 - a["x"]))
    before = snapshot(case)
    Hostile.assert_refused(hostile.run(*RESUME, "--epochs", "3"), "image content changed")
    assert snapshot(case) == before


def test_resume_on_relabelled_images_is_refused_naming_the_labels(hostile, case):
    """Issue 18, defect 2: the same images under other labels (the same count per class)."""
    _rewrite_data(hostile.work, lambda a: a.update(y=np.roll(a["y"], 7)))
    before = snapshot(case)
    Hostile.assert_refused(hostile.run(*RESUME, "--epochs", "3"), "labels changed")
    assert snapshot(case) == before


def test_resume_on_fewer_images_is_refused_naming_the_count(hostile, case):
    """Issue 18, defect 2: a changed count was the one change caught before; it still is, before any write."""
    _rewrite_data(hostile.work, lambda a: a.update(x=a["x"][:-10], y=a["y"][:-10]))
    before = snapshot(case)
    Hostile.assert_refused(hostile.run(*RESUME, "--epochs", "3"), "n_train 120 -> 110")
    assert snapshot(case) == before


# --------------------------------------------------------------------------- #
# defect 5: damaged checkpoints
# --------------------------------------------------------------------------- #
def test_flipped_bytes_in_the_newest_checkpoint_fall_back_to_the_previous_one_with_a_message(hostile, case):
    """Issue 18, defect 5: 64 flipped bytes inside an array of gan.npz gave a traceback (config.json rewritten)."""
    assert _step(case) == 4 and read_meta(case / "checkpoints" / "gan.prev.npz")["global_step"] == 3
    _damage(case / "checkpoints" / "gan.npz")
    result = hostile.run(*RESUME, "--epochs", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming from the previous checkpoint" in result.stdout and "step 3" in result.stdout
    assert "Traceback" not in result.stderr and _step(case) == 4
    verify_checkpoint(case / "checkpoints" / "gan.npz")


def test_damage_in_both_checkpoints_is_one_error_line_and_config_json_is_kept(hostile, case):
    """Issue 18, defect 5: no good checkpoint: one ``error:`` line, nothing in the folder changed."""
    _damage(case / "checkpoints" / "gan.npz")
    _damage(case / "checkpoints" / "gan.prev.npz", at=0.3)
    before = snapshot(case)
    Hostile.assert_refused(hostile.run(*RESUME, "--epochs", "3"), "No usable checkpoint")
    assert snapshot(case) == before


def test_a_zero_byte_checkpoint_without_a_previous_one_is_one_error_line(hostile, case):
    """Issue 18, defect 5: an empty gan.npz (a full disk, a copy cut short)."""
    (case / "checkpoints" / "gan.npz").write_bytes(b"")
    (case / "checkpoints" / "gan.prev.npz").unlink()
    before = snapshot(case)
    Hostile.assert_refused(hostile.run(*RESUME, "--epochs", "3"), "not a readable checkpoint")
    assert snapshot(case) == before


def test_a_truncated_checkpoint_falls_back_to_the_previous_one(hostile, case):
    """Issue 18, defect 5: half a gan.npz; the previous checkpoint is used and said so."""
    gan = case / "checkpoints" / "gan.npz"
    gan.write_bytes(gan.read_bytes()[:gan.stat().st_size // 2])
    result = hostile.run(*RESUME, "--epochs", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "gan.npz is not a readable checkpoint" in result.stdout and "previous checkpoint" in result.stdout


def test_a_damaged_autoencoder_checkpoint_is_one_error_line_before_anything_changes(hostile, case):
    """Issue 18, defect 5: the autoencoder a resume reloads is verified before the folder changes."""
    _damage(case / "checkpoints" / "autoencoder.npz")
    before = snapshot(case)
    Hostile.assert_refused(hostile.run(*RESUME, "--epochs", "3"), "autoencoder.npz")
    assert snapshot(case) == before


def test_zero_byte_temporaries_of_a_killed_writer_are_removed_by_the_next_run(hostile, case):
    """Issue 18, defect 10: kill -9 during a write leaves a zero-byte temporary; it must not linger or break."""
    stale = [case / "checkpoints" / ".gan.npz.0123456789abcdef.tmp", case / "checkpoints" / ".gan.npz.x1y2z3w4.npz",
             case / ".metrics.json.fedcba9876543210.tmp"]
    for path in stale:
        path.write_bytes(b"")
    result = hostile.run(*RESUME, "--epochs", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not any(p.exists() for p in stale)


def test_a_damaged_config_json_is_one_error_line_for_evaluate(hostile, case):
    """Issue 18, defect 5 (a damaged run file): evaluate read config.json with a traceback."""
    (case / "config.json").write_text('{"config": {"model": "bagan_gp_v3", "datas')
    before = snapshot(case)
    Hostile.assert_refused(hostile.run("evaluate", "--runs", "run", "--out", "scores"), "config.json is not a run's configuration")
    assert snapshot(case) == before and not (hostile.work / "scores").exists()


# --------------------------------------------------------------------------- #
# defects 6 and 10: settings on resume, resume on nothing, overwrite, modes
# --------------------------------------------------------------------------- #
def test_resume_with_another_penalty_weight_continues(hostile, case):
    """Issue 18, defect 6: ``--resume --gp-lambda 0`` failed with "12 trackers variables, the model 10"."""
    result = hostile.run(*RESUME, "--epochs", "3", "--gp-lambda", "0")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "gp_lambda 10.0 -> 0.0" in result.stdout
    metrics = json.loads((case / "metrics.json").read_text())
    assert metrics["settings"]["gp_lambda"] == 0.0 and [("gp" in r) for r in metrics["history"]] == [True] * 2 + [False]


def test_resume_on_an_empty_folder_is_refused_saying_nothing_was_resumed(hostile):
    """Issue 18, defect 10: ``--resume`` on an empty folder started a new run with a one-line note."""
    (hostile.work / "run").mkdir()
    result = hostile.run(*RESUME, "--epochs", "1")
    Hostile.assert_refused(result, "Nothing to resume")
    assert "drop --resume" in result.stderr and list((hostile.work / "run").iterdir()) == []


def test_resume_on_a_mistyped_folder_is_refused_and_creates_nothing(hostile, case):
    """Issue 18, defect 10: a typo in ``--out`` with ``--resume`` started a new run in a new folder."""
    args = list(RESUME)
    args[args.index("run")] = "rnu"
    Hostile.assert_refused(hostile.run(*args, "--epochs", "3"), "does not exist")
    assert not (hostile.work / "rnu").exists()


def test_overwrite_that_fails_a_late_check_keeps_the_old_run(hostile, case):
    """Issue 18, defect 10: ``--overwrite`` deleted the old run before a check that failed after pre-training
    (BAGAN's class Gaussians with a class of one image)."""
    arrays = _cells(counts=(40, 40, 24, 1))
    np.savez(hostile.work / "one.npz", **arrays)
    before = snapshot(case)
    result = hostile.run("train", "--model", "bagan", "--dataset", "npz:one.npz", "--profile", "smoke", "--out", "run",
                         "--overwrite", "--epochs", "1")
    Hostile.assert_refused(result, "trophozoite (1)")
    assert snapshot(case) == before


def test_the_files_of_a_run_follow_the_umask(trained):
    """Issue 18, defect 10: every file written through the atomic writer was 0600 whatever the umask."""
    modes = {str(p.relative_to(trained / "run")): p.stat().st_mode & 0o777
             for p in (trained / "run").rglob("*") if p.is_file()}
    for name in ("config.json", "metrics.json", "loss_curves.png", "checkpoints/gan.npz", "checkpoints/gan.prev.npz",
                 "checkpoints/autoencoder.npz"):
        assert modes[name] == 0o644, (name, oct(modes[name]))


# --------------------------------------------------------------------------- #
# defect 4 and signals: a huge --epochs, Ctrl-C and SIGTERM while training
# --------------------------------------------------------------------------- #
def _peak_rss_gb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2 ** 20
    return 0.0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_billion_epochs_train_at_once_and_a_signal_stops_them_keeping_the_checkpoint(hostile, case, sig,
                                                                                      signals_reach_children):
    """Issue 18, defect 4: ``--epochs 1000000000`` built every epoch's batch order before the first step (no step
    in 75 s, 6 GB and growing). Now steps come at once in bounded memory; a signal ends the run with exit 130/143,
    one ``error:`` line saying how to continue, and the lock released."""
    proc = hostile.start(*RESUME, "--epochs", "1000000000")
    try:
        _wait_for_training(proc, case, beyond=5)
        assert _peak_rss_gb(proc.pid) < 4.0
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    Hostile.assert_refused(result, "--resume", SIGNAL_STATUS[sig])
    assert "last checkpoint" in err and not (case / ".lock").exists()
    assert verify_checkpoint(case / "checkpoints" / "gan.npz")["global_step"] > 5


# --------------------------------------------------------------------------- #
# evaluate on a run that did not finish
# --------------------------------------------------------------------------- #
def test_evaluate_of_an_unfinished_run_says_so_in_the_csv_and_markdown_tables(hostile, case):
    """Issue 18, defect 10: "not finished" reached only stdout and the JSON, not the CSV and Markdown tables."""
    # a run started for 3 epochs and stopped after 2: its checkpoints say so (the checksum covers the arrays only)
    for name in ("gan.npz", "gan.prev.npz"):
        path = case / "checkpoints" / name
        with np.load(path) as saved:
            arrays = {k: saved[k] for k in saved.files}
        header = json.loads(str(arrays.pop("__meta__")))
        header["meta"]["settings"]["epochs"] = 3
        with open(path, "wb") as file:
            np.savez(file, __meta__=np.array(json.dumps(header)), **arrays)
        verify_checkpoint(path)
    config = json.loads((case / "config.json").read_text())
    config["config"]["epochs"] = config["settings"]["epochs"] = 3
    (case / "config.json").write_text(json.dumps(config))
    result = hostile.run("evaluate", "--runs", "run", "--out", "scores", "--n-per-class", "12", "--bootstrap", "5",
                         "--kid-subsets", "5", "--kid-subset-size", "8")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "not finished" in result.stdout
    for name in ("table4_fid", "table4_kid", "table4_share"):
        for suffix in (".csv", ".md"):
            assert "BAGAN-GP v3 (not finished)" in (hostile.work / "scores" / f"{name}{suffix}").read_text(), name
    scores = (hostile.work / "scores" / "table4_scores.csv").read_text()
    assert "not finished: the run's checkpoint is at step 4" in scores


# --------------------------------------------------------------------------- #
# defect 9: the main job interrupted, recorded, resumed
# --------------------------------------------------------------------------- #
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
          "language_info": {"name": "python"}}


def _notebooks(folder: Path) -> Path:
    """00 writes a table; 01 sleeps in its third cell while the file SLOW exists in the notebooks folder; 02 is
    quick. Papermill runs them with the notebooks folder as the working folder."""
    folder.mkdir()
    for name, cells in (("00_first", ["import pathlib, pandas as pd\nout = pathlib.Path(out_dir)\n"
                                      "out.mkdir(parents=True, exist_ok=True)\n"
                                      "pd.DataFrame({'a': [1]}).to_csv(out / 'first.csv', index=False)"]),
                        ("01_slow", ["print('started', flush=True)",
                                     "import pathlib, time\nwhile pathlib.Path('SLOW').exists():\n    time.sleep(0.2)",
                                     "print('finished', flush=True)"]),
                        ("02_last", ["x = 2"])):
        nb = new_notebook(metadata=KERNEL)
        nb.cells = [new_markdown_cell(f"# {name}"),
                    new_code_cell('profile = None\ndataset = "digits"\nout_dir = "x"',
                                  metadata={"tags": ["parameters"]}),
                    *[new_code_cell(c) for c in cells]]
        nbformat.write(nb, folder / f"{name}.ipynb")
    (folder / "SLOW").write_text("")
    return folder


def _interrupt_job(hostile: Hostile, nbs: Path, sig) -> tuple[subprocess.CompletedProcess, Path]:
    proc = hostile.start("run", "--profile", "smoke", "--runs-dir", "runs", "--notebooks-dir", nbs,
                         "--lanes", "1")  # one notebook at a time: which one is interrupted is certain
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "01 | started" in line:
                time.sleep(1.0)
                break
        else:
            raise AssertionError("".join(lines) + proc.stderr.read()[-3000:])
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    run_dir = next((hostile.work / "runs").iterdir())
    return subprocess.CompletedProcess(proc.args, proc.returncode, "".join(lines) + out, err), run_dir


@pytest.mark.slow  # papermill
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_main_job_leaves_its_index_and_true_statuses(hostile, sig, signals_reach_children):
    """Issue 18, defect 9: after SIGINT or SIGTERM there was no index and no run.json, and the half-executed
    notebook looked "completed" in its papermill metadata."""
    nbs = _notebooks(hostile.work / "nbs")
    result, run_dir = _interrupt_job(hostile, nbs, sig)
    Hostile.assert_refused(result, f"run --resume {run_dir}", SIGNAL_STATUS[sig])
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "interrupted" and record["ok"] is False
    statuses = {nb["name"]: nb["status"] for nb in record["notebooks"]}
    assert statuses == {"00_first": "ok", "01_slow": "interrupted", "02_last": "not run"}
    cell = next(nb["cell"] for nb in record["notebooks"] if nb["name"] == "01_slow")
    executed = nbformat.read(run_dir / "01_slow.ipynb", 4)
    assert executed.metadata["bagan_kit"]["status"] == "interrupted"
    marks = [c.metadata.get("papermill", {}).get("status") for c in executed.cells]
    assert marks[cell + 1] == "interrupted" and marks[cell + 2:] == ["pending"]  # +1: the banner on top
    assert "did not finish" in executed.cells[0].source
    index = (run_dir / "index.md").read_text()
    assert f"INTERRUPTED at cell {cell}" in index and "| 02_last | not run |" in index
    assert not (run_dir / ".lock").exists()


@pytest.mark.slow  # papermill
def test_run_resume_keeps_the_notebooks_that_finished_and_runs_the_others(hostile, signals_reach_children):
    """Issue 18, defect 9: ``run --resume RUN_DIR`` skips the notebooks that finished ok."""
    nbs = _notebooks(hostile.work / "nbs")
    _, run_dir = _interrupt_job(hostile, nbs, signal.SIGINT)
    first_table = (run_dir / "00_first" / "first.csv").stat().st_mtime_ns
    (nbs / "SLOW").unlink()
    result = hostile.run("run", "--resume", run_dir, "--notebooks-dir", nbs)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "00_first: ok in the earlier job, kept" in result.stdout and "[2/3] 01_slow: running" in result.stdout
    record = json.loads((run_dir / "run.json").read_text())
    assert record["ok"] is True and [nb["status"] for nb in record["notebooks"]] == ["ok"] * 3
    assert (run_dir / "00_first" / "first.csv").stat().st_mtime_ns == first_table
    assert "bagan_kit" not in nbformat.read(run_dir / "01_slow.ipynb", 4).metadata  # executed afresh, completed


def test_run_resume_on_a_folder_without_a_job_record_is_refused(hostile):
    """Issue 18, defect 9: ``run --resume`` needs a main job's folder."""
    (hostile.work / "runs" / "x").mkdir(parents=True)
    Hostile.assert_refused(hostile.run("run", "--resume", "runs/x"), "run.json is missing")
    Hostile.assert_refused(hostile.run("run", "--resume", "runs/missing"), "Nothing to resume")


def test_run_resume_with_other_settings_or_a_held_folder_is_refused(hostile):
    """Issue 18, defects 9 and 1: a resumed job keeps its settings; a job folder in use is not resumed twice."""
    run_dir = hostile.work / "runs" / "job"
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({"profile": "smoke", "dataset": "digits", "only": None,
                                                  "status": "interrupted", "notebooks": []}))
    before = snapshot(run_dir)
    Hostile.assert_refused(hostile.run("run", "--resume", run_dir, "--profile", "teach"), "--profile teach")
    with _Holder(run_dir) as holder:
        Hostile.assert_refused(hostile.run("run", "--resume", run_dir), f"pid {holder.pid}")
    assert snapshot(run_dir) == before
