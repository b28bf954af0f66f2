"""ECS 2014-05-26 through the official SDK: images, snapshots and image share permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_resourcesharing20200110 import models as rs_models
from alibabacloud_resourcesharing20200110.client import Client as RsClient

from localcloud import LocalCloud
from localcloud.state import IMAGE_ROLE
from tests.localcloud.conftest import CMK, HZ, MEMBER, OUTSIDER, RD, SH, SHAREE, SHARER, base_seed, config, fails

# Accounts that exist only to be shared with (no access keys needed).
EXTRA = [f"50000000000000{n:02d}" for n in range(1, 61)]
QUOTA_IMAGE = "m-quota0001"


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "1", "Statement": list(statements)}


def allow_service(principal: str | list[str], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": principal}}
    if condition:
        statement["Condition"] = condition
    return statement


def make_seed(share_check: str = "role-exists", role_trust: dict[str, Any] | None = None) -> dict[str, Any]:
    s = base_seed()
    s["settings"]["share_check"] = share_check
    s["accounts"] += [{"uid": uid, "name": f"extra{i}"} for i, uid in enumerate(EXTRA)]
    sharer = s["accounts"][0]
    sharer["images"].append(
        {
            "id": QUOTA_IMAGE,
            "region": HZ,
            "name": "quota",
            "disks": [{"snapshot_id": "s-plain001"}],
            "shared_with": EXTRA[:45],
        }
    )
    if role_trust is not None:
        sharer["roles"] = [{"name": IMAGE_ROLE, "trust_policy": role_trust}]
    return s


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> dict[str, Any]:
    """`@pytest.mark.parametrize("seed", [...], indirect=True)` passes make_seed's keyword arguments."""
    return make_seed(**getattr(request, "param", {}))


def ecs(lc: LocalCloud, uid: str = SHARER, *, v1: bool = False) -> EcsClient:
    return EcsClient(config(lc, uid, v1=v1))


def images(client: EcsClient, region: str = HZ, **kw: Any) -> ecs_models.DescribeImagesResponseBody:
    return client.describe_images(ecs_models.DescribeImagesRequest(region_id=region, **kw)).body


def snapshots(client: EcsClient, region: str = HZ, **kw: Any) -> ecs_models.DescribeSnapshotsResponseBody:
    return client.describe_snapshots(ecs_models.DescribeSnapshotsRequest(region_id=region, **kw)).body


def share(
    client: EcsClient, image_id: str, add: list[str] | None = None, remove: list[str] | None = None, **kw: Any
) -> None:
    client.modify_image_share_permission(
        ecs_models.ModifyImageSharePermissionRequest(
            region_id=HZ, image_id=image_id, add_account=add, remove_account=remove, **kw
        )
    )


def sharees(client: EcsClient, image_id: str, **kw: Any) -> ecs_models.DescribeImageSharePermissionResponseBody:
    return client.describe_image_share_permission(
        ecs_models.DescribeImageSharePermissionRequest(region_id=HZ, image_id=image_id, **kw)
    ).body


def shared_ids(lc: LocalCloud, image_id: str) -> set[str]:
    return set(lc.cloud.images[image_id].shared_with)


# ---- DescribeImages ---------------------------------------------------------------------------


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_describe_images_shows_own_images_with_disk_mappings(lc: LocalCloud, v1: bool) -> None:
    body = images(ecs(lc, v1=v1), image_owner_alias="self", page_size=100)
    assert (body.total_count, body.page_number, body.page_size, body.region_id) == (5, 1, 100, HZ)
    by_id = {i.image_id: i for i in body.images.image}
    two = by_id["m-twokeys1"]
    assert (two.image_name, two.image_owner_alias, two.image_owner_id, two.status) == (
        "two-keys",
        "self",
        int(SHARER),
        "Available",
    )
    assert two.is_self_shared == "False"
    assert by_id[QUOTA_IMAGE].is_self_shared == "True"
    assert two.size == 40 and two.creation_time
    mappings = two.disk_device_mappings.disk_device_mapping
    assert [(m.snapshot_id, m.type, m.size, m.encrypted) for m in mappings] == [
        ("s-cmk0001", "system", "40", True),
        ("s-cmk0002", "data", "40", True),
    ]
    assert mappings[0].device
    plain = by_id["m-plain001"].disk_device_mappings.disk_device_mapping[0]
    assert plain.encrypted is False


def test_describe_images_filters_and_pages(lc: LocalCloud) -> None:
    client = ecs(lc)
    first = images(client, page_size=2)
    second = images(client, page_size=2, page_number=3)
    assert first.total_count == 5 and len(first.images.image) == 2 and len(second.images.image) == 1
    # Several comma-separated ids (unconfirmed in the docs, accepted by the emulator).
    both = images(client, image_id="m-cmk0001,m-plain001")
    assert sorted(i.image_id for i in both.images.image) == ["m-cmk0001", "m-plain001"]
    assert images(client, status="Deprecated").total_count == 0
    assert images(client, status="ALL").total_count == 5
    assert images(client, image_owner_alias="others").total_count == 0
    assert images(client, region=SH).total_count == 0


def test_describe_images_errors(lc: LocalCloud) -> None:
    client = ecs(lc)
    fails("MissingParameter", 400, lambda: client.describe_images(ecs_models.DescribeImagesRequest()))
    fails("InvalidParameter.ImageOwnerAlias", 400, lambda: images(client, image_owner_alias="everyone"))
    fails("InvalidParameter.PageSize", 400, lambda: images(client, page_size=101))
    fails("InvalidParameter.PageNumber", 400, lambda: images(client, page_number=0))
    fails("InvalidRegionId.NotFound", 400, lambda: images(client, region="eu-nowhere-1"))


def test_sharee_sees_images_shared_either_way_as_others(lc: LocalCloud) -> None:
    share(ecs(lc), "m-plain001", add=[SHAREE])
    cfg = config(lc, SHARER)
    cfg.endpoint, cfg.http_proxy = f"resourcesharing.{HZ}.aliyuncs.com", lc.url
    RsClient(cfg).create_resource_share(
        rs_models.CreateResourceShareRequest(
            resource_share_name="to-rd",
            targets=[RD],
            resources=[rs_models.CreateResourceShareRequestResources(resource_id="m-cmk0001", resource_type="Image")],
        )
    )
    # No share role: the CMK image's RD target association settles to Failed, so it stays unseen.
    sharee = ecs(lc, SHAREE, v1=True)
    seen = images(sharee, image_owner_alias="others")
    assert [(i.image_id, i.image_owner_alias, i.image_owner_id) for i in seen.images.image] == [
        ("m-plain001", "others", int(SHARER))
    ]
    assert images(sharee, image_owner_alias="self").total_count == 0
    assert images(ecs(lc, OUTSIDER)).total_count == 0


@pytest.mark.parametrize("seed", [{"role_trust": trust(allow_service("*@ecs.aliyuncs.com"))}], indirect=True)
def test_sharee_sees_image_shared_through_an_associated_resource_share(lc: LocalCloud) -> None:
    cfg = config(lc, SHARER, v1=True)
    cfg.endpoint, cfg.http_proxy = f"resourcesharing.{HZ}.aliyuncs.com", lc.url
    RsClient(cfg).create_resource_share(
        rs_models.CreateResourceShareRequest(
            resource_share_name="to-rd",
            targets=[RD],
            resources=[rs_models.CreateResourceShareRequestResources(resource_id="m-cmk0001", resource_type="Image")],
        )
    )
    for uid in (SHAREE, MEMBER):
        seen = images(ecs(lc, uid), image_owner_alias="others")
        assert [i.image_id for i in seen.images.image] == ["m-cmk0001"]
    assert images(ecs(lc, OUTSIDER), image_owner_alias="others").total_count == 0


# ---- DescribeSnapshots ------------------------------------------------------------------------


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_describe_snapshots_fields(lc: LocalCloud, v1: bool) -> None:
    body = snapshots(ecs(lc, v1=v1), snapshot_ids=json.dumps(["s-cmk0001", "s-plain001", "s-svc0001"]))
    assert body.total_count == 3
    by_id = {s.snapshot_id: s for s in body.snapshots.snapshot}
    cmk = by_id["s-cmk0001"]
    assert (cmk.encrypted, cmk.kmskey_id, cmk.status, cmk.usage, cmk.source_disk_size, cmk.region_id) == (
        True,
        CMK,
        "accomplished",
        "image",
        "40",
        HZ,
    )
    assert cmk.creation_time and cmk.snapshot_name == ""
    assert (by_id["s-plain001"].encrypted, by_id["s-plain001"].kmskey_id) == (False, "")


def test_describe_snapshots_filters(lc: LocalCloud) -> None:
    client = ecs(lc)
    assert snapshots(client).total_count == 5

    def ids(**kw: Any) -> set[str]:
        return {s.snapshot_id for s in snapshots(client, **kw).snapshots.snapshot}

    assert ids(encrypted=True) == {"s-cmk0001", "s-cmk0002", "s-svc0001", "s-cmkdisk1"}
    assert ids(encrypted=False) == ids()  # false means "do not filter"
    assert ids(kmskey_id=CMK) == {"s-cmk0001", "s-cmkdisk1"}
    assert ids(usage="disk") == {"s-cmkdisk1"}
    assert ids(snapshot_ids="[]") == ids()
    assert snapshots(client, region=SH).total_count == 0
    # A caller sees only its own snapshots.
    assert snapshots(ecs(lc, SHAREE), snapshot_ids=json.dumps(["s-cmk0001"])).total_count == 0


def test_describe_snapshots_pages_by_token(lc: LocalCloud) -> None:
    client = ecs(lc)
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        body = snapshots(client, max_results=2, next_token=token)
        assert body.total_count == 5
        seen += [s.snapshot_id for s in body.snapshots.snapshot]
        pages += 1
        token = body.next_token or None
        if token is None:
            break
    assert pages == 3 and len(seen) == 5 and len(set(seen)) == 5


def test_describe_snapshots_errors(lc: LocalCloud) -> None:
    client = ecs(lc)
    fails("InvalidSnapshotIds.Malformed", 403, lambda: snapshots(client, snapshot_ids="s-cmk0001"))
    fails("InvalidSnapshotIds.Malformed", 403, lambda: snapshots(client, snapshot_ids='{"a": 1}'))
    too_many = json.dumps([f"s-{n}" for n in range(101)])
    fails("InvalidSnapshotIds.Malformed", 403, lambda: snapshots(client, snapshot_ids=too_many))
    assert snapshots(client, snapshot_ids=json.dumps([f"s-{n}" for n in range(100)])).total_count == 0
    fails("InvalidParameter.MaxResults", 400, lambda: snapshots(client, max_results=101))
    fails("InvalidParameter.MaxResults", 400, lambda: snapshots(client, max_results=0))
    fails("InvalidParameter.NextToken", 400, lambda: snapshots(client, next_token="garbage!"))
    fails("InvalidParameter.Usage", 400, lambda: snapshots(client, usage="everything"))
    fails("MissingParameter", 400, lambda: client.describe_snapshots(ecs_models.DescribeSnapshotsRequest()))


# ---- DescribeImageSharePermission / ModifyImageSharePermission ---------------------------------


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_share_and_unshare_a_plain_image(lc: LocalCloud, v1: bool) -> None:
    client = ecs(lc, v1=v1)
    share(client, "m-plain001", add=[SHAREE, MEMBER])
    body = sharees(client, "m-plain001")
    assert (body.image_id, body.region_id, body.total_count, body.page_number, body.page_size) == (
        "m-plain001",
        HZ,
        2,
        1,
        10,
    )
    assert {a.aliyun_id for a in body.accounts.account} == {SHAREE, MEMBER}
    assert all(a.shared_time.endswith("Z") for a in body.accounts.account)
    assert body.share_groups.share_group == []
    share(client, "m-plain001", remove=[SHAREE])
    assert [a.aliyun_id for a in sharees(client, "m-plain001").accounts.account] == [MEMBER]


def test_share_permission_pages(lc: LocalCloud) -> None:
    client = ecs(lc)
    first = sharees(client, QUOTA_IMAGE, page_size=20)
    last = sharees(client, QUOTA_IMAGE, page_size=20, page_number=3)
    assert first.total_count == 45 and len(first.accounts.account) == 20 and len(last.accounts.account) == 5
    fails("InvalidParameter.PageSize", 400, lambda: sharees(client, QUOTA_IMAGE, page_size=101))


def test_describe_share_permission_errors(lc: LocalCloud) -> None:
    fails("InvalidImageId.NotFound", 404, lambda: sharees(ecs(lc), "m-nothere"))
    # Only the owner may read an image's share list, even once it is shared with the caller.
    share(ecs(lc), "m-plain001", add=[SHAREE])
    fails("InvalidImageId.NotFound", 404, lambda: sharees(ecs(lc, SHAREE), "m-plain001"))
    fails(
        "MissingParameter",
        400,
        lambda: ecs(lc).describe_image_share_permission(ecs_models.DescribeImageSharePermissionRequest(region_id=HZ)),
    )


def test_more_than_ten_accounts_per_call_are_silently_ignored(lc: LocalCloud) -> None:
    # The 11th and 12th are never looked at: not even an unknown account makes the call fail.
    share(ecs(lc), "m-plain001", add=[*EXTRA[:10], EXTRA[10], "9999999999999999"])
    assert shared_ids(lc, "m-plain001") == set(EXTRA[:10])
    share(ecs(lc), "m-plain001", remove=[*EXTRA[:10], EXTRA[50]])
    assert shared_ids(lc, "m-plain001") == set()


def test_fifty_sharees_per_image(lc: LocalCloud) -> None:
    client = ecs(lc)
    fails("QuotaExceed.ShareImageUser", 403, lambda: share(client, QUOTA_IMAGE, add=EXTRA[45:51]))
    assert len(shared_ids(lc, QUOTA_IMAGE)) == 45
    # Removals in the same call make room.
    share(client, QUOTA_IMAGE, add=EXTRA[45:51], remove=[EXTRA[0]])
    assert len(shared_ids(lc, QUOTA_IMAGE)) == 50


def test_modify_share_permission_errors(lc: LocalCloud) -> None:
    client = ecs(lc)
    fails("InvalidAccount.Forbbiden", 404, lambda: share(client, "m-plain001", add=[SHARER]))
    fails("InvalidAccount.NotFound", 404, lambda: share(client, "m-plain001", add=["9999999999999999"]))
    fails("InvalidAccount.NotFound", 404, lambda: share(client, "m-plain001", remove=["9999999999999999"]))
    fails("InvalidImageId.NotFound", 404, lambda: share(client, "m-nothere", add=[SHAREE]))
    # Another account's image is "not found", even for the sharee it is shared with.
    share(client, "m-plain001", add=[SHAREE])
    fails("InvalidImageId.NotFound", 404, lambda: share(ecs(lc, SHAREE), "m-plain001", add=[MEMBER]))
    fails(
        "MissingParameter",
        400,
        lambda: client.modify_image_share_permission(
            ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, add_account=[SHAREE])
        ),
    )
    fails(
        "MissingParameter",
        400,
        lambda: client.modify_image_share_permission(
            ecs_models.ModifyImageSharePermissionRequest(image_id="m-plain001", add_account=[SHAREE])
        ),
    )
    fails("DryRunOperation", 400, lambda: share(client, "m-plain001", add=[MEMBER], dry_run=True))
    assert shared_ids(lc, "m-plain001") == {SHAREE}


def test_service_key_image_cannot_be_shared(lc: LocalCloud) -> None:
    fails(
        "InvalidOperation.ServiceKeyEncryptedImageUnsupported", 403, lambda: share(ecs(lc), "m-svc0001", add=[SHAREE])
    )
    assert shared_ids(lc, "m-svc0001") == set()


@pytest.mark.parametrize("seed", [{"role_trust": trust(allow_service(f"{SHAREE}@ecs.aliyuncs.com"))}], indirect=True)
def test_an_encrypted_image_with_two_snapshots_is_never_shared(lc: LocalCloud) -> None:
    # ModifyImageSharePermission's page: 403 OperationDeined.FullImage, whatever the role says.
    error = fails("OperationDeined.FullImage", 403, lambda: share(ecs(lc), "m-twokeys1", add=[SHAREE]))
    assert "contains multiple snapshots" in str(error.message)
    assert shared_ids(lc, "m-twokeys1") == set()


@pytest.mark.parametrize("seed", [{"role_trust": trust(allow_service(f"{SHAREE}@ecs.aliyuncs.com"))}], indirect=True)
def test_an_image_whose_key_is_disabled_is_never_shared(lc: LocalCloud) -> None:
    lc.cloud.keys[CMK].state = "Disabled"
    fails("InvalidParameter.KMSKeyId.CMKNotEnabled", 403, lambda: share(ecs(lc), "m-cmk0001", add=[SHAREE]))
    assert shared_ids(lc, "m-cmk0001") == set()
    lc.cloud.keys[CMK].state = "Enabled"
    share(ecs(lc), "m-cmk0001", add=[SHAREE])
    assert shared_ids(lc, "m-cmk0001") == {SHAREE}


def test_cmk_image_needs_the_share_role_and_fails_atomically(lc: LocalCloud) -> None:
    client = ecs(lc)
    lc.cloud.images["m-cmk0001"].shared_with = {MEMBER: "2025-01-01T00:00:00Z"}
    error = fails("AssumeRoleError", 403, lambda: share(client, "m-cmk0001", add=[SHAREE], remove=[MEMBER]))
    assert "Requires a RAM role of AliyunECSShareEncryptImageDefaultRole before sharing encrypted image." in str(
        error.message
    )
    assert shared_ids(lc, "m-cmk0001") == {MEMBER}  # the removal was not applied either
    # Removing only never needs the role.
    share(client, "m-cmk0001", remove=[MEMBER])
    assert shared_ids(lc, "m-cmk0001") == set()


@pytest.mark.parametrize("seed", [{"role_trust": trust(allow_service(f"{SHAREE}@ecs.aliyuncs.com"))}], indirect=True)
def test_role_exists_mode_needs_only_the_role(lc: LocalCloud) -> None:
    share(ecs(lc), "m-cmk0001", add=[SHAREE, OUTSIDER])  # the trust policy is not consulted
    assert shared_ids(lc, "m-cmk0001") == {SHAREE, OUTSIDER}


@pytest.mark.parametrize(
    "seed",
    [
        {
            "share_check": "role-trusts",
            "role_trust": trust(
                allow_service([f"{SHAREE}@ecs.aliyuncs.com"]),
                allow_service(
                    "*@ecs.aliyuncs.com", {"StringLike": {"sts:ServiceOwnerRDPath": f"{RD}/r-Cd5678/fd-Prod0001*"}}
                ),
            ),
        }
    ],
    indirect=True,
)
def test_role_trusts_mode_needs_trust_of_every_added_sharee(lc: LocalCloud) -> None:
    client = ecs(lc, v1=True)
    share(client, "m-cmk0001", add=[SHAREE])
    share(client, "m-cmk0001", add=[MEMBER])  # trusted through its folder path (scenario 3)
    assert shared_ids(lc, "m-cmk0001") == {SHAREE, MEMBER}
    error = fails("AssumeRoleError", 403, lambda: share(client, "m-cmk0001", add=[SHAREE, OUTSIDER]))
    assert IMAGE_ROLE in str(error.message)
    assert shared_ids(lc, "m-cmk0001") == {SHAREE, MEMBER}  # OUTSIDER is not trusted: nothing added
    share(client, "m-plain001", add=[OUTSIDER])  # a plain image needs no role at all


@pytest.mark.parametrize("seed", [{"share_check": "role-trusts"}], indirect=True)
def test_role_trusts_mode_without_the_role(lc: LocalCloud) -> None:
    fails("AssumeRoleError", 403, lambda: share(ecs(lc), "m-cmk0001", add=[SHAREE]))
