"""One writer per folder: an exclusive lock held for a command's life (``train``, ``run``, ``evaluate --out``, a sweep
cache entry).

::

    with folder_lock("runs/v3", "train"):
        ...   # nobody else writes into runs/v3 meanwhile

The lock is ``fcntl.flock`` on a file in the folder (``.lock``) that records the
holder: pid, host, command and start time. A second command on the same folder
gets a :class:`FolderLockedError` naming that pid at once (or, with ``wait=True``,
waits for it: a sweep cache entry another process is computing is then read,
not computed twice). The kernel releases ``flock`` when a process dies, however
it dies, so a lock can never outlive its holder; what a ``kill -9`` leaves is
only the file, recognised as stale by the next holder and reported in one note.
The lock is released, and its file removed, on every exit of the ``with`` block:
return, exception, Ctrl-C or SIGTERM (the command line turns SIGTERM into an
exception). A folder the lock had to create is removed again when nothing was
written into it, so a command refused by a later check leaves no trace.

Locks are re-entrant within a thread (a notebook may call ``train_model`` from
code that already holds the folder); other threads contend like other processes. Locks on network file systems without
``flock`` are skipped with a note instead of failing the run.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from bagan_lib.errors import KitError

LOCK_NAME = ".lock"
_HELD: dict[tuple, int] = {}  # (thread, lock file) held -> nesting depth


class FolderLockedError(KitError):
    """Another live process holds the folder's lock (``holder``: what its lock file records)."""

    def __init__(self, problem: str, fix: str, holder: dict):
        super().__init__(problem, fix)
        self.holder = holder


def read_holder(lock_file) -> dict:
    """What a lock file records (pid, host, command, since); ``{}`` for an empty or unreadable one."""
    try:
        return json.loads(Path(lock_file).read_text() or "{}")
    except (OSError, ValueError):
        return {}


def describe(holder: dict) -> str:
    """``pid 1234 on host h (python -m bagan_lib train ...), since 2026-12-07 16:40:36``."""
    if not holder:
        return "another process"
    return (f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')} ({holder.get('command', '?')}), "
            f"since {holder.get('since', '?')}")


def _me(command: str) -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
            "since": datetime.now().strftime("%Y-%m-%d %H:%M:%S")}


def _command() -> str:
    argv = [Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", *sys.argv[1:]]
    return " ".join(argv)[:300]


def _open_locked(lock_file: Path, wait: bool, on_wait) -> int | None:
    """An fd holding ``flock`` on ``lock_file``; None when the file system has no flock. Raises BlockingIOError."""
    waited = False
    while True:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                os.close(fd)
                raise
            if not waited:
                on_wait(read_holder(lock_file))
                waited = True
            os.close(fd)
            time.sleep(0.5)
            continue
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                return None
            raise
        # The holder before us may have removed the file between our open and our flock: then we hold a lock on
        # a file nobody else can see, and must try again on the one at the path.
        try:
            same = os.fstat(fd).st_ino == os.stat(lock_file).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextmanager
def folder_lock(folder, command: str | None = None, *, wait: bool = False, name: str = LOCK_NAME, say=None):
    """Hold the exclusive lock of ``folder`` (created if missing) for the ``with`` block; see the module docstring.

    ``command``: what the lock file records as the holder (default: this
    process's command line). ``wait``: wait for a live holder instead of
    refusing. ``name``: the lock file's name (one folder may hold several locks,
    e.g. one per sweep cache entry). ``say``: where notes go (default: stderr).
    """
    say = say or (lambda message: print(message, file=sys.stderr, flush=True))
    folder = Path(folder)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KitError(f"Cannot create the folder {folder} ({exc.strerror or exc}).",
                       "choose a folder you can write to (not a file, not read-only).") from exc
    lock_file = folder / name
    key = (threading.get_ident(), str(lock_file.resolve()))  # other threads contend like other processes
    if key in _HELD:  # this thread holds it already
        _HELD[key] += 1
        try:
            yield lock_file
        finally:
            _HELD[key] -= 1
        return
    command = command or _command()
    try:
        fd = _open_locked(lock_file, wait, lambda holder: say(f"note: {folder} is in use by {describe(holder)}; "
                                                              "waiting for it to finish"))
    except BlockingIOError:
        holder = read_holder(lock_file)
        pid = holder.get("pid")
        raise FolderLockedError(f"{folder} is in use by {describe(holder)}; two commands writing into one folder "
                                "would mix their files.",
                                f"wait until it finishes{f' or stop it (kill {pid})' if pid else ''}, or choose "
                                "another folder.", holder) from None
    except OSError as exc:
        _remove_if_empty(folder, created)
        raise KitError(f"Cannot lock the folder {folder} ({exc.strerror or exc}).",
                       "choose a folder you can write to (not read-only).") from exc
    if fd is None:
        say(f"note: the file system of {folder} has no file locks; not locking it")
        try:
            yield lock_file
        finally:
            _remove_if_empty(folder, created)
        return
    try:
        stale = read_holder(lock_file)
        if stale:  # we got the lock, so its last holder is gone: it died without cleaning up (kill -9, power loss)
            say(f"note: {lock_file} was left by {describe(stale)}, which is no longer running; taking it over")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(_me(command)).encode(), 0)
        _HELD[key] = 1
        yield lock_file
    finally:
        _HELD.pop(key, None)
        try:
            lock_file.unlink(missing_ok=True)  # still holding the lock: nobody can take it in between
        finally:
            os.close(fd)
        _remove_if_empty(folder, created)


def _remove_if_empty(folder: Path, created: bool) -> None:
    """Remove a folder this lock created when nothing was written into it."""
    if created:
        try:
            folder.rmdir()
        except OSError:
            pass
