"""The main job on small stand-in notebooks: order, parameters, index page, failure reporting."""

from __future__ import annotations

import json

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from bagan_lib.runtime.main_job import list_notebooks, run_all

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
          "language_info": {"name": "python"}}


def _notebook(path, body: str):
    nb = new_notebook(metadata=KERNEL)
    nb.cells = [new_markdown_cell("# t\nlearning goals"),
                new_code_cell('profile = None\ndataset = "digits"\nout_dir = "x"\nseed = 1',
                              metadata={"tags": ["parameters"]}),
                new_code_cell(body)]
    nbformat.write(nb, path)


WRITES_OUTPUTS = """
import pathlib, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
out = pathlib.Path(out_dir); out.mkdir(parents=True, exist_ok=True)
fig, ax = plt.subplots(); ax.plot([1, 2]); ax.set_title(profile); fig.savefig(out / "curve.png")
pd.DataFrame({"profile": [profile], "dataset": [dataset], "seed": [seed]}).to_csv(out / "params.csv", index=False)
"""


def test_runs_in_order_passes_parameters_and_writes_index(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "00_first.ipynb", WRITES_OUTPUTS)
    _notebook(nbs / "01_second.ipynb", WRITES_OUTPUTS)
    _notebook(nbs / "scratch.ipynb", "raise SystemExit")  # not NN_name: never run
    lines = []
    run = run_all(profile="smoke", dataset="mnist", runs_dir=tmp_path / "runs", notebooks_dir=nbs,
                  log=lines.append)
    assert run.ok and [r.name for r in run.results] == ["00_first", "01_second"]
    assert run.run_dir.name.endswith("-smoke")
    table = (run.run_dir / "01_second" / "params.csv").read_text()
    assert "smoke,mnist,1" in table  # profile and dataset injected, seed left as the notebook's
    index_md = (run.run_dir / "index.md").read_text()
    index_html = (run.run_dir / "index.html").read_text()
    for name in ("00_first", "01_second"):
        assert f"({name}.ipynb)" in index_md and f"{name}/curve.png" in index_html
    assert "<table" in index_html and "smoke" in index_md
    assert json.loads((run.run_dir / "run.json").read_text())["ok"] is True
    assert any("[2/2] 01_second: ok" in line for line in lines)


def test_failure_names_the_cell_and_stops(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "00_ok.ipynb", "x = 1")
    _notebook(nbs / "01_broken.ipynb", "1 / 0")
    _notebook(nbs / "02_never.ipynb", "x = 2")
    lines = []
    run = run_all(profile="smoke", runs_dir=tmp_path / "runs", notebooks_dir=nbs, lanes=1, log=lines.append)
    assert not run.ok  # (two lanes: tests/runtime/test_job_lanes.py)
    assert [(r.name, r.ok) for r in run.results] == [("00_ok", True), ("01_broken", False)]
    assert "ZeroDivisionError" in run.results[1].error and "cell" in run.results[1].error
    assert any("01_broken failed in cell" in line for line in lines)
    assert (run.run_dir / "01_broken.ipynb").exists() and (run.run_dir / "index.html").exists()
    assert "FAILED" in (run.run_dir / "index.md").read_text()


def test_list_notebooks_filters_by_prefix(tmp_path):
    for name in ("00_a", "01_b", "02_c"):
        _notebook(tmp_path / f"{name}.ipynb", "")
    assert [p.stem for p in list_notebooks(tmp_path, ["01", "02_c"])] == ["01_b", "02_c"]


READS_RUNS = """
import pathlib
out = pathlib.Path(out_dir); out.mkdir(parents=True, exist_ok=True)
(out / "runs_dir.txt").write_text(str(runs_dir))
"""


def test_a_notebook_that_reads_runs_gets_the_run_folder_once_04_and_06_succeeded(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    for name in ("04_bagan", "06_bagan_gp"):
        _notebook(nbs / f"{name}.ipynb", "x = 1")
    nb = nbformat.read(nbs / "04_bagan.ipynb", 4)
    nb.cells[1].source += "\nruns_dir = None"
    nb.cells[2].source = READS_RUNS
    nbformat.write(nb, nbs / "08_evaluation.ipynb")
    run = run_all(profile="smoke", runs_dir=tmp_path / "runs", notebooks_dir=nbs, log=lambda line: None)
    assert run.ok and (run.run_dir / "08_evaluation" / "runs_dir.txt").read_text() == str(run.run_dir)
    alone = run_all(profile="smoke", runs_dir=tmp_path / "alone", notebooks_dir=nbs, only=["08"],
                    log=lambda line: None)
    assert (alone.run_dir / "08_evaluation" / "runs_dir.txt").read_text() == "None"  # 08 trains them itself


def test_progress_names_the_section_and_streams_what_cells_print(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    nb = new_notebook(metadata=KERNEL)
    nb.cells = [new_markdown_cell("# Title\nlearning goals"),
                new_code_cell('profile = None', metadata={"tags": ["parameters"]}),
                new_markdown_cell("## Training the model"),
                new_code_cell('for epoch in (1, 2):\n    print(f"model epoch {epoch}/2", flush=True)'),
                new_markdown_cell("text without a heading"),
                new_code_cell('print("still training", flush=True)'),
                new_markdown_cell("## Results"),
                new_code_cell('x = 1')]
    nbformat.write(nb, nbs / "04_progress.ipynb")
    lines = []
    run = run_all(profile="smoke", runs_dir=tmp_path / "runs", notebooks_dir=nbs, log=lines.append)
    assert run.ok
    progress = [line for line in lines if line.startswith("  04 ")]
    assert progress == ["  04 § Title", "  04 § Training the model", "  04 | model epoch 1/2",
                        "  04 | model epoch 2/2", "  04 | still training", "  04 § Results"]


def test_the_index_opens_with_the_share_and_orderings_of_table4(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "08_evaluation.ipynb", """
import pathlib
import pandas as pd
out = pathlib.Path(out_dir); out.mkdir(parents=True, exist_ok=True)
pd.DataFrame({"share": ["BAGAN-GP v3"], "normal (train 800, real 1400)": ["0.97"]}).to_csv(out / "table4_share.csv", index=False)
pd.DataFrame({"claim": ["BAGAN-GP v3 better than BAGAN"], "seeds where it holds": ["1 of 1"]}).to_csv(out / "table4_orderings.csv", index=False)
pd.DataFrame({"other": [1]}).to_csv(out / "aaa_other.csv", index=False)
""")
    run = run_all(profile="smoke", runs_dir=tmp_path / "runs", notebooks_dir=nbs, log=lambda line: None)
    index_md = (run.run_dir / "index.md").read_text()
    headline = index_md.index("## Headline results")
    assert headline < index_md.index("## 08_evaluation") and headline < index_md.index("aaa_other")
    assert index_md.index("BAGAN-GP v3 better than BAGAN") < index_md.index("## 08_evaluation")
    assert "<h2>Headline results</h2>" in (run.run_dir / "index.html").read_text()


def test_an_empty_table_does_not_stop_the_index(tmp_path):
    """At smoke, notebook 08 can check no ordering (a header-only table); a CSV may even be empty."""
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "08_evaluation.ipynb", """
import pathlib
import pandas as pd
from bagan_lib.experiments.table4 import paper_orderings
out = pathlib.Path(out_dir); out.mkdir(parents=True, exist_ok=True)
scores = pd.DataFrame({"row": ["BAGAN-GP v3"], "seed": [1], "class": [0], "n_train": [5], "KID": [1.0]})
paper_orderings(scores).to_csv(out / "table4_orderings.csv", index=False)
(out / "empty.csv").write_text("")
""")
    run = run_all(profile="smoke", runs_dir=tmp_path / "runs", notebooks_dir=nbs, log=lambda line: None)
    assert run.ok
    index_md = (run.run_dir / "index.md").read_text()
    assert "## Headline results" not in index_md          # a header-only table is no headline
    assert "table4_orderings.csv" in index_md and "empty.csv" not in index_md
