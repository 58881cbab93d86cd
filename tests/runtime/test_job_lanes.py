"""The main job's lanes: notebooks side by side, each kernel on its share of the threads, 08 after 04 and 06."""

from __future__ import annotations

import json
import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from bagan_lib.cli import main
from bagan_lib.errors import KitError
from bagan_lib.runtime import job_lanes
from bagan_lib.runtime.main_job import run_all

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
          "language_info": {"name": "python"}}

# Each notebook records when it ran and the thread settings its kernel started with.
TIMED = """
import json, os, pathlib, time
out = pathlib.Path(out_dir); out.mkdir(parents=True, exist_ok=True)
start = time.time()
for i in range(3):
    print(f"from {NAME} line {i}", flush=True)
    time.sleep(0.7)
env = {k: os.environ.get(k) for k in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")}
(out / "times.json").write_text(json.dumps({"start": start, "end": time.time(), "env": env, "runs_dir": runs_dir}))
"""


def _notebook(path, *, reads_runs=False):
    nb = new_notebook(metadata=KERNEL)
    params = 'profile = None\nout_dir = "x"' + ("\nruns_dir = None" if reads_runs else "")
    nb.cells = [new_markdown_cell(f"# {path.stem}"),
                new_code_cell(params, metadata={"tags": ["parameters"]}),
                new_markdown_cell(f"## Section of {path.stem[:2]}"),
                new_code_cell(f"NAME = {path.stem[:2]!r}\nruns_dir = globals().get('runs_dir')\n" + TIMED)]
    nbformat.write(nb, path)


def _times(run, name):
    return json.loads((run.run_dir / name / "times.json").read_text())


@pytest.fixture
def notebooks(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    for name in ("04_bagan", "05_autoencoder", "06_bagan_gp"):
        _notebook(nbs / f"{name}.ipynb")
    _notebook(nbs / "08_evaluation.ipynb", reads_runs=True)
    return nbs


@pytest.fixture
def clean_thread_variables(monkeypatch):
    for name in (*job_lanes.THREAD_VARIABLES, job_lanes.INTEROP_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(job_lanes, "cores", lambda: 2)


def test_two_lanes_run_side_by_side_on_one_thread_each_and_08_waits_for_04_and_06(notebooks, tmp_path,
                                                                                  clean_thread_variables):
    lines = []
    run = run_all(profile="smoke", runs_dir=tmp_path / "runs", notebooks_dir=notebooks, lanes=2, log=lines.append)
    assert run.ok and [r.name for r in run.results] == ["04_bagan", "05_autoencoder", "06_bagan_gp",
                                                        "08_evaluation"]
    t = {name[:2]: _times(run, name) for name in run.planned}
    assert t["04"]["start"] < t["05"]["end"] and t["05"]["start"] < t["04"]["end"], "04 and 05 must overlap"
    assert t["08"]["start"] >= max(t["04"]["end"], t["06"]["end"]), "08 reads 04's and 06's runs"
    assert t["08"]["runs_dir"] == str(run.run_dir)
    for name in t:
        assert t[name]["env"] == {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
                                  "OMP_NUM_THREADS": "1"}
    assert "TF_NUM_INTRAOP_THREADS" not in os.environ, "the job's settings end with the job"
    record = json.loads((run.run_dir / "run.json").read_text())
    assert record["lanes"] == {"lanes": 2, "threads": 1} and record["status"] == "ok"
    assert "2 at a time, 1 thread(s) each" in lines[0]
    # each notebook's printed lines and sections carry its own number, although two ran at once
    for prefix in ("04", "05", "06", "08"):
        mine = [line for line in lines if line.startswith(f"  {prefix} ")]
        assert mine[0] == f"  {prefix} § {dict(zip(['04', '05', '06', '08'], run.planned))[prefix]}"
        assert [line for line in mine if "|" in line] == [f"  {prefix} | from {prefix} line {i}" for i in range(3)]
        assert f"  {prefix} § Section of {prefix}" in mine


def test_one_lane_runs_one_after_the_other_with_the_users_threads(notebooks, tmp_path, clean_thread_variables):
    run = run_all(profile="smoke", runs_dir=tmp_path / "runs", notebooks_dir=notebooks, lanes=1,
                  only=["04", "05"], log=lambda line: None)
    first, second = _times(run, "04_bagan"), _times(run, "05_autoencoder")
    assert first["end"] <= second["start"]
    assert first["env"]["TF_NUM_INTRAOP_THREADS"] is None  # one lane: TensorFlow's own default
    assert json.loads((run.run_dir / "run.json").read_text())["lanes"] == {"lanes": 1, "threads": None}


def test_a_thread_setting_of_the_user_is_kept(notebooks, tmp_path, clean_thread_variables, monkeypatch):
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "3")
    run = run_all(profile="smoke", runs_dir=tmp_path / "runs", notebooks_dir=notebooks, lanes=2,
                  only=["04", "05"], log=lambda line: None)
    assert _times(run, "04_bagan")["env"]["TF_NUM_INTRAOP_THREADS"] == "3"
    assert _times(run, "04_bagan")["env"]["OMP_NUM_THREADS"] == "1"
    assert json.loads((run.run_dir / "run.json").read_text())["lanes"] == {"lanes": 2, "threads": 3}
    assert os.environ["TF_NUM_INTRAOP_THREADS"] == "3"


def test_after_a_failure_nothing_more_starts_and_the_running_lane_finishes(notebooks, tmp_path):
    nb = nbformat.read(notebooks / "05_autoencoder.ipynb", 4)
    nb.cells[-1].source = "1 / 0"
    nbformat.write(nb, notebooks / "05_autoencoder.ipynb")
    lines = []
    run = run_all(profile="smoke", runs_dir=tmp_path / "runs", notebooks_dir=notebooks, lanes=2, log=lines.append)
    assert [(r.name, r.status) for r in run.results] == [("04_bagan", "ok"), ("05_autoencoder", "failed")]
    assert run.not_run() == ["06_bagan_gp", "08_evaluation"] and run.status == "failed"
    assert any("no further notebook starts; waiting for 04_bagan" in line for line in lines)
    record = json.loads((run.run_dir / "run.json").read_text())
    assert [n["status"] for n in record["notebooks"]] == ["ok", "failed", "not run", "not run"]


def test_default_lanes(monkeypatch):
    monkeypatch.setattr(job_lanes, "has_gpu", lambda: False)
    for cores, lanes in ((1, 1), (2, 2), (16, 2)):
        monkeypatch.setattr(job_lanes, "cores", lambda cores=cores: cores)
        assert job_lanes.resolve_lanes(None) == lanes
    monkeypatch.setattr(job_lanes, "has_gpu", lambda: True)
    assert job_lanes.resolve_lanes(None) == 1 and job_lanes.resolve_lanes(3) == 3


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_a_lane_count_that_cannot_be_is_refused(bad):
    with pytest.raises(KitError, match="whole number >= 1"):
        job_lanes.resolve_lanes(bad)


def test_the_command_line_refuses_zero_lanes_before_making_a_folder(tmp_path, capsys):
    assert main(["run", "--lanes", "0", "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: lanes=0") and "--lanes 1" in err
    assert not (tmp_path / "runs").exists()
