"""Calibrating D's logit: a known slope and intercept recovered from constructed scores; ECE improves."""

import json

import numpy as np
import pytest

from ganforge.diagnostics.calibration import Calibration, reliability


def constructed(n: int = 20000, seed: int = 0):
    # real logits ~ N(1.5, 1), generated ~ N(0.5, 1): log-odds of "real" given l is
    # l (1.5 - 0.5) - (1.5^2 - 0.5^2) / 2 = 1 * l - 1. The raw sigmoid(l) is off by that -1.
    rng = np.random.default_rng(seed)
    return rng.normal(1.5, 1.0, n), rng.normal(0.5, 1.0, n)


def test_logistic_calibration_recovers_the_known_slope_and_intercept():
    calibration = Calibration.fit(*constructed(), "logistic")
    assert calibration.params["slope"] == pytest.approx(1.0, abs=0.05)
    assert calibration.params["intercept"] == pytest.approx(-1.0, abs=0.05)
    assert calibration.figures["ece_after"] < 0.02 < 0.1 < calibration.figures["ece_before"]


def test_isotonic_calibration_finds_the_same_odds():
    calibration = Calibration.fit(*constructed(), "isotonic")
    # calibrated logit at l = 1 is 1 * 1 - 1 = 0, at l = 2 it is 1
    assert calibration.apply(np.array([1.0, 2.0])) == pytest.approx([0.0, 1.0], abs=0.2)
    assert calibration.figures["ece_after"] < calibration.figures["ece_before"]


def test_reliability_by_hand():
    # bin 0.1-0.2 holds 0.15, 0.15 with labels 0, 1: observed 0.5, |0.5 - 0.15| = 0.35, weight 1/2;
    # bin 0.9-1 holds 0.95 twice with labels 1, 1: |1 - 0.95| = 0.05, weight 1/2 -> ECE 0.2
    ece, curve = reliability(np.array([0.15, 0.15, 0.95, 0.95]), np.array([0, 1, 1, 1]))
    assert ece == pytest.approx(0.2)
    assert [round(c["observed"], 3) for c in curve] == [0.5, 1.0]


def test_a_saved_calibration_reads_back_the_same(tmp_path):
    calibration = Calibration.fit(*constructed(2000), "isotonic")
    path = tmp_path / "calibration.json"
    calibration.save(path)
    again = Calibration.from_dict(json.loads(path.read_text()))
    x = np.linspace(-3, 3, 13)
    assert np.array_equal(again.apply(x), calibration.apply(x))
    assert not (tmp_path / "calibration.json.tmp").exists()


def test_a_near_half_discriminator_is_still_calibrated():
    # A good run's D: logits 100 times narrower, the same odds: slope 100, intercept -1
    real, fake = constructed()
    calibration = Calibration.fit(real / 100, fake / 100, "logistic")
    assert calibration.params["slope"] == pytest.approx(100.0, rel=0.05)
    assert calibration.params["intercept"] == pytest.approx(-1.0, abs=0.05)
