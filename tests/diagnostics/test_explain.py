"""explain(summary): the run, its figures against their floors, every finding with its step, what to try."""

import math

from ganforge.config import TrainConfig
from ganforge.diagnostics import diagnose
from ganforge.diagnostics.explain import explain


def summary(**changes) -> dict:
    base = {
        "steps": 3000, "wall_seconds": 45.2, "steps_per_second": 66.4, "stopped_because": "steps",
        "diagnostics": [], "data": "ring8", "model": "gan", "loss": "non-saturating", "seed": 0,
        "modes_covered": 8, "modes_total": 8, "high_quality_fraction": 0.91, "reverse_kl": 0.012,
        "js_divergence": 0.004, "js_divergence_floor": 0.002, "d_acc": 0.56,
    }
    base.update(changes)
    return base


def flat(text: str) -> str:
    return " ".join(text.split())  # explain() wraps lines; the tests read words


def test_a_good_run_is_explained_with_its_figures_and_floors():
    text = flat(explain(summary()))
    assert "ring8" in text and "non-saturating" in text and "3,000 steps" in text
    assert "8 of the 8 modes" in text and "91%" in text
    assert "0.004" in text and "0.002" in text  # the JS divergence and its floor
    assert "as close to the real data as this measure can tell" in text
    assert "nothing wrong" in text and "nothing pressing" in text


def test_the_theory_figures_are_explained_against_the_optimum():
    theory = {"d_star_mae": 0.031, "game_value": -1.301, "js_divergence": 0.043}
    text = flat(explain(summary(theory=theory)))
    assert "0.031" in text and "D*(x) = p_data(x) / (p_data(x) + p_G(x))" in text and "close to it" in text
    assert "-1.301" in text and "-log 4 = -1.386" in text and "1/2" in text
    assert "0.085 above it" in text  # -1.301 - (-1.386294...) = 0.0853
    assert "0.043" in text


def test_the_theory_js_divergence_may_come_as_js_divergence_from_value():
    text = flat(explain(summary(theory={"js_divergence_from_value": 0.0123})))
    assert "0.012 nats (0 at the optimum)" in text


def test_game_value_below_the_optimum_means_d_is_not_the_best():
    text = flat(explain(summary(game_value=-1.5)))
    assert "-1.500" in text and "below it" in text


def test_every_finding_appears_with_its_step_and_remedies_come_next():
    records = [{"step": 100 * (i + 1), "d_acc": 0.6, "loss_d": 0.6, "loss_g": 0.8, "spread_ratio": 1.0,
                "nn_distance_ratio": 1.0} for i in range(10)]
    records += [{"step": 1100 + 100 * i, "d_acc": 0.6, "spread_ratio": 0.1, "nn_distance_ratio": 0.1}
                for i in range(5)]
    records += [{"step": 1600, "d_acc": 0.6, "loss_d": math.nan, "loss_g": math.nan}]
    findings = diagnose(records, TrainConfig(steps=1600))
    assert {f["kind"] for f in findings} == {"mode_collapse", "divergence"}
    text = explain(summary(diagnostics=findings, js_divergence=0.25, modes_covered=2))
    words = flat(text)
    for item in findings:
        assert f"Step {item['step']:,}" in words
        assert flat(item["message"]) in words
    assert "mode collapse" in words and "divergence" in words
    assert "What to try next" in words and "--pack 4" in words and "--lr-generator" in words
    assert "only partly right" in words
    assert all(len(line) <= 88 for line in text.splitlines())


def test_a_recovered_collapse_needs_no_remedy():
    findings = [
        {"step": 1100, "kind": "mode_collapse", "message": "Mode collapse from step 1100: ... Try --pack 4 (x)."},
        {"step": 1600, "kind": "mode_collapse",
         "message": "The mode collapse that began at step 1100 recovered at step 1600: G covers 8 of 8 modes."},
    ]
    text = flat(explain(summary(diagnostics=findings)))
    assert "Step 1,100" in text and "Step 1,600" in text and "recovered at step 1600" in text
    assert "What to try next: nothing pressing" in text


def test_stop_reasons_are_told_in_words():
    assert "stopped early because D's accuracy stayed near 50%" in flat(explain(summary(stopped_because="equilibrium")))
    assert "diverged" in flat(explain(summary(stopped_because="divergence")))
    assert "--resume" in flat(explain(summary(stopped_because="interrupted")))


def test_a_far_result_without_findings_suggests_training_longer():
    text = flat(explain(summary(js_divergence=0.5, modes_covered=3, high_quality_fraction=0.2)))
    assert "far from the real data" in text and "--resume --steps 6000" in text


def test_missing_none_and_nan_figures_do_not_crash():
    for broken in ({}, {"diagnostics": None}, {"diagnostics": ["a bare string", {"kind": None}]},
                   summary(js_divergence=math.nan, modes_total=None, theory={"game_value": None}, steps="x"),
                   summary(theory="not a dict", d_acc=math.inf, diagnostics=[{"step": math.nan, "kind": "x"}])):
        text = explain(broken)
        assert isinstance(text, str) and text


def test_the_distance_to_d_star_is_told_as_what_it_means_for_refinement():
    import ganforge.data.dataset  # noqa: F401  (registers the toy distributions)

    far = flat(explain(summary(theory={"d_star_mae": 0.17})))
    assert "D/(1 - D) estimates p_data(x)/p_G(x)" in far and "--refine" in far
    assert "std 0.01" in far and "refinement helps less" in far  # ring8's narrow modes
    close = flat(explain(summary(data="bimodal", theory={"d_star_mae": 0.03})))
    assert "refinement should help most" in close and "refinement helps less" not in close
