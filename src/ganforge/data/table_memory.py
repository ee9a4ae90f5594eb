"""Refuses a table too large to train on in this machine's memory, even encoded compactly, naming the size it needs."""

from __future__ import annotations

from pathlib import Path

from ganforge.errors import UserError

BYTES_PER_VALUE = 8  # a compact encoded value: a category code or a float32 plus its mode, per row and column


def needed_bytes(rows: int, columns: int, batch_size: int) -> int:
    """Memory the compact encoded table and a batch of it take: (rows + batch) x columns x 8 bytes."""
    return (rows + batch_size) * columns * BYTES_PER_VALUE


def available_bytes() -> int | None:
    """Memory this process can still take: psutil when installed, else /proc/meminfo's MemAvailable,
    lowered to the cgroup's limit when one is set; None when neither can be read."""
    try:
        import psutil

        free = int(psutil.virtual_memory().available)
    except ImportError:
        free = _meminfo_available()
    limit = _cgroup_room()
    if free is None:
        return limit
    return free if limit is None else min(free, limit)


def check_table_fits(rows: int, columns: int, batch_size: int) -> None:
    """A UserError naming the size needed when the encoded table cannot fit in memory."""
    need, free = needed_bytes(rows, columns, batch_size), available_bytes()
    if free is not None and need > free:
        raise UserError(f"the table needs about {size_text(need)} of memory to train ({rows:,} rows x {columns:,} "
                        f"columns, encoded compactly, plus a batch) and {size_text(free)} is available; "
                        f"train on a sample of its rows, or on a machine with more memory")


def size_text(size: int) -> str:
    """Bytes as a person reads them: 3.0 GB, 512.0 MB, 24.9 KB."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size / 2**10:.1f} KB"


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_room() -> int | None:
    """cgroup v2: memory.max minus memory.current, when the limit is a number."""
    root = Path("/sys/fs/cgroup")
    try:
        limit = (root / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return max(int(limit) - int((root / "memory.current").read_text().strip()), 0)
    except (OSError, ValueError):
        return None
