"""Reads a finished run's summary.json back, with one clear error when it is missing or broken (no torch)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganforge.errors import UserError


def read_summary(directory: str | Path) -> dict[str, Any]:
    """A finished run's summary.json, or a UserError saying why it cannot be read."""
    path = Path(directory) / "summary.json"
    if not path.is_file():
        raise UserError(f"{directory} has no summary.json (is it a finished ganforge run?)")
    try:
        summary = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UserError(f"{path} is not valid JSON") from None
    if not isinstance(summary, dict):
        raise UserError(f"{path} does not hold a run summary")
    return summary
