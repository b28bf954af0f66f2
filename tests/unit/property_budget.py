"""What the property-test modules share: the long variant of a property, and an id alphabet."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import settings

import tests.unit.conftest  # noqa: F401  (registers the profiles when imported outside pytest)

T = TypeVar("T", bound=Callable[..., None])
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def long_variant(test: T) -> T:
    """The same property with the long budget; deselected unless `-m long`."""
    marked: T = pytest.mark.long(settings(settings.get_profile("sharetrust-long"))(test))
    return marked
