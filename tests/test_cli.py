"""Tests for the command line: one `error:` line and exit 2 for every user mistake, and a tiny real run."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from ganforge.cli import main
from ganforge.config import TrainConfig
from cli_kit import assert_user_error, cli

TINY = ["--steps", "20", "--log-every", "10", "--eval-samples", "200", "--generator-hidden", "16",
        "--discriminator-hidden", "16", "--batch-size", "32", "-q"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SUMMARY_KEYS = {"steps", "wall_seconds", "steps_per_second", "stopped_because", "diagnostics",
                "modes_covered", "modes_total", "high_quality_fraction", "reverse_kl", "js_divergence"}




def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` with its bytes, to show nothing was written over."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A tiny finished run, shared; tests that change it work on a copy."""
    out = tmp_path_factory.mktemp("runs") / "tiny"
    code = None
    try:
        main(["train", "--data", "ring8", "--out", str(out), "--seed", "3", *TINY])
    except SystemExit as exc:
        code = exc.code
    assert code == 0
    return out


@pytest.fixture
def run_copy(run_dir, tmp_path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    return copy


# --- user mistakes in `train` -------------------------------------------------------------------

@pytest.mark.parametrize("args, needles", [
    (["--data", "ring9"], ["unknown dataset 'ring9'", "ring8"]),
    (["--model", "transformer"], ["unknown model 'transformer'", "gan"]),
    (["--loss", "l1"], ["unknown loss 'l1'", "non-saturating"]),
    (["--data", "no/such/file.csv"], ["does not exist"]),
    (["--steps", "0"], ["--steps must be > 0, got 0"]),
    (["--steps", "-3"], ["--steps must be > 0"]),
    (["--lr-generator", "0"], ["--lr-generator must be > 0"]),
    (["--lr-discriminator", "nan"], ["--lr-discriminator must be a finite number"]),
    (["--batch-size", "0"], ["--batch-size must be > 0"]),
    (["--generator-hidden", "a,b"], ["generator_hidden", "'a,b'"]),
    (["--label-smoothing", "0.7"], ["--label-smoothing must be in"]),
    (["--loss", "hinge", "--label-smoothing", "0.1"], ["--label-smoothing", "hinge"]),
    (["--pack", "3"], ["must be a multiple of --pack (3)"]),
    (["--steps", "abc"], ["--steps"]),  # click's own parse error
    (["--steps", "1.5"], ["--steps"]),
    (["--bogus-option", "1"], ["--bogus-option"]),
])
def test_train_rejects_bad_input_with_one_line_and_writes_nothing(capsys, tmp_path, args, needles):
    out = tmp_path / "run"
    base = {"--data": "ring8", "--steps": "20"}
    merged = [*[x for k, v in base.items() if k not in args for x in (k, v)], *args]
    assert_user_error(cli(capsys, "train", "--out", out, *merged, "--log-every", "10", "-q"), *needles)
    assert not out.exists()


@pytest.mark.parametrize("name, text, needles", [
    ("empty.csv", "", ["is empty"]),
    # Without a header row a CSV is points (with one it is a table: tests/tabular/).
    ("words.csv", "1,2\n3,abc\n", ["non-numeric value 'abc'", "row 2", "column 2"]),
    ("holes.csv", "1,2\n3,nan\n", ["NaN", "row 2, column 2"]),
    ("single.csv", "1,2\n", ["single point"]),
    ("points.txt", "1,2\n3,4\n", ["unsupported type '.txt'"]),
])
def test_train_rejects_a_bad_points_file(capsys, tmp_path, name, text, needles):
    data, out = tmp_path / name, tmp_path / "run"
    data.write_text(text)
    assert_user_error(cli(capsys, "train", "--data", data, "--out", out, *TINY), *needles)
    assert not out.exists()


def test_train_rejects_a_folder_as_data(capsys, tmp_path):
    assert_user_error(cli(capsys, "train", "--data", tmp_path, "--out", tmp_path / "run", *TINY), "folder")


def test_train_needs_out(capsys):
    assert_user_error(cli(capsys, "train", "--data", "ring8"), "--out")


@pytest.mark.parametrize("text, needles", [
    ("steps: [1, 2\n", ["not valid YAML"]),
    ("steps: 20\nlearning_rate: 0.1\n", ["unknown key 'learning_rate'"]),
    ("- steps\n- 20\n", ["must hold a mapping"]),
    ("steps: twenty\n", ["steps must be int", "'twenty'"]),
    ("steps: .nan\n", ["steps must be int"]),
    ("steps: 0\n", ["--steps must be > 0"]),
])
def test_train_rejects_a_bad_config_file(capsys, tmp_path, text, needles):
    config, out = tmp_path / "run.yaml", tmp_path / "run"
    config.write_text(text)
    assert_user_error(cli(capsys, "train", "--data", "ring8", "--out", out, "--config", config), *needles)
    assert not out.exists()


def test_train_rejects_an_unreadable_config_file(capsys, tmp_path):
    assert_user_error(cli(capsys, "train", "--out", tmp_path / "run", "--config", tmp_path / "none.yaml"),
                      "cannot read config file", "none.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00\x01steps")
    assert_user_error(cli(capsys, "train", "--out", tmp_path / "run", "--config", binary), "binary.yaml")


def test_out_holding_another_run_is_left_untouched(capsys, run_copy):
    before = snapshot(run_copy)
    err = assert_user_error(cli(capsys, "train", "--data", "grid25", "--out", run_copy, *TINY), "holds another run")
    assert "--resume" in err and "--overwrite" in err
    assert snapshot(run_copy) == before


def test_overwrite_with_bad_input_keeps_the_old_run(capsys, run_copy):
    before = snapshot(run_copy)
    assert_user_error(cli(capsys, "train", "--data", "ring9", "--out", run_copy, "--overwrite", *TINY), "ring9")
    assert_user_error(cli(capsys, "train", "--out", run_copy, "--overwrite", "--loss", "l1", *TINY), "l1")
    assert snapshot(run_copy) == before


def test_out_that_is_a_file(capsys, tmp_path):
    target = tmp_path / "run"
    target.write_text("mine")
    assert_user_error(cli(capsys, "train", "--out", target, *TINY), "is a file")
    assert target.read_text() == "mine"


# --- --resume -----------------------------------------------------------------------------------

def test_resume_without_a_checkpoint(capsys, tmp_path):
    assert_user_error(cli(capsys, "train", "--out", tmp_path, "--resume"), "no checkpoint")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("extra, named", [
    (["--loss", "hinge"], "--loss"), (["--batch-size", "64"], "--batch-size"),
    (["--overwrite"], "--overwrite"), (["--config", "x.yaml"], "--config"), (["--seed", "1"], "--seed"),
])
def test_resume_refuses_options_other_than_steps_and_device(capsys, run_copy, extra, named):
    before = snapshot(run_copy)
    err = assert_user_error(cli(capsys, "train", "--out", run_copy, "--resume", "--steps", "30", *extra),
                            f"drop {named}")
    assert "--steps" in err and "--device" in err
    assert snapshot(run_copy) == before


def test_resume_continues_to_the_new_step_count(capsys, run_copy):
    code, _, err = cli(capsys, "train", "--out", run_copy, "--resume", "--steps", "30", "-q")
    assert code == 0, err
    summary = json.loads((run_copy / "summary.json").read_text())
    assert summary["steps"] == 30 and summary["stopped_because"] == "steps"
    steps = [json.loads(line)["step"] for line in (run_copy / "metrics.jsonl").read_text().splitlines()]
    assert steps == [10, 20, 30]
    assert yaml.safe_load((run_copy / "config.yaml").read_text())["steps"] == 30


def garble(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "header":
        path.write_bytes(data[:8] + b"#" * 40 + data[48:])
    elif how == "empty":
        path.write_bytes(b"")
    else:
        path.write_text("this is not a checkpoint")


@pytest.mark.parametrize("how", ["truncate", "header", "empty", "text"])
def test_corrupted_checkpoint_is_a_user_error(capsys, run_copy, tmp_path, how):
    garble(run_copy / "checkpoint" / "last.safetensors", how)
    before = snapshot(run_copy)
    assert_user_error(cli(capsys, "sample", run_copy, "-n", "10", "-o", tmp_path / "x.csv"),
                      "corrupted or unreadable", "last.safetensors")
    assert not (tmp_path / "x.csv").exists()
    assert_user_error(cli(capsys, "train", "--out", run_copy, "--resume", "--steps", "30", "-q"),
                      "corrupted or unreadable")
    assert_user_error(cli(capsys, "evaluate", run_copy), "corrupted or unreadable")
    assert snapshot(run_copy) == before


# --- sample and evaluate ------------------------------------------------------------------------

def test_sample_bad_arguments(capsys, run_dir, tmp_path):
    assert_user_error(cli(capsys, "sample", run_dir, "-n", "10", "-o", tmp_path / "x.txt"), ".csv, .parquet, .npy or .png")
    assert_user_error(cli(capsys, "sample", run_dir, "-n", "0", "-o", tmp_path / "x.csv"), "-n must be > 0")
    assert_user_error(cli(capsys, "sample", run_dir, "-n", "-4", "-o", tmp_path / "x.csv"), "-n must be > 0")
    assert_user_error(cli(capsys, "sample", run_dir, "-n", "ten", "-o", tmp_path / "x.csv"), "-n")
    assert_user_error(cli(capsys, "sample", run_dir, "-n", "5", "-o", tmp_path / "no" / "x.csv"), "does not exist")
    assert_user_error(cli(capsys, "sample", tmp_path / "nowhere", "-n", "5", "-o", tmp_path / "x.csv"),
                      "no checkpoint")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_sample_does_not_overwrite_without_being_asked(capsys, run_dir, tmp_path):
    target = tmp_path / "x.csv"
    target.write_text("keep me")
    assert_user_error(cli(capsys, "sample", run_dir, "-n", "5", "-o", target), "--overwrite")
    assert target.read_text() == "keep me"
    assert cli(capsys, "sample", run_dir, "-n", "5", "-o", target, "--overwrite")[0] == 0
    assert len(pd.read_csv(target)) == 5


def test_evaluate_bad_arguments(capsys, tmp_path, run_dir):
    assert_user_error(cli(capsys, "evaluate", tmp_path), "no checkpoint")
    assert_user_error(cli(capsys, "evaluate", run_dir, "-n", "0"), "-n must be > 0")


# --- the happy path -----------------------------------------------------------------------------

def test_run_directory_holds_everything_the_design_promises(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {"config.yaml", "metrics.jsonl", "summary.json", "checkpoint", "plots", "report.html"} <= names
    assert (run_dir / "checkpoint" / "last.safetensors").stat().st_size > 0
    assert not list(run_dir.rglob("*.tmp"))
    plots = sorted((run_dir / "plots").glob("*.png"))
    assert plots and all(p.read_bytes().startswith(PNG_MAGIC) for p in plots)
    assert "<html" in (run_dir / "report.html").read_text().lower()


def test_summary_has_the_promised_keys(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert summary["steps"] == 20 and summary["stopped_because"] == "steps"
    assert summary["modes_total"] == 8 and 0 <= summary["modes_covered"] <= 8
    assert 0 <= summary["high_quality_fraction"] <= 1
    assert 0 <= summary["js_divergence"] <= np.log(2) + 1e-9  # JS is at most log 2
    assert summary["wall_seconds"] > 0 and summary["steps_per_second"] > 0
    assert isinstance(summary["diagnostics"], list)
    for item in summary["diagnostics"]:
        assert {"step", "kind", "message"} <= set(item)


def test_metrics_log_has_one_record_per_interval(run_dir):
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [10, 20]
    assert all(0 <= r["d_acc"] <= 1 for r in records)


def test_config_yaml_is_the_resolved_configuration(run_dir):
    config = TrainConfig.from_yaml(run_dir / "config.yaml")
    assert (config.data, config.steps, config.batch_size, config.seed) == ("ring8", 20, 32, 3)
    assert config.generator_hidden == [16] and config.discriminator_hidden == [16]
    assert config.loss == TrainConfig().loss  # untouched options keep their defaults


def test_sample_to_csv(capsys, run_dir, tmp_path):
    code, out, err = cli(capsys, "sample", run_dir, "-n", "100", "-o", tmp_path / "x.csv")
    assert code == 0 and err == "" and "wrote 100 samples" in out
    frame = pd.read_csv(tmp_path / "x.csv")
    assert frame.shape == (100, 2) and list(frame.columns) == ["x0", "x1"]
    assert np.isfinite(frame.to_numpy()).all()


def test_sample_to_npy_is_seeded(capsys, run_dir, tmp_path):
    for name, seed in [("a.npy", 0), ("b.npy", 0), ("c.npy", 1)]:
        assert cli(capsys, "sample", run_dir, "-n", "100", "-o", tmp_path / name, "--seed", seed)[0] == 0
    a, b, c = (np.load(tmp_path / n) for n in ("a.npy", "b.npy", "c.npy"))
    assert a.shape == (100, 2) and np.array_equal(a, b) and not np.array_equal(a, c)
    csv = tmp_path / "a.csv"
    cli(capsys, "sample", run_dir, "-n", "100", "-o", csv)
    assert np.allclose(pd.read_csv(csv).to_numpy(), a, atol=1e-6)  # same samples, whatever the format


def test_sample_to_png(capsys, run_dir, tmp_path):
    assert cli(capsys, "sample", run_dir, "-n", "100", "-o", tmp_path / "x.png")[0] == 0
    assert (tmp_path / "x.png").read_bytes().startswith(PNG_MAGIC)
    with Image.open(tmp_path / "x.png") as image:
        image.verify()


def test_evaluate_writes_evaluation_json(capsys, run_copy):
    code, out, _ = cli(capsys, "evaluate", run_copy, "-n", "300")
    assert code == 0 and "modes_covered" in out
    figures = json.loads((run_copy / "evaluation.json").read_text())
    assert figures["samples"] == 300
    assert {"modes_covered", "modes_total", "high_quality_fraction", "reverse_kl", "js_divergence"} <= set(figures)


def test_config_file_values_are_used_and_flags_win(capsys, tmp_path):
    config, out = tmp_path / "run.yaml", tmp_path / "run"
    config.write_text("data: grid25\nsteps: 40\nbatch-size: 16\ngenerator_hidden: 16\n"
                      "discriminator_hidden: '8,8'\nlog_every: 6\neval_samples: 200\nseed: 5\n")
    code, _, err = cli(capsys, "train", "--out", out, "--config", config, "--steps", "12", "--seed", "7", "-q")
    assert code == 0, err
    resolved = TrainConfig.from_yaml(out / "config.yaml")
    assert (resolved.data, resolved.batch_size, resolved.log_every) == ("grid25", 16, 6)  # from the file
    assert resolved.generator_hidden == [16] and resolved.discriminator_hidden == [8, 8]
    assert (resolved.steps, resolved.seed) == (12, 7)  # the flags win
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 12 and summary["modes_total"] == 25


def test_points_file_run_can_be_evaluated_from_another_directory(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = np.random.default_rng(0).normal([5.0, -3.0], [1.0, 0.5], size=(200, 2))
    pd.DataFrame(rows, columns=["a", "b"]).to_csv("points.csv", index=False, header=False)  # no header: points
    code, _, err = cli(capsys, "train", "--data", "points.csv", "--out", "run", *TINY)
    assert code == 0, err
    summary = json.loads(Path("run/summary.json").read_text())
    assert summary["steps"] == 20 and "js_divergence" in summary and "modes_total" not in summary
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    code, _, err = cli(capsys, "evaluate", "../run", "-n", "200")
    assert code == 0, err
    assert json.loads((tmp_path / "run" / "evaluation.json").read_text())["samples"] == 200


# --- listing and help ---------------------------------------------------------------------------

def test_datasets_lists_the_builtins(capsys):
    code, out, _ = cli(capsys, "datasets")
    assert code == 0 and "ring8" in out and "grid25" in out


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["sample", "--help"], []])
def test_help_exits_zero(capsys, args):
    code, out, err = cli(capsys, *args)
    assert code == 0 and "Usage" in out and "error" not in err
    if args[:1] == ["train"]:
        assert "--steps" in out and "--lr-generator" in out


# --- the installed command, end to end ----------------------------------------------------------

def ganforge(*args, cwd: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("ganforge")
    return subprocess.run([str(script), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_installed_command_reports_a_user_error_without_traceback(tmp_path):
    result = ganforge("train", "--data", "ring9", "--out", "run", "--steps", "5", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown dataset 'ring9'") and result.stderr.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_installed_command_samples_a_run(tmp_path, run_dir):
    result = ganforge("sample", run_dir, "-n", "50", "-o", "x.npy", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert np.load(tmp_path / "x.npy").shape == (50, 2)
