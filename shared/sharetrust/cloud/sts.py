"""STS gateway: which account these credentials act for."""

from __future__ import annotations

from sharetrust.cloud.session import CloudSession


class StsGateway:
    def __init__(self, session: CloudSession, region: str) -> None:
        self._session = session
        self._region = region

    def caller_account(self) -> str:
        from alibabacloud_sts20150401.client import Client

        client = self._session.client("sts", self._region, Client)
        body = self._session.call(
            "Sts:GetCallerIdentity", lambda: client.get_caller_identity_with_options(self._session.runtime())
        ).body
        return str(body.account_id)
