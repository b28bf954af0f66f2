"""Where credentials come from: FC context (python3.10), ALIBABA_CLOUD_* variables (python3.12, CLI),
or the default credential chain of alibabacloud_credentials."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class CredentialsError(RuntimeError):
    """No usable credentials were found; the message says where sharetrust looked."""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    @staticmethod
    def from_environment(environ: Mapping[str, str] | None = None) -> Credentials | None:
        env = os.environ if environ is None else environ
        key_id = env.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
        secret = env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        if not key_id or not secret:
            return None
        return Credentials(key_id, secret, env.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None)

    @staticmethod
    def from_fc_context(context: Any) -> Credentials | None:
        """FC python3.10 passes `context.credentials`; python3.12 removed it (events.md §5)."""
        creds = getattr(context, "credentials", None)
        key_id = getattr(creds, "access_key_id", None) or getattr(creds, "accessKeyId", None)
        secret = getattr(creds, "access_key_secret", None) or getattr(creds, "accessKeySecret", None)
        if not key_id or not secret:
            return None
        token = getattr(creds, "security_token", None) or getattr(creds, "securityToken", None)
        return Credentials(str(key_id), str(secret), str(token) if token else None)

    @staticmethod
    def from_default_chain() -> Credentials:
        """The official default chain (profile file, ECS RAM role, OIDC, ...)."""
        try:
            from alibabacloud_credentials.client import Client as CredentialClient

            credential = CredentialClient().get_credential()
        except Exception as failed:  # the chain raises plain exceptions of several kinds
            raise CredentialsError(
                "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET "
                f"(and ALIBABA_CLOUD_SECURITY_TOKEN for STS), or configure the default chain ({failed})"
            ) from None
        return Credentials(
            credential.get_access_key_id(), credential.get_access_key_secret(), credential.get_security_token()
        )

    @staticmethod
    def resolve(context: Any = None, environ: Mapping[str, str] | None = None) -> Credentials:
        """FC context first, then the environment, then the default chain."""
        found = Credentials.from_fc_context(context) if context is not None else None
        return found or Credentials.from_environment(environ) or Credentials.from_default_chain()
