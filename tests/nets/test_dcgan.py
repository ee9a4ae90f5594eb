"""DCGAN nets: shapes at every supported size, conditioning, packing, spectral norm, and a backward pass."""

import pytest
import torch

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout
from ganforge.errors import UserError
from ganforge.nets.dcgan import DCGANDiscriminator, DCGANGenerator, stage_widths, stages
from ganforge.nets.factory import build_networks


@pytest.mark.parametrize("size, expected", [(8, (4, 1)), (16, (4, 2)), (28, (7, 2)), (32, (4, 3)), (64, (4, 4))])
def test_stages(size, expected):
    assert stages(size) == expected


def test_unsupported_size_and_widths():
    with pytest.raises(UserError, match="side 8, 16, 28, 32 or 64"):
        stages(30)
    assert stage_widths([16], 3, "--x") == [16, 32, 64]
    assert stage_widths([16], 1, "--x") == [32]  # one stage (8x8): 2w
    with pytest.raises(UserError, match="one width .* or 2 widths"):
        stage_widths([16, 32, 64], 2, "--generator-hidden")


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (3, 64, 64)])
def test_shapes_and_range(shape):
    G = DCGANGenerator(16, shape, [8])
    D = DCGANDiscriminator(shape, [8])
    x = G(torch.randn(4, 16))
    assert x.shape == (4, shape[0] * shape[1] * shape[2]) and x.abs().max() <= 1
    assert D(x).shape == (4,)


def test_conditional_pack_spectral_norm_and_backward():
    layout = DataLayout(dim=64, spans=((64, "tanh"),), image_shape=(1, 8, 8), condition_dim=10)
    config = TrainConfig.from_dict({"noise_dim": 8, "generator_hidden": [8], "discriminator_hidden": [8],
                                    "pack": 2, "spectral_norm": True})
    G, D = build_networks(config, layout)
    c = torch.eye(10)[torch.arange(6) % 10]
    x = G(torch.randn(6, 8), c)
    out = D(x, c)
    assert out.shape == (3,)
    out.sum().backward()
    assert all(p.grad is not None for p in G.parameters() if p.requires_grad)
    # the class changes G's output for the same z (the embedding is an input)
    z = torch.randn(1, 8)
    G.eval()
    assert not torch.allclose(G(z, c[:1]), G(z, c[1:2]))
