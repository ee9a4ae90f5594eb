"""The privacy budget: the ledger's epsilon is Opacus' own, the counts release composes in the same
accountant, and the plan spends the target exactly after its steps."""

import pytest
from opacus.accountants import RDPAccountant
from opacus.accountants.utils import get_noise_multiplier

from ganforge.privacy.budget import PrivacyLedger, PrivacyPlan, default_delta, plan_budget


def plan(noise: float, rate: float, steps: int, counts_noise: float = 0.0, epsilon: float = 5.0) -> PrivacyPlan:
    return PrivacyPlan(epsilon=epsilon, delta=1e-5, sample_rate=rate, discriminator_steps=steps,
                       noise_multiplier=noise, max_grad_norm=1.0, counts_noise_multiplier=counts_noise,
                       counts_share=0.1 if counts_noise else 0.0, counts_columns=2 if counts_noise else 0)


def test_the_ledgers_epsilon_is_opacus_rdp_accountants_figure():
    ledger = PrivacyLedger(plan(noise=1.1, rate=0.01, steps=500))
    opacus = RDPAccountant()
    for _ in range(400):
        ledger.step()
        opacus.step(noise_multiplier=1.1, sample_rate=0.01)
    assert ledger.epsilon() == pytest.approx(opacus.get_epsilon(delta=1e-5), rel=1e-12)
    assert ledger.steps_taken == 400 and ledger.can_take(100) == (ledger.max_steps >= 500)


def test_the_counts_release_is_one_full_batch_step_composed_in_the_same_accountant():
    ledger = PrivacyLedger(plan(noise=1.1, rate=0.01, steps=500, counts_noise=8.0))
    for _ in range(100):
        ledger.step()
    opacus = RDPAccountant()
    opacus.history = [(8.0, 1.0, 1), (1.1, 0.01, 100)]
    assert ledger.epsilon() == pytest.approx(opacus.get_epsilon(delta=1e-5), rel=1e-12)
    without = PrivacyLedger(plan(noise=1.1, rate=0.01, steps=500))
    for _ in range(100):
        without.step()
    assert ledger.epsilon() > without.epsilon()


@pytest.mark.filterwarnings("ignore:Optimal order is the largest alpha")
def test_the_plan_spends_epsilon_exactly_after_its_steps():
    p = plan_budget(epsilon=3.0, delta=1e-4, sample_rate=0.2, discriminator_steps=300, max_grad_norm=1.0,
                    counts_share=0.1, counts_columns=2)
    spent = RDPAccountant()
    spent.history = [(p.counts_noise_multiplier, 1.0, 1), (p.noise_multiplier, 0.2, 300)]
    assert 2.99 < spent.get_epsilon(delta=1e-4) <= 3.0
    one_more = RDPAccountant()
    one_more.history = [(p.counts_noise_multiplier, 1.0, 1), (p.noise_multiplier, 0.2, 301)]
    assert one_more.get_epsilon(delta=1e-4) > 3.0
    # the counts' noise is what opacus gives for 10% of epsilon spent alone in one full-batch step
    alone = get_noise_multiplier(target_epsilon=0.3, target_delta=1e-4, sample_rate=1.0, steps=1,
                                 epsilon_tolerance=0.003)
    assert p.counts_noise_multiplier == pytest.approx(alone)
    ledger = PrivacyLedger(p)
    assert ledger.max_steps == 300 and ledger.can_take(300) and not ledger.can_take(301)


def test_a_ledger_restored_from_its_state_goes_on_exactly():
    ledger = PrivacyLedger(plan(noise=0.9, rate=0.05, steps=60, counts_noise=5.0, epsilon=4.0))
    for _ in range(25):
        ledger.step()
    again = PrivacyLedger.from_state(ledger.state())
    for _ in range(10):
        ledger.step()
        again.step()
    assert again.epsilon() == ledger.epsilon() and again.max_steps == ledger.max_steps
    assert again.steps_taken == 35


def test_the_default_delta_is_a_tenth_of_one_over_rows_rounded_down_to_a_power_of_ten():
    assert default_delta(614) == 1e-4 and default_delta(100) == 1e-3 and default_delta(1000) == 1e-4
    assert default_delta(30_162) == 1e-6
