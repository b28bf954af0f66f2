"""KMS gateway: what kind of key encrypts a resource (customer master key or service key)."""

from __future__ import annotations

from typing import Any

from sharetrust.cloud.errors import NotFound
from sharetrust.cloud.session import CloudSession
from sharetrust.model import KeyRef

SERVICE_ALIAS_PREFIX = "alias/acs/"  # reserved for service keys; ECS's is alias/acs/ecs (alibaba-apis.md §4)


class KmsGateway:
    def __init__(self, session: CloudSession) -> None:
        self._session = session

    def _client(self, region: str) -> Any:
        from alibabacloud_kms20160120.client import Client

        return self._session.client("kms", region, Client)

    def key(self, region: str, key_id: str, owner_uid: str) -> KeyRef:
        """The key's identity and kind. A key the account cannot describe belongs to someone else."""
        from alibabacloud_kms20160120 import models

        try:
            meta = self._session.pop(
                "Kms:DescribeKey",
                self._client(region).describe_key_with_options,
                models.DescribeKeyRequest(key_id=key_id),
            ).body.key_metadata
        except NotFound:  # KMS's Forbidden.KeyNotFound: a key of another account
            return KeyRef(key_id, region, "", False)
        # Arn = acs:kms:<region>:<uid>:key/<id>; the owner comes from it, not from the caller.
        parts = str(meta.arn).split(":")
        account = parts[3] if len(parts) > 4 else owner_uid
        aliases = self._session.pop(
            "Kms:ListAliasesByKeyId",
            self._client(region).list_aliases_by_key_id_with_options,
            models.ListAliasesByKeyIdRequest(key_id=meta.key_id, page_size=100),
        ).body.aliases
        names = [a.alias_name for a in aliases.alias] if aliases and aliases.alias else []
        is_service = any(str(n).startswith(SERVICE_ALIAS_PREFIX) for n in names)
        return KeyRef(str(meta.key_id), region, account, is_service)
