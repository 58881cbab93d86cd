"""Autoencoder pre-training, the first step of BAGAN and BAGAN-GP, as a ``keras.Model`` driven by ``fit``.

* **Unsupervised** (BAGAN, paper Fig. 1): image -> encoder -> latent -> decoder.
* **Supervised** (BAGAN-GP, paper Fig. 3): the latent is multiplied with the
  label's embedding before the decoder ("labelled latent"), so the decoder
  learns class information directly and the embedding can later start the
  generator.

The reconstruction loss is a parameter: ``"l2"`` (mean squared error, as
BAGAN's text says) or ``"l1"`` (mean absolute error, what the BAGAN-GP reference
code actually uses).

Under a mixed-precision policy the networks compute in half precision and
return float32 (:mod:`bagan_lib.models.networks`), so the loss is float32; with
float16 the optimizer scales the loss (:mod:`bagan_lib.gan.optimizer_step`).
Under a multi-device strategy each replica's loss is divided by the replicas.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from bagan_lib.errors import KitError
from bagan_lib.gan.optimizer_step import CustomStepModel, apply_gradients, loss_scaled, scaled_loss

RECONSTRUCTION_LOSSES = ("l1", "l2")


class Autoencoder(CustomStepModel):
    """Encoder, optional label embedding, decoder; trains on ``(images, labels)`` or ``images`` batches."""

    def __init__(self, encoder: keras.Model, decoder: keras.Model, embedding: keras.Model | None = None,
                 reconstruction: str = "l1", **kwargs):
        super().__init__(**kwargs)
        if reconstruction not in RECONSTRUCTION_LOSSES:
            raise KitError(f"reconstruction={reconstruction!r} is not a reconstruction loss.",
                           "use 'l1' (the BAGAN-GP reference) or 'l2' (BAGAN's text).")
        self.encoder, self.decoder, self.embedding = encoder, decoder, embedding
        self.reconstruction = reconstruction
        self.loss_tracker = keras.metrics.Mean(name="reconstruction")

    @property
    def supervised(self) -> bool:
        return self.embedding is not None

    @property
    def metrics(self):
        return [self.loss_tracker]

    def compile(self, optimizer=None, **kwargs):
        """Adam(2e-4, beta_1=0.5, beta_2=0.9) by default, as in BAGAN-GP; loss-scaled for a float16 decoder."""
        optimizer = optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.9)
        super().compile(optimizer=loss_scaled(optimizer, self.decoder.compute_dtype), **kwargs)
        self.optimizer.build(self.trainable_variables)  # here, in the strategy's scope (see CustomStepModel)

    def latent(self, images, labels=None, training=False):
        """The (labelled, if supervised) latent vectors the decoder receives."""
        z = self.encoder(images, training=training)
        if self.supervised:
            if labels is None:
                raise KitError("A supervised autoencoder needs the labels.", "pass (images, labels).")
            z = self.embedding([z, labels], training=training)
        return z

    def call(self, inputs, training=False):
        images, labels = (inputs if isinstance(inputs, (list, tuple)) else (inputs, None))
        return self.decoder(self.latent(images, labels, training=training), training=training)

    def reconstruction_loss(self, images, reconstructed):
        error = images - reconstructed
        return ops.mean(ops.abs(error)) if self.reconstruction == "l1" else ops.mean(ops.square(error))

    def _unpack(self, data):
        if isinstance(data, (tuple, list)):
            return data[0], (ops.cast(ops.reshape(data[1], (-1,)), "int32") if len(data) > 1 else None)
        return data, None

    def train_step(self, data):
        images, labels = self._unpack(data)
        with tf.GradientTape() as tape:
            loss = self.reconstruction_loss(images, self([images, labels], training=True))
            scaled = scaled_loss(self.optimizer, loss)
        grads = tape.gradient(scaled, self.trainable_variables)
        apply_gradients(self.optimizer, grads, self.trainable_variables)
        self.loss_tracker.update_state(loss)
        return self.step_logs([self.loss_tracker])

    def test_step(self, data):
        images, labels = self._unpack(data)
        self.loss_tracker.update_state(self.reconstruction_loss(images, self([images, labels], training=False)))
        return self.step_logs([self.loss_tracker])
