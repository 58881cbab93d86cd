"""Errors the kit raises on purpose.

Every error names the problem *and* the fix, so a learner reading a notebook
traceback, or a researcher reading one `error:` line from the command line,
knows what to do next. The command line turns any :class:`KitError` into exit
status 2 and a single line on stderr.
"""

from __future__ import annotations


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
