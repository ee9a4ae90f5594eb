"""Co-evolution and data-parallel runs end to end: torchrun with 2 gloo processes, N=1 vs N=2, resume, errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import ganforge
from ganforge.training import checkpoint as ckpt
from ganforge.launch import train
from ganforge.config import TrainConfig

TINY = {"data": "ring8", "grid": "2x2", "generations": 8, "batches_per_generation": 2, "batch_size": 32,
        "generator_hidden": [16, 16], "discriminator_hidden": [16, 16], "eval_samples": 200, "seed": 3}


def _flags(options: dict) -> list[str]:
    flags = []
    for key, value in options.items():
        flags += [f"--{key.replace('_', '-')}", ",".join(map(str, value)) if isinstance(value, list) else str(value)]
    return flags


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ganforge(args: list[str], processes: int = 0, **kwargs) -> subprocess.CompletedProcess:
    """`python -m ganforge ARGS`, or under torchrun with `processes` gloo workers."""
    launcher = [sys.executable, "-m", "ganforge"]
    if processes:
        launcher = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={processes}",
                    f"--master_port={_free_port()}", "-m", "ganforge"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(launcher + args, capture_output=True, text=True, timeout=120, env=env, **kwargs)


def _main(args: list[str]) -> int:
    """The CLI in this process; its exit status."""
    from ganforge.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(args)
    return exit_.value.code


def _grid_tensors(run_dir: Path) -> dict[str, torch.Tensor]:
    tensors, _ = ckpt.load_checkpoint(run_dir)
    return {k: v for k, v in tensors.items() if k.startswith("grid.") or k.startswith("mixture.")}


@pytest.fixture(scope="module")
def one_process(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("grid") / "n1"
    train(TrainConfig.from_dict(TINY), out=out, progress=False)
    return out


def test_a_grid_run_writes_the_run_directory_with_its_mixture(one_process):
    summary = json.loads((one_process / "summary.json").read_text())
    for key in ("steps", "wall_seconds", "steps_per_second", "stopped_because", "diagnostics", "modes_covered",
                "high_quality_fraction", "js_divergence", "generations", "mixture", "cells"):
        assert key in summary
    assert summary["generations"] == 8 and summary["steps"] == 16 and summary["grid"] == "2x2"
    weights = summary["mixture"]["weights"]
    assert len(weights) == 3 and min(weights) >= 0 and abs(sum(weights) - 1) < 1e-9  # 2x2: 3 neighbours
    assert summary["mixture"]["cells"][0] == summary["mixture"]["cell"]
    assert len(summary["cells"]) == 4
    records = [json.loads(line) for line in (one_process / "metrics.jsonl").read_text().splitlines()]
    assert [r["generation"] for r in records] == list(range(1, 9))
    assert (one_process / "report.html").is_file() and (one_process / "config.yaml").is_file()


def test_sampling_a_grid_run_draws_from_the_best_mixture(one_process, tmp_path):
    gan = ganforge.load(one_process)
    assert list(gan.run_.model.weights) == pytest.approx(
        json.loads((one_process / "summary.json").read_text())["mixture"]["weights"])
    points = gan.sample(500, seed=1)
    assert points.shape == (500, 2) and np.isfinite(points).all()
    assert (gan.sample(50, seed=4) == gan.sample(50, seed=4)).all()
    assert _main(["sample", str(one_process), "-n", "100", "-o", str(tmp_path / "s.csv")]) == 0
    assert len((tmp_path / "s.csv").read_text().splitlines()) >= 100


def test_torchrun_with_two_processes_gives_the_one_process_result(one_process, tmp_path):
    out = tmp_path / "n2"
    result = _ganforge(["train", "--out", str(out), "--quiet"] + _flags(TINY), processes=2)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((out / "summary.json").read_text())["processes"] == 2
    one, two = _grid_tensors(one_process), _grid_tensors(out)
    assert one.keys() == two.keys()
    for key in one:
        torch.testing.assert_close(one[key], two[key], rtol=1e-5, atol=1e-6)


def test_resume_after_a_kill_between_generations_continues_to_the_same_result(one_process, tmp_path):
    # The same run as the fixture but asked for 1,000 generations, killed after its second, then
    # resumed to the fixture's 8: it must end where the uninterrupted run ended.
    killed = tmp_path / "killed"
    launcher = ([sys.executable, "-m", "ganforge", "train", "--out", str(killed), "--quiet"]
                + _flags({**TINY, "generations": 1000}))
    process = subprocess.Popen(launcher, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    metrics = killed / "metrics.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and (not metrics.exists() or len(metrics.read_text().splitlines()) < 2):
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)  # no chance to save: the last complete generation's checkpoint stays
    process.wait()
    _, state = ckpt.load_checkpoint(killed)
    assert 1 <= state["grid"]["generation"] < TINY["generations"]

    assert _main(["train", "--out", str(killed), "--resume", "--quiet", "--generations", "8"]) == 0
    summary = json.loads((killed / "summary.json").read_text())
    assert summary["generations"] == 8
    generations = [json.loads(line)["generation"] for line in metrics.read_text().splitlines()]
    assert generations == list(range(1, 9))  # no record lost or repeated
    one, two = _grid_tensors(one_process), _grid_tensors(killed)
    assert "grid.generator_adam" in one and "grid.generator_ema" in one  # the centres' Adam state and G average
    assert one.keys() == two.keys()
    for key in one:
        torch.testing.assert_close(one[key], two[key], rtol=1e-5, atol=1e-6)


def test_population_training_trains_every_offspring_and_keeps_no_adam_state(tmp_path):
    out = tmp_path / "population"
    options = {**TINY, "generations": 2, "cell_training": "population"}
    train(TrainConfig.from_dict(options), out=out, progress=False)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["generations"] == 2 and abs(sum(summary["mixture"]["weights"]) - 1) < 1e-9
    assert "grid.generator_adam" not in _grid_tensors(out)


def test_torchrun_without_grid_trains_one_gan_data_parallel(tmp_path):
    out = tmp_path / "ddp"
    options = {"data": "ring8", "steps": 20, "log_every": 10, "batch_size": 64, "eval_samples": 200,
               "generator_hidden": [16], "discriminator_hidden": [16]}
    result = _ganforge(["train", "--out", str(out), "--quiet"] + _flags(options), processes=2)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 20 and summary["stopped_because"] == "steps"
    assert ganforge.load(out).sample(10, seed=0).shape == (10, 2)


@pytest.mark.parametrize("flags, message", [
    (["--grid", "0x3"], "--grid"),
    (["--grid", "abc"], "--grid"),
    (["--grid", "2x2", "--tournament-size", "0"], "--tournament-size"),
    (["--grid", "2x2", "--data-fraction", "0"], "--data-fraction"),
    (["--grid", "2x2", "--mutation-probability", "1.5"], "--mutation-probability"),
    (["--grid", "2x2", "--cell-loss", "sometimes"], "--cell-loss"),
    (["--grid", "2x2", "--cell-training", "everyone"], "--cell-training"),
    (["--grid", "2x2", "--model", "vae"], "--grid"),
])
def test_bad_options_are_one_error_line_and_exit_2(tmp_path, capsys, flags, message):
    assert _main(["train", "--data", "ring8", "--out", str(tmp_path / "bad")] + flags) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith("error: ") and message in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()


def test_more_processes_than_cells_is_refused(tmp_path, capsys, monkeypatch):
    # As torchrun's first worker sees it (the check comes before joining the process group).
    for key, value in {"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0"}.items():
        monkeypatch.setenv(key, value)
    assert _main(["train", "--data", "ring8", "--out", str(tmp_path / "few"), "--grid", "1x1"]) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith("error: --grid 1x1 has 1 cell but torchrun started 2 processes")
    assert len(stderr.strip().splitlines()) == 1
