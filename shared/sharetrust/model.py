"""The facts sharetrust reasons about: shared encrypted resources, their keys and their sharees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ResourceKind = Literal["image", "snapshot"]

IMAGE_ROLE = "AliyunECSShareEncryptImageDefaultRole"
SNAPSHOT_ROLE = "AliyunECSShareEncryptSnapshotDefaultRole"
ROLE_FOR_KIND: dict[ResourceKind, str] = {"image": IMAGE_ROLE, "snapshot": SNAPSHOT_ROLE}
# The custom policy sharetrust owns on each role (RAM policy names: letters, digits, hyphens).
POLICY_FOR_KIND: dict[ResourceKind, str] = {
    "image": "sharetrust-image-share-keys",
    "snapshot": "sharetrust-snapshot-share-keys",
}
SERVICE_KEY_POLICY = "AliyunKMSFullAccess"


@dataclass(frozen=True, order=True)
class ShareTarget:
    """Who a resource is shared with: an account, a whole resource directory, or a folder of one.

    `rd_path` is the folder's RDPath (`<rd-id>/<root-folder-id>/.../<folder-id>`), needed for the
    StringLike trust condition; it is None for accounts and directories.
    """

    kind: Literal["account", "directory", "folder"]
    id: str
    rd_path: str | None = None

    @staticmethod
    def account(uid: str) -> ShareTarget:
        return ShareTarget("account", uid)

    @staticmethod
    def directory(rd_id: str) -> ShareTarget:
        return ShareTarget("directory", rd_id)

    @staticmethod
    def folder(folder_id: str, rd_path: str) -> ShareTarget:
        return ShareTarget("folder", folder_id, rd_path)

    def __str__(self) -> str:
        return self.id if self.kind != "folder" else f"{self.id} ({self.rd_path})"


@dataclass(frozen=True, order=True)
class KeyRef:
    """A KMS key a resource is encrypted with."""

    key_id: str
    region: str
    account_uid: str
    is_service_key: bool

    @property
    def arn(self) -> str:
        return f"acs:kms:{self.region}:{self.account_uid}:key/{self.key_id}"


@dataclass(frozen=True)
class EncryptedResource:
    """An encrypted image or snapshot as it is now: its keys and everyone it is shared with."""

    kind: ResourceKind
    id: str
    region: str
    owner_uid: str
    keys: tuple[KeyRef, ...]
    sharees: tuple[ShareTarget, ...]

    @property
    def role_name(self) -> str:
        return ROLE_FOR_KIND[self.kind]
