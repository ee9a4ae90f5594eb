"""Image metrics in the run's own feature space: FID and KID with their real-vs-real floor,
precision / recall / density / coverage, class TVD and classes present, feature-space diversity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.data.image_encoder import conform
from ganforge.metrics.diversity import diversity_metrics
from ganforge.metrics.evaluators import EVALUATORS
from ganforge.metrics.frechet import fid, frechet_distance, gaussian  # noqa: F401  (frechet_distance: re-exported)
import ganforge.metrics.image_figures  # noqa: F401  (registers the image figures)
from ganforge.metrics.image_features import FeatureExtractor, get_extractor, split

REFERENCE_LOG, REFERENCE_FULL = 2000, 10000  # real training images in the reference set (per log / evaluate)
KID_SUBSETS_LOG, KID_SUBSETS_FULL, KID_SUBSET = 10, 50, 1000
KID_SUBSET_LOG = 500  # per log: smaller subsets (KID is unbiased at any size; only its noise grows)
PRDC_K = 5  # neighbours defining each point's k-NN ball (Naeem et al. 2020 use 5)
PRESENT_SHARE = 0.1  # a class is present when it gets at least this fraction of its real share
EXTRACTOR_SEED = 0  # the feature space depends on the data only, so runs on the same data compare


# --- the figures, pure functions of features ------------------------------------------------------

def kid(a: np.ndarray, b: np.ndarray, subsets: int = KID_SUBSETS_FULL, subset_size: int = KID_SUBSET,
        seed: int = 0) -> float:
    """Kernel inception distance: unbiased MMD^2 with k(x, y) = (x.y / d + 1)^3, averaged over subsets."""
    rng = np.random.default_rng(seed)
    m = min(subset_size, len(a), len(b))
    if m < 2:
        return float("nan")
    d = a.shape[1]
    values = []
    for _ in range(subsets):
        x, y = a[rng.choice(len(a), m, replace=False)], b[rng.choice(len(b), m, replace=False)]
        kxx, kyy, kxy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3
        # unbiased: the diagonals k(x_i, x_i) are left out of the within-set means
        values.append((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                      - 2 * kxy.mean())
    return float(np.mean(values))


def _kth_neighbour_radii(x: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each row of x to its k-th nearest other row."""
    distances = torch.cdist(x, x)
    return distances.kthvalue(k + 1, dim=1).values  # the first is the row itself (distance 0)


def prdc(real: np.ndarray, generated: np.ndarray, k: int = PRDC_K) -> dict[str, float]:
    """Precision and recall (Kynkaanniemi et al. 2019), density and coverage (Naeem et al. 2020).

    Each real point X_i has a ball of radius r_i = distance to its k-th nearest real neighbour.
    precision: share of generated points inside some real ball; recall: share of real points inside
    some generated ball (radii from the generated points' own k-NN); density: (1 / kM) sum_j
    #{i : Y_j in B(X_i, r_i)}; coverage: share of real balls holding at least one generated point.
    """
    x, y = torch.as_tensor(real, dtype=torch.float64), torch.as_tensor(generated, dtype=torch.float64)
    k = min(k, len(x) - 1, len(y) - 1)
    if k < 1:
        return {"precision": float("nan"), "recall": float("nan"), "density": float("nan"), "coverage": float("nan")}
    r_real, r_gen = _kth_neighbour_radii(x, k), _kth_neighbour_radii(y, k)
    inside = torch.cdist(y, x) <= r_real[None, :]  # (M generated, N real): Y_j in B(X_i, r_i)
    inside_gen = torch.cdist(x, y) <= r_gen[None, :]  # (N, M): X_i in B(Y_j, r_j)
    return {"precision": float(inside.any(1).double().mean()), "recall": float(inside_gen.any(1).double().mean()),
            "density": float(inside.sum().double() / (k * len(y))), "coverage": float(inside.any(0).double().mean())}


def class_tvd(predicted: np.ndarray, real_frequencies: np.ndarray) -> float:
    """Total variation distance 1/2 sum_k |p_gen(k) - p_real(k)| between class histograms."""
    p = np.bincount(predicted, minlength=len(real_frequencies)) / max(len(predicted), 1)
    return float(0.5 * np.abs(p - real_frequencies).sum())


def classes_present(predicted: np.ndarray, real_frequencies: np.ndarray) -> int:
    """Classes receiving at least PRESENT_SHARE of their real share of the samples."""
    p = np.bincount(predicted, minlength=len(real_frequencies)) / max(len(predicted), 1)
    return int((p >= PRESENT_SHARE * real_frequencies).sum() - (real_frequencies == 0).sum())


# --- the evaluator ---------------------------------------------------------------------------------

class _RealSide:
    """Everything about the real images that does not change during a run, computed once."""

    def __init__(self, dataset, shape: tuple[int, int, int], run_dir: Path | None):
        images = conform(dataset.images, shape)
        labels = dataset.labels
        k = len(dataset.classes) if dataset.classes else (int(labels.max()) + 1 if labels is not None else 0)
        self.extractor: FeatureExtractor = get_extractor(images, labels, k, EXTRACTOR_SEED, run_dir)
        train_index, test_index = split(len(images), EXTRACTOR_SEED)
        order = train_index[torch.randperm(len(train_index), generator=torch.Generator().manual_seed(EXTRACTOR_SEED))]
        self._reference_images = images[order[:REFERENCE_FULL]]
        self._reference = self.extractor.features(self._reference_images[:REFERENCE_LOG])
        # KID's kernel (x.y / d + 1)^3 expects features of order 1: scale by the reference's RMS
        self.kid_scale = float(np.sqrt((self._reference ** 2).mean())) or 1.0
        self.test_images = images[test_index]
        self.test = self.extractor.features(self.test_images)
        self.frequencies = None
        if labels is not None and self.extractor.labelled:
            self.frequencies = (torch.bincount(labels, minlength=k).double() / len(labels)).numpy()
        self.floors: dict[tuple[int, bool], dict[str, float]] = {}
        self.moments: dict[bool, tuple[np.ndarray, np.ndarray]] = {}

    def reference(self, full: bool) -> np.ndarray:
        """Features of the fixed real reference set: REFERENCE_LOG images per log, more for evaluate."""
        if full and len(self._reference) < len(self._reference_images):
            self._reference = self.extractor.features(self._reference_images)
        return self._reference[:REFERENCE_FULL if full else REFERENCE_LOG]

    def reference_gaussian(self, full: bool) -> tuple[np.ndarray, np.ndarray]:
        if full not in self.moments:
            self.moments[full] = gaussian(self.reference(full))
        return self.moments[full]

    def floor(self, n: int, full: bool, seed: int) -> dict[str, float]:
        """The same figures for held-out real images: what a perfect generator would score."""
        if (n, full) not in self.floors:
            test = self.test[:n]
            reference = self.reference(full)
            floor = {"fid": fid(test, self.reference_gaussian(full)),
                     "kid": kid(test / self.kid_scale, reference / self.kid_scale, *_kid_sizes(full), seed=seed)}
            if self.frequencies is not None:
                floor["class_tvd"] = class_tvd(self.extractor.classify(test), self.frequencies)
            floor["samples"] = len(test)
            self.floors[(n, full)] = floor
        return self.floors[(n, full)]


def _kid_sizes(full: bool) -> tuple[int, int]:
    return (KID_SUBSETS_FULL, KID_SUBSET) if full else (KID_SUBSETS_LOG, KID_SUBSET_LOG)


_CACHE: dict[tuple, _RealSide] = {}  # the run being trained (or evaluated): one entry


def _real_side(dataset, shape, run_dir) -> _RealSide:
    key = (id(dataset), len(dataset), tuple(shape), str(run_dir))
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _RealSide(dataset, tuple(shape), run_dir)
    return _CACHE[key]


def evaluate_images(dataset, samples: Any, seed: int, run_dir: Path | None = None, full: bool = False,
                    inception_weights: str | Path | None = None) -> dict[str, Any]:
    """Figures of generated images (n, C, H, W) in [0, 1] against the dataset's real images.

    Per log (full=False): FID, KID (10 subsets), class TVD, classes present, feature-space diversity,
    each with its real-vs-real floor. full=True adds precision, recall, density, coverage, KID over
    50 subsets, a reference of up to 10,000 real images, and Inception FID given its weights.
    """
    # NumPy's BLAS defaults to one thread per core; alongside torch's (--threads) that oversubscribes
    # the CPU, and KID's products ran 3x slower. Same thread count as torch.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=torch.get_num_threads()):
        return _evaluate(dataset, samples, seed, run_dir, full, inception_weights)


def _evaluate(dataset, samples: Any, seed: int, run_dir: Path | None, full: bool,
              inception_weights: str | Path | None) -> dict[str, Any]:
    """evaluate_images without the thread limit."""
    generated = torch.as_tensor(np.asarray(samples), dtype=torch.float32)
    finite = torch.isfinite(generated.reshape(len(generated), -1)).all(1)
    generated = generated[finite].clamp(0, 1)
    real = _real_side(dataset, tuple(generated.shape[1:]), run_dir)
    facts = real.extractor.facts
    figures: dict[str, Any] = {"feature_space": "classifier" if real.extractor.labelled else "autoencoder"}
    if "test_accuracy" in facts:
        figures["classifier_test_accuracy"] = facts["test_accuracy"]
    else:
        figures["autoencoder_test_mse"] = facts["test_mse"]
    if len(generated) < 2:
        return {**figures, "fid": float("nan"), "kid": float("nan")}
    features = real.extractor.features(generated)
    reference = real.reference(full)
    floor = real.floor(len(features), full, seed)
    figures["fid"] = fid(features, real.reference_gaussian(full))
    figures["fid_floor"] = floor["fid"]
    figures["floor_samples"] = floor["samples"]  # held-out real images behind the floors (FID grows as n shrinks)
    scale = real.kid_scale  # features / scale have mean square 1 per dimension (real reference)
    figures["kid"] = kid(features / scale, reference / scale, *_kid_sizes(full), seed=seed)
    figures["kid_floor"] = floor["kid"]
    if real.frequencies is not None:
        predicted = real.extractor.classify(features)
        figures["class_tvd"] = class_tvd(predicted, real.frequencies)
        figures["class_tvd_floor"] = floor["class_tvd"]
        figures["classes_present"] = classes_present(predicted, real.frequencies)
        figures["classes_total"] = int((real.frequencies > 0).sum())
    # Mode collapse, seen in the feature space (the Monitor's pixel-space figures give way to these)
    figures.update(diversity_metrics(features, reference[:len(features)]))
    if full:
        figures.update(prdc(reference[:len(features)], features))
        figures["reference_samples"] = int(min(len(features), len(reference)))
        if inception_weights:
            from ganforge.metrics.inception import inception_fid

            figures["inception_fid"] = inception_fid(conform(dataset.images, tuple(generated.shape[1:])),
                                                     generated, inception_weights, seed)
    return figures


EVALUATORS["images"] = evaluate_images
