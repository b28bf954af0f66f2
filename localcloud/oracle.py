"""The oracle: could the sharee's ECS use a shared encrypted image or snapshot right now?

It reads the emulated state directly, independently of sharetrust, and checks every link a
real share needs (encryption-related-permissions.ja.txt): the resource is shared with the
sharee, each key is usable, the sharer's share role exists, trusts `<uid>@ecs.aliyuncs.com`
(with the sharee's resource-directory condition keys), and its policies allow kms:Decrypt and
kms:GenerateDataKey on every key. A "no" names the first missing link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from localcloud.policy import ecs_trust_context, evaluate_permissions, evaluate_trust
from localcloud.rules.access import role_policy_documents
from localcloud.state import IMAGE_ROLE, SNAPSHOT_ROLE, Cloud, KmsKey, ResourceShare

REQUIRED_KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class Verdict:
    usable: bool
    reason: str
    missing_link: str | None = None  # resource | shared | key | role | trust | permission
    checked: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "usable": self.usable,
            "reason": self.reason,
            "missing_link": self.missing_link,
            "checked": self.checked,
        }


def _target_covers(cloud: Cloud, target: str, sharee_uid: str) -> bool:
    if target == sharee_uid:
        return True
    directory = cloud.directory_of(sharee_uid)
    if directory is None or sharee_uid not in directory.members:
        return False
    if target == directory.id:
        return True
    return target in directory.account_path(sharee_uid).split("/")[1:-1]


def shared_through(cloud: Cloud, share: ResourceShare, resource_id: str, sharee_uid: str) -> bool:
    """Whether an active share has the resource and a target covering the sharee, both Associated."""
    if share.status != "Active":
        return False
    live = [a for a in share.associations if a.status == "Associated"]
    has_resource = any(a.association_type == "Resource" and a.entity_id == resource_id for a in live)
    return has_resource and any(
        a.association_type == "Target" and _target_covers(cloud, a.entity_id, sharee_uid) for a in live
    )


def can_use(cloud: Cloud, sharee_uid: str, resource_id: str) -> Verdict:
    with cloud.lock:
        return _can_use(cloud, sharee_uid, resource_id)


def _can_use(cloud: Cloud, sharee_uid: str, resource_id: str) -> Verdict:
    checked: list[str] = []

    def no(link: str, reason: str) -> Verdict:
        return Verdict(False, reason, link, checked)

    image = cloud.images.get(resource_id)
    snapshot = cloud.snapshots.get(resource_id)
    if image is None and snapshot is None:
        return no("resource", f"{resource_id} does not exist")
    if image is not None:
        owner, role_name = image.owner, IMAGE_ROLE
        snapshots = [cloud.snapshots[d.snapshot_id] for d in image.disks if d.snapshot_id in cloud.snapshots]
        direct = sharee_uid in image.shared_with
    else:
        assert snapshot is not None
        owner, role_name, snapshots, direct = snapshot.owner, SNAPSHOT_ROLE, [snapshot], False
    checked.append("resource")
    if sharee_uid == owner:
        return Verdict(True, f"{sharee_uid} owns {resource_id}", None, checked)
    if not direct and not any(
        shared_through(cloud, share, resource_id, sharee_uid)
        for share in cloud.resource_shares.values()
        if share.owner == owner
    ):
        return no("shared", f"{resource_id} is not shared with {sharee_uid}")
    checked.append("shared")
    key_ids = sorted({s.kms_key_id for s in snapshots if s.encrypted and s.kms_key_id})
    if not key_ids:
        return Verdict(True, f"{resource_id} is not encrypted and is shared with {sharee_uid}", None, checked)
    keys: list[KmsKey] = []
    for key_id in key_ids:
        key = cloud.keys.get(key_id)
        if key is None:
            return no("key", f"KMS key {key_id} of {resource_id} does not exist")
        if key.state != "Enabled":
            return no("key", f"KMS key {key_id} of {resource_id} is {key.state}")
        keys.append(key)
    checked.append("key")
    ram = cloud.ram_of(owner)
    role = ram.roles.get(role_name.lower())
    if role is None:
        return no("role", f"{owner} has no role {role_name}")
    checked.append("role")
    principal = f"{sharee_uid}@ecs.aliyuncs.com"
    trust = evaluate_trust(role.trust_policy, "Service", principal, ecs_trust_context(cloud, sharee_uid))
    if trust != "allow":
        how = "explicitly denies" if trust == "deny" else "does not allow"
        return no("trust", f"the trust policy of {role_name} {how} {principal}")
    checked.append("trust")
    documents = role_policy_documents(cloud, owner, role_name)
    for key in keys:
        for action in REQUIRED_KMS_ACTIONS:
            decision = evaluate_permissions(documents, action, key.arn)
            if decision != "allow":
                how = "explicitly denies" if decision == "deny" else "does not allow"
                return no("permission", f"the policies of {role_name} {how} {action} on {key.arn}")
    checked.append("permission")
    return Verdict(True, f"{sharee_uid} can use {resource_id}", None, checked)
