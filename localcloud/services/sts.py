"""STS 2015-04-01: AssumeRole and GetCallerIdentity; temporary credentials for emulated roles.

Error codes and statuses follow the 2021 AlibabaCloudDocs/ram AssumeRole page; alibaba-apis.md §7
marks STS codes UNCONFIRMED. Length limits follow the newer SDK docstrings (sts 1.2.0).
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import datetime, timezone
from typing import Any

from localcloud import policy as policy_lang
from localcloud.errors import ApiError, bad_request, forbidden, not_found
from localcloud.rpc import Call, operation
from localcloud.state import Cloud, Role, Session

VERSION = "2015-04-01"

DURATION_MIN = 900
DURATION_DEFAULT = 3600
SESSION_POLICY_MAX_CHARS = 2048  # SDK docstring; the 2021 doc said 1,024 bytes
_ROLE_ARN = re.compile(r"^acs:ram::(\d+):role/([A-Za-z0-9.-]{1,64})$")
_SESSION_NAME = re.compile(r"^[A-Za-z0-9.@_-]{2,64}$")


def mint_session(
    cloud: Cloud, role: Role, session_name: str, duration_seconds: int = 3600, policy: str | None = None
) -> Session:
    """Issues temporary credentials acting as `role` (caller holds `cloud.lock` or not; both are safe); with
    a session `policy`, they may do only what both it and the role's policies allow."""
    session = Session(
        access_key_id=f"STS.{secrets.token_hex(12)}",
        secret=secrets.token_urlsafe(24),
        token=f"CAIS{secrets.token_urlsafe(48)}",
        account_uid=role.account_uid,
        role_name=role.name,
        role_id=role.id,
        session_name=session_name,
        expires_at=time.time() + duration_seconds,
        policy=policy,
    )
    with cloud.lock:
        cloud.sessions[session.access_key_id] = session
    return session


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# AssumeRole is not a write: like CloudTrail's readOnly AssumeRole (Alibaba's eventRW is unconfirmed).
@operation(VERSION, "AssumeRole", write=False)
def assume_role(call: Call) -> dict[str, Any]:
    p = call.params
    arn = p.require("RoleArn")
    session_name = p.require("RoleSessionName")
    match = _ROLE_ARN.match(arn)
    if match is None:
        raise bad_request("InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.")
    if not _SESSION_NAME.match(session_name):
        raise bad_request("InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed.")
    session_policy = p.get("Policy")
    if session_policy is not None:
        if len(session_policy) > SESSION_POLICY_MAX_CHARS:
            raise bad_request(
                "InvalidParameter.PolicySize", f"The size of Policy must be smaller than {SESSION_POLICY_MAX_CHARS}."
            )
        try:
            policy_lang.validate(session_policy, "permission")
        except ApiError as malformed:
            raise bad_request(
                "InvalidParameter.PolicyGrammar",
                f"The parameter Policy has not passed grammar check: {malformed.message}",
            ) from None
    owner_uid, role_name = match.groups()
    ram = call.cloud.ram.get(owner_uid) if owner_uid in call.cloud.accounts else None
    role = ram.roles.get(role_name.lower()) if ram is not None else None
    if role is None:
        raise not_found("EntityNotExist.Role", "The specified Role not exists.")
    raw_duration = p.get("DurationSeconds")
    duration = DURATION_DEFAULT
    if raw_duration is not None:
        if not raw_duration.isdigit():
            raise bad_request(
                "InvalidParameter.DurationSeconds", f"DurationSeconds {raw_duration!r} is not an integer."
            )
        duration = int(raw_duration)
    if not DURATION_MIN <= duration <= role.max_session_duration:
        raise bad_request(
            "InvalidParameter.DurationSeconds",
            f"The Min/Max value of DurationSeconds is {DURATION_MIN}/{role.max_session_duration} seconds.",
        )
    # RAM users and role sessions are judged as their account's root principal (per-user trust is not modelled).
    principal = f"acs:ram::{call.caller.account_uid}:root"
    if policy_lang.evaluate_trust(role.trust_policy, "RAM", principal, {}) != "allow":
        raise forbidden("NoPermission", "You are not authorized to do this action. You should be authorized by RAM.")
    session = mint_session(call.cloud, role, session_name, duration, session_policy)
    body: dict[str, Any] = {
        "Credentials": {
            "AccessKeyId": session.access_key_id,
            "AccessKeySecret": session.secret,
            "SecurityToken": session.token,
            "Expiration": _iso(session.expires_at),
        },
        "AssumedRoleUser": {
            "Arn": f"{role.arn}/{session_name}",
            "AssumedRoleId": f"{role.id}:{session_name}",
        },
    }
    source_identity = p.get("SourceIdentity")
    if source_identity is not None:
        body["SourceIdentity"] = source_identity
    return body


@operation(VERSION, "GetCallerIdentity", write=False)
def get_caller_identity(call: Call) -> dict[str, Any]:
    caller = call.caller
    uid = caller.account_uid
    if caller.kind == "assumed-role" and caller.session is not None:
        session = caller.session
        return {
            "AccountId": uid,
            "IdentityType": "AssumedRoleUser",
            "Arn": f"acs:ram::{uid}:assumed-role/{session.role_name.lower()}/{session.session_name}",
            "PrincipalId": caller.principal_id,
            "RoleId": session.role_id,
        }
    if caller.kind == "ram-user":
        # The emulator has no numeric RAM user ids; the caller's principal id stands in for one.
        return {
            "AccountId": uid,
            "IdentityType": "RAMUser",
            "Arn": f"acs:ram::{uid}:user/{caller.user_name}",
            "PrincipalId": caller.principal_id,
            "UserId": caller.principal_id,
        }
    return {
        "AccountId": uid,
        "IdentityType": "Account",
        "Arn": f"acs:ram::{uid}:root",
        "PrincipalId": uid,
        "UserId": uid,
    }
