"""Resource Sharing gateway: the account's shares of images and snapshots and their targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sharetrust.cloud.batches import chunks
from sharetrust.cloud.session import CloudSession

PAGE = 100
IDS_PER_CALL = 5  # ResourceShareIds.N takes at most 5 (alibaba-apis.md §3)
SHARED_TYPES = ("Image", "Snapshot")


@dataclass(frozen=True)
class AssociationRecord:
    share_id: str
    entity_id: str
    entity_type: str
    status: str
    message: str
    created: str = ""  # when the association was made (ISO 8601), for "most recent share first"


@dataclass(frozen=True)
class ShareRecord:
    id: str
    name: str
    region: str
    resources: tuple[AssociationRecord, ...]
    targets: tuple[AssociationRecord, ...]


class ResourceSharingGateway:
    def __init__(self, session: CloudSession) -> None:
        self._session = session

    def _client(self, region: str) -> Any:
        from alibabacloud_resourcesharing20200110.client import Client

        return self._session.client("resourcesharing", region, Client)

    def own_shares(self, region: str) -> list[ShareRecord]:
        """Active shares the account owns in a region, with their resource and target associations."""
        from alibabacloud_resourcesharing20200110 import models

        shares: list[tuple[str, str]] = []
        token: str | None = None
        while True:
            request = models.ListResourceSharesRequest(
                resource_owner="Self", resource_share_status="Active", max_results=PAGE, next_token=token
            )
            body = self._session.pop(
                "ResourceSharing:ListResourceShares", self._client(region).list_resource_shares_with_options, request
            ).body
            shares.extend((s.resource_share_id, s.resource_share_name) for s in body.resource_shares or [])
            token = body.next_token or None
            if not token:
                break
        return self._with_associations(region, shares)

    def shares(self, region: str, share_ids: list[str]) -> list[ShareRecord]:
        """These shares of the account, with their associations (a share of another account has none:
        ListResourceShareAssociations answers for the caller's own shares only)."""
        return self._with_associations(region, [(sid, "") for sid in sorted(set(share_ids))])

    def shares_holding(self, region: str, resource_id: str) -> list[str]:
        """The ids of the account's shares that hold (or held, or failed to take) this resource."""
        return sorted({a.share_id for a in self._associations(region, [], "Resource", resource_id)})

    def _with_associations(self, region: str, shares: list[tuple[str, str]]) -> list[ShareRecord]:
        by_share: dict[str, dict[str, list[AssociationRecord]]] = {
            sid: {"Resource": [], "Target": []} for sid, _ in shares
        }
        for batch in chunks([sid for sid, _ in shares], IDS_PER_CALL):
            for kind in ("Resource", "Target"):
                for record in self._associations(region, batch, kind):
                    by_share[record.share_id][kind].append(record)
        return [
            ShareRecord(sid, name, region, tuple(by_share[sid]["Resource"]), tuple(by_share[sid]["Target"]))
            for sid, name in shares
        ]

    def _associations(
        self, region: str, share_ids: list[str], kind: str, resource_id: str | None = None
    ) -> list[AssociationRecord]:
        from alibabacloud_resourcesharing20200110 import models

        found: list[AssociationRecord] = []
        token: str | None = None
        while True:
            request = models.ListResourceShareAssociationsRequest(
                association_type=kind,
                resource_share_ids=share_ids or None,
                resource_id=resource_id,
                max_results=PAGE,
                next_token=token,
            )
            body = self._session.pop(
                "ResourceSharing:ListResourceShareAssociations",
                self._client(region).list_resource_share_associations_with_options,
                request,
            ).body
            for a in body.resource_share_associations or []:
                found.append(
                    AssociationRecord(
                        a.resource_share_id,
                        str(a.entity_id),
                        str(a.entity_type or ""),
                        str(a.association_status or ""),
                        str(a.association_status_message or ""),
                        str(a.create_time or ""),
                    )
                )
            token = body.next_token or None
            if not token:
                return found

    def associate(self, region: str, share_id: str, resources: list[tuple[str, str]], targets: list[str]) -> None:
        """Repeats an association (resources as (type, id)), five items a call."""
        from alibabacloud_resourcesharing20200110 import models

        for batch in chunks(targets, IDS_PER_CALL) if targets else [[]]:
            request = models.AssociateResourceShareRequest(
                resource_share_id=share_id,
                resources=[
                    models.AssociateResourceShareRequestResources(resource_id=rid, resource_type=rtype)
                    for rtype, rid in resources
                ]
                or None,
                targets=batch or None,
            )
            self._session.pop(
                "ResourceSharing:AssociateResourceShare",
                self._client(region).associate_resource_share_with_options,
                request,
            )
