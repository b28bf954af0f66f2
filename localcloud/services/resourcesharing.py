"""Resource Sharing 2020-01-10: resource shares of ECS images and snapshots, and their associations.

The handlers check and record requests; how associations settle and whom a share reaches are
`localcloud.rules.sharing`'s.
"""

from __future__ import annotations

from typing import Any, Literal

from localcloud import paging
from localcloud.errors import ApiError, bad_request, conflict, not_found
from localcloud.rpc import Call, operation
from localcloud.rules.sharing import LIVE, RESOURCE_TYPES, covers, set_status, settle, target_entity_type
from localcloud.state import Association, ResourceShare, now_iso

VERSION = "2020-01-10"

DEFAULT_PERMISSIONS = {"Image": "AliyunRSDefaultPermissionImage", "Snapshot": "AliyunRSDefaultPermissionSnapshot"}


# ---- request parsing --------------------------------------------------------------------------


def _bad_token() -> ApiError:
    return bad_request("InvalidParameter.NextToken", "The NextToken is invalid.")


_TOKEN_ERRORS = paging.TokenErrors(
    malformed=_bad_token,
    out_of_range=_bad_token,
    max_length=256,
    too_long=lambda: bad_request(
        "InvalidParameter.NextToken.Length", "The maximum length of NextToken exceeds 256 characters."
    ),
)


def _page(call: Call, items: list[Any]) -> tuple[list[Any], str]:
    page = paging.by_token(call.params, tag="rs:", errors=_TOKEN_ERRORS, default_size=20).take(items)
    return page.items, page.next_token


def _share_ids(call: Call) -> list[str]:
    ids = call.params.list("ResourceShareIds")
    if len(ids) > 5:
        raise bad_request(
            "InvalidParameter.ResourceShareIds.Length", "The maximum length of ResourceShareIds exceeds 5."
        )
    if len(set(ids)) != len(ids):
        raise bad_request(
            "InvalidParameter.ResourceShareIds.Duplicate", "The ResourceShareIds contains duplicate values."
        )
    return ids


def _check_name(name: str) -> None:
    if len(name) > 50:
        raise bad_request(
            "InvalidParameter.ResourceShareName.Length",
            "The maximum length of ResourceShareName exceeds 50 characters.",
        )
    # Letters (the console also allows Chinese, so any Unicode letter), digits, `.`, `_`, `-`.
    if not all(ch.isalnum() or ch in "._-" for ch in name):
        raise bad_request("InvalidParameter.ResourceShareName", "The ResourceShareName is invalid.")


def _resources(call: Call, owner: str, region: str, *, must_exist: bool) -> list[tuple[str, str]]:
    if call.params.list("ResourceArns"):
        # Only ResourceId/ResourceType pairs are emulated; real ARNs cover other products.
        raise bad_request("InvalidParameter", "ResourceArns is not supported by this emulator; use Resources.N.")
    pairs: list[tuple[str, str]] = []
    for entry in call.params.objects("Resources"):
        rid, rtype = entry.get("ResourceId"), entry.get("ResourceType")
        if not rid or not rtype:
            raise bad_request(
                "InvalidParameter.Resources",
                "The Resources is invalid: ResourceId and ResourceType must be specified in pairs.",
            )
        if rtype not in RESOURCE_TYPES:
            raise bad_request(
                "InvalidParameter.ResourceType",
                f"The ResourceType {rtype!r} is invalid: only Image and Snapshot are supported here.",
            )
        pairs.append((rtype, rid))
    limit = call.cloud.settings.resource_sharing_items_per_call
    if len(pairs) > limit:
        raise bad_request("InvalidParameter.Resources.Length", f"The maximum number of Resources exceeds {limit}.")
    if len(set(pairs)) != len(pairs):
        raise bad_request("InvalidParameter.Resources.Duplicate", "The Resources contains duplicate values.")
    if must_exist:
        for rtype, rid in pairs:
            store: dict[str, Any] = call.cloud.images if rtype == "Image" else call.cloud.snapshots
            found = store.get(rid)
            if found is None or found.owner != owner or found.region != region:
                # The real service may instead accept it and fail the association (FailureReason
                # `Unavailable`); rejecting up front is the stricter choice.
                raise bad_request(
                    "InvalidParameter.Resources",
                    f"The Resources is invalid: {rtype} {rid} does not exist in {region} of this account.",
                )
    return pairs


def _targets(call: Call, owner: str, allow_external: bool, *, validate: bool) -> list[tuple[str, bool]]:
    """(target, external) pairs after the documented checks."""
    targets = call.params.list("Targets")
    limit = call.cloud.settings.resource_sharing_items_per_call
    if len(targets) > limit:
        raise bad_request("InvalidParameter.Targets.Length", f"The maximum number of Targets exceeds {limit}.")
    if len(set(targets)) != len(targets):
        raise bad_request("InvalidParameter.Targets.Duplicate", "The Targets contains duplicate values.")
    if not validate:
        return [(t, False) for t in targets]
    directory = call.cloud.directory_of(owner)
    out: list[tuple[str, bool]] = []
    for target in targets:
        if target.isdigit():
            if target == owner:
                raise conflict("ShareWithYourself", "You cannot share resources with yourself.")
            if target not in call.cloud.accounts:
                raise bad_request("InvalidTarget", f"The shared target {target} does not exist.")
            inside = directory is not None and target in directory.members
            if not inside and not allow_external:
                raise conflict(
                    "AccountNotInResourceDirectory",
                    f"The account {target} is not a master or a member of a resource directory.",
                )
            out.append((target, not inside))
        elif target.startswith(("rd-", "fd-", "r-")):
            if directory is None:
                raise conflict(
                    "AccountNotInResourceDirectory",
                    "The account is not a master or a member of a resource directory.",
                )
            if target != directory.id and target not in directory.folders:
                raise bad_request(
                    "InvalidTarget", f"The shared target {target} does not exist in the resource directory."
                )
            out.append((target, False))
        else:
            raise bad_request("InvalidParameter.Targets", f"The Targets is invalid: {target!r}.")
    return out


def _permissions(call: Call) -> None:
    # Only the default permission of each type is modelled; omitting PermissionNames implies it.
    known = set(DEFAULT_PERMISSIONS.values())
    for name in call.params.list("PermissionNames"):
        if name not in known:
            raise not_found("EntityNotExists.Permission", f"The resource share permission {name} does not exist.")


def _own_share(call: Call) -> ResourceShare:
    share_id = call.params.get("ResourceShareId")
    if share_id is None:
        raise bad_request("MissingParameter.ResourceShareId", "You must specify ResourceShareId.")
    share = call.cloud.resource_shares.get(share_id)
    if share is None or share.owner != call.caller.account_uid or share.region != call.region:
        raise not_found("EntityNotExists.ResourceShare", "The resource share does not exist in the current account.")
    return share


def _require_active(share: ResourceShare) -> None:
    if share.status != "Active":
        raise conflict(
            "ResourceShareStatusMismatchAction",
            "The status of the resource share does not allow the specified operation.",
        )


# ---- rendering --------------------------------------------------------------------------------


def _share_body(share: ResourceShare) -> dict[str, Any]:
    return {
        "ResourceShareId": share.id,
        "ResourceShareName": share.name,
        "ResourceShareOwner": share.owner,
        "ResourceShareStatus": share.status,
        "AllowExternalTargets": share.allow_external,
        "CreateTime": share.created,
        "UpdateTime": share.updated,
    }


def _assoc_body(share: ResourceShare, assoc: Association, *, detailed: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ResourceShareId": share.id,
        "ResourceShareName": share.name,
        "EntityId": assoc.entity_id,
        "EntityType": assoc.entity_type,
        "AssociationType": assoc.association_type,
        "AssociationStatus": assoc.status,
        "AssociationStatusMessage": assoc.status_message,
        "CreateTime": assoc.created,
        "UpdateTime": assoc.updated,
    }
    if detailed:
        body["External"] = assoc.external
        body["AssociationFailedDetails"] = (
            [
                {
                    "Status": "Failed",
                    "StatusMessage": assoc.status_message,
                    "FailureDescription": assoc.status_message,
                    "FailureReason": "Unavailable"
                    if assoc.status_message.startswith("Unavailable")
                    else "UnsupportedOperation",
                    "OperationType": "Associate",
                    "AssociateType": "Associate",
                    "EntityId": assoc.entity_id,
                    "EntityType": assoc.entity_type,
                }
            ]
            if assoc.status == "Failed"
            else []
        )
    return body


# ---- operations -------------------------------------------------------------------------------


def _associate(call: Call, share: ResourceShare) -> list[Association]:
    owner = share.owner
    resources = _resources(call, owner, share.region, must_exist=True)
    targets = _targets(call, owner, share.allow_external, validate=True)
    _permissions(call)
    changed: list[Association] = []
    for kind, rid in resources:
        changed.append(_upsert(share, rid, kind, "Resource", external=False))
    for target, external in targets:
        changed.append(_upsert(share, target, target_entity_type(target), "Target", external=external))
    if changed:
        share.updated = now_iso()
    return changed


def _upsert(
    share: ResourceShare, entity_id: str, entity_type: str, kind: Literal["Resource", "Target"], *, external: bool
) -> Association:
    for assoc in share.associations:
        if assoc.entity_id == entity_id and assoc.association_type == kind:
            if assoc.status not in LIVE:  # re-associating a Failed or Disassociated entity
                assoc.external = external
                assoc.created = now_iso()
                set_status(assoc, "Associating")
            return assoc
    assoc = Association(entity_id, entity_type, kind, status="Associating", external=external)
    share.associations.append(assoc)
    return assoc


@operation(VERSION, "CreateResourceShare", write=True)
def create_resource_share(call: Call) -> dict[str, Any]:
    name = call.params.get("ResourceShareName")
    if name is None:
        raise bad_request("MissingParameter.ResourceShareName", "You must specify ResourceShareName.")
    _check_name(name)
    share = ResourceShare(
        call.cloud.new_id("rs", 14),
        name,
        call.caller.account_uid,
        call.region,
        allow_external=call.params.bool("AllowExternalTargets"),
    )
    _associate(call, share)  # validates everything before the share is stored
    call.cloud.resource_shares[share.id] = share
    return {"ResourceShare": _share_body(share)}


@operation(VERSION, "AssociateResourceShare", write=True)
def associate_resource_share(call: Call) -> dict[str, Any]:
    share = _own_share(call)
    _require_active(share)
    if not call.params.objects("Resources") and not call.params.list("Targets"):
        raise bad_request("ResourceAndTargetBothEmpty", "Either a resource or a shared target must be specified.")
    changed = _associate(call, share)
    return {"ResourceShareAssociations": [_assoc_body(share, a) for a in changed]}


@operation(VERSION, "DisassociateResourceShare", write=True)
def disassociate_resource_share(call: Call) -> dict[str, Any]:
    owner_kind = call.params.get("ResourceOwner", "Self")
    if owner_kind not in ("Self", "OtherAccounts"):
        raise bad_request("InvalidParameter.ResourceOwner", "The ResourceOwner is invalid.")
    if not call.params.objects("Resources") and not call.params.list("Targets"):
        raise bad_request("ResourceAndTargetBothEmpty", "Either a resource or a shared target must be specified.")
    uid = call.caller.account_uid
    if owner_kind == "Self":
        share = _own_share(call)
    else:
        # A principal leaving a share it was given: only its own account id may be removed.
        share_id = call.params.require("ResourceShareId")
        found = call.cloud.resource_shares.get(share_id)
        if (
            found is None
            or found.owner == uid
            or found.region != call.region
            or not any(a.entity_id == uid and a.association_type == "Target" for a in found.associations)
        ):
            raise not_found(
                "EntityNotExists.ResourceShare", "The resource share does not exist in the current account."
            )
        share = found
        if call.params.objects("Resources") or call.params.list("Targets") != [uid]:
            raise conflict("OperationNotPermitted", "You do not have permission to do this operation.")
    _require_active(share)
    resources = _resources(call, share.owner, share.region, must_exist=False)
    targets = _targets(call, share.owner, True, validate=False)
    wanted = [(kind, rid, "Resource") for kind, rid in resources] + [(None, t, "Target") for t, _ in targets]
    chosen: list[Association] = []
    for kind, entity_id, assoc_type in wanted:
        match = next(
            (
                a
                for a in share.associations
                if a.entity_id == entity_id
                and a.association_type == assoc_type
                and a.status in LIVE
                and (kind is None or a.entity_type == kind)
            ),
            None,
        )
        if match is None:
            raise bad_request(
                "DisassociateInvalid", f"You can not disassociate unassociated resource or target {entity_id}."
            )
        chosen.append(match)
    for assoc in chosen:
        set_status(assoc, "Disassociating")
    share.updated = now_iso()
    return {"ResourceShareAssociations": [_assoc_body(share, a) for a in chosen]}


@operation(VERSION, "DeleteResourceShare", write=True)
def delete_resource_share(call: Call) -> dict[str, Any]:
    share = _own_share(call)
    _require_active(share)
    # Deleting is asynchronous on the real service (Deleting -> Deleted); it settles at once here.
    share.status = "Deleted"
    share.updated = now_iso()
    for assoc in share.associations:
        if assoc.status in LIVE or assoc.status == "Disassociating":
            set_status(assoc, "Disassociated")
    return {}


@operation(VERSION, "ListResourceShares", write=False)
def list_resource_shares(call: Call) -> dict[str, Any]:
    owner_kind = call.params.get("ResourceOwner")
    if owner_kind is None:
        raise bad_request("MissingParameter.ResourceOwner", "You must specify ResourceOwner.")
    if owner_kind not in ("Self", "OtherAccounts"):
        raise bad_request("InvalidParameter.ResourceOwner", "The ResourceOwner is invalid.")
    ids = _share_ids(call)
    name = call.params.get("ResourceShareName")
    status = call.params.get("ResourceShareStatus")
    if status is not None and status not in ("Active", "Pending", "Deleting", "Deleted"):
        raise bad_request("InvalidParameter.ResourceShareStatus", "The ResourceShareStatus is invalid.")
    settle(call.context)
    uid, region = call.caller.account_uid, call.region
    shares = []
    for share in call.cloud.resource_shares.values():
        if share.region != region:
            continue
        if owner_kind == "Self" and share.owner != uid:
            continue
        if owner_kind == "OtherAccounts" and (
            share.owner == uid
            or not any(
                a.association_type == "Target"
                and a.status == "Associated"
                and covers(call.cloud, share, a.entity_id, uid)
                for a in share.associations
            )
        ):
            continue
        if (ids and share.id not in ids) or (name and share.name != name) or (status and share.status != status):
            continue
        shares.append(share)
    page, token = _page(call, shares)
    body: dict[str, Any] = {"ResourceShares": [{**_share_body(s), "Tags": []} for s in page]}
    if token:
        body["NextToken"] = token
    return body


@operation(VERSION, "ListResourceShareAssociations", write=False)
def list_resource_share_associations(call: Call) -> dict[str, Any]:
    assoc_type = call.params.get("AssociationType")
    if assoc_type is None:
        raise bad_request("MissingParameter.AssociationType", "You must specify AssociationType.")
    if assoc_type not in ("Resource", "Target"):
        raise bad_request("InvalidParameter.AssociationType", "The AssociationType is invalid.")
    resource_id = call.params.get("ResourceId")
    target = call.params.get("Target")
    if (resource_id and assoc_type != "Resource") or (target and assoc_type != "Target"):
        raise bad_request(
            "ConflictedAssociationType", "The specified ResourceId or Target conflicts with AssociationType."
        )
    status = call.params.get("AssociationStatus")
    if status is not None and status not in ("Associating", "Associated", "Failed", "Disassociating", "Disassociated"):
        raise bad_request("InvalidParameter.AssociationStatus", "The AssociationStatus is invalid.")
    ids = _share_ids(call)
    settle(call.context)
    uid, region = call.caller.account_uid, call.region
    rows: list[dict[str, Any]] = []
    for share in call.cloud.resource_shares.values():
        if share.owner != uid or share.region != region or (ids and share.id not in ids):
            continue
        for assoc in share.associations:
            if assoc.association_type != assoc_type or (status and assoc.status != status):
                continue
            if (resource_id and assoc.entity_id != resource_id) or (target and assoc.entity_id != target):
                continue
            rows.append(_assoc_body(share, assoc, detailed=True))
    page, token = _page(call, rows)
    body: dict[str, Any] = {"ResourceShareAssociations": page}
    if token:
        body["NextToken"] = token
    return body
