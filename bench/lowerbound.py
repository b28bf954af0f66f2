"""The lower bound of API calls for a batch of ECS share (AddAccount) events, or for a reconcile of a whole
account (`floor_for_reconcile`), computed from the scenario.

Computed from the local cloud's state before the run and the events alone (never from sharetrust), as the
calls any correct handler must make, under these rules (bench/README.md "Lower bound" explains them):

- the truth is re-read, never taken from the event, but only for what the events name: per region,
  `DescribeImages` for the named images (100 ids a call), `DescribeSnapshots` for their disks (100 ids a
  call), one `DescribeImageSharePermission` per named image (100 sharees a page) to confirm the sharees;
- per distinct key of those disks: KMS `DescribeKey` (its owner, from the ARN) and `ListAliasesByKeyId`
  (a service key is known only by its `alias/acs/` alias);
- the role the events touch: `GetRole`, `GetPolicy` (the key policy) and `ListPoliciesForRole`, once;
- writes only for what is missing: `CreateRole`/`UpdateRole` for an untrusted confirmed sharee,
  `CreatePolicy`/`CreatePolicyVersion` for an ungranted key, `AttachPolicyToRole` when not attached;
- nothing else: the account is known (the event's `userIdentity`, FC's `context.account_id`), the
  regions are the events' own, ECS shares involve no Resource Sharing read, no lock (the lease lock is
  sharetrust's answer to concurrent writers, counted as overhead) and no verification read.

`depth` is the longest chain of calls that each need an answer of the one before (the critical path in
calls): DescribeImages → DescribeSnapshots → DescribeKey / ListAliasesByKeyId, then CreatePolicy →
AttachPolicyToRole (a policy must exist to be attached). Everything else runs beside these: the share
permissions and role reads need only the event; UpdateRole (an addition) can go beside the policy writes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from localcloud.state import IMAGE_ROLE, Cloud

KEY_POLICY = "sharetrust-image-share-keys"  # sharetrust.model.POLICY_FOR_KIND["image"]
IDS_PER_CALL = 100
PAGE = 100


@dataclass(frozen=True)
class Floor:
    calls: Counter[str]
    depth: int  # calls on the critical path

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def named_shares(events: Iterable[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    """(region, image id) → the accounts the events add."""
    named: dict[tuple[str, str], set[str]] = {}
    for event in events:
        parameters = event.get("requestParameters") or {}
        if event.get("eventName") != "ModifyImageSharePermission" or event.get("errorCode"):
            continue
        added = {str(v) for k, v in parameters.items() if k.startswith("AddAccount.")}
        named.setdefault((str(parameters["RegionId"]), str(parameters["ImageId"])), set()).update(added)
    return named


def floor_for_adds(cloud: Cloud, owner: str, events: Iterable[dict[str, Any]]) -> Floor:
    calls: Counter[str] = Counter()
    named = named_shares(events)
    regions = {region for region, _ in named}
    keys: set[str] = set()
    confirmed: set[str] = set()
    for region in sorted(regions):
        images = [cloud.images[i] for r, i in named if r == region and i in cloud.images]
        snapshots = {d.snapshot_id for image in images for d in image.disks}
        calls["Ecs:DescribeImages"] += math.ceil(len({(r, i) for r, i in named if r == region}) / IDS_PER_CALL)
        calls["Ecs:DescribeSnapshots"] += math.ceil(len(snapshots) / IDS_PER_CALL)
        for image in images:
            calls["Ecs:DescribeImageSharePermission"] += max(1, math.ceil(len(image.shared_with) / PAGE))
            image_keys = {
                cloud.snapshots[d.snapshot_id].kms_key_id
                for d in image.disks
                if d.snapshot_id in cloud.snapshots and cloud.snapshots[d.snapshot_id].encrypted
            }
            sharees = named[(region, image.id)] & set(image.shared_with)
            if image_keys and sharees:
                keys |= image_keys
                confirmed |= sharees
    calls["Kms:DescribeKey"] += len(keys)
    calls["Kms:ListAliasesByKeyId"] += len(keys)
    depth = 3 if keys else (2 if named else 0)
    depth += _role_reads_and_writes(cloud, owner, keys, confirmed, calls)
    return Floor(+calls, depth)


def floor_for_reconcile(cloud: Cloud, owner: str, *, regions_configured: bool = False) -> Floor:
    """The calls any correct reconcile (no pruning) of `owner`'s account must make, from the cloud's state.

    The same rules as for an add, over everything the account has instead of what events name: the
    region list (`DescribeRegions`, unless SHARETRUST_REGIONS names them), and per region every page of
    its own images, their disks' snapshots (100 ids a call), one `DescribeImageSharePermission` per
    encrypted image (no batch form; 100 sharees a page), and its resource shares (`ListResourceShares`,
    100 a page). Keys, role reads and writes as for the adds that those shares amount to. The snapshot
    role is left alone when nothing shares a snapshot: without pruning there is nothing to add to it.
    """
    if any(share.owner == owner for share in cloud.resource_shares.values()):
        raise ValueError("floor_for_reconcile covers ECS image shares only; this estate has resource shares")
    calls: Counter[str] = Counter()
    if not regions_configured:
        calls["Ecs:DescribeRegions"] += 1
    keys: set[str] = set()
    confirmed: set[str] = set()
    widest_listing = 0
    for region in cloud.regions:
        images = [i for i in cloud.images.values() if i.owner == owner and i.region == region]
        pages = max(1, math.ceil(len(images) / PAGE))
        widest_listing = max(widest_listing, 1 if pages == 1 else 2)  # page 1 tells how many pages follow
        calls["Ecs:DescribeImages"] += pages
        calls["ResourceSharing:ListResourceShares"] += 1
        snapshots = {d.snapshot_id for image in images for d in image.disks}
        calls["Ecs:DescribeSnapshots"] += math.ceil(len(snapshots) / IDS_PER_CALL)
        for image in images:
            image_keys = {
                cloud.snapshots[d.snapshot_id].kms_key_id
                for d in image.disks
                if d.snapshot_id in cloud.snapshots and cloud.snapshots[d.snapshot_id].encrypted
            }
            if not image_keys:
                continue
            calls["Ecs:DescribeImageSharePermission"] += max(1, math.ceil(len(image.shared_with) / PAGE))
            if image.shared_with:
                keys |= image_keys
                confirmed |= set(image.shared_with)
    calls["Kms:DescribeKey"] += len(keys)
    calls["Kms:ListAliasesByKeyId"] += len(keys)
    # DescribeRegions → DescribeImages (page 1, then the rest side by side) → DescribeSnapshots → DescribeKey
    depth = (0 if regions_configured else 1) + widest_listing + (2 if keys else 1)
    depth += _role_reads_and_writes(cloud, owner, keys, confirmed, calls)
    return Floor(+calls, depth)


def _role_reads_and_writes(cloud: Cloud, owner: str, keys: set[str], confirmed: set[str], calls: Counter[str]) -> int:
    """Adds the image role's reads and the writes it needs for `confirmed` sharees and `keys` to `calls`;
    returns how many of them must run one after another."""
    if not confirmed:
        return 0
    ram = cloud.ram_of(owner)
    calls.update(["Ram:GetRole", "Ram:GetPolicy", "Ram:ListPoliciesForRole"])
    role = ram.roles.get(IMAGE_ROLE.lower())
    if role is None:
        calls["Ram:CreateRole"] += 1
    elif any(f"{uid}@ecs.aliyuncs.com" not in role.trust_policy for uid in confirmed):
        calls["Ram:UpdateRole"] += 1
    cmks = {k for k in keys if k in cloud.keys and not cloud.keys[k].is_service_key}
    policy = ram.policies.get(KEY_POLICY)
    attached = {(a.policy_type, a.policy_name) for a in ram.attachments.get(IMAGE_ROLE.lower(), [])}
    create = bool(cmks) and policy is None
    if create:
        calls["Ram:CreatePolicy"] += 1
    elif cmks and policy is not None:
        granted = policy.default_version.document
        if any(cloud.keys[k].arn not in granted for k in cmks):
            calls["Ram:CreatePolicyVersion"] += 1
    attach = bool(cmks) and ("Custom", KEY_POLICY) not in attached
    if attach:
        calls["Ram:AttachPolicyToRole"] += 1
    writes = calls["Ram:CreateRole"] + calls["Ram:UpdateRole"] + calls["Ram:CreatePolicyVersion"]
    # Only CreatePolicy → AttachPolicyToRole is a chain; every other write can go side by side.
    return 2 if create and attach else (1 if writes or create or attach else 0)
