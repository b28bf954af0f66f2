"""STS 2015-04-01: AssumeRole and GetCallerIdentity; temporary credentials for emulated roles."""

from __future__ import annotations

import secrets
import time

from localcloud.state import Cloud, Role, Session

VERSION = "2015-04-01"


def mint_session(cloud: Cloud, role: Role, session_name: str, duration_seconds: int = 3600) -> Session:
    """Issues temporary credentials acting as `role` (caller holds `cloud.lock` or not; both are safe)."""
    session = Session(
        access_key_id=f"STS.{secrets.token_hex(12)}",
        secret=secrets.token_urlsafe(24),
        token=f"CAIS{secrets.token_urlsafe(48)}",
        account_uid=role.account_uid,
        role_name=role.name,
        role_id=role.id,
        session_name=session_name,
        expires_at=time.time() + duration_seconds,
    )
    with cloud.lock:
        cloud.sessions[session.access_key_id] = session
    return session
