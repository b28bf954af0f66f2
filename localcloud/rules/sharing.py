"""Resource Sharing's rules: whom a share reaches, and how its associations settle.

Associations are asynchronous on the real service: a write answers `Associating` (or `Disassociating`)
and the entity settles later. Here they settle lazily, on the next read of any share (Resource Sharing's
List calls, ECS DescribeImages) or via `settle(context)`. Settling applies the encryption rules
(`localcloud.rules.encryption`; alibaba-apis.md §1, §6) and publishes an EventBridge
`AssociationStatusChange` event per (resource, target account) that settled, through the context.
ECS reads `shared_with` to show images shared through Resource Sharing.
"""

from __future__ import annotations

from localcloud import eventbridge
from localcloud.context import Context
from localcloud.rules.encryption import encryption_of, refusal, share_role_denial
from localcloud.state import (
    IMAGE_ROLE,
    SNAPSHOT_ROLE,
    Association,
    Cloud,
    Image,
    ResourceDirectory,
    ResourceShare,
    Snapshot,
    now_iso,
)

RESOURCE_TYPES = ("Image", "Snapshot")
ROLE_FOR = {"Image": IMAGE_ROLE, "Snapshot": SNAPSHOT_ROLE}
LIVE = ("Associating", "Associated")


def _directory_of_share(cloud: Cloud, share: ResourceShare) -> ResourceDirectory | None:
    return cloud.directory_of(share.owner)


def target_entity_type(target: str) -> str:
    # The SDK docs say target EntityType is `Account`; AssociationFailedDetails also lists
    # `ResourceDirectory` and `Folder`, which is what an RD or folder target is reported as here.
    if target.startswith("rd-"):
        return "ResourceDirectory"
    if target.startswith(("fd-", "r-")):
        return "Folder"
    return "Account"


def members_under(cloud: Cloud, share: ResourceShare, target: str) -> list[str]:
    """The accounts (other than the owner) a target reaches: itself, or the RD / folder subtree."""
    if target_entity_type(target) == "Account":
        return [target]
    directory = _directory_of_share(cloud, share)
    if directory is None:
        return []
    if target == directory.id:
        return [uid for uid in directory.members if uid != share.owner]
    if target not in directory.folders:
        return []
    prefix = directory.folder_path(target) + "/"
    return [uid for uid in directory.members if uid != share.owner and directory.account_path(uid).startswith(prefix)]


def covers(cloud: Cloud, share: ResourceShare, target: str, uid: str) -> bool:
    return uid == target or (target_entity_type(target) != "Account" and uid in members_under(cloud, share, target))


def resolve(cloud: Cloud, share: ResourceShare, kind: str, entity_id: str) -> Image | Snapshot | None:
    found: Image | Snapshot | None = (cloud.images if kind == "Image" else cloud.snapshots).get(entity_id)
    if found is None or found.owner != share.owner or found.region != share.region:
        return None
    return found


def set_status(assoc: Association, status: str, message: str = "") -> None:
    assoc.status = status
    assoc.status_message = message
    assoc.updated = now_iso()


def _target_denial(cloud: Cloud, share: ResourceShare, target: str, resources: list[Association]) -> str | None:
    """Why the target cannot use the share's CMK-encrypted resources, or None."""
    sharees = members_under(cloud, share, target)
    for kind in RESOURCE_TYPES:
        encrypted = [
            a
            for a in resources
            if a.entity_type == kind
            and (r := resolve(cloud, share, kind, a.entity_id)) is not None
            and encryption_of(cloud, r) == "cmk"
        ]
        if encrypted:
            denial = share_role_denial(cloud, share.owner, ROLE_FOR[kind], sharees)
            if denial is not None:
                return f"AssumeRoleError: {denial}"
    return None


def settle_share(ctx: Context, share: ResourceShare) -> None:
    """Settles every pending association of one share (caller holds `cloud.lock`)."""
    before = {id(a): a.status for a in share.associations}
    _settle(ctx.cloud, share)
    _publish_settled(ctx, share, before)


def _settle(cloud: Cloud, share: ResourceShare) -> None:
    for assoc in share.associations:
        if assoc.status == "Disassociating":
            set_status(assoc, "Disassociated")
    targets = [a for a in share.associations if a.association_type == "Target"]
    resources = [a for a in share.associations if a.association_type == "Resource"]
    settled_targets = [a for a in targets if a.status == "Associated"]
    for assoc in resources:
        if assoc.status != "Associating":
            continue
        resource = resolve(cloud, share, assoc.entity_type, assoc.entity_id)
        if resource is None:
            set_status(assoc, "Failed", "Unavailable: The resource does not exist.")
        elif (refused := refusal(cloud, resource)) is not None:
            set_status(assoc, "Failed", f"{refused.code}: {refused.message}")  # the format is unconfirmed
        elif encryption_of(cloud, resource) == "service":
            set_status(
                assoc,
                "Failed",
                "InvalidOperation.ServiceKeyEncryptedImageUnsupported: Resources encrypted "
                "with a service key cannot be shared. Copy it with a customer master key (CMK) first.",
            )
        else:
            denial = next(
                (d for t in settled_targets if (d := _target_denial(cloud, share, t.entity_id, [assoc]))), None
            )
            if denial is not None:
                set_status(assoc, "Failed", denial)
            else:
                set_status(assoc, "Associated")
    associated = [a for a in resources if a.status == "Associated"]
    for assoc in targets:
        if assoc.status != "Associating":
            continue
        denial = _target_denial(cloud, share, assoc.entity_id, associated)
        if denial is not None:
            set_status(assoc, "Failed", denial)
        else:
            set_status(assoc, "Associated")


def _pair_status(resource: Association, target: Association, changed: set[int]) -> str | None:
    """What a (resource, target) pair settled to in this pass, or None if it did not change.

    Associated: both sides are now. Failed / Disassociated: a side settled to it now and the other side
    is Associated or settled the same way now (a side that failed or left earlier is no pair).
    """
    if resource.status == target.status == "Associated":
        return "Associated"
    for now, other in ((resource, target), (target, resource)):
        settled_now = id(now) in changed and now.status in ("Failed", "Disassociated")
        if settled_now and (other.status == "Associated" or (id(other) in changed and other.status == now.status)):
            return now.status
    return None


def _publish_settled(ctx: Context, share: ResourceShare, before: dict[int, str]) -> None:
    """EventBridge's `resourcemanager:ResourceSharing:AssociationStatusChange`, once per (resource,
    target account) whose association this pass settled (production-facts.md, "Event sources"; EventBridge
    page "Resource Management events"). An RD or folder target counts as each account it reaches
    (UNCONFIRMED: the sample shows an account target only).

    UNCONFIRMED which account's bus gets it: the sample's `aliyunaccountid` is the target's; whether the
    owner's bus also does is not documented. It goes to the owner's bus, where sharetrust runs.
    """
    changed = {id(a) for a in share.associations if before.get(id(a)) != a.status}
    if not changed:
        return
    seen: set[tuple[str, str, str, str]] = set()
    for resource in (a for a in share.associations if a.association_type == "Resource"):
        for target in (a for a in share.associations if a.association_type == "Target"):
            if id(resource) not in changed and id(target) not in changed:
                continue
            status = _pair_status(resource, target, changed)
            if status is None:
                continue
            for account in members_under(ctx.cloud, share, target.entity_id):
                key = (resource.entity_type, resource.entity_id, account, status)
                if key in seen:
                    continue
                seen.add(key)
                cloudevent = eventbridge.association_status_change(
                    share_id=share.id,
                    owner=share.owner,
                    region=share.region,
                    target=account,
                    resource_type=resource.entity_type,
                    resource_id=resource.entity_id,
                    status=status,
                )
                ctx.publish(share.owner, cloudevent)


def settle(ctx: Context) -> None:
    """Settles every pending association in the cloud (tests and read handlers call this)."""
    with ctx.cloud.lock:
        for share in ctx.cloud.resource_shares.values():
            settle_share(ctx, share)


def shared_with(cloud: Cloud, uid: str, kind: str, region: str) -> set[str]:
    """Ids of `kind` resources in `region` that Active shares of other accounts give `uid`."""
    found: set[str] = set()
    for share in cloud.resource_shares.values():
        if share.status != "Active" or share.owner == uid or share.region != region:
            continue
        reached = any(
            a.association_type == "Target" and a.status == "Associated" and covers(cloud, share, a.entity_id, uid)
            for a in share.associations
        )
        if reached:
            found.update(
                a.entity_id
                for a in share.associations
                if a.association_type == "Resource" and a.entity_type == kind and a.status == "Associated"
            )
    return found
