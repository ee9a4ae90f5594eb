"""What the networks see: the width of the encoded vector, its blocks, an image's shape, a condition's width."""

from __future__ import annotations

from dataclasses import dataclass

# Kinds of span an encoder may describe; a generator head activates each block accordingly.
SPAN_KINDS = ("continuous", "tanh", "softmax")


@dataclass(frozen=True)
class DataLayout:
    """The encoded data every model trains on: rows of `dim` numbers.

    spans: (width, kind) blocks that tile the row ("continuous": any real, "tanh": in [-1, 1],
    "softmax": a one-hot block). image_shape: (channels, height, width) when a row is a flattened
    image. condition_dim: width of the conditioning vector (one-hot class, or a table's condition
    vector); 0 when the data has none.
    """

    dim: int
    spans: tuple[tuple[int, str], ...] = ()
    image_shape: tuple[int, int, int] | None = None
    condition_dim: int = 0

    def __post_init__(self):
        if not self.spans:
            object.__setattr__(self, "spans", ((self.dim, "continuous"),))
        if sum(width for width, _ in self.spans) != self.dim:
            raise ValueError(f"spans {self.spans} do not add up to dim {self.dim}")

    @classmethod
    def vector(cls, dim: int) -> "DataLayout":
        return cls(dim=dim)

    @property
    def is_image(self) -> bool:
        return self.image_shape is not None

    @property
    def has_discrete(self) -> bool:
        return any(kind == "softmax" for _, kind in self.spans)


def as_layout(data: "int | DataLayout") -> DataLayout:
    """A model given a plain width (tests, older callers) sees a continuous vector of that width."""
    return data if isinstance(data, DataLayout) else DataLayout.vector(int(data))
