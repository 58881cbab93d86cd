"""Hostile inputs through the command line (issue 18, part B: defects 3, 7, 8 and 10's options).

Each case is a value a careless or hostile user could pass: a seed of -1, an
``--out`` that is a file or a read-only folder, a notebook that is not JSON, an
``npz:`` that is a ``.npy`` or random bytes, labels with gaps, floats of no
stated range, a disk that fills up. Each must end in exit status 2 and one
``error:`` line that names a fix, without a traceback, and leave everything
already in the work folder (a previous result, the inputs themselves) as it was.
Most are refused before TensorFlow is imported; a few need it (evaluate's data,
the full disk) and take ~10-30 s each.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import resource
import signal
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
import numpy as np
import pytest
from PIL import Image

from bagan_lib.training.config import TrainConfig


def _load_harness():
    """The harness's helpers, from its file: ``import conftest`` could find tests/conftest.py, which shares the name."""
    spec = importlib.util.spec_from_file_location("hostile_harness", Path(__file__).with_name("conftest.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_harness = _load_harness()
Hostile, snapshot = _harness.Hostile, _harness.snapshot

PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


# --------------------------------------------------------------------------------------------------------------------
# What the cases are made of
# --------------------------------------------------------------------------------------------------------------------
def as_ordinary_user() -> None:
    """In the child: without root's power to write anywhere, so a read-only folder is read-only (as for a user).

    Root keeps CAP_DAC_OVERRIDE, which ignores file modes; dropping it from the
    bounding set before exec removes it from the new program."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


FILE_SIZE_LIMIT = 20_000  # bytes: config.json fits, the first checkpoint does not


def with_a_full_disk() -> None:
    """In the child: ``ulimit -f`` with SIGXFSZ ignored, so a write past the limit fails with EFBIG (as ENOSPC does)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


def npz(name: str, **arrays) -> Callable[[Path], None]:
    def make(work: Path) -> None:
        np.savez(work / name, **arrays)
    return make


def raw_file(name: str, data: bytes) -> Callable[[Path], None]:
    def make(work: Path) -> None:
        (work / name).write_bytes(data)
    return make


def truncated_npz(work: Path) -> None:
    npz("whole.npz", x=IMAGES, y=LABELS)(work)
    data = (work / "whole.npz").read_bytes()
    (work / "half.npz").write_bytes(data[:len(data) // 2])


def a_folder(name: str) -> Callable[[Path], None]:
    def make(work: Path) -> None:
        (work / name).mkdir()
        (work / name / "inside.txt").write_text("kept\n")
    return make


def read_only_folder(work: Path) -> None:
    a_folder("readonly")(work)
    (work / "readonly").chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)


def fake_run(name: str = "run", dataset: str = "synthetic_cells") -> Callable[[Path], None]:
    """A folder that looks like a finished ``train`` run (config.json, checkpoints/gan.npz) to the option checks."""
    def make(work: Path) -> None:
        (work / name / "checkpoints").mkdir(parents=True)
        config = TrainConfig(model="bagan_gp_v3", dataset=dataset, profile="smoke", out_dir=str(work / name))
        (work / name / "config.json").write_text(json.dumps({"config": config.as_dict()}, indent=2))
        (work / name / "checkpoints" / "gan.npz").write_bytes(b"not read: refused before")
    return make


def cells_without_test(work: Path) -> None:
    """A ``folder:`` dataset with two classes and no ``test/`` (``train`` accepts it) and a run on it."""
    rng = np.random.default_rng(0)
    for cls in ("round", "spiky"):
        (work / "cells" / cls).mkdir(parents=True)
        for i in range(4):
            Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(work / "cells" / cls / f"{i}.png")
    fake_run("cells_run", f"folder:{work / 'cells'}")(work)


def notebook_file(name: str, text: str) -> Callable[[Path], None]:
    def make(work: Path) -> None:
        (work / name).write_text(text)
    return make


def dirty_and_broken_notebooks(work: Path) -> None:
    """A valid notebook that ``clean`` would change (a stray output) and a broken one after it."""
    cell = nbformat.v4.new_code_cell("print(1)", execution_count=3,
                                     outputs=[nbformat.v4.new_output("stream", text="1\n")])
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), work / "dirty.ipynb")
    (work / "broken.ipynb").write_text('{"cells": [')


def combine(*makers) -> Callable[[Path], None]:
    def make(work: Path) -> None:
        for maker in makers:
            maker(work)
    return make


RNG = np.random.default_rng(18)
IMAGES = RNG.integers(0, 256, (8, 6, 6), dtype=np.uint8)
LABELS = np.repeat([0, 1], 4)
NON_UTF8 = os.fsdecode(b"donn\xe9es.npz")  # Latin-1 bytes: not UTF-8


@dataclass(frozen=True)
class Case:
    args: tuple
    needle: str
    setup: Callable[[Path], None] | None = None
    preexec: Callable[[], None] | None = None
    defect: str = ""
    forbidden: tuple = field(default=())   # words the error line must not contain (a wrong diagnosis)


def summary(dataset: str) -> tuple:
    return ("data", "summary", "--dataset", dataset)


TRAIN = ("train", "--model", "bagan", "--profile", "smoke")
EVALUATE = ("evaluate", "--runs", "run", "--out", "evaluation")
CASES = {
    # --- option values ----------------------------------------------------------------------------------------------
    "seed-negative": Case((*TRAIN, "--out", "new_run", "--seed", "-1"), "not a seed", defect="8"),
    "seed-above-2**32": Case((*summary("digits"), "--seed", str(2**32)), "not a seed", defect="8"),
    "extractor-seed-not-whole": Case((*EVALUATE, "--extractor-seed", "1.5"), "not a seed", fake_run(), defect="8"),
    "width-infinite": Case(("bench", "--models", "bagan", "--profiles", "smoke", "--width", "inf"),
                           "not a finite number", defect="8"),
    "kid-subset-size-1": Case((*EVALUATE, "--kid-subset-size", "1"), "at least 2", fake_run(), defect="8"),
    # --- where results go: checked before any work ------------------------------------------------------------------
    "out-empty": Case((*TRAIN, "--out", ""), "--out is empty", defect="8"),
    "out-is-a-file": Case((*TRAIN, "--out", "keep/results.csv"), "is a file", defect="8"),
    "out-under-a-file": Case((*TRAIN, "--out", "keep/results.csv/run"), "is a file", defect="8"),
    "out-read-only": Case((*TRAIN, "--out", "readonly/run"), "not writable", read_only_folder, as_ordinary_user,
                          defect="8"),
    "evaluate-out-is-a-file": Case(("evaluate", "--runs", "run", "--out", "keep/results.csv"), "is a file",
                                   fake_run(), defect="8"),
    "evaluate-cache-dir-is-a-file": Case((*EVALUATE, "--cache-dir", "keep/results.csv"), "is a file", fake_run(),
                                         defect="8"),
    "bench-json-is-a-folder": Case(("bench", "--models", "bagan", "--profiles", "smoke", "--json", "keep"),
                                   "is a folder", defect="8"),
    "runs-dir-is-a-file": Case(("run", "--profile", "smoke", "--only", "00", "--runs-dir", "keep/results.csv"),
                               "is a file", defect="8"),
    "runs-dir-read-only": Case(("run", "--profile", "smoke", "--only", "00", "--runs-dir", "readonly"),
                               "not writable", read_only_folder, as_ordinary_user, defect="8"),
    # --- evaluate's inputs ------------------------------------------------------------------------------------------
    "runs-and-merge": Case(("evaluate", "--runs", "run", "--merge", "keep", "--out", "evaluation"),
                           "exclude each other", fake_run(), defect="10"),
    "damaged-config-json": Case((*EVALUATE,), "not a run's configuration",
                                combine(fake_run(), raw_file("run/config.json", b'{"config": {"model": ')),
                                defect="8"),
    "damaged-table4-json": Case(("evaluate", "--merge", "saved", "--out", "evaluation"), "not JSON",
                                combine(a_folder("saved"), raw_file("saved/table4.json", b"{oops")), defect="8"),
    "folder-without-test": Case(("evaluate", "--runs", "cells_run", "--out", "evaluation"), "no test split",
                                cells_without_test, defect="7"),
    # --- notebooks clean | record -----------------------------------------------------------------------------------
    "notebook-not-json": Case(("notebooks", "clean", "bad.ipynb"), "not a valid Jupyter notebook",
                              notebook_file("bad.ipynb", "{\n"), defect="8"),
    "notebook-binary": Case(("notebooks", "clean", "bad.ipynb"), "not a valid Jupyter notebook",
                            raw_file("bad.ipynb", bytes(range(200, 256)) * 4), defect="8"),
    "notebook-is-a-folder": Case(("notebooks", "clean", "keep"), "cannot read keep", defect="8"),
    "notebook-record-wrong-version": Case(("notebooks", "record", "bad.ipynb"), "not a valid Jupyter notebook",
                                          notebook_file("bad.ipynb", '{"nbformat": 99, "nbformat_minor": 0, '
                                                                     '"cells": [], "metadata": {}}'), defect="8"),
    "notebooks-one-broken-of-two": Case(("notebooks", "clean", "dirty.ipynb", "broken.ipynb"), "broken.ipynb",
                                        dirty_and_broken_notebooks, defect="8"),
    # --- npz: data: the file ----------------------------------------------------------------------------------------
    "npz-is-a-npy": Case(summary("npz:images.npy"), ".npy file",
                         lambda work: np.save(work / "images.npy", IMAGES), defect="8"),
    "npz-random-bytes": Case(summary("npz:noise.npz"), "not an .npz file",
                             raw_file("noise.npz", np.random.default_rng(1).bytes(4096)), defect="8",
                             forbidden=("pickle", "object array")),
    "npz-empty-file": Case(summary("npz:empty.npz"), "not an .npz file", raw_file("empty.npz", b""), defect="8"),
    "npz-truncated": Case(summary("npz:half.npz"), "cannot read", truncated_npz, defect="8"),
    "npz-is-a-folder": Case(summary("npz:keep"), "is a folder", defect="8"),
    "npz-non-utf8-path": Case(summary(f"npz:{NON_UTF8}"), "does not exist", defect="8"),
    # --- npz: data: labels (defect 7) and value ranges (defect 3) ---------------------------------------------------
    "labels-with-gaps": Case(summary("npz:gaps.npz"), "without gaps",
                             npz("gaps.npz", x=IMAGES, y=np.repeat([0, 5], 4)), defect="7"),
    "label-of-1e8": Case(summary("npz:huge.npz"), "without gaps",
                         npz("huge.npz", x=IMAGES, y=np.repeat([0, 10**8], 4)), defect="7"),
    "unused-class-name": Case(summary("npz:names.npz"), "no training images",
                              npz("names.npz", x=IMAGES, y=LABELS, class_names=np.array(["a", "b", "c"])),
                              defect="7"),
    "floats-of-no-known-range": Case(summary("npz:frac.npz"), "x_range",
                                     npz("frac.npz", x=IMAGES.astype(np.float32) + 0.5, y=LABELS), defect="3"),
    "integers-above-255": Case(summary("npz:twelve.npz"), "x_range",
                               npz("twelve.npz", x=IMAGES.astype(np.int16) * 16, y=LABELS), defect="3"),
    "nan-pixels": Case(summary("npz:nan.npz"), "nan", npz("nan.npz", x=np.full((8, 6, 6), np.nan), y=LABELS),
                       defect="3"),
    "string-pixels": Case(summary("npz:text.npz"), "not numbers",
                          npz("text.npz", x=np.full((8, 6, 6), "w"), y=LABELS), defect="3"),
    "x-range-backwards": Case(summary("npz:backwards.npz"), "low < high",
                              npz("backwards.npz", x=IMAGES, y=LABELS, x_range=np.array([255, 0])), defect="3"),
    "values-outside-x-range": Case(summary("npz:outside.npz"), "outside their x_range",
                                   npz("outside.npz", x=IMAGES, y=LABELS, x_range=np.array([0, 1])), defect="3"),
    # --- a full disk while writing ----------------------------------------------------------------------------------
    "full-disk-while-training": Case((*TRAIN, "--out", "new_run"), "file too large", preexec=with_a_full_disk,
                                     defect="8"),
}


def previous_result(work: Path) -> None:
    """What a user already has in the folder: a result of an earlier command."""
    (work / "keep").mkdir()
    (work / "keep" / "results.csv").write_text("class,FID\n0,1.5\n")


def make_writable(work: Path) -> None:
    for path in work.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_a_hostile_input_is_refused_with_one_error_line_and_changes_nothing(hostile, case: Case, request):
    """Issue 18, defects 3, 7, 8 and 10 (the case's ``defect``): refused with exit 2, one ``error:`` line that names a
    fix, no traceback, and every file already in the work folder kept as it was."""
    previous_result(hostile.work)
    if case.setup is not None:
        case.setup(hostile.work)
    request.addfinalizer(lambda: make_writable(hostile.work))
    before = snapshot(hostile.work)
    result = hostile.run(*case.args, preexec_fn=case.preexec)
    line = Hostile.assert_refused(result, case.needle)
    for word in case.forbidden:
        assert word not in line.lower(), (word, line)
    after = snapshot(hostile.work)
    kept = {name: after.get(name) for name in before}
    assert kept == before, "a file already in the folder was changed or lost"
    if case.preexec is not with_a_full_disk:  # the full disk stops a run that has begun; the rest write nothing
        assert after == before, sorted(set(after) - set(before))


def test_there_are_enough_hostile_inputs():
    """Issue 18's done-when asks for at least 25 hostile inputs in this part."""
    assert len(CASES) >= 25
