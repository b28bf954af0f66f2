"""Splitting id lists into the largest batches an API accepts in one call."""

from __future__ import annotations

from collections.abc import Iterable


def chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
