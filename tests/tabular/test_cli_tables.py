"""The command line on a CSV table: train, sample --where, evaluate --real; every bad input -> `error:`, exit 2."""

import json

import numpy as np
import pandas as pd
import pytest

from ganforge.cli import main
from cli_kit import assert_user_error, cli

TINY = ["--steps", "40", "--batch-size", "64", "--generator-hidden", "32,32", "--discriminator-hidden", "32,32",
        "--log-every", "20", "--eval-samples", "200", "-q"]




@pytest.fixture(scope="module")
def files(tmp_path_factory, make_table):
    root = tmp_path_factory.mktemp("table")
    table = make_table(500, seed=1)
    table.iloc[:400].to_csv(root / "train.csv", index=False)
    table.iloc[400:].to_csv(root / "test.csv", index=False)
    return root


@pytest.fixture(scope="module")
def run_dir(files):
    out = files / "run"
    with pytest.raises(SystemExit) as info:
        main(["train", "--data", str(files / "train.csv"), "--out", str(out), "--discrete", "count", *TINY])
    assert info.value.code == 0
    return out


def test_train_writes_a_table_run(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["steps"] == 40 and 0 <= summary["quality"] <= 1 and "column_shapes" in summary
    assert (run_dir / "report.html").is_file()


def test_sample_where_is_exact_and_typed(capsys, run_dir, tmp_path):
    target = tmp_path / "s.csv"
    code, out, err = cli(capsys, "sample", run_dir, "-n", "300", "--where", "label=1", "-o", target)
    assert code == 0, err
    rows = pd.read_csv(target)
    assert list(rows.columns) == ["bimodal", "count", "colour", "label", "site"] and len(rows) == 300
    assert (rows["label"] == 1).all() and rows["count"].dtype == np.int64


def test_evaluate_with_a_holdout(capsys, run_dir, files):
    code, out, err = cli(capsys, "evaluate", run_dir, "-n", "300", "--real", files / "test.csv")
    assert code == 0, err
    figures = json.loads((run_dir / "evaluation.json").read_text())
    for key in ["quality_score", "column_shapes", "column_pair_trends", "ml_f1_synthetic", "ml_f1_real",
                "dcr_synthetic_median", "dcr_holdout_median"]:
        assert 0 <= figures[key] <= 1 or key.startswith("dcr"), key
    assert figures["exact_copies"] == 0 and figures["ml_target"] == "label"
    audit = figures["membership_inference"]
    assert audit["members"] == audit["non_members"] == 100 and audit["synthetic_rows"] == 300  # the 100 test rows
    assert figures["membership_auc"] == max(audit["attacks"]["dcr"]["auc"], audit["attacks"]["domias"]["auc"])
    assert audit["verdict"] in out and "membership inference: 100 training rows vs 100 held-out" in out
    assert (run_dir / "plots" / "table_columns.png").is_file() and (run_dir / "plots" / "membership_roc.png").is_file()
    report = (run_dir / "report.html").read_text()
    assert "Table evaluation" in report and "Membership inference" in report and "density ratio (DOMIAS)" in report


def test_evaluate_without_a_holdout_says_why_there_is_no_audit(capsys, run_dir):
    code, out, err = cli(capsys, "evaluate", run_dir, "-n", "300")
    assert code == 0, err
    assert "no membership-inference audit: it needs held-out real rows (--real FILE" in out
    figures = json.loads((run_dir / "evaluation.json").read_text())
    assert "membership_auc" not in figures and "needs held-out real rows" in figures["membership_inference"]["verdict"]
    assert not (run_dir / "plots" / "membership_roc.png").exists()  # no curves of an earlier audit left behind


@pytest.mark.parametrize("text, needles", [
    ("", ["is empty"]),
    ("a,b\n", ["header but no rows"]),
    ("a,b\n1,x\n", ["single row"]),
    ("a,b\n1,\n2,\n3,\n", ["column 'b' is entirely missing"]),
    ("id,x\n" + "".join(f"u{i},{i % 3}\n" for i in range(120)), ["'id' looks like an identifier", "drop it"]),
])
def test_train_rejects_bad_tables(capsys, tmp_path, text, needles):
    data = tmp_path / "bad.csv"
    data.write_text(text)
    assert_user_error(cli(capsys, "train", "--data", data, "--out", tmp_path / "run", *TINY), *needles)
    assert not (tmp_path / "run").exists()


def test_train_rejects_an_unknown_discrete_column(capsys, files, tmp_path):
    assert_user_error(cli(capsys, "train", "--data", files / "train.csv", "--out", tmp_path / "run",
                          "--discrete", "colour,nope", *TINY), "'nope'", "not in the table")


@pytest.mark.parametrize("args, needles", [
    (["--where", "nope=1"], ["'nope' is not a column"]),
    (["--where", "label=7"], ["'7' is not a value of column 'label'", "known: 0, 1"]),
    (["--where", "label"], ["COLUMN=VALUE"]),
    (["--where", "bimodal=1"], ["'bimodal' is continuous"]),
])
def test_sample_rejects_bad_conditions(capsys, run_dir, tmp_path, args, needles):
    assert_user_error(cli(capsys, "sample", run_dir, "-n", "10", "-o", tmp_path / "x.csv", *args), *needles)
    assert not (tmp_path / "x.csv").exists()


def test_sample_of_a_table_needs_a_csv(capsys, run_dir, tmp_path):
    assert_user_error(cli(capsys, "sample", run_dir, "-n", "10", "-o", tmp_path / "x.npy"), ".csv")


def test_evaluate_rejects_bad_holdouts(capsys, run_dir, tmp_path):
    assert_user_error(cli(capsys, "evaluate", run_dir, "--real", tmp_path / "none.csv"), "no such file")
    (tmp_path / "other.csv").write_text("p,q\n1,2\n3,4\n")
    assert_user_error(cli(capsys, "evaluate", run_dir, "--real", tmp_path / "other.csv"), "lacks column 'bimodal'")
    assert_user_error(cli(capsys, "evaluate", run_dir, "--target", "nope"), "--target 'nope' is not a column")
    assert_user_error(cli(capsys, "evaluate", run_dir, "-n", "5"), "too few rows to score a table")
