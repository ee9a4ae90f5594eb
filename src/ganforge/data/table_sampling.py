"""Sampling a table: exact conditions (--where) and no copies of training rows (unless allowed)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from ganforge.errors import UserError

MAX_ROUNDS = 20  # rounds of resampling the rows that break a condition or copy a training row


def parse_where(items: list[str] | str | None) -> dict[str, str]:
    """["Outcome=1", "sex=Male"] (or one such string) -> {"Outcome": "1", "sex": "Male"}."""
    if not items:
        return {}
    where = {}
    for item in [items] if isinstance(items, str) else items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--where takes COLUMN=VALUE, got {item!r}")
        where[name.strip()] = value.strip()
    return where


def sample_table(run, n: int, seed: int, where: dict[str, Any] | None = None,
                 allow_copies: bool = False) -> pd.DataFrame:
    """n rows; with `where`, every row holds those values; without allow_copies, no row equals a
    training row (such rows are drawn again) when the real rows are nearly all distinct (see
    TableEncoder.copies_are_telling)."""
    encoder = run.encoder
    where = dict(where or {})
    for name, value in where.items():
        encoder.value_index(name, value)  # a clear error for an unknown column or value
    if where and not getattr(run.model, "conditional", False):
        raise UserError("this model was trained without conditions (the table has no discrete column)")
    rows, need, round_ = [], n, 0
    while need > 0:
        batch = _draw(run, max(need, 64) if round_ else n, seed + 7919 * round_, where)
        if not allow_copies and encoder.copies_are_telling:
            batch = batch[~encoder.copies(batch)]
        rows.append(batch.iloc[:need])
        need -= len(rows[-1])
        round_ += 1
        if round_ >= MAX_ROUNDS and need > 0:
            raise UserError(f"could not draw {n} rows that copy no training row after {MAX_ROUNDS} rounds; "
                            f"the model memorised its data (retrain with fewer steps, or pass --allow-copies)")
    return pd.concat(rows, ignore_index=True)


def _draw(run, n: int, seed: int, where: dict[str, Any]) -> pd.DataFrame:
    """n decoded rows; under `where`, G is conditioned on the first condition, and every row's
    conditioned blocks are checked: rows G got wrong are drawn again, the last few set exactly."""
    if not where:
        return run.sample(n, seed)
    conditions, enforce, fixed = run.encoder.condition_for(where, n)
    encoded = run.sample_encoded(n, seed, conditions)
    for round_ in range(1, 4):
        wrong = ~_holds(encoded, enforce)
        if not wrong.any():
            break
        again = run.sample_encoded(int(wrong.sum()), seed + round_, conditions[:int(wrong.sum())])
        encoded[torch.from_numpy(wrong)] = again
    for offset, (width, index) in enforce.items():  # exact: the condition's one-hot, as asked
        encoded[:, offset:offset + width] = 0.0
        encoded[:, offset + index] = 1.0
    return run.encoder.inverse_transform(encoded, fixed=fixed)


def _holds(encoded: torch.Tensor, enforce: dict[int, tuple[int, int]]) -> np.ndarray:
    ok = np.ones(encoded.shape[0], dtype=bool)
    for offset, (width, index) in enforce.items():
        ok &= (encoded[:, offset:offset + width].argmax(dim=1) == index).cpu().numpy()
    return ok


def is_table_run(run) -> bool:
    from ganforge.data.table_encoder import TableEncoder

    return isinstance(run.encoder, TableEncoder)


def prepare_evaluation(run, dataset, real: str | None, target: str | None) -> None:
    """Gives the evaluator the columns' kinds, a real holdout (a CSV like the training data) and the target."""
    from ganforge.data.tabular import load_table

    dataset.meta["columns"] = run.encoder.columns_
    names = run.encoder.column_names
    if target is not None and target not in names:
        raise UserError(f"--target {target!r} is not a column; the columns are: {', '.join(names)}")
    if target is not None:
        spec = next(s for s in run.encoder.columns_ if s["name"] == target)
        if spec["kind"] != "categorical":
            raise UserError(f"--target {target!r} is continuous; ML efficacy needs a discrete label")
        dataset.meta["target"] = target
    if real is None:
        return
    from pathlib import Path

    path = Path(real)
    if not path.is_file():
        raise UserError(f"--real {real}: no such file")
    holdout = load_table(path).table
    missing = [name for name in names if name not in holdout.columns]
    if missing:
        raise UserError(f"--real {real} lacks column {missing[0]!r} of the training data")
    dataset.meta["holdout"] = holdout[names]
