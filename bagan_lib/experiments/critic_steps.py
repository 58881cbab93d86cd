"""Notebook 06's critic report: how sure a trained critic is that generated images are fake."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from bagan_lib.training.run import TrainingResult


def critic_report(result: TrainingResult, label: str, *, n: int = 256, seed: int = 0) -> dict:
    """How sure the trained critic is that generated images are fake, with the last epoch's losses.

    ``P(fake)`` is the softmax probability of the "fake" class for BAGAN's (n+1)-class
    critic, and ``1 - sigmoid(logit)`` for the conditional critic of cDRAGAN and BAGAN-GP.
    """
    trainer = result.trainer
    labels = (np.arange(n) % result.data.n_classes).astype("int32")
    fakes = trainer.images_from_noise(keras.random.normal((n, trainer.latent_dim), seed=seed), labels)
    scores = trainer.score(fakes, ops.convert_to_tensor(labels), training=False)
    if trainer.objective.name == "acgan":  # the source logit is the first output
        p_fake = 1.0 - ops.sigmoid(scores[:, 0])
    elif trainer.labelled_critic:
        p_fake = 1.0 - ops.sigmoid(ops.reshape(scores, (-1,)))
    else:
        p_fake = ops.softmax(scores, axis=-1)[:, -1]
    last = result.history[-1]
    return {"run": label, "critic steps": trainer.critic_steps, "generator steps": result.timings["steps_run"],
            "d_loss": round(last["d_loss"], 3), "g_loss": round(last["g_loss"], 3),
            "critic's P(fake) on fakes": round(float(ops.mean(p_fake)), 3)}
