"""Timer trigger: converge the share roles to every current share, catching what events missed."""

from __future__ import annotations

from typing import Any


def handler(event: bytes, context: Any) -> str:
    from sharetrust.entry import fc_reconcile  # imported on first call: keeps cold start small

    return fc_reconcile(event, context)
