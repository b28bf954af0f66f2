"""STS gateway: which account these credentials act for, and a member account's role for a central deployment."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from sharetrust.cloud.credentials import Credentials
from sharetrust.cloud.session import CloudSession

SESSION_SECONDS = 3600
REFRESH_BEFORE_SECONDS = 300  # a cached member session is renewed this long before it expires

# Member-account sessions, per process: FC keeps an instance warm across invocations, so each member
# account costs one AssumeRole an hour, not one per event. Keyed by role ARN and the caller's key.
_SESSIONS: dict[tuple[str, str], tuple[Credentials, float]] = {}
_SESSIONS_LOCK = threading.Lock()


class StsGateway:
    def __init__(self, session: CloudSession, region: str) -> None:
        self._session = session
        self._region = region

    def _client(self) -> Any:
        from alibabacloud_sts20150401.client import Client

        return self._session.client("sts", self._region, Client)

    def caller_account(self) -> str:
        return self.caller_identity()[0]

    def caller_identity(self) -> tuple[str, str]:
        """(account UID, ARN) of whoever these credentials are: a role session's ARN names the role."""
        client = self._client()
        body = self._session.call(
            "Sts:GetCallerIdentity",
            lambda: client.get_caller_identity_with_options(self._session.runtime()),
        ).body
        return str(body.account_id), str(body.arn or "")

    def member_credentials(self, account_uid: str, role_name: str) -> Credentials:
        """Temporary credentials of `role_name` in a member account, cached until shortly before they expire."""
        from alibabacloud_sts20150401 import models

        arn = f"acs:ram::{account_uid}:role/{role_name.lower()}"
        key = (arn, self._session.credentials.access_key_id)
        with _SESSIONS_LOCK:
            cached = _SESSIONS.get(key)
        if cached is not None and cached[1] - REFRESH_BEFORE_SECONDS > time.time():
            return cached[0]
        request = models.AssumeRoleRequest(
            role_arn=arn, role_session_name="sharetrust", duration_seconds=SESSION_SECONDS
        )
        body = self._session.pop("Sts:AssumeRole", self._client().assume_role_with_options, request).body
        found = body.credentials
        credentials = Credentials(str(found.access_key_id), str(found.access_key_secret), str(found.security_token))
        expires = _epoch(str(found.expiration or "")) or time.time() + SESSION_SECONDS
        with _SESSIONS_LOCK:
            _SESSIONS[key] = (credentials, expires)
        return credentials


def _epoch(iso: str) -> float | None:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
