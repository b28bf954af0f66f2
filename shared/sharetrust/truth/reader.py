"""What is shared now: every encrypted image and snapshot of the account that someone can see (`read`,
for removals and reconcile), or only those an add-only batch names (`read_named`), with its keys and
its sharees, read fresh from ECS, Resource Sharing, KMS and ResourceManager.

The event is only a hint of *which* role to look at; who gets trust is decided here, so a forged
or stale event can never widen access (the Cloud Custodian lesson: re-fetch the truth).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Literal

from sharetrust.cloud.ecs import EcsGateway, ImageRecord, SnapshotRecord
from sharetrust.cloud.errors import CloudError
from sharetrust.cloud.kms import KmsGateway
from sharetrust.cloud.resourcemanager import ResourceManagerGateway
from sharetrust.cloud.resourcesharing import ResourceSharingGateway, ShareRecord
from sharetrust.model import EncryptedResource, InvalidShareTarget, KeyRef, ResourceKind, ShareTarget, target_kind
from sharetrust.parallel import both, map_bounded
from sharetrust.truth.scope import RegionScope, Scope

LIVE = ("Associated", "Associating")
REGIONS_AT_ONCE = 4
# Independent reads of one region in flight at once, per kind (keys, share permissions): a bounded
# pool, so a large account does not open a connection per image; throttling pauses them all (session).
CALLS_AT_ONCE = 10


def target_of(raw: str, folder_path: dict[str, str]) -> ShareTarget | None:
    """A Resource Sharing target id as a ShareTarget (folders need their RDPath resolved)."""
    try:
        return ShareTarget.parse(raw, folder_path)
    except InvalidShareTarget:
        return None


@dataclass(frozen=True)
class FailedShare:
    """A share the account asked for that ECS / Resource Sharing refused because the role was not ready."""

    kind: ResourceKind
    region: str
    resource_id: str
    targets: tuple[ShareTarget, ...]
    resource_share_id: str | None = None  # None: an ECS ModifyImageSharePermission
    # What failed in a resource share: the target's association, or the resource's (then the
    # resource is re-associated, its targets being associated already).
    failed_part: Literal["target", "resource"] = "target"


@dataclass(frozen=True)
class RefusedAssociation:
    """A resource or target association Resource Sharing failed for a reason other than the role."""

    share_id: str
    region: str
    entity_id: str
    message: str  # `CODE: text`


@dataclass
class AccountFacts:
    account_uid: str
    resources: list[EncryptedResource] = field(default_factory=list)
    failed_shares: list[FailedShare] = field(default_factory=list)
    inspected: list[str] = field(default_factory=list)
    # Associations Resource Sharing refused for reasons no role fixes (e.g. a service key).
    refused: list[RefusedAssociation] = field(default_factory=list)
    # Regions whose facts are missing, and why: skipped by a setting, or a read that failed. A
    # region that failed part-way contributes nothing, so what is here was read whole.
    unread: dict[str, str] = field(default_factory=dict)
    failed_regions: set[str] = field(default_factory=set)

    # Only what the events name was read (an add-only batch): never a ground for a removal.
    scoped: bool = False
    # Owners of the images read: the account the credentials act for (the images are its own).
    image_owners: set[str] = field(default_factory=set)

    @property
    def complete(self) -> bool:
        """Whether every place that could still need access was read: the only ground for a removal."""
        return not self.unread and not self.scoped

    def resource(self, resource_id: str) -> EncryptedResource | None:
        return next((r for r in self.resources if r.id == resource_id), None)

    def absorb(self, region: AccountFacts) -> None:
        self.resources += region.resources
        self.failed_shares += region.failed_shares
        self.inspected += region.inspected
        self.refused += region.refused
        self.image_owners |= region.image_owners


def _live_resources(shares: list[ShareRecord], entity_type: str, *, refused_for_role: bool = False) -> set[str]:
    """Resources of a type the shares hold (and, with `refused_for_role`, failed to take for want of the role)."""
    return {
        a.entity_id
        for s in shares
        for a in s.resources
        if a.entity_type == entity_type
        and (a.status in LIVE or (refused_for_role and _failed_for_role(a.status, a.message)))
    }


def _failed_for_role(status: str, message: str) -> bool:
    # Resource Sharing reports the refusal in the association's message (the local cloud: "AssumeRoleError: ...").
    return status == "Failed" and "AssumeRoleError" in message


class TruthReader:
    """Reads one account's sharing facts; results are cached for the life of the reader."""

    def __init__(
        self,
        account_uid: str,
        regions: list[str],
        skipped: dict[str, str],
        ecs: EcsGateway,
        kms: KmsGateway,
        sharing: ResourceSharingGateway,
        manager: ResourceManagerGateway,
        progress: Callable[[str], None] = lambda _: None,  # where a long scan reports how far it is
    ) -> None:
        self.account_uid = account_uid
        self.regions = regions
        self.skipped = skipped  # regions not read on purpose (a setting), with why
        self.progress = progress
        self._ecs, self._kms, self._sharing, self._manager = ecs, kms, sharing, manager
        self._keys: dict[tuple[str, str], KeyRef] = {}
        self._facts: dict[frozenset[str], AccountFacts] = {}
        self._scoped: AccountFacts | None = None
        self._progress_lock = threading.Lock()

    def read(self, kinds: frozenset[ResourceKind]) -> AccountFacts:
        """Every shared encrypted resource of `kinds` in the regions: what a removal or reconcile needs."""
        if kinds not in self._facts:
            self._facts[kinds] = self._read_regions(lambda region, part: self._read_region(region, kinds, part))
        return self._facts[kinds]

    def read_named(self, scope: Scope) -> AccountFacts:
        """Only what `scope` names (an add-only batch): the facts are partial, so nothing is pruned on them."""
        if self._scoped is None:
            facts = self._read_regions(lambda region, part: self._read_named_region(region, scope, part))
            facts.scoped = True
            self._scoped = facts
        return self._scoped

    def _read_regions(self, read_region: Callable[[str, AccountFacts], None]) -> AccountFacts:
        facts = AccountFacts(self.account_uid, unread=dict(self.skipped))
        done = 0

        def read(region: str) -> AccountFacts | CloudError:
            nonlocal done
            part = self._read_whole_region(region, read_region)
            with self._progress_lock:
                done += 1
                self.progress(f"read {region} ({done}/{len(self.regions)} regions)")
            return part

        # Regions are independent: read side by side, a bounded few at a time (the session's calls
        # and clients are thread-safe; each region's facts are its own until absorbed, in order).
        for region, part in zip(self.regions, map_bounded(read, self.regions, REGIONS_AT_ONCE), strict=True):
            if isinstance(part, CloudError):
                # One region failing does not stop the others; its access is never pruned.
                facts.unread[region] = f"reading {region} failed: {part.one_line()}"
                facts.failed_regions.add(region)
            else:
                facts.absorb(part)
        return facts

    def _read_whole_region(
        self, region: str, read_region: Callable[[str, AccountFacts], None]
    ) -> AccountFacts | CloudError:
        part = AccountFacts(self.account_uid)
        try:
            read_region(region, part)
        except CloudError as failed:
            return failed
        return part

    def forget(self) -> None:
        """Drop cached facts so the next read is fresh (used before pruning under the role lock)."""
        self._facts.clear()
        self._scoped = None

    def key(self, region: str, key_id: str) -> KeyRef:
        if (region, key_id) not in self._keys:
            self._keys[(region, key_id)] = self._kms.key(region, key_id, self.account_uid)
        return self._keys[(region, key_id)]

    def _read_region(self, region: str, kinds: frozenset[ResourceKind], facts: AccountFacts) -> None:
        shares, images = both(
            lambda: self._sharing.own_shares(region),
            lambda: self._ecs.own_images(region) if "image" in kinds else [],
        )
        shared_snapshot_ids = _live_resources(shares, "Snapshot")
        snapshot_ids = {sid for image in images for sid in image.snapshot_ids}
        if "snapshot" in kinds:
            snapshot_ids |= shared_snapshot_ids
        snapshots, folder_paths = both(
            lambda: self._ecs.snapshots(region, snapshot_ids) if snapshot_ids else {},
            lambda: self._folder_paths(shares),
        )
        by_resource = self._share_targets(shares, folder_paths)
        self._refused(region, shares, facts)
        shared_snapshots = sorted(shared_snapshot_ids) if "snapshot" in kinds else []
        self._add_all(region, images, {i.id for i in images}, shared_snapshots, snapshots, by_resource, facts)

    def _read_named_region(self, region: str, scope: Scope, facts: AccountFacts) -> None:
        """The named resources, the named shares and the shares holding resources named without one."""
        named = scope.regions.get(region, RegionScope())

        def named_shares() -> list[ShareRecord]:
            share_ids = set(named.shares | named.whole_shares)
            holding = map_bounded(
                lambda resource_id: self._sharing.shares_holding(region, resource_id),
                sorted(named.shared_resources),
                CALLS_AT_ONCE,
            )
            share_ids.update(share_id for found in holding for share_id in found)
            return self._sharing.shares(region, sorted(share_ids)) if share_ids else []

        shares, images = both(
            named_shares, lambda: self._ecs.own_images(region, sorted(named.images)) if named.images else []
        )
        whole = [s for s in shares if s.id in named.whole_shares]
        more_images = _live_resources(whole, "Image", refused_for_role=True) - named.images
        if more_images:
            images += self._ecs.own_images(region, sorted(more_images))
        snapshot_ids = named.snapshots | _live_resources(whole, "Snapshot", refused_for_role=True)
        disks = snapshot_ids | {sid for image in images for sid in image.snapshot_ids}
        snapshots, folder_paths = both(
            lambda: self._ecs.snapshots(region, disks) if disks else {},
            lambda: self._folder_paths(shares),
        )
        by_resource = self._share_targets(shares, folder_paths)
        self._refused(region, shares, facts)
        self._add_all(region, images, named.image_sharees, sorted(snapshot_ids), snapshots, by_resource, facts)

    def _add_all(
        self,
        region: str,
        images: list[ImageRecord],
        listed: Collection[str],  # images whose ECS share permissions count
        snapshot_ids: list[str],
        snapshots: dict[str, SnapshotRecord],
        by_resource: dict[str, list[tuple[ShareRecord, ShareTarget, str]]],
        facts: AccountFacts,
    ) -> None:
        """The resources' keys and ECS sharees, read side by side (each once), then the resources."""
        disks = [snapshots[s] for image in images for s in image.snapshot_ids if s in snapshots]
        disks += [snapshots[s] for s in snapshot_ids if s in snapshots]
        encrypted = {i.id for i in images if any(snapshots[s].encrypted for s in i.snapshot_ids if s in snapshots)}
        key_ids = sorted({d.kms_key_id for d in disks if d.encrypted and d.kms_key_id} - self._known_keys(region))
        with_sharees = sorted(encrypted & set(listed))
        keys, sharees = both(
            lambda: map_bounded(lambda k: self._kms.key(region, k, self.account_uid), key_ids, CALLS_AT_ONCE),
            lambda: map_bounded(lambda i: self._ecs.image_sharees(region, i), with_sharees, CALLS_AT_ONCE),
        )
        for key_id, key in zip(key_ids, keys, strict=True):
            self._keys[(region, key_id)] = key
        sharees_of = dict(zip(with_sharees, sharees, strict=True))
        for image in images:
            self._add_image(region, image, snapshots, by_resource, facts, sharees_of.get(image.id, {}))
        self._add_snapshots(region, snapshot_ids, snapshots, by_resource, facts)

    def _known_keys(self, region: str) -> set[str]:
        return {key_id for (key_region, key_id) in self._keys if key_region == region}

    def _folder_paths(self, shares: list[ShareRecord]) -> dict[str, str]:
        folders = sorted(
            {t.entity_id for s in shares for t in s.targets if target_kind(t.entity_id) in ("folder", "root")}
        )
        paths = map_bounded(self._manager.folder_path, folders, CALLS_AT_ONCE)
        return dict(zip(folders, paths, strict=True))

    @staticmethod
    def _refused(region: str, shares: list[ShareRecord], facts: AccountFacts) -> None:
        for share in shares:
            for association in (*share.resources, *share.targets):
                if association.status == "Failed" and not _failed_for_role(association.status, association.message):
                    facts.refused.append(
                        RefusedAssociation(share.id, region, association.entity_id, association.message)
                    )

    def _add_snapshots(
        self,
        region: str,
        snapshot_ids: list[str],
        snapshots: dict[str, SnapshotRecord],
        by_resource: dict[str, list[tuple[ShareRecord, ShareTarget, str]]],
        facts: AccountFacts,
    ) -> None:
        for snapshot_id in snapshot_ids:
            snapshot = snapshots.get(snapshot_id)
            if snapshot is not None:
                self._add(facts, "snapshot", region, snapshot_id, [snapshot], {}, by_resource)

    def _share_targets(
        self, shares: list[ShareRecord], folder_paths: dict[str, str]
    ) -> dict[str, list[tuple[ShareRecord, ShareTarget, str]]]:
        """resource id -> (share, target, status) for every live pair, and for pairs whose share failed
        only because the role was not ready (status "Failed" for a target, "FailedResource" for the resource).
        """
        found: dict[str, list[tuple[ShareRecord, ShareTarget, str]]] = defaultdict(list)
        for share in shares:
            for resource in share.resources:
                resource_failed = _failed_for_role(resource.status, resource.message)
                if resource.status not in LIVE and not resource_failed:
                    continue
                for association in share.targets:
                    target = target_of(association.entity_id, folder_paths)
                    if target is None:
                        continue
                    if association.status in LIVE:
                        found[resource.entity_id].append(
                            (share, target, "FailedResource" if resource_failed else association.status)
                        )
                    elif _failed_for_role(association.status, association.message) and not resource_failed:
                        found[resource.entity_id].append((share, target, "Failed"))
        return found

    def _add_image(
        self,
        region: str,
        image: ImageRecord,
        snapshots: dict[str, SnapshotRecord],
        by_resource: dict[str, list[tuple[ShareRecord, ShareTarget, str]]],
        facts: AccountFacts,
        accounts: dict[str, str],  # its ECS sharees (none read for an add through Resource Sharing), with when
    ) -> None:
        if image.owner_uid:
            facts.image_owners.add(image.owner_uid)
        disks = [snapshots[s] for s in image.snapshot_ids if s in snapshots]
        if not any(d.encrypted for d in disks):
            return  # an unencrypted image needs no role
        # ECS names accounts only; anything not a UID cannot be trusted as one.
        sharees = {t: shared for uid, shared in accounts.items() if (t := target_of(uid, {})) is not None}
        self._add(facts, "image", region, image.id, disks, sharees, by_resource)

    def _add(
        self,
        facts: AccountFacts,
        kind: ResourceKind,
        region: str,
        resource_id: str,
        disks: list[SnapshotRecord],
        direct: dict[ShareTarget, str],
        by_resource: dict[str, list[tuple[ShareRecord, ShareTarget, str]]],
    ) -> None:
        facts.inspected.append(resource_id)
        encrypted = [d for d in disks if d.encrypted and d.kms_key_id]
        if not encrypted:
            return
        keys = tuple(sorted({self.key(region, d.kms_key_id) for d in encrypted}))
        sharees: list[ShareTarget] = list(direct)
        shared_at = dict(direct)
        for share, target, status in by_resource.get(resource_id, []):
            sharees.append(target)
            created = next((a.created for a in share.targets if a.entity_id == target.id), "")
            shared_at[target] = max(shared_at.get(target, ""), created)
            if status == "Failed":
                facts.failed_shares.append(FailedShare(kind, region, resource_id, (target,), share.id))
            elif status == "FailedResource":
                facts.failed_shares.append(FailedShare(kind, region, resource_id, (target,), share.id, "resource"))
        unique = tuple(dict.fromkeys(sharees))
        facts.resources.append(EncryptedResource(kind, resource_id, region, self.account_uid, keys, unique, shared_at))
