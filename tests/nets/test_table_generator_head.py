"""The table generator's autoregressive head: each block's output follows the blocks before it."""

import pytest
import torch

from ganforge.config import TrainConfig
from ganforge.errors import UserError
from ganforge.nets.tabular import TableGenerator

SPANS = [(1, "tanh"), (3, "softmax"), (4, "softmax")]


def generator(head: str) -> TableGenerator:
    torch.manual_seed(0)
    return TableGenerator(noise_dim=5, spans=SPANS, hidden=[16], head=head)


def test_block_logits_see_only_the_blocks_before_them():
    G = generator("autoregressive").train()
    z = torch.randn(64, 5)
    out = G(z)
    assert out.shape == (64, 8)
    # The last block's logits depend on the first two blocks' outputs; the first block on none.
    assert G.heads[2].in_features == 16 + 5 + 1 + 3 and G.heads[0].in_features == 16 + 5

    def grad(of, wrt):
        g = torch.autograd.grad(of.sum(), wrt, retain_graph=True, allow_unused=True)[0]
        return 0.0 if g is None else g.abs().sum().item()

    assert grad(G.last_logits[:, 4:], G.heads[1].weight) > 0  # the last block follows the one before it
    assert grad(G.last_logits[:, 1:4], G.heads[2].weight) == 0  # and no block follows a later one
    assert grad(G.last_logits[:, :1], G.heads[1].weight) == 0


def test_joint_head_keeps_ctgans_single_layer_and_its_checkpoint_names():
    G = generator("joint")
    assert "head.weight" in G.state_dict() and not hasattr(G, "heads")


def test_sampling_with_either_head_is_reproducible_and_one_hot():
    for head in ("joint", "autoregressive"):
        G = generator(head).eval()
        z = torch.randn(32, 5)
        a, b = G(z), G(z)
        assert torch.equal(a, b)
        assert torch.allclose(a[:, 1:4].sum(dim=1), torch.ones(32), atol=1e-5)


def test_an_unknown_head_is_refused_in_one_line():
    with pytest.raises(UserError, match="--generator-head must be one of joint, autoregressive"):
        TrainConfig(generator_head="sideways").validate()
