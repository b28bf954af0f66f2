"""What a share role must look like, derived from the shared encrypted resources of its kind."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sharetrust.model import EncryptedResource, KeyRef, ResourceKind, ShareTarget
from sharetrust.plan.capacity import DirectoryCover
from sharetrust.plan.trust_policy import folder_pattern


@dataclass(frozen=True)
class DesiredRole:
    kind: ResourceKind
    accounts: frozenset[str] = frozenset()
    directories: frozenset[str] = frozenset()
    folder_patterns: frozenset[str] = frozenset()
    keys: frozenset[KeyRef] = frozenset()
    # Resources encrypted with a service key: the page prescribes AliyunKMSFullAccess for them.
    service_key_resources: tuple[str, ...] = ()
    # Resources whose key belongs to another account: the sharer cannot grant use of it.
    foreign_key_resources: tuple[str, ...] = field(default=())
    # Accounts the events being handled name: first after those already trusted when not all fit.
    urgent: frozenset[str] = frozenset()
    # Sharees the allow/deny settings keep out of the trust policy.
    excluded: tuple[str, ...] = ()
    # When each account was last shared with (ISO 8601): the most recent come first when not all fit.
    recency: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    # Set only when the sharees do not all fit and SHARETRUST_COVER_WITH_DIRECTORY is on (plan/capacity.py).
    cover: DirectoryCover | None = field(default=None, compare=False, hash=False)

    @property
    def cmks(self) -> frozenset[KeyRef]:
        return frozenset(k for k in self.keys if not k.is_service_key)

    @property
    def needed(self) -> bool:
        return bool(self.accounts or self.directories or self.folder_patterns)


@dataclass(frozen=True)
class ShareeFilter:
    """The allow- and deny-lists of sharees (account UIDs, `rd-` directories, `fd-`/`r-` folders).

    A directory or folder listed covers the folders below it. Deny wins; an empty allow-list allows all.
    """

    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()

    def admits(self, target: ShareTarget) -> bool:
        names = {target.id, *(target.rd_path or "").split("/")} - {""}
        if names & self.deny:
            return False
        return not self.allow or bool(names & self.allow)


def desired_role(
    kind: ResourceKind,
    owner_uid: str,
    resources: Iterable[EncryptedResource],
    sharees: ShareeFilter = ShareeFilter(),
) -> DesiredRole:
    """Trust every current sharee of every encrypted resource of `kind` that `sharees` admits, and grant
    every key in use. A resource nobody is shared with contributes nothing: its key is not granted either.
    """
    accounts: set[str] = set()
    directories: set[str] = set()
    folders: set[str] = set()
    keys: set[KeyRef] = set()
    service_keyed: list[str] = []
    foreign_keyed: list[str] = []
    excluded: set[str] = set()
    recency: dict[str, str] = {}
    for resource in resources:
        if resource.kind != kind or not resource.keys:
            continue
        admitted = [t for t in resource.sharees if sharees.admits(t)]
        excluded.update(str(t) for t in resource.sharees if not sharees.admits(t))
        if not admitted:
            continue
        for target in admitted:
            if target.kind == "account" and target.id != owner_uid:
                accounts.add(target.id)
                recency[target.id] = max(recency.get(target.id, ""), resource.shared_at.get(target, ""))
            elif target.kind == "directory":
                directories.add(target.id)
            elif target.kind == "folder" and target.rd_path:
                folders.add(folder_pattern(target.rd_path))
        for key in resource.keys:
            if key.account_uid != owner_uid:
                foreign_keyed.append(resource.id)
                continue
            keys.add(key)
            if key.is_service_key:
                service_keyed.append(resource.id)
    return DesiredRole(
        kind,
        frozenset(accounts),
        frozenset(directories),
        frozenset(folders),
        frozenset(keys),
        tuple(sorted(set(service_keyed))),
        tuple(sorted(set(foreign_keyed))),
        excluded=tuple(sorted(excluded)),
        recency=recency,
    )
