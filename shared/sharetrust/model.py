"""The facts sharetrust reasons about: shared encrypted resources, their keys and their sharees."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ResourceKind = Literal["image", "snapshot"]
TargetKind = Literal["account", "directory", "folder", "root"]

# The one account-UID rule: 1–20 ASCII digits, nothing trimmed. UIDs are 16 digits today; the range
# leaves room for older or longer ones. `fullmatch` with an explicit [0-9] class: `\d` would take
# Unicode digits and `$` a trailing newline.
_ACCOUNT_UID = re.compile(r"[0-9]{1,20}")
# Resource directory (`rd-`), folder (`fd-`) and root folder (`r-`) ids: a prefix and ASCII letters/digits.
_TARGET_IDS: tuple[tuple[TargetKind, re.Pattern[str]], ...] = (
    ("directory", re.compile(r"rd-[A-Za-z0-9]+")),
    ("folder", re.compile(r"fd-[A-Za-z0-9]+")),
    ("root", re.compile(r"r-[A-Za-z0-9]+")),
)
# A folder's RDPath as GetFolder gives it: `rd-<id>/r-<root>/fd-<id>/...`.
_RD_PATH = re.compile(r"rd-[A-Za-z0-9]+(/(r|fd)-[A-Za-z0-9]+)+")
INVALID_TARGET_REASON = "not an account UID (1–20 digits) or an rd-/fd-/r- id"


def is_account_uid(text: str) -> bool:
    return _ACCOUNT_UID.fullmatch(text) is not None


def target_kind(target: str) -> TargetKind | None:
    """What a share target names, or None when it is none of the known forms."""
    if is_account_uid(target):
        return "account"
    return next((kind for kind, pattern in _TARGET_IDS if pattern.fullmatch(target)), None)


class InvalidShareTarget(ValueError):
    """A value that is not a share target; the message names it and says why."""


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
        if not is_account_uid(uid):
            raise InvalidShareTarget(f"{uid!r}: {INVALID_TARGET_REASON}")
        return ShareTarget("account", uid)

    @staticmethod
    def parse(raw: str, folder_paths: dict[str, str] | None = None) -> ShareTarget:
        """An account UID, `rd-` directory or folder (`fd-`/`r-`, whose RDPath must be in `folder_paths`)."""
        kind = target_kind(raw)
        if kind == "account":
            return ShareTarget("account", raw)
        if kind == "directory":
            return ShareTarget("directory", raw)
        if kind in ("folder", "root"):
            path = (folder_paths or {}).get(raw)
            if path is None or not _RD_PATH.fullmatch(path) or path.rsplit("/", 1)[-1] != raw:
                # An empty or odd path would make the StringLike pattern match far more than the folder.
                raise InvalidShareTarget(f"{raw!r}: folder without a usable RDPath ({path!r})")
            return ShareTarget("folder", raw, path)
        raise InvalidShareTarget(f"{raw!r}: {INVALID_TARGET_REASON}")

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
    # When each sharee got it (ISO 8601, where the service says): who is left out first when not all fit.
    shared_at: Mapping[ShareTarget, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def role_name(self) -> str:
        return ROLE_FOR_KIND[self.kind]
