"""RAM authorization of every request: one decision, made here, for POP, Log Service and Function Compute.

A protocol says which RAM action a request needs and on which resources (ARNs); `enforce` decides as RAM
does and records the decision in `Cloud.authorizations`:
- an account's own (root) AccessKey may do anything;
- a RAM user may do what the policies attached to it allow (groups are not modelled);
- an STS session (AssumeRole, or a function's role) may do what the role's attached policies (System and
  Custom, default version) allow, intersected with the session policy AssumeRole was given, if any;
- an applicable Deny wins, and nothing applicable is an implicit deny. A request naming several resources
  (AttachPolicyToRole: the role and the policy) is allowed only when every one of them is.

POP products declare, per action, the RAM action and resources in `POP_PERMISSIONS` (one table per product
below). An action no table names needs `<product code>:<Action>` on `*` (RAM's "All Resources"), so a
product added later is enforced too; give it a table to scope it. Log Service (`localcloud.sls`) and
Function Compute (`localcloud.fc`) name theirs where they resolve the project or function. See README.md
"RAM authorization" for the ARN formats and what is assumed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from localcloud import policy
from localcloud.errors import ApiError
from localcloud.rpc import Call, Caller
from localcloud.state import Attachment, Authorization, Cloud


@dataclass(frozen=True)
class Permission:
    """What one request needs: a RAM action (`ecs:DescribeImages`) on every one of `resources`."""

    action: str
    resources: tuple[str, ...]


class AccessDenied(ApiError):
    """A RAM denial; POP renders `detail` as the answer's AccessDeniedDetail."""

    def __init__(self, status: int, code: str, message: str, detail: dict[str, str]) -> None:
        super().__init__(status, code, message)
        self.detail = detail


def caller_name(caller: Caller) -> str:
    if caller.session is not None:
        return f"role/{caller.session.role_name}"
    if caller.kind == "ram-user":
        return f"user/{caller.user_name}"
    return "root"


def _documents(cloud: Cloud, owner: str, attachments: list[Attachment]) -> list[tuple[str, str]]:
    ram = cloud.ram_of(owner)
    found: list[tuple[str, str]] = []
    for attachment in attachments:
        if attachment.policy_type == "System":
            attached = cloud.system_policies.get(attachment.policy_name)
        else:
            attached = ram.policies.get(attachment.policy_name)
        if attached is not None:
            found.append((attachment.policy_name, attached.default_version.document))
    return found


def identity_policies(cloud: Cloud, caller: Caller) -> list[tuple[str, str]]:
    """(name, default-version document) of every policy attached to the caller's user or role."""
    ram = cloud.ram_of(caller.account_uid)
    if caller.session is not None:
        role = caller.session.role_name.lower()
        if role not in ram.roles:
            return []  # a deleted role's sessions may do nothing
        return _documents(cloud, caller.account_uid, ram.attachments.get(role, []))
    return _documents(cloud, caller.account_uid, ram.users.get(caller.user_name.lower(), []))


def request_context(source_ip: str = "127.0.0.1") -> dict[str, str]:
    """The global condition keys a request presents (RAM "Policy elements": acs:SourceIp, acs:CurrentTime,
    acs:SecureTransport). Loopback is plain HTTP."""
    now = datetime.fromtimestamp(time.time(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"acs:SourceIp": source_ip, "acs:CurrentTime": now, "acs:SecureTransport": "false"}


def decide(cloud: Cloud, caller: Caller, needed: Permission, context: Mapping[str, str] | None = None) -> Authorization:
    """RAM's decision for `caller` doing `needed`, recorded in `cloud.authorizations`."""
    context = request_context() if context is None else context
    with cloud.lock:
        if caller.kind == "root-account":
            result = Authorization(
                "root", caller.account_uid, needed.action, needed.resources, "allow", ("root",), (("*",),)
            )
        else:
            result = _evaluate(cloud, caller, needed, context)
        cloud.authorizations.append(result)
    return result


def _evaluate(cloud: Cloud, caller: Caller, needed: Permission, context: Mapping[str, str]) -> Authorization:
    documents = identity_policies(cloud, caller)
    session_policy = caller.session.policy if caller.session is not None else None
    allowing: list[policy.StatementMatch] = []
    allowed = True
    for resource in needed.resources:
        matches = [
            m
            for name, text in documents
            for m in policy.matching_statements(name, text, needed.action, resource, context)
        ]
        # A session may do only what both its role's policies and its session policy allow.
        limits = (
            policy.matching_statements("session-policy", session_policy, needed.action, resource, context)
            if session_policy is not None
            else None
        )
        denying = [m for m in matches + (limits or []) if m.effect == "Deny"]
        if denying:
            return _record(caller, needed, "deny", denying[:1])
        if policy.combine(matches) != "allow" or (limits is not None and policy.combine(limits) != "allow"):
            allowed = False
        allowing += [m for m in matches if m.effect == "Allow" and m not in allowing]
    if not allowed:
        return _record(caller, needed, "implicit-deny", [])
    return _record(caller, needed, "allow", allowing)


def _record(
    caller: Caller, needed: Permission, decision: policy.Decision, matches: list[policy.StatementMatch]
) -> Authorization:
    return Authorization(
        caller_name(caller),
        caller.account_uid,
        needed.action,
        needed.resources,
        decision,
        tuple(m.name for m in matches),
        tuple(m.actions for m in matches),
    )


def enforce(
    cloud: Cloud,
    caller: Caller,
    needed: Permission,
    denial: Callable[[Authorization], ApiError],
    context: Mapping[str, str] | None = None,
) -> None:
    """Raises the protocol's denial unless RAM allows `needed`."""
    result = decide(cloud, caller, needed, context)
    if result.decision != "allow":
        raise denial(result)


def describe(result: Authorization) -> str:
    """`AuthAction: ..., AuthResource: ..., NoPermissionType: ...` as RAM's AccessDeniedDetail names them."""
    kind = "ExplicitDeny" if result.decision == "deny" else "ImplicitDeny"
    return f"AuthAction: {result.action}, AuthResource: {', '.join(result.resources)}, NoPermissionType: {kind}"


def _detail(result: Authorization) -> dict[str, str]:
    return {
        "AuthAction": result.action,
        "AuthResource": ", ".join(result.resources),
        "AuthPrincipalDisplayName": result.caller,
        "AuthPrincipalOwnerId": result.account_uid,
        "NoPermissionType": "ExplicitDeny" if result.decision == "deny" else "ImplicitDeny",
        "PolicyType": "AccountLevelIdentityBasedPolicy",
    }


# --- POP -------------------------------------------------------------------------------------------

# ECS: 403 Forbidden.RAM with this message (ECS "Announcement of changes to the authentication mechanism for
# ECS query API operations", Sep 2025: Describe calls without permission answer it too since Dec 20, 2025).
_ECS_DENIED = "User not authorized to operate on the specified resource, or this API doesn't support RAM."
# RAM's documented NoPermission (help.aliyun.com RAM error codes). UNCONFIRMED for KMS, Resource Sharing and
# Resource Management: their pages list no RAM-denial code; Forbidden.RAM / NoPermission are the codes the
# POP gateway answers for other products.
_RAM_DENIED = "You are not authorized to do this action. You should be authorized by RAM."
_POP_DENIALS: dict[str, tuple[str, str]] = {
    "Ecs": ("Forbidden.RAM", _ECS_DENIED),
    "Kms": ("Forbidden.RAM", _ECS_DENIED),
    "Ram": ("NoPermission", _RAM_DENIED),
    "Sts": ("NoPermission", _RAM_DENIED),
    "ResourceSharing": ("NoPermission", _RAM_DENIED),
    "ResourceManager": ("NoPermission", _RAM_DENIED),
}


def pop_denial(product: str) -> Callable[[Authorization], ApiError]:
    code, message = _POP_DENIALS.get(product, ("NoPermission", _RAM_DENIED))

    def denied(result: Authorization) -> ApiError:
        return AccessDenied(403, code, f"{message} {describe(result)}", _detail(result))

    return denied


PopRule = Callable[[Call], "Permission | None"]


def _region(call: Call) -> str:
    try:
        return call.region
    except ApiError:
        return call.cloud.settings.default_region  # the handler answers InvalidRegionId itself


def _on(action: str, *arns: Callable[[Call], str]) -> PopRule:
    return lambda call: Permission(action, tuple(arn(call) for arn in arns))


def _all(action: str) -> PopRule:
    return lambda call: Permission(action, ("*",))


def _ecs(kind: str, param: str | None = None) -> Callable[[Call], str]:
    def arn(call: Call) -> str:
        name = call.params.get(param) if param else None
        return f"acs:ecs:{_region(call)}:{call.caller.account_uid}:{kind}/{name or '*'}"

    return arn


def _kms_key(call: Call) -> str:
    key = call.params.get("KeyId") or "*"
    if key.startswith("acs:kms:"):
        return key
    region, uid = _region(call), call.caller.account_uid
    if key.startswith("alias/"):
        with call.cloud.lock:
            found = next(
                (k for k in call.cloud.keys.values() if k.owner == uid and k.region == region and key in k.aliases),
                None,
            )
        key = found.id if found is not None else key
    return f"acs:kms:{region}:{uid}:key/{key}"


def _ram(kind: str, param: str) -> Callable[[Call], str]:
    # RAM ARNs have no region: `acs:ram:*:<uid>:role/<name>` (RAM API reference, "Authorization").
    def arn(call: Call) -> str:
        return f"acs:ram:*:{call.caller.account_uid}:{kind}/{call.params.get(param) or '*'}"

    return arn


def _ram_policy(call: Call) -> str:
    # A system policy is owned by `system`: `acs:ram:*:system:policy/<name>` (RAM AttachPolicyToRole,
    # "Required permissions": "acs:ram:*:${AccountId} or system:policy/${PolicyName}").
    owner = "system" if call.params.get("PolicyType") == "System" else call.caller.account_uid
    return f"acs:ram:*:{owner}:policy/{call.params.get('PolicyName') or '*'}"


def _share(param: str | None) -> Callable[[Call], str]:
    def arn(call: Call) -> str:
        share = (call.params.get(param) if param else None) or "*"
        return f"acs:resourcesharing:{_region(call)}:{call.caller.account_uid}:resourceshare/{share}"

    return arn


def _rm(kind: str, param: str) -> Callable[[Call], str]:
    def arn(call: Call) -> str:
        return f"acs:resourcemanager::{call.caller.account_uid}:{kind}/{call.params.get(param) or '*'}"

    return arn


def _role_arn(call: Call) -> str:
    return call.params.get("RoleArn") or "*"


_ECS: dict[str, PopRule] = {
    "DescribeRegions": _all("ecs:DescribeRegions"),
    "DescribeImages": _on("ecs:DescribeImages", _ecs("image")),
    "DescribeSnapshots": _on("ecs:DescribeSnapshots", _ecs("snapshot")),
    "DescribeImageSharePermission": _on("ecs:DescribeImageSharePermission", _ecs("image", "ImageId")),
    "ModifyImageSharePermission": _on("ecs:ModifyImageSharePermission", _ecs("image", "ImageId")),
}
_KMS: dict[str, PopRule] = {
    "DescribeKey": _on("kms:DescribeKey", _kms_key),
    "ListAliasesByKeyId": _on("kms:ListAliasesByKeyId", _kms_key),
    "ListAliases": _all("kms:ListAliases"),
    "ListKeys": _all("kms:ListKeys"),
}
_ROLE, _POLICY = _ram("role", "RoleName"), _ram_policy
_RAM: dict[str, PopRule] = {
    **{a: _on(f"ram:{a}", _ROLE) for a in ("CreateRole", "GetRole", "UpdateRole", "DeleteRole", "ListPoliciesForRole")},
    "ListRoles": _on("ram:ListRoles", _ram("role", "-")),
    **{
        a: _on(f"ram:{a}", _POLICY)
        for a in (
            "CreatePolicy",
            "GetPolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "GetPolicyVersion",
            "ListPolicyVersions",
            "DeletePolicyVersion",
            "SetDefaultPolicyVersion",
        )
    },
    "AttachPolicyToRole": _on("ram:AttachPolicyToRole", _ROLE, _POLICY),
    "DetachPolicyFromRole": _on("ram:DetachPolicyFromRole", _ROLE, _POLICY),
}
_STS: dict[str, PopRule] = {
    "AssumeRole": _on("sts:AssumeRole", _role_arn),
    "GetCallerIdentity": lambda call: None,  # needs no permission (STS GetCallerIdentity reference)
}
_RESOURCE_SHARING: dict[str, PopRule] = {
    "CreateResourceShare": _on("resourcesharing:CreateResourceShare", _share(None)),
    **{
        a: _on(f"resourcesharing:{a}", _share("ResourceShareId"))
        for a in ("AssociateResourceShare", "DisassociateResourceShare", "DeleteResourceShare")
    },
    "ListResourceShares": _on("resourcesharing:ListResourceShares", _share(None)),
    "ListResourceShareAssociations": _on("resourcesharing:ListResourceShareAssociations", _share(None)),
}
_RESOURCE_MANAGER: dict[str, PopRule] = {
    "GetResourceDirectory": _all("resourcemanager:GetResourceDirectory"),
    "ListAccounts": _all("resourcemanager:ListAccounts"),
    "GetAccount": _on("resourcemanager:GetAccount", _rm("account", "AccountId")),
    "GetFolder": _on("resourcemanager:GetFolder", _rm("folder", "FolderId")),
    "ListFoldersForParent": _on("resourcemanager:ListFoldersForParent", _rm("folder", "ParentFolderId")),
    "ListAccountsForParent": _on("resourcemanager:ListAccountsForParent", _rm("folder", "ParentFolderId")),
}

# ActionTrail (what `sharetrust doctor` reads): no resource-level authorization, All Resources (ActionTrail
# API pages, "Authorization information", e.g. GetTrailStatus).
_ACTIONTRAIL: dict[str, PopRule] = {
    "DescribeTrails": _all("actiontrail:DescribeTrails"),
    "GetTrailStatus": _all("actiontrail:GetTrailStatus"),
}

# (POP product name, action) -> what the call needs. Products add their table here.
POP_PERMISSIONS: dict[tuple[str, str], PopRule] = {
    (product, action): rule
    for product, table in (
        ("Ecs", _ECS),
        ("Kms", _KMS),
        ("Ram", _RAM),
        ("Sts", _STS),
        ("ResourceSharing", _RESOURCE_SHARING),
        ("ResourceManager", _RESOURCE_MANAGER),
        ("Actiontrail", _ACTIONTRAIL),
    )
    for action, rule in table.items()
}


def pop_permission(call: Call) -> Permission | None:
    """What a POP call needs; an action no table names needs `<code>:<Action>` on `*`."""
    rule = POP_PERMISSIONS.get((call.product.name, call.action))
    if rule is None:
        return Permission(f"{call.product.code}:{call.action}", ("*",))
    return rule(call)


def authorize_pop(call: Call) -> None:
    needed = pop_permission(call)
    if needed is not None:
        enforce(call.cloud, call.caller, needed, pop_denial(call.product.name), request_context(call.source_ip))
