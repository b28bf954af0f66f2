"""Where credentials come from: FC context (python3.10), ALIBABA_CLOUD_* variables (python3.12, CLI),
or the default credential chain of alibabacloud_credentials."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NO_CREDENTIALS = (
    "no credentials: looked in the Function Compute context and in ALIBABA_CLOUD_ACCESS_KEY_ID / "
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET (with ALIBABA_CLOUD_SECURITY_TOKEN for STS keys)"
)
CHAIN_SOURCES = (
    "then in the default chain: ALIBABA_CLOUD_CREDENTIALS_FILE or ~/.alibabacloud/credentials.ini, "
    "~/.aliyun/config.json, OIDC (ALIBABA_CLOUD_OIDC_*), the ECS instance's RAM role"
)


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
        # The chain logs a traceback per provider it tries ("credentials" logger); the one message
        # below says the same in a line.
        chain_log = logging.getLogger("credentials")
        was_disabled, chain_log.disabled = chain_log.disabled, True
        try:
            from alibabacloud_credentials.client import Client as CredentialClient

            credential = CredentialClient().get_credential()
        except Exception as failed:  # the chain raises plain exceptions of several kinds
            reason = " ".join(str(failed).split())[:200]
            raise CredentialsError(f"{NO_CREDENTIALS}; {CHAIN_SOURCES} (the chain said: {reason})") from None
        finally:
            chain_log.disabled = was_disabled
        return Credentials(
            credential.get_access_key_id(), credential.get_access_key_secret(), credential.get_security_token()
        )

    @staticmethod
    def resolve(
        context: Any = None, environ: Mapping[str, str] | None = None, *, local_endpoint: bool = False
    ) -> Credentials:
        """FC context first, then the environment, then the default chain.

        With SHARETRUST_ENDPOINT set (`local_endpoint`), the chain is not tried: it would probe the ECS
        metadata service and read profile files meant for the real cloud.
        """
        found = Credentials.from_fc_context(context) if context is not None else None
        found = found or Credentials.from_environment(environ)
        if found is not None:
            return found
        if local_endpoint:
            raise CredentialsError(f"{NO_CREDENTIALS}; with SHARETRUST_ENDPOINT set, nothing else is tried")
        return Credentials.from_default_chain()
