"""Errors the kit raises on purpose.

Every error names the problem *and* the fix, so a learner reading a notebook
traceback, or a researcher reading one `error:` line from the command line,
knows what to do next. The command line turns any :class:`KitError` into exit
status 2 and a single line on stderr; :func:`os_error` turns an operating-system
error (disk full, no permission, a file where a folder belongs) into one.
"""

from __future__ import annotations

import errno


class KitError(ValueError):
    """A problem with the user's input or environment, with a suggested fix."""

    def __init__(self, problem: str, fix: str | None = None):
        self.problem = problem
        self.fix = fix
        super().__init__(problem if fix is None else f"{problem} Fix: {fix}")


class DatasetNotFoundError(KitError, FileNotFoundError):
    """A dataset's files are in none of the places the kit looks."""


class ChecksumError(KitError):
    """A file exists but its bytes are not the official ones."""


class FileSystemError(KitError, OSError):
    """An operating-system error (disk full, no permission, ...) that names the file and the fix; still an OSError
    for code that catches those. Made by :func:`os_error`."""


# What to do about an operating-system error, by errno name (the rest: check the path).
_OS_FIXES = {
    "ENOSPC": "free disk space (or choose a folder on another disk) and run the command again.",
    "EFBIG": "the file exceeds the file-size limit: raise it (ulimit -f unlimited) or free disk space, and run "
             "the command again.",
    "EDQUOT": "your disk quota is full: free space in it and run the command again.",
    "EACCES": "choose a path you may {doing} (or fix its permissions).",
    "EPERM": "choose a path you may {doing} (or fix its permissions).",
    "EROFS": "the disk is read-only: choose a folder on a writable disk.",
    "ENOTDIR": "a file stands where a folder is expected: choose another path or move the file.",
    "EISDIR": "a folder stands where a file is expected: name a file, not a folder.",
    "EEXIST": "a file stands where a folder is expected: choose another path or move the file.",
    "ENAMETOOLONG": "choose a shorter path.",
    "ENOENT": "check the path (the file or a folder on the way does not exist).",
}


def os_error(exc: OSError, doing: str, path=None) -> FileSystemError:
    """An operating-system error (disk full, permission, a file where a folder belongs) as a KitError that names
    the file (``path``, else the error's) and what to do; ``doing`` says what failed: ``"write"``, ``"read"``."""
    where = path if path is not None else exc.filename if exc.filename is not None else "a file"
    reason = exc.strerror or str(exc)
    fix = _OS_FIXES.get(errno.errorcode.get(exc.errno, ""), "check the path and the disk, then run the command again.")
    return FileSystemError(f"Cannot {doing} {where}: {reason}.", fix.format(doing=doing))
class Interrupted(KeyboardInterrupt):
    """A command stopped by Ctrl-C (SIGINT) or SIGTERM, with what was kept and how to continue.

    A ``KeyboardInterrupt``, so every ``finally`` and ``except KeyboardInterrupt``
    runs as for Ctrl-C; the command line prints ``problem`` and ``fix`` on one
    ``error:`` line and exits with ``status`` (130 for SIGINT, 143 for SIGTERM, as a shell reports them).
    """

    def __init__(self, problem: str = "interrupted.", fix: str = "run the command again.", status: int = 130):
        self.problem, self.fix, self.status = problem, fix, status
        super().__init__(f"{problem} Fix: {fix}")

    @classmethod
    def wrap(cls, exc: KeyboardInterrupt, problem: str, fix: str) -> "Interrupted":
        """The interruption ``exc`` (Ctrl-C or an earlier :class:`Interrupted`) with a better message."""
        return cls(problem, fix, status=getattr(exc, "status", 130))
