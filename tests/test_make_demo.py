"""`make demo` in a quick mode: trains on ring8 and says where the report is."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_quick_mode_writes_a_report(tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "demo", f"DEMO_OUT={out}",
         "DEMO_ARGS=--steps 100 --log-every 50 --eval-samples 500 -q"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"report: {out / 'report.html'}" in result.stdout
    assert (out / "report.html").stat().st_size > 10_000
    assert (out / "summary.json").exists()
