"""Real runs diagnosed end to end: a run built to collapse says so; a healthy one raises no alarm."""

from ganforge.config import TrainConfig
from ganforge.training.run import train


def test_a_run_built_to_collapse_reports_mode_collapse_with_its_step():
    # The source's zero-sum loss with G learning 20x faster than D: G chases D's weak spots.
    config = TrainConfig(loss="minimax", lr_generator=0.002, lr_discriminator=0.0001,
                         generator_hidden=[64, 64], discriminator_hidden=[64, 64], batch_size=128,
                         steps=2000, log_every=100, seed=0)
    run = train(config, progress=False)
    collapse = [f for f in run.summary["diagnostics"] if f["kind"] == "mode_collapse"]
    assert collapse, run.summary["diagnostics"]
    onset = collapse[0]
    assert 0 < onset["step"] <= 2000
    assert "--" in onset["message"]  # names a remedy flag
    assert "never recovered" in collapse[-1]["message"] or "recovered at step" in collapse[-1]["message"]
    assert run.summary["modes_covered"] < run.summary["modes_total"]


def test_a_healthy_default_run_on_ring8_covers_the_modes_and_raises_no_alarm():
    # The defaults, shortened: the seeded short run must cover at least 7 of 8 modes.
    run = train(TrainConfig(data="ring8", steps=3000, seed=0), progress=False)
    assert run.summary["modes_covered"] >= 7
    alarms = [f for f in run.summary["diagnostics"] if f["kind"] != "equilibrium"]
    assert alarms == []
