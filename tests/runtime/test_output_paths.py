"""Where results go (issue 18, defect 8): an operating-system error while writing is a KitError that names the file
and the fix, and output paths that cannot work are refused before any work."""

from __future__ import annotations

import errno

import pytest

from bagan_lib.errors import KitError, os_error
from bagan_lib.runtime.outputs import atomic_write, atomic_write_text, check_output_file, check_output_folder


def test_a_write_error_names_the_file_and_the_fix_and_leaves_no_temporary_file(tmp_path):
    """Issue 18, defect 8: a full disk while writing ended in a traceback."""
    target = tmp_path / "table.csv"

    def full_disk(tmp):
        raise OSError(errno.ENOSPC, "No space left on device", tmp)

    with pytest.raises(KitError, match="Cannot write .*table.csv: No space left on device") as info:
        atomic_write(target, full_disk)
    assert "free disk space" in info.value.fix and isinstance(info.value, OSError)  # code catching OSError still does
    assert list(tmp_path.iterdir()) == []


def test_a_file_where_a_folder_belongs_is_a_kit_error(tmp_path):
    (tmp_path / "afile").write_text("kept")
    with pytest.raises(KitError, match="afile/out.json") as info:
        atomic_write_text(tmp_path / "afile" / "out.json", "{}")
    assert "folder" in info.value.fix and (tmp_path / "afile").read_text() == "kept"
    with pytest.raises(KitError, match="Is a directory"):
        atomic_write_text(tmp_path, "{}")


@pytest.mark.parametrize("name, fix", [("EFBIG", "ulimit -f"), ("EACCES", "you may write"), ("EROFS", "read-only"),
                                       ("ENOTDIR", "a file stands"), ("EIO", "check the path")])
def test_each_operating_system_error_gets_its_own_fix(name, fix):
    error = os_error(OSError(getattr(errno, name), "reason", "/x/y"), "write")
    assert str(error).startswith("Cannot write /x/y: reason.") and fix in error.fix


def test_output_folders_that_cannot_work_are_refused_before_any_work(tmp_path):
    (tmp_path / "afile").write_text("kept")
    assert check_output_folder(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()   # checking writes nothing
    for path, match in ((tmp_path / "afile", "is a file"), (tmp_path / "afile" / "run", "is a file, not a folder"),
                        ("", "is empty")):
        with pytest.raises(KitError, match=match):
            check_output_folder(path, "--out")


def test_output_files_that_cannot_work_are_refused_before_any_work(tmp_path):
    assert check_output_file(tmp_path / "rows.json") == tmp_path / "rows.json"
    with pytest.raises(KitError, match="is a folder"):
        check_output_file(tmp_path, "--json")
    with pytest.raises(KitError, match="is empty"):
        check_output_file("", "--json")
