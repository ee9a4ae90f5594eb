"""Start-up benchmark: how long `ganforge --help` and `ganforge datasets` take, against `python -c pass`.

Run from the repository root:

    .venv/bin/python benchmarks/startup.py                 # 10 rounds
    .venv/bin/python benchmarks/startup.py --rounds 20 --out startup.json
    .venv/bin/python benchmarks/startup.py --smoke         # 2 rounds

Each round runs, one after the other, `python -c pass`, `python -m ganforge --help` and
`python -m ganforge datasets` in fresh processes of this interpreter (output discarded), so the
machine's noise falls on all three alike. Prints one JSON object: per command the wall seconds of
each round, their median, and the median minus bare Python's (what ganforge itself costs); the
target (each command's median under 0.5 s) and whether it is met.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from common import emit, environment, log  # benchmarks/common.py

TARGET_SECONDS = 0.5
COMMANDS = {"python -c pass": ["-c", "pass"], "ganforge --help": ["-m", "ganforge", "--help"],
            "ganforge datasets": ["-m", "ganforge", "datasets"]}


def wall(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"error: python {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="runs of each command (default 10)")
    parser.add_argument("--out", default=None, help="also write the JSON to this file")
    parser.add_argument("--smoke", action="store_true", help="2 rounds: checks the script runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds = 2
    if args.rounds < 1:
        parser.error("--rounds must be >= 1")
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for r in range(args.rounds):
        for name, command in COMMANDS.items():
            times[name].append(wall(command))
        log(f"round {r + 1}/{args.rounds}: " + ", ".join(f"{n} {t[-1]:.3f} s" for n, t in times.items()))
    bare = statistics.median(times["python -c pass"])
    commands = {name: {"median_seconds": statistics.median(t), "rounds": t,
                       "over_bare_python": statistics.median(t) - bare} for name, t in times.items()}
    met = {name: commands[name]["median_seconds"] < TARGET_SECONDS for name in COMMANDS if name.startswith("ganforge")}
    emit({"benchmark": "startup", "smoke": args.smoke, "rounds": args.rounds, "environment": environment(),
          "commands": commands, "target_seconds": TARGET_SECONDS, "target_met": met,
          "targets_met": all(met.values())}, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
