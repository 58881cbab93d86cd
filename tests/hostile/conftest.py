"""The harness of the hostile-input and fault tests (issue 18).

Every case drives the command line as a careless or hostile user would, in a
subprocess, and checks the same promise: exit status 2 (130 or 143 for signals),
exactly one ``error:`` line on stderr that names a fix, no traceback, and
nothing that was already in the folder changed or lost.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SIGNAL_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


def cli_env(home: Path, env_extra: dict | None = None) -> dict:
    """Offline, with an empty home and no ``BAGAN_*`` settings of the caller, so nothing outside is read."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAGAN_")}
    env.update(HOME=str(home), KERAS_HOME=str(home / ".keras"), BAGAN_OFFLINE="1",
               TF_CPP_MIN_LOG_LEVEL="2", **(env_extra or {}))
    return env


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file under ``folder``: (size, sha256, mode). Equal snapshots mean nothing was changed or lost."""
    files = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and ".home" not in path.parts:
            files[str(path.relative_to(folder))] = (path.stat().st_size,
                                                    hashlib.sha256(path.read_bytes()).hexdigest(),
                                                    path.stat().st_mode & 0o777)
    return files


@dataclass
class Hostile:
    """Runs ``python -m bagan_lib`` in ``work`` and checks the refusal promise."""

    work: Path

    def run(self, *args, env_extra: dict | None = None, timeout: float = 300,
            preexec_fn=None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bagan_lib", *map(str, args)], cwd=self.work,
                              env=cli_env(self.work / ".home", env_extra), capture_output=True, text=True,
                              timeout=timeout, preexec_fn=preexec_fn)

    def start(self, *args, env_extra: dict | None = None) -> subprocess.Popen:
        """A command in the background (for signals and concurrent writers); the caller ends it."""
        return subprocess.Popen([sys.executable, "-m", "bagan_lib", *map(str, args)], cwd=self.work,
                                env=cli_env(self.work / ".home", env_extra), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    @staticmethod
    def wait_for(predicate, timeout: float = 120, every: float = 0.2) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            time.sleep(every)

    @staticmethod
    def assert_refused(result, needle: str | None = None, status: int = 2) -> str:
        """One ``error:`` line that names a fix, no traceback, the expected exit status; returns the line."""
        stderr = result.stderr if isinstance(result.stderr, str) else result.stderr.decode()
        assert result.returncode == status, (result.returncode, stderr[-2000:])
        assert "Traceback" not in stderr, stderr[-2000:]
        errors = [line for line in stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, stderr[-2000:]
        line = errors[0]
        assert "Fix:" in line, line
        if needle is not None:
            assert needle.lower() in line.lower(), (needle, line)
        return line


@pytest.fixture
def hostile(tmp_path) -> Hostile:
    work = tmp_path / "work"
    work.mkdir()
    return Hostile(work)
