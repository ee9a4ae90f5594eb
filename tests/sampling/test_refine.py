"""Refined sampling of trained runs: better toy samples, tables within their condition, clear refusals."""

import json

import numpy as np
import pytest
import torch

from cli_kit import assert_user_error, cli
from ganforge.api import GAN, load
from ganforge.data.dataset import load_dataset
from ganforge.metrics.toy import toy_metrics
from ganforge.nets.tabular import TableDiscriminator
from ganforge.sampling.refine import raw_logits

SMALL = {"generator_hidden": [64, 64], "discriminator_hidden": [64, 64], "log_every": 200, "eval_samples": 500}


@pytest.fixture(scope="module")
def ring8(tmp_path_factory):
    out = tmp_path_factory.mktemp("refine") / "ring8"
    GAN(steps=600, seed=0, **SMALL).fit("ring8", out=out, progress=False)
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Runs that cannot be refined: a VAE, and a GAN whose critic gives no probability."""
    root = tmp_path_factory.mktemp("refuse")
    for name, options in (("vae", {"model": "vae"}), ("wgan", {"loss": "wasserstein"})):
        GAN(steps=20, seed=0, **SMALL, **options).fit("ring8", out=root / name, progress=False)
    return root


def high_quality(points) -> float:
    return toy_metrics(points, load_dataset("ring8").toy, seed=0, n_reference=len(points))["high_quality_fraction"]


@pytest.mark.parametrize("method", ["drs", "mh", "langevin"])
def test_refinement_puts_more_samples_on_the_modes(ring8, method):
    gan = load(ring8)
    plain = high_quality(gan.sample(2000, seed=1))
    refined = high_quality(gan.sample(2000, seed=1, refine=method))
    assert refined > plain + 0.02, (plain, refined)
    cost = gan.refine_cost_
    assert 0 < cost["acceptance_rate"] <= 1 and cost["samples_per_second"] > 0
    assert cost["proposals_per_sample"] > 1 if method != "langevin" else cost["gradient_steps_per_sample"] == 100


def test_seeded_refined_sampling_is_reproducible(ring8):
    first = load(ring8).sample(300, seed=5, refine="drs")
    again = load(ring8).sample(300, seed=5, refine="drs")
    assert np.array_equal(first, again)
    assert not np.array_equal(first, load(ring8).sample(300, seed=6, refine="drs"))


def test_calibration_is_saved_as_json_in_the_run(ring8):
    load(ring8).sample(100, seed=0, refine="mh", refine_options={"mh_steps": 4})
    saved = json.loads((ring8 / "calibration.json").read_text())
    assert saved["method"] == "logistic" and saved["step"] == 600
    assert "never seen by D" in saved["real_rows"]
    assert 0 <= saved["ece_after"] <= 1 and saved["reliability_after"]
    assert not list(ring8.glob("*.tmp"))


def test_cli_sample_refined_and_evaluate_side_by_side(capsys, ring8, tmp_path):
    code, out, _ = cli(capsys, "sample", ring8, "-n", "500", "-o", tmp_path / "s.csv", "--refine", "drs")
    assert code == 0 and "acceptance rate" in out and "proposals per sample" in out and "samples/s" in out
    assert len((tmp_path / "s.csv").read_text().splitlines()) == 501  # header + 500 rows
    code, out, _ = cli(capsys, "evaluate", ring8, "-n", "1000", "--refine", "mh", "--mh-steps", "8")
    assert code == 0 and "expected calibration error" in out and "mean |D - D*|" in out
    figures = json.loads((ring8 / "evaluation.json").read_text())
    refined = figures["refined"]
    assert refined["method"] == "mh" and refined["cost"]["proposals_per_sample"] == 9
    assert {"high_quality_fraction", "modes_covered", "reverse_kl"} <= set(refined) & set(figures)
    assert refined["calibration"]["ece_after"] is not None and refined["samples"] == 1000
    assert 0 <= refined["calibration"]["d_star_mae_after"] <= 1  # D against D* = p_t / (p_t + p_g)
    report = (ring8 / "report.html").read_text()
    assert "Refined sampling" in report and "proposals per sample" in report
    assert (ring8 / "plots" / "calibration.png").is_file() and "reliability" in report


@pytest.mark.parametrize("run, needles", [
    ("vae", ["needs a GAN's saved discriminator", "model 'vae' has none"]),
    ("wgan", ["loss 'wasserstein' gives none", "minimax", "non-saturating"]),
])
def test_runs_without_a_probability_are_refused(capsys, tiny, tmp_path, run, needles):
    result = cli(capsys, "sample", tiny / run, "-n", "10", "-o", tmp_path / "s.csv", "--refine", "drs")
    assert_user_error(result, *needles)
    assert not (tmp_path / "s.csv").exists()
    assert_user_error(cli(capsys, "evaluate", tiny / run, "--refine", "mh"), *needles)


@pytest.mark.parametrize("args, needle", [
    (["--refine", "langevn"], "--refine must be one of drs, mh, langevin"),
    (["--refine", "langevin", "--calibration", "isotonic"], "use --calibration logistic"),
    (["--refine", "langevin", "--step-size", "0"], "--step-size must be within (0, 1]"),
    (["--refine", "mh", "--mh-steps", "0"], "--mh-steps must be >= 1"),
    (["--refine", "drs", "--drs-percentile", "101"], "--drs-percentile must be within [0, 100]"),
    (["--refine", "drs", "--calibration", "platt"], "--calibration must be one of logistic, isotonic"),
])
def test_bad_refine_options_are_one_line_errors(capsys, ring8, tmp_path, args, needle):
    assert_user_error(cli(capsys, "sample", ring8, "-n", "10", "-o", tmp_path / "s.csv", *args), needle)


def test_a_packed_discriminator_scores_each_row_packed_with_itself():
    # pack = 3: D sees [x, x, x] and its logit is 3 log r(x) at the optimum; the row's score is that / 3
    torch.manual_seed(0)
    D = TableDiscriminator(2, [8], pack=3, dropout=0.5)
    model = type("Model", (), {"D": D, "device": torch.device("cpu"),
                               "loss": type("Loss", (), {"output": "logit"})()})()
    x = torch.randn(2, 2)
    D.eval()
    expected = torch.stack([D(x[i:i + 1].repeat(3, 1))[0] for i in range(2)]) / 3
    assert torch.allclose(raw_logits(model, x).float(), expected, atol=1e-6)
    assert D.training is False  # raw_logits restores the mode it found


def test_a_pack_of_distinct_rows_is_scored_as_d_sees_it():
    torch.manual_seed(0)
    D = TableDiscriminator(2, [8], pack=3, dropout=0.5)
    model = type("Model", (), {"D": D, "device": torch.device("cpu"),
                               "loss": type("Loss", (), {"output": "logit"})()})()
    packs = torch.randn(4, 3, 2)  # 4 packs of 3 rows
    D.eval()
    assert torch.allclose(raw_logits(model, packs).float(), D(packs.reshape(12, 2)), atol=1e-6)
