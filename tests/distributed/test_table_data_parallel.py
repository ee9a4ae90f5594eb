"""Data-parallel training on a table under torchrun: each process on its own shard of the rows."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pandas as pd
import torch

import ganforge
from ganforge.training import checkpoint as ckpt


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(args: list[str]) -> subprocess.CompletedProcess:
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                f"--master_port={_free_port()}", "-m", "ganforge"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(launcher + args, capture_output=True, text=True, timeout=180, env=env)


def test_two_processes_on_a_table_repeat_for_a_seed(tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"amount": np.where(rng.random(n) < 0.6, 0.0, rng.gamma(2, 10, n).round(1)),
                          "kind": rng.choice(["a", "b", "c"], n), "flag": rng.random(n) < 0.3})
    data = tmp_path / "t.csv"
    frame.to_csv(data, index=False)
    flags = ["--data", str(data), "--steps", "12", "--log-every", "6", "--batch-size", "64", "--quiet"]
    runs = []
    for name in ("first", "second"):
        result = _torchrun(["train", "--out", str(tmp_path / name)] + flags)
        assert result.returncode == 0, result.stderr[-2000:]
        runs.append(ckpt.load_checkpoint(tmp_path / name)[0])
    first, second = runs
    weights = [k for k in first if k.startswith("generator")]
    assert weights and all(torch.equal(first[k], second[k]) for k in weights)
    summary = json.loads((tmp_path / "first" / "summary.json").read_text())
    assert summary["steps"] == 12
    rows = ganforge.load(tmp_path / "first").sample(20, seed=0, allow_copies=True)
    assert list(rows.columns) == ["amount", "kind", "flag"] and len(rows) == 20


def test_a_shard_draws_only_its_own_rows():
    from ganforge.config import TrainConfig
    from ganforge.data.tabular import table_dataset
    from ganforge.training.batches import batch_source, split_batch
    from ganforge.training.state import new_run

    n = 400
    frame = pd.DataFrame({"parity": ["even", "odd"] * (n // 2), "x": np.arange(n) % 7 * 1.5})
    run = new_run(TrainConfig.from_dict({"batch_size": 64}), table_dataset(frame, "t"))
    run.shard = (1, 2)  # the second of two processes: rows 1, 3, 5, ...
    x, condition, _ = split_batch(batch_source(run, 64)())
    assert x.shape[0] == 32
    assert (run.encoder.inverse_transform(x)["parity"] == "odd").all()
