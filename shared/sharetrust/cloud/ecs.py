"""ECS gateway: images, their snapshots' encryption, and image share permissions."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sharetrust.cloud.batches import chunks
from sharetrust.cloud.session import CloudSession

PAGE = 100
SNAPSHOT_BATCH = 100  # DescribeSnapshots takes at most 100 ids (alibaba-apis.md §2.4)
SHARE_BATCH = 10  # ModifyImageSharePermission ignores accounts past the 10th (§2.1)


@dataclass(frozen=True)
class ImageRecord:
    id: str
    region: str
    owner_uid: str
    snapshot_ids: tuple[str, ...]


@dataclass(frozen=True)
class SnapshotRecord:
    id: str
    region: str
    encrypted: bool
    kms_key_id: str


class EcsGateway:
    def __init__(self, session: CloudSession) -> None:
        self._session = session

    def _client(self, region: str) -> Any:
        from alibabacloud_ecs20140526.client import Client

        return self._session.client("ecs", region, Client)

    def regions(self, home_region: str) -> list[str]:
        from alibabacloud_ecs20140526 import models

        body = self._session.pop(
            "Ecs:DescribeRegions",
            self._client(home_region).describe_regions_with_options,
            models.DescribeRegionsRequest(),
        ).body
        return [r.region_id for r in body.regions.region]

    def own_images(self, region: str, image_ids: list[str] | None = None) -> list[ImageRecord]:
        """The account's custom images in a region (all pages), optionally only these ids."""
        from alibabacloud_ecs20140526 import models

        found: list[ImageRecord] = []
        # Several ids comma-separated: not documented (alibaba-apis.md §2.3), batched as the local cloud allows.
        id_batches: list[str | None] = [",".join(b) for b in chunks(image_ids, PAGE)] if image_ids else [None]
        for ids in id_batches:
            page = 1
            while True:
                request = models.DescribeImagesRequest(
                    region_id=region, image_owner_alias="self", image_id=ids, page_number=page, page_size=PAGE
                )
                body = self._session.pop(
                    "Ecs:DescribeImages", self._client(region).describe_images_with_options, request
                ).body
                images = body.images.image if body.images and body.images.image else []
                for image in images:
                    mappings = image.disk_device_mappings.disk_device_mapping if image.disk_device_mappings else []
                    snaps = tuple(m.snapshot_id for m in mappings or [] if m.snapshot_id)
                    found.append(ImageRecord(image.image_id, region, str(image.image_owner_id or ""), snaps))
                if page * PAGE >= int(body.total_count or 0) or not images:
                    break
                page += 1
        return found

    def snapshots(self, region: str, snapshot_ids: Iterable[str]) -> dict[str, SnapshotRecord]:
        from alibabacloud_ecs20140526 import models

        ids = sorted(set(snapshot_ids))
        found: dict[str, SnapshotRecord] = {}
        for batch in chunks(ids, SNAPSHOT_BATCH):
            token: str | None = None
            while True:
                request = models.DescribeSnapshotsRequest(
                    region_id=region, snapshot_ids=json.dumps(batch), max_results=PAGE, next_token=token
                )
                body = self._session.pop(
                    "Ecs:DescribeSnapshots", self._client(region).describe_snapshots_with_options, request
                ).body
                for snap in body.snapshots.snapshot if body.snapshots and body.snapshots.snapshot else []:
                    found[snap.snapshot_id] = SnapshotRecord(
                        snap.snapshot_id, region, bool(snap.encrypted), snap.kmskey_id or ""
                    )
                token = body.next_token or None
                if not token:
                    break
        return found

    def image_sharees(self, region: str, image_id: str) -> dict[str, str]:
        """Every account the image is shared with through ModifyImageSharePermission (all pages), with when."""
        from alibabacloud_ecs20140526 import models

        sharees: dict[str, str] = {}
        page = 1
        while True:
            request = models.DescribeImageSharePermissionRequest(
                region_id=region, image_id=image_id, page_number=page, page_size=PAGE
            )
            body = self._session.pop(
                "Ecs:DescribeImageSharePermission",
                self._client(region).describe_image_share_permission_with_options,
                request,
            ).body
            accounts = body.accounts.account if body.accounts and body.accounts.account else []
            sharees.update((str(a.aliyun_id), str(a.shared_time or "")) for a in accounts)
            if page * PAGE >= int(body.total_count or 0) or not accounts:
                return sharees
            page += 1

    def share_image(self, region: str, image_id: str, accounts: list[str]) -> None:
        from alibabacloud_ecs20140526 import models

        for batch in chunks(accounts, SHARE_BATCH):
            request = models.ModifyImageSharePermissionRequest(region_id=region, image_id=image_id, add_account=batch)
            self._session.pop(
                "Ecs:ModifyImageSharePermission",
                self._client(region).modify_image_share_permission_with_options,
                request,
            )
