"""Images end to end through the CLI: training on digits (grids, report, metrics), sampling grids and
folders, conditional sampling by class, and one `error: ...` line with exit 2 for each bad input."""

import json
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.api import load
from ganforge.cli import main
from ganforge.config import TrainConfig
from ganforge.metrics.image_features import FEATURES_FILE, FeatureExtractor
from ganforge.metrics.images import evaluate_images
from ganforge.training.state import new_run
from cli_kit import assert_user_error, cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SHORT = ["--steps", "400", "--log-every", "200", "--seed", "1", "-q"]




def train(out: Path, *extra) -> Path:
    try:
        main(["train", "--data", "digits", "--out", str(out), *SHORT, *extra])
    except SystemExit as exc:
        assert exc.code == 0
    return out


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory) -> Path:
    return train(tmp_path_factory.mktemp("img") / "plain")


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory) -> Path:
    return train(tmp_path_factory.mktemp("img") / "cond", "--conditional", "--steps", "200", "--log-every", "100")


def test_run_writes_grids_report_and_image_metrics(plain_run):
    summary = json.loads((plain_run / "summary.json").read_text())
    for key in ("fid", "fid_floor", "kid", "class_tvd", "classes_present", "classifier_test_accuracy",
                "spread_ratio", "nn_distance_ratio"):
        assert key in summary, key
    assert summary["classifier_test_accuracy"] > 0.9
    grids = sorted((plain_run / "plots" / "grids").glob("step_*.png"))
    assert [g.name for g in grids] == ["step_000200.png", "step_000400.png"]
    assert (plain_run / "plots" / "samples_grid.png").read_bytes() == grids[-1].read_bytes()
    assert (plain_run / FEATURES_FILE).is_file()
    report = (plain_run / "report.html").read_text()
    assert "Generated images at the last log" in report and "Real training images" in report


def test_class_tvd_improves_over_the_untrained_generator(plain_run):
    config = TrainConfig.from_dict({"data": "digits", "seed": 1})
    untrained = new_run(config)
    before = evaluate_images(untrained.dataset, untrained.sample(1000, 3), 0, run_dir=plain_run)
    after = json.loads((plain_run / "summary.json").read_text())
    assert after["class_tvd"] < before["class_tvd"] - 0.1, (after["class_tvd"], before["class_tvd"])
    assert after["fid"] < before["fid"]


def test_sample_grid_folder_and_npy(plain_run, tmp_path, capsys):
    code, out, _ = cli(capsys, "sample", plain_run, "-n", "16", "-o", tmp_path / "grid.png")
    assert code == 0 and (tmp_path / "grid.png").read_bytes()[:8] == PNG_MAGIC
    code, _, _ = cli(capsys, "sample", plain_run, "-n", "5", "-o", tmp_path / "each")
    files = sorted((tmp_path / "each").glob("*.png"))
    assert code == 0 and len(files) == 5 and Image.open(files[0]).size == (8, 8)
    code, _, _ = cli(capsys, "sample", plain_run, "-n", "3", "-o", tmp_path / "x.npy")
    assert code == 0 and np.load(tmp_path / "x.npy").shape == (3, 1, 8, 8)
    assert_user_error(cli(capsys, "sample", plain_run, "-n", "3", "-o", tmp_path / "x.csv"), "use a .png")
    assert_user_error(cli(capsys, "sample", plain_run, "-n", "3", "--label", "3", "-o", tmp_path / "y.png"),
                      "--conditional")


def test_conditional_sampling_gives_the_requested_class(conditional_run, tmp_path, capsys):
    code, _, _ = cli(capsys, "sample", conditional_run, "-n", "64", "--label", "3", "-o", tmp_path / "threes.png")
    assert code == 0 and (tmp_path / "threes.png").is_file()
    classifier = FeatureExtractor.load(conditional_run / FEATURES_FILE)
    gan = load(conditional_run)
    hits = [float((classifier.predict(torch.from_numpy(gan.sample(200, seed=5, label=k))) == k).mean())
            for k in (3, 7)]
    assert min(hits) > 0.3, hits  # chance is 0.1
    assert_user_error(cli(capsys, "sample", conditional_run, "-n", "4", "--label", "10", "-o", tmp_path / "t.png"),
                      "--label 10 is out of range", "0..9")


def test_evaluate_full_figures(plain_run, capsys):
    code, out, _ = cli(capsys, "evaluate", plain_run, "-n", "500")
    figures = json.loads((plain_run / "evaluation.json").read_text())
    assert code == 0 and "precision" in out
    for key in ("precision", "recall", "density", "coverage", "fid", "kid", "class_tvd"):
        assert key in figures


def test_inception_weights_errors(plain_run, tmp_path, capsys):
    assert_user_error(cli(capsys, "evaluate", plain_run, "-n", "50", "--inception-weights", tmp_path / "no.pth"),
                      "does not exist")
    (tmp_path / "bad.pth").write_bytes(b"\x00\x01 nonsense")
    assert_user_error(cli(capsys, "evaluate", plain_run, "-n", "50", "--inception-weights", tmp_path / "bad.pth"),
                      "is not a PyTorch state dict")


def _idx(path: Path, array: np.ndarray, magic=(0, 0, 8)) -> Path:
    path.write_bytes(bytes([*magic, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
                     + array.astype(np.uint8).tobytes())
    return path


def test_bad_inputs_exit_2(tmp_path, capsys):
    out = tmp_path / "run"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_user_error(cli(capsys, "train", "--data", empty, "--out", out, "-q"), "holds no images")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "a.png").write_bytes(b"broken")
    assert_user_error(cli(capsys, "train", "--data", corrupt, "--out", out, "-q"), "could be read")
    bad_magic = tmp_path / "train-images-idx3-ubyte"
    bad_magic.write_bytes(b"\x08\x03\x00\x00" + bytes(64))
    assert_user_error(cli(capsys, "train", "--data", bad_magic, "--out", out, "-q"), "wrong magic number")
    mismatch = tmp_path / "m"
    mismatch.mkdir()
    _idx(mismatch / "t-images-idx3-ubyte", np.zeros((4, 8, 8)))
    _idx(mismatch / "t-labels-idx1-ubyte", np.zeros(3))
    assert_user_error(cli(capsys, "train", "--data", mismatch / "t-images-idx3-ubyte", "--out", out, "-q"),
                      "4 images but 3 labels")
    np.savez(tmp_path / "unlabelled.npz", images=np.zeros((6, 8, 8)))
    assert_user_error(cli(capsys, "train", "--data", tmp_path / "unlabelled.npz", "--conditional", "--out", out, "-q"),
                      "--conditional needs class labels")
    assert_user_error(cli(capsys, "train", "--data", "digits", "--image-size", "30", "--out", out, "-q"),
                      "--image-size must be 8, 16, 28, 32 or 64")
    assert not out.exists()


def test_resized_colour_run_on_a_folder(tmp_path, capsys):
    for i in range(6):  # two classes of pictures of other sizes than G makes
        for name, channel in (("red", 0), ("blue", 2)):
            pixels = np.zeros((20 + i, 24, 3), dtype=np.uint8)
            pixels[..., channel] = 220
            (tmp_path / "pics" / name).mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels).save(tmp_path / "pics" / name / f"{i}.png")
    out = tmp_path / "run"
    code, _, err = cli(capsys, "train", "--data", tmp_path / "pics", "--out", out, "--image-size", "16",
                       "--steps", "20", "--log-every", "10", "--eval-samples", "100", "--conditional", "-q")
    assert code == 0, err
    assert np.load(out / "snapshots.npz")["real"].shape[1:] == (3, 16, 16)
    code, _, _ = cli(capsys, "sample", out, "-n", "4", "--label", "1", "-o", tmp_path / "blue.npy")
    assert code == 0 and np.load(tmp_path / "blue.npy").shape == (4, 3, 16, 16)
