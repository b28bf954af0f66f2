"""What an add-only batch must read: only what its events name. Pure: signals in, a `Scope` out.

An addition plans additively (every principal and key already in the role stays), so it needs the facts
of the named resources only, never the whole account's; removals and reconcile read everything
(`TruthReader.read`). The events stay hints: every resource and sharee in a scope is re-read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sharetrust.events import ShareSignal
from sharetrust.events.classify import ASSOCIATION_STATUS_CHANGE


@dataclass(frozen=True)
class RegionScope:
    images: frozenset[str] = frozenset()  # images to describe (their disks, keys)
    image_sharees: frozenset[str] = frozenset()  # images whose ECS share permissions are read
    snapshots: frozenset[str] = frozenset()
    # Shares whose associations are read; only the named resources count, unless the share is whole.
    shares: frozenset[str] = frozenset()
    # Shares all of whose resources count: targets joining a share reach every resource already in it.
    whole_shares: frozenset[str] = frozenset()
    # Resources a Resource Sharing event names without a share id: their shares are found by resource.
    shared_resources: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Scope:
    regions: Mapping[str, RegionScope] = field(default_factory=dict)


def scope_of(signals: Iterable[ShareSignal]) -> Scope:
    parts: dict[str, dict[str, set[str]]] = {}

    def region(name: str) -> dict[str, set[str]]:
        return parts.setdefault(name, {f: set() for f in RegionScope.__dataclass_fields__})

    for signal in signals:
        for ref in signal.resources:
            named = region(ref.region)
            named["images" if ref.kind == "image" else "snapshots"].add(ref.id)
            if signal.service == "ecs":
                named["image_sharees"].add(ref.id)  # ECS keeps an image's account shares itself
            elif signal.resource_share_id is None:
                named["shared_resources"].add(ref.id)
        if signal.resource_share_id is not None:
            whole = not signal.resources or (
                bool(signal.added_targets) and signal.event_name != ASSOCIATION_STATUS_CHANGE
            )  # a settled association is about its one resource
            region(signal.region)["whole_shares" if whole else "shares"].add(signal.resource_share_id)
    return Scope(
        {name: RegionScope(**{f: frozenset(ids) for f, ids in fields.items()}) for name, fields in parts.items()}
    )
