"""Writing a notebook's results into its ``out_dir``: figures as PNG, tables as CSV and Markdown.

The main job (:mod:`bagan_lib.runtime.main_job`) collects exactly these files into
its index page, so a notebook shows a result and keeps it with one call.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, write) -> Path:
    """Write through a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


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
