"""DP runs end to end: the budget stops them (also on --resume), summary.json, explain and the report
state the guarantee, sampling stays inside it, seeds reproduce; every bad request is one `error:` line."""

import json

import pandas as pd
import pytest

from cli_kit import assert_user_error, cli
from ganforge.api import GAN
from ganforge.errors import DataWarning

SMALL = ["--batch-size", "32", "--generator-hidden", "32", "--discriminator-hidden", "32", "--noise-dim", "8",
         "--eval-samples", "200", "--log-every", "6", "-q"]
API_SMALL = dict(batch_size=32, generator_hidden=[32], discriminator_hidden=[32], noise_dim=8, eval_samples=200,
                 log_every=6)


@pytest.fixture(scope="module")
def private_run(tmp_path_factory, table_csv):
    out = tmp_path_factory.mktemp("private") / "run"
    with pytest.raises(SystemExit) as info:
        from ganforge.cli import main

        main(["train", "--data", str(table_csv), "--out", str(out), "--dp-epsilon", "2", "--steps", "12", *SMALL])
    assert info.value.code == 0
    return out


def test_a_dp_run_stops_when_its_budget_is_spent_and_says_so(private_run):
    summary = json.loads((private_run / "summary.json").read_text())
    assert summary["steps"] == 12 and summary["stopped_because"].startswith("privacy budget spent: epsilon 2.000 of 2")
    privacy = summary["privacy"]
    assert 1.99 < privacy["epsilon"] <= privacy["epsilon_target"] == 2
    assert privacy["delta"] == 1e-4 and privacy["discriminator_steps"] == 12 == privacy["discriminator_steps_planned"]
    assert privacy["sample_rate"] == pytest.approx(32 / 300)
    assert privacy["released_counts"]["columns"] == ["ward", "label"]
    assert any("minimum and maximum" in item for item in privacy["does_not_cover"])
    report = (private_run / "report.html").read_text()
    assert "Differential privacy" in report and "What it does not cover" in report
    assert "<th>Epsilon spent (accountant)</th><td>2.000</td>" in report  # rounded up, never down


def test_resuming_a_spent_run_stops_at_once_without_spending_more(capsys, private_run):
    before = json.loads((private_run / "summary.json").read_text())["privacy"]["epsilon"]
    code, out, err = cli(capsys, "train", "--out", private_run, "--resume", "--steps", "40", "-q")
    assert code == 0, err
    summary = json.loads((private_run / "summary.json").read_text())
    assert summary["steps"] == 12 and summary["stopped_because"].startswith("privacy budget spent")
    assert summary["privacy"]["epsilon"] == before and summary["privacy"]["discriminator_steps"] == 12


def test_explain_states_the_guarantee_and_what_it_leaves_out(capsys, private_run):
    code, out, err = cli(capsys, "explain", private_run)
    assert code == 0, err
    flat = " ".join(out.split())
    assert "Differential privacy: G, D, G's moving average and every row sampled from them are (2.000, 0.0001)" in flat
    assert "It does not cover:" in flat and "The number of rows" in flat and "--refine is refused" in flat


def test_sampling_keeps_no_training_row_and_refuses_refinement(capsys, private_run, tmp_path):
    code, out, err = cli(capsys, "sample", private_run, "-n", "50", "-o", tmp_path / "s.csv")
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "s.csv")) == 50
    from ganforge.training.checkpoint import load_checkpoint

    assert "row_hashes" not in load_checkpoint(private_run)[1]["encoder"]  # nothing to compare samples with
    assert_user_error(cli(capsys, "sample", private_run, "-n", "50", "-o", tmp_path / "r.csv", "--refine", "drs"),
                      "--refine drs calibrates D on real rows")


def test_a_seeded_dp_run_reproduces_and_a_weak_delta_is_warned(table):
    def fitted():
        with pytest.warns(DataWarning, match="not below 1 / rows"):
            return GAN(dp_epsilon=3.0, dp_delta=0.01, steps=6, seed=5, **API_SMALL).fit(table, progress=False)

    first, second = fitted(), fitted()
    pd.testing.assert_frame_equal(first.sample(40, seed=0), second.sample(40, seed=0))
    assert first.summary_["privacy"]["delta"] == 0.01 and first.summary_["privacy"]["delta_rule"] == "given"


@pytest.mark.parametrize("extra, needles", [
    (["--dp-epsilon", "0"], ["--dp-epsilon must be > 0"]),
    (["--dp-epsilon", "-1"], ["--dp-epsilon must be > 0"]),
    (["--dp-epsilon", "1", "--dp-delta", "0"], ["--dp-delta must be in (0, 1)"]),
    (["--dp-epsilon", "1", "--dp-delta", "1.5"], ["--dp-delta must be in (0, 1)"]),
    (["--dp-delta", "1e-5"], ["give --dp-epsilon too"]),
    (["--dp-epsilon", "1", "--model", "vae"], ["--model vae", "built for --model gan on tables"]),
    (["--dp-epsilon", "1", "--grid", "2x2"], ["--grid", "built for --model gan on tables"]),
    (["--dp-epsilon", "1", "--pack", "4"], ["--pack 4", "--pack 1"]),
    (["--dp-epsilon", "1", "--r1", "0.1"], ["--r1", "per-row gradients"]),
    (["--dp-epsilon", "1", "--loss", "wasserstein"], ["WGAN-GP's gradient penalty", "--loss hinge"]),
    (["--dp-epsilon", "1", "--stop-at-equilibrium"], ["--stop-at-equilibrium"]),
    (["--dp-epsilon", "1", "--batch-size", "400"], ["must not exceed the table's 300 rows"]),
])
def test_bad_dp_requests_are_one_line_and_leave_the_earlier_run(capsys, private_run, table_csv, extra, needles):
    before = (private_run / "summary.json").read_text()
    args = ["train", "--data", table_csv, "--out", private_run, "--overwrite", "--steps", "4", "-q", *extra]
    assert_user_error(cli(capsys, *args), *needles)
    assert (private_run / "summary.json").read_text() == before


def test_dp_on_data_that_is_not_a_table_says_where_it_is_built(capsys, tmp_path):
    assert_user_error(cli(capsys, "train", "--data", "ring8", "--out", tmp_path / "r", "--dp-epsilon", "1", "-q"),
                      "cannot train on toy data", "built for --model gan on tables")
