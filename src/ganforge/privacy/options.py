"""Checks the differential-privacy options (--dp-epsilon and friends) and gives a DP run its defaults."""

from __future__ import annotations

import warnings
from typing import Any

from ganforge.errors import DataWarning, UserError

WHERE_BUILT = "differential privacy is built for --model gan on tables (a CSV, Parquet file or DataFrame)"

# A DP run's defaults over the table's (what the user sets wins). pack 1: in a pack, one row's
# presence would change how the others are grouped. The rest measured on Pima at epsilon 3
# (benchmarks/dp_tables.py; docs/tables.md, "Differential privacy"): 1,000 steps (quality 0.66,
# against 0.58 at 300 and 0.46 at 3,000, one seed: the more steps a budget is spread over, the more
# noise each gets) and D's learning rate 1e-2 (0.80 over two seeds, against 0.78 at 3e-3 and at
# 3e-2, and 0.66 at the table default 2e-4; G's stays 2e-4: raising both to 1e-3 scored 0.69 against
# 0.74 for D's alone). A number of steps, not epochs: the noise is set by the steps, whatever the
# table's size. --dp-max-grad-norm 1 and --dp-counts-share 0.1: see config.py.
PRIVATE_DEFAULTS: dict[str, Any] = {"pack": 1, "steps": 1000, "epochs": 0.0, "lr_discriminator": 1e-2}


def validate_privacy(config: Any) -> None:
    """UserError on a DP option that is wrong whatever the data; called from TrainConfig.validate."""
    if config.dp_epsilon < 0:
        raise UserError(f"--dp-epsilon must be > 0 (the privacy budget), got {config.dp_epsilon:g}")
    if not 0 <= config.dp_delta < 1:
        raise UserError(f"--dp-delta must be in (0, 1), got {config.dp_delta:g}")
    if config.dp_max_grad_norm <= 0:
        raise UserError(f"--dp-max-grad-norm must be > 0, got {config.dp_max_grad_norm:g}")
    if not 0 < config.dp_counts_share < 1:
        raise UserError(f"--dp-counts-share must be in (0, 1), got {config.dp_counts_share:g}")
    if not config.dp_epsilon:
        if config.dp_delta:
            raise UserError("--dp-delta applies to a differentially private run: give --dp-epsilon too")
        return
    if config.grid:
        raise UserError(f"--dp-epsilon cannot train a --grid: {WHERE_BUILT}, one GAN in one process")
    if config.model != "gan":
        raise UserError(f"--dp-epsilon cannot train --model {config.model}: {WHERE_BUILT}")
    if config.stop_at_equilibrium:
        raise UserError("--stop-at-equilibrium decides when to stop from D's accuracy on real rows, outside "
                        "the privacy budget; a --dp-epsilon run stops when its budget is spent")


def private_defaults(config: Any) -> dict[str, Any]:
    """Options a DP run trains with unless the user set them (nothing for a run without DP)."""
    return dict(PRIVATE_DEFAULTS) if config.dp_epsilon else {}


def check_requested_privacy(requested: dict[str, Any]) -> None:
    """UserError on an explicit 0 among the options a user passed (flags, GAN(...)): 0 is how a
    saved configuration says "no DP" (config.yaml, a replaced config), so only a request is checked."""
    if requested.get("dp_epsilon") == 0:
        raise UserError("--dp-epsilon must be > 0 (the privacy budget), got 0; leave it out to train without "
                        "differential privacy")
    if requested.get("dp_delta") == 0:
        raise UserError("--dp-delta must be in (0, 1), got 0; leave it out for the default 1 / (10 x rows)")


def check_private_run(config: Any, kind: str, rows: int) -> None:
    """UserError on a DP request this data or these options cannot honour (after the data's
    defaults are in: a table's pack 8 is DP's pack 1 unless the user chose it); warns on a weak delta."""
    if not config.dp_epsilon:
        return
    if kind != "table":
        raise UserError(f"--dp-epsilon cannot train on {kind} data: {WHERE_BUILT}")
    if config.pack > 1:
        raise UserError(f"--pack {config.pack} with --dp-epsilon: DP-SGD bounds each row's own gradient, and in "
                        f"a pack one row's presence changes how the others are grouped; use --pack 1 (DP's default)")
    if config.r1 > 0:
        raise UserError("--r1 with --dp-epsilon: Opacus' per-row gradients cannot differentiate a gradient "
                        "penalty; give --r1 0")
    if config.loss == "wasserstein" and config.gradient_penalty > 0:
        raise UserError("--loss wasserstein with --dp-epsilon: Opacus' per-row gradients cannot differentiate "
                        "WGAN-GP's gradient penalty; use --loss hinge, or --gradient-penalty 0")
    if config.batch_size > rows:
        raise UserError(f"--batch-size {config.batch_size} with --dp-epsilon: each row joins a batch with "
                        f"probability batch / rows, so the batch must not exceed the table's {rows:,} rows")
    if config.dp_delta and config.dp_delta >= 1 / rows:
        warnings.warn(f"--dp-delta {config.dp_delta:g} is not below 1 / rows (1/{rows:,}): a release of one "
                      f"row in the clear could meet it; the default is 1 / (10 x rows) rounded down to a "
                      f"power of ten", DataWarning, stacklevel=2)
