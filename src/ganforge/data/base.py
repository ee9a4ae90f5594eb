"""The Dataset type every loader returns: a training source behind one small interface (toy, points, table, images)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import torch

    from ganforge.data.toy import ToyDistribution
# torch is imported where rows are drawn, so that listing the built-in datasets does not need it.

IN_MEMORY = "array"  # the data name of a run fitted on an array or DataFrame from Python


@dataclass
class Dataset:
    """Data in the user's own form. Exactly one of toy / points / table / images is set.

    toy: an endless sampler with a known density. points: a (n, d) float tensor. table: a pandas
    DataFrame. images: a (n, C, H, W) float tensor in [0, 1], with optional `labels` (n,) int64
    and `classes` (their names). `meta` holds what a loader learned (e.g. column types).
    """

    name: str
    dim: int
    toy: ToyDistribution | None = None
    points: torch.Tensor | None = None
    table: Any = None
    images: torch.Tensor | None = None
    labels: torch.Tensor | None = None
    classes: list[str] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """toy, points, table or images: what the encoder, the metrics and the report key on."""
        if self.toy is not None:
            return "toy"
        if self.table is not None:
            return "table"
        if self.images is not None:
            return "images"
        return "points"

    def __len__(self) -> int:
        """Rows of finite data; a toy distribution is endless (0)."""
        return 0 if self.toy is not None else len(self.rows())

    def rows(self) -> Any:
        """All the finite data in the user's form (points tensor, DataFrame or images tensor)."""
        if self.toy is not None:
            raise ValueError("a toy distribution has no finite set of rows")
        return {"points": self.points, "table": self.table, "images": self.images}[self.kind]

    def take(self, index: torch.Tensor) -> Any:
        """The rows at `index`, in the user's form."""
        rows = self.rows()
        if self.kind == "table":
            return rows.iloc[index.numpy()].reset_index(drop=True)
        return rows[index]

    def subset(self, rows: slice) -> "Dataset":
        """The same data restricted to `rows` (a table's shard for one process)."""
        if self.kind != "table":
            raise ValueError("only a table is sharded by rows")
        return Dataset(name=self.name, dim=self.dim, table=self.table.iloc[rows].reset_index(drop=True),
                       meta=self.meta)

    def sample(self, n: int, generator: torch.Generator) -> Any:
        """n real rows; uses only `generator`, so a seeded run reproduces exactly."""
        if self.toy is not None:
            return self.toy.sample(n, generator)
        import torch

        return self.take(torch.randint(0, len(self), (n,), generator=generator))

    def reference(self, n: int, seed: int) -> Any:
        """A fixed sample of real rows for evaluation, independent of the training RNG."""
        import torch

        generator = torch.Generator().manual_seed(seed)
        if self.toy is None and len(self) <= n:
            return self.rows()
        return self.sample(n, generator)


@dataclass(frozen=True)
class BuiltinData:
    """A built-in dataset that is not a toy distribution (e.g. scikit-learn's bundled digits)."""

    dim: int
    description: str
    load: Callable[[], Dataset]
