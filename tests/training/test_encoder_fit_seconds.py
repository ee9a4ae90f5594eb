"""The encoder's fit: announced on the progress output for a table, its seconds in summary.json, kept by --resume."""

import json

from cli_kit import cli

TINY = ["--batch-size", "64", "--generator-hidden", "32,32", "--discriminator-hidden", "32,32",
        "--log-every", "10", "--eval-samples", "200"]


def test_a_table_run_reports_its_encoder_fit(capsys, tmp_path):
    (tmp_path / "t.csv").write_text("size,kind\n" + "".join(f"{i * 0.37:.2f},{'ab'[i % 2]}\n" for i in range(300)))
    code, out, err = cli(capsys, "train", "--data", tmp_path / "t.csv", "--out", tmp_path / "run", "--steps", "20", *TINY)
    assert code == 0, err
    line = next(line for line in err.splitlines() if line.startswith("fitting the table encoder"))
    assert line.startswith("fitting the table encoder (2 columns, 300 rows)...") and line.endswith(" s")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["encoder_fit_seconds"] > 0
    assert abs(summary["encoder_fit_seconds"] - float(line.split("...")[1][:-2])) < 0.06  # the same figure, rounded

    code, out, err = cli(capsys, "train", "--out", tmp_path / "run", "--resume", "--steps", "30", "-q")
    assert code == 0, err
    resumed = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert resumed["steps"] == 30 and resumed["encoder_fit_seconds"] == summary["encoder_fit_seconds"]


def test_every_run_has_the_key_and_no_progress_prints_nothing(capsys):
    from ganforge.api import GAN

    gan = GAN(steps=5, log_every=5).fit("ring8", progress=False)
    assert isinstance(gan.summary_["encoder_fit_seconds"], float) and gan.summary_["encoder_fit_seconds"] >= 0
    assert "fitting" not in capsys.readouterr().err
