"""Request parameters as ActionTrail records them, normalised to one nested shape.

RPC APIs flatten repeated parameters (`AddAccount.1`, `Resources.2.ResourceType`); fixture B shows
the flattened form in a real event (`LookupAttribute.1.Key`). Whether share events use it, a JSON
list, or both is unconfirmed (events.md §1.1), so every form is folded into one:
`{"AddAccount": ["…"], "Resources": [{"ResourceId": "…", "ResourceType": "Image"}]}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# `Name.N` or `Name.N.Rest`; Rest may itself be indexed (`Tag.1.Value`, `A.1.B.2`).
_INDEXED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\.([0-9]{1,6})(?:\.(.+))?", re.DOTALL)


def unflatten(params: Mapping[str, Any]) -> dict[str, Any]:
    """Folds `X.N` / `X.N.Field` keys into lists ordered by N; other keys are kept as they are.

    When a list form (`X: [...]`) and flattened keys (`X.1`) both appear, the list comes first and
    the flattened items follow; consumers deduplicate.
    """
    plain: dict[str, Any] = {}
    indexed: dict[str, dict[int, Any]] = {}
    for raw_key, value in params.items():
        key = str(raw_key)
        match = _INDEXED.fullmatch(key)  # not `$`, which would take "AddAccount.1\n" for AddAccount.1
        if match is None:
            plain[key] = value
            continue
        name, number, rest = match.group(1), int(match.group(2)), match.group(3)
        slots = indexed.setdefault(name, {})
        if rest is None:
            slots.setdefault(number, value)
        else:
            slot = slots.setdefault(number, {})
            if isinstance(slot, dict):  # a scalar `X.1` beside `X.1.Field`: keep the scalar
                slot[rest] = value
    for name, slots in indexed.items():
        items = [unflatten(slots[n]) if isinstance(slots[n], dict) else slots[n] for n in sorted(slots)]
        if name in plain:
            before = plain[name]
            plain[name] = [*before, *items] if isinstance(before, list) else [before, *items]
        else:
            plain[name] = items
    return plain


def load_json_object(value: Any) -> Mapping[str, Any] | None:
    """A JSON object given either as a mapping or as its text; None for anything else."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, (str, bytes)):
        try:
            loaded = json.loads(value)
        except (ValueError, RecursionError):
            return None
        return loaded if isinstance(loaded, Mapping) else None
    return None


def normalise(request_parameters: Any, request_parameter_json: Any) -> dict[str, Any]:
    """`requestParameters`, unflattened, with keys it lacks filled from `requestParameterJson`.

    `requestParameterJson` is the copy SLS queries read (events.md §2); it is a fallback only, so a
    key present in `requestParameters` always wins.
    """
    primary = load_json_object(request_parameters)
    result = unflatten(primary) if primary is not None else {}
    fallback = load_json_object(request_parameter_json)
    if fallback is not None:
        for key, value in unflatten(fallback).items():
            result.setdefault(key, value)
    return result


def list_param(params: Mapping[str, Any], name: str) -> list[Any]:
    """The items of a repeated parameter, whatever form it came in.

    A JSON-array string (`"[\\"1\\",\\"2\\"]"`, as the SDK sends `SnapshotIds`) is decoded
    [inference: not seen in a share event]; any other scalar is one item.
    """
    value = params.get(name)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            loaded = json.loads(value)
        except (ValueError, RecursionError):
            return [value]
        return list(loaded) if isinstance(loaded, list) else [value]
    return [value]
