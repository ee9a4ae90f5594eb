"""Training runs end to end: resume equivalence, Ctrl-C, equilibrium stop, divergence, run directory."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from ganforge.config import TrainConfig
from ganforge.training.run import train

TINY = dict(generator_hidden=[32, 32], discriminator_hidden=[32, 32], batch_size=64,
            eval_samples=400, log_every=50)


def weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return load_file(str(run_dir / "checkpoint" / "last.safetensors"))


def test_stopped_and_resumed_run_ends_with_the_same_weights(tmp_path):
    whole, split = tmp_path / "whole", tmp_path / "split"
    train(TrainConfig(steps=200, checkpoint_every=100, **TINY), out=whole, progress=False)
    train(TrainConfig(steps=100, **TINY), out=split, progress=False)
    train(None, out=split, resume=True, progress=False, steps=200)
    a, b = weights(whole), weights(split)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # The metrics log continues where it stopped: one record per interval, no duplicates.
    steps = [json.loads(line)["step"] for line in (split / "metrics.jsonl").read_text().splitlines()]
    assert steps == [50, 100, 150, 200]


def test_resume_drops_records_written_after_the_checkpoint(tmp_path):
    out = tmp_path / "run"
    train(TrainConfig(steps=200, checkpoint_every=100, **TINY), out=out, progress=False)
    # Pretend the run was killed at step 150: the checkpoint of step 100 is the last good one.
    train(TrainConfig(steps=100, **TINY), out=tmp_path / "r100", progress=False)
    tensors_100 = (tmp_path / "r100" / "checkpoint" / "last.safetensors").read_bytes()
    (out / "checkpoint" / "last.safetensors").write_bytes(tensors_100)
    run = train(None, out=out, resume=True, progress=False, steps=200)
    assert [r["step"] for r in run.records] == [50, 100, 150, 200]
    assert run.summary["steps"] == 200


def test_equilibrium_rule_stops_the_run(tmp_path):
    # The source's rule: stop once D's accuracy stays within 0.5 +- 0.1 for 3 log records.
    config = TrainConfig(steps=2000, stop_at_equilibrium=True, equilibrium_tolerance=0.1,
                         equilibrium_window=3, **{**TINY, "log_every": 20})
    run = train(config, out=tmp_path / "eq", progress=False)
    summary = json.loads((tmp_path / "eq" / "summary.json").read_text())
    assert summary["stopped_because"] == "equilibrium"
    assert summary["steps"] < 2000
    accuracies = [r["d_acc"] for r in run.records]
    assert all(abs(a - 0.5) <= 0.1 for a in accuracies[-3:])
    # It did not fire earlier: no earlier window of 3 was inside the band.
    assert not any(all(abs(a - 0.5) <= 0.1 for a in accuracies[i:i + 3]) for i in range(len(accuracies) - 3))


def test_run_directory_holds_what_the_contract_promises(tmp_path):
    out = tmp_path / "run"
    train(TrainConfig(steps=100, **TINY), out=out, progress=False)
    for name in ("config.yaml", "metrics.jsonl", "summary.json", "checkpoint/last.safetensors",
                 "report.html", "plots/losses.png", "plots/d_accuracy.png", "plots/samples.png"):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    for key in ("steps", "wall_seconds", "steps_per_second", "stopped_because", "diagnostics",
                "modes_covered", "modes_total", "high_quality_fraction", "reverse_kl", "js_divergence"):
        assert key in summary, key
    record = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    for key in ("loss_d", "loss_g", "d_acc_real", "d_acc_fake", "d_acc", "d_real_mean", "d_fake_mean",
                "grad_norm_d", "grad_norm_g", "modes_covered", "high_quality_fraction"):
        assert key in record, key
    assert record["grad_norm_d"] > 0 and record["grad_norm_g"] > 0


def test_diverging_run_never_saves_nan_weights(tmp_path):
    # An absurd learning rate sends the weights to inf/NaN within a few steps.
    bad = TrainConfig(steps=300, lr_generator=1e30, lr_discriminator=1e30, beta1=0.0, **TINY)
    run = train(bad, out=tmp_path / "run", progress=False)
    assert run.summary["stopped_because"] == "divergence"
    path = tmp_path / "run" / "checkpoint" / "last.safetensors"
    if path.exists():
        assert all(torch.isfinite(t).all() for t in weights(tmp_path / "run").values() if t.dtype.is_floating_point)


def test_ctrl_c_saves_a_checkpoint_that_resumes(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "ganforge", "train", "--data", "ring8", "--out", str(out),
               "--steps", "1000000", "--generator-hidden", "16", "--discriminator-hidden", "16",
               "--batch-size", "32", "--eval-samples", "200", "--log-every", "50", "-q"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (out / "metrics.jsonl").exists() and time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in err and "--resume" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped_because"] == "interrupted"
    assert 0 < summary["steps"] < 1000000
    run = train(None, out=out, resume=True, progress=False, steps=summary["steps"] + 50)
    assert run.summary["steps"] == summary["steps"] + 50
