"""Shares refused only because the role was not ready (AssumeRoleError): what to prepare the role for,
and repeating them once it is. The planning half is pure; `repeat` makes the calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sharetrust.cloud.ecs import EcsGateway
from sharetrust.cloud.errors import CloudError
from sharetrust.cloud.resourcesharing import ResourceSharingGateway
from sharetrust.events import ShareSignal, refusal_in_event
from sharetrust.model import EncryptedResource, ResourceKind, ShareTarget, is_account_uid
from sharetrust.plan.desired import ShareeFilter
from sharetrust.truth.reader import AccountFacts, FailedShare


@dataclass(frozen=True)
class Prepared:
    """Refused ECS shares to prepare the role for (targets exactly as requested), and events set aside."""

    pending: list[FailedShare]
    set_aside: list[tuple[str, str]]  # (event id, why)


def from_events(signals: Iterable[ShareSignal], facts: AccountFacts, account: str) -> Prepared:
    """Image shares refused with AssumeRoleError, known only from their events (ECS keeps no record)."""
    pending: list[FailedShare] = []
    set_aside: list[tuple[str, str]] = []
    for signal in signals:
        if not refusal_in_event(signal):
            continue  # Resource Sharing keeps its refused associations: the truth reader finds them
        if signal.actor.account_id not in (None, account):
            set_aside.append((signal.event_id, f"failed share by another account ({signal.actor.account_id})"))
            continue
        accounts = tuple(ShareTarget.account(t) for t in signal.added_targets if is_account_uid(t) and t != account)
        for ref in signal.resources:
            resource = facts.resource(ref.id)
            if resource is None or not any(not k.is_service_key for k in resource.keys):
                set_aside.append((signal.event_id, f"{ref.id} is not a CMK-encrypted image of {account}"))
                continue
            if accounts:
                pending.append(FailedShare("image", resource.region, resource.id, accounts))
    return Prepared(pending, set_aside)


def with_pending(resources: list[EncryptedResource], pending: list[FailedShare]) -> list[EncryptedResource]:
    """The resources as if their refused shares had been made: the role is prepared for those sharees."""
    extra = {(p.kind, p.resource_id): p.targets for p in pending if p.resource_share_id is None}
    if not extra:
        return resources
    return [replace(r, sharees=tuple(dict.fromkeys(r.sharees + extra.get((r.kind, r.id), ())))) for r in resources]


def merged(failed: Iterable[FailedShare]) -> list[FailedShare]:
    """One entry per refused share of a resource, with all its targets: repeated once, not per target."""
    found: dict[tuple[str, str, str | None, str], FailedShare] = {}
    for share in failed:
        key = (share.region, share.resource_id, share.resource_share_id, share.failed_part)
        if key in found:
            before = found[key]
            share = replace(before, targets=tuple(dict.fromkeys(before.targets + share.targets)))
        found[key] = share
    return list(found.values())


def repeat(
    kind: ResourceKind,
    failed: Iterable[FailedShare],
    sharees: ShareeFilter,
    *,
    ecs: EcsGateway,
    sharing: ResourceSharingGateway,
    act: bool,
) -> list[tuple[dict[str, Any], CloudError | None]]:
    """Each refused share of `kind` (its entry, and the error if repeating it failed). With `act` False,
    the entry only says that repeating it will now succeed."""
    done: list[tuple[dict[str, Any], CloudError | None]] = []
    for share in merged(f for f in failed if f.kind == kind):
        targets = [t.id for t in share.targets if sharees.admits(t)]
        if not targets:
            continue  # every target is kept out by the allow/deny settings: nothing was prepared
        entry: dict[str, Any] = {
            "resource": share.resource_id,
            "region": share.region,
            "targets": targets,
            "resource_share_id": share.resource_share_id,
        }
        if not act:
            done.append(({**entry, "status": "role ready: repeating the share will now succeed"}, None))
            continue
        try:
            if share.resource_share_id is None:
                ecs.share_image(share.region, share.resource_id, targets)
            else:
                resource_type = "Image" if kind == "image" else "Snapshot"
                sharing.associate(
                    share.region,
                    share.resource_share_id,
                    [(resource_type, share.resource_id)],
                    targets if share.failed_part == "target" else [],
                )
        except CloudError as failed_again:
            done.append(({**entry, "status": f"repeat failed: {failed_again}"}, failed_again))
            continue
        done.append(({**entry, "status": "repeated on the user's behalf"}, None))
    return done
