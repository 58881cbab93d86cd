"""The setup helper, each case in a fresh interpreter (TensorFlow reads its settings once, at import)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap


def run_python(code: str, **env_extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BAGAN_", "TF_CPP", "TF_ENABLE_ONEDNN"))}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True,
                          text=True, timeout=180)


START_AND_DRAW = """
    import json, os, sys
    from bagan_lib import notebook_setup
    assert "tensorflow" not in sys.modules  # importing the kit must not import TensorFlow
    kit = notebook_setup.start({args})
    import keras, numpy as np, tensorflow as tf
    print("RESULT", json.dumps({{
        "profile": kit.profile.name, "image_size": kit.profile.image_size,
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS"), "log": os.environ.get("TF_CPP_MIN_LOG_LEVEL"),
        "np": float(np.random.rand()), "tf": float(tf.random.uniform(())),
        "keras": float(keras.random.normal((), seed=keras.random.SeedGenerator(1))),
        "policy": keras.mixed_precision.global_policy().name}}))
"""


def result_of(proc) -> dict:
    assert proc.returncode == 0, proc.stderr
    line = next(l for l in proc.stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def test_start_configures_seeds_and_reports(tmp_path):
    code = START_AND_DRAW.format(args=f"'smoke', seed=3, out_dir={str(tmp_path / 'o')!r}, image_size=64")
    first, second = run_python(code), run_python(code)
    a, b = result_of(first), result_of(second)
    assert a == b, "same seed, same random numbers on CPU"
    assert (a["profile"], a["image_size"], a["onednn"], a["log"]) == ("smoke", 64, "1", "3")
    assert "profile   smoke" in first.stdout and "device    CPU" in first.stdout
    assert "oneDNN custom operations" not in first.stderr, "TensorFlow's import banner leaks into notebooks"
    assert (tmp_path / "o").is_dir()
    other = result_of(run_python(START_AND_DRAW.format(args="'smoke', seed=4")))
    assert other["np"] != a["np"] and other["tf"] != a["tf"]


def test_environment_chooses_profile_and_user_settings_are_kept():
    proc = run_python(START_AND_DRAW.format(args="mixed_precision=True"),
                      BAGAN_PROFILE="smoke", TF_ENABLE_ONEDNN_OPTS="0")
    r = result_of(proc)
    assert r["profile"] == "smoke" and r["onednn"] == "0"
    assert r["policy"] == "float32" and "mixed_precision=True ignored" in proc.stdout


def test_warns_when_tensorflow_came_first():
    proc = run_python("""
        import tensorflow
        from bagan_lib import notebook_setup
        notebook_setup.start("smoke")
    """)
    assert proc.returncode == 0, proc.stderr
    assert "TensorFlow was imported before" in proc.stdout


def test_bad_profile_fails_before_importing_tensorflow():
    proc = run_python("""
        import sys
        from bagan_lib import notebook_setup
        from bagan_lib.errors import KitError
        try:
            notebook_setup.start("huge")
        except KitError as e:
            print("KitError", e, "tensorflow" in sys.modules)
    """)
    assert "KitError Unknown profile 'huge'" in proc.stdout and proc.stdout.strip().endswith("False")


def test_precision_and_two_cpu_devices_for_mirrored_become_the_sessions():
    """``precision`` sets the Keras policy and the session's default for train_model; ``distribute="mirrored"``
    splits a CPU without GPUs in two before TensorFlow starts; a bad value fails before TensorFlow is imported."""
    code = START_AND_DRAW.replace('"policy":', '"devices": len(tf.config.list_logical_devices("CPU")), '
                                  '"session": [os.environ.get("BAGAN_PRECISION"), os.environ.get("BAGAN_DISTRIBUTE")],'
                                  ' "policy":')
    proc = run_python(code.format(args="'smoke', precision='mixed_bfloat16', distribute='mirrored'"))
    r = result_of(proc)
    assert r["policy"] == "mixed_bfloat16" and r["devices"] == 2
    assert r["session"] == ["mixed_bfloat16", "mirrored"]
    assert "training  mixed_bfloat16, distribute mirrored (2 replicas)" in proc.stdout
    bad = run_python("""
        import sys
        from bagan_lib import notebook_setup
        from bagan_lib.errors import KitError
        try:
            notebook_setup.start("smoke", precision="float16")
        except KitError as error:
            print("refused:", error.problem, "tensorflow" in sys.modules)
    """)
    assert "refused: precision='float16' is not a precision policy. False" in bad.stdout, bad.stdout + bad.stderr


def test_a_seed_numpy_cannot_take_fails_before_importing_tensorflow():
    """Issue 18, defect 8: ``--seed -1`` (and ``start(seed=-1)``) ended in NumPy's ValueError traceback."""
    proc = run_python("""
        import sys
        from bagan_lib import notebook_setup
        from bagan_lib.errors import KitError
        from bagan_lib.training.config import TrainConfig
        for seed in (-1, 2**32, 1.5, True):
            for check in (lambda: notebook_setup.start("smoke", seed=seed), lambda: TrainConfig(seed=seed).check()):
                try:
                    check()
                except KitError as e:
                    print("KitError", "not a seed" in str(e))
        print("tensorflow" in sys.modules)
    """)
    assert proc.stdout.splitlines() == ["KitError True"] * 8 + ["False"], proc.stdout + proc.stderr
