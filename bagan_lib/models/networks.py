"""The networks of BAGAN and BAGAN-GP, sized by image size and a width multiplier.

At width 1.0 and 64x64 they equal the BAGAN-GP reference architecture
(REFERENCE.md; parameter counts checked in tests/models/test_networks.py):

* **encoder**: 4 conv layers (64/128/128/256 filters, kernel 4, stride 2, same
  padding, LeakyReLU 0.2), flatten, Dense(latent) + LeakyReLU;
* **label embedding**: Embedding(n_classes, latent) multiplied element-wise with
  the latent vector, the "labelled latent" (paper Fig. 3);
* **decoder / generator body**: Dense(4*4*256) + LeakyReLU, reshape, transposed
  convs 128/128/64 (kernel 4, stride 2, BatchNorm, LeakyReLU), a last
  transposed conv to C channels with tanh (the BatchNorm is synchronized across
  devices when built under a multi-device strategy);
* **generator** = embedding then decoder (Fig. 4); with a transition
  (:mod:`bagan_lib.gan.transition`) the labelled latent is blended with ``z``
  (and the conditional discriminator's joint features with the label-free
  ones); the class-conditional batch-norm generator is
  :mod:`bagan_lib.models.class_batchnorm`'s;
* **conditional discriminator**: the conv stack, flattened, multiplied with
  Embedding(n, 512) -> Dense(4*4*256) + LeakyReLU of the label, then Dense(512)
  and Dense(1): one unconstrained logit (Fig. 5). Fresh weights, or the
  encoder's conv stack (``from_encoder``);
* **CVAE encoder** (CAPGAN, paper Eq. 4): the same conv stack, flattened, to two
  linear heads of the latent size, the mean ``enc_mu`` and the log-variance
  ``enc_logvar`` (g1 = h1 is the shared stack);
* **CAPGAN discriminator**: :func:`build_discriminator` with ``feature_dim``:
  a linear ``disc_mu`` layer after the conv stack, copied from the CVAE's mean
  head, so the label branch meets the encoder's latent features;
* **CGAN generator and discriminator** (the augmentation papers' baseline):
  fully connected, the label concatenated (:func:`build_mlp_generator`,
  :func:`build_mlp_discriminator`);
* **ALI joint discriminator** (the augmentation paper's Eq. 4): image branch
  (the conv stack), latent branch, joint head (:func:`build_joint_discriminator`);
  ALI's encoder is the CVAE encoder and its generator the decoder;
* **BAGAN discriminator**: the encoder's conv stack + Dense(n_classes + 1): the
  logits of a softmax over the classes and "fake" (the softmax is applied inside
  the loss, :func:`bagan_lib.gan.losses.bagan_discriminator_loss`, for stability).

The number of stride-2 blocks follows the image size (4x4 at the bottom): 32 -> 3,
64 -> 4, 128 -> 5. Conv weights are initialised N(0, 0.02); batch normalisation
is used only in the decoder/generator.

**Mixed precision.** Every layer takes the global Keras policy in force when
the network is built (``float32``, ``mixed_float16`` or ``mixed_bfloat16``): it
keeps float32 variables and computes in the policy's dtype. Each network's
*outputs* are float32 (Keras' advice for a model's last layer): the critics'
logit layers compute in float32, and the encoders' latents and the decoders'
images are cast by a weightless float32 layer. So the losses, the penalty's
interpolates and everything outside the networks see float32 in every policy,
and the variables (and checkpoints) are the same in every policy.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from bagan_lib.errors import KitError
from bagan_lib.gan.optimizer_step import several_replicas
from bagan_lib.gan.transition import ConditionBlend

REFERENCE_FILTERS = (64, 128, 128, 256)  # the encoder at 64x64
BOTTOM = 4                                # spatial size after the last stride-2 block


def conv_init():
    return keras.initializers.RandomNormal(0.0, 0.02)


def encoder_filters(image_size: int, width: float = 1.0) -> tuple[int, ...]:
    """Filters per down-sampling block: the reference's four at 64x64; 32 drops one 128, 128 adds a 256."""
    if image_size == 28:
        raise KitError("The networks take 32x32 for 28x28 data.",
                       "resize to 32 first (prepare_images(x, 32)); the kit's profiles do this for you.")
    blocks = math.log2(image_size / BOTTOM) if image_size > 0 else -1
    if image_size not in (32, 64, 128) or blocks != int(blocks):
        raise KitError(f"image_size={image_size} is not supported by the networks.", "use 32, 64 or 128.")
    base = {3: (64, 128, 256), 4: REFERENCE_FILTERS, 5: (64, 128, 128, 256, 256)}[int(blocks)]
    return tuple(max(1, int(round(f * width))) for f in base)


OUTPUT_DTYPE = "float32"  # every network's outputs, whatever the policy (see the module docstring)


def _leaky(x):
    return layers.LeakyReLU(0.2)(x)


def float32_output(x, name: str):
    """``x`` cast to float32 by a weightless layer: a network's output under a mixed policy (identity in float32)."""
    return layers.Activation("linear", dtype=OUTPUT_DTYPE, name=name)(x)


def conv_stack(image, filters, prefix: str):
    """The shared down-sampling stack of encoder and discriminators: conv(k4, s2) + LeakyReLU per block."""
    h = image
    for i, f in enumerate(filters):
        h = layers.Conv2D(f, 4, strides=2, padding="same", kernel_initializer=conv_init(), name=f"{prefix}_conv{i}")(h)
        h = layers.LeakyReLU(0.2, name=f"{prefix}_lrelu{i}")(h)
    return layers.Flatten(name=f"{prefix}_flatten")(h)


def build_encoder(image_size: int, channels: int, latent_dim: int, width: float = 1.0) -> keras.Model:
    """Image -> latent vector (BAGAN's and BAGAN-GP's encoder)."""
    image = keras.Input((image_size, image_size, channels), name="image")
    h = conv_stack(image, encoder_filters(image_size, width), "enc")
    latent = layers.LeakyReLU(0.2, dtype=OUTPUT_DTYPE, name="enc_latent_lrelu")(
        layers.Dense(latent_dim, name="enc_latent")(h))
    return keras.Model(image, latent, name="encoder")


def build_vae_encoder(image_size: int, channels: int, latent_dim: int, width: float = 1.0) -> keras.Model:
    """Image -> (mu, log sigma^2): CAPGAN's encoder (paper Eq. 4), both heads linear and of the latent size."""
    image = keras.Input((image_size, image_size, channels), name="image")
    h = conv_stack(image, encoder_filters(image_size, width), "enc")
    mu = float32_output(layers.Dense(latent_dim, name="enc_mu")(h), "enc_mu_float32")
    logvar = float32_output(layers.Dense(latent_dim, name="enc_logvar", kernel_initializer="zeros")(h),  # sigma = 1
                            "enc_logvar_float32")
    return keras.Model(image, [mu, logvar], name="vae_encoder")


def build_decoder(image_size: int, channels: int, latent_dim: int, width: float = 1.0) -> keras.Model:
    """Latent vector -> image in [-1, 1] (tanh).

    Built inside a multi-device ``strategy.scope()``, its batch normalisation is
    synchronized: the statistics are those of the global batch, as on one device
    (and the replicas' moving averages stay equal).
    """
    filters = encoder_filters(image_size, width)
    synchronized = several_replicas()
    latent = keras.Input((latent_dim,), name="latent")
    h = _leaky(layers.Dense(BOTTOM * BOTTOM * filters[-1], name="dec_dense")(latent))
    h = layers.Reshape((BOTTOM, BOTTOM, filters[-1]))(h)
    for i, f in enumerate(reversed(filters[:-1])):
        h = layers.Conv2DTranspose(f, 4, strides=2, padding="same", kernel_initializer=conv_init(),
                                   name=f"dec_deconv{i}")(h)
        h = _leaky(layers.BatchNormalization(synchronized=synchronized, name=f"dec_bn{i}")(h))
    image = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="tanh",
                                   kernel_initializer=conv_init(), name="dec_out")(h)
    return keras.Model(latent, float32_output(image, "dec_image"), name="decoder")


def build_embedding(n_classes: int, latent_dim: int) -> keras.Model:
    """[latent, label] -> labelled latent = latent * Embedding(label) (paper Fig. 3)."""
    latent = keras.Input((latent_dim,), name="latent")
    label = keras.Input((), dtype="int32", name="label")
    code = layers.Flatten()(layers.Embedding(n_classes, latent_dim, name="label_embedding")(label))
    return keras.Model([latent, label], layers.Multiply(name="labelled_latent")([latent, code]), name="embedding")


def build_generator(embedding: keras.Model, decoder: keras.Model, transition=None) -> keras.Model:
    """[z, label] -> image: the embedding followed by the decoder (paper Fig. 4); both keep training.

    With a :class:`~bagan_lib.gan.transition.Transition`, the labelled latent is
    blended with the unlabelled one, ``(1 - alpha) z + alpha (z * e_y)`` (the
    ``transition`` layer): transitional conditioning.
    """
    z = keras.Input(embedding.inputs[0].shape[1:], name="z")
    label = keras.Input((), dtype="int32", name="label")
    labelled = embedding([z, label])
    if transition is not None:
        labelled = ConditionBlend(transition, name="transition")([z, labelled])
    return keras.Model([z, label], decoder(labelled), name="generator")


def build_discriminator(image_size: int, channels: int, n_classes: int, width: float = 1.0,
                        encoder: keras.Model | None = None, feature_dim: int | None = None,
                        transition=None) -> keras.Model:
    """[image, label] -> one logit (paper Fig. 5). With ``encoder``, its conv stack's weights are copied in.

    ``feature_dim`` adds CAPGAN's linear ``disc_mu`` layer after the conv stack;
    with a CVAE ``encoder`` its mean head ``enc_mu`` is copied into it as well.
    With a :class:`~bagan_lib.gan.transition.Transition`, the joint features are
    blended with the label-free ones, ``(1 - alpha) phi(x) + alpha (phi(x) * c(y))``
    (the ``disc_transition`` layer): transitional conditioning.
    """
    filters = encoder_filters(image_size, width)
    image = keras.Input((image_size, image_size, channels), name="image")
    label = keras.Input((), dtype="int32", name="label")
    features = conv_stack(image, filters, "disc")
    if feature_dim is not None:
        features = layers.Dense(feature_dim, name="disc_mu")(features)
    code = layers.Flatten()(layers.Embedding(n_classes, max(1, int(round(512 * width))), name="disc_label_embedding")(label))
    code = layers.Dense(features.shape[-1], name="disc_label_dense")(code)
    code = layers.LeakyReLU(0.2, name="disc_label_lrelu")(code)
    h = layers.Multiply(name="disc_joint")([features, code])
    if transition is not None:
        h = ConditionBlend(transition, name="disc_transition")([features, h])
    h = layers.Dense(max(1, int(round(512 * width))), name="disc_dense")(h)
    logit = layers.Dense(1, dtype=OUTPUT_DTYPE, name="disc_logit")(h)
    model = keras.Model([image, label], logit, name="discriminator")
    if encoder is not None:
        copy_conv_stack(encoder, model, "enc", "disc", len(filters))
        if feature_dim is not None:
            _copy_layer(encoder.get_layer("enc_mu"), model.get_layer("disc_mu"))
    return model


def build_mlp_generator(image_size: int, channels: int, n_classes: int, latent_dim: int,
                        width: float = 1.0) -> keras.Model:
    """[z, label] -> image: the fully connected CGAN generator (Mirza and Osindero 2014, section 5.1).

    z -> Dense(200) and the label -> Dense(1000), joined, then Dense(1200) and the
    image through tanh (the kit's [-1, 1]; the paper's sigmoid for [0, 1]). Widths
    scale with ``width``; the label enters by concatenation, not by the embedding
    product of the BAGAN-GP generator. Departure from the paper: batch
    normalisation and LeakyReLU(0.2) instead of plain ReLU. With the paper's ReLU
    units the kit's CGAN collapsed at ``teach`` to one noisy blob for every class
    (80 epochs of Fashion-MNIST B); with these it draws recognisable classes in 40.
    """
    units = lambda n: max(16, int(round(n * width)))  # noqa: E731
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((), dtype="int32", name="label")
    code = layers.Flatten()(layers.Embedding(n_classes, units(50), name="cgan_g_label_embedding")(label))
    h = layers.Concatenate(name="cgan_g_joint")([layers.Dense(units(200), name="cgan_g_z")(z),
                                                 layers.Dense(units(1000), name="cgan_g_y")(code)])
    h = layers.LeakyReLU(0.2)(layers.BatchNormalization(name="cgan_g_bn0")(h))
    h = layers.LeakyReLU(0.2)(layers.BatchNormalization(name="cgan_g_bn1")(layers.Dense(units(1200), name="cgan_g_hidden")(h)))
    pixels = layers.Dense(image_size * image_size * channels, activation="tanh", name="cgan_g_pixels")(h)
    image = layers.Reshape((image_size, image_size, channels), dtype=OUTPUT_DTYPE, name="cgan_g_image")(pixels)
    return keras.Model([z, label], image, name="cgan_generator")


def build_mlp_discriminator(image_size: int, channels: int, n_classes: int, width: float = 1.0) -> keras.Model:
    """[image, label] -> one logit: the fully connected CGAN discriminator (Mirza and Osindero 2014, section 5.1).

    The image -> 240 units and the label -> 50 units, joined -> 240 units, then the
    logit. LeakyReLU(0.2) stands in for the paper's maxout units, and dropout is
    0.3 rather than the paper's 0.5 (see :func:`build_mlp_generator`).
    """
    units = lambda n: max(16, int(round(n * width)))  # noqa: E731
    image = keras.Input((image_size, image_size, channels), name="image")
    label = keras.Input((), dtype="int32", name="label")
    code = layers.Flatten()(layers.Embedding(n_classes, units(50), name="cgan_d_label_embedding")(label))
    x = layers.LeakyReLU(0.2)(layers.Dense(units(240), name="cgan_d_x")(layers.Flatten()(image)))
    y = layers.LeakyReLU(0.2)(layers.Dense(units(50), name="cgan_d_y")(code))
    # dropout masks drawn in float32: the same seed drops the same units in every precision policy
    h = layers.Dropout(0.3, dtype="float32")(layers.Concatenate(name="cgan_d_joint")([x, y]))
    h = layers.Dropout(0.3, dtype="float32")(layers.LeakyReLU(0.2)(layers.Dense(units(240), name="cgan_d_hidden")(h)))
    return keras.Model([image, label], layers.Dense(1, dtype=OUTPUT_DTYPE, name="cgan_d_logit")(h),
                       name="cgan_discriminator")


def build_joint_discriminator(image_size: int, channels: int, latent_dim: int, width: float = 1.0) -> keras.Model:
    """[image, z] -> one logit: ALI's joint discriminator D(x, z) (augmentation paper, Fig. 5; Eq. 4).

    Three parts, as in ALI (Dumoulin et al. 2016): an **image branch** (the
    encoder's conv stack), a **latent branch** (two Dense(512) + LeakyReLU on z)
    and a **joint head** on their concatenation (Dense(512) + LeakyReLU, then the
    logit). Widths scale with ``width``; no batch normalisation, like the kit's
    other critics (one batched call scores both kinds of pairs).
    """
    units = max(16, int(round(512 * width)))
    image = keras.Input((image_size, image_size, channels), name="image")
    z = keras.Input((latent_dim,), name="z")
    features = conv_stack(image, encoder_filters(image_size, width), "ali_d")
    code = z
    for i in range(2):
        code = layers.LeakyReLU(0.2, name=f"ali_d_z_lrelu{i}")(layers.Dense(units, name=f"ali_d_z{i}")(code))
    h = layers.Concatenate(name="ali_d_joint")([features, code])
    h = layers.LeakyReLU(0.2, name="ali_d_joint_lrelu")(layers.Dense(units, name="ali_d_joint_dense")(h))
    logit = layers.Dense(1, dtype=OUTPUT_DTYPE, name="ali_d_logit")(h)
    return keras.Model([image, z], logit, name="ali_discriminator")


def build_bagan_discriminator(image_size: int, channels: int, n_classes: int, width: float = 1.0,
                              encoder: keras.Model | None = None, name: str = "bagan_discriminator") -> keras.Model:
    """Image -> n_classes + 1 logits of a softmax (the last class means "fake"): BAGAN's discriminator.

    The same network with ``name="acgan_discriminator"`` is AC-GAN's: its first
    output is the source logit (real or fake), the other n the class logits
    (:func:`bagan_lib.gan.losses.acgan_split`).
    """
    filters = encoder_filters(image_size, width)
    image = keras.Input((image_size, image_size, channels), name="image")
    features = conv_stack(image, filters, "disc")
    logits = layers.Dense(n_classes + 1, dtype=OUTPUT_DTYPE, name="disc_classes")(features)
    model = keras.Model(image, logits, name=name)
    if encoder is not None:
        copy_conv_stack(encoder, model, "enc", "disc", len(filters))
    return model


def copy_conv_stack(source: keras.Model, target: keras.Model, source_prefix: str, target_prefix: str,
                    n_blocks: int) -> None:
    """Copy the conv weights of an encoder into a discriminator (the autoencoder initialisation)."""
    for i in range(n_blocks):
        _copy_layer(source.get_layer(f"{source_prefix}_conv{i}"), target.get_layer(f"{target_prefix}_conv{i}"))


def _copy_layer(src, dst) -> None:
    if [w.shape for w in src.weights] != [w.shape for w in dst.weights]:
        raise KitError(f"Layer {src.name} does not fit {dst.name}.",
                       "build the encoder and discriminator with the same image size, channels, width and latent size.")
    dst.set_weights(src.get_weights())
