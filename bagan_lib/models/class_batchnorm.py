"""The generator with class-conditional batch normalisation (cBN): each class its own gain and bias.

Conditional batch normalisation (de Vries et al. 2017; Miyato and Koyama's cGAN
generators, BigGAN) replaces a batch-norm layer's shared affine ``gamma * x_hat + beta``
by one per class::

    cBN(x, y) = (1 + g_y) * x_hat + beta_y,    x_hat = (x - mu_B) / sqrt(var_B + eps)

with ``g_y`` and ``beta_y`` rows of two ``(n_classes, d)`` tables (gain offsets and
biases; the gain is ``1 + g_y`` as in the group-spectral-regularisation paper's
code, so zero tables give ``gamma = 1, beta = 0``: plain batch norm without
affine). The statistics ``mu_B, var_B`` (and the moving averages used at
inference) are shared by all classes.

:func:`build_cbn_decoder` is :func:`bagan_lib.models.networks.build_decoder` with
every ``BatchNormalization`` replaced by a :class:`ClassBatchNormalization` (and the
label as a second input); :func:`build_cbn_generator` puts BAGAN-GP's label
embedding in front (``decoder(z * e_y, y)``), so the class enters twice: through
the labelled latent and through every cBN layer. A recipe chooses it with
``generator="cbn"`` (``bagan_gp_v3_cbn``); it is what group spectral
regularisation (:mod:`bagan_lib.gan.group_spectral`) acts on.

**From a pre-trained decoder** (:func:`cbn_decoder_from`): the dense and
transposed-conv weights and the moving statistics are copied, and every class's
gain and bias start at the plain layer's shared ``gamma`` and ``beta``
(``g_y = gamma - 1``, ``beta_y = beta``), so the cBN generator built on BAGAN-GP
v3's autoencoder starts as exactly the generator BAGAN-GP v3 starts from.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from bagan_lib.errors import KitError
from bagan_lib.gan.optimizer_step import several_replicas
from bagan_lib.models.networks import BOTTOM, conv_init, encoder_filters, float32_output


class ClassBatchNormalization(layers.Layer):
    """``[x, y] -> (1 + g[y]) * BN(x) + b[y]``: batch normalisation with a gain and bias per class.

    ``x`` is ``(B, ..., d)`` (channels last), ``y`` ``(B,)`` integer labels. The
    normalisation is a Keras ``BatchNormalization`` without affine
    (``center=False, scale=False``; synchronized across devices when built under a
    multi-device strategy); the tables are :attr:`gain_offsets` and :attr:`biases`.
    """

    def __init__(self, n_classes: int, *, momentum: float = 0.99, epsilon: float = 1e-3,
                 synchronized: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.n_classes = int(n_classes)
        self.norm = layers.BatchNormalization(momentum=momentum, epsilon=epsilon, center=False, scale=False,
                                              synchronized=synchronized, dtype=self.dtype_policy,
                                              name=f"{self.name}_norm")

    def build(self, input_shape):
        x_shape = input_shape[0]
        channels = x_shape[-1]
        self.norm.build(x_shape)
        self.gain_offsets = self.add_weight(shape=(self.n_classes, channels), initializer="zeros",
                                            name="gain_offsets")
        self.biases = self.add_weight(shape=(self.n_classes, channels), initializer="zeros", name="biases")

    def call(self, inputs, training=None):
        x, labels = inputs
        h = self.norm(x, training=training)
        labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
        shape = (-1,) + (1,) * (len(x.shape) - 2) + (x.shape[-1],)
        gain = ops.reshape(1 + ops.cast(ops.take(self.gain_offsets, labels, axis=0), h.dtype), shape)
        bias = ops.reshape(ops.cast(ops.take(self.biases, labels, axis=0), h.dtype), shape)
        return h * gain + bias

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def class_batchnorm_layers(model: keras.Model) -> list:
    """The :class:`ClassBatchNormalization` layers of ``model`` and its nested models, in order."""
    found = []
    for layer in model.layers:
        if isinstance(layer, ClassBatchNormalization):
            found.append(layer)
        elif isinstance(layer, keras.Model):
            found.extend(class_batchnorm_layers(layer))
    return found


def build_cbn_decoder(image_size: int, channels: int, latent_dim: int, n_classes: int,
                      width: float = 1.0) -> keras.Model:
    """[latent, label] -> image in [-1, 1]: the reference decoder with class-conditional batch normalisation."""
    filters = encoder_filters(image_size, width)
    synchronized = several_replicas()
    latent = keras.Input((latent_dim,), name="latent")
    label = keras.Input((), dtype="int32", name="label")
    h = layers.LeakyReLU(0.2)(layers.Dense(BOTTOM * BOTTOM * filters[-1], name="dec_dense")(latent))
    h = layers.Reshape((BOTTOM, BOTTOM, filters[-1]))(h)
    for i, f in enumerate(reversed(filters[:-1])):
        h = layers.Conv2DTranspose(f, 4, strides=2, padding="same", kernel_initializer=conv_init(),
                                   name=f"dec_deconv{i}")(h)
        h = layers.LeakyReLU(0.2)(ClassBatchNormalization(n_classes, synchronized=synchronized,
                                                          name=f"dec_cbn{i}")([h, label]))
    image = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="tanh",
                                   kernel_initializer=conv_init(), name="dec_out")(h)
    return keras.Model([latent, label], float32_output(image, "dec_image"), name="cbn_decoder")


def build_cbn_generator(embedding: keras.Model, decoder: keras.Model) -> keras.Model:
    """[z, label] -> image: the labelled latent ``z * e_y`` (Fig. 3) through the cBN ``decoder`` with the label."""
    z = keras.Input(embedding.inputs[0].shape[1:], name="z")
    label = keras.Input((), dtype="int32", name="label")
    return keras.Model([z, label], decoder([embedding([z, label]), label]), name="cbn_generator")


def cbn_decoder_from(decoder: keras.Model, n_classes: int) -> keras.Model:
    """A cBN decoder equal to the plain ``decoder`` (:func:`bagan_lib.models.networks.build_decoder`) for every
    class: its weights and moving statistics copied, each class's gain and bias set to the shared ones."""
    latent_dim = decoder.inputs[0].shape[-1]
    image_size, channels = decoder.outputs[0].shape[1], decoder.outputs[0].shape[-1]
    blocks = sum(layer.name.startswith("dec_bn") for layer in decoder.layers)
    if not blocks:
        raise KitError(f"The decoder {decoder.name!r} has no batch-norm layers (dec_bn0, ...) to make class-"
                       "conditional.", "pass a decoder made by bagan_lib.models.networks.build_decoder.")
    width = decoder.get_layer("dec_deconv0").filters / encoder_filters(image_size)[-2]
    target = build_cbn_decoder(image_size, channels, latent_dim, n_classes, width)
    for name in ["dec_dense", "dec_out"] + [f"dec_deconv{i}" for i in range(blocks)]:
        source_layer, target_layer = decoder.get_layer(name), target.get_layer(name)
        if [w.shape for w in source_layer.weights] != [w.shape for w in target_layer.weights]:
            raise KitError(f"The decoder's {name} does not fit the cBN decoder's.",
                           "build the decoder with build_decoder (image size, channels, latent size, width).")
        target_layer.set_weights(source_layer.get_weights())
    for i in range(blocks):
        plain, conditional = decoder.get_layer(f"dec_bn{i}"), target.get_layer(f"dec_cbn{i}")
        conditional.norm.moving_mean.assign(plain.moving_mean)
        conditional.norm.moving_variance.assign(plain.moving_variance)
        conditional.gain_offsets.assign(ops.tile(ops.reshape(plain.gamma - 1.0, (1, -1)), (n_classes, 1)))
        conditional.biases.assign(ops.tile(ops.reshape(plain.beta, (1, -1)), (n_classes, 1)))
    return target
