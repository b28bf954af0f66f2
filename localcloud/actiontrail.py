"""ActionTrail: records write calls as events (placeholder until the trail module lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from localcloud.errors import ApiError
from localcloud.rpc import Call

if TYPE_CHECKING:
    from localcloud.server import LocalCloud


def record(lc: LocalCloud, call: Call, response: dict[str, Any] | None, error: ApiError | None) -> None:
    """Records one write call; called with the cloud lock held."""
