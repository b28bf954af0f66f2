"""Resource Sharing 2020-01-10 through the official SDK: shares of images and snapshots, targets,
association settling (including the encrypted-resource rules), listing and paging."""

from __future__ import annotations

from typing import Any

import pytest
from alibabacloud_resourcesharing20200110 import models as rs_models
from alibabacloud_resourcesharing20200110.client import Client as RsClient

from localcloud import LocalCloud
from localcloud.rules.sharing import settle
from localcloud.seed import cloud_from_dict, dump_cloud
from localcloud.state import IMAGE_ROLE, SNAPSHOT_ROLE
from tests.localcloud.conftest import (
    FOLDER,
    HZ,
    MEMBER,
    OUTSIDER,
    RD,
    ROOT,
    SH,
    SHAREE,
    SHARER,
    SUBFOLDER,
    base_seed,
    config,
    fails,
)

Res = rs_models.CreateResourceShareRequestResources
AssocRes = rs_models.AssociateResourceShareRequestResources
DisRes = rs_models.DisassociateResourceShareRequestResources


def statement(principal: str | list[str], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": principal}}
    if condition:
        out["Condition"] = condition
    return out


def make_seed(
    share_check: str = "role-exists",
    roles: dict[str, list[dict[str, Any]]] | None = None,
    shares: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    s = base_seed()
    s["settings"]["share_check"] = share_check
    sharer = s["accounts"][0]
    sharer["roles"] = [
        {"name": name, "trust_policy": {"Version": "1", "Statement": stmts}} for name, stmts in (roles or {}).items()
    ]
    sharer["resource_shares"] = shares or []
    return s


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> dict[str, Any]:
    """`@pytest.mark.parametrize("seed", [...], indirect=True)` passes make_seed's keyword arguments."""
    return make_seed(**getattr(request, "param", {}))


def rs(lc: LocalCloud, uid: str = SHARER, region: str = HZ, *, v1: bool = False) -> RsClient:
    """The real regional endpoint proxied to the local cloud: Resource Sharing sends no RegionId."""
    cfg = config(lc, uid, v1=v1, region=region)
    cfg.endpoint = f"resourcesharing.{region}.aliyuncs.com"
    cfg.http_proxy = lc.url
    return RsClient(cfg)


def create(
    client: RsClient,
    name: str = "share",
    resources: list[tuple[str, str]] | None = None,
    targets: list[str] | None = None,
    **kw: Any,
) -> rs_models.CreateResourceShareResponseBodyResourceShare:
    request = rs_models.CreateResourceShareRequest(
        resource_share_name=name,
        targets=targets,
        resources=[Res(resource_id=rid, resource_type=kind) for kind, rid in resources or []] or None,
        **kw,
    )
    return client.create_resource_share(request).body.resource_share


def associations(client: RsClient, kind: str = "Target", **kw: Any) -> list[Any]:
    body = client.list_resource_share_associations(
        rs_models.ListResourceShareAssociationsRequest(association_type=kind, **kw)
    ).body
    return list(body.resource_share_associations)


def status_of(client: RsClient, share_id: str, kind: str = "Target") -> dict[str, tuple[str, str]]:
    return {
        a.entity_id: (a.association_status, a.association_status_message)
        for a in associations(client, kind, resource_share_ids=[share_id])
    }


def shares(client: RsClient, owner: str = "Self", **kw: Any) -> rs_models.ListResourceSharesResponseBody:
    return client.list_resource_shares(rs_models.ListResourceSharesRequest(resource_owner=owner, **kw)).body


# ---- create, associate, settle ----------------------------------------------------------------


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_create_share_and_associations_settle(lc: LocalCloud, v1: bool) -> None:
    client = rs(lc, v1=v1)
    share = create(client, "plain-share", [("Image", "m-plain001"), ("Snapshot", "s-plain001")], [SHAREE])
    assert share.resource_share_id.startswith("rs-")
    assert (share.resource_share_name, share.resource_share_owner, share.resource_share_status) == (
        "plain-share",
        SHARER,
        "Active",
    )
    assert share.allow_external_targets is False and share.create_time and share.update_time
    # Nothing has read the share yet: the associations are still pending.
    pending = lc.cloud.resource_shares[share.resource_share_id].associations
    assert {a.status for a in pending} == {"Associating"}
    settle(lc.context)
    assert {a.status for a in pending} == {"Associated"}
    rows = associations(client, "Resource", resource_share_ids=[share.resource_share_id])
    assert sorted((r.entity_id, r.entity_type, r.association_status) for r in rows) == [
        ("m-plain001", "Image", "Associated"),
        ("s-plain001", "Snapshot", "Associated"),
    ]
    (target,) = associations(client, resource_share_ids=[share.resource_share_id])
    assert (target.entity_id, target.entity_type, target.association_type, target.external) == (
        SHAREE,
        "Account",
        "Target",
        False,
    )
    assert target.resource_share_name == "plain-share" and target.association_failed_details == []


def test_associate_answers_associating_then_settles_on_read(lc: LocalCloud) -> None:
    client = rs(lc)
    share_id = create(client, "s1").resource_share_id
    body = client.associate_resource_share(
        rs_models.AssociateResourceShareRequest(
            resource_share_id=share_id,
            targets=[FOLDER, RD, MEMBER],
            resources=[AssocRes(resource_id="m-plain001", resource_type="Image")],
        )
    ).body
    rows = {a.entity_id: a for a in body.resource_share_associations}
    assert {k: (a.association_status, a.association_type, a.entity_type) for k, a in rows.items()} == {
        "m-plain001": ("Associating", "Resource", "Image"),
        FOLDER: ("Associating", "Target", "Folder"),
        RD: ("Associating", "Target", "ResourceDirectory"),
        MEMBER: ("Associating", "Target", "Account"),
    }
    assert all(a.resource_share_id == share_id and a.create_time for a in rows.values())
    assert status_of(client, share_id) == {t: ("Associated", "") for t in (FOLDER, RD, MEMBER)}
    # Associating an entity that is already associated changes nothing.
    again = client.associate_resource_share(
        rs_models.AssociateResourceShareRequest(resource_share_id=share_id, targets=[MEMBER])
    ).body.resource_share_associations
    assert [(a.entity_id, a.association_status) for a in again] == [(MEMBER, "Associated")]


def test_external_targets_need_allow_external(lc: LocalCloud) -> None:
    client = rs(lc)
    fails("AccountNotInResourceDirectory", 409, lambda: create(client, targets=[OUTSIDER]))
    share_id = create(client, "ext", targets=[OUTSIDER, SHAREE], allow_external_targets=True).resource_share_id
    flags = {a.entity_id: a.external for a in associations(client, resource_share_ids=[share_id])}
    assert flags == {OUTSIDER: True, SHAREE: False}
    assert shares(client, resource_share_ids=[share_id]).resource_shares[0].allow_external_targets is True


def test_create_validation_errors(lc: LocalCloud) -> None:
    client = rs(lc)
    fails(
        "MissingParameter.ResourceShareName",
        400,
        lambda: client.create_resource_share(rs_models.CreateResourceShareRequest()),
    )
    fails("InvalidParameter.ResourceShareName.Length", 400, lambda: create(client, "x" * 51))
    create(client, "x" * 50)
    fails("InvalidParameter.ResourceShareName", 400, lambda: create(client, "bad name!"))
    six = [("Snapshot", s) for s in ("s-cmk0001", "s-cmk0002", "s-plain001", "s-svc0001", "s-cmkdisk1")]
    fails("InvalidParameter.Resources.Length", 400, lambda: create(client, resources=[*six, ("Image", "m-plain001")]))
    fails(
        "InvalidParameter.Targets.Length",
        400,
        lambda: create(client, targets=[SHAREE, MEMBER, OUTSIDER, RD, FOLDER, SUBFOLDER]),
    )
    fails(
        "InvalidParameter.Resources.Duplicate",
        400,
        lambda: create(client, resources=[("Image", "m-plain001"), ("Image", "m-plain001")]),
    )
    fails("InvalidParameter.Targets.Duplicate", 400, lambda: create(client, targets=[SHAREE, SHAREE]))
    fails("InvalidParameter.ResourceType", 400, lambda: create(client, resources=[("VSwitch", "vsw-1")]))
    fails("InvalidParameter.Resources", 400, lambda: create(client, resources=[("Image", "m-nothere")]))
    fails("InvalidParameter.Resources", 400, lambda: create(client, resources=[("Snapshot", "m-plain001")]))
    # The sharer's image is not the sharee's to share, nor is it in Shanghai.
    fails("InvalidParameter.Resources", 400, lambda: create(rs(lc, SHAREE), resources=[("Image", "m-plain001")]))
    fails("InvalidParameter.Resources", 400, lambda: create(rs(lc, region=SH), resources=[("Image", "m-plain001")]))
    fails("InvalidTarget", 400, lambda: create(client, targets=["9999999999999999"], allow_external_targets=True))
    fails("InvalidTarget", 400, lambda: create(client, targets=["fd-Nothere01"]))
    fails("InvalidTarget", 400, lambda: create(client, targets=["rd-Other99"]))
    fails("InvalidParameter.Targets", 400, lambda: create(client, targets=["not-an-id"]))
    fails("ShareWithYourself", 409, lambda: create(client, targets=[SHARER]))
    # An account outside any resource directory cannot target one.
    fails("AccountNotInResourceDirectory", 409, lambda: create(rs(lc, OUTSIDER), targets=[RD]))
    fails("EntityNotExists.Permission", 404, lambda: create(client, targets=[SHAREE], permission_names=["Nope"]))
    fails(
        "InvalidParameter.Resources",
        400,
        lambda: client.create_resource_share(
            rs_models.CreateResourceShareRequest(resource_share_name="half", resources=[Res(resource_id="m-plain001")])
        ),
    )
    # Nothing half-created: only the one valid share above exists.
    assert [s.resource_share_name for s in shares(client).resource_shares] == ["x" * 50]


@pytest.mark.parametrize("seed", [{}], indirect=True)
def test_items_per_call_follows_the_setting(lc: LocalCloud) -> None:
    lc.cloud.settings.resource_sharing_items_per_call = 2
    fails("InvalidParameter.Targets.Length", 400, lambda: create(rs(lc), targets=[SHAREE, MEMBER, RD]))
    create(rs(lc), targets=[SHAREE, MEMBER])


def test_associate_errors(lc: LocalCloud) -> None:
    client = rs(lc)
    share_id = create(client).resource_share_id
    fails(
        "ResourceAndTargetBothEmpty",
        400,
        lambda: client.associate_resource_share(rs_models.AssociateResourceShareRequest(resource_share_id=share_id)),
    )
    fails(
        "MissingParameter.ResourceShareId",
        400,
        lambda: client.associate_resource_share(rs_models.AssociateResourceShareRequest(targets=[SHAREE])),
    )
    fails(
        "EntityNotExists.ResourceShare",
        404,
        lambda: client.associate_resource_share(
            rs_models.AssociateResourceShareRequest(resource_share_id="rs-nothere", targets=[SHAREE])
        ),
    )
    # Another account's share does not exist for the caller.
    fails(
        "EntityNotExists.ResourceShare",
        404,
        lambda: rs(lc, SHAREE).associate_resource_share(
            rs_models.AssociateResourceShareRequest(resource_share_id=share_id, targets=[MEMBER])
        ),
    )
    fails(
        "ShareWithYourself",
        409,
        lambda: client.associate_resource_share(
            rs_models.AssociateResourceShareRequest(resource_share_id=share_id, targets=[MEMBER, SHARER])
        ),
    )
    assert status_of(client, share_id) == {}  # atomic: MEMBER was not added either


def test_disassociate_and_delete(lc: LocalCloud) -> None:
    client = rs(lc, v1=True)
    share_id = create(client, "d", [("Image", "m-plain001")], [SHAREE, MEMBER]).resource_share_id
    settle(lc.context)
    body = client.disassociate_resource_share(
        rs_models.DisassociateResourceShareRequest(resource_share_id=share_id, targets=[SHAREE])
    ).body
    assert [(a.entity_id, a.association_status) for a in body.resource_share_associations] == [
        (SHAREE, "Disassociating")
    ]
    assert status_of(client, share_id)[SHAREE] == ("Disassociated", "")
    fails(
        "DisassociateInvalid",
        400,
        lambda: client.disassociate_resource_share(
            rs_models.DisassociateResourceShareRequest(resource_share_id=share_id, targets=[SHAREE])
        ),
    )
    fails(
        "DisassociateInvalid",
        400,
        lambda: client.disassociate_resource_share(
            rs_models.DisassociateResourceShareRequest(
                resource_share_id=share_id, resources=[DisRes(resource_id="m-cmk0001", resource_type="Image")]
            )
        ),
    )
    fails(
        "ResourceAndTargetBothEmpty",
        400,
        lambda: client.disassociate_resource_share(
            rs_models.DisassociateResourceShareRequest(resource_share_id=share_id)
        ),
    )
    client.disassociate_resource_share(
        rs_models.DisassociateResourceShareRequest(
            resource_share_id=share_id, resources=[DisRes(resource_id="m-plain001", resource_type="Image")]
        )
    )
    assert status_of(client, share_id, "Resource") == {"m-plain001": ("Disassociated", "")}
    # A disassociated target can be associated again.
    client.associate_resource_share(
        rs_models.AssociateResourceShareRequest(resource_share_id=share_id, targets=[SHAREE])
    )
    assert status_of(client, share_id)[SHAREE] == ("Associated", "")

    client.delete_resource_share(rs_models.DeleteResourceShareRequest(resource_share_id=share_id))
    (deleted,) = shares(client, resource_share_ids=[share_id]).resource_shares
    assert deleted.resource_share_status == "Deleted"
    assert {s for s, _ in status_of(client, share_id).values()} == {"Disassociated"}
    fails(
        "ResourceShareStatusMismatchAction",
        409,
        lambda: client.delete_resource_share(rs_models.DeleteResourceShareRequest(resource_share_id=share_id)),
    )
    fails(
        "ResourceShareStatusMismatchAction",
        409,
        lambda: client.associate_resource_share(
            rs_models.AssociateResourceShareRequest(resource_share_id=share_id, targets=[SHAREE])
        ),
    )
    fails(
        "EntityNotExists.ResourceShare",
        404,
        lambda: client.delete_resource_share(rs_models.DeleteResourceShareRequest(resource_share_id="rs-nothere")),
    )
    fails(
        "MissingParameter.ResourceShareId",
        400,
        lambda: client.delete_resource_share(rs_models.DeleteResourceShareRequest()),
    )


def test_a_principal_can_leave_a_share(lc: LocalCloud) -> None:
    share_id = create(rs(lc), "leave", targets=[OUTSIDER], allow_external_targets=True).resource_share_id
    outsider = rs(lc, OUTSIDER)
    fails(
        "OperationNotPermitted",
        409,
        lambda: outsider.disassociate_resource_share(
            rs_models.DisassociateResourceShareRequest(
                resource_share_id=share_id, targets=[SHAREE], resource_owner="OtherAccounts"
            )
        ),
    )
    outsider.disassociate_resource_share(
        rs_models.DisassociateResourceShareRequest(
            resource_share_id=share_id, targets=[OUTSIDER], resource_owner="OtherAccounts"
        )
    )
    assert status_of(rs(lc), share_id)[OUTSIDER][0] == "Disassociated"
    fails(
        "InvalidParameter.ResourceOwner",
        400,
        lambda: outsider.disassociate_resource_share(
            rs_models.DisassociateResourceShareRequest(
                resource_share_id=share_id, targets=[OUTSIDER], resource_owner="Everyone"
            )
        ),
    )


# ---- listing ----------------------------------------------------------------------------------


def test_list_resource_shares_self_and_other_accounts(lc: LocalCloud) -> None:
    client = rs(lc)
    direct = create(client, "direct", [("Image", "m-plain001")], [SHAREE]).resource_share_id
    folder = create(client, "folder", [("Image", "m-plain001")], [FOLDER]).resource_share_id
    whole = create(client, "whole", [("Image", "m-plain001")], [RD]).resource_share_id
    assert [s.resource_share_id for s in shares(client).resource_shares] == [direct, folder, whole]
    mine = shares(client, resource_share_name="folder").resource_shares
    assert [(s.resource_share_id, s.resource_share_owner) for s in mine] == [(folder, SHARER)]

    def others(uid: str) -> set[str]:
        return {s.resource_share_id for s in shares(rs(lc, uid), "OtherAccounts").resource_shares}

    assert others(SHAREE) == {direct, whole}  # SHAREE sits in the root folder, outside FOLDER
    assert others(MEMBER) == {folder, whole}  # MEMBER is in a subfolder of FOLDER
    assert others(OUTSIDER) == set()
    assert others(SHARER) == set()
    assert shares(rs(lc, SHAREE)).resource_shares == []
    assert shares(rs(lc, region=SH)).resource_shares == []


def test_list_resource_shares_pages_and_errors(lc: LocalCloud) -> None:
    client = rs(lc)
    made = [create(client, f"p{n}").resource_share_id for n in range(5)]
    seen: list[str] = []
    token: str | None = None
    while True:
        body = shares(client, max_results=2, next_token=token)
        seen += [s.resource_share_id for s in body.resource_shares]
        token = body.next_token
        if not token:
            break
    assert seen == made
    assert shares(client).next_token is None
    fails(
        "MissingParameter.ResourceOwner",
        400,
        lambda: client.list_resource_shares(rs_models.ListResourceSharesRequest()),
    )
    fails("InvalidParameter.ResourceOwner", 400, lambda: shares(client, "Me"))
    fails("InvalidParameter.MaxResults", 400, lambda: shares(client, max_results=101))
    fails("InvalidParameter.MaxResults", 400, lambda: shares(client, max_results=0))
    fails("InvalidParameter.NextToken", 400, lambda: shares(client, next_token="%%%"))
    fails("InvalidParameter.ResourceShareIds.Length", 400, lambda: shares(client, resource_share_ids=[*made, "rs-x"]))
    fails("InvalidParameter.ResourceShareStatus", 400, lambda: shares(client, resource_share_status="Gone"))


def test_list_associations_filters_pages_and_errors(lc: LocalCloud) -> None:
    client = rs(lc)
    create(client, "many", [("Image", "m-plain001")], [SHAREE, MEMBER, RD, FOLDER, SUBFOLDER])
    first = client.list_resource_share_associations(
        rs_models.ListResourceShareAssociationsRequest(association_type="Target", max_results=3)
    ).body
    rest = client.list_resource_share_associations(
        rs_models.ListResourceShareAssociationsRequest(
            association_type="Target", max_results=3, next_token=first.next_token
        )
    ).body
    assert len(first.resource_share_associations) == 3 and first.next_token
    assert len(rest.resource_share_associations) == 2 and rest.next_token is None
    assert [a.entity_id for a in associations(client, target=MEMBER)] == [MEMBER]
    assert [a.entity_id for a in associations(client, "Resource", resource_id="m-plain001")] == ["m-plain001"]
    assert len(associations(client, association_status="Associated")) == 5
    assert associations(client, association_status="Failed") == []
    assert associations(rs(lc, SHAREE)) == []  # only the owner lists a share's associations
    fails(
        "MissingParameter.AssociationType",
        400,
        lambda: client.list_resource_share_associations(rs_models.ListResourceShareAssociationsRequest()),
    )
    fails("InvalidParameter.AssociationType", 400, lambda: associations(client, "Both"))
    fails("ConflictedAssociationType", 400, lambda: associations(client, "Target", resource_id="m-plain001"))
    fails("ConflictedAssociationType", 400, lambda: associations(client, "Resource", target=SHAREE))
    fails("InvalidParameter.AssociationStatus", 400, lambda: associations(client, association_status="Done"))
    fails("InvalidParameter.MaxResults", 400, lambda: associations(client, max_results=101))
    fails("InvalidParameter.NextToken", 400, lambda: associations(client, next_token="bm90LWEtbnVtYmVy"))


# ---- encrypted resources ----------------------------------------------------------------------


def test_cmk_image_without_the_share_role_fails_the_target(lc: LocalCloud) -> None:
    client = rs(lc)
    share_id = create(client, "cmk", [("Image", "m-cmk0001")], [SHAREE]).resource_share_id
    status, message = status_of(client, share_id)[SHAREE]
    assert status == "Failed"
    assert message.startswith("AssumeRoleError:") and IMAGE_ROLE in message
    (row,) = associations(client, resource_share_ids=[share_id])
    (detail,) = row.association_failed_details
    assert (detail.status, detail.failure_reason, detail.entity_id) == ("Failed", "UnsupportedOperation", SHAREE)
    assert detail.failure_description == message
    assert status_of(client, share_id, "Resource") == {"m-cmk0001": ("Associated", "")}
    assert shares(rs(lc, SHAREE), "OtherAccounts").resource_shares == []


def test_service_key_resources_fail(lc: LocalCloud) -> None:
    client = rs(lc)
    share_id = create(client, "svc", [("Image", "m-svc0001"), ("Snapshot", "s-svc0001")], [SHAREE]).resource_share_id
    resources = status_of(client, share_id, "Resource")
    assert {s for s, _ in resources.values()} == {"Failed"}
    assert all("service key" in m for _, m in resources.values())
    assert status_of(client, share_id) == {SHAREE: ("Associated", "")}


@pytest.mark.parametrize("seed", [{"roles": {IMAGE_ROLE: [statement("*@ecs.aliyuncs.com")]}}], indirect=True)
def test_snapshots_need_the_snapshot_role(lc: LocalCloud) -> None:
    client = rs(lc)
    image_share = create(client, "img", [("Image", "m-cmk0001")], [SHAREE]).resource_share_id
    snap_share = create(client, "snap", [("Snapshot", "s-cmk0001")], [SHAREE]).resource_share_id
    assert status_of(client, image_share)[SHAREE] == ("Associated", "")
    status, message = status_of(client, snap_share)[SHAREE]
    assert status == "Failed" and SNAPSHOT_ROLE in message


def test_a_resource_added_later_fails_against_existing_targets(lc: LocalCloud) -> None:
    client = rs(lc)
    share_id = create(client, "later", [("Image", "m-plain001")], [SHAREE]).resource_share_id
    assert status_of(client, share_id)[SHAREE][0] == "Associated"
    client.associate_resource_share(
        rs_models.AssociateResourceShareRequest(
            resource_share_id=share_id, resources=[AssocRes(resource_id="m-cmk0001", resource_type="Image")]
        )
    )
    status, message = status_of(client, share_id, "Resource")["m-cmk0001"]
    assert status == "Failed" and message.startswith("AssumeRoleError:")


RD_TRUST = statement("*@ecs.aliyuncs.com", {"StringEquals": {"sts:ServiceOwnerRDId": RD}})
FOLDER_TRUST = statement("*@ecs.aliyuncs.com", {"StringLike": {"sts:ServiceOwnerRDPath": f"{RD}/{ROOT}/{FOLDER}*"}})


@pytest.mark.parametrize(
    "seed",
    [{"share_check": "role-trusts", "roles": {IMAGE_ROLE: [statement([f"{SHAREE}@ecs.aliyuncs.com"]), FOLDER_TRUST]}}],
    indirect=True,
)
def test_role_trusts_mode_checks_each_target(lc: LocalCloud) -> None:
    client = rs(lc, v1=True)
    share_id = create(client, "trusts", [("Image", "m-cmk0001")], [SHAREE, FOLDER, SUBFOLDER, RD]).resource_share_id
    found = status_of(client, share_id)
    assert found[SHAREE] == ("Associated", "")
    assert found[FOLDER] == ("Associated", "") and found[SUBFOLDER] == ("Associated", "")
    # The whole RD also reaches SHAREE's ECS... which is trusted by name, and MEMBER by folder: allowed.
    assert found[RD] == ("Associated", "")
    # MEMBER alone is trusted through its folder path (scenario 3), not by name.
    client.associate_resource_share(
        rs_models.AssociateResourceShareRequest(resource_share_id=share_id, targets=[MEMBER])
    )
    assert status_of(client, share_id)[MEMBER] == ("Associated", "")


@pytest.mark.parametrize("seed", [{"share_check": "role-trusts", "roles": {IMAGE_ROLE: [FOLDER_TRUST]}}], indirect=True)
def test_role_trusts_mode_fails_targets_the_trust_does_not_cover(lc: LocalCloud) -> None:
    client = rs(lc)
    share_id = create(client, "partial", [("Image", "m-cmk0001")], [SHAREE, FOLDER, RD, ROOT]).resource_share_id
    found = status_of(client, share_id)
    assert found[FOLDER] == ("Associated", "")
    for target in (SHAREE, RD, ROOT):  # each reaches SHAREE, whose RD path is outside FOLDER
        assert found[target][0] == "Failed" and found[target][1].startswith("AssumeRoleError:")


@pytest.mark.parametrize("seed", [{"share_check": "role-trusts", "roles": {IMAGE_ROLE: [RD_TRUST]}}], indirect=True)
def test_role_trusts_mode_rd_wide_trust(lc: LocalCloud) -> None:
    client = rs(lc)
    share_id = create(client, "rd", [("Image", "m-cmk0001")], [RD, MEMBER]).resource_share_id
    assert status_of(client, share_id) == {RD: ("Associated", ""), MEMBER: ("Associated", "")}
    ext = create(client, "ext", [("Image", "m-cmk0001")], [OUTSIDER], allow_external_targets=True).resource_share_id
    assert status_of(client, ext)[OUTSIDER][0] == "Failed"


# ---- seed format ------------------------------------------------------------------------------

SEEDED = {
    "id": "rs-Seeded0001",
    "name": "seeded",
    "region": HZ,
    "resources": [
        {"id": "m-plain001", "type": "Image"},
        {"id": "s-cmk0001", "type": "Snapshot", "status": "Failed", "message": "AssumeRoleError: seeded"},
    ],
    "targets": [{"id": SHAREE}, {"id": OUTSIDER, "external": True, "status": "Associating"}],
}


@pytest.mark.parametrize("seed", [{"shares": [SEEDED]}], indirect=True)
def test_seeded_shares_are_served_and_round_trip(lc: LocalCloud) -> None:
    client = rs(lc)
    assert [s.resource_share_id for s in shares(client).resource_shares] == ["rs-Seeded0001"]
    assert status_of(client, "rs-Seeded0001", "Resource")["s-cmk0001"] == ("Failed", "AssumeRoleError: seeded")
    targets = {a.entity_id: (a.association_status, a.external) for a in associations(client)}
    assert targets == {SHAREE: ("Associated", False), OUTSIDER: ("Associated", True)}  # settled on read
    dumped = dump_cloud(lc.cloud)
    again, _, _ = cloud_from_dict(dumped)
    assert dump_cloud(again) == dumped
    assert dumped["accounts"][0]["resource_shares"][0]["targets"][1] == {
        "id": OUTSIDER,
        "status": "Associated",
        "message": "",
        "external": True,
    }
