"""Writing a notebook's results into its ``out_dir``: figures as PNG, tables as CSV and Markdown.

The main job (:mod:`bagan_lib.runtime.main_job`) collects exactly these files into
its index page, so a notebook shows a result and keeps it with one call.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{16}\.tmp$")  # what atomic_write names its temporaries
# The temporaries of earlier versions (tempfile.mkstemp): ".<name>.<8 random characters><name's suffix>".
_OLD_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}(?P<suffix>\.[A-Za-z0-9]+)$")


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
