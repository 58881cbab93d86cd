"""``MultiWorkerMirroredStrategy`` with a real engine: two ``train`` processes on 127.0.0.1, against one process.

Two workers (``TF_CONFIG``: a cluster of two on free localhost ports picked
here) run ``python -m bagan_lib train --distribute multiworker`` at the smoke
profile; one process runs the same command without it. Each worker reads half
of every global batch of 32, trains its replica, and the gradients are summed
over the workers by TensorFlow's collective all-reduce (gRPC between the two
processes).

**What may differ, and by how much.** Everything the two runs compute is the
same mathematics: the same global batches (each worker reads its contiguous
half), the same random draws (each replica draws the global batch's numbers
and keeps its rows: the GAN's noise, labels and penalty points, the CVAE's
reparameterisation noise), the global batch's statistics in the decoder's
batch normalisation (synchronized), the replicas' losses scaled by 1/2 before
their gradients are summed. What differs is the order of floating-point sums:
the all-reduce adds the two halves' gradients where one process sums the whole
batch's, and the synchronized moments come from E[x^2] - E[x]^2 over the
halves. The tolerance is tests/training/run_comparison.py's: every variable
within a tenth of an Adam step (2e-5), except the biases whose exact gradient
is zero (Adam turns their rounding noise into +-lr steps: 2 lr per update), the
loss terms within 1e-4 relative, the grids within one grey level. Measured,
after the pre-training and two GAN steps: variables 1.6e-7 (v3) and 1.1e-6
(CAPGAN), the zero-gradient biases 4.3e-4 and 7.7e-4 (bound 1.6e-3), loss terms
8.6e-8 relative, grids 1 and 0 grey levels; killed at step 3 and resumed to 8:
1.6e-7, 4.3e-4 (bound 4.0e-3), 1.7e-7, 1 (:data:`MEASURED`, printed with ``-s``).

**Killed and resumed.** The two workers are then started again with
``--resume --epochs 4``, killed (SIGKILL, both) once the chief's checkpoint has
passed step 2 and before step 8, and started again with the same command: they
resume from the chief's checkpoint and finish; the result is compared, with
the same tolerance, with one process that trained the 4 epochs without
interruption. A non-chief worker writes nothing into ``--out``.

Bounded: every phase has a deadline (:data:`PHASE_SECONDS`), and every process
started here is killed, with its process group, when the test leaves, also on
failure. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from bagan_lib.runtime.checkpoints import read_meta
from run_comparison import compare_runs

pytestmark = pytest.mark.slow  # four phases of two TensorFlow processes: minutes, not seconds

PHASE_SECONDS = 420          # one phase (both workers' TensorFlow start, pre-training, the GAN steps) at most
MEASURED = {}                # filled by the tests, printed at the end (pytest -s)
SCRATCH_BEFORE = set(Path(tempfile.gettempdir()).glob("bagan-worker-*"))  # non-chief workers' scratch folders
ARGS = ("--profile", "smoke", "--seed", "5", "--steps-per-epoch", "2")


def free_ports(n: int) -> list[int]:
    """``n`` distinct free TCP ports on 127.0.0.1 (bound together, then released for the workers)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def environment(cwd: Path, tf_config: dict | None = None) -> dict:
    """The command line's environment as tests/test_cli.py makes it (offline, an empty home), with TF_CONFIG."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAGAN_") and k != "TF_CONFIG"}
    env.update(HOME=str(cwd / ".home"), KERAS_HOME=str(cwd / ".home" / ".keras"), BAGAN_OFFLINE="1",
               TF_CPP_MIN_LOG_LEVEL="2")
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return env


class Processes:
    """Processes started in their own process groups; all of them killed when the block is left."""

    def __init__(self):
        self.running: list[subprocess.Popen] = []

    def __enter__(self):
        return self

    def start(self, args, cwd: Path, env: dict, log: Path) -> subprocess.Popen:
        handle = open(log, "w")
        process = subprocess.Popen([sys.executable, "-m", "bagan_lib", *map(str, args)], cwd=cwd, env=env,
                                   stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        process.log = log
        handle.close()
        self.running.append(process)
        return process

    def kill(self) -> None:
        for process in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        for process in self.running:
            process.wait(timeout=30)

    def __exit__(self, *exc):
        self.kill()


def wait_all(processes, deadline: float, until=None) -> None:
    """Wait for every process to end (or ``until()`` to hold), failing at ``deadline`` with their logs' tails."""
    while any(p.poll() is None for p in processes):
        if until is not None and until():
            return
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.log.name}\n{p.log.read_text()[-1500:]}" for p in processes)
            pytest.fail(f"the processes did not end within {PHASE_SECONDS} s:\n{tails}")
        time.sleep(0.05)
    for p in processes:
        assert p.returncode == 0, f"{p.log.name} exited {p.returncode}:\n{p.log.read_text()[-3000:]}"


def cluster(processes: Processes, args, cwd: Path, label: str, until=None) -> list:
    """Two ``train --distribute multiworker`` workers of one cluster; waits for them (or ``until``)."""
    ports = free_ports(2)
    workers = [f"127.0.0.1:{port}" for port in ports]
    started = [processes.start([*args, "--distribute", "multiworker"], cwd,
                               environment(cwd, {"cluster": {"worker": workers},
                                                 "task": {"type": "worker", "index": i}}),
                               cwd / f"{label}-worker{i}.log") for i in range(2)]
    wait_all(started, time.monotonic() + PHASE_SECONDS, until)
    return started


def one_process(processes: Processes, args, cwd: Path, label: str):
    started = processes.start(args, cwd, environment(cwd), cwd / f"{label}.log")
    wait_all([started], time.monotonic() + PHASE_SECONDS)
    return started


def compare(distributed: Path, single: Path, label: str) -> None:
    """The two runs within tests/training/run_comparison.py's tolerance; the chief's files complete."""
    metrics = [json.loads((folder / "metrics.json").read_text()) for folder in (distributed, single)]
    assert metrics[0]["settings"]["distribute"] == "multiworker" and metrics[1]["settings"]["distribute"] == "none"
    assert read_meta(distributed / "checkpoints" / "gan.npz")["global_step"] == \
        read_meta(single / "checkpoints" / "gan.npz")["global_step"]
    MEASURED[label] = compare_runs(distributed, single)
    for name in ("loss_curves.png", "config.json", "checkpoints/autoencoder.npz", "grids/training.gif"):
        assert (distributed / name).is_file(), name


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two GAN steps (one smoke epoch) of v3 and CAPGAN: by two workers, and by one process."""
    root = tmp_path_factory.mktemp("multiworker")
    with Processes() as processes:
        for model in ("bagan_gp_v3", "capgan"):
            args = ["train", "--model", model, *ARGS, "--epochs", 1]
            workers = cluster(processes, [*args, "--out", f"{model}-mw"], root, f"{model}-mw")
            one_process(processes, [*args, "--out", f"{model}-one"], root, f"{model}-one")
            logs = [w.log.read_text() for w in workers]
            assert f"{model} epoch 1/1:" in logs[0] and "epoch 1/1" not in logs[1]  # the chief reports alone
    return root


@pytest.mark.parametrize("model", ["bagan_gp_v3", "capgan"])
def test_two_workers_train_two_steps_like_one_process(runs, model):
    compare(runs / f"{model}-mw", runs / f"{model}-one", f"{model}, 2 steps")
    # only the chief's folder exists: the non-chief worker wrote into a scratch folder, now removed
    assert sorted(p.name for p in runs.iterdir() if p.is_dir() and p.name.startswith(model)) == \
        [f"{model}-mw", f"{model}-one"]
    assert not set(Path(tempfile.gettempdir()).glob("bagan-worker-*")) - SCRATCH_BEFORE


def test_killed_workers_resume_from_the_chiefs_checkpoint(runs):
    model, out = "bagan_gp_v3", runs / "bagan_gp_v3-mw"
    gan = out / "checkpoints" / "gan.npz"
    args = ["train", "--model", model, *ARGS, "--out", out.name, "--resume", "--epochs", 4, "--checkpoint-every", 1]

    def past_step_2() -> bool:
        try:
            return read_meta(gan)["global_step"] > 2
        except Exception:  # noqa: BLE001  (the file is being replaced: try again)
            return False

    with Processes() as processes:
        cluster(processes, args, runs, "resume-killed", until=past_step_2)
        processes.kill()  # both workers, mid-run, without warning
    for scratch in set(Path(tempfile.gettempdir()).glob("bagan-worker-*")) - SCRATCH_BEFORE:
        shutil.rmtree(scratch)  # the killed non-chief worker's scratch folder: SIGKILL leaves it behind
    killed_at = read_meta(gan)["global_step"]
    assert 2 < killed_at < 8, killed_at  # interrupted after the first resumed step and before the end
    with Processes() as processes:
        workers = cluster(processes, args, runs, "resume-finish")
        assert f"after step {killed_at}" in workers[0].log.read_text()
        single = runs / f"{model}-one"
        one_process(processes, ["train", "--model", model, *ARGS, "--out", single.name, "--resume", "--epochs", 4],
                    runs, "resume-one")
    compare(out, single, f"{model}, killed at step {killed_at} and resumed to 8")
    print("\nmulti-worker against one process:", json.dumps(MEASURED, indent=1))
