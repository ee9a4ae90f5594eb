"""The command line: parses and validates, then calls the library. User mistakes -> `error: ...`, exit 2."""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path
from typing import Any, Optional

import importlib
import warnings

import typer
from rich.console import Console
from rich.table import Table

from ganforge.config import CHOICES, HELP, TrainConfig, check_seed, read_yaml
from ganforge.errors import DataWarning, UserError, announce_error
from ganforge.registry import datasets, losses, models

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Train GANs on your own data, see what the game did, measure it honestly.")
out_console = Console()

# Options that --resume accepts: everything else comes from the run's own configuration.
RESUME_OVERRIDES = ("steps", "device", "generations")
# Commands that load the library (torch and every registry), and `compare --data` that trains; the
# others (--help, datasets, explain, compare DIR...) start without it, so they answer at once.
LIBRARY_COMMANDS = ("train", "sample", "evaluate")


def _train_options() -> list[inspect.Parameter]:
    """One --option per TrainConfig field, all defaulting to None so we know which were given."""
    params = []
    defaults = TrainConfig()
    for key in TrainConfig.keys():
        default = getattr(defaults, key)
        flag = "--" + key.replace("_", "-")
        choices = {"loss": losses.names(), "model": models.names(), **CHOICES}.get(key)
        shown = ", ".join(map(str, default)) if isinstance(default, list) else default
        # Round brackets: rich reads square ones as markup and would swallow them.
        help_text = f"{HELP[key]} (default: {shown})" + (f" (choices: {', '.join(choices)})" if choices else "")
        if isinstance(default, bool):
            option = typer.Option(None, f"{flag}/--no-{flag[2:]}", help=help_text, show_default=False)
            annotation = Optional[bool]
        else:
            option = typer.Option(None, flag, help=help_text, show_default=False)
            annotation = {int: Optional[int], float: Optional[float]}.get(type(default), Optional[str])
        params.append(inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation))
    return params


def train(out: Path, config: Optional[Path], resume: bool, overwrite: bool, quiet: bool, **given: Any) -> None:
    """Train a model and write a run directory: config, metrics, checkpoint, plots and report."""
    from ganforge.launch import train as run_training
    from ganforge.privacy.options import check_requested_privacy

    given = {k: v for k, v in given.items() if v is not None}
    check_requested_privacy(given)
    if resume:
        extra = (sorted(set(given) - set(RESUME_OVERRIDES)) + (["config"] if config else [])
                 + (["overwrite"] if overwrite else []))
        if extra:
            raise UserError(f"--resume continues the run in {out} with its own configuration; "
                            f"drop --{extra[0].replace('_', '-')} (only --steps, --device and --generations may change)")
        run = run_training(None, out=out, resume=True, progress=not quiet, **given)
    else:
        values = read_yaml(config) if config else {}
        origin = f"config file {config}" if config else "options"
        TrainConfig.from_dict(values, origin=origin)  # names the bad key of the file itself
        merged = {**values, **given}
        data = merged.get("data")
        if isinstance(data, str) and data not in datasets and Path(data).exists():
            merged["data"] = str(Path(data).resolve())  # so evaluate / --resume work from any directory
        run = run_training(TrainConfig.from_dict(merged, origin=origin), out=out,
                           overwrite=overwrite, progress=not quiet)
    if os.environ.get("RANK", "0") != "0":  # under torchrun, rank 0 alone reports
        return
    _print_summary(run.summary, out)
    if run.summary["stopped_because"] == "interrupted":
        print(f"interrupted at step {run.summary['steps']}; continue with: ganforge train --out {out} --resume",
              file=sys.stderr)
        raise typer.Exit(130)


def _train_command(out: Path = typer.Option(..., "--out", "-o", help="run directory to write"),
                   config: Optional[Path] = typer.Option(None, "--config", help="YAML file of options (CLI flags win)"),
                   resume: bool = typer.Option(False, "--resume", help="continue the run in --out from its last checkpoint"),
                   overwrite: bool = typer.Option(False, "--overwrite", help="replace a run already in --out"),
                   quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
                   **given: Any) -> None:
    train(out, config, resume, overwrite, quiet, **given)


_signature = inspect.signature(_train_command)


def _install_train_options() -> None:
    """train's --options from TrainConfig, with the choices the registries hold now."""
    _train_command.__signature__ = _signature.replace(
        parameters=[p for p in _signature.parameters.values() if p.kind != p.VAR_KEYWORD] + _train_options())


_install_train_options()
_train_command.__doc__ = train.__doc__
app.command("train")(_train_command)


@app.command("sample")
def sample(run_dir: Path = typer.Argument(..., help="a run directory (or one written by GAN.save)"),
           n: int = typer.Option(..., "-n", help="number of samples"),
           output: Path = typer.Option(..., "-o", "--output", help="file to write: .csv, .parquet, .npy or .png"),
           seed: int = typer.Option(0, "--seed", help="sampling seed"),
           label: Optional[int] = typer.Option(None, "--label", help="class to draw (a model trained with --conditional)"),
           overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing output file"),
           where: Optional[list[str]] = typer.Option(
               None, "--where", help="tables: COLUMN=VALUE of a discrete column; every row holds it (repeatable)"),
           allow_copies: bool = typer.Option(
               False, "--allow-copies", help="tables: keep generated rows equal to a training row"),
           refine: Optional[str] = typer.Option(
               None, "--refine", help="refine with the calibrated discriminator: drs, mh or langevin (default: none)"),
           drs_percentile: float = typer.Option(80.0, "--drs-percentile", help="DRS: gamma as this percentile of F(x)"),
           mh_steps: int = typer.Option(32, "--mh-steps", help="MH: chain length (proposals after the first)"),
           langevin_steps: int = typer.Option(100, "--langevin-steps", help="Langevin: gradient steps in latent space"),
           step_size: float = typer.Option(0.01, "--step-size", help="Langevin: step size eps"),
           calibration: str = typer.Option("logistic", "--calibration", help="D's calibration: logistic or isotonic"),
           score: str = typer.Option("row", "--score", help="packed D: score each row (row) or accept whole packs (pack)"),
           calibration_rows: Optional[Path] = typer.Option(
               None, "--calibration-rows", help="tables: CSV of real rows D never trained on, to calibrate D on"),
           ) -> None:
    """Draw samples from a trained model into a .csv, .parquet, .npy or .png file (tables: in chunks)."""
    from ganforge.api import load
    from ganforge.data.table_sampling import parse_where

    if n <= 0:
        raise UserError(f"-n must be > 0, got {n}")
    check_seed(seed)
    if output.exists() and not overwrite:
        raise UserError(f"{output} exists; use --overwrite to replace it")
    tables = {"where": parse_where(where)} if where else {}
    tables.update({"allow_copies": True} if allow_copies else {})
    refining = _refine_options(refine, drs_percentile, mh_steps, langevin_steps, step_size, calibration,
                               calibration_rows, score)
    gan = load(run_dir)
    gan.sample_to_file(output, n, seed=seed, label=label, overwrite=overwrite, progress=True, **tables, **refining)
    print(f"wrote {n} samples to {output}")
    if refine:
        from ganforge.sampling.samplers import cost_line

        print(cost_line(gan.refine_cost_))


def _refine_options(refine: Optional[str], percentile: float, mh_steps: int, langevin_steps: int, step_size: float,
                    calibration: str, calibration_rows: Optional[Path] = None, score: str = "row") -> dict[str, Any]:
    """sample's and evaluate's refine arguments, checked (sampling/refine.py says what they mean)."""
    if refine is None:
        return {}
    from ganforge.sampling.refine import REFINERS, RefineOptions

    if refine not in REFINERS:
        raise UserError(f"--refine must be one of {', '.join(REFINERS)}, got {refine!r}")
    options = RefineOptions(percentile=percentile, mh_steps=mh_steps, langevin_steps=langevin_steps,
                            step_size=step_size, calibration=calibration,
                            calibration_rows=str(calibration_rows) if calibration_rows else None, score=score)
    options.check()
    return {"refine": refine, "refine_options": options}


@app.command("evaluate")
def evaluate(run_dir: Path = typer.Argument(..., help="a run directory"),
             n: int = typer.Option(2500, "-n", help="generated samples to score"),
             seed: int = typer.Option(0, "--seed", help="sampling seed"),
             inception_weights: Optional[Path] = typer.Option(
                 None, "--inception-weights", help="images: a local copy of pytorch-fid's Inception-v3 weights "
                                                   "(.pth or .safetensors) for the standard FID; nothing is downloaded"),
             real: Optional[Path] = typer.Option(
                 None, "--real", help="tables: CSV of real held-out rows (ML efficacy, privacy and the "
                                      "membership-inference audit against it)"),
             target: Optional[str] = typer.Option(
                 None, "--target", help="tables: label column for ML efficacy (default: the last column)"),
             refine: Optional[str] = typer.Option(
                 None, "--refine", help="also score samples refined by D: drs, mh or langevin (default: none)"),
             drs_percentile: float = typer.Option(80.0, "--drs-percentile", help="DRS: gamma as this percentile of F(x)"),
             mh_steps: int = typer.Option(32, "--mh-steps", help="MH: chain length (proposals after the first)"),
             langevin_steps: int = typer.Option(100, "--langevin-steps", help="Langevin: gradient steps in latent space"),
             step_size: float = typer.Option(0.01, "--step-size", help="Langevin: step size eps"),
             calibration: str = typer.Option("logistic", "--calibration", help="D's calibration: logistic or isotonic"),
             score: str = typer.Option("row", "--score", help="packed D: score each row (row) or accept whole packs (pack)"),
             ) -> None:
    """Score a trained model against its data; writes DIR/evaluation.json."""
    from ganforge.api import evaluate as evaluate_run

    if n <= 0:
        raise UserError(f"-n must be > 0, got {n}")
    check_seed(seed)
    tables = {k: v for k, v in (("real", real), ("target", target)) if v is not None}
    refining = _refine_options(refine, drs_percentile, mh_steps, langevin_steps, step_size, calibration,
                               score=score)
    figures = evaluate_run(run_dir, n, seed, **({"inception_weights": inception_weights} if inception_weights else {}),
                           **tables, **refining)
    plain = {k: v for k, v in figures.items() if not isinstance(v, (dict, list))}
    if refine:  # side by side: each figure plain and refined, then the cost
        from ganforge.sampling.samplers import cost_line

        side = Table("figure", "plain", refine, title=f"evaluation of {run_dir}")
        for key, value in plain.items():
            other = figures["refined"].get(key)
            side.add_row(key, *(f"{v:.4g}" if isinstance(v, float) else str(v) for v in (value, other)))
        out_console.print(side)
        print(cost_line(figures["refined"]["cost"]))
        cal = figures["refined"]["calibration"]
        print(f"D's calibration ({cal['method']}): expected calibration error {cal['ece_before']:.3f} before, "
              f"{cal['ece_after']:.3f} after; real rows: {cal['real_rows']}")
        if "d_star_mae_after" in cal:
            print(f"mean |D - D*|: {cal['d_star_mae_before']:.3f} before calibration, {cal['d_star_mae_after']:.3f} after")
    else:
        _print_table(f"evaluation of {run_dir}", plain)
    if figures.get("column_shape_scores"):  # a table: its weakest columns and pairs
        shapes = Table("column", "shape score", title="lowest column shape scores")
        for name, score in sorted(figures["column_shape_scores"].items(), key=lambda item: item[1])[:5]:
            shapes.add_row(name, f"{score:.4g}")
        out_console.print(shapes)
        table = Table("columns", "trend score", "figure", title="worst column pairs")
        for pair in figures.get("worst_column_pairs", []):
            table.add_row(" x ".join(pair["columns"]), f"{pair['score']:.4g}", pair["figure"])
        out_console.print(table)
    if isinstance(figures.get("membership_inference"), dict):
        _print_membership(figures["membership_inference"])


@app.command("explain")
def explain_run(run_dir: Path = typer.Argument(..., help="a run directory")) -> None:
    """Say in plain words what happened in a run: the diagnosis and the theory figures."""
    from ganforge.diagnostics.explain import explain
    from ganforge.training.summary import read_summary

    print(explain(read_summary(run_dir)))


@app.command("compare")
def compare(runs: Optional[list[Path]] = typer.Argument(None, help="run directories to compare (instead of --data)"),
            data: Optional[str] = typer.Option(None, "--data", help="dataset to train every model on"),
            models_: Optional[str] = typer.Option(
                None, "--models", help="comma-separated models (default: gan,vae,gmmn,gmm,gaussian; "
                                       "`ganforge train --help` lists them under --model)"),
            out: Optional[Path] = typer.Option(None, "--out", "-o", help="directory for the runs and the comparison"),
            steps: Optional[int] = typer.Option(None, "--steps", help="training steps of each model"),
            seed: int = typer.Option(0, "--seed", help="random seed shared by every model"),
            config: Optional[Path] = typer.Option(None, "--config", help="YAML file of options for every model"),
            overwrite: bool = typer.Option(False, "--overwrite", help="replace runs already in --out"),
            quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress")) -> None:
    """Train several models on the same data and seed (or read finished runs) and compare them in one table."""
    from ganforge.comparison import DEFAULT_MODELS, compare_runs, markdown, write_comparison
    from ganforge.comparison import compare as run_comparison

    check_seed(seed)
    if runs:
        given = [flag for flag, value in (("--data", data), ("--models", models_), ("--steps", steps),
                                          ("--config", config)) if value is not None]
        if given:
            raise UserError(f"{given[0]} trains new runs; it cannot be combined with run directories")
        rows = compare_runs(runs)
        if out is None:
            print(markdown(rows), end="")
            return
        write_comparison(rows, out)
    else:
        if data is None:
            raise UserError("give --data DATA (and --out DIR) to train and compare models, or run directories")
        if out is None:
            raise UserError("--out DIR is required to train the models (each run goes to DIR/<model>)")
        if steps is not None and steps <= 0:
            raise UserError(f"--steps must be > 0, got {steps}")
        if isinstance(data, str) and data not in datasets and Path(data).exists():
            data = str(Path(data).resolve())  # so each run's config works from any directory
        options = read_yaml(config) if config else {}
        rows = run_comparison(data, models_ if models_ is not None else DEFAULT_MODELS, out, steps, seed,
                              options, overwrite=overwrite, progress=not quiet)
    print(markdown(rows), end="")
    print(f"report: {out / 'report.html'}")


@app.command("datasets")
def list_datasets() -> None:
    """List the built-in datasets."""
    import ganforge.data.builtins  # noqa: F401  (the toys and digits; no torch)

    table = Table("name", "dim", "description")
    for name, dist in datasets.items():
        table.add_row(name, str(dist.dim), dist.description)
    out_console.print(table)


def _print_summary(summary: dict[str, Any], out: Path) -> None:
    keys = ["steps", "wall_seconds", "steps_per_second", "stopped_because", "modes_covered", "modes_total",
            "high_quality_fraction", "reverse_kl", "js_divergence",
            "fid", "fid_floor", "kid", "class_tvd", "classes_present", "classifier_test_accuracy"]
    _print_table("summary", {k: summary[k] for k in keys if k in summary})
    print(f"report: {out / 'report.html'}")


def _print_membership(audit: dict[str, Any]) -> None:
    """Each membership-inference attack's figures, then the verdict (or why there was no audit) in one line."""
    if audit.get("attacks"):
        table = Table("attack", "AUC", "TPR at FPR 1%", "TPR at FPR 10%",
                      title=f"membership inference: {audit['members']} training rows vs {audit['non_members']} held-out")
        for name, attack in audit["attacks"].items():
            table.add_row(name, f"{attack['auc']:.3f} ± {attack['auc_standard_error']:.3f}",
                          f"{attack['tpr_at_fpr_0.01']:.3f}", f"{attack['tpr_at_fpr_0.1']:.3f}")
        out_console.print(table)
    print(audit["verdict"])


def _print_table(title: str, figures: dict[str, Any]) -> None:
    table = Table("figure", "value", title=title)
    for key, value in figures.items():
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    out_console.print(table)


def _show_warning(message, category, filename, lineno, file=None, line=None, _default=warnings.showwarning) -> None:
    """ganforge's own warnings as one `warning: ...` line (rank 0 alone under torchrun); others as Python shows them."""
    if not issubclass(category, DataWarning):
        _default(message, category, filename, lineno, file, line)
    elif os.environ.get("RANK", "0") == "0":
        print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the app and turns every user mistake into one line on stderr, exit 2."""
    with warnings.catch_warnings():  # restored on return: main() may run inside a test
        warnings.simplefilter("always", DataWarning)
        warnings.showwarning = _show_warning
        _main(argv)


def _loads_library(argv: list[str] | None) -> bool:
    """Whether the command asked for trains or loads a model (not `ganforge`, `--help`, datasets...)."""
    args = sys.argv[1:] if argv is None else argv
    name = next((a for a in args if not a.startswith("-")), None)
    return name in LIBRARY_COMMANDS or (name == "compare" and any(a.startswith("--data") for a in args))


def _main(argv: list[str] | None) -> None:
    if _loads_library(argv):
        import ganforge.catalog  # noqa: F401  (every registry: the options list their choices)

        _install_train_options()
    command = typer.main.get_command(app)
    # typer runs on click, or on its own vendored copy of it in newer releases: use whichever it has.
    errors = importlib.import_module(typer.BadParameter.__module__)
    exits = (typer.Exit, getattr(errors, "Exit", typer.Exit))
    aborts = (typer.Abort, getattr(errors, "Abort", typer.Abort))
    try:
        code = command.main(args=argv, prog_name="ganforge", standalone_mode=False)
    except exits as exc:
        code = exc.exit_code
    except errors.ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `ganforge`: typer has printed the help
            if exc.format_message():
                print(exc.format_message())
            code = 0
        else:
            if announce_error(exc.format_message()):
                print(f"error: {exc.format_message()}", file=sys.stderr)
            code = 2
    except aborts:
        print("error: aborted", file=sys.stderr)
        code = 130
    except UserError as exc:
        if announce_error(str(exc)):  # under torchrun, rank 0 alone prints it
            print(f"error: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code if isinstance(code, int) else 0)
