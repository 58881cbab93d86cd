"""Networks: the reference architecture at paper size, and sizes that follow the image size."""

from __future__ import annotations


import keras
import numpy as np
import pytest

from bagan_lib.models import networks
from bagan_lib.errors import KitError
from bagan_lib.profiles import PROFILES


def conv(cin, cout, k=4):
    return k * k * cin * cout + cout


# Derived by hand from REFERENCE.md (64x64x1, latent 128, 10 classes):
ENCODER = conv(1, 64) + conv(64, 128) + conv(128, 128) + conv(128, 256) + (4 * 4 * 256) * 128 + 128
DECODER = (128 * 4096 + 4096) + conv(256, 128) + 4 * 128 + conv(128, 128) + 4 * 128 + conv(128, 64) + 4 * 64 + conv(64, 1)
EMBEDDING = 10 * 128
DISCRIMINATOR = (conv(1, 64) + conv(64, 128) + conv(128, 128) + conv(128, 256)
                 + 10 * 512 + (512 * 4096 + 4096) + (4096 * 512 + 512) + (512 + 1))


def test_paper_profile_equals_reference_parameter_counts():
    p = PROFILES["paper"]
    assert (ENCODER, DECODER, EMBEDDING, DISCRIMINATOR) == (1443520, 1448513, 1280, 5123649)
    encoder = networks.build_encoder(p.image_size, 1, p.latent_dim, p.width)
    decoder = networks.build_decoder(p.image_size, 1, p.latent_dim, p.width)
    embedding = networks.build_embedding(10, p.latent_dim)
    generator = networks.build_generator(embedding, decoder)
    critic = networks.build_discriminator(p.image_size, 1, 10, p.width)
    assert encoder.count_params() == ENCODER
    assert decoder.count_params() == DECODER
    assert embedding.count_params() == EMBEDDING
    assert generator.count_params() == DECODER + EMBEDDING
    assert critic.count_params() == DISCRIMINATOR


@pytest.mark.parametrize("size, blocks", [(32, 3), (64, 4), (128, 5)])
def test_blocks_follow_image_size(size, blocks):
    filters = networks.encoder_filters(size, 0.25)
    assert len(filters) == blocks
    decoder = networks.build_decoder(size, 3, 16, 0.25)
    assert decoder.output.shape[1:] == (size, size, 3)
    z = keras.random.normal((2, 16), seed=0)
    image = decoder(z)
    assert float(keras.ops.max(keras.ops.abs(image))) <= 1.0  # tanh
    assert networks.build_encoder(size, 3, 16, 0.25)(image).shape == (2, 16)
    assert networks.build_discriminator(size, 3, 4, 0.25)([image, keras.ops.convert_to_tensor(np.array([0, 3], "int32"))]).shape == (2, 1)
    assert networks.build_bagan_discriminator(size, 3, 4, 0.25)(image).shape == (2, 5)


def test_batch_norm_only_in_the_decoder():
    for model in (networks.build_encoder(32, 1, 8, 0.25), networks.build_discriminator(32, 1, 3, 0.25),
                  networks.build_bagan_discriminator(32, 1, 3, 0.25)):
        assert not any(isinstance(l, keras.layers.BatchNormalization) for l in model.layers), model.name
    assert any(isinstance(l, keras.layers.BatchNormalization) for l in networks.build_decoder(32, 1, 8, 0.25).layers)


def test_discriminator_from_encoder_copies_the_conv_stack():
    encoder = networks.build_encoder(32, 1, 8, 0.25)
    for model in (networks.build_discriminator(32, 1, 3, 0.25, encoder=encoder),
                  networks.build_bagan_discriminator(32, 1, 3, 0.25, encoder=encoder)):
        for i in range(3):
            for a, b in zip(encoder.get_layer(f"enc_conv{i}").get_weights(), model.get_layer(f"disc_conv{i}").get_weights()):
                np.testing.assert_array_equal(a, b)
    fresh = networks.build_discriminator(32, 1, 3, 0.25)
    assert not np.array_equal(fresh.get_layer("disc_conv0").get_weights()[0], encoder.get_layer("enc_conv0").get_weights()[0])


def test_bad_sizes():
    with pytest.raises(KitError, match="resize to 32"):
        networks.encoder_filters(28)
    with pytest.raises(KitError, match="use 32, 64 or 128"):
        networks.encoder_filters(48)
    with pytest.raises(KitError, match="does not fit"):
        networks.build_discriminator(32, 1, 3, 0.5, encoder=networks.build_encoder(32, 1, 8, 0.25))
