"""The diagnostics on synthetic log records: each kind found at its step, with a remedy; no false alarms."""

import math
import re

import pytest

from ganforge.config import TrainConfig
from ganforge.diagnostics import KINDS, Diagnostician, diagnose
from ganforge.diagnostics.collapse import RECOVERED
from ganforge.diagnostics.divergence import GRAD_NORM_LIMIT

FLAGS = ("--loss", "--instance-noise", "--label-smoothing", "--label-flip", "--pack", "--spectral-norm", "--r1",
         "--lr-generator", "--lr-discriminator", "--discriminator-steps", "--generator-steps",
         "--generator-dropout", "--ema", "--steps")
CONFIG = TrainConfig(steps=3000, log_every=100, lr_generator=2e-4, lr_discriminator=2e-4)
HEALTHY_ACC = [0.62, 0.58, 0.66, 0.6, 0.69, 0.57, 0.64, 0.61, 0.67, 0.56]  # hovering 0.55-0.7


def healthy(i: int, **changes) -> dict:
    """Log record i (step 100 * (i + 1)) of a healthy toy run; `changes` override its figures."""
    acc = HEALTHY_ACC[i % len(HEALTHY_ACC)]
    record = {
        "step": 100 * (i + 1), "wall_seconds": 0.5 * (i + 1), "loss_d": 0.66 + 0.02 * (i % 3),
        "loss_g": 0.8 + 0.03 * (i % 4), "d_acc_real": acc + 0.02, "d_acc_fake": acc - 0.02, "d_acc": acc,
        "d_real_mean": 0.55, "d_fake_mean": 0.45, "grad_norm_d": 0.8 + 0.1 * (i % 3), "grad_norm_g": 1.2,
        "modes_covered": 8, "modes_total": 8, "high_quality_fraction": 0.85, "reverse_kl": 0.02,
        "js_divergence": 0.01, "js_divergence_floor": 0.003, "spread_ratio": 0.97, "nn_distance_ratio": 1.05,
        "game_value": -1.37, "nonfinite": False,
    }
    record.update(changes)
    return record


def run(records, config=CONFIG) -> list[dict]:
    """Observes the records one by one, then finishes: every finding, as the loop would collect them."""
    diagnostician = Diagnostician(config)
    for record in records:
        diagnostician.observe(record)
    diagnostician.finish(records)
    return diagnostician.findings


def of_kind(findings, kind):
    return [f for f in findings if f["kind"] == kind]


def has_remedy(message: str) -> bool:
    return any(re.search(re.escape(flag) + r"\b", message) for flag in FLAGS)


# --- no false alarms ------------------------------------------------------------------------

def test_a_healthy_run_has_no_findings():
    records = [healthy(i) for i in range(40)]
    assert run(records) == []


def test_a_healthy_run_with_a_slow_start_has_no_findings():
    # G spreads out and finds the modes over the first 500 steps: not a collapse, D's early lead is not a win.
    start = [healthy(i, modes_covered=m, high_quality_fraction=q, spread_ratio=s, nn_distance_ratio=n, d_acc=a)
             for i, (m, q, s, n, a) in enumerate([(0, 0.0, 0.1, 0.2, 0.9), (1, 0.05, 0.2, 0.3, 0.85),
                                                 (3, 0.2, 0.4, 0.5, 0.8), (6, 0.5, 0.7, 0.8, 0.72),
                                                 (8, 0.7, 0.9, 0.95, 0.66)])]
    records = start + [healthy(i) for i in range(5, 30)]
    assert run(records) == []


def test_findings_have_step_kind_and_message_only():
    records = [healthy(i) for i in range(8)] + [healthy(8, loss_d=math.nan)]
    (found,) = run(records)
    assert set(found) == {"step", "kind", "message"}
    assert isinstance(found["step"], int) and found["kind"] in KINDS and found["message"]


# --- divergence ------------------------------------------------------------------------------

def test_divergence_on_a_nan_loss_at_its_step():
    records = [healthy(i) for i in range(6)] + [healthy(6, loss_g=math.nan)] + [healthy(i) for i in range(7, 10)]
    (found,) = run(records)
    assert found["kind"] == "divergence" and found["step"] == 700
    assert "loss_g is nan" in found["message"] and has_remedy(found["message"])
    # CONFIG's learning rates are 2e-4: the remedy halves them.
    assert "--lr-generator 0.0001" in found["message"]


@pytest.mark.parametrize("changes", [{"nonfinite": True}, {"loss_d": math.inf}, {"grad_norm_d": math.inf}])
def test_divergence_on_nonfinite_flag_inf_loss_or_inf_gradient(changes):
    records = [healthy(i) for i in range(3)] + [healthy(3, **changes)]
    assert [(f["kind"], f["step"]) for f in run(records)] == [("divergence", 400)]


def test_divergence_is_reported_once_per_episode():
    nan = {"loss_d": math.nan, "loss_g": math.nan}
    records = ([healthy(i) for i in range(3)] + [healthy(i, **nan) for i in range(3, 6)]  # one episode
               + [healthy(6)] + [healthy(7, **nan)])  # a clean record, then a second episode
    assert [f["step"] for f in of_kind(run(records), "divergence")] == [400, 800]


def test_gradient_norms_over_the_limit_for_two_records_are_divergence():
    assert GRAD_NORM_LIMIT == 100
    one_spike = [healthy(i) for i in range(4)] + [healthy(4, grad_norm_d=350.0)] + [healthy(i) for i in range(5, 9)]
    assert run(one_spike) == []
    sustained = [healthy(i) for i in range(4)] + [healthy(i, grad_norm_g=150.0) for i in range(4, 7)]
    (found,) = run(sustained)
    assert found["kind"] == "divergence" and found["step"] == 500
    assert "G's gradient norm is 150" in found["message"] and has_remedy(found["message"])


def test_a_nan_gradient_norm_alone_is_not_evidence():
    # Models start their gradient norms at NaN ("not measured").
    records = [healthy(i, grad_norm_d=math.nan, grad_norm_g=math.nan) for i in range(10)]
    assert run(records) == []


# --- discriminator wins ----------------------------------------------------------------------

def test_discriminator_wins_after_three_records_reported_at_the_start():
    win = {"d_acc": 0.998, "d_acc_real": 0.999, "d_acc_fake": 0.997, "loss_d": 0.004, "grad_norm_g": 2e-5}
    records = [healthy(i) for i in range(5)] + [healthy(i, **win) for i in range(5, 12)]
    (found,) = run(records)
    assert found["kind"] == "discriminator_wins" and found["step"] == 600
    message = found["message"]
    assert "vanished" in message and has_remedy(message)
    assert "--instance-noise 0.1" in message  # the non-saturating loss is in use already


def test_discriminator_wins_suggests_non_saturating_for_minimax():
    win = {"d_acc": 1.0, "grad_norm_g": 1e-6}
    records = [healthy(i, **win) for i in range(4)]
    (found,) = run(records, TrainConfig(loss="minimax"))
    assert "--loss non-saturating" in found["message"]


def test_two_winning_records_are_not_yet_a_finding():
    records = [healthy(i) for i in range(4)] + [healthy(i, d_acc=0.995) for i in range(4, 6)] + \
        [healthy(i) for i in range(6, 12)]
    assert run(records) == []


def test_loss_d_near_zero_counts_as_winning_without_accuracy():
    records = [{"step": 100 * (i + 1), "loss_d": 0.003} for i in range(3)]
    assert [f["kind"] for f in run(records)] == ["discriminator_wins"]


# --- mode collapse ---------------------------------------------------------------------------

def collapsed(i: int) -> dict:
    return healthy(i, modes_covered=2, high_quality_fraction=0.8, reverse_kl=1.3, spread_ratio=0.3,
                   nn_distance_ratio=0.2, js_divergence=0.4)


def test_mode_collapse_onset_and_recovery_steps():
    records = ([healthy(i) for i in range(10)] + [collapsed(i) for i in range(10, 15)]
               + [healthy(i) for i in range(15, 25)])
    onset, recovery = of_kind(run(records), "mode_collapse")
    assert onset["step"] == 1100 and recovery["step"] == 1600
    assert "2 of the 8 modes" in onset["message"] and "down from 8" in onset["message"]
    assert has_remedy(onset["message"]) and "--pack 4" in onset["message"]
    assert f"{RECOVERED} 1600" in recovery["message"] and "1100" in recovery["message"]


def test_mode_collapse_never_recovered_is_said_at_the_end():
    records = [healthy(i) for i in range(10)] + [collapsed(i) for i in range(10, 20)]
    onset, end = of_kind(run(records), "mode_collapse")
    assert onset["step"] == 1100
    assert end["step"] == 2000 and "never recovered" in end["message"] and "1100" in end["message"]
    assert has_remedy(end["message"]) and RECOVERED not in end["message"]


def test_one_collapsed_record_is_not_a_collapse():
    records = [healthy(i) for i in range(10)] + [collapsed(10)] + [healthy(i) for i in range(11, 20)]
    assert run(records) == []


def test_collapse_from_the_ratios_alone_on_any_data():
    # Tabular data: no modes, only the modality-free ratios.
    def record(i, spread, nn):
        r = healthy(i, spread_ratio=spread, nn_distance_ratio=nn)
        for key in ("modes_covered", "modes_total", "high_quality_fraction", "reverse_kl"):
            del r[key]
        return r

    records = [record(i, 1.0, 1.0) for i in range(8)] + [record(i, 0.1, 0.9) for i in range(8, 12)] + \
        [record(i, 0.9, 0.2) for i in range(12, 16)]
    (found, _) = of_kind(run(records), "mode_collapse")
    assert found["step"] == 900 and "spread_ratio" in found["message"]


def test_collapse_from_the_start_is_reported_after_the_warm_up():
    # A G that never covers more than 2 of 8 modes, with sharp samples: collapsed from the start.
    records = [healthy(i, modes_covered=2, high_quality_fraction=0.6) for i in range(20)]
    onset = of_kind(run(records), "mode_collapse")[0]
    assert onset["step"] == 700  # the warm-up is 20% of 3000 steps


def test_a_blurry_generator_is_not_called_collapsed():
    # Few modes covered but almost no high-quality samples: G is blurry or untrained, not collapsed.
    records = [healthy(i, modes_covered=1, high_quality_fraction=0.02) for i in range(20)]
    assert of_kind(run(records), "mode_collapse") == []


def test_samples_gone_nan_are_divergence_not_collapse():
    nan = {"nonfinite": True, "spread_ratio": 0.0, "nn_distance_ratio": 0.0, "modes_covered": 0}
    records = [healthy(i) for i in range(10)] + [healthy(i, **nan) for i in range(10, 14)]
    assert {f["kind"] for f in run(records)} == {"divergence"}


# --- equilibrium -----------------------------------------------------------------------------

def test_equilibrium_once_per_entry_at_the_window_end():
    config = TrainConfig(steps=3000, equilibrium_window=5, equilibrium_tolerance=0.05)
    near = [0.5, 0.52, 0.47, 0.51, 0.49, 0.53, 0.5]
    records = ([healthy(i) for i in range(5)] + [healthy(5 + i, d_acc=a) for i, a in enumerate(near)]
               + [healthy(12)] + [healthy(13 + i, d_acc=0.5) for i in range(5)])
    found = run(records, config)
    assert [(f["kind"], f["step"]) for f in found] == [("equilibrium", 1000), ("equilibrium", 1800)]
    assert "Caveat" not in found[0]["message"]  # 8 of 8 modes at 85% high quality: already good
    assert "--stop-at-equilibrium" in found[0]["message"]


def test_equilibrium_with_no_quality_gain_carries_a_caveat():
    bad = {"modes_covered": 5, "high_quality_fraction": 0.2, "d_acc": 0.5}
    records = [healthy(i, **bad) for i in range(5)]
    (found,) = run(records, TrainConfig(steps=500, equilibrium_window=5))
    assert found["kind"] == "equilibrium" and found["step"] == 500
    assert "Caveat" in found["message"] and "both players" in found["message"] and has_remedy(found["message"])


def test_equilibrium_caveat_uses_js_divergence_without_modes():
    def record(i, js):
        return {"step": 100 * (i + 1), "d_acc": 0.5, "js_divergence": js, "js_divergence_floor": 0.01}

    flat = [record(i, 0.3) for i in range(5)]
    improving = [record(i, 0.3 - 0.05 * i) for i in range(5)]
    config = TrainConfig(steps=500, equilibrium_window=5)
    assert "Caveat" in run(flat, config)[0]["message"]
    assert "Caveat" not in run(improving, config)[0]["message"]


# --- oscillation -----------------------------------------------------------------------------

def test_oscillation_reported_once_at_the_window_start():
    swing = [0.35, 0.85] * 6
    records = [healthy(i) for i in range(10)] + [healthy(10 + i, d_acc=a) for i, a in enumerate(swing)] + \
        [healthy(i) for i in range(22, 30)]
    (found,) = run(records)
    # Found in the window of steps 700-1400 (four healthy records, then four swings): its first step.
    assert found["kind"] == "oscillation" and found["step"] == 700 and "steps 700-1400" in found["message"]
    assert "D's accuracy" in found["message"] and has_remedy(found["message"])


def test_oscillation_again_only_after_it_stopped():
    swing = [0.35, 0.85] * 5
    records = [healthy(i, d_acc=a) for i, a in enumerate(swing)]
    records += [healthy(10 + i) for i in range(10)]  # quiet for more than a window
    records += [healthy(20 + i, d_acc=a) for i, a in enumerate(swing)]
    assert len(of_kind(run(records), "oscillation")) == 2


def test_a_steady_trend_or_one_step_is_not_oscillation():
    falling = [healthy(i, d_acc=0.95 - 0.03 * i) for i in range(16)]
    step_change = [healthy(i, d_acc=0.9 if i < 8 else 0.55) for i in range(16)]
    spike = [healthy(i, d_acc=0.95 if i == 6 else 0.6) for i in range(16)]
    for records in (falling, step_change, spike):
        assert of_kind(run(records), "oscillation") == []


def test_loss_g_cycling_is_oscillation():
    records = [healthy(i, loss_g=[0.5, 1.6][i % 2]) for i in range(12)]
    (found,) = of_kind(run(records), "oscillation")
    assert "G's loss" in found["message"]


# --- robustness and the driver ---------------------------------------------------------------

def test_missing_none_and_nan_values_do_not_crash():
    keys = list(healthy(0))
    records = [{"step": 100}]
    records += [{"step": 200 + 100 * i, **{k: None for k in keys if k != "step"}} for i in range(3)]
    records += [{"step": 600 + 100 * i, **{k: math.nan for k in keys if k != "step"}} for i in range(3)]
    records += [{"step": 900, "d_acc": "0.5", "modes_covered": [1], "nonfinite": None}, {"no_step": 1}, {}]
    records += [healthy(i, **{k: None}) for i, k in enumerate(keys[1:], start=10)]
    found = run(records)  # NaN losses are divergence; nothing else may be claimed from these records
    assert {f["kind"] for f in found} <= {"divergence"}


def test_finish_alone_diagnoses_a_whole_log_and_only_once():
    records = [healthy(i) for i in range(10)] + [collapsed(i) for i in range(10, 20)]
    diagnostician = Diagnostician(CONFIG)
    first = diagnostician.finish(records)
    assert [f["step"] for f in first] == [1100, 2000] and diagnostician.findings == first
    assert diagnostician.finish(records) == []
    assert diagnose(records, CONFIG) == first


def test_observe_returns_only_new_findings_and_records_them():
    diagnostician = Diagnostician(CONFIG)
    new = [diagnostician.observe(healthy(i, loss_d=math.nan if i == 2 else 0.7)) for i in range(5)]
    assert [len(n) for n in new] == [0, 0, 1, 0, 0]
    assert diagnostician.findings == new[2]
    assert diagnostician.finish([healthy(i) for i in range(5)]) == []  # nothing new at the end


def test_resumed_log_replays_without_duplicates():
    # A rollback re-logs steps already seen: finish() must not observe them twice.
    records = [healthy(i) for i in range(6)] + [healthy(6, loss_d=math.nan)] + [healthy(i) for i in range(5, 10)]
    findings = run(records)
    assert [(f["kind"], f["step"]) for f in findings] == [("divergence", 700)]
