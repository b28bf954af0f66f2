"""EventBridge trigger: an ActionTrail CloudEvent about a share → converge the share roles."""

from __future__ import annotations

from typing import Any


def handler(event: bytes, context: Any) -> str:
    from sharetrust.entry import fc_handler  # imported on first call: keeps cold start small

    return fc_handler(event, context)
