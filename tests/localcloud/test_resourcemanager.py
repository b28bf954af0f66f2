"""ResourceManager 2020-03-31 through the official SDK: the resource directory, folders, accounts and
the RDPath formats the share roles' trust conditions match against."""

from __future__ import annotations

import pytest
from alibabacloud_resourcemanager20200331 import models as rm_models
from alibabacloud_resourcemanager20200331.client import Client as RmClient

from localcloud import LocalCloud, policy
from tests.localcloud.conftest import FOLDER, MEMBER, OUTSIDER, RD, ROOT, SHAREE, SHARER, SUBFOLDER, config, fails


def rm(lc: LocalCloud, uid: str = SHARER, *, v1: bool = False) -> RmClient:
    return RmClient(config(lc, uid, v1=v1))


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_get_resource_directory_for_master_and_members(lc: LocalCloud, v1: bool) -> None:
    for uid in (SHARER, MEMBER, SHAREE):
        directory = rm(lc, uid, v1=v1).get_resource_directory().body.resource_directory
        assert (directory.resource_directory_id, directory.root_folder_id, directory.master_account_id) == (
            RD,
            ROOT,
            SHARER,
        )
        assert directory.master_account_name == "sharer" and directory.create_time
    fails("ResourceDirectoryNotInUse", 404, lambda: rm(lc, OUTSIDER, v1=v1).get_resource_directory())


def test_get_folder_paths(lc: LocalCloud) -> None:
    client = rm(lc, v1=True)
    sub = client.get_folder(rm_models.GetFolderRequest(folder_id=SUBFOLDER)).body.folder
    assert (sub.folder_id, sub.folder_name, sub.parent_folder_id) == (SUBFOLDER, "team", FOLDER)
    assert sub.resource_directory_path == f"{RD}/{ROOT}/{FOLDER}/{SUBFOLDER}"
    assert sub.create_time
    root = client.get_folder(rm_models.GetFolderRequest(folder_id=ROOT)).body.folder
    assert (root.resource_directory_path, root.parent_folder_id) == (f"{RD}/{ROOT}", None)


def test_get_folder_errors(lc: LocalCloud) -> None:
    fails("EntityNotExists.Folder", 404, lambda: rm(lc).get_folder(rm_models.GetFolderRequest(folder_id="fd-Nope")))
    fails("MissingParameter", 400, lambda: rm(lc).get_folder(rm_models.GetFolderRequest()))
    fails("NoPermission", 403, lambda: rm(lc, MEMBER).get_folder(rm_models.GetFolderRequest(folder_id=FOLDER)))
    fails(
        "EntityNotExists.ResourceDirectory",
        404,
        lambda: rm(lc, OUTSIDER).get_folder(rm_models.GetFolderRequest(folder_id=FOLDER)),
    )


def test_get_account(lc: LocalCloud) -> None:
    account = rm(lc).get_account(rm_models.GetAccountRequest(account_id=MEMBER)).body.account
    assert (account.account_id, account.folder_id, account.resource_directory_id) == (MEMBER, SUBFOLDER, RD)
    assert account.resource_directory_path == f"{RD}/{ROOT}/{FOLDER}/{SUBFOLDER}/{MEMBER}"
    assert (account.display_name, account.type, account.status, account.join_method) == (
        "member",
        "CloudAccount",
        "InviteSuccess",
        "invited",
    )
    assert account.location == "Root/prod/team" and account.join_time
    # The folder path prefix is what a scenario-3 trust condition (`<folder path>*`) matches.
    folder = rm(lc).get_folder(rm_models.GetFolderRequest(folder_id=FOLDER)).body.folder
    assert account.resource_directory_path.startswith(folder.resource_directory_path + "/")
    assert policy.ecs_trust_context(lc.cloud, MEMBER)["sts:ServiceOwnerRDPath"] == account.resource_directory_path
    # A member reads its own account, and the master its own too.
    own = rm(lc, MEMBER, v1=True).get_account(rm_models.GetAccountRequest(account_id=MEMBER)).body.account
    assert own.resource_directory_path == account.resource_directory_path
    master = rm(lc).get_account(rm_models.GetAccountRequest(account_id=SHARER)).body.account
    assert (master.folder_id, master.resource_directory_path) == (ROOT, f"{RD}/{ROOT}/{SHARER}")


def test_get_account_errors(lc: LocalCloud) -> None:
    fails("NoPermission", 403, lambda: rm(lc, MEMBER).get_account(rm_models.GetAccountRequest(account_id=SHAREE)))
    fails("EntityNotExists.Account", 404, lambda: rm(lc).get_account(rm_models.GetAccountRequest(account_id=OUTSIDER)))
    fails(
        "EntityNotExists.ResourceDirectory",
        404,
        lambda: rm(lc, OUTSIDER).get_account(rm_models.GetAccountRequest(account_id=OUTSIDER)),
    )
    fails("MissingParameter", 400, lambda: rm(lc).get_account(rm_models.GetAccountRequest()))


def test_list_accounts_pages(lc: LocalCloud) -> None:
    client = rm(lc)
    first = client.list_accounts(rm_models.ListAccountsRequest(page_size=2)).body
    second = client.list_accounts(rm_models.ListAccountsRequest(page_size=2, page_number=2)).body
    assert (first.total_count, first.page_number, first.page_size) == (3, 1, 2)
    ids = [a.account_id for a in first.accounts.account + second.accounts.account]
    assert sorted(ids) == sorted([SHARER, MEMBER, SHAREE])
    paths = {a.account_id: a.resource_directory_path for a in first.accounts.account + second.accounts.account}
    assert paths[SHAREE] == f"{RD}/{ROOT}/{SHAREE}"
    fails("InvalidParameter.PageSize", 400, lambda: client.list_accounts(rm_models.ListAccountsRequest(page_size=101)))
    fails("NoPermission", 403, lambda: rm(lc, MEMBER).list_accounts(rm_models.ListAccountsRequest()))
    fails(
        "EntityNotExists.ResourceDirectory",
        404,
        lambda: rm(lc, OUTSIDER).list_accounts(rm_models.ListAccountsRequest()),
    )


def test_list_folders_for_parent(lc: LocalCloud) -> None:
    client = rm(lc, v1=True)
    top = client.list_folders_for_parent(rm_models.ListFoldersForParentRequest()).body
    assert [(f.folder_id, f.folder_name) for f in top.folders.folder] == [(FOLDER, "prod")]
    assert (top.total_count, top.page_number, top.page_size) == (1, 1, 10)
    below = client.list_folders_for_parent(rm_models.ListFoldersForParentRequest(parent_folder_id=FOLDER)).body
    assert [f.folder_id for f in below.folders.folder] == [SUBFOLDER]
    assert (
        client.list_folders_for_parent(
            rm_models.ListFoldersForParentRequest(parent_folder_id=FOLDER, query_keyword="nomatch")
        ).body.total_count
        == 0
    )
    fails(
        "EntityNotExists.Folder",
        404,
        lambda: client.list_folders_for_parent(rm_models.ListFoldersForParentRequest(parent_folder_id="fd-Nope")),
    )
    fails("NoPermission", 403, lambda: rm(lc, SHAREE).list_folders_for_parent(rm_models.ListFoldersForParentRequest()))


def test_list_accounts_for_parent(lc: LocalCloud) -> None:
    client = rm(lc)
    root = client.list_accounts_for_parent(rm_models.ListAccountsForParentRequest(parent_folder_id=ROOT)).body
    assert sorted(a.account_id for a in root.accounts.account) == sorted([SHARER, SHAREE])
    assert root.total_count == 2 and all(a.folder_id == ROOT for a in root.accounts.account)
    sub = client.list_accounts_for_parent(rm_models.ListAccountsForParentRequest(parent_folder_id=SUBFOLDER)).body
    assert [(a.account_id, a.display_name, a.resource_directory_id) for a in sub.accounts.account] == [
        (MEMBER, "member", RD)
    ]
    assert (
        client.list_accounts_for_parent(
            rm_models.ListAccountsForParentRequest(parent_folder_id=FOLDER)
        ).body.total_count
        == 0
    )
    fails("MissingParameter", 400, lambda: client.list_accounts_for_parent(rm_models.ListAccountsForParentRequest()))
    fails(
        "EntityNotExists.Folder",
        404,
        lambda: client.list_accounts_for_parent(rm_models.ListAccountsForParentRequest(parent_folder_id="fd-Nope")),
    )
    fails(
        "NoPermission",
        403,
        lambda: rm(lc, MEMBER).list_accounts_for_parent(rm_models.ListAccountsForParentRequest(parent_folder_id=ROOT)),
    )
