"""Shares production refuses whatever the roles say (production-facts.md, "Share refusals that no role
change can fix"; ModifyImageSharePermission API page, change history to 2025-04-29).

A rule of the products, apart from the protocol handlers that call it: ECS answers with these errors;
Resource Sharing refuses the association the same way [UNCONFIRMED: its failure text is not published].
"""

from __future__ import annotations

from localcloud.errors import ApiError
from localcloud.state import Cloud, Image, Snapshot


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
        return ApiError(
            403,
            "OperationDeined.FullImage",  # sic: production's spelling
            "The encrypted image contains multiple snapshots, which do not support share.",
        )
    for snapshot in encrypted:
        key = cloud.keys.get(snapshot.kms_key_id) if snapshot.kms_key_id else None
        if key is not None and key.state != "Enabled":
            return ApiError(
                403,
                "InvalidParameter.KMSKeyId.CMKNotEnabled",
                f"The CMK {key.id} is {key.state}; the key must be enabled to share the encrypted resource.",
            )
    return None
