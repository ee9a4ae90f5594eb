"""The membership-inference audit: guessing when the synthetic rows know nothing of the training rows,
caught when they copy them or sit right beside them."""

import numpy as np
import pandas as pd
import pytest

from ganforge.data.tabular import infer_columns
from ganforge.metrics.membership import MIN_ROWS, NO_HOLDOUT, attack_figures, auc_standard_error, \
    membership_audit, membership_figures
from ganforge.metrics.table_utility import exact_copies, privacy


def table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, n)
    income = np.where(rng.random(n) < 0.2, np.nan, rng.lognormal(10, 1, n).round(0))  # 20% missing
    weight = 50 + 0.5 * age + rng.normal(0, 8, n)
    glucose = rng.gamma(8, 15, n)
    job = rng.choice(["clerk", "nurse", "farmer", "teacher"], n, p=[0.4, 0.3, 0.2, 0.1])
    return pd.DataFrame({"age": age, "income": income, "weight": weight, "glucose": glucose, "job": job,
                         "married": rng.random(n) < 0.5 + 0.01 * (age - 40)})


TRAIN, HOLDOUT = table(800, 1), table(800, 2)
COLUMNS = infer_columns(TRAIN)


def aucs(synthetic: pd.DataFrame) -> dict[str, float]:
    audit = membership_audit(TRAIN, synthetic, HOLDOUT, COLUMNS, seed=0)
    return {name: audit.attack_figures(name)["auc"] for name in audit.scores}


def test_a_fresh_sample_of_the_same_law_tells_nothing():
    found = aucs(table(2000, 3))  # drawn independently of the training rows
    assert set(found) == {"dcr", "domias"}
    for name, auc in found.items():
        assert abs(auc - 0.5) <= 0.07, (name, auc)


def test_copies_of_the_training_rows_are_caught_by_both_attacks():
    assert aucs(TRAIN)["dcr"] > 0.99  # every training row once, missing incomes included
    # A memorising generator's 2,500 rows repeat training rows: the synthetic density peaks on them.
    # (On distinct copies it does not: a bandwidth fitted to the synthetic rows smooths over single
    # rows, so the density ratio sees a fresh sample; the distance sees every copy.)
    found = aucs(TRAIN.sample(2500, replace=True, random_state=0))
    assert found["dcr"] > 0.95 and found["domias"] > 0.9, found  # 95.6% of the rows drawn at least once


def test_rows_beside_the_training_rows_are_caught_without_one_exact_copy():
    rng = np.random.default_rng(4)
    beside = TRAIN.copy()
    beside["age"] = beside["age"] + rng.choice([-0.3, 0.3], len(beside))  # a few months off each
    assert exact_copies(TRAIN, beside, COLUMNS) == 0
    assert aucs(beside)["dcr"] > 0.99  # the case: next to one person's record, copying none


def test_figures_say_the_sizes_and_the_stronger_attack_in_words():
    figures, audit = membership_figures(TRAIN, TRAIN, HOLDOUT, COLUMNS, seed=0)
    report = figures["membership_inference"]
    assert report["members"] == report["non_members"] == 800 and report["synthetic_rows"] == 800
    assert report["reference_rows"] == 400  # each fold's density is fitted on the held-out rows outside it
    assert figures["membership_auc"] == max(a["auc"] for a in report["attacks"].values())
    assert report["stronger_attack"] in ("dcr", "domias")
    assert report["verdict"].startswith("an attacker who sees 800 synthetic rows tells training rows from held-out ones")
    assert "give the training rows away" in report["verdict"]
    assert audit.labels.sum() == 800 and len(audit.labels) == 1600


def test_no_holdout_or_too_few_rows_say_why_there_is_no_audit():
    figures, audit = membership_figures(TRAIN, TRAIN, None, COLUMNS)
    assert audit is None and figures == {"membership_inference": {"verdict": NO_HOLDOUT}}
    assert "--real FILE" in NO_HOLDOUT
    figures, audit = membership_figures(TRAIN, TRAIN, HOLDOUT.iloc[:5], COLUMNS)
    assert audit is None and "membership_auc" not in figures
    assert f"needs {MIN_ROWS} held-out" in figures["membership_inference"]["verdict"] and "got 5" in \
        figures["membership_inference"]["verdict"]


def test_a_collapsed_generator_is_audited_too():
    one_row = TRAIN.iloc[[0] * 100].reset_index(drop=True)  # every synthetic row the same training row
    figures, audit = membership_figures(TRAIN, one_row, HOLDOUT, COLUMNS)
    attacks = figures["membership_inference"]["attacks"]
    assert all(np.isfinite(a["auc"]) for a in attacks.values()) and np.isfinite(audit.scores["domias"]).all()
    assert figures["membership_auc"] < 0.6  # one exposed row among 800 moves the AUC by about 1/1600


def test_the_same_seed_gives_the_same_audit():
    synthetic = table(500, 5)
    first, _ = membership_figures(TRAIN, synthetic, HOLDOUT, COLUMNS, seed=3)
    again, _ = membership_figures(TRAIN, synthetic, HOLDOUT, COLUMNS, seed=3)
    assert first == again


def test_attack_figures_by_hand():
    labels = np.array([1, 1, 1, 0, 0, 0])
    scores = np.array([0.9, 0.8, 0.3, 0.7, 0.2, 0.1])  # 8 of the 9 member/non-member pairs ordered right
    figures = attack_figures(labels, scores)
    assert figures["auc"] == pytest.approx(8 / 9)
    assert figures["tpr_at_fpr_0.01"] == pytest.approx(2 / 3)  # two members above every non-member
    assert figures["advantage_at_fpr_0.01"] == pytest.approx(2 / 3 - 0.01)
    assert figures["tpr_at_fpr_0.1"] == pytest.approx(2 / 3)  # one false positive is already 1/3
    # Hanley and McNeil at A = 1/2, n1 = n2 = n: SE^2 = (1/4 + (n - 1)/6) / n^2
    assert auc_standard_error(0.5, 100, 100) == pytest.approx(np.sqrt((0.25 + 99 / 6) / 100**2))


def test_dcr_takes_a_holdout_with_missing_values_the_training_rows_lack():
    train = TRAIN.assign(income=TRAIN["income"].fillna(30_000.0))
    columns = infer_columns(train)
    holdout = HOLDOUT.copy()  # income missing in 20% of these rows, never in the training rows
    figures = privacy(train, train, holdout, columns)
    assert figures["dcr_synthetic_median"] == 0.0 and figures["dcr_holdout_median"] > 0
