"""Test-wide settings: one thread per process, so the suite's timing does not hinge on core contention."""

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # inherited by the CLI subprocesses the tests start

import torch  # noqa: E402

torch.set_num_threads(1)

sys.path.insert(0, str(Path(__file__).parent))  # test modules import the shared kits (cli_kit) by name
