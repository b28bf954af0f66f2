"""Encryption rules of shared ECS images and snapshots, applied by ECS (ModifyImageSharePermission) and by
Resource Sharing (settling an association) alike.

Shares production refuses whatever the roles say (production-facts.md, "Share refusals that no role
change can fix"; ModifyImageSharePermission API page, change history to 2025-04-29): `refusal`. ECS
answers with these errors; Resource Sharing refuses the association the same way [UNCONFIRMED: its
failure text is not published]. Then the key kind (`encryption_of`) and the share role (`share_role_denial`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from localcloud import policy
from localcloud.errors import ApiError, forbidden
from localcloud.state import SNAPSHOT_ROLE, Cloud, Image, Snapshot

Encryption = Literal["plain", "cmk", "service"]


def refusal(cloud: Cloud, resource: Image | Snapshot) -> ApiError | None:
    """Why `resource` cannot be shared at all, or None. Checked before the share role is."""
    if isinstance(resource, Snapshot):
        snapshots = [resource]
    else:
        snapshots = [cloud.snapshots[d.snapshot_id] for d in resource.disks if d.snapshot_id in cloud.snapshots]
    encrypted = [s for s in snapshots if s.encrypted]
    if not encrypted:
        return None
    if isinstance(resource, Image) and len(resource.disks) > 1:
        return forbidden(
            "OperationDeined.FullImage",  # sic: production's spelling
            "The encrypted image contains multiple snapshots, which do not support share.",
        )
    for snapshot in encrypted:
        key = cloud.keys.get(snapshot.kms_key_id) if snapshot.kms_key_id else None
        if key is not None and key.state != "Enabled":
            return forbidden(
                "InvalidParameter.KMSKeyId.CMKNotEnabled",
                f"The CMK {key.id} is {key.state}; the key must be enabled to share the encrypted resource.",
            )
    return None


def _snapshot_encryption(cloud: Cloud, snapshot: Snapshot) -> Encryption:
    if not snapshot.encrypted:
        return "plain"
    # ECS encrypts with the service key when no KMSKeyId is given, so an encrypted snapshot
    # without a key id counts as service-key encrypted.
    if not snapshot.kms_key_id:
        return "service"
    key = cloud.keys.get(snapshot.kms_key_id)
    return "service" if key is not None and key.is_service_key else "cmk"


def encryption_of(cloud: Cloud, resource: Image | Snapshot) -> Encryption:
    """`service` if any backing snapshot uses a service key, else `cmk` if any is encrypted."""
    if isinstance(resource, Snapshot):
        snapshots = [resource]
    else:
        snapshots = [cloud.snapshots[d.snapshot_id] for d in resource.disks if d.snapshot_id in cloud.snapshots]
    kinds = {_snapshot_encryption(cloud, s) for s in snapshots}
    if "service" in kinds:
        return "service"
    return "cmk" if "cmk" in kinds else "plain"


def share_role_denial(cloud: Cloud, owner: str, role_name: str, sharees: Iterable[str]) -> str | None:
    """Why the sharees' ECS could not use `owner`'s CMK through the share role, or None.

    "role-exists": the role must exist. "role-trusts": it must also trust every sharee's ECS
    (`<uid>@ecs.aliyuncs.com` with the sharee's RD condition keys). Which one the real ECS does
    is unconfirmed (alibaba-apis.md §10.4); `cloud.settings.share_check` picks.
    """
    message = f"Requires a RAM role of {role_name} before sharing encrypted image."
    if role_name == SNAPSHOT_ROLE:
        message = f"Requires a RAM role of {role_name} before sharing encrypted snapshot."
    role = cloud.ram_of(owner).roles.get(role_name.lower())
    if role is None:
        return message
    if cloud.settings.share_check == "role-trusts":
        for uid in sharees:
            decision = policy.evaluate_trust(
                role.trust_policy, "Service", f"{uid}@ecs.aliyuncs.com", policy.ecs_trust_context(cloud, uid)
            )
            if decision != "allow":
                return message
    return None
