"""The folder lock: one writer per folder, released on every exit, stale lock files of dead processes reported."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from bagan_lib.runtime.folder_lock import LOCK_NAME, FolderLockedError, folder_lock, read_holder

REPO = Path(__file__).resolve().parents[2]

HOLD = textwrap.dedent("""
    import sys, time
    from bagan_lib.runtime.folder_lock import folder_lock
    with folder_lock(sys.argv[1], "holder for the test"):
        print("locked", flush=True)
        sys.stdin.readline()  # until the test lets go
""")


def _holder(folder: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_folder_held_by_a_live_process_is_refused_naming_its_pid_and_free_once_it_ends(tmp_path):
    """Issue 18, defect 1: a second writer into a run folder is refused at once, naming the holder and the fix."""
    folder = tmp_path / "run"
    holder = _holder(folder)
    try:
        assert read_holder(folder / LOCK_NAME)["pid"] == holder.pid
        with pytest.raises(FolderLockedError, match=rf"in use by pid {holder.pid} .*holder for the test") as caught:
            with folder_lock(folder, "second"):
                pass
        assert f"kill {holder.pid}" in caught.value.fix and caught.value.holder["pid"] == holder.pid
    finally:
        holder.communicate("\n", timeout=30)
    assert not (folder / LOCK_NAME).exists()  # the holder removed its lock file on the way out
    with folder_lock(folder, "second"):
        assert read_holder(folder / LOCK_NAME)["command"] == "second"


def test_the_lock_is_released_and_its_file_removed_on_an_exception(tmp_path):
    """Issue 18, defect 1: any exit of the block releases the lock."""
    with pytest.raises(RuntimeError):
        with folder_lock(tmp_path, "first"):
            assert (tmp_path / LOCK_NAME).is_file()
            raise RuntimeError("boom")
    assert not (tmp_path / LOCK_NAME).exists()
    with folder_lock(tmp_path, "again"):
        pass


def test_a_stale_lock_file_of_a_dead_process_is_reported_and_taken_over(tmp_path):
    """Issue 18, defect 1: kill -9 leaves the file but not the lock (the kernel releases flock); say so in a note."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": int(dead.stdout), "host": "h", "command": "train ...",
                                                  "since": "yesterday"}))
    notes = []
    with folder_lock(tmp_path, "mine", say=notes.append):
        assert read_holder(tmp_path / LOCK_NAME)["command"] == "mine"
    assert len(notes) == 1 and f"pid {int(dead.stdout)}" in notes[0] and "no longer running" in notes[0]
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_folder_the_lock_created_is_removed_when_nothing_was_written(tmp_path):
    """Issue 18, defect 1: a command refused by a later check leaves no folder behind."""
    with pytest.raises(ValueError):
        with folder_lock(tmp_path / "new", "x"):
            raise ValueError("refused")
    assert not (tmp_path / "new").exists()
    with folder_lock(tmp_path / "kept", "x"):
        (tmp_path / "kept" / "file").write_text("1")
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["file"]


def test_the_lock_is_reentrant_in_one_process_and_a_file_is_no_folder(tmp_path):
    with folder_lock(tmp_path, "outer"):
        with folder_lock(tmp_path, "inner"):
            assert read_holder(tmp_path / LOCK_NAME)["command"] == "outer"
        assert (tmp_path / LOCK_NAME).is_file()
    (tmp_path / "file").write_text("x")
    with pytest.raises(Exception, match="Cannot create the folder"):
        with folder_lock(tmp_path / "file", "x"):
            pass


def test_wait_waits_for_the_holder_then_takes_the_lock(tmp_path):
    """Issue 18, defect 1 (sweep caches): a second process with the same cache entry waits instead of computing."""
    holder = _holder(tmp_path)
    notes, got = [], []

    def second():
        with folder_lock(tmp_path, "waiter", wait=True, say=notes.append):
            got.append(time.monotonic())

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(1.0)
    assert not got and notes and "waiting" in notes[0]
    released = time.monotonic()
    holder.communicate("\n", timeout=30)
    thread.join(timeout=30)
    assert got and got[0] >= released
