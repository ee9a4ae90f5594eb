"""Data sources: toy distributions, files of points, and the encoders that feed the networks."""

from ganforge.data import toy  # noqa: F401  (registers the built-in toy distributions)
