"""RAM 2015-05-01: roles, custom policies and their versions, and role policy attachments.

Limits and error codes follow alibaba-apis.md §5; every lookup is scoped to the calling account.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Literal

from localcloud import paging
from localcloud import policy as policy_lang
from localcloud.errors import bad_request, conflict, invalid, not_found
from localcloud.params import Params
from localcloud.rpc import Call, operation
from localcloud.state import Attachment, Policy, PolicyVersion, RamAccount, Role, now_iso

VERSION = "2015-05-01"

ROLE_NAME_MAX = 64
POLICY_NAME_MAX = 128
DESCRIPTION_MAX = 1024
# Custom policy documents, counted in UTF-8 bytes (the SDK says "characters" for CreatePolicy and
# "bytes" for CreatePolicyVersion; bytes is the stricter reading).
POLICY_DOCUMENT_MAX_BYTES = 6144
# UNCONFIRMED: the real trust-policy cap is undocumented (only the error code is known); 4096 chars chosen.
TRUST_POLICY_MAX_CHARS = 4096
MAX_POLICY_VERSIONS = 5
MAX_ROLES_PER_ACCOUNT = 1000
# System policies attachable to one role; custom ones are `settings.ram_custom_policies_per_role` (a quota).
MAX_SYSTEM_ATTACHED = 20
SESSION_MIN, SESSION_MAX = 3600, 43200
ROTATE_STRATEGIES = ("None", "DeleteOldestNonDefaultVersionWhenLimitExceeded")

_ROLE_NAME = re.compile(r"^[A-Za-z0-9.-]+$")
_POLICY_NAME = re.compile(r"^[A-Za-z0-9-]+$")

PolicyType = Literal["Custom", "System"]


# ---------------------------------------------------------------- parameter checks


def _name(params: Params, param: str, kind: str, pattern: re.Pattern[str], limit: int) -> str:
    value = params.require(param)
    if len(value) > limit:
        raise bad_request(
            f"InvalidParameter.{kind}.Length",
            f'The parameter - "{kind}" beyond the length limit. It must be 1 to {limit} characters in length.',
        )
    if not pattern.match(value):
        raise bad_request(f"InvalidParameter.{kind}.InvalidChars", f'The parameter - "{kind}" contains invalid chars.')
    return value


def _role_name(params: Params) -> str:
    return _name(params, "RoleName", "RoleName", _ROLE_NAME, ROLE_NAME_MAX)


def _policy_name(params: Params) -> str:
    return _name(params, "PolicyName", "PolicyName", _POLICY_NAME, POLICY_NAME_MAX)


def _policy_type(params: Params) -> PolicyType:
    value = params.require("PolicyType")
    if value not in ("System", "Custom"):
        # UNCONFIRMED code for a bad PolicyType; the project's InvalidParameter.<Name> form is used.
        raise invalid("PolicyType", f"{value!r} is not System or Custom")
    return "System" if value == "System" else "Custom"


def _description(params: Params, param: str) -> str | None:
    value = params.get(param)
    if value is not None and len(value) > DESCRIPTION_MAX:
        raise bad_request(
            f"InvalidParameter.{param}.Length", f"The parameter {param} must be 1 to {DESCRIPTION_MAX} characters."
        )
    return value


def _trust_document(params: Params, param: str) -> str:
    text = params.require(param)
    if len(text) > TRUST_POLICY_MAX_CHARS:
        raise bad_request(
            f"InvalidParameter.{param}.Length",
            f"The parameter {param} is longer than {TRUST_POLICY_MAX_CHARS} characters.",
        )
    policy_lang.validate(text, "trust")
    return text


def _permission_document(params: Params) -> str:
    text = params.require("PolicyDocument")
    if len(text.encode("utf-8")) > POLICY_DOCUMENT_MAX_BYTES:
        raise bad_request(
            "InvalidParameter.PolicyDocument.Length",
            f"The parameter PolicyDocument is longer than {POLICY_DOCUMENT_MAX_BYTES} bytes.",
        )
    policy_lang.validate(text, "permission")
    return text


# ---------------------------------------------------------------- lookups


def _ram(call: Call) -> RamAccount:
    return call.cloud.ram_of(call.caller.account_uid)


def _role(call: Call, name: str) -> Role:
    role = _ram(call).roles.get(name.lower())
    if role is None:
        raise not_found("EntityNotExist.Role", f"The role does not exist: {name}.")
    return role


def _policy(call: Call, name: str, kind: PolicyType) -> Policy:
    found = call.cloud.system_policies.get(name) if kind == "System" else _ram(call).policies.get(name)
    if found is None:
        raise not_found("EntityNotExist.Policy", f"The policy does not exist: {name}.")
    return found


def _version(policy: Policy, version_id: str) -> PolicyVersion:
    for version in policy.versions:
        if version.id == version_id:
            return version
    raise not_found("EntityNotExist.Policy.Version", f"The policy version does not exist: {version_id}.")


# ---------------------------------------------------------------- response shapes


def _role_body(role: Role, *, with_document: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "RoleId": role.id,
        "RoleName": role.name,
        "Arn": role.arn,
        "Description": role.description,
        "MaxSessionDuration": role.max_session_duration,
        "CreateDate": role.created,
        "UpdateDate": role.updated,
    }
    if with_document:
        body["AssumeRolePolicyDocument"] = role.trust_policy
    return body


def _version_body(version: PolicyVersion) -> dict[str, Any]:
    return {
        "VersionId": version.id,
        "PolicyDocument": version.document,
        "IsDefaultVersion": version.is_default,
        "CreateDate": version.created,
    }


def _attachment_count(call: Call, policy: Policy) -> int:
    return sum(
        1
        for attached in _ram(call).attachments.values()
        for a in attached
        if a.policy_type == policy.type and a.policy_name == policy.name
    )


# ---------------------------------------------------------------- roles


@operation(VERSION, "CreateRole", write=True)
def create_role(call: Call) -> dict[str, Any]:
    p = call.params
    name = _role_name(p)
    document = _trust_document(p, "AssumeRolePolicyDocument")
    description = _description(p, "Description") or ""
    duration = p.int("MaxSessionDuration", SESSION_MIN, SESSION_MIN, SESSION_MAX)
    p.bool("AllowConsoleLogin")
    ram = _ram(call)
    if name.lower() in ram.roles:
        raise conflict("EntityAlreadyExists.Role", "The role does already EXIST.")
    if len(ram.roles) >= MAX_ROLES_PER_ACCOUNT:
        raise conflict("LimitExceeded.Role", f"An account may have at most {MAX_ROLES_PER_ACCOUNT} roles.")
    role = Role(name, f"3{secrets.randbelow(10**17):017d}", call.caller.account_uid, document, description, duration)
    ram.roles[name.lower()] = role
    return {"Role": _role_body(role)}


@operation(VERSION, "GetRole", write=False)
def get_role(call: Call) -> dict[str, Any]:
    role = _role(call, _role_name(call.params))
    return {
        "Role": {
            **_role_body(role),
            "IsServiceLinkedRole": False,
            "RolePrincipalName": f"{role.name}@role.{role.account_uid}.onaliyunservice.com",
        }
    }


@operation(VERSION, "UpdateRole", write=True)
def update_role(call: Call) -> dict[str, Any]:
    p = call.params
    role = _role(call, _role_name(p))
    document = _trust_document(p, "NewAssumeRolePolicyDocument") if p.get("NewAssumeRolePolicyDocument") else None
    description = _description(p, "NewDescription")
    duration = p.int("NewMaxSessionDuration", role.max_session_duration, SESSION_MIN, SESSION_MAX)
    p.bool("NewAllowConsoleLogin")
    if document is not None:
        role.trust_policy = document  # the whole document is replaced, never merged
    if description is not None:
        role.description = description
    role.max_session_duration = duration
    role.updated = now_iso()
    return {"Role": _role_body(role)}


@operation(VERSION, "DeleteRole", write=True)
def delete_role(call: Call) -> dict[str, Any]:
    role = _role(call, _role_name(call.params))
    ram = _ram(call)
    if ram.attachments.get(role.name.lower()):
        # DeleteRole's documented 409 (RAM API reference, DeleteRole "Error codes", Jul 2025).
        raise conflict("DeleteConflict.Role.Policy", "The role can not be deleted while it has attached policies.")
    del ram.roles[role.name.lower()]
    ram.attachments.pop(role.name.lower(), None)
    return {}


@operation(VERSION, "ListRoles", write=False)
def list_roles(call: Call) -> dict[str, Any]:
    page = paging.by_marker(call.params, list(_ram(call).roles.values()))
    return {**page.fields(), "Roles": {"Role": [_role_body(r, with_document=False) for r in page.items]}}


# ---------------------------------------------------------------- policies


@operation(VERSION, "CreatePolicy", write=True)
def create_policy(call: Call) -> dict[str, Any]:
    p = call.params
    name = _policy_name(p)
    document = _permission_document(p)
    description = _description(p, "Description") or ""
    ram = _ram(call)
    if name in ram.policies:
        raise conflict("EntityAlreadyExists.Policy", f"The policy already exists: {name}.")
    policy = Policy(name, "Custom", description, [PolicyVersion("v1", document, True)], 2)
    ram.policies[name] = policy
    return {
        "Policy": {
            "PolicyName": policy.name,
            "PolicyType": policy.type,
            "Description": policy.description,
            "DefaultVersion": "v1",
            "CreateDate": policy.created,
        }
    }


@operation(VERSION, "GetPolicy", write=False)
def get_policy(call: Call) -> dict[str, Any]:
    p = call.params
    name = _policy_name(p)
    policy = _policy(call, name, _policy_type(p))
    default = policy.default_version
    return {
        "Policy": {
            "PolicyName": policy.name,
            "PolicyType": policy.type,
            "Description": policy.description,
            "DefaultVersion": default.id,
            "PolicyDocument": default.document,  # deprecated by RAM; DefaultPolicyVersion is authoritative
            "CreateDate": policy.created,
            "UpdateDate": policy.updated,
            "AttachmentCount": _attachment_count(call, policy),
        },
        "DefaultPolicyVersion": _version_body(default),
    }


@operation(VERSION, "DeletePolicy", write=True)
def delete_policy(call: Call) -> dict[str, Any]:
    p = call.params
    policy = _policy(call, _policy_name(p), "Custom")
    cascade = p.bool("CascadingDelete")
    if _attachment_count(call, policy):
        # DeletePolicy's documented conflicts (RAM API reference, DeletePolicy "Error codes"; the same table in
        # ResourceManager's DeletePolicy) are 409 DeleteConflict.Policy.User, .Group and .Version: none names
        # roles. UNCONFIRMED which one production gives for a policy attached only to a role (the emulator
        # attaches policies to roles only); DeleteConflict.Policy.User is the documented code for "still
        # attached" and one Terraform's alicloud provider retries DeletePolicy on. DeleteConflict.Role.Policy
        # is DeleteRole's code (its own "Error codes" table), not DeletePolicy's.
        raise conflict("DeleteConflict.Policy.User", "The policy must not be attached to any user, group or role.")
    if len(policy.versions) > 1 and not cascade:
        raise conflict(
            "DeleteConflict.Policy.Version", "You must delete all non-default versions before deleting the policy."
        )
    del _ram(call).policies[policy.name]
    return {}


@operation(VERSION, "CreatePolicyVersion", write=True)
def create_policy_version(call: Call) -> dict[str, Any]:
    p = call.params
    policy = _policy(call, _policy_name(p), "Custom")
    document = _permission_document(p)
    set_default = p.bool("SetAsDefault")
    strategy = p.get("RotateStrategy", "None")
    if strategy not in ROTATE_STRATEGIES:
        raise invalid("RotateStrategy", f"{strategy!r} is not one of {', '.join(ROTATE_STRATEGIES)}")
    if len(policy.versions) >= MAX_POLICY_VERSIONS:
        if strategy == "None":
            raise conflict(
                "LimitExceeded.Policy.Version",
                f"Exceeded the maximum number of versions ({MAX_POLICY_VERSIONS}) of a policy.",
            )
        oldest = next(v for v in policy.versions if not v.is_default)  # versions are kept oldest first
        policy.versions.remove(oldest)
    version = PolicyVersion(f"v{policy.next_version}", document, False)
    policy.next_version += 1
    if set_default:
        for existing in policy.versions:
            existing.is_default = False
        version.is_default = True
    policy.versions.append(version)
    policy.updated = now_iso()
    return {"PolicyVersion": _version_body(version)}


@operation(VERSION, "GetPolicyVersion", write=False)
def get_policy_version(call: Call) -> dict[str, Any]:
    p = call.params
    name = _policy_name(p)
    policy = _policy(call, name, _policy_type(p))
    return {"PolicyVersion": _version_body(_version(policy, p.require("VersionId")))}


@operation(VERSION, "ListPolicyVersions", write=False)
def list_policy_versions(call: Call) -> dict[str, Any]:
    p = call.params
    name = _policy_name(p)
    policy = _policy(call, name, _policy_type(p))
    return {"PolicyVersions": {"PolicyVersion": [_version_body(v) for v in policy.versions]}}


@operation(VERSION, "DeletePolicyVersion", write=True)
def delete_policy_version(call: Call) -> dict[str, Any]:
    p = call.params
    policy = _policy(call, _policy_name(p), "Custom")
    version = _version(policy, p.require("VersionId"))
    if version.is_default:
        raise conflict("DeleteConflict.Policy.Version.Default", "The default version of a policy can not be deleted.")
    policy.versions.remove(version)
    policy.updated = now_iso()
    return {}


@operation(VERSION, "SetDefaultPolicyVersion", write=True)
def set_default_policy_version(call: Call) -> dict[str, Any]:
    p = call.params
    policy = _policy(call, _policy_name(p), "Custom")
    chosen = _version(policy, p.require("VersionId"))
    for version in policy.versions:
        version.is_default = version is chosen
    policy.updated = now_iso()
    return {}


# ---------------------------------------------------------------- attachments


@operation(VERSION, "AttachPolicyToRole", write=True)
def attach_policy_to_role(call: Call) -> dict[str, Any]:
    p = call.params
    kind = _policy_type(p)
    policy_name = _policy_name(p)
    role = _role(call, _role_name(p))
    policy = _policy(call, policy_name, kind)
    attached = _ram(call).attachments.setdefault(role.name.lower(), [])
    if any(a.policy_type == kind and a.policy_name == policy.name for a in attached):
        # UNCONFIRMED status: 409 inferred from the other EntityAlreadyExists codes.
        raise conflict("EntityAlreadyExists.Role.Policy", "The policy is already attached to the role.")
    limit = MAX_SYSTEM_ATTACHED if kind == "System" else call.cloud.settings.ram_custom_policies_per_role
    if sum(1 for a in attached if a.policy_type == kind) >= limit:
        raise conflict("LimitExceeded.Role.Policy", f"A role may have at most {limit} {kind} policies attached.")
    attached.append(Attachment(kind, policy.name))
    return {}


@operation(VERSION, "DetachPolicyFromRole", write=True)
def detach_policy_from_role(call: Call) -> dict[str, Any]:
    p = call.params
    kind = _policy_type(p)
    policy_name = _policy_name(p)
    role = _role(call, _role_name(p))
    policy = _policy(call, policy_name, kind)
    attached = _ram(call).attachments.get(role.name.lower(), [])
    for attachment in attached:
        if attachment.policy_type == kind and attachment.policy_name == policy.name:
            attached.remove(attachment)
            return {}
    # UNCONFIRMED status: 404 like the other EntityNotExist codes.
    raise not_found("EntityNotExist.Role.Policy", "The policy is not attached to the role.")


@operation(VERSION, "ListPoliciesForRole", write=False)
def list_policies_for_role(call: Call) -> dict[str, Any]:
    role = _role(call, _role_name(call.params))
    rows = []
    for attachment in _ram(call).attachments.get(role.name.lower(), []):
        policy = _policy(call, attachment.policy_name, attachment.policy_type)
        rows.append(
            {
                "PolicyName": policy.name,
                "PolicyType": policy.type,
                "DefaultVersion": policy.default_version.id,
                "Description": policy.description,
                "AttachDate": attachment.attached,
            }
        )
    return {"Policies": {"Policy": rows}}
