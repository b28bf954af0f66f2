"""ResourceManager 2020-03-31: read-only views of resource directories, folders and member accounts.

The management (master) account may read everything in its directory; a member may only read
the directory itself and its own account, as the real RD APIs are for the management account.
"""

from __future__ import annotations

from typing import Any, TypeVar

from localcloud import paging
from localcloud.errors import forbidden, missing, not_found
from localcloud.rpc import Call, operation
from localcloud.state import ResourceDirectory

VERSION = "2020-03-31"

T = TypeVar("T")


def _directory(call: Call) -> ResourceDirectory:
    directory = call.cloud.directory_of(call.caller.account_uid)
    if directory is None:
        raise not_found(
            "EntityNotExists.ResourceDirectory",
            "The resource directory for the account is not enabled. We recommend that you first "
            "enable the resource directory for the account.",
        )
    return directory


def _master_only(call: Call, directory: ResourceDirectory) -> None:
    if call.caller.account_uid != directory.master_uid:
        # The docs only say "only the management account ... can call this operation"; the
        # error code a member gets is UNCONFIRMED. `NoPermission` (403) is chosen.
        raise forbidden(
            "NoPermission", "Only the management account of the resource directory can perform this operation."
        )


def _page(call: Call, items: list[T]) -> tuple[list[T], dict[str, Any]]:
    page = paging.by_number(call.params)
    return page.take(items), page.fields(len(items))


def _account_body(call: Call, directory: ResourceDirectory, uid: str, *, with_path: bool = True) -> dict[str, Any]:
    account = call.cloud.accounts[uid]
    body: dict[str, Any] = {
        "AccountId": uid,
        "DisplayName": account.name,
        "FolderId": directory.members[uid],
        "ResourceDirectoryId": directory.id,
        "JoinMethod": "invited",
        "JoinTime": directory.created,
        "ModifyTime": directory.created,
        "Status": "InviteSuccess",
        "Type": "CloudAccount",
    }
    if with_path:
        body["ResourceDirectoryPath"] = directory.account_path(uid)
    return body


def _folder(directory: ResourceDirectory, folder_id: str) -> None:
    if folder_id not in directory.folders:
        raise not_found("EntityNotExists.Folder", f"The folder {folder_id} does not exist.")


@operation(VERSION, "GetResourceDirectory", write=False)
def get_resource_directory(call: Call) -> dict[str, Any]:
    directory = call.cloud.directory_of(call.caller.account_uid)
    if directory is None:
        raise not_found(
            "ResourceDirectoryNotInUse",
            "The specified account is not an Alibaba Cloud account or a member account of the resource directory.",
        )
    master = call.cloud.accounts.get(directory.master_uid)
    return {
        "ResourceDirectory": {
            "ResourceDirectoryId": directory.id,
            "RootFolderId": directory.root_folder_id,
            "MasterAccountId": directory.master_uid,
            "MasterAccountName": master.name if master else "",
            "CreateTime": directory.created,
            "ControlPolicyStatus": "Disabled",
            "MemberDeletionStatus": "Disabled",
        }
    }


@operation(VERSION, "GetFolder", write=False)
def get_folder(call: Call) -> dict[str, Any]:
    folder_id = call.params.get("FolderId")
    if folder_id is None:
        raise missing("FolderId")
    directory = _directory(call)
    _master_only(call, directory)
    _folder(directory, folder_id)
    folder = directory.folders[folder_id]
    body: dict[str, Any] = {
        "FolderId": folder.id,
        "FolderName": folder.name,
        "CreateTime": directory.created,
        "ResourceDirectoryPath": directory.folder_path(folder.id),
    }
    if folder.parent_id is not None:
        body["ParentFolderId"] = folder.parent_id
    return {"Folder": body}


@operation(VERSION, "GetAccount", write=False)
def get_account(call: Call) -> dict[str, Any]:
    uid = call.params.get("AccountId")
    if uid is None:
        raise missing("AccountId")
    directory = _directory(call)
    if uid != call.caller.account_uid:
        _master_only(call, directory)
    if uid not in directory.members:
        raise not_found("EntityNotExists.Account", "This resource directory account does not exist.")
    body = _account_body(call, directory, uid)
    body["AccountName"] = f"{call.cloud.accounts[uid].name}@example.com"
    body["Location"] = "/".join(
        directory.folders[f].name for f in directory.folder_path(directory.members[uid]).split("/")[1:]
    )
    return {"Account": body}


@operation(VERSION, "ListAccounts", write=False)
def list_accounts(call: Call) -> dict[str, Any]:
    directory = _directory(call)
    _master_only(call, directory)
    uids = list(directory.members)
    page, fields = _page(call, uids)
    return {
        "Accounts": {"Account": [_account_body(call, directory, uid) for uid in page]},
        **fields,
    }


@operation(VERSION, "ListFoldersForParent", write=False)
def list_folders_for_parent(call: Call) -> dict[str, Any]:
    directory = _directory(call)
    _master_only(call, directory)
    parent = call.params.get("ParentFolderId") or directory.root_folder_id  # empty means Root
    _folder(directory, parent)
    keyword = call.params.get("QueryKeyword")
    folders = [
        f
        for f in directory.folders.values()
        if f.parent_id == parent and (keyword is None or keyword.lower() in f.name.lower())
    ]
    page, fields = _page(call, folders)
    return {
        "Folders": {
            "Folder": [{"FolderId": f.id, "FolderName": f.name, "CreateTime": directory.created} for f in page]
        },
        **fields,
    }


@operation(VERSION, "ListAccountsForParent", write=False)
def list_accounts_for_parent(call: Call) -> dict[str, Any]:
    parent = call.params.get("ParentFolderId")
    if parent is None:
        raise missing("ParentFolderId")
    directory = _directory(call)
    _master_only(call, directory)
    _folder(directory, parent)
    keyword = call.params.get("QueryKeyword")
    uids = [
        uid
        for uid, folder in directory.members.items()
        if folder == parent
        and (keyword is None or keyword.lower() in call.cloud.accounts[uid].name.lower() or keyword in uid)
    ]
    page, fields = _page(call, uids)
    return {
        "Accounts": {"Account": [_account_body(call, directory, uid, with_path=False) for uid in page]},
        **fields,
    }
