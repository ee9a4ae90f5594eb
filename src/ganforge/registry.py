"""One registry per extension point (datasets, models, losses, metrics): a name -> object map."""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

from ganforge.errors import UserError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to members; the CLI's choices come from here, so a new member shows everywhere."""

    def __init__(self, kind: str):
        self.kind = kind
        self._members: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(member: T) -> T:
            if name in self._members:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._members[name] = member
            return member

        return add

    def get(self, name: str) -> T:
        try:
            return self._members[name]
        except KeyError:
            known = ", ".join(sorted(self._members))
            raise UserError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._members

    def names(self) -> list[str]:
        return sorted(self._members)

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._members.items())

    def in_order(self) -> list[tuple[str, T]]:
        """Members in the order they were registered (e.g. a table's columns)."""
        return list(self._members.items())


datasets: Registry = Registry("dataset")
models: Registry = Registry("model")
losses: Registry = Registry("loss")
metrics: Registry = Registry("metric")
