"""The trainer under ``tf.distribute.MirroredStrategy``: two devices train exactly like one.

The run happens in a subprocess, because the CPU must be split into two logical
devices before TensorFlow initialises (the pytest process has long done that).
The subprocess builds a small BAGAN-GP v3 model (the kit's real networks at width
0.125, 32x32) twice from the same initial weights: once on one device, once inside
a two-replica ``MirroredStrategy`` scope; both run ``fit`` for two steps (global
batch 16, 2 critic steps each) and are compared.

Why it can match to float round-off: each replica scales its losses by 1/2 so the
all-reduced (summed) gradients are the global batch's; each replica draws the
global batch's labels and noise from the shared seed state and keeps its half; the
penalty points are drawn on the gathered global batch; the decoder's batch
normalisation is synchronized (global batch statistics). What remains is the order
of floating-point sums (all-reduce, synchronized moments computed as
E[x^2] - E[x]^2), measured at about 1e-8 on the weights.

Tolerance: weights within ``atol=1e-6``, losses within ``rtol=1e-5``. The
optimizers are plain SGD here: Adam divides each step by the gradient's own
scale, so a missing 1/replicas loss scaling would barely change Adam's weights,
while with SGD it doubles every update. Leaving out any one of the four measures
was measured to move some weight by 1.6e-5 (local penalty points) to 5.6e-2 (no
loss scaling), i.e. 16 to 50 000 times the tolerance.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # long end to end: `pytest -m "not slow"` skips it while developing

SCRIPT = r'''
import json, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
import numpy as np
from bagan_lib.errors import KitError
from bagan_lib.models.builders import build_autoencoder, build_model

SIZE, N, LATENT, WIDTH, BATCH = 32, 3, 8, 0.125, 16


def v3(**kwargs):
    ae = build_autoencoder(supervised=True, image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=WIDTH)
    return build_model("bagan_gp_v3", image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=WIDTH,
                       autoencoder=ae, critic_steps=2, seed=3, **kwargs)


def sgd(trainer):
    trainer.compile(d_optimizer=keras.optimizers.SGD(0.05), g_optimizer=keras.optimizers.SGD(0.05))
    return trainer


rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, (2 * BATCH, SIZE, SIZE, 1)).astype("float32")
y = (np.arange(2 * BATCH) % N).astype("int32")
data = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH, drop_remainder=True)

keras.utils.set_random_seed(0)
single = sgd(v3())
start = single.get_weights()
strategy = tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
with strategy.scope():
    mirrored = sgd(v3())
    try:
        v3(jit_compile=True)
        xla_refused = ""
    except KitError as error:
        xla_refused = str(error)
mirrored.set_weights(start)
histories = [t.fit(data, epochs=1, verbose=0, shuffle=False).history for t in (single, mirrored)]
distributed = [v.value for v in mirrored.weights if isinstance(v.value, tf.distribute.DistributedValues)]
print(json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "synchronized_bn": [layer.synchronized for layer in mirrored.generator.layers[-1].layers
                        if isinstance(layer, keras.layers.BatchNormalization)],
    "histories": histories,
    "max_weight_difference": max(float(np.max(np.abs(a.numpy() - b.numpy())))
                                 for a, b in zip(single.weights, mirrored.weights) if a.numpy().size),
    "max_weight_change": max(float(np.max(np.abs(a - b.numpy()))) for a, b in zip(start, single.weights) if a.size),
    "same_weight_paths": [v.path for v in single.weights] == [v.path for v in mirrored.weights],
    "replica_copies_equal": all(np.array_equal(*(c.numpy() for c in v.values)) for v in distributed),
    "distributed_variables": len(distributed),
    "seed_steps": int(mirrored.seed_generator.state.numpy()[1]),
    "xla_refused": xla_refused,
}))
'''


@pytest.fixture(scope="module")
def result():
    """Run the script once for the module's tests."""
    env = {**os.environ, "BAGAN_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_replicas_train_like_one_device(result):
    assert result["replicas"] == 2
    assert result["synchronized_bn"] == [True, True]  # 32x32: two BatchNorm layers in the decoder
    single, mirrored = result["histories"]
    assert set(single) == set(mirrored) == {"d_loss", "g_loss", "real", "fake", "wrong", "gp"}
    for name in single:  # the trackers report the global mean, not one replica's
        assert np.all(np.isfinite(single[name])) and np.all(np.isfinite(mirrored[name]))
        np.testing.assert_allclose(mirrored[name], single[name], rtol=1e-5, err_msg=name)
    assert result["same_weight_paths"]
    assert result["max_weight_change"] > 1e-2  # training moved the weights far beyond the tolerance
    assert result["max_weight_difference"] < 1e-6, result["max_weight_difference"]
    # every mirrored variable (seed state, batch-norm moving statistics, ...) is equal on both replicas
    assert result["distributed_variables"] > 0 and result["replica_copies_equal"]
    # 2 steps x (2 critic steps x 3 draws (labels, noise, wrong labels) + penalty alpha) + 2 x 2 generator draws
    assert result["seed_steps"] == 2 * (2 * 4 + 2)


def test_xla_is_refused_under_several_devices(result):
    """TensorFlow cannot run the optimizer's all-reduce inside the nested compiled critic update (measured)."""
    assert "jit_compile=True cannot run under a multi-device strategy" in result["xla_refused"]
