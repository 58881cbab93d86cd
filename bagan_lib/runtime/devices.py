"""What a run computes on: the precision policy, the devices, and the ``tf.distribute`` strategy.

* **Precision** (:func:`precision_policy`): the Keras dtype policy the networks
  are built under: ``float32``, ``mixed_float16`` or ``mixed_bfloat16``
  (:data:`bagan_lib.training.config.PRECISIONS`). Layers keep the policy they were
  built with, so the global policy is set only while a run builds its networks
  and restored afterwards.
* **Devices** (:func:`split_cpu`): ``MirroredStrategy`` needs two devices; a
  CPU-only machine gets them by splitting its CPU into logical devices, which
  TensorFlow allows only before it has started (the command line's
  ``--cpu-devices``, :func:`bagan_lib.notebook_setup.start`'s ``cpu_devices``).
* **Strategy** (:func:`get_strategy`): ``none`` (the default strategy: one
  device), ``mirrored`` (every GPU, else every logical CPU device, of this
  machine) or ``multiworker`` (``MultiWorkerMirroredStrategy``: one process per
  machine, the cluster in ``TF_CONFIG``). A strategy is made once per process:
  TensorFlow allows one multi-worker strategy, made before other work.
* **Report** (:func:`device_report`): devices, the TensorFlow build (CUDA and
  cuDNN where present) and oneDNN, for ``python -m bagan_lib doctor``.
"""

from __future__ import annotations

import contextlib
import os

import keras
import tensorflow as tf

from bagan_lib.errors import KitError
from bagan_lib.training.config import DISTRIBUTIONS, PRECISIONS, cluster_role

_STRATEGIES: dict = {}  # distribute -> the strategy this process made


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise KitError(f"precision={precision!r} is not a precision policy.", f"use one of {', '.join(PRECISIONS)}.")
    return precision


@contextlib.contextmanager
def precision_policy(precision: str):
    """The global Keras dtype policy is ``precision`` inside the block (networks built there keep it), then again
    what it was."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(check_precision(precision))
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def split_cpu(devices: int) -> int:
    """Make the first CPU ``devices`` logical devices (for ``MirroredStrategy`` without GPUs); returns how many
    logical CPU devices there are. Only possible before TensorFlow has started computing (a KitError after)."""
    if not isinstance(devices, int) or devices < 1:
        raise KitError(f"cpu_devices={devices!r} must be a whole number >= 1.", "pass e.g. 2.")
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu) or [None]
    if devices > 1 and len(current) != devices:
        try:
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * devices)
        except RuntimeError as exc:  # "Virtual devices cannot be modified after being initialized"
            raise KitError(f"The CPU cannot be split into {devices} devices: TensorFlow has already started "
                           f"({exc}).", "split it first: notebook_setup.start(cpu_devices=2) before anything else "
                           "(restart the kernel), or --cpu-devices 2 on the command line.") from exc
    return len(tf.config.list_logical_devices("CPU"))


def replica_devices() -> list[str]:
    """The devices ``mirrored`` trains on: every GPU, else every logical CPU device."""
    gpus = tf.config.list_logical_devices("GPU")
    return [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]


def get_strategy(distribute: str):
    """The strategy for ``distribute`` (``none``, ``mirrored``, ``multiworker``); made once per process."""
    if distribute not in DISTRIBUTIONS:
        raise KitError(f"distribute={distribute!r} is not a distribution.", f"use one of {', '.join(DISTRIBUTIONS)}.")
    if distribute == "none":
        return tf.distribute.get_strategy()  # the default strategy: one device, scope() changes nothing
    if distribute not in _STRATEGIES:
        if distribute == "mirrored":
            devices = replica_devices()
            if len(devices) < 2:
                raise KitError(f"distribute='mirrored' needs two devices or more; this machine has {devices}.",
                               "on a machine without GPUs split the CPU: --cpu-devices 2 (or "
                               "notebook_setup.start(cpu_devices=2)); with one GPU use distribute='none'.")
            _STRATEGIES[distribute] = tf.distribute.MirroredStrategy(devices)
        else:
            role = cluster_role()
            if role is None:
                raise KitError("distribute='multiworker' needs the cluster in the TF_CONFIG environment variable.",
                               'set TF_CONFIG on every machine, e.g. {"cluster": {"worker": ["host1:12345", '
                               '"host2:12345"]}, "task": {"type": "worker", "index": 0}} (README, "Running on '
                               'several machines").')
            _STRATEGIES[distribute] = tf.distribute.MultiWorkerMirroredStrategy()
    return _STRATEGIES[distribute]


def check_global_batch(batch_size: int) -> int:
    """The replicas of the current strategy; a KitError unless the global ``batch_size`` splits evenly over them."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if batch_size % replicas:
        raise KitError(f"The global batch of {batch_size} images does not split evenly over {replicas} replicas.",
                       f"pass a batch size that is a multiple of {replicas} (--batch-size, or the profile's), or "
                       "train on fewer devices.")
    return replicas


def is_chief(distribute: str) -> bool:
    """This process writes the run's files: always, except a non-chief worker of a multi-worker cluster."""
    role = cluster_role() if distribute == "multiworker" else None
    return role is None or role.chief


def onednn_enabled() -> bool:
    """TensorFlow's oneDNN CPU kernels are on (its own check: the build, and ``TF_ENABLE_ONEDNN_OPTS``)."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # TensorFlow's only oneDNN query; private

        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "1"


def device_report() -> dict:
    """Physical and logical devices, the TensorFlow build (CUDA, cuDNN where built with them) and oneDNN."""
    build = dict(tf.sysconfig.get_build_info())
    return {"tensorflow": tf.__version__, "keras": keras.__version__,
            "physical": [f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}" for d in tf.config.list_physical_devices()],
            "logical": [d.name for d in tf.config.list_logical_devices()],
            "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
            "cuda_build": bool(build.get("is_cuda_build")), "cuda": build.get("cuda_version"),
            "cudnn": build.get("cudnn_version"), "onednn": onednn_enabled(),
            "cpu_cores": os.cpu_count()}
