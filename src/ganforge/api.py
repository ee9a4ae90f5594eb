"""The Python facade, scikit-learn style: GAN(...).fit(data) -> self; .sample(n); .sample_to_file(path, n); .save(dir); load(dir)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

import ganforge.catalog  # noqa: F401  (fills every registry)
from ganforge.comparison import DEFAULT_MODELS
from ganforge.config import TrainConfig
from ganforge.data.dataset import IN_MEMORY, Dataset
from ganforge.data.points import check_points
from ganforge.errors import UserError
from ganforge.registry import datasets
from ganforge.launch import train
from ganforge.privacy.options import check_requested_privacy
from ganforge.training.run import read_summary
from ganforge.training.state import TrainedRun, load_run


class GAN:
    """A generative model trained on your data.

    Keyword arguments are the run options (see `ganforge train --help`; `lr_generator`,
    `steps`, `loss`, ...), stored as given and checked by `fit`.

        gan = GAN(loss="non-saturating", steps=5000, seed=0).fit("ring8")
        points = gan.sample(1000)
    """

    def __init__(self, **options: Any):
        self.options = options

    def get_params(self) -> dict[str, Any]:
        return dict(self.options)

    def fit(self, data: Any, out: str | Path | None = None, overwrite: bool = False,
            progress: bool = True) -> "GAN":
        """Trains on `data`: a built-in name, a path (.npy/.csv of points, a .csv or .parquet table,
        images), or an array / DataFrame of shape (n, d). With `out`, also writes the run directory (config, metrics, report...)."""
        dataset, name = _as_dataset(data)
        check_requested_privacy(self.options)
        config = TrainConfig.from_dict({**self.options, "data": name}, origin="GAN options")
        self._adopt(train(config, dataset, out=out, overwrite=overwrite, progress=progress))
        self.run_dir_ = Path(out) if out is not None else None
        return self

    def sample(self, n: int, seed: int | None = None, where: dict[str, Any] | None = None,
               allow_copies: bool = False, label: int | None = None, refine: str | None = None,
               refine_options: dict[str, Any] | None = None) -> Any:
        """n generated points, shape (n, d), in the units of the training data; for a table, a
        DataFrame with its columns and dtypes, where every row holds `where` ({column: value} of
        discrete columns) and none copies a training row unless `allow_copies`.

        refine="drs" or "mh" refines the samples with the calibrated discriminator (see
        sampling/refine.py; `refine_options`: percentile, mh_steps, langevin_steps,
        step_size, calibration, calibration_rows, score); its cost is
        then in `refine_cost_`, D's calibration in
        `refine_calibration_`. Successive calls give new samples; a given seed always gives the same ones.
        """
        self._check_fitted()
        if n <= 0:
            raise UserError(f"the number of samples must be > 0, got {n}")
        if seed is None:
            seed = int(torch.randint(0, 2**62, (1,), generator=self._sample_rng))
        from ganforge.data.table_sampling import is_table_run, sample_table

        run = self.run_ if refine is None else self._refined(refine, refine_options)
        if is_table_run(self.run_):
            if label is not None:
                raise UserError("label= picks a class of images; for a table, use where={column: value}")
            out = sample_table(run, n, seed, where, allow_copies)
        elif where:
            raise UserError("where= conditions apply to tables (a model trained on a CSV or DataFrame)")
        elif label is not None:  # images: a conditional model asked for one class
            from ganforge.data.image_encoder import label_conditions

            out = run.sample(n, seed, label_conditions(self.run_, label, n))
        else:
            out = run.sample(n, seed)
        if refine is not None:
            self.refine_cost_, self.refine_calibration_ = run.cost(), run.calibration.to_dict()
        return out

    def _refined(self, method: str, options: dict[str, Any] | None) -> Any:
        """The run behind a refining sampler; D's calibration is fitted once per method and kept."""
        from ganforge.sampling.refine import RefinedRun, refine_options

        options = refine_options(options)
        key = (options.calibration, options.calibration_rows, options.score)
        refined = RefinedRun(self.run_, method, options, getattr(self, "run_dir_", None), self._calibrations.get(key))
        self._calibrations[key] = refined.calibration
        return refined

    def sample_to_file(self, path: str | Path, n: int, seed: int | None = None, where: dict[str, Any] | None = None,
                       allow_copies: bool = False, label: int | None = None, overwrite: bool = False,
                       progress: bool = False, refine: str | None = None,
                       refine_options: dict[str, Any] | None = None) -> Path:
        """Writes n samples to `path` (.csv, .parquet, .npy or .png by its suffix) and returns it;
        `refine` and `refine_options` as in sample (the cost then in `refine_cost_`).

        A table is drawn and written in chunks (memory bounded by the chunk, not n), each chunk
        from a seed derived from `seed`, under a temporary name moved into place when complete:
        an existing file is replaced only by a whole one, and only with overwrite=True.
        """
        self._check_fitted()
        path = Path(path)
        if n <= 0:
            raise UserError(f"the number of samples must be > 0, got {n}")
        if path.exists() and not overwrite:
            raise UserError(f"{path} exists; use --overwrite (overwrite=True) to replace it")
        from ganforge.data.table_sampling import is_table_run
        from ganforge.io import write_samples

        if is_table_run(self.run_) and label is None:
            from ganforge.chunked_sampling import write_table_samples

            if seed is None:
                seed = int(torch.randint(0, 2**62, (1,), generator=self._sample_rng))
            run = self.run_ if refine is None else self._refined(refine, refine_options)
            write_table_samples(run, path, n, seed, where, allow_copies, progress)
            if refine is not None:
                self.refine_cost_, self.refine_calibration_ = run.cost(), run.calibration.to_dict()
        else:
            write_samples(self.sample(n, seed, where, allow_copies, label, refine, refine_options), path)
        return path

    def save(self, directory: str | Path) -> Path:
        """Writes config.yaml and the checkpoint to `directory`; `ganforge.load` reads it back."""
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.config_.to_yaml(directory / "config.yaml")
        if not self.run_.save(directory):
            raise UserError("the model's weights are not finite (the run diverged); nothing was saved")
        return directory

    @property
    def generator_(self) -> torch.nn.Module | None:
        """G for a GAN or a GMMN; None for a model without one (VAE, autoencoders, MLE fits)."""
        self._check_fitted()
        return getattr(self.run_.model, "G", None)

    @property
    def discriminator_(self) -> torch.nn.Module | None:
        """D for a GAN; None for every other model."""
        self._check_fitted()
        return getattr(self.run_.model, "D", None)

    def _adopt(self, run: TrainedRun) -> None:
        self.run_ = run
        self.config_ = run.config
        self.encoder_ = run.encoder
        self.history_ = run.records
        self.summary_ = run.summary
        self._sample_rng = torch.Generator().manual_seed(run.config.seed + 3)
        self._calibrations: dict[tuple, Any] = {}  # D's calibration per (method, rows), fitted when first refined

    def _check_fitted(self) -> None:
        if not hasattr(self, "run_"):
            raise UserError("this GAN is not fitted yet; call fit(data) first")


def load(directory: str | Path, device: str | None = None) -> GAN:
    """A fitted GAN from a run directory or a directory written by GAN.save."""
    run = load_run(Path(directory), device=device)
    gan = GAN(**{k: v for k, v in run.config.to_dict().items() if k != "data"})
    gan._adopt(run)
    gan.run_dir_ = Path(directory)  # where refinement keeps D's calibration
    return gan


def evaluate(directory: str | Path, n: int = 2500, seed: int = 0, real: str | Path | None = None,
             target: str | None = None, inception_weights: str | Path | None = None,
             refine: str | None = None, refine_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Scores a finished run's samples against its data with every metric of the modality;
    writes directory/evaluation.json and returns the figures. Tables: `real` is a CSV of real
    held-out rows (ML efficacy, DCR, and the membership-inference audit: `membership_auc`,
    `membership_inference`), `target` the label column (default: the last one).
    With `refine` ("drs", "mh"), the same figures for refined samples go under "refined",
    with the sampling cost and D's calibration (a table's `real` rows then calibrate D)."""
    import json

    from ganforge.data.table_sampling import is_table_run, prepare_evaluation, sample_table
    from ganforge.metrics.evaluate import evaluate_samples

    if n <= 0:
        raise UserError(f"the number of samples must be > 0, got {n}")
    run = load_run(Path(directory))
    if refine is not None:
        from ganforge.sampling.refine import check_refinable

        check_refinable(run, refine, directory)  # before any scoring: a wrong run fails at once
    dataset = run.load_dataset()
    draw = (lambda r: sample_table(r, n, seed)) if is_table_run(run) else (lambda r: r.sample(n, seed))
    if is_table_run(run):
        prepare_evaluation(run, dataset, real, target)
    elif real is not None or target is not None:
        raise UserError("--real and --target apply to tables (a run trained on a CSV)")
    options = {"inception_weights": inception_weights} if inception_weights else {}  # images: standard FID
    figures = {"samples": n, **evaluate_samples(dataset, draw(run), seed, run_dir=Path(directory), full=True,
                                                **options)}
    if refine is not None:
        from ganforge.sampling.refine import refined_figures

        figures["refined"], calibration = refined_figures(run, dataset, draw, refine, refine_options,
                                                          Path(directory), seed, **options)
    (Path(directory) / "evaluation.json").write_text(json.dumps(figures, indent=2) + "\n")
    if refine is not None:  # the report gains its refinement section and D's reliability curve
        from ganforge.report.refine_section import plot_reliability

        plot_reliability(calibration, Path(directory) / "plots" / "calibration.png")
    if is_table_run(run) or refine is not None:  # the report gains its table section
        from ganforge.report import build_report

        build_report(directory)
    return figures


def explain(directory: str | Path) -> str:
    """The diagnosis of a finished run and its theory figures, in plain words."""
    from ganforge.diagnostics.explain import explain as explain_summary

    return explain_summary(read_summary(directory))


def compare(data: Any, models: str | list[str] = DEFAULT_MODELS, out: str | Path | None = None,
            steps: int | None = None, seed: int = 0, overwrite: bool = False, progress: bool = False,
            **options: Any) -> list[dict[str, Any]]:
    """Trains each model on the same data and seed; returns the table, one dict per model.

        rows = ganforge.compare("ring8", models=["gan", "vae", "gmm"], out="runs/cmp", steps=2000)

    `data` is what GAN.fit takes; `options` (e.g. generator_hidden=[64, 64]) apply to every model.
    With `out`, writes out/<model>/ (a run directory each), comparison.json, comparison.md and
    report.html (the table and every model's samples side by side).
    """
    from ganforge.comparison import compare as run_comparison

    dataset, name = _as_dataset(data)
    return run_comparison(name, models, out, steps, seed, options, dataset, overwrite, progress)


def compare_runs(directories: list[str | Path], out: str | Path | None = None) -> list[dict[str, Any]]:
    """The comparison table of finished run directories; with `out`, also written there."""
    from ganforge.comparison import compare_runs as read_runs, write_comparison

    rows = read_runs(directories)
    if out is not None:
        write_comparison(rows, out)
    return rows


def _as_dataset(data: Any) -> tuple[Dataset | None, str]:
    """(dataset, name): None for a name or path, loaded later; an in-memory Dataset for arrays."""
    if isinstance(data, (str, Path)):
        if str(data) not in datasets and Path(data).exists():
            return None, str(Path(data).resolve())  # the run's config.yaml then works from any directory
        return None, str(data)
    try:
        import pandas as pd

        if isinstance(data, pd.DataFrame):  # a table: typed columns, one encoder per column
            from ganforge.data.tabular import table_dataset

            return table_dataset(data, IN_MEMORY, "the DataFrame"), IN_MEMORY
    except ImportError:  # pragma: no cover
        pass
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    if not isinstance(data, np.ndarray):
        raise UserError(f"fit() takes a dataset name, a path, an array or a DataFrame, not {type(data).__name__}")
    if data.ndim in (3, 4):  # images: (n, H, W), (n, H, W, C) or (n, C, H, W)
        from ganforge.data.images import as_images, images_dataset

        return images_dataset(IN_MEMORY, as_images(data, "the images")), IN_MEMORY
    points = check_points(data, "the data")
    return Dataset(name=IN_MEMORY, dim=points.shape[1], points=points), IN_MEMORY
