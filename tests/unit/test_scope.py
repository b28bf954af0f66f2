"""What an add-only batch reads (`truth.scope.scope_of`): only what its events name. Pure."""

from __future__ import annotations

from pathlib import Path

from sharetrust.events import ShareSignal, decode
from sharetrust.truth.scope import RegionScope, Scope, scope_of

EVENTS = Path(__file__).resolve().parent.parent / "events"
HZ = "cn-hangzhou"


def signals(*names: str) -> list[ShareSignal]:
    found = [s for name in names for s in decode((EVENTS / f"{name}.json").read_text())]
    assert all(isinstance(s, ShareSignal) for s in found)
    return found  # type: ignore[return-value]


def test_an_ecs_share_names_its_image_and_its_share_permissions() -> None:
    image = "m-bp1example0000000001"
    expected = RegionScope(images=frozenset({image}), image_sharees=frozenset({image}))
    assert scope_of(signals("actiontrail_modify_image_share_permission")) == Scope({HZ: expected})


def test_a_new_share_names_its_resources_and_finds_its_shares_by_them() -> None:
    image, snapshot = "m-bp1example0000000001", "s-bp1example0000000001"
    expected = RegionScope(
        images=frozenset({image}), snapshots=frozenset({snapshot}), shared_resources=frozenset({image, snapshot})
    )
    assert scope_of(signals("resourcesharing_create_resource_share")) == Scope({HZ: expected})


def test_targets_joining_a_share_reach_all_of_it_and_a_settled_association_only_its_resource() -> None:
    joined = scope_of(signals("resourcesharing_associate_resource_share"))
    assert joined == Scope({HZ: RegionScope(whole_shares=frozenset({"rs-example0000001"}))})
    settled = scope_of(signals("eventbridge_association_status_change"))
    image = "m-bp1example0000000001"
    assert settled == Scope({HZ: RegionScope(images=frozenset({image}), shares=frozenset({"rs-example0000001"}))})


def test_a_batch_is_the_union_of_its_events() -> None:
    batch = scope_of(signals("actiontrail_modify_image_share_permission", "resourcesharing_associate_resource_share"))
    region = batch.regions[HZ]
    assert region.image_sharees == frozenset({"m-bp1example0000000001"})
    assert region.whole_shares == frozenset({"rs-example0000001"})
    assert scope_of([]) == Scope({})
