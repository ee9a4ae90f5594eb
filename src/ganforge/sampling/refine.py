"""A trained run whose samples are refined by its discriminator: checks, per-row scores, calibration.

RefinedRun(run, "drs") samples like the run itself (sample / sample_encoded), so tables (--where,
no copies), image classes and evaluation use it unchanged. The encoded rows are refined before
decoding.

Packed D (PacGAN, tables' pack=10): an optimal packed D sees pack rows drawn together, so its
logit is log prod p_t(x_i) / prod p_g(x_i) = sum_i log r(x_i). A row packed with `pack` copies of
itself therefore scores pack * log r(x): we divide by pack to read one row's log-ratio, then
calibrate that per-row figure on real and generated rows scored the same way. Rows are accepted
one by one (not whole packs), so a refined sample keeps exactly the rows asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
from torch import Tensor

from ganforge.diagnostics.calibration import METHODS, Calibration
from ganforge.errors import UserError
from ganforge.sampling.samplers import Cost, drs, langevin, mh

REFINERS = ("drs", "mh", "langevin")
CALIBRATION_FILE = "calibration.json"
CALIBRATION_ROWS = 5000  # real and generated rows each
CALIBRATION_VERSION = 2  # a saved calibration of another version is fitted again
SCORE_CHUNK = 4096
SCORE_CLIP = 1e-4  # least-squares D outputs are read as probabilities inside [clip, 1 - clip]


@dataclass(frozen=True)
class RefineOptions:
    """Each sampler's knobs; see docs/_incoming/refine.md."""

    percentile: float | None = 80.0  # DRS: gamma = this percentile of F(x) over the burn-in; None: gamma 0
    mh_steps: int = 32  # MH: proposals per chain after its first
    langevin_steps: int = 100  # Langevin: gradient steps in the latent space
    step_size: float = 0.01  # Langevin: eps in z <- z - eps/2 grad E(z) + sqrt(eps) n
    calibration: str = "logistic"  # or "isotonic"
    calibration_rows: str | None = None  # tables: a CSV of real rows D never trained on, to calibrate on
    score: str = "row"  # a packed D (pack > 1): "row" scores each row packed with copies of itself;
    # "pack" scores packs of `pack` fresh rows as D trained on them, and DRS / MH accept whole packs

    def check(self) -> None:
        if self.percentile is not None and not 0.0 <= self.percentile <= 100.0:
            raise UserError(f"--drs-percentile must be within [0, 100], got {self.percentile}")
        if self.mh_steps < 1:
            raise UserError(f"--mh-steps must be >= 1, got {self.mh_steps}")
        if self.langevin_steps < 1:
            raise UserError(f"--langevin-steps must be >= 1, got {self.langevin_steps}")
        if not 0.0 < self.step_size <= 1.0:
            raise UserError(f"--step-size must be within (0, 1], got {self.step_size}")
        if self.score not in ("row", "pack"):
            raise UserError(f"--score must be row or pack, got {self.score!r}")
        if self.calibration not in METHODS:
            raise UserError(f"--calibration must be one of {', '.join(METHODS)}, got {self.calibration!r}")


def probability_losses() -> list[str]:
    """Losses whose D reads as a probability of 'real' (its optimum is D* = p_t / (p_t + p_g))."""
    from ganforge.registry import losses

    return [name for name, loss in losses.items() if loss.output in ("logit", "score")]


def check_refinable(run, method: str, run_dir: str | Path | None = None):
    """The run, judged by a D whose output is a probability (a --grid run: its mixture with the
    best cell's D); a one-line UserError when there is none."""
    if method not in REFINERS:
        raise UserError(f"--refine must be one of {', '.join(REFINERS)}, got {method!r}")
    if getattr(run.config, "dp_epsilon", 0):
        raise UserError(f"--refine {method} calibrates D on real rows, outside this run's differential privacy "
                        f"budget; sample a --dp-epsilon run without --refine")
    if hasattr(run.model, "generators"):  # a --grid run: GeneratorMixture
        if method == "langevin":
            raise UserError("--refine langevin needs one generator; a --grid run samples a mixture (use drs or mh)")
        run = replace(run, model=_judged_mixture(run, run_dir))
    model = run.model
    if getattr(model, "D", None) is None:
        raise UserError(f"--refine {method} needs a GAN's saved discriminator; model {run.config.model!r} has none")
    if model.loss.output not in ("logit", "score"):
        raise UserError(f"--refine {method} reads D as a probability; loss {run.config.loss!r} gives none "
                        f"(refinement supports: {', '.join(probability_losses())})")
    return run


def _judged_mixture(run, run_dir: str | Path | None) -> SimpleNamespace:
    """A --grid run's mixture with the D of its best cell (the cell whose neighbourhood the mixture
    is), read from the grid checkpoint. That D trained against the neighbourhood's generators, so
    the calibration on the mixture's own samples is what makes its logit a ratio for the mixture."""
    from ganforge.distributed.mixture import build_gan, load_flat
    from ganforge.training.checkpoint import load_checkpoint

    if run_dir is None:
        raise UserError("refining a --grid run reads its cells' discriminators: load it from its run directory")
    tensors, state = load_checkpoint(Path(run_dir))
    if "grid.discriminators" not in tensors:
        raise UserError(f"the --grid run in {run_dir} saved no discriminators; nothing can refine its samples")
    gan = build_gan(run.config, run.encoder, run.model.device)
    load_flat(gan.D, tensors["grid.discriminators"][int(state["mixture"]["cell"])])
    return SimpleNamespace(D=gan.D.eval(), loss=gan.loss, device=run.model.device, config=run.config,
                           conditional=False, sample=run.model.sample)


class RefinedRun:
    """The run's sampling interface, with every sample refined by `method` (drs, mh or langevin)."""

    def __init__(self, run, method: str, options: RefineOptions = RefineOptions(),
                 run_dir: str | Path | None = None, calibration: Calibration | None = None):
        run = check_refinable(run, method, run_dir)
        options.check()
        if method == "langevin" and options.calibration != "logistic":
            raise UserError("--refine langevin follows the gradient of D's logit: use --calibration logistic "
                            "(isotonic is a step function, flat almost everywhere)")
        self.run, self.method, self.options = run, method, options
        self.costs: list[Cost] = []
        real = held_out_rows(run, options.calibration_rows) if options.calibration_rows else None
        self.packed = options.score == "pack" and getattr(run.model.D, "pack", 1) > 1 and method != "langevin"
        self.calibration = calibration or load_or_fit_calibration(run, options.calibration, run_dir, real,
                                                                  packed=self.packed)

    def __getattr__(self, name: str) -> Any:  # encoder, model, config, decode... are the run's
        return getattr(self.run, name)

    def sample(self, n: int, seed: int, conditions: Tensor | None = None) -> Any:
        return self.run.decode(self.sample_encoded(n, seed, conditions))

    def sample_encoded(self, n: int, seed: int, conditions: Tensor | None = None) -> Tensor:
        model = self.run.model
        if getattr(model, "conditional", False):
            if conditions is None:  # drawn as the plain run draws them, so slot i keeps its condition
                conditions = self.run.encoder.sample_conditions(n, torch.Generator().manual_seed(seed + 1))
        elif conditions is not None:
            raise UserError("this model was not trained with conditions; it cannot sample under one")
        noise = torch.Generator(model.device).manual_seed(seed)  # G's z, as in plain sampling
        choices = torch.Generator().manual_seed(seed + 104729)  # the sampler's slots and uniforms

        def propose(slots: Tensor) -> Tensor:
            c = None if conditions is None else conditions[slots]
            return model.sample(len(slots), noise, c) if c is not None else model.sample(len(slots), noise)

        def log_ratio(x: Tensor, slots: Tensor) -> Tensor:
            c = None if conditions is None else conditions[slots]
            return self.calibration.apply(raw_logits(model, x, c))

        if self.packed:
            out, cost = self._by_packs(n, noise, choices, conditions)
        elif self.method == "langevin":
            out, cost = self._langevin(n, noise, choices, conditions)
        elif self.method == "drs":
            out, cost = drs(propose, log_ratio, n, choices, self.options.percentile)
        else:
            out, cost = mh(propose, log_ratio, n, choices, self.options.mh_steps)
        self.costs.append(cost)
        return out

    def _by_packs(self, n: int, noise: torch.Generator, choices: torch.Generator,
                  conditions: Tensor | None) -> tuple[Tensor, Cost]:
        """DRS or MH over packs of `pack` rows, scored as D trained: the optimal packed D's odds are
        prod p_t(x_i) / prod p_g(x_i), so accepted packs follow p_t in every row. Row i of the n
        asked keeps its condition; the last pack is filled with conditions from the start."""
        model = self.run.model
        pack = model.D.pack
        packs = -(-n // pack)
        conds = None if conditions is None else conditions[torch.arange(packs * pack) % n]

        def rows_of(slots: Tensor) -> Tensor:
            return (slots[:, None] * pack + torch.arange(pack)).reshape(-1)  # (m * pack,)

        def propose(slots: Tensor) -> Tensor:
            c = None if conds is None else conds[rows_of(slots)]
            x = model.sample(len(slots) * pack, noise, c) if c is not None else model.sample(len(slots) * pack, noise)
            return x.view(len(slots), pack, -1)  # (m, pack, d)

        def log_ratio(x: Tensor, slots: Tensor) -> Tensor:
            c = None if conds is None else conds[rows_of(slots)].view(len(slots), pack, -1)
            return self.calibration.apply(raw_logits(model, x, c))

        if self.method == "drs":
            out, cost = drs(propose, log_ratio, packs, choices, self.options.percentile)
        else:
            out, cost = mh(propose, log_ratio, packs, choices, self.options.mh_steps)
        cost.extra["scored_by"] = f"packs of {pack}"
        cost.samples = packs  # figures per pack; samples per second in rows below
        cost.extra["rows_per_second"] = packs * pack / max(cost.seconds, 1e-9)
        return out.reshape(packs * pack, -1)[:n], cost

    def _langevin(self, n: int, noise: torch.Generator, choices: torch.Generator,
                  conditions: Tensor | None) -> tuple[Tensor, Cost]:
        """Latent Langevin on E(z) = ||z||^2 / 2 - l(G(z)), in chunks; returns G(z) at the end."""
        model = self.run.model
        G = model.G_ema if getattr(model, "G_ema", None) is not None else model.G
        was_training = G.training
        G.eval()
        z = torch.randn(n, model.config.noise_dim, generator=noise, device=model.device)  # z ~ N(0, I)
        c = None if conditions is None else conditions.to(model.device)
        outs, total = [], Cost("langevin", samples=n)
        for i in range(0, n, SCORE_CHUNK):
            ci = None if c is None else c[i:i + SCORE_CHUNK]

            def energy(zi: Tensor) -> Tensor:  # E(z) = ||z||^2 / 2 - a l(G(z)) - b
                x = G(zi, ci) if ci is not None else G(zi)
                return 0.5 * zi.pow(2).sum(dim=1) - self.calibration.apply(_row_logits(model, x, ci))

            zi, cost = langevin(z[i:i + SCORE_CHUNK], energy, choices, self.options.langevin_steps,
                                self.options.step_size)
            with torch.no_grad():
                outs.append(G(zi, ci) if ci is not None else G(zi))
            total.proposals += cost.proposals
            total.accepted += cost.accepted
            total.seconds += cost.seconds
            total.extra = cost.extra
        G.train(was_training)
        return torch.cat(outs), total

    def cost(self) -> dict[str, Any]:
        """The cost over every call so far (a table may draw again for its conditions and copies)."""
        if not self.costs:
            return {}
        total = Cost(self.method, extra={**self.costs[0].extra, "draws": len(self.costs)})
        for cost in self.costs:
            total.samples += cost.samples
            total.proposals += cost.proposals
            total.accepted += cost.accepted
            total.seconds += cost.seconds
            total.burn_in += cost.burn_in
        return total.figures()


@torch.no_grad()
def raw_logits(model, x: Tensor, conditions: Tensor | None = None) -> Tensor:
    """D's per-row (or per-pack) logit, (n,) float64 on the CPU, in chunks (see _row_logits)."""
    out = [_row_logits(model, x[i:i + SCORE_CHUNK].to(model.device),
                       None if conditions is None else conditions[i:i + SCORE_CHUNK].to(model.device)).double().cpu()
           for i in range(0, x.shape[0], SCORE_CHUNK)]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.float64)


def _row_logits(model, x: Tensor, c: Tensor | None) -> Tensor:
    """(m,) logits, differentiable: of each row (m, d), packed with copies of itself, the pack's logit
    / pack; or of each pack (m, pack, d) of distinct rows, as D trained on them."""
    D = model.D
    pack = getattr(D, "pack", 1)
    was_training = D.training
    D.eval()  # no dropout: a score, not a training pass
    if x.dim() == 3:  # packs of rows: D's own input, its logit as it is
        rows, pack = x.reshape(-1, x.shape[-1]), 1
        c = None if c is None else c.reshape(-1, c.shape[-1])
    else:
        rows = x.repeat_interleave(pack, dim=0)  # (m * pack, d): row i fills pack i
        c = None if c is None else c.repeat_interleave(pack, dim=0)
    score = D(rows, c) if c is not None else D(rows)  # (m,)
    if model.loss.output == "score":  # least squares: D* = p_t / (p_t + p_g) too; read its logit
        s = score.clamp(SCORE_CLIP, 1 - SCORE_CLIP)
        score = torch.log(s) - torch.log1p(-s)
    D.train(was_training)
    return score / pack


def calibration_logits(run, n: int = CALIBRATION_ROWS, real=None, packed: bool = False) -> tuple[Tensor, Tensor, str]:
    """(real logits, generated logits, where the real rows came from), scored like sampling scores.

    Toy data: fresh draws of the known distribution (D never saw them: it is continuous and
    endless). Finite data: the `real` Dataset (held-out rows) when given, else the training rows.
    Conditions are drawn as training draws them; generated rows are G's under the same kind.
    """
    from ganforge.training.batches import batch_source, split_batch

    dataset = real if real is not None else run.load_dataset()
    if dataset.toy is not None:
        source = "fresh draws of the toy distribution (never seen by D)"
    elif real is not None:
        source = f"{len(dataset)} held-out real rows"
    else:
        source = f"the {len(dataset)} training rows (D saw them: its calibration may be optimistic)"
    seed = run.config.seed + 7_777_777  # a stream of its own, never the training one
    view = SimpleNamespace(dataset=dataset, encoder=run.encoder, model=run.model, shard=None,
                           data_rng=torch.Generator().manual_seed(seed))
    model = run.model
    pack = model.D.pack if packed else 1
    rows = (n // 2) * pack if packed else n  # packed: n / 2 packs of each kind
    x, c_real, c_fake = split_batch(batch_source(view, rows)())
    fake = model.sample(rows, torch.Generator(model.device).manual_seed(seed + 1), c_fake) if c_fake is not None \
        else model.sample(rows, torch.Generator(model.device).manual_seed(seed + 1))
    if packed:  # (packs, pack, d), and their conditions alike
        x, fake = x.view(-1, pack, x.shape[-1]), fake.view(-1, pack, fake.shape[-1])
        c_real = None if c_real is None else c_real.view(-1, pack, c_real.shape[-1])
        c_fake = None if c_fake is None else c_fake.view(-1, pack, c_fake.shape[-1])
    return raw_logits(model, x, c_real), raw_logits(model, fake, c_fake), source


def load_or_fit_calibration(run, method: str, run_dir: str | Path | None = None, real=None,
                            packed: bool = False) -> Calibration:
    """The calibration saved in run_dir/calibration.json when it fits this checkpoint and method
    (and no held-out rows were given), else a new fit, saved there."""
    path = Path(run_dir) / CALIBRATION_FILE if run_dir is not None else None
    if path is not None and path.is_file() and real is None:
        try:
            saved = Calibration.from_dict(json.loads(path.read_text()))
            if (saved.method, saved.figures.get("step"), saved.figures.get("version"), saved.figures.get("packed")) \
                    == (method, run.step, CALIBRATION_VERSION, packed):
                return saved
        except (ValueError, KeyError, TypeError):
            pass  # unreadable or from an older format: fitted again below
    real_logits, fake_logits, source = calibration_logits(run, real=real, packed=packed)
    calibration = Calibration.fit(real_logits.numpy(), fake_logits.numpy(), method, seed=run.config.seed)
    calibration.figures.update({"step": run.step, "version": CALIBRATION_VERSION, "packed": packed, "real_rows": source, "pack": getattr(run.model.D, "pack", 1)})
    if path is not None:
        try:
            calibration.save(path)
        except OSError:  # a read-only run directory: the calibration is used, not kept
            pass
    return calibration


def held_out_rows(run, path: str | Path):
    """A table's held-out real rows (a CSV with the training columns) as a Dataset to calibrate on."""
    from ganforge.data.dataset import Dataset
    from ganforge.data.table_sampling import is_table_run
    from ganforge.data.tabular import load_table

    if not is_table_run(run):
        raise UserError("--calibration-rows takes held-out rows of a table; toy data calibrates on fresh draws")
    if not Path(path).is_file():
        raise UserError(f"--calibration-rows {path}: no such file")
    table = load_table(Path(path)).table
    names = run.encoder.column_names
    missing = [name for name in names if name not in table.columns]
    if missing:
        raise UserError(f"--calibration-rows {path} lacks column {missing[0]!r} of the training data")
    return Dataset(name=str(path), dim=len(names), table=table[names].reset_index(drop=True))


def refine_options(options: dict[str, Any] | RefineOptions | None) -> RefineOptions:
    """RefineOptions from a plain dict (GAN.sample's refine_options); unknown keys are a user error."""
    if isinstance(options, RefineOptions):
        return options
    known = RefineOptions.__dataclass_fields__
    unknown = sorted(set(options or {}) - set(known))
    if unknown:
        raise UserError(f"unknown refine option {unknown[0]!r}; known: {', '.join(known)}")
    return RefineOptions(**(options or {}))


def refined_figures(run, dataset, draw, method: str, options, run_dir: Path, seed: int,
                    **metric_options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(figures, calibration): the evaluation figures of refined samples with their cost and D's
    calibration figures, for evaluation.json; the whole calibration (reliability curves) for the report.

    `draw(run_like)` draws the same n samples the plain evaluation drew, from the refined run.
    A table evaluated against held-out rows (--real) calibrates D on them: rows D never trained on.
    """
    from ganforge.data.dataset import Dataset
    from ganforge.metrics.evaluate import evaluate_samples

    opts = refine_options(options)
    run = check_refinable(run, method, run_dir)  # a --grid run: its mixture, judged by its best cell's D
    holdout = dataset.meta.get("holdout")
    real = None if holdout is None else Dataset(name="holdout", dim=dataset.dim, table=holdout, meta=dataset.meta)
    packed = opts.score == "pack" and getattr(run.model.D, "pack", 1) > 1 and method != "langevin"
    refined = RefinedRun(run, method, opts, run_dir, load_or_fit_calibration(run, opts.calibration, run_dir, real,
                                                                             packed=packed))
    samples = draw(refined)
    figures = evaluate_samples(dataset, samples, seed, run_dir=None if dataset.kind == "table" else run_dir,
                               full=True, **metric_options)  # a table's plots stay the plain samples'
    calibration = refined.calibration.figures
    distance = d_star_distance(run, refined.calibration, dataset, seed) if dataset.kind == "toy" else {}
    summary = {"method": refined.calibration.method, **distance, "params": refined.calibration.params
               if refined.calibration.method == "logistic" else "see calibration.json",
               **{k: calibration.get(k) for k in ("ece_before", "ece_after", "real_rows")}}
    return ({"method": method, "samples": len(samples), **figures, "cost": refined.cost(),
             "calibration": summary}, refined.calibration.to_dict())


def d_star_distance(run, calibration: Calibration, dataset, seed: int, n: int = 2000) -> dict[str, float]:
    """Mean |D(x) - D*(x)| with D read raw and calibrated, for a 1D/2D toy law with a density (else {}).

    D* = p_t / (p_t + p_g) with p_g estimated from G's samples (diagnostics/theory.py), at points
    spread over both; D(x) = sigmoid(l) before, sigmoid(a l + b) (or the isotonic map) after.
    """
    import numpy as np

    from ganforge.diagnostics.theory import estimate_generator_density, optimal_discriminator, points_for_mae

    toy = dataset.toy
    if not getattr(toy, "has_density", False) or toy.dim not in (1, 2):
        return {}
    generated = np.asarray(run.sample(n, seed + 1), dtype=np.float64)
    real = toy.sample(n, torch.Generator().manual_seed(seed + 2)).double().numpy()
    log_p_gen = estimate_generator_density(generated)
    if log_p_gen is None:
        return {}
    points = points_for_mae(real, generated)
    d_star = optimal_discriminator(toy.log_density(points), log_p_gen(points))
    logits = raw_logits(run.model, run.encoder.transform(torch.as_tensor(points, dtype=torch.float32))).numpy()
    sigmoid = lambda l: 1.0 / (1.0 + np.exp(-l))  # noqa: E731
    return {"d_star_mae_before": float(np.mean(np.abs(sigmoid(logits) - d_star))),
            "d_star_mae_after": float(np.mean(np.abs(sigmoid(calibration.apply(logits)) - d_star)))}
