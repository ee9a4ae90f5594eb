"""Running a benchmark script's --smoke mode in a subprocess, shared by the tests in tests/benchmarks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import ganforge

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(ganforge.__file__).resolve().parents[1]


def run_smoke(script: str, *args, out: Path | None = None, cwd: Path = ROOT, timeout: float = 600) -> dict:
    """The JSON that `python benchmarks/SCRIPT --smoke ARGS [--out OUT]` prints; with `out`, also
    checks that the file holds the same JSON (stdout holds the JSON only)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, str(ROOT / "benchmarks" / script), "--smoke", *map(str, args)]
    if out is not None:
        command += ["--out", str(out)]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    if out is not None:
        assert result == json.loads(Path(out).read_text())
    return result
