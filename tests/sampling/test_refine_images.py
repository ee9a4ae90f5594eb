"""Refining images: a class-conditional digits GAN refined within the class asked for (--label)."""

import numpy as np
import pytest
from PIL import Image

from cli_kit import cli
from ganforge.api import GAN, load


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    out = tmp_path_factory.mktemp("digits") / "run"
    GAN(steps=60, seed=0, log_every=30, eval_samples=64, batch_size=32, conditional=True).fit(
        "digits", out=out, progress=False)
    return out


@pytest.mark.parametrize("method", ["drs", "mh", "langevin"])
def test_a_class_is_refined_within_itself_and_reproducibly(digits, method):
    gan = load(digits)
    options = {"mh_steps": 4, "langevin_steps": 5}
    first = gan.sample(32, seed=3, label=7, refine=method, refine_options=options)
    again = gan.sample(32, seed=3, label=7, refine=method, refine_options=options)
    assert first.shape == (32, 1, 8, 8) and np.array_equal(first, again)
    assert not np.array_equal(first, gan.sample(32, seed=3, label=7))  # refinement changed what was drawn
    assert gan.refine_cost_["samples"] == 32


def test_cli_writes_a_refined_image_grid(capsys, digits, tmp_path):
    code, out, err = cli(capsys, "sample", digits, "-n", "16", "-o", tmp_path / "grid.png", "--label", "2",
                         "--refine", "mh", "--mh-steps", "4")
    assert code == 0, err
    assert "mh: acceptance rate" in out
    assert Image.open(tmp_path / "grid.png").size[0] > 8
