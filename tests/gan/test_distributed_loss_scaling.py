"""float16 on two replicas: an overflow on one replica skips the step on both.

Keras 3's ``LossScaleOptimizer`` decides whether to skip a step from the first
replica's gradients alone, before they are summed; the kit makes every
replica's gradients non-finite when one replica's are
(:func:`bagan_lib.gan.optimizer_step.apply_gradients`). Here the second half of
one global batch (replica 1's rows) holds a value beyond float16's range
(1e5 > 65504): replica 1's critic loss and gradients are not finite, replica
0's are. The critic's step must then be skipped on both replicas (no weight
changes, the scale halves, the weights stay finite and equal on both), while the
generator's step, which does not see the real images, proceeds; the next,
finite batch trains the critic again. Without the kit's agreement (measured, by
calling ``optimizer.apply_gradients`` directly) the critic's weights became NaN
and the replicas' copies differed.

In a subprocess: the CPU must be split into two logical devices before TensorFlow starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # a TensorFlow subprocess with two devices

SCRIPT = r'''
import json, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
import numpy as np
from bagan_lib.models.builders import build_autoencoder, build_model
from bagan_lib.runtime.devices import precision_policy

SIZE, N, LATENT, WIDTH, BATCH = 32, 3, 8, 0.125, 16
strategy = tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
with precision_policy("mixed_float16"), strategy.scope():
    keras.utils.set_random_seed(0)
    ae = build_autoencoder(supervised=True, image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=WIDTH)
    trainer = build_model("bagan_gp_v3", image_size=SIZE, channels=1, n_classes=N, latent_dim=LATENT, width=WIDTH,
                          autoencoder=ae, critic_steps=1, seed=3)
    trainer.compile()


def one_step(x):
    y = (np.arange(BATCH) % N).astype("int32")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH, drop_remainder=True)
    before = {name: [v.numpy() for v in net.trainable_variables]
              for name, net in (("critic", trainer.critic), ("generator", trainer.generator))}
    trainer.fit(data, epochs=1, verbose=0, shuffle=False)
    moved = {name: max(float(np.max(np.abs(v.numpy() - b))) for v, b in zip(net.trainable_variables, before[name]))
             for name, net in (("critic", trainer.critic), ("generator", trainer.generator))}
    finite = all(np.isfinite(v.numpy()).all() for v in trainer.trainable_variables)
    copies_equal = all(np.array_equal(*(c.numpy() for c in v.value.values)) for v in trainer.trainable_variables
                       if isinstance(v.value, tf.distribute.DistributedValues))
    scales = [float(o.dynamic_scale.numpy()) for o in (trainer.d_optimizer, trainer.g_optimizer)]
    return {"moved": moved, "finite": bool(finite), "copies_equal": bool(copies_equal), "scales": scales}


rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, (BATCH, SIZE, SIZE, 1)).astype("float32")
overflow = x.copy()
overflow[BATCH // 2:, 0, 0, 0] = 1e5  # replica 1's rows only
print(json.dumps({"replicas": strategy.num_replicas_in_sync, "clean": one_step(x), "overflow": one_step(overflow),
                  "after": one_step(x)}))
'''


def test_an_overflow_on_one_replica_skips_the_critic_step_on_both():
    env = {**os.environ, "BAGAN_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    clean, overflow, after = result["clean"], result["overflow"], result["after"]
    assert clean["moved"]["critic"] > 0 and clean["scales"] == [2.0 ** 15, 2.0 ** 15]
    assert overflow["moved"]["critic"] == 0.0 and overflow["scales"] == [2.0 ** 14, 2.0 ** 15]  # skipped, halved
    assert overflow["moved"]["generator"] > 0  # the generator's step does not see the real images
    assert after["moved"]["critic"] > 0 and after["scales"] == [2.0 ** 14, 2.0 ** 15]
    for step in (clean, overflow, after):
        assert step["finite"] and step["copies_equal"], step
