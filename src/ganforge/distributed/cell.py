"""One cell of the grid: its G and D, learning rates, data, random stream, and one generation of work."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganforge.distributed.evolution import es_step, mutate_learning_rate, tournament
from ganforge.distributed.mixture import GeneratorMixture, flat, load_flat
from ganforge.distributed.options import CELL_LOSSES
from ganforge.losses import gradient_penalty, r1_penalty
from ganforge.registry import losses

TOY_POOL = 20_000  # data dieting on an endless toy sampler: each cell's subset is drawn from this many points
CELL_STATS = ("loss_d", "loss_g", "d_acc_real", "d_acc_fake")


def cell_seed(seed: int, cell: int) -> int:
    """The seed of cell `cell`'s own random stream: a function of (seed, cell) only."""
    return (seed * 1_000_003 + 7919 * (cell + 1)) % (2**63 - 1)


def generation_seed(seed: int, cell: int, generation: int) -> int:
    """The seed of cell `cell`'s streams in generation `generation`."""
    return (cell_seed(seed, cell) * 10_007 + generation) % (2**63 - 1)


@dataclass
class Individual:
    """A network's weights (a flat vector), its learning rate, and (a cell's centre) its Adam state."""

    weights: Tensor
    lr: float
    adam: Tensor | None = None  # adam_vector(); None in --cell-training population
    ema: Tensor | None = None  # a centre G's moving average (flat), what the mixture samples; None: no --ema


def adam_size(module: nn.Module) -> int:
    """Numbers in adam_vector() for this module: both moments of every parameter, and the step."""
    return 2 * sum(p.numel() for p in module.parameters()) + 1


def adam_vector(optimizer: torch.optim.Optimizer) -> Tensor:
    """[exp_avg of every parameter | exp_avg_sq of every parameter | step] as one float64 vector.

    float64 keeps the step count and the moments exact through a checkpoint; before the first
    step both moments are zero and the step is 0, which is what a fresh Adam starts from.
    """
    params = [p for group in optimizer.param_groups for p in group["params"]]
    first, second, step = [], [], 0.0
    for p in params:
        state = optimizer.state.get(p, {})
        first.append(state["exp_avg"].reshape(-1) if "exp_avg" in state else torch.zeros(p.numel()))
        second.append(state["exp_avg_sq"].reshape(-1) if "exp_avg_sq" in state else torch.zeros(p.numel()))
        step = float(state["step"]) if "step" in state else step
    return torch.cat([t.detach().double().cpu() for t in first + second] + [torch.tensor([step], dtype=torch.float64)])


@torch.no_grad()
def load_adam_vector(optimizer: torch.optim.Optimizer, vector: Tensor) -> None:
    """Restores what adam_vector() wrote (step 0: an empty, fresh state)."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    n = sum(p.numel() for p in params)
    if vector.numel() != 2 * n + 1:
        raise ValueError(f"Adam state has {vector.numel()} numbers, the optimiser needs {2 * n + 1}")
    optimizer.state.clear()
    step = float(vector[-1])
    if step == 0:
        return
    offset = 0
    for p in params:
        k = p.numel()
        optimizer.state[p] = {"step": torch.tensor(step),
                              "exp_avg": vector[offset: offset + k].view_as(p).to(p.dtype).to(p.device).clone(),
                              "exp_avg_sq": vector[n + offset: n + offset + k].view_as(p).to(p.dtype).to(p.device).clone()}
        offset += k


class CellData:
    """The real data one cell trains on: the whole source, or its own random subset (data dieting).

    Finite data is encoded once; an endless toy sampler is sampled batch by batch, unless the cell
    diets, when its subset comes from a fixed pool of TOY_POOL points.
    """

    def __init__(self, dataset, encoder, fraction: float, seed: int, device: torch.device):
        self.dataset, self.encoder, self.device = dataset, encoder, device
        self.points: Tensor | None = None  # encoded rows; None = draw from the endless toy sampler
        if dataset.toy is not None and fraction >= 1.0:
            return
        if dataset.toy is not None:
            pool = encoder.transform(dataset.reference(TOY_POOL, seed))
        else:
            pool = encoder.transform(dataset.rows())
        keep = max(1, round(fraction * len(pool)))
        chosen = torch.randperm(len(pool), generator=torch.Generator().manual_seed(seed))[:keep]
        self.points = pool[chosen].to(device)

    def batch(self, n: int, rng: torch.Generator) -> Tensor:
        if self.points is None:
            return self.encoder.transform(self.dataset.sample(n, rng)).to(self.device)
        return self.points[torch.randint(0, len(self.points), (n,), generator=rng).to(self.device)]


class Cell:
    """Lipizzaner's unit of work: holds the centre (G, D) and evolves it against its neighbourhood."""

    def __init__(self, index: int, neighbourhood: list[int], config, learner, data: CellData):
        self.index, self.neighbourhood, self.config = index, neighbourhood, config
        self.learner = learner  # a GANModel: its G and D are trained in place
        self.data = data
        self.rng = torch.Generator().manual_seed(cell_seed(config.seed, index))
        self.weights = torch.full((len(neighbourhood),), 1.0 / len(neighbourhood), dtype=torch.float64)
        self.score = float("nan")
        self.loss_name = config.loss
        self.stats = torch.zeros(len(CELL_STATS))

    # --- one generation ----------------------------------------------------------------------

    def generation(self, population: dict[str, list[Individual]], scratch: dict[str, list[nn.Module]],
                   number: int) -> tuple[Individual, Individual]:
        """Select, mutate, train and replace; returns the cell's new centre (G, D).

        `population` maps "generator" / "discriminator" to the neighbourhood's individuals, in
        neighbourhood order (this cell first); `scratch` holds modules to load them into ("generator",
        "discriminator") and, for --cell-training population, to train the offspring in
        ("offspring_generator", "offspring_discriminator").
        """
        cfg = self.config
        # The cell's random streams restart from (seed, cell, generation): a generation's work
        # depends on nothing else, so a resumed run and any split over processes repeat it exactly.
        self.rng.manual_seed(generation_seed(cfg.seed, self.index, number))
        torch.manual_seed(generation_seed(cfg.seed, self.index, number))  # dropout
        self.loss_name = self._draw_loss()
        loss = losses.get(self.loss_name)
        Gs = [load_flat(m, ind.weights) for m, ind in zip(scratch["generator"], population["generator"])]
        Ds = [load_flat(m, ind.weights) for m, ind in zip(scratch["discriminator"], population["discriminator"])]

        # 1. Fitness of every G against every D of the neighbourhood, on a real batch.
        fit_G, fit_D = self._fitness(Gs, Ds, loss)
        if cfg.cell_training == "centre":
            return self._train_centre(population, fit_G, fit_D, loss)
        return self._train_population(population, scratch, Gs, Ds, fit_G, fit_D, loss)

    def _train_centre(self, population, fit_G, fit_D, loss) -> tuple[Individual, Individual]:
        """Lipizzaner with a population of one per cell (its configurations' population_size: 1).

        2. Tournament selection of one G and one D from the neighbourhood (fitness: the loss against
        every network of the other side there), 3. Gaussian mutation of their learning rates,
        4. training of the selected pair against each other in the cell's own networks, each network
        with the Adam state (and G with the moving average) it brought along, 5. the trained pair
        replaces the cell's centre. The neighbourhood acts through selection and the mixture.
        """
        cfg, G, D = self.config, self.learner.G, self.learner.D
        winners, rates = [], []
        for fitness, side in ((fit_G, "generator"), (fit_D, "discriminator")):
            winner = tournament(fitness, cfg.tournament_size, self.rng)
            winners.append(population[side][winner])
            rates.append(mutate_learning_rate(population[side][winner].lr, cfg.mutation_probability,
                                              cfg.mutation_scale, self.rng))
        # A network travels with its Adam state (and G with its moving average): a selected neighbour
        # goes on training as it would have at home, and the cell's own centre simply continues.
        for module, optimizer, winner, lr in ((G, self.learner.opt_G, winners[0], rates[0]),
                                              (D, self.learner.opt_D, winners[1], rates[1])):
            load_flat(module, winner.weights)  # in place: the optimiser keeps the same parameters
            load_adam_vector(optimizer, winner.adam)
            for group in optimizer.param_groups:
                group["lr"] = lr
        G_ema = self.learner.G_ema
        if G_ema is not None:
            load_flat(G_ema, winners[0].ema if winners[0].ema is not None else winners[0].weights)
        # Each batch pits the pair against each other: training them against the neighbours' frozen
        # networks as well (drawn uniformly) collapsed every cell on grid25 (1 mode of 25 after 60
        # generations of 25 batches, against 21 this way; see the README).
        self._train([G], [D], [self.learner.opt_G], [self.learner.opt_D], [G], [D], loss,
                    after_G_step=self.learner._update_ema if G_ema is not None else None)
        return (Individual(flat(G), rates[0], adam_vector(self.learner.opt_G),
                           flat(G_ema) if G_ema is not None else None),
                Individual(flat(D), rates[1], adam_vector(self.learner.opt_D)))

    def _train_population(self, population, scratch, Gs, Ds, fit_G, fit_D, loss) -> tuple[Individual, Individual]:
        """Every neighbourhood slot gets an offspring, and every offspring trains (fresh Adam each)."""
        cfg, s = self.config, len(Gs)
        # 2. Tournament selection of s offspring per side, then 3. Gaussian mutation of their learning rates.
        new_G, new_D = scratch["offspring_generator"][:s], scratch["offspring_discriminator"][:s]
        lrs_G, lrs_D = [], []
        for parents, fitness, offspring, rates, side in ((Gs, fit_G, new_G, lrs_G, "generator"),
                                                         (Ds, fit_D, new_D, lrs_D, "discriminator")):
            for child in offspring:
                winner = tournament(fitness, cfg.tournament_size, self.rng)
                child.load_state_dict(parents[winner].state_dict())
                rates.append(mutate_learning_rate(population[side][winner].lr, cfg.mutation_probability,
                                                  cfg.mutation_scale, self.rng))
        # 4. Train every offspring, each batch against an opponent drawn from the offspring of the other side.
        betas = (cfg.beta1, cfg.beta2)
        opts_G = [torch.optim.Adam(G.parameters(), lr=lr, betas=betas, foreach=True) for G, lr in zip(new_G, lrs_G)]
        opts_D = [torch.optim.Adam(D.parameters(), lr=lr, betas=betas, foreach=True) for D, lr in zip(new_D, lrs_D)]
        self._train(new_G, new_D, opts_G, opts_D, new_G, new_D, loss)
        # 5. Replace the worst offspring by the best parent (elitism); the best of them becomes the centre.
        best_G, best_D = int(torch.argmin(fit_G)), int(torch.argmin(fit_D))
        final_G, final_D = new_G + [Gs[best_G]], new_D + [Ds[best_D]]
        final_lr_G, final_lr_D = lrs_G + [population["generator"][best_G].lr], lrs_D + [population["discriminator"][best_D].lr]
        fit_G, fit_D = self._fitness(final_G, final_D, loss)
        g, d = int(torch.argmin(fit_G)), int(torch.argmin(fit_D))
        return Individual(flat(final_G[g]), final_lr_G[g]), Individual(flat(final_D[d]), final_lr_D[d])

    def _draw_loss(self) -> str:
        draw = int(torch.randint(0, len(CELL_LOSSES), (1,), generator=self.rng))
        return CELL_LOSSES[draw] if self.config.cell_loss == "random" else self.config.loss

    @torch.no_grad()
    def _fitness(self, Gs: list[nn.Module], Ds: list[nn.Module], loss) -> tuple[Tensor, Tensor]:
        """(fitness of each G, of each D): its mean loss against the other side's population; lower is better."""
        B = self.config.batch_size
        x = self.data.batch(B, self.rng)
        z = self._noise(B)
        fakes = [G(z) for G in Gs]
        L_G = torch.empty(len(Gs), len(Ds))  # L_G[i, j]: G_i's loss against D_j
        L_D = torch.empty(len(Gs), len(Ds))  # L_D[i, j]: D_j's loss against G_i
        for j, D in enumerate(Ds):
            real_out = D(x)
            for i, fake in enumerate(fakes):
                fake_out = D(fake)
                L_G[i, j] = loss.generator(fake_out)
                L_D[i, j] = loss.discriminator(real_out, fake_out, 1.0, 0.0)
        L_G, L_D = (torch.nan_to_num(t, nan=float("inf")) for t in (L_G, L_D))  # a NaN loss is the worst
        return L_G.mean(dim=1), L_D.mean(dim=0)

    def _train(self, Gs: list[nn.Module], Ds: list[nn.Module], opts_G: list, opts_D: list,
               pool_G: list[nn.Module], pool_D: list[nn.Module], loss, after_G_step=None) -> None:
        """batches_per_generation rounds; in each, every D then every G takes its steps against an
        opponent drawn uniformly from the other side's pool (pool_G for a D, pool_D for a G)."""
        cfg, B = self.config, self.config.batch_size
        params_G = [list(G.parameters()) for G in Gs]
        real_target = 1.0 - cfg.label_smoothing
        sums = torch.zeros(len(CELL_STATS))
        for _ in range(cfg.batches_per_generation):
            for D, opt_D in zip(Ds, opts_D):
                G_opp = pool_G[int(torch.randint(0, len(pool_G), (1,), generator=self.rng))]
                for _ in range(cfg.discriminator_steps):  # D against a drawn generator
                    x = self.data.batch(B, self.rng)
                    with torch.no_grad():
                        fake = G_opp(self._noise(B))
                    if cfg.r1 > 0:
                        x.requires_grad_(True)
                    real_out, fake_out = D(x), D(fake)
                    loss_d = loss.discriminator(real_out, fake_out, real_target, 0.0)
                    if loss.needs_gradient_penalty and cfg.gradient_penalty > 0:
                        loss_d = loss_d + cfg.gradient_penalty * gradient_penalty(D, x.detach(), fake, self.rng)
                    if cfg.r1 > 0:
                        loss_d = loss_d + cfg.r1 * r1_penalty(real_out, x)
                    opt_D.zero_grad(set_to_none=True)
                    loss_d.backward()
                    opt_D.step()
                with torch.no_grad():
                    says_real, says_fake_real = loss.says_real(real_out, fake_out)
                    sums[[0, 2, 3]] += torch.stack([loss_d.detach(), says_real.float().mean(),
                                                    (~says_fake_real).float().mean()])
            for G, opt_G, params in zip(Gs, opts_G, params_G):
                D_opp = pool_D[int(torch.randint(0, len(pool_D), (1,), generator=self.rng))]
                for _ in range(cfg.generator_steps):  # G against a drawn discriminator
                    loss_g = loss.generator(D_opp(G(self._noise(B))))
                    opt_G.zero_grad(set_to_none=True)
                    torch.autograd.backward(loss_g, inputs=params)  # G's gradients only
                    opt_G.step()
                    if after_G_step is not None:
                        after_G_step()  # the moving average of G's weights (--ema)
                sums[1] += loss_g.detach()
        self.stats = sums / (cfg.batches_per_generation * len(Gs))

    def _noise(self, n: int) -> Tensor:
        return torch.randn(n, self.config.noise_dim, generator=self.rng).to(self.learner.device)  # z ~ N(0, I)

    # --- the mixture -------------------------------------------------------------------------

    def evolve_mixture(self, mixture: GeneratorMixture, quality, samples: int) -> None:
        """One (1+1)-ES step on the mixture weights of the neighbourhood's (new) generators."""
        seed = int(torch.randint(0, 2**62, (1,), generator=self.rng))  # the same z for parent and child

        def score(weights: Tensor) -> float:
            mixture.weights = weights
            return float(quality(mixture.sample(samples, torch.Generator(mixture.device).manual_seed(seed))))

        self.weights, self.score = es_step(self.weights, self.config.mixture_sigma, score, self.rng)
        mixture.weights = self.weights
