"""Typed access to flattened RPC parameters (`Name.N`, `Name.N.Key`) with real validation errors."""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping

from localcloud.errors import bad_request, invalid, missing

_INDEXED = re.compile(r"^(\d+)(?:\.(.+))?$")


class Params:
    """Business parameters of one RPC call, as the SDK flattened them onto the wire."""

    def __init__(self, items: Mapping[str, str]) -> None:
        self._items = dict(items)

    def as_dict(self) -> dict[str, str]:
        return dict(self._items)

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self._items.get(name)
        return default if value is None or value == "" else value

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise missing(name)
        return value

    def int(self, name: str, default: builtins.int, low: builtins.int, high: builtins.int) -> builtins.int:
        raw = self.get(name)
        if raw is None:
            return default
        try:
            value = builtins.int(raw)
        except ValueError:
            raise invalid(name, f"{raw!r} is not an integer") from None
        if not low <= value <= high:
            raise invalid(name, f"{value} is outside {low}..{high}")
        return value

    def bool(self, name: str, default: bool = False) -> bool:
        raw = self.get(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered not in ("true", "false"):
            raise invalid(name, f"{raw!r} is not a boolean")
        return lowered == "true"

    def _indexed(self, prefix: str) -> dict[builtins.int, dict[str, str]]:
        found: dict[builtins.int, dict[str, str]] = {}
        head = prefix + "."
        for key, value in self._items.items():
            if not key.startswith(head):
                continue
            match = _INDEXED.match(key[len(head) :])
            if match is None:
                raise bad_request("InvalidParameter", f"Malformed repeated parameter {key!r}.")
            index = builtins.int(match.group(1))
            if index < 1:
                raise bad_request("InvalidParameter", f"Repeated parameter {key!r} must start at 1.")
            found.setdefault(index, {})[match.group(2) or ""] = value
        return found

    def list(self, prefix: str) -> list[str]:
        """`Prefix.1`, `Prefix.2`, ... in index order."""
        return [entry[""] for _, entry in sorted(self._indexed(prefix).items()) if "" in entry]

    def objects(self, prefix: str) -> builtins.list[dict[str, str]]:
        """`Prefix.N.Key` groups in index order, each as {Key: value}."""
        return [{k: v for k, v in entry.items() if k} for _, entry in sorted(self._indexed(prefix).items())]
