"""Lipizzaner's operators: the (1+1)-ES on mixture weights, tournament selection, learning-rate mutation."""

import math

import torch

from ganforge.distributed.evolution import (MIN_LEARNING_RATE, es_step, mutate_learning_rate, propose_weights,
                                            tournament)


def test_es_offspring_are_non_negative_and_sum_to_one():
    rng = torch.Generator().manual_seed(0)
    for size in (1, 3, 5):
        weights = torch.full((size,), 1.0 / size, dtype=torch.float64)
        for sigma in (0.0, 0.01, 0.5, 10.0):  # 10: most entries are clipped to 0
            for _ in range(50):
                weights = propose_weights(weights, sigma, rng)
                assert (weights >= 0).all()
                assert abs(float(weights.sum()) - 1.0) < 1e-12


def test_es_step_keeps_the_better_of_parent_and_child():
    rng = torch.Generator().manual_seed(1)
    target = torch.tensor([0.7, 0.2, 0.1], dtype=torch.float64)

    def score(w):  # lower is better: distance to the target mixture
        return float((w - target).abs().sum())

    weights = torch.full((3,), 1 / 3, dtype=torch.float64)
    scores = []
    for _ in range(300):
        weights, value = es_step(weights, 0.05, score, rng)
        scores.append(value)
        assert (weights >= 0).all() and abs(float(weights.sum()) - 1) < 1e-12
    assert all(b <= a for a, b in zip(scores, scores[1:]))  # elitist: never worse
    assert scores[-1] < 0.05


def test_tournament_of_the_whole_population_picks_the_lowest_fitness_often():
    rng = torch.Generator().manual_seed(2)
    fitness = torch.tensor([3.0, 1.0, 2.0])
    wins = [tournament(fitness, 50, rng) for _ in range(20)]
    assert wins == [1] * 20
    assert {tournament(fitness, 1, rng) for _ in range(200)} == {0, 1, 2}  # size 1: uniform draw


def test_learning_rate_mutation_is_relative_to_the_rate_with_a_floor():
    rng = torch.Generator().manual_seed(3)
    assert mutate_learning_rate(1e-3, 0.0, 1.0, rng) == 1e-3  # probability 0: never mutated
    steps = torch.tensor([math.log(mutate_learning_rate(1e-3, 1.0, 0.2, rng) / 1e-3) for _ in range(2000)])
    assert abs(float(steps.mean())) < 0.02 and abs(float(steps.std()) - 0.2) < 0.01  # log lr + N(0, 0.2^2)
    # The same draws move a small rate by the same factor as a large one.
    small = mutate_learning_rate(1e-5, 1.0, 0.2, torch.Generator().manual_seed(9))
    large = mutate_learning_rate(1e-2, 1.0, 0.2, torch.Generator().manual_seed(9))
    assert math.isclose(small / 1e-5, large / 1e-2, rel_tol=1e-12)
    assert min(mutate_learning_rate(1e-6, 1.0, 1.0, rng) for _ in range(100)) >= MIN_LEARNING_RATE


def test_a_mutated_rate_does_not_drift_over_many_generations():
    rng = torch.Generator().manual_seed(4)
    finals = []
    for _ in range(400):  # 400 cells, 200 generations each: the median stays where it started
        lr = 2e-4
        for _ in range(200):
            lr = mutate_learning_rate(lr, 0.5, 0.05, rng)
        finals.append(lr)
    median = float(torch.tensor(finals).median())
    assert 2e-4 / 1.2 < median < 2e-4 * 1.2


def test_adam_state_travels_as_a_vector_and_training_goes_on_identically():
    from ganforge.distributed.cell import adam_size, adam_vector, load_adam_vector

    def step(net, opt, x):
        opt.zero_grad()
        net(x).square().mean().backward()
        opt.step()

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    opt, opt_twin = (torch.optim.Adam(m.parameters(), lr=0.1, betas=(0.5, 0.999)) for m in (net, twin))
    assert float(adam_vector(opt_twin)[-1]) == 0 and adam_vector(opt_twin).numel() == adam_size(net)  # fresh
    x = torch.randn(8, 3)
    for _ in range(3):
        step(net, opt, x)
    twin.load_state_dict(net.state_dict())
    load_adam_vector(opt_twin, adam_vector(opt))
    assert float(adam_vector(opt_twin)[-1]) == 3  # the step count came along
    step(net, opt, x)
    step(twin, opt_twin, x)
    for a, b in zip(net.parameters(), twin.parameters()):
        assert torch.equal(a, b)
