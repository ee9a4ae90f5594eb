"""ganforge: train GANs on your own data, see what the game did, and measure it against baselines."""

from ganforge.api import GAN, compare, compare_runs, evaluate, explain, load
from ganforge.config import TrainConfig
from ganforge.errors import UserError

__all__ = ["GAN", "compare", "compare_runs", "evaluate", "explain", "load", "TrainConfig", "UserError"]
__version__ = "0.1.0"
