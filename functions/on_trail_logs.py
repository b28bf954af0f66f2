"""Log Service trigger on the trail's logstore: pull the cursor range → converge the share roles."""

from __future__ import annotations

from typing import Any


def handler(event: bytes, context: Any) -> str:
    from sharetrust.entry import fc_handler  # imported on first call: keeps cold start small

    return fc_handler(event, context)
