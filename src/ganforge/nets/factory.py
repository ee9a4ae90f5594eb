"""Picks G and D for the data's layout: MLPs for vectors and tables, convolutions for images."""

from __future__ import annotations

from torch import nn

from ganforge.config import TrainConfig
from ganforge.data.layout import DataLayout
from ganforge.nets.mlp import MLPDiscriminator, MLPGenerator


def build_networks(config: TrainConfig, layout: DataLayout) -> tuple[nn.Module, nn.Module]:
    """(G, D) for rows of `layout`; both take an optional condition as their second argument."""
    if layout.is_image:  # flat image rows: DCGAN convolutions (nets/dcgan.py)
        from ganforge.nets.dcgan import build_dcgan

        return build_dcgan(config, layout)
    if getattr(layout, "is_table", False):  # encoded tables: span-aware head, packed critic (nets/tabular.py)
        from ganforge.nets.tabular import build_table_networks

        return build_table_networks(config, layout)
    G = MLPGenerator(config.noise_dim, layout.dim, config.generator_hidden,
                     dropout=config.generator_dropout, condition_dim=layout.condition_dim)
    D = MLPDiscriminator(layout.dim, config.discriminator_hidden, config.discriminator_activation,
                         config.spectral_norm, config.pack, condition_dim=layout.condition_dim)
    return G, D
