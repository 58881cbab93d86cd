"""Writing a notebook's results into its ``out_dir``: figures as PNG, tables as CSV and Markdown.

The main job (:mod:`bagan_lib.runtime.main_job`) collects exactly these files into
its index page, so a notebook shows a result and keeps it with one call.

Every file the kit writes goes through :func:`atomic_write`; an operating-system
error there (disk full, file-size limit, no permission, a file where a folder
belongs) becomes a KitError naming the file and the fix. The command line checks
its output paths with :func:`check_output_folder` and :func:`check_output_file`
before any work, so a bad ``--out`` costs nothing.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
from pathlib import Path

from bagan_lib.errors import KitError, os_error

TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{16}\.tmp$")  # what atomic_write names its temporaries
# The temporaries of earlier versions (tempfile.mkstemp): ".<name>.<8 random characters><name's suffix>".
_OLD_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}(?P<suffix>\.[A-Za-z0-9]+)$")


def _errors_name_the_file(write_file):
    """An OSError while writing ``path`` becomes a KitError that names it (a KitError passes through)."""
    @functools.wraps(write_file)
    def wrapper(path, *args, **kwargs):
        try:
            return write_file(path, *args, **kwargs)
        except KitError:
            raise
        except OSError as exc:
            raise os_error(exc, "write", path) from exc
    return wrapper


@_errors_name_the_file
def atomic_write(path: Path, write) -> Path:
    """Write through a temporary file and rename, so a crash never leaves half a file.

    ``write(tmp)`` writes the whole file at the path ``tmp``. The temporary is
    ``.<name>.<random>.tmp`` in the same folder: no pattern that looks for the
    real files (``*.png``, ``*.npz``) matches it, and :func:`remove_temporaries`
    finds the ones a killed process left. It is created with mode 0666 minus the
    user's umask, like any file the user writes, and flushed to disk before the
    rename, so even a power loss leaves the old file or the new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # the umask applies
            break
        except FileExistsError:
            continue
    try:
        write(str(tmp))
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def remove_temporaries(folder) -> list[Path]:
    """Delete the temporaries of interrupted atomic writes directly in ``folder``; returns them.

    Only safe while no other process writes into ``folder`` (hold its
    :func:`~bagan_lib.runtime.folder_lock.folder_lock`).
    """
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        old = _OLD_TEMPORARY.match(path.name)
        if path.is_file() and (TEMPORARY.match(path.name) or (old and Path(old["name"]).suffix == old["suffix"])):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def save_figure(fig, out_dir, name: str, *, dpi: int = 110) -> Path:
    """Save a matplotlib figure as ``out_dir/name.png``."""
    return atomic_write(Path(out_dir) / f"{name}.png",
                         lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png"))


def save_table(table, out_dir, name: str) -> Path:
    """Save a pandas DataFrame as ``out_dir/name.csv`` and ``name.md``; returns the CSV path."""
    out = Path(out_dir)
    atomic_write(out / f"{name}.md", lambda tmp: Path(tmp).write_text(table.to_markdown(index=False) + "\n"))
    return atomic_write(out / f"{name}.csv", lambda tmp: table.to_csv(tmp, index=False))


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text))


def _writable_ancestor(path: Path, what: str) -> None:
    """The nearest existing folder on the way to ``path`` must be a folder this process may write into."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise KitError(f"{what} {path}: {existing} is a file, not a folder.",
                       f"choose a {what} path whose folders are folders (or move {existing} away).")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise KitError(f"{what} {path}: the folder {existing} is not writable.",
                       f"choose a {what} in a folder you may write to (or fix its permissions).")


def check_output_folder(path, what: str = "--out") -> Path:
    """Refuse, before any work, a path that cannot become an output folder: empty, an existing file, a file on
    the way, or under a folder this process may not write to. Returns the path."""
    if path is None or not str(path):
        raise KitError(f"{what} is empty.", f"name a folder, e.g. {what} results.")
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise KitError(f"{what} {folder} is a file, not a folder.", f"pass a folder as {what} (or move the file).")
    _writable_ancestor(folder, what)
    return folder


def check_output_file(path, what: str = "--json") -> Path:
    """Like :func:`check_output_folder` for a file to be written: not empty, not an existing folder, in a folder
    that is (or can be made) writable. Returns the path."""
    if path is None or not str(path):
        raise KitError(f"{what} is empty.", f"name a file, e.g. {what} results.json.")
    file = Path(path).expanduser()
    if file.is_dir():
        raise KitError(f"{what} {file} is a folder, not a file.", f"name a file, e.g. {what} {file / 'out.json'}.")
    _writable_ancestor(file.parent, what)
    return file
