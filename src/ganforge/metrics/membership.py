"""Membership inference: can an attacker who sees the synthetic table tell training rows from held-out ones?

Members are the run's training rows, non-members real held-out rows the model never saw, m of each
(balanced, drawn with the seed). Two attacks that need no shadow model score every candidate row x,
higher meaning "more likely a member", and the ROC AUC of each score says how well it separates
the two sets (0.5: guessing; 1: every training row is told apart):
- dcr: s(x) = -min over synthetic rows y of ||x - y||, in DCR's space (table_utility.Features:
  continuous columns min-max scaled, categories one-hot), the space `dcr_ratio` is measured in;
- domias (van Breugel et al., 2023): s(x) = log p_synth(x) - log p_ref(x), a density ratio that
  rewards rows where the synthetic rows are denser than real data is. Both are Gaussian kernel
  density estimates in the same space, turned by a PCA fitted on the synthetic rows into
  uncorrelated unit-variance components (99% of the variance); p_synth is fitted on the synthetic
  rows, p_ref on real held-out rows that are never scored; each bandwidth is the one of BANDWIDTHS
  with the best 3-fold held-out likelihood on at most BANDWIDTH_ROWS of the rows.
Cross-fitting: the scored held-out rows are split in two folds, and each fold (with half of the
members) is scored against a p_ref fitted on the held-out rows outside it, so every held-out row
serves as a candidate and none is scored by a density fitted on itself.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ganforge.metrics.table_utility import Features

AUDIT_ROWS = 5000  # members and non-members each, at most
DENSITY_ROWS = 5000  # rows a density is fitted on, at most (a KDE's time grows with rows x candidates)
MIN_ROWS = 20  # held-out and synthetic rows the audit needs (two folds, each with a reference to fit)
BANDWIDTHS = np.logspace(-1.5, 0.5, 9)  # in units of a whitened component's standard deviation
BANDWIDTH_ROWS = 2500  # rows the bandwidth is chosen on (the cross-validation's time grows with their square)
EXPLAINED_VARIANCE = 0.99
LOW_FPRS = (0.01, 0.1)  # the false-positive rates the attacks' true-positive rates are read at
LOG_FLOOR = -1e6  # log density where a KDE underflows (far from every row it was fitted on)
NO_HOLDOUT = "no membership-inference audit: it needs held-out real rows (--real FILE; real= in Python)"


@dataclass
class MembershipAudit:
    """The candidates' labels (1: member), each attack's scores, and the sizes used."""

    labels: np.ndarray
    scores: dict[str, np.ndarray]
    sizes: dict[str, int]
    bandwidths: dict[str, float] = field(default_factory=dict)

    def attack_figures(self, name: str) -> dict[str, float]:
        return attack_figures(self.labels, self.scores[name])

    def figures(self) -> dict[str, Any]:
        """evaluation.json's `membership_auc` (the stronger attack's AUC) and `membership_inference`."""
        attacks = {name: self.attack_figures(name) for name in self.scores}
        stronger = max(attacks, key=lambda name: attacks[name]["auc"])
        best = attacks[stronger]
        return {"membership_auc": best["auc"],
                "membership_inference": {"verdict": verdict(best, self.sizes["synthetic_rows"]),
                                         "stronger_attack": stronger, **self.sizes,
                                         "bandwidths": self.bandwidths, "attacks": attacks}}


def membership_figures(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None,
                       columns: list[dict], seed: int = 0) -> tuple[dict[str, Any], MembershipAudit | None]:
    """evaluation.json's audit figures and the audit itself, or a one-line reason and None when there are
    too few rows to audit."""
    if holdout is None:
        return {"membership_inference": {"verdict": NO_HOLDOUT}}, None
    if len(holdout) < MIN_ROWS or len(synthetic) < MIN_ROWS:
        return {"membership_inference": {"verdict": f"no membership-inference audit: it needs {MIN_ROWS} held-out "
                                                    f"and {MIN_ROWS} synthetic rows or more, got {len(holdout)} "
                                                    f"and {len(synthetic)}"}}, None
    audit = membership_audit(train, synthetic, holdout, columns, seed)
    return audit.figures(), audit


def membership_audit(train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame,
                     columns: list[dict], seed: int = 0, max_rows: int = AUDIT_ROWS) -> MembershipAudit:
    """Both attacks on m = min(len(train), len(holdout), max_rows) members and as many non-members."""
    if min(len(holdout), len(synthetic)) < MIN_ROWS:
        raise ValueError(f"the membership audit needs {MIN_ROWS} held-out and synthetic rows or more")
    rng = np.random.default_rng(seed)
    m = min(len(train), len(holdout), max_rows)
    held = rng.permutation(len(holdout))  # the first m are scored; a fold's reference is every other row
    features = Features(train, columns)
    members = features(train.iloc[rng.permutation(len(train))[:m]])
    x_held = features(holdout)
    candidates = np.concatenate([members, x_held[held[:m]]])
    labels = np.concatenate([np.ones(m, dtype=int), np.zeros(m, dtype=int)])
    x_synthetic = features(synthetic)

    from sklearn.neighbors import NearestNeighbors

    dcr = NearestNeighbors(n_neighbors=1).fit(x_synthetic).kneighbors(candidates)[0][:, 0]
    domias, bandwidths, reference_rows = _density_ratio(x_synthetic, x_held, held, m, candidates, rng)
    sizes = {"members": m, "non_members": m, "synthetic_rows": len(synthetic),
             "density_rows": min(len(synthetic), DENSITY_ROWS), "reference_rows": reference_rows}
    return MembershipAudit(labels, {"dcr": -dcr, "domias": domias}, sizes, bandwidths)


def _density_ratio(x_synthetic: np.ndarray, x_held: np.ndarray, held: np.ndarray, m: int,
                   candidates: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, float], int]:
    """log p_synth - log p_ref at every candidate, cross-fitted on two folds of the scored held-out rows."""
    from sklearn.decomposition import PCA

    fitted = x_synthetic[rng.permutation(len(x_synthetic))[:DENSITY_ROWS]].astype(np.float64)
    if fitted.var(axis=0).sum() > 0:
        pca = PCA(n_components=EXPLAINED_VARIANCE if min(fitted.shape) > 1 else None, svd_solver="full",
                  whiten=True).fit(fitted)
        space = lambda x: pca.transform(x.astype(np.float64))  # noqa: E731
    else:  # every synthetic row the same (a collapsed generator): no direction to whiten
        space = lambda x: x.astype(np.float64)  # noqa: E731
    synthetic_density = _kde(space(fitted), rng)
    z = space(candidates)
    log_synthetic = _log_density(synthetic_density, z)
    log_reference = np.empty(len(candidates))
    fold = np.arange(m) % 2  # members' and non-members' fold: alternate rows of each (already shuffled)
    bandwidths = {"synthetic": float(synthetic_density.bandwidth)}
    reference_rows = []
    for k in (0, 1):
        scored = held[:m][fold == k]
        others = np.setdiff1d(held, scored, assume_unique=True)  # held-out rows this fold does not score
        reference = others[rng.permutation(len(others))[:DENSITY_ROWS]]
        density = _kde(space(x_held[reference]), rng)
        in_fold = np.concatenate([fold == k, fold == k])  # the members' rows, then the non-members'
        log_reference[in_fold] = _log_density(density, z[in_fold])
        bandwidths[f"reference_fold_{k}"] = float(density.bandwidth)
        reference_rows.append(len(reference))
    return log_synthetic - log_reference, bandwidths, min(reference_rows)


def _kde(z: np.ndarray, rng: np.random.Generator):
    """A Gaussian KDE on z whose bandwidth (of BANDWIDTHS) maximises the 3-fold held-out log-likelihood
    of at most BANDWIDTH_ROWS rows of z."""
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import KernelDensity

    with warnings.catch_warnings():  # a bandwidth whose held-out likelihood underflows scores -inf: passed over
        warnings.simplefilter("ignore")
        search = GridSearchCV(KernelDensity(), {"bandwidth": BANDWIDTHS}, cv=3)
        search.fit(z[rng.permutation(len(z))[:BANDWIDTH_ROWS]])
    return KernelDensity(bandwidth=search.best_params_["bandwidth"]).fit(z)


def _log_density(density, z: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.maximum(density.score_samples(z), LOG_FLOOR)


def attack_figures(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """ROC AUC; at each low FPR f, the best TPR with FPR <= f and the advantage TPR - f over guessing."""
    from sklearn.metrics import roc_auc_score, roc_curve

    auc = float(roc_auc_score(labels, scores))
    fpr, tpr, _ = roc_curve(labels, scores)
    figures = {"auc": auc, "auc_standard_error": auc_standard_error(auc, int(labels.sum()), int((1 - labels).sum()))}
    for f in LOW_FPRS:
        rate = float(tpr[fpr <= f].max())
        figures[f"tpr_at_fpr_{f:g}"] = rate
        figures[f"advantage_at_fpr_{f:g}"] = rate - f
    return figures


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Hanley & McNeil (1982): SE^2 = [A(1-A) + (n1-1)(Q1-A^2) + (n2-1)(Q2-A^2)] / (n1 n2),
    Q1 = A/(2-A), Q2 = 2A^2/(1+A)."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)) \
        / (positives * negatives)
    return float(np.sqrt(max(variance, 0.0)))


def verdict(best: dict[str, float], synthetic_rows: int) -> str:
    """The stronger attack in plain words."""
    auc, noise = best["auc"], 2 * best["auc_standard_error"]
    if auc <= 0.5 + noise:
        words = f"no better than guessing (0.5 lies within two standard errors, {noise / 2:.2f} each)"
    elif auc < 0.6:
        words = "barely better than guessing"
    elif auc < 0.7:
        words = "better than guessing: some training rows are exposed"
    elif auc < 0.9:
        words = "much better than guessing: the synthetic rows give many training rows away"
    else:
        words = "almost every time: the synthetic rows give the training rows away"
    return (f"an attacker who sees {synthetic_rows:,} synthetic rows tells training rows from held-out ones "
            f"with AUC {auc:.2f}: {words}; at 1% false positives it finds {100 * best['tpr_at_fpr_0.01']:.0f}% "
            f"of the training rows")
