"""The run report: plots, the training story and one self-contained report.html built from a run directory."""

from __future__ import annotations

from pathlib import Path

from ganforge.report.html import write_report
from ganforge.report.plots import make_plots, read_metrics
from ganforge.report.story import write_story

__all__ = ["build_report", "make_plots", "read_metrics", "write_report", "write_story"]


def build_report(run_dir: str | Path) -> Path:
    """Write the plots and the training story, then report.html that embeds them; return the report's path."""
    make_plots(run_dir)
    write_story(run_dir)
    return write_report(run_dir)
