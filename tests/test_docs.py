"""Every shell command and Python block in README.md and docs/*.md runs, one page per test.

Each page runs in a fresh temporary directory laid out like the repository: `.venv/bin` links to
this interpreter's environment (`sys.prefix`) and `../shared/datasets` to the shared data, so the commands run
as a reader types them from the repository root, in document order (later commands use the runs
earlier ones made).

Quick overrides, so the whole file takes about 90 s on the shared 2-core machine, more when it is busy (docs/benchmarks.md
says the same):
- `--steps N` becomes `--steps N/100` (at least 2), `--epochs E` becomes E/100, `--generations N`
  becomes N/50 (at least 2); a `ganforge train` or `compare --data` without any of them gets
  `--steps 30` (a grid gets `--generations 2`), and a grid trains 5 batches a generation;
- `-n N` becomes at most 300 samples, and `ganforge train` scores 320 samples at each log
  (`--eval-samples 320`, a multiple of any `--pack`, against 2,500 for toy data; not on `--resume`,
  which keeps the run's own);
- in Python, `steps=N`, `epochs=E` and `generations=N` shrink the same way, `batches_per_generation=N`
  becomes N/20 (at least 2), and `.sample(N` takes at most 300.
`ganforge ...` commands without shell syntax run in this process through `ganforge.cli.main`
(the console script's own entry point), which saves torch's import for each of them; the rest run
in bash. A command skipped is listed in SKIPPED with its reason.
"""

import contextlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganforge.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
PAGES = ["README.md"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))

# (a pattern found in the command, why it is not run here)
SKIPPED = [
    (r"^make (demo|test)\b", "builds .venv/ and runs the demo or the whole suite: tests/test_make_demo.py "
                             "and .ci/run cover them"),
    (r"benchmarks/\w+\.py", "a benchmark run: tests/benchmarks/test_smoke.py runs every script with --smoke "
                            "and checks its JSON"),
    (r"compare --data \S*pima-diabetes\.csv --models gan,vae,gmmn,gmm,gaussian,gamma,autoencoder|"
     r"compare --data digits --models gan,vae,gmmn,gmm,gaussian,autoencoder",
     "a full-size measurement (the tables of docs/baselines.md: 6 or 7 models); the same code path runs "
     "here through docs/tables.md's table compare and tests/test_compare.py"),
    (r"--data \S*mnist/train-images", "MNIST's 60,000 images take about a minute even at 30 steps (the feature "
                                        "classifier trains 600 steps); tests/test_images_cli.py and "
                                        "tests/data/test_images.py read IDX files"),
    (r"torch\.distributed\.run|torchrun", "torchrun starts several processes: tests/distributed covers "
                                          "data-parallel and grid runs under torchrun"),
]

SHELL_LANGS = {"bash", "sh", "shell", "console"}
BLOCK = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
SHELL_SYNTAX = re.compile(r"[|;&<>()`$]")


def blocks(page: str) -> list[tuple[str, str]]:
    """(language, text) of every fenced code block of a page, in order."""
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer((ROOT / page).read_text())]


def shell_commands(text: str) -> list[str]:
    """The commands of a shell block: one per line, backslash continuations joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def skip_reason(command: str) -> str | None:
    for pattern, reason in SKIPPED:
        if re.search(pattern, command):
            return reason
    return None


def _shrink(args: list[str], flag: str, scale: float, least: float) -> bool:
    if flag not in args:
        return False
    i = args.index(flag) + 1
    value = max(least, float(args[i]) / scale)
    args[i] = str(int(value)) if value == int(value) else str(value)
    return True


def quick_args(args: list[str]) -> list[str]:
    """A ganforge command's arguments with the quick overrides of the module docstring."""
    args = list(args)
    length = [_shrink(args, "--steps", 100, 2), _shrink(args, "--epochs", 100, 0.01),
              _shrink(args, "--generations", 50, 2)]
    if "-n" in args:
        i = args.index("-n") + 1
        args[i] = str(min(int(args[i]), 300))
    trains = args[0] == "train" or (args[0] == "compare" and "--data" in args)
    grid = "--grid" in args or (args[0] == "train" and "--resume" in args and "grid" in " ".join(args))
    if trains and not any(length):
        args += ["--generations", "2"] if grid else ["--steps", "30"]
    if args[0] == "train" and "--eval-samples" not in args and "--resume" not in args:
        args += ["--eval-samples", "320"]
    if grid and "--batches-per-generation" not in args and "--resume" not in args:
        args += ["--batches-per-generation", "5"]
    return args


def quick_python(source: str) -> str:
    source = re.sub(r"\bsteps=(\d+)", lambda m: f"steps={max(2, int(m.group(1)) // 100)}", source)
    source = re.sub(r"\bepochs=(\d+)", lambda m: f"epochs={int(m.group(1)) / 100}", source)
    source = re.sub(r"\bgenerations=(\d+)", lambda m: f"generations={max(2, int(m.group(1)) // 50)}", source)
    source = re.sub(r"\bbatches_per_generation=(\d+)", lambda m: f"batches_per_generation={max(2, int(m.group(1)) // 20)}", source)
    return re.sub(r"\.sample\((\d+)", lambda m: f".sample({min(int(m.group(1)), 300)}", source)


def run_ganforge(args: list[str], capsys) -> tuple[int, str]:
    """Exit status and stderr of `ganforge ARGS`, run in this process."""
    code = 0
    try:
        main(args)
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    return code, capsys.readouterr().err


def make_repository(tmp: Path) -> Path:
    """A directory laid out like the repository root, beside a `shared/datasets`."""
    repo = tmp / "repo"
    repo.mkdir()
    (repo / ".venv").symlink_to(Path(sys.prefix))  # the environment itself, so .venv/bin/python finds its packages
    (tmp / "shared").mkdir()
    (tmp / "shared" / "datasets").symlink_to(DATASETS)
    # docs/images.md trains on "photos/", the reader's own folder of pictures: 12 small colour ones here
    rng = np.random.default_rng(0)
    (repo / "photos").mkdir()
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(repo / "photos" / f"p{i}.png")
    return repo


@pytest.mark.parametrize("page", PAGES)
def test_page_commands_work(page, tmp_path, capsys, monkeypatch):
    repo = make_repository(tmp_path)
    monkeypatch.chdir(repo)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    namespace: dict = {}
    ran = 0
    for number, (language, text) in enumerate(blocks(page), start=1):
        if language == "python":
            code = compile(quick_python(text), f"{page} python block {number}", "exec")
            with contextlib.redirect_stdout(None):
                exec(code, namespace)
            capsys.readouterr()
            ran += 1
            continue
        if language not in SHELL_LANGS:
            continue
        for command in shell_commands(text):
            if skip_reason(command):
                continue
            words = shlex.split(command, comments=True)
            if words[0] in (".venv/bin/ganforge", "ganforge") and not SHELL_SYNTAX.search(command.split("#")[0]):
                args = quick_args(words[1:])
                status, err = run_ganforge(args, capsys)
                assert status == 0, f"{page}: `{command}` (run as ganforge {' '.join(args)}) exited {status}:\n{err}"
            else:
                done = subprocess.run(["bash", "-c", command], cwd=repo, env=env, capture_output=True,
                                      text=True, timeout=120)
                assert done.returncode == 0, f"{page}: `{command}` exited {done.returncode}:\n{done.stderr}"
            ran += 1
    assert ran > 0 or page == "docs/benchmarks.md", f"{page} shows no command or Python block to run"


def test_overrides_shrink_training_and_samples():
    assert quick_args(["train", "--out", "r", "--resume", "--steps", "6000"])[-1] == "60"
    assert quick_args(["train", "--data", "ring8", "--out", "r"])[-4:] == ["--steps", "30", "--eval-samples", "320"]
    assert quick_args(["sample", "r", "-n", "2500", "-o", "s.csv"])[3] == "300"
    grid = quick_args(["train", "--data", "grid25", "--out", "g", "--grid", "2x2"])
    assert grid[-6:] == ["--generations", "2", "--eval-samples", "320", "--batches-per-generation", "5"]
    assert quick_python('GAN(steps=5000).fit("x").sample(2500)') == 'GAN(steps=50).fit("x").sample(300)'


def test_skip_list_is_not_a_blanket():
    """Only the commands of SKIPPED are skipped: a plain ganforge command never is."""
    assert skip_reason(".venv/bin/ganforge train --data ring8 --out runs/ring8") is None
    assert skip_reason("make demo") and skip_reason(".venv/bin/python benchmarks/toy.py --smoke")


def test_every_skip_names_a_command_the_docs_show():
    """A skip whose command left the docs is dropped, so the list says only what is really skipped."""
    commands = [c for page in PAGES for language, text in blocks(page) if language in SHELL_LANGS
                for c in shell_commands(text)]
    for pattern, reason in SKIPPED:
        assert any(re.search(pattern, c) for c in commands), f"no command matches the skip {pattern!r} ({reason})"
