"""Plots of the theory check: learned D against the optimal D*, and V(D, G) against -log 4 over training."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from ganforge.diagnostics.theory import (
    estimate_generator_density,
    grid_for,
    learned_discriminator,
    optimal_discriminator,
)
from ganforge.report.plots import FAKE_COLOUR, REAL_COLOUR, _has_data, _line, _save, _series

GRID_1D = 400
GRID_2D = 120
SCATTER_POINTS = 1500  # real samples drawn over each heatmap
MASK_LOG_RATIO = math.log(1e4)  # 2D: D* is shown where p_t + p_g is within 1e4 of its grid maximum


def plot_discriminator_vs_optimal(run, dist, generated, real, path: str | Path) -> Path | None:
    """Learned D(x) and D*(x) = p_t / (p_t + p_g): curves in 1D, side-by-side heatmaps in 2D.

    None when the theory does not apply: no known density, dim not 1 or 2, a loss whose D is no
    probability (or packing), or generated samples too few or broken to estimate p_g.
    """
    if not getattr(dist, "has_density", False) or dist.dim not in (1, 2):
        return None
    real = np.asarray(real, dtype=np.float64).reshape(len(real), -1)
    generated = np.asarray(generated, dtype=np.float64).reshape(len(generated), -1)
    real = real[np.isfinite(real).all(axis=1)]
    if len(real) == 0:
        return None
    grid = grid_for(dist, real, GRID_1D if dist.dim == 1 else GRID_2D)
    d_learned = learned_discriminator(run.model, run.encoder, grid)
    log_p_gen = estimate_generator_density(generated)
    if d_learned is None or log_p_gen is None:
        return None
    log_p_true, log_p_g = dist.log_density(grid), log_p_gen(grid)
    d_star = optimal_discriminator(log_p_true, log_p_g)
    if dist.dim == 1:
        fig = _curves_1d(grid[:, 0], d_learned, d_star, np.exp(log_p_true), np.exp(log_p_g))
    else:
        # Where neither law has mass, D* is a ratio of two vanishing tails: meaningless, so masked.
        log_mass = np.logaddexp(log_p_true, log_p_g)  # log(p_t + p_g)
        empty = log_mass < np.nanmax(log_mass) - MASK_LOG_RATIO
        fig = _heatmaps_2d(grid, d_learned, np.where(empty, np.nan, d_star), real)
    return _save(fig, path)


def _curves_1d(x, d_learned, d_star, p_true, p_gen) -> Figure:
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    density = ax.twinx()  # densities on their own scale, behind the probabilities
    density.fill_between(x, p_true, color=REAL_COLOUR, alpha=0.35, linewidth=0, label="real density p_t")
    density.plot(x, p_gen, color=FAKE_COLOUR, alpha=0.6, linewidth=1, label="generated density p_g (KDE)")
    density.set_ylabel("density")
    density.set_ylim(bottom=0)
    ax.set_zorder(density.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.plot(x, d_learned, color="tab:red", linewidth=2, label="learned D(x)")
    ax.plot(x, d_star, color="black", linestyle="--", linewidth=1.5, label="optimal D*(x) = p_t / (p_t + p_g)")
    # At the optimum p_g = p_t, so D* = 1/2 everywhere.
    ax.axhline(0.5, color="0.3", linestyle=":", linewidth=1, label="D = 1/2 (equilibrium)")
    ax.set(xlabel="x", ylabel="probability x is real", ylim=(-0.02, 1.02), xlim=(x[0], x[-1]),
           title="Learned discriminator against the optimal one")
    ax.grid(alpha=0.3)
    handles = [h for a in (ax, density) for h in a.get_legend_handles_labels()[0]]
    labels = [lab for a in (ax, density) for lab in a.get_legend_handles_labels()[1]]
    fig.legend(handles, labels, loc="lower center", ncol=3, frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def _heatmaps_2d(grid, d_learned, d_star, real) -> Figure:
    size = int(round(math.sqrt(len(grid))))
    extent = (grid[:, 0].min(), grid[:, 0].max(), grid[:, 1].min(), grid[:, 1].max())
    shown = real[np.random.default_rng(0).permutation(len(real))[:SCATTER_POINTS]]
    fig = Figure(figsize=(11, 5))
    axes = fig.subplots(1, 2, sharey=True)
    cmap = colormaps["RdBu_r"].with_extremes(bad="0.85")  # masked cells in light grey
    for ax, values, title in ((axes[0], d_learned, "learned D(x)"),
                              (axes[1], d_star, "optimal D*(x) = p_t / (p_t + p_g)")):
        image = ax.imshow(values.reshape(size, size), origin="lower", extent=extent, vmin=0, vmax=1,
                          cmap=cmap, aspect="auto", interpolation="nearest")
        ax.scatter(shown[:, 0], shown[:, 1], s=3, color="black", alpha=0.5, linewidths=0, label="real")
        ax.set(xlabel="x1", title=title)
    axes[0].set_ylabel("x2")
    axes[1].text(0.02, 0.02, "grey: no mass in p_t or p_g", transform=axes[1].transAxes, fontsize=8)
    fig.colorbar(image, ax=list(axes), label="probability x is real (1/2 at the optimum)")
    axes[0].legend(loc="upper right", markerscale=4, fontsize=8)
    return fig


def plot_game_over_training(records: list[dict], path: str | Path) -> Path | None:
    """V(D, G) against step with its optimum -log 4, and the JS divergence with its floor.

    None when the records hold neither game_value nor js_divergence.
    """
    panels = [key for key in ("game_value", "js_divergence") if _has_data(records, (key,))]
    if not panels:
        return None
    fig = Figure(figsize=(5 * len(panels), 4))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, key in zip(axes, panels):
        steps, values = _series(records, key)
        if key == "game_value":
            _line(ax, steps, values, "V(D, G)")
            # With D = D*, V = -log 4 + 2 JSD(p_t || p_g): the minimum over G is -log 4.
            ax.axhline(-math.log(4), color="black", linestyle="--", linewidth=1, label="optimum -log 4")
            ax.set(ylabel="E log D(x) + E log(1 - D(G(z)))", title="Value of the game")
        else:
            _line(ax, steps, values, "JS divergence")
            if _has_data(records, ("js_divergence_floor",)):
                floor = _series(records, "js_divergence_floor")[1]
                ax.axhline(np.nanmedian(floor), color="black", linestyle="--", linewidth=1,
                           label="floor (real vs real)")
            ax.set_ylim(bottom=0)
            ax.set(ylabel="JS divergence (nats)", title="JS divergence from the real data")
        ax.set(xlabel="step")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return _save(fig, path)
