"""One deadline per invocation: every call's timeout, every retry and every wait is bounded by it."""

from __future__ import annotations

import time
from dataclasses import dataclass

# Below FC's own timeout, so sharetrust reports and releases its lock before the platform kills it.
DEFAULT_SECONDS = 60.0
FC_MARGIN_FRACTION = 0.1
FC_MARGIN_MIN_SECONDS = 3.0


@dataclass(frozen=True)
class Deadline:
    at: float  # time.monotonic() value
    seconds: float  # the budget it was made with, for messages

    @staticmethod
    def after(seconds: float) -> Deadline:
        return Deadline(time.monotonic() + seconds, seconds)

    @staticmethod
    def for_function(timeout_seconds: float) -> float:
        """The default budget inside a function of this timeout: the timeout less a margin."""
        margin = max(FC_MARGIN_MIN_SECONDS, timeout_seconds * FC_MARGIN_FRACTION)
        return max(1.0, timeout_seconds - margin)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at
