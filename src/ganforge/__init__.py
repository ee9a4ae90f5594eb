"""ganforge: train GANs on your own data, see what the game did, and measure it against baselines."""

from ganforge.config import TrainConfig
from ganforge.errors import UserError

__all__ = ["GAN", "compare", "compare_runs", "evaluate", "explain", "load", "TrainConfig", "UserError"]
__version__ = "0.1.0"

_API = ("GAN", "compare", "compare_runs", "evaluate", "explain", "load")


def __getattr__(name: str):
    """The API's names load with ganforge.api (torch and all) on first use, so the command line
    starts without them."""
    if name in _API:
        import ganforge.api

        return getattr(ganforge.api, name)
    raise AttributeError(f"module 'ganforge' has no attribute {name!r}")
