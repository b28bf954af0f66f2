"""ECS 2014-05-26: regions, images, snapshots and image share permissions."""

from __future__ import annotations

import json
from typing import Any

from localcloud import paging
from localcloud.errors import ApiError, bad_request, forbidden, invalid, missing, not_found
from localcloud.rpc import Call, operation
from localcloud.rules.encryption import encryption_of, refusal, share_role_denial
from localcloud.rules.sharing import settle, shared_with
from localcloud.state import IMAGE_ROLE, Image, Snapshot, now_iso

VERSION = "2014-05-26"

MAX_ACCOUNTS_PER_CALL = 10
MAX_SHAREES_PER_IMAGE = 50
SNAPSHOT_STATUSES = ("progressing", "accomplished", "failed", "all")
SNAPSHOT_USAGES = ("image", "disk", "image_disk", "none")


@operation(VERSION, "DescribeRegions", write=False)
def describe_regions(call: Call) -> dict[str, Any]:
    return {
        "Regions": {
            "Region": [
                {"RegionId": r, "LocalName": r, "RegionEndpoint": f"ecs.{r}.aliyuncs.com", "Status": "available"}
                for r in call.cloud.regions
            ]
        }
    }


def _region(call: Call) -> str:
    """RegionId is required by every ECS operation here (the core would default it)."""
    if call.params.get("RegionId") is None:
        raise missing("RegionId")
    return call.region


def _image_not_found(image_id: str) -> ApiError:
    return not_found("InvalidImageId.NotFound", f"The specified ImageId {image_id} does not exist.")


def _own_image(call: Call, region: str) -> Image:
    image_id = call.params.require("ImageId")
    image = call.cloud.images.get(image_id)
    # Someone else's image (even one shared with the caller) is "not found" for these operations.
    if image is None or image.owner != call.caller.account_uid or image.region != region:
        raise _image_not_found(image_id)
    return image


# ---- images -----------------------------------------------------------------------------------


def _image_body(call: Call, image: Image) -> dict[str, Any]:
    cloud = call.cloud
    mappings = []
    for index, disk in enumerate(image.disks):
        snapshot = cloud.snapshots.get(disk.snapshot_id)
        mappings.append(
            {
                "Device": disk.device,
                "SnapshotId": disk.snapshot_id,
                "Size": str(disk.size_gb),  # a string in the SDK model
                "Type": "system" if index == 0 else "data",
                "Format": "",
                "Encrypted": bool(snapshot and snapshot.encrypted),
            }
        )
    self_shared = bool(image.shared_with) or any(
        a.entity_id == image.id and a.association_type == "Resource" and a.status == "Associated"
        for s in cloud.resource_shares.values()
        if s.owner == image.owner and s.status == "Active"
        for a in s.associations
    )
    return {
        "ImageId": image.id,
        "ImageName": image.name,
        "ImageOwnerAlias": "self" if image.owner == call.caller.account_uid else "others",
        "ImageOwnerId": int(image.owner),
        "IsSelfShared": "True" if self_shared else "False",
        "IsPublic": False,
        "IsCopied": False,
        "Status": image.status,
        "Usage": "none",
        "Progress": "100%",
        "Size": image.disks[0].size_gb if image.disks else 0,
        "CreationTime": image.created,
        "DiskDeviceMappings": {"DiskDeviceMapping": mappings},
        "Tags": {"Tag": []},
    }


@operation(VERSION, "DescribeImages", write=False)
def describe_images(call: Call) -> dict[str, Any]:
    region = _region(call)
    params = call.params
    alias = params.get("ImageOwnerAlias")
    if alias is not None and alias not in ("system", "self", "others", "marketplace"):
        raise invalid("ImageOwnerAlias", f"{alias!r} is not one of system, self, others, marketplace")
    # Several comma-separated ids: UNCONFIRMED in the docs (alibaba-apis.md §2.3); accepted here.
    ids_raw = params.get("ImageId")
    ids = {i.strip() for i in ids_raw.split(",") if i.strip()} if ids_raw else None
    statuses_raw = params.get("Status", "Available") or "Available"
    statuses = {s.strip() for s in statuses_raw.split(",")}
    if "ALL" in statuses and len(statuses) > 1:
        raise invalid("Status", "ALL cannot be combined with other values")
    paged = paging.by_number(params)
    uid = call.caller.account_uid
    settle(call.context)  # a share association that settled to Associated makes the image visible
    via_shares = shared_with(call.cloud, uid, "Image", region)
    found = []
    for image in call.cloud.images.values():
        if image.region != region:
            continue
        if image.owner == uid:
            kind = "self"
        elif uid in image.shared_with or image.id in via_shares:
            kind = "others"
        else:
            continue
        if alias is not None and alias != kind:
            continue
        if ids is not None and image.id not in ids:
            continue
        if "ALL" not in statuses and image.status not in statuses:
            continue
        found.append(image)
    return {
        "Images": {"Image": [_image_body(call, i) for i in paged.take(found)]},
        **paged.fields(len(found)),
        "RegionId": region,
    }


# ---- snapshots --------------------------------------------------------------------------------


def _snapshot_ids(raw: str | None) -> set[str] | None:
    if raw is None:
        return None
    malformed = forbidden("InvalidSnapshotIds.Malformed", "The specified parameter SnapshotIds is not valid.")
    try:
        ids = json.loads(raw)
    except ValueError:
        raise malformed from None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(ids) > 100:
        raise malformed
    return set(ids) if ids else None


def _snapshot_body(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "SnapshotId": snapshot.id,
        "SnapshotName": snapshot.name,
        "Encrypted": snapshot.encrypted,
        # For a service-key snapshot the key id is returned; whether ECS returns it or "" is
        # UNCONFIRMED (alibaba-apis.md §10.6).
        "KMSKeyId": snapshot.kms_key_id,
        "Status": snapshot.status,
        "Usage": snapshot.usage,
        "SourceDiskSize": str(snapshot.size_gb),  # a string in the SDK model
        "SourceDiskType": "system",
        "SnapshotType": "user",
        "Category": "standard",
        "Progress": "100%" if snapshot.status == "accomplished" else "0%",
        "Available": snapshot.status == "accomplished",
        "CreationTime": snapshot.created,
        "RegionId": snapshot.region,
        "Tags": {"Tag": []},
    }


@operation(VERSION, "DescribeSnapshots", write=False)
def describe_snapshots(call: Call) -> dict[str, Any]:
    region = _region(call)
    params = call.params
    ids = _snapshot_ids(params.get("SnapshotIds"))
    # "Whether to filter encrypted snapshots, default false": true keeps only encrypted ones,
    # false (or absent) does not filter.
    encrypted_only = params.bool("Encrypted")
    key_id = params.get("KMSKeyId")
    usage = params.get("Usage")
    if usage is not None and usage not in SNAPSHOT_USAGES:
        raise invalid("Usage", f"{usage!r} is not one of {', '.join(SNAPSHOT_USAGES)}")
    status = params.get("Status", "all") or "all"
    if status not in SNAPSHOT_STATUSES:
        raise invalid("Status", f"{status!r} is not one of {', '.join(SNAPSHOT_STATUSES)}")
    uid = call.caller.account_uid
    found = [
        s
        for s in call.cloud.snapshots.values()
        if s.owner == uid
        and s.region == region
        and (ids is None or s.id in ids)
        and (not encrypted_only or s.encrypted)
        and (key_id is None or s.kms_key_id == key_id)
        and (usage is None or s.usage == usage)
        and (status == "all" or s.status == status)
    ]
    body: dict[str, Any] = {"TotalCount": len(found)}
    if params.get("PageNumber") is not None or params.get("PageSize") is not None:
        # Deprecated page-number paging, still accepted.
        numbered = paging.by_number(params)
        page = numbered.take(found)
        body.update(PageNumber=numbered.number, PageSize=numbered.size)
    else:
        tokened = paging.by_token(params, tag="snap:", errors=_SNAPSHOT_TOKEN_ERRORS, default_size=10).take(found)
        page = tokened.items
        body["NextToken"] = tokened.next_token
    body["Snapshots"] = {"Snapshot": [_snapshot_body(s) for s in page]}
    return body


_SNAPSHOT_TOKEN_ERRORS = paging.TokenErrors(
    malformed=lambda: invalid("NextToken", "the token is not one this API returned"),
    out_of_range=lambda: invalid("NextToken", "the token is out of range"),
)


# ---- image share permissions ------------------------------------------------------------------


@operation(VERSION, "DescribeImageSharePermission", write=False)
def describe_image_share_permission(call: Call) -> dict[str, Any]:
    region = _region(call)
    image = _own_image(call, region)
    paged = paging.by_number(call.params)
    accounts = list(image.shared_with.items())
    return {
        "RegionId": region,
        "ImageId": image.id,
        **paged.fields(len(accounts)),
        "Accounts": {"Account": [{"AliyunId": uid, "SharedTime": t} for uid, t in paged.take(accounts)]},
        "ShareGroups": {"ShareGroup": []},
    }


@operation(VERSION, "ModifyImageSharePermission", write=True)
def modify_image_share_permission(call: Call) -> dict[str, Any]:
    region = _region(call)
    image = _own_image(call, region)
    owner = call.caller.account_uid
    # The SDK docstring: beyond 10 accounts per call, "the system processes only the first 10
    # and ignores the rest" — so extras are dropped silently, not rejected.
    add = list(dict.fromkeys(call.params.list("AddAccount")))[:MAX_ACCOUNTS_PER_CALL]
    remove = list(dict.fromkeys(call.params.list("RemoveAccount")))[:MAX_ACCOUNTS_PER_CALL]
    if call.params.get("IsPublic") is not None or call.params.get("LaunchPermission") is not None:
        # Community images and LaunchPermission are not emulated; refuse rather than ignore.
        raise bad_request("InvalidParameter", "IsPublic and LaunchPermission are not supported by this emulator.")
    for uid in add:
        if uid == owner:
            raise not_found("InvalidAccount.Forbbiden", "The image cannot be shared with its own account.")
    for uid in add + remove:
        if uid not in call.cloud.accounts:
            raise not_found("InvalidAccount.NotFound", f"The specified account {uid} does not exist.")
    result = {u: t for u, t in image.shared_with.items() if u not in remove}
    now = now_iso()
    for uid in add:
        result.setdefault(uid, now)
    if len(result) > MAX_SHAREES_PER_IMAGE:
        raise forbidden(
            "QuotaExceed.ShareImageUser",
            f"The image would be shared with more than {MAX_SHAREES_PER_IMAGE} accounts.",
        )
    if add:
        refused = refusal(call.cloud, image)
        if refused is not None:
            raise refused
        encryption = encryption_of(call.cloud, image)
        if encryption == "service":
            raise forbidden(
                "InvalidOperation.ServiceKeyEncryptedImageUnsupported",
                "Images encrypted with a service key cannot be shared. Copy the image with a "
                "customer master key (CMK) and share the copy.",
            )
        if encryption == "cmk":
            denial = share_role_denial(call.cloud, owner, IMAGE_ROLE, add)
            if denial is not None:
                raise forbidden("AssumeRoleError", denial)
    if call.params.bool("DryRun"):
        raise bad_request("DryRunOperation", "Request validation has been passed with DryRun flag set.")
    image.shared_with = result  # applied only after every check passed: nothing half-applied
    return {}
