"""The conditional discriminator, factored for speed: image features once per image, the label branch once per class.

The BAGAN-GP discriminator (paper Fig. 5, :func:`bagan_lib.models.networks.build_discriminator`)
is ``D(x, y) = w2 . Dense(phi(x) * c(y))``: image features ``phi(x)`` from the
conv stack, multiplied with a label code ``c(y) = LeakyReLU(Dense(Embedding(y)))``.
Two facts make the critic step cheaper without changing its mathematics:

* ``phi`` does not depend on the label. The critic's loss (Eq. 14) scores the
  real images twice, with their labels and with wrong labels: their features
  are computed once and used by both terms (forward and backward: the two
  terms' gradients meet at ``phi(x_r)`` and go through the conv stack once).
* ``c`` depends only on the label, of which there are ``n_classes``. The code
  table ``c(0), ..., c(n-1)`` is computed once per call and gathered per sample,
  instead of a Dense layer per sample; its gradient is the per-class sum.
* The two Dense layers after the product have no activation between them, so
  ``w2 . (W1 (phi * c) + b1) + b2 = phi . (c * W1 w2) + (w2 . b1 + b2)``: the
  matrix product ``u = W1 w2`` is made once per call, and each class gets one
  score vector ``v_y = c(y) * u``; a sample's score is one dot product
  ``phi(x) . v_y`` instead of a (features x 512) matrix product.

Both are exact rewrites (the critic has no batch normalisation); only the
order of floating-point sums changes.

Under a mixed-precision policy the conv stack and the label branch compute in
the policy's dtype (their layers do); the head, a few dot products per image
and a table of ``n_classes`` rows, computes in float32, as the plain critic's
float32 logit layer does (:mod:`bagan_lib.models.networks`). ``tests/gan/test_critic_parts.py`` checks
scores and gradients against the plain model, and tests/perf/test_reference_step.py
checks a whole training step against the reference design's three calls.
"""

from __future__ import annotations

import keras
from keras import ops

from bagan_lib.errors import KitError
from bagan_lib.gan.transition import blend_factor

HEAD_DTYPE = "float32"  # the head's arithmetic in every policy, as the plain critic's logit layer
HEAD_LAYERS = ("disc_label_embedding", "disc_label_dense", "disc_label_lrelu", "disc_joint", "disc_dense",
               "disc_logit")


class ConditionalCriticParts:
    """Views of a :func:`~bagan_lib.models.networks.build_discriminator` model that share its layers and weights.

    The head needs the layers ``disc_joint`` (a product), ``disc_dense`` (linear,
    with a bias) and ``disc_logit``; anything else is refused with a KitError.

    ``parts([images, labels])`` equals ``critic([images, labels])``;
    :meth:`features` and :meth:`head` are its two halves.
    """

    def __init__(self, critic: keras.Model):
        names = {layer.name for layer in critic.layers}
        missing = [name for name in HEAD_LAYERS + ("disc_conv0", "disc_flatten") if name not in names]
        if missing:
            raise KitError(f"The critic {critic.name!r} has no layers {missing}: it is not the kit's conditional "
                           "discriminator.", "build it with bagan_lib.models.networks.build_discriminator, or leave "
                           "critic_parts=None (the trainer then calls the critic as it is).")
        self.critic = critic
        blocks = sum(name.startswith("disc_conv") for name in names)
        self.stack = [critic.get_layer(f"disc_{kind}{i}") for i in range(blocks) for kind in ("conv", "lrelu")]
        self.stack.append(critic.get_layer("disc_flatten"))
        if "disc_mu" in names:  # CAPGAN: the encoder's mean head is part of phi(x)
            self.stack.append(critic.get_layer("disc_mu"))
        # transitional conditioning: phi * c(y) blended with phi, i.e. c(y) with ones (bagan_lib.gan.transition)
        self.blend = critic.get_layer("disc_transition") if "disc_transition" in names else None
        (self.embedding, self.label_dense, self.label_act, self.joint, self.dense,
         self.logit) = (critic.get_layer(name) for name in HEAD_LAYERS)
        if (not isinstance(self.joint, keras.layers.Multiply) or self.dense.activation is not keras.activations.linear
                or not (self.dense.use_bias and self.logit.use_bias)):
            raise KitError(f"The critic's {self.dense.name!r} layer is not linear with a bias, so its head does not "
                           "collapse to one dot product.", "use build_discriminator's head, or critic_parts=None.")

    def features(self, images, training=None):
        """phi(x): the conv stack, flattened (CAPGAN: then its mean head); the same for every label."""
        h = images
        for layer in self.stack:
            h = layer(h, training=training)
        return h

    def label_codes(self, training=None):
        """c(y) for every class y, one row each: (n_classes, feature size); with transitional conditioning the
        blended factor ``(1 - alpha) + alpha c(y)``."""
        codes = self.label_act(self.label_dense(self.embedding.embeddings, training=training), training=training)
        return codes if self.blend is None else blend_factor(codes, self.blend.transition.alpha)

    def score_vectors(self, training=None):
        """(v, offset): one score vector per class, ``v_y = c(y) * (W1 w2)``, and ``w2 . b1 + b2``; float32."""
        kernel, bias = (ops.cast(v, HEAD_DTYPE) for v in (self.dense.kernel, self.dense.bias))  # float32 variables
        w2, b2 = ops.cast(self.logit.kernel, HEAD_DTYPE), ops.cast(self.logit.bias, HEAD_DTYPE)
        u = ops.matmul(kernel, w2)                                   # (features, 1)
        offset = ops.matmul(bias[None, :], w2) + b2                  # (1, 1)
        return ops.cast(self.label_codes(training), HEAD_DTYPE) * ops.transpose(u), offset

    def head(self, features, labels, training=None):
        """The logit from features phi(x) and labels y: ``phi(x) . v_y + offset``, shape (B, 1), float32."""
        vectors, offset = self.score_vectors(training)
        rows = ops.take(vectors, ops.cast(ops.reshape(labels, (-1,)), "int32"), axis=0)
        return ops.sum(ops.cast(features, HEAD_DTYPE) * rows, axis=-1, keepdims=True) + offset

    def __call__(self, inputs, training=None):
        images, labels = inputs
        return self.head(self.features(images, training), labels, training)
