"""JupyterLab + headless Chromium for tests/toy/test_browser_sliders.py.

:class:`LabServer` starts JupyterLab on a free localhost port with a random token,
in its own process group, with its config, data, runtime, settings and workspace
folders inside the test's temporary folder, and with ``window.jupyterapp``
exposed so the test can run notebook commands. :meth:`LabServer.stop` shuts the
kernels and the server down and kills whatever is left (the kernels run in
process groups of their own, so the server's group is not enough); it raises if
a process survives.

:func:`launch_chromium` starts Debian's Chromium (``/usr/bin/chromium``):
Playwright's own browser download does not work on this machine.

Every wait here has a timeout.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("BAGAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic"]
ARTIFACTS = Path(os.environ.get("BAGAN_BROWSER_ARTIFACTS", Path(__file__).resolve().parent / "artifacts"))

# JupyterLab's news and update checks: off, so no notification asks for network access
_NOTIFICATION_SETTINGS = {"checkForUpdates": False, "fetchNews": "false"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.25):
    """Call ``predicate`` until it returns something truthy; raise TimeoutError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


class LabServer:
    """A JupyterLab server serving ``root_dir``; use as a context manager or call start() / stop()."""

    def __init__(self, root_dir: Path, home: Path, env: dict | None = None):
        self.root_dir = Path(root_dir)
        self.home = Path(home)
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen | None = None
        self._log = None
        self.log_path = self.home / "jupyterlab.log"
        self._seen: dict = {}          # pid -> psutil.Process: every kernel and child seen

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}?token={self.token}"

    def api(self, path: str, method: str = "GET", timeout: float = 10.0):
        request = urllib.request.Request(f"{self.base_url}/api/{path.lstrip('/')}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def _environment(self) -> dict:
        dirs = {name: self.home / name for name in ("config", "data", "runtime", "settings", "workspaces", "ipython")}
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        notification = dirs["settings"] / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notification.parent.mkdir(parents=True, exist_ok=True)
        notification.write_text(json.dumps(_NOTIFICATION_SETTINGS))
        env = dict(os.environ)
        env.update({"JUPYTER_CONFIG_DIR": str(dirs["config"]), "JUPYTER_DATA_DIR": str(dirs["data"]),
                    "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]), "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
                    "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]), "IPYTHONDIR": str(dirs["ipython"]),
                    "JUPYTER_PLATFORM_DIRS": "1", "PYTHONUNBUFFERED": "1"})
        env.pop("JUPYTER_TOKEN", None)
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 90.0) -> "LabServer":
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root_dir}",
               "--ServerApp.open_browser=False", "--LabApp.expose_app_in_browser=True",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False",
               "--ServerApp.allow_root=True"]
        env = self._environment()
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root_dir, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                return self.api("status", timeout=2.0) is not None
            except (urllib.error.URLError, ConnectionError, OSError):
                return False

        wait_until(up, timeout, "JupyterLab to answer on /api/status")
        return self

    def remember_processes(self) -> None:
        """Note the server's kernels and their children, so stop() can make sure they are gone."""
        if self.proc is not None:
            for p in _descendants(self.proc.pid):
                self._seen.setdefault(p.pid, p)

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self, timeout: float = 20.0) -> None:
        """Shut kernels and server down (politely, then SIGTERM, then SIGKILL); raise if a process survives."""
        import psutil

        if self.proc is None:
            return
        self.remember_processes()
        if self.proc.poll() is None:
            try:
                for kernel in self.api("kernels", timeout=5.0) or []:
                    self.api(f"kernels/{kernel['id']}", method="DELETE", timeout=10.0)
            except Exception:      # the server may be broken: the signals below still end it
                pass
            self.remember_processes()
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        for group_leader in [self.proc.pid] + list(self._seen):
            try:
                os.killpg(group_leader, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for p in self._seen.values():
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        _, alive = psutil.wait_procs(list(self._seen.values()), timeout=timeout)
        if self._log is not None:
            self._log.close()
        left = [p.pid for p in alive] + ([self.proc.pid] if self.proc.poll() is None else [])
        if left:
            raise RuntimeError(f"processes left behind after stopping JupyterLab: {left}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def launch_chromium(playwright, timeout_ms: int = 60_000):
    if not os.access(CHROMIUM, os.X_OK):
        raise FileNotFoundError(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium "
                                "(apt-get install -y chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                      timeout=timeout_ms)


def pixel_difference(png_a: bytes, png_b: bytes, skip_top: float = 0.0) -> float:
    """Share of pixels that differ (by more than 8 of 255 in a channel) between two PNGs.

    Images of different sizes are compared on a white canvas of the larger size, top left aligned.
    ``skip_top``: leave out this fraction of the rows at the top (a figure's title).
    """
    import numpy as np
    from PIL import Image

    a, b = (np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16) for png in (png_a, png_b))
    height, width = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    canvases = []
    for image in (a, b):
        canvas = np.full((height, width, 3), 255, dtype=np.int16)
        canvas[:image.shape[0], :image.shape[1]] = image
        canvases.append(canvas)
    first = int(round(skip_top * height))
    return float(np.mean(np.abs(canvases[0][first:] - canvases[1][first:]).max(axis=-1) > 8))


def copy_artifacts(folder: Path, name: str) -> Path:
    """Copy the screenshots in ``folder`` to ``ARTIFACTS/name`` (replacing an earlier run's)."""
    target = ARTIFACTS / name
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(folder, target)
    return target
