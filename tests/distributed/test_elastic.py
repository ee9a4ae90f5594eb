"""torchrun's bad days: a SIGKILLed worker restarted or resumed ends as if never killed; a user error is one line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ganforge.config import TrainConfig
from ganforge.training import checkpoint as ckpt
from ganforge.launch import train

GRID = {"data": "ring8", "grid": "2x2", "generations": 8, "batches_per_generation": 2, "batch_size": 32,
        "generator_hidden": [16, 16], "discriminator_hidden": [16, 16], "eval_samples": 200, "seed": 3}
DDP = {"data": "ring8", "steps": 40, "log_every": 10, "checkpoint_every": 10, "batch_size": 64,
       "eval_samples": 200, "generator_hidden": [16], "discriminator_hidden": [16], "seed": 5}


def _flags(options: dict) -> list[str]:
    flags = []
    for key, value in options.items():
        flags += [f"--{key.replace('_', '-')}", ",".join(map(str, value)) if isinstance(value, list) else str(value)]
    return flags


def _torchrun(args: list[str], restarts: int = 0, processes: int = 2) -> subprocess.Popen:
    """`torchrun --standalone --nproc-per-node=N [--max-restarts=R] -m ganforge ARGS`, started."""
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
                f"--max_restarts={restarts}", "--monitor_interval=0.1", "-m", "ganforge"]
    return subprocess.Popen(launcher + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})


def _finish(process: subprocess.Popen) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=150)
    return process.returncode, stderr


def _worker(launcher: subprocess.Popen, rank: int) -> int:
    """The pid of torchrun's worker of this rank (its child whose environment says RANK=rank)."""
    deadline = time.time() + 60
    while time.time() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                environ = (entry / "environ").read_bytes().split(b"\0")
            except (OSError, IndexError, ValueError):
                continue
            if ppid == launcher.pid and f"RANK={rank}".encode() in environ:
                return int(entry.name)
        time.sleep(0.05)
    raise AssertionError(f"torchrun started no worker of rank {rank}")


def _kill_after(launcher: subprocess.Popen, out: Path, records: int) -> int:
    """SIGKILLs rank 1 once `records` lines are in metrics.jsonl; the checkpoint's progress then."""
    metrics = out / "metrics.jsonl"
    victim = _worker(launcher, 1)
    deadline = time.time() + 120
    while time.time() < deadline and (not metrics.exists() or len(metrics.read_text().splitlines()) < records):
        time.sleep(0.005)
    os.kill(victim, signal.SIGKILL)  # no chance to save: the last complete checkpoint stays
    _, state = ckpt.load_checkpoint(out)
    return state["grid"]["generation"] if "grid" in state else state["step"]


def _tensors(run_dir: Path, prefixes: tuple[str, ...]) -> dict[str, torch.Tensor]:
    tensors, _ = ckpt.load_checkpoint(run_dir)
    return {k: v for k, v in tensors.items() if k.startswith(prefixes)}


def _assert_identical(one: dict[str, torch.Tensor], two: dict[str, torch.Tensor]) -> None:
    assert one and one.keys() == two.keys()
    for key in one:
        assert torch.equal(one[key], two[key]), key


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("elastic") / "grid"
    train(TrainConfig.from_dict(GRID), out=out, progress=False)
    return out


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("elastic") / "ddp"
    code, stderr = _finish(_torchrun(["train", "--out", str(out), "--quiet"] + _flags(DDP)))
    assert code == 0, stderr[-6000:]
    return out


def test_a_killed_grid_worker_is_restarted_and_the_grid_ends_as_if_never_killed(grid_run, tmp_path):
    out = tmp_path / "grid"
    launcher = _torchrun(["train", "--out", str(out), "--quiet"] + _flags(GRID), restarts=1)
    killed_at = _kill_after(launcher, out, records=2)
    code, stderr = _finish(launcher)
    assert code == 0, stderr[-6000:]
    assert 1 <= killed_at < GRID["generations"]  # it was killed mid-run, so the restart resumed it
    summary = json.loads((out / "summary.json").read_text())
    assert summary["generations"] == GRID["generations"] and summary["processes"] == 2
    generations = [json.loads(line)["generation"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert generations == list(range(1, GRID["generations"] + 1))  # no record lost or repeated
    _assert_identical(_tensors(grid_run, ("grid.", "mixture.")), _tensors(out, ("grid.", "mixture.")))


def test_a_killed_data_parallel_worker_is_restarted_and_ends_with_the_same_weights(ddp_run, tmp_path):
    out = tmp_path / "ddp"
    launcher = _torchrun(["train", "--out", str(out), "--quiet"] + _flags(DDP), restarts=1)
    killed_at = _kill_after(launcher, out, records=2)
    code, stderr = _finish(launcher)
    assert code == 0, stderr[-6000:]
    assert 10 <= killed_at < DDP["steps"]
    assert json.loads((out / "summary.json").read_text())["steps"] == DDP["steps"]
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(10, DDP["steps"] + 1, 10))
    _assert_identical(_tensors(ddp_run, ("",)), _tensors(out, ("",)))


def test_a_killed_data_parallel_run_resumed_by_hand_ends_with_the_same_weights(ddp_run, tmp_path):
    out = tmp_path / "ddp"
    launcher = _torchrun(["train", "--out", str(out), "--quiet"] + _flags(DDP))  # no restarts: the job fails
    killed_at = _kill_after(launcher, out, records=2)
    code, _ = _finish(launcher)
    assert code != 0 and 10 <= killed_at < DDP["steps"]
    code, stderr = _finish(_torchrun(["train", "--out", str(out), "--resume", "--quiet"]))
    assert code == 0, stderr[-6000:]
    assert json.loads((out / "summary.json").read_text())["steps"] == DDP["steps"]
    _assert_identical(_tensors(ddp_run, ("",)), _tensors(out, ("",)))


def test_a_fresh_run_into_another_runs_directory_is_refused_on_every_restart(grid_run, tmp_path):
    out = tmp_path / "other"
    shutil.copytree(grid_run, out)
    before = ckpt.checkpoint_path(out).read_bytes()
    code, stderr = _finish(_torchrun(["train", "--out", str(out), "--quiet"] + _flags(GRID), restarts=1, processes=1))
    assert code != 0
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 2 and "holds another run; use --resume" in lines[1]  # the first start, then the restart
    assert ckpt.checkpoint_path(out).read_bytes() == before  # the other run's checkpoint is untouched


def test_a_user_error_under_torchrun_is_one_line_from_rank_0(tmp_path):
    code, stderr = _finish(_torchrun(["train", "--data", "nosuch", "--out", str(tmp_path / "bad")]))
    assert code != 0  # torchrun's own status; each worker exits 2
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert lines == [lines[0]] and "unknown dataset 'nosuch'" in lines[0]
    assert "exitcode  : 2" in stderr and not (tmp_path / "bad").exists()


def _two_nodes(args: list[str]) -> list[subprocess.Popen]:
    """Two torchrun agents of one job (--nnodes=2, a process each), meeting at a c10d rendezvous on 127.0.0.1."""
    endpoint = f"127.0.0.1:{_free_port()}"
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc_per_node=1",
                "--rdzv_backend=c10d", f"--rdzv_endpoint={endpoint}", f"--rdzv_id=two-nodes-{os.getpid()}",
                "--monitor_interval=0.1", "-m", "ganforge"]
    return [subprocess.Popen(launcher + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "OMP_NUM_THREADS": "1"}) for _ in range(2)]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("options, reference, prefixes", [
    (GRID, "grid_run", ("grid.", "mixture.")),
    (DDP, "ddp_run", ("",)),
])
def test_two_nodes_give_the_one_node_result(options, reference, prefixes, tmp_path, request):
    out = tmp_path / "two-nodes"
    agents = _two_nodes(["train", "--out", str(out), "--quiet"] + _flags(options))
    for agent in agents:
        code, stderr = _finish(agent)
        assert code == 0, stderr[-4000:]
    _assert_identical(_tensors(request.getfixturevalue(reference), prefixes), _tensors(out, prefixes))


ONE = {"data": "ring8", "steps": 20, "log_every": 10, "checkpoint_every": 10, "batch_size": 32, "eval_samples": 200,
       "generator_hidden": [8], "discriminator_hidden": [8], "seed": 1}


def _as_torchrun(monkeypatch, job: str, restart: int) -> None:
    """This process as torchrun's only worker of job `job`, started `restart` times before."""
    for key, value in {"WORLD_SIZE": "1", "RANK": "0", "LOCAL_RANK": "0", "TORCHELASTIC_RUN_ID": job,
                       "TORCHELASTIC_RESTART_COUNT": str(restart)}.items():
        monkeypatch.setenv(key, value)


def test_a_restart_continues_only_its_own_jobs_run(tmp_path, monkeypatch):
    from ganforge.errors import UserError

    out = tmp_path / "one"
    _as_torchrun(monkeypatch, "job-a", 0)
    train(TrainConfig.from_dict(ONE), out=out, progress=False)
    before = _tensors(out, ("",))
    _as_torchrun(monkeypatch, "job-a", 1)  # its restart continues at the last checkpoint: the last step here
    summary = train(TrainConfig.from_dict(ONE), out=out, progress=False).summary
    assert summary["steps"] == ONE["steps"] and summary["steps_per_second"] == 0  # no step trained again
    _assert_identical(before, _tensors(out, ("",)))
    _as_torchrun(monkeypatch, "job-b", 1)  # another job's restart: the run is not its own
    with pytest.raises(UserError, match="holds another run"):
        train(TrainConfig.from_dict(ONE), out=out, progress=False)
    _as_torchrun(monkeypatch, "job-a", 1)  # its own job with other options: not the same run
    with pytest.raises(UserError, match="holds another run"):
        train(TrainConfig.from_dict({**ONE, "seed": 2}), out=out, progress=False)
    _, state = ckpt.load_checkpoint(out)
    assert state["torchrun_job"] == "job-a" and state["step"] == ONE["steps"]


def test_a_restart_before_the_first_checkpoint_starts_over(tmp_path, monkeypatch):
    from ganforge.errors import UserError

    out = tmp_path / "early"
    out.mkdir()
    TrainConfig.from_dict(ONE).to_yaml(out / "config.yaml")  # all the first start wrote before it died
    (out / "metrics.jsonl").write_text('{"step": 10}\n')
    _as_torchrun(monkeypatch, "job-a", 1)
    run = train(TrainConfig.from_dict(ONE), out=out, progress=False)
    assert run.step == ONE["steps"] and ckpt.checkpoint_path(out).exists()
    other = tmp_path / "other"
    other.mkdir()
    TrainConfig.from_dict({**ONE, "seed": 9}).to_yaml(other / "config.yaml")  # someone else's, unfinished
    with pytest.raises(UserError, match="holds another run"):
        train(TrainConfig.from_dict(ONE), out=other, progress=False)
