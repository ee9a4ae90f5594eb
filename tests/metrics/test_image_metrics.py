"""Image metrics checked by hand: Frechet distance, KID, precision/recall/density/coverage, class TVD,
the cached feature extractor, and the Inception weights file's errors."""

import numpy as np
import pytest
import torch

from ganforge.data.dataset import load_dataset
from ganforge.errors import UserError
from ganforge.metrics.image_features import FEATURES_FILE, FeatureExtractor, get_extractor
from ganforge.metrics.images import class_tvd, classes_present, evaluate_images, fid, frechet_distance, kid, prdc


def test_frechet_distance_two_gaussians_by_hand():
    # mu1 = (0, 0), S1 = diag(1, 4); mu2 = (1, 1), S2 = diag(4, 1):
    # |mu1 - mu2|^2 = 2; Tr(S1 + S2) = 10; (S1 S2)^(1/2) = diag(2, 2), trace 4 -> 2 + 10 - 8 = 4
    assert frechet_distance([0, 0], np.diag([1.0, 4.0]), [1, 1], np.diag([4.0, 1.0])) == pytest.approx(4.0)
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2 = 9 + (1 - 2)^2 = 10
    assert frechet_distance([0.0], [[1.0]], [3.0], [[4.0]]) == pytest.approx(10.0)
    same = np.array([[2.0, 1.0], [1.0, 2.0]])
    assert frechet_distance([1, 2], same, [1, 2], same) == pytest.approx(0.0, abs=1e-9)


def test_fid_from_samples_matches_the_formula():
    rng = np.random.default_rng(0)
    a = rng.normal([0, 0], [1, 2], size=(200_000, 2))
    b = rng.normal([1, 1], [2, 1], size=(200_000, 2))
    assert fid(a, b) == pytest.approx(4.0, abs=0.05)


def test_kid_near_zero_for_the_same_law_and_positive_for_a_shift():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(1500, 8)), rng.normal(size=(1500, 8))
    assert abs(kid(a, b, subsets=10, subset_size=500)) < 0.01
    assert kid(a, b + 1.0, subsets=10, subset_size=500) > 0.5


def test_precision_recall_density_coverage_on_constructed_sets():
    grid = np.stack(np.meshgrid(np.arange(10.0), np.arange(10.0)), -1).reshape(-1, 2)  # 100 real points
    same = prdc(grid, grid.copy(), k=3)
    assert same["precision"] == 1.0 and same["recall"] == 1.0 and same["coverage"] == 1.0
    far = prdc(grid, grid + 100.0, k=3)
    assert far["precision"] == 0.0 and far["recall"] == 0.0 and far["density"] == 0.0 and far["coverage"] == 0.0
    # generated = the left half of the grid only: every sample is realistic, half the real data is missed
    half = grid[grid[:, 0] < 5]
    figures = prdc(grid, half, k=3)
    assert figures["precision"] == 1.0
    assert 0.45 <= figures["recall"] <= 0.65 and 0.45 <= figures["coverage"] <= 0.65
    # collapse onto the corner (0, 0): precise, recall 1/100 (only that point), and coverage 3/100:
    # the balls of (0, 0) and of its neighbours (1, 0) and (0, 1) (3rd-neighbour radius 1) hold it
    collapsed = prdc(grid, np.repeat(grid[:1], 50, axis=0), k=3)
    assert collapsed["precision"] == 1.0 and collapsed["recall"] == 0.01 and collapsed["coverage"] == 0.03


def test_class_tvd_and_classes_present_by_hand():
    real = np.array([0.5, 0.25, 0.25])
    predicted = np.array([0, 0, 0, 1])  # p = (0.75, 0.25, 0): TVD = (0.25 + 0 + 0.25) / 2 = 0.25
    assert class_tvd(predicted, real) == pytest.approx(0.25)
    assert classes_present(predicted, real) == 2
    assert class_tvd(np.array([0, 0, 1, 2]), real) == pytest.approx(0.0)


def test_extractor_is_cached_in_the_run_dir_and_scores_real_images_near_the_floor(tmp_path):
    data = load_dataset("digits")
    extractor = get_extractor(data.images, data.labels, 10, 0, tmp_path)
    assert (tmp_path / FEATURES_FILE).is_file() and extractor.facts["test_accuracy"] > 0.9
    again = FeatureExtractor.load(tmp_path / FEATURES_FILE)
    x = data.images[:50]
    assert np.allclose(again.features(x), extractor.features(x))
    real = evaluate_images(data, data.images[-500:].numpy(), seed=0, run_dir=tmp_path, full=True)
    noise = evaluate_images(data, torch.rand(500, 1, 8, 8).numpy(), seed=0, run_dir=tmp_path, full=True)
    for key in ("fid", "kid", "class_tvd"):
        assert real[key] < noise[key], key
    assert real["coverage"] > 0.8 and noise["coverage"] < 0.3 and real["recall"] > 0.8 and noise["recall"] < 0.2
    assert real["classes_present"] == 10 and real["class_tvd"] < 0.1
    for key in ("fid_floor", "kid_floor", "class_tvd_floor", "recall", "density", "coverage",
                "classifier_test_accuracy", "spread_ratio", "nn_distance_ratio"):
        assert key in real


def test_unlabelled_images_use_an_autoencoder(tmp_path):
    data = load_dataset("digits")
    data.labels, data.classes = None, None
    figures = evaluate_images(data, data.images[:300].numpy(), seed=0, run_dir=tmp_path)
    assert figures["feature_space"] == "autoencoder" and "autoencoder_test_mse" in figures
    assert "class_tvd" not in figures and np.isfinite(figures["fid"])


def test_inception_weights_file_errors(tmp_path):
    from ganforge.metrics.inception import load_inception

    with pytest.raises(UserError, match="does not exist"):
        load_inception(tmp_path / "missing.pth")
    (tmp_path / "text.pth").write_text("not weights")
    with pytest.raises(UserError, match="is not a PyTorch state dict"):
        load_inception(tmp_path / "text.pth")
    torch.save({"fc.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    with pytest.raises(UserError, match="does not hold the FID Inception-v3 weights"):
        load_inception(tmp_path / "other.pth")


def test_inception_loads_weights_in_the_pytorch_fid_layout(tmp_path):
    from safetensors.torch import save_file

    from ganforge.metrics.inception import FIDInceptionV3, inception_features, load_inception

    torch.manual_seed(0)
    state = {k: v.contiguous() for k, v in FIDInceptionV3().state_dict().items()}
    save_file(state, str(tmp_path / "fid.safetensors"))
    net = load_inception(tmp_path / "fid.safetensors")
    assert torch.equal(net.Mixed_7c.branch_pool.conv.weight, state["Mixed_7c.branch_pool.conv.weight"])
    assert inception_features(net, torch.rand(1, 1, 8, 8)).shape == (1, 2048)  # grayscale -> RGB, 299x299


def test_mode_collapse_shows_in_the_feature_space_figures(tmp_path):
    data = load_dataset("digits")
    one_digit = data.images[data.labels == 3][:1].repeat(500, 1, 1, 1).numpy()
    collapsed = evaluate_images(data, one_digit, seed=0, run_dir=tmp_path)
    healthy = evaluate_images(data, data.images[-500:].numpy(), seed=0, run_dir=tmp_path)
    # the collapse detector's signals (spread_ratio < 0.5, nn_distance_ratio < 0.3) fire on the copies only
    assert collapsed["spread_ratio"] < 0.05 and collapsed["nn_distance_ratio"] < 0.05
    assert healthy["spread_ratio"] > 0.8 and healthy["nn_distance_ratio"] > 0.5
    assert collapsed["classes_present"] == 1 and collapsed["class_tvd"] > 0.8
