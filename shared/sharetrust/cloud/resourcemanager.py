"""ResourceManager gateway: a folder target's RDPath for the StringLike trust condition; the directory's members."""

from __future__ import annotations

from typing import Any

from sharetrust.cloud.session import CloudSession

RM_REGION = "cn-hangzhou"  # central endpoint resourcemanager.aliyuncs.com
PAGE = 100


class ResourceManagerGateway:
    def __init__(self, session: CloudSession) -> None:
        self._session = session
        self._paths: dict[str, str] = {}

    def _client(self) -> Any:
        from alibabacloud_resourcemanager20200331.client import Client

        return self._session.client("resourcemanager", RM_REGION, Client)

    def folder_path(self, folder_id: str) -> str:
        """`<rd-id>/<root-folder-id>/.../<folder-id>`, as GetFolder returns it (cached per invocation)."""
        if folder_id not in self._paths:
            from alibabacloud_resourcemanager20200331 import models

            body = self._session.pop(
                "ResourceManager:GetFolder",
                self._client().get_folder_with_options,
                models.GetFolderRequest(folder_id=folder_id),
            ).body
            self._paths[folder_id] = str(body.folder.resource_directory_path)
        return self._paths[folder_id]

    def member_accounts(self) -> list[str]:
        """Every member account of the caller's resource directory (the caller must be its master)."""
        return list(self.member_paths())

    def member_paths(self) -> dict[str, str]:
        """Every member account of the caller's resource directory → its ResourceDirectoryPath
        (`<rd-id>/<root-folder-id>/.../<folder-id>/<uid>`), as ListAccounts returns them."""
        from alibabacloud_resourcemanager20200331 import models

        found: dict[str, str] = {}
        page = 1
        while True:
            request = models.ListAccountsRequest(page_number=page, page_size=PAGE)
            body = self._session.pop("ResourceManager:ListAccounts", self._client().list_accounts_with_options, request)
            accounts = body.body.accounts.account if body.body.accounts and body.body.accounts.account else []
            found.update((str(a.account_id), str(a.resource_directory_path or "")) for a in accounts)
            if page * PAGE >= int(body.body.total_count or 0) or not accounts:
                return found
            page += 1
