"""Commands that train nothing start without torch, sdmetrics or matplotlib (checked in a fresh process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ganforge

SRC = Path(ganforge.__file__).resolve().parents[1]
HEAVY = ("torch", "sdmetrics", "matplotlib", "pandas", "scipy")  # numpy (0.1 s) may load

PROBE = """
import json, sys
from ganforge.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit_:
    code = exit_.code
print(json.dumps({"code": code, "loaded": [m for m in %r if m in sys.modules]}), file=sys.stderr)
""" % (HEAVY,)


def modules_after(*args) -> tuple[int, list[str], str]:
    """(exit status, heavy modules loaded, stdout) of `ganforge ARGS` in a new interpreter."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, timeout=120)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], report["loaded"], done.stdout


@pytest.mark.parametrize("args, shows", [
    (["--help"], "datasets"),
    ([], "train"),
    (["datasets"], "ring8"),
])
def test_commands_that_train_nothing_leave_the_heavy_libraries_out(args, shows):
    code, loaded, out = modules_after(*args)
    assert code == 0
    assert shows in out
    assert loaded == [], f"`ganforge {' '.join(args)}` imported {loaded}"


def test_train_help_still_lists_the_registered_choices():
    code, loaded, out = modules_after("train", "--help")
    assert code == 0 and "torch" in loaded  # the options' choices come from the registries
    assert "non-saturating" in out and "vae" in out and "gmmn" in out


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> list[Path]:
    """Two tiny finished ring8 runs (trained in this process, which has torch anyway)."""
    from ganforge.cli import main

    runs = []
    for seed in (0, 1):
        out = tmp_path_factory.mktemp("runs") / f"ring8-{seed}"
        with pytest.raises(SystemExit) as exit_:
            main(["train", "--data", "ring8", "--out", str(out), "--seed", str(seed), "--steps", "20",
                  "--log-every", "10", "--eval-samples", "200", "--batch-size", "32", "-q"])
        assert exit_.value.code == 0
        runs.append(out)
    return runs


def test_explain_reads_a_run_without_torch(two_runs):
    code, loaded, text = modules_after("explain", str(two_runs[0]))
    assert code == 0 and loaded == [] and "What to try next" in text
    # the toy's own modes are known without torch: the theory check says what they mean for D
    assert "the modes have std 0.01" in " ".join(text.split())


def test_compare_of_finished_runs_needs_no_torch(two_runs, tmp_path):
    code, loaded, text = modules_after("compare", *map(str, two_runs), "--out", str(tmp_path / "cmp"))
    assert code == 0 and "modes_covered" in text and "ring8-1" in text
    assert (tmp_path / "cmp" / "report.html").is_file()
    # the table figures' module reads pandas; torch, sdmetrics and matplotlib stay out
    assert set(loaded) <= {"pandas"}, loaded
