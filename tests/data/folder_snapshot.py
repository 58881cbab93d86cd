"""What a folder holds, to prove a failed load wrote nothing (shared by the data tests)."""

from __future__ import annotations

from pathlib import Path


def snapshot(root: Path) -> list[tuple[str, int]]:
    """Every path under ``root`` with its size, to prove nothing was written."""
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size if p.is_file() else -1) for p in root.rglob("*")
    )
