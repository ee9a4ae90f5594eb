"""The report's column plots: point masses drawn as shares side by side, the rest on a scale where it shows."""

import numpy as np
import pandas as pd
import pytest

from ganforge.data.tabular import infer_columns
from ganforge.report.column_panels import column_panels
from ganforge.report.tables import plot_columns


def zero_inflated(n: int, zeros: float, seed: int) -> pd.DataFrame:
    """80% zeros (or `zeros`), then a log-normal tail with a far outlier; a plain normal; a category."""
    rng = np.random.default_rng(seed)
    gain = np.where(rng.random(n) < zeros, 0.0, rng.lognormal(8, 1.5, n).round())
    gain[0] = 1e7  # one far outlier: a plain range would squash the tail into one bin
    return pd.DataFrame({"gain": gain, "height": rng.normal(170, 10, n).round(1),
                         "colour": rng.choice(["red", "blue"], n, p=[0.7, 0.3])})


REAL = zero_inflated(4000, 0.8, 0)
COLUMNS = infer_columns(REAL)


@pytest.fixture(scope="module")
def panels():
    return {(p["column"], p["kind"]): p for p in column_panels(REAL, zero_inflated(4000, 0.5, 1), COLUMNS)}


def test_a_point_mass_is_a_bar_of_each_sides_share(panels):
    spikes = panels[("gain", "spikes")]
    assert spikes["labels"] == ["0"]
    assert spikes["real"][0] == pytest.approx(0.8, abs=0.02)
    assert spikes["synthetic"][0] == pytest.approx(0.5, abs=0.02)


def test_the_tail_is_drawn_apart_on_a_log_scale_without_the_outlier(panels):
    tail = panels[("gain", "histogram")]
    assert tail["log"] and tail["clipped"]
    assert tail["edges"][-1] < 1e6 and tail["edges"][0] > 0  # the outlier and the zeros are off the axis
    assert (tail["real"] > 0).all() and tail["share_real"] == pytest.approx(0.2, abs=0.02)


def test_a_column_without_point_masses_is_one_linear_histogram(panels):
    assert ("height", "spikes") not in panels
    assert not panels[("height", "histogram")]["log"]
    colour = panels[("colour", "categories")]
    assert colour["labels"] == ["red", "blue"] and colour["real"][0] == pytest.approx(0.7, abs=0.03)


def test_the_plot_file_has_a_panel_for_each(tmp_path):
    path = plot_columns(REAL, zero_inflated(4000, 0.5, 1), COLUMNS, tmp_path / "plots" / "table_columns.png")
    assert path.is_file() and path.stat().st_size > 5000
