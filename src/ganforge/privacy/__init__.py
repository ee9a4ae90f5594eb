"""Differential privacy for table runs: the budget and its accountant, the released category counts,
the options' checks and the statement of what the guarantee covers (the DP-SGD step itself is
models/private_gan.py)."""
