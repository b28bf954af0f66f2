"""RAM 2015-05-01 through the official SDK: roles, custom policies, versions and attachments."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from Tea.exceptions import TeaException

from localcloud import LocalCloud
from localcloud.services.ram import POLICY_DOCUMENT_MAX_BYTES, TRUST_POLICY_MAX_CHARS
from localcloud.state import Policy, PolicyVersion
from tests.localcloud.conftest import SHAREE, SHARER, config, start
from tests.localcloud.conftest import fails as fails_with

ROLE = "AliyunECSShareEncryptImageDefaultRole"


def trust(*uids: str) -> str:
    principals = [f"{uid}@ecs.aliyuncs.com" for uid in uids] or ["*@ecs.aliyuncs.com"]
    return json.dumps(
        {
            "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": principals}}],
            "Version": "1",
        }
    )


def permission(resource: str = "acs:kms:cn-hangzhou:1111111111111111:key/key-1") -> str:
    return json.dumps(
        {
            "Version": "1",
            "Statement": [{"Action": ["kms:DescribeKey", "kms:Decrypt"], "Resource": resource, "Effect": "Allow"}],
        }
    )


def padded(document: str, length: int) -> str:
    """The same JSON document padded with whitespace to exactly `length` characters."""
    assert len(document) <= length
    return document[:-1] + " " * (length - len(document)) + document[-1]


def ram(lc: LocalCloud, uid: str = SHARER, *, v1: bool = False) -> RamClient:
    return RamClient(config(lc, uid, v1=v1))


def fails(code: str, status: int, call: Callable[[], object]) -> TeaException:
    error = fails_with(code, status, call)
    assert error.data["HostId"] == "ram.aliyuncs.com"  # RAM's error bodies carry HostId
    return error


def create_role(client: RamClient, name: str = ROLE, document: str | None = None, **extra: Any) -> Any:
    request = ram_models.CreateRoleRequest(
        role_name=name, assume_role_policy_document=document or trust(SHAREE), **extra
    )
    return client.create_role(request).body.role


def create_policy(client: RamClient, name: str = "share-key", document: str | None = None) -> Any:
    request = ram_models.CreatePolicyRequest(policy_name=name, policy_document=document or permission())
    return client.create_policy(request).body.policy


def new_version(client: RamClient, name: str, resource: str, default: bool = False, rotate: bool = False) -> Any:
    request = ram_models.CreatePolicyVersionRequest(
        policy_name=name,
        policy_document=permission(resource),
        set_as_default=default,
        rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded" if rotate else None,
    )
    return client.create_policy_version(request).body.policy_version


# ---------------------------------------------------------------- roles


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_role_lifecycle(lc: LocalCloud, v1: bool) -> None:
    client = ram(lc, v1=v1)
    document = trust(SHAREE)
    created = create_role(client, document=document, description="share role", max_session_duration=7200)
    assert created.role_name == ROLE
    assert created.arn == f"acs:ram::{SHARER}:role/{ROLE.lower()}"
    assert created.role_id.isdigit()
    assert (created.description, created.max_session_duration) == ("share role", 7200)
    assert created.assume_role_policy_document == document

    got = client.get_role(ram_models.GetRoleRequest(role_name=ROLE.lower())).body.role
    assert isinstance(got.assume_role_policy_document, str)
    assert got.assume_role_policy_document == document  # the string exactly as stored
    assert (got.role_id, got.arn, got.create_date) == (created.role_id, created.arn, created.create_date)
    assert got.is_service_linked_role is False
    assert lc.requests.entries()[-1].signing == ("V1" if v1 else "ACS3")

    listed = client.list_roles(ram_models.ListRolesRequest()).body
    assert [r.role_name for r in listed.roles.role] == [ROLE]
    assert listed.is_truncated is False

    with lc.cloud.lock:
        lc.cloud.ram[SHARER].roles[ROLE.lower()].updated = "2020-01-01T00:00:00Z"
    replacement = trust("3333333333333333")
    updated = client.update_role(
        ram_models.UpdateRoleRequest(
            role_name=ROLE,
            new_assume_role_policy_document=replacement,
            new_description="new",
            new_max_session_duration=43200,
        )
    ).body.role
    assert updated.assume_role_policy_document == replacement  # replaced, not merged
    assert (updated.description, updated.max_session_duration) == ("new", 43200)
    assert updated.update_date != "2020-01-01T00:00:00Z"
    assert client.get_role(ram_models.GetRoleRequest(role_name=ROLE)).body.role.assume_role_policy_document == (
        replacement
    )

    client.delete_role(ram_models.DeleteRoleRequest(role_name=ROLE))
    fails("EntityNotExist.Role", 404, lambda: client.get_role(ram_models.GetRoleRequest(role_name=ROLE)))
    fails("EntityNotExist.Role", 404, lambda: client.delete_role(ram_models.DeleteRoleRequest(role_name=ROLE)))


def test_roles_belong_to_their_account(lc: LocalCloud) -> None:
    create_role(ram(lc))
    fails("EntityNotExist.Role", 404, lambda: ram(lc, SHAREE).get_role(ram_models.GetRoleRequest(role_name=ROLE)))
    assert ram(lc, SHAREE).list_roles(ram_models.ListRolesRequest()).body.roles.role == []


def test_create_role_errors(lc: LocalCloud) -> None:
    client = ram(lc)
    create_role(client)
    fails("EntityAlreadyExists.Role", 409, lambda: create_role(client, ROLE.upper()))
    fails("InvalidParameter.RoleName.InvalidChars", 400, lambda: create_role(client, "bad_name"))
    fails("InvalidParameter.RoleName.InvalidChars", 400, lambda: create_role(client, "bad name"))
    fails("InvalidParameter.RoleName.Length", 400, lambda: create_role(client, "r" * 65))
    create_role(client, "r." + "r" * 62)  # 64 characters of letters and a period is fine
    fails("MalformedPolicyDocument", 400, lambda: create_role(client, "other", "{not json"))
    fails("MalformedPolicyDocument", 400, lambda: create_role(client, "other", permission()))
    fails(
        "InvalidParameter.AssumeRolePolicyDocument.Length",
        400,
        lambda: create_role(client, "other", padded(trust(SHAREE), TRUST_POLICY_MAX_CHARS + 1)),
    )
    assert create_role(client, "other", padded(trust(SHAREE), TRUST_POLICY_MAX_CHARS)).role_name == "other"
    fails("InvalidParameter.MaxSessionDuration", 400, lambda: create_role(client, "x", max_session_duration=3599))
    fails("InvalidParameter.MaxSessionDuration", 400, lambda: create_role(client, "x", max_session_duration=43201))
    fails(
        "MissingParameter",
        400,
        lambda: client.create_role(ram_models.CreateRoleRequest(role_name="x")),
    )


def test_update_role_errors(lc: LocalCloud) -> None:
    client = ram(lc)
    document = trust(SHAREE)
    create_role(client, document=document)

    def update(**kwargs: Any) -> Any:
        return client.update_role(ram_models.UpdateRoleRequest(**kwargs))

    fails("EntityNotExist.Role", 404, lambda: update(role_name="missing", new_description="x"))
    fails("InvalidParameter.RoleName.InvalidChars", 400, lambda: update(role_name="a/b", new_description="x"))
    fails(
        "InvalidParameter.NewAssumeRolePolicyDocument.Length",
        400,
        lambda: update(role_name=ROLE, new_assume_role_policy_document=padded(document, TRUST_POLICY_MAX_CHARS + 1)),
    )
    fails("MalformedPolicyDocument", 400, lambda: update(role_name=ROLE, new_assume_role_policy_document="[]"))
    fails("InvalidParameter.NewMaxSessionDuration", 400, lambda: update(role_name=ROLE, new_max_session_duration=1))
    # A rejected update changes nothing.
    role = client.get_role(ram_models.GetRoleRequest(role_name=ROLE)).body.role
    assert (role.assume_role_policy_document, role.max_session_duration) == (document, 3600)


def test_list_roles_pages_with_a_marker(lc: LocalCloud) -> None:
    client = ram(lc)
    for name in ("a-role", "b-role", "c-role"):
        create_role(client, name)
    first = client.list_roles(ram_models.ListRolesRequest(max_items=2)).body
    assert [r.role_name for r in first.roles.role] == ["a-role", "b-role"]
    assert first.is_truncated is True and first.marker
    rest = client.list_roles(ram_models.ListRolesRequest(max_items=2, marker=first.marker)).body
    assert [r.role_name for r in rest.roles.role] == ["c-role"]
    assert rest.is_truncated is False and rest.marker is None
    assert rest.roles.role[0].arn == f"acs:ram::{SHARER}:role/c-role"
    fails("InvalidParameter.MaxItems", 400, lambda: client.list_roles(ram_models.ListRolesRequest(max_items=1001)))


# ---------------------------------------------------------------- policies


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_policy_lifecycle(lc: LocalCloud, v1: bool) -> None:
    client = ram(lc, v1=v1)
    document = permission()
    created = create_policy(client, document=document)
    assert (created.policy_name, created.policy_type, created.default_version) == ("share-key", "Custom", "v1")

    got = client.get_policy(ram_models.GetPolicyRequest(policy_name="share-key", policy_type="Custom")).body
    assert got.policy.default_version == "v1"
    assert got.policy.attachment_count == 0
    assert (got.default_policy_version.version_id, got.default_policy_version.is_default_version) == ("v1", True)
    assert got.default_policy_version.policy_document == document

    with lc.cloud.lock:
        lc.cloud.ram[SHARER].policies["share-key"].updated = "2020-01-01T00:00:00Z"
    v2 = new_version(client, "share-key", "acs:kms:cn-hangzhou:1111111111111111:key/key-2", default=True)
    assert (v2.version_id, v2.is_default_version) == ("v2", True)
    got = client.get_policy(ram_models.GetPolicyRequest(policy_name="share-key", policy_type="Custom")).body
    assert got.default_policy_version.version_id == "v2"
    assert "key-2" in got.default_policy_version.policy_document
    assert got.policy.update_date != "2020-01-01T00:00:00Z"

    versions = client.list_policy_versions(
        ram_models.ListPolicyVersionsRequest(policy_name="share-key", policy_type="Custom")
    ).body.policy_versions.policy_version
    assert [(v.version_id, v.is_default_version) for v in versions] == [("v1", False), ("v2", True)]
    v1_doc = client.get_policy_version(
        ram_models.GetPolicyVersionRequest(policy_name="share-key", policy_type="Custom", version_id="v1")
    ).body.policy_version
    assert (v1_doc.policy_document, v1_doc.is_default_version) == (document, False)

    client.set_default_policy_version(
        ram_models.SetDefaultPolicyVersionRequest(policy_name="share-key", version_id="v1")
    )
    got = client.get_policy(ram_models.GetPolicyRequest(policy_name="share-key", policy_type="Custom")).body
    assert got.default_policy_version.version_id == "v1"
    client.delete_policy_version(ram_models.DeletePolicyVersionRequest(policy_name="share-key", version_id="v2"))
    client.delete_policy(ram_models.DeletePolicyRequest(policy_name="share-key"))
    fails(
        "EntityNotExist.Policy",
        404,
        lambda: client.get_policy(ram_models.GetPolicyRequest(policy_name="share-key", policy_type="Custom")),
    )


def test_system_policies(lc: LocalCloud) -> None:
    client = ram(lc)
    got = client.get_policy(ram_models.GetPolicyRequest(policy_name="AliyunKMSFullAccess", policy_type="System")).body
    assert (got.policy.policy_type, got.default_policy_version.version_id) == ("System", "v1")
    assert json.loads(got.default_policy_version.policy_document)["Statement"][0]["Action"] == "kms:*"
    fails(
        "EntityNotExist.Policy",
        404,
        lambda: client.get_policy(ram_models.GetPolicyRequest(policy_name="AliyunKMSFullAccess", policy_type="Custom")),
    )
    listed = client.list_policy_versions(
        ram_models.ListPolicyVersionsRequest(policy_name="AliyunKMSFullAccess", policy_type="System")
    ).body.policy_versions.policy_version
    assert [v.version_id for v in listed] == ["v1"]
    fails(
        "InvalidParameter.PolicyType",
        400,
        lambda: client.get_policy(ram_models.GetPolicyRequest(policy_name="AliyunKMSFullAccess", policy_type="Sys")),
    )


def test_create_policy_errors(lc: LocalCloud) -> None:
    client = ram(lc)
    create_policy(client)
    fails("EntityAlreadyExists.Policy", 409, lambda: create_policy(client))
    fails("InvalidParameter.PolicyName.InvalidChars", 400, lambda: create_policy(client, "share.key"))
    fails("InvalidParameter.PolicyName.Length", 400, lambda: create_policy(client, "p" * 129))
    assert create_policy(client, "p" * 128).policy_name == "p" * 128
    fails("MalformedPolicyDocument", 400, lambda: create_policy(client, "other", trust(SHAREE)))
    fails("MalformedPolicyDocument", 400, lambda: create_policy(client, "other", '{"Version":"1"}'))


def test_policy_document_limit_counts_utf8_bytes(lc: LocalCloud) -> None:
    client = ram(lc)

    # A description-like Sid of multi-byte characters: fewer characters than the limit, more bytes.
    def with_sid(sid: str) -> str:
        return json.dumps(
            {
                "Version": "1",
                "Statement": [{"Sid": sid, "Action": "kms:Decrypt", "Resource": "*", "Effect": "Allow"}],
            },
            ensure_ascii=False,
        )

    base = len(with_sid("").encode())
    exact = with_sid("a" * (POLICY_DOCUMENT_MAX_BYTES - base))
    assert len(exact.encode()) == POLICY_DOCUMENT_MAX_BYTES
    create_policy(client, "exact", exact)
    wide = with_sid("鍵" * ((POLICY_DOCUMENT_MAX_BYTES - base) // 3 + 1))
    assert len(wide) < POLICY_DOCUMENT_MAX_BYTES < len(wide.encode())
    fails("InvalidParameter.PolicyDocument.Length", 400, lambda: create_policy(client, "wide", wide))
    fails(
        "InvalidParameter.PolicyDocument.Length",
        400,
        lambda: client.create_policy_version(
            ram_models.CreatePolicyVersionRequest(policy_name="exact", policy_document=wide)
        ),
    )


def test_version_limit_and_rotation(lc: LocalCloud) -> None:
    client = ram(lc)
    create_policy(client, "p")
    for n in range(2, 6):
        new_version(client, "p", f"acs:kms:*:*:key/k{n}")

    def ids() -> list[str]:
        body = client.list_policy_versions(ram_models.ListPolicyVersionsRequest(policy_name="p", policy_type="Custom"))
        return [v.version_id for v in body.body.policy_versions.policy_version]

    assert ids() == ["v1", "v2", "v3", "v4", "v5"]
    fails("LimitExceeded.Policy.Version", 409, lambda: new_version(client, "p", "acs:kms:*:*:key/k6"))
    # v1 is the default, so the oldest non-default version (v2) makes room.
    rotated = new_version(client, "p", "acs:kms:*:*:key/k6", default=True, rotate=True)
    assert (rotated.version_id, rotated.is_default_version) == ("v6", True)
    assert ids() == ["v1", "v3", "v4", "v5", "v6"]
    new_version(client, "p", "acs:kms:*:*:key/k7", rotate=True)
    assert ids() == ["v3", "v4", "v5", "v6", "v7"]
    fails(
        "InvalidParameter.RotateStrategy",
        400,
        lambda: client.create_policy_version(
            ram_models.CreatePolicyVersionRequest(
                policy_name="p", policy_document=permission(), rotate_strategy="Oldest"
            )
        ),
    )
    fails(
        "EntityNotExist.Policy",
        404,
        lambda: new_version(client, "missing", "acs:kms:*:*:key/k"),
    )


def test_version_errors(lc: LocalCloud) -> None:
    client = ram(lc)
    create_policy(client, "p")
    fails(
        "DeleteConflict.Policy.Version.Default",
        409,
        lambda: client.delete_policy_version(ram_models.DeletePolicyVersionRequest(policy_name="p", version_id="v1")),
    )
    fails(
        "EntityNotExist.Policy.Version",
        404,
        lambda: client.get_policy_version(
            ram_models.GetPolicyVersionRequest(policy_name="p", policy_type="Custom", version_id="v9")
        ),
    )
    fails(
        "EntityNotExist.Policy.Version",
        404,
        lambda: client.set_default_policy_version(
            ram_models.SetDefaultPolicyVersionRequest(policy_name="p", version_id="v9")
        ),
    )
    fails(
        "EntityNotExist.Policy.Version",
        404,
        lambda: client.delete_policy_version(ram_models.DeletePolicyVersionRequest(policy_name="p", version_id="v9")),
    )
    fails(
        "EntityNotExist.Policy",
        404,
        lambda: client.delete_policy(ram_models.DeletePolicyRequest(policy_name="missing")),
    )


def test_delete_policy_conflicts(lc: LocalCloud) -> None:
    client = ram(lc)
    create_policy(client, "p")
    new_version(client, "p", "acs:kms:*:*:key/k2")
    fails(
        "DeleteConflict.Policy.Version",
        409,
        lambda: client.delete_policy(ram_models.DeletePolicyRequest(policy_name="p")),
    )
    create_role(client)
    client.attach_policy_to_role(
        ram_models.AttachPolicyToRoleRequest(policy_type="Custom", policy_name="p", role_name=ROLE)
    )
    # DeletePolicy's own conflict code (DeleteConflict.Role.Policy is DeleteRole's, asserted below).
    fails(
        "DeleteConflict.Policy.User",
        409,
        lambda: client.delete_policy(ram_models.DeletePolicyRequest(policy_name="p", cascading_delete=True)),
    )
    fails("DeleteConflict.Role.Policy", 409, lambda: client.delete_role(ram_models.DeleteRoleRequest(role_name=ROLE)))
    client.detach_policy_from_role(
        ram_models.DetachPolicyFromRoleRequest(policy_type="Custom", policy_name="p", role_name=ROLE)
    )
    client.delete_policy(ram_models.DeletePolicyRequest(policy_name="p", cascading_delete=True))
    assert "p" not in lc.cloud.ram[SHARER].policies


# ---------------------------------------------------------------- attachments


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_attach_list_detach(lc: LocalCloud, v1: bool) -> None:
    client = ram(lc, v1=v1)
    create_role(client)
    create_policy(client, "share-key")
    new_version(client, "share-key", "acs:kms:*:*:key/k2", default=True)

    def attach(kind: str, name: str, role: str = ROLE) -> None:
        client.attach_policy_to_role(
            ram_models.AttachPolicyToRoleRequest(policy_type=kind, policy_name=name, role_name=role)
        )

    def detach(kind: str, name: str, role: str = ROLE) -> None:
        client.detach_policy_from_role(
            ram_models.DetachPolicyFromRoleRequest(policy_type=kind, policy_name=name, role_name=role)
        )

    def listed() -> list[tuple[str, str, str, str]]:
        body = client.list_policies_for_role(ram_models.ListPoliciesForRoleRequest(role_name=ROLE)).body
        return [(p.policy_name, p.policy_type, p.default_version, p.description) for p in body.policies.policy]

    attach("Custom", "share-key")
    attach("System", "AliyunKMSFullAccess")
    assert listed() == [
        ("share-key", "Custom", "v2", ""),
        ("AliyunKMSFullAccess", "System", "v1", "System policy AliyunKMSFullAccess"),
    ]
    rows = client.list_policies_for_role(ram_models.ListPoliciesForRoleRequest(role_name=ROLE)).body.policies.policy
    assert all(r.attach_date and r.attach_date.endswith("Z") for r in rows)
    got = client.get_policy(ram_models.GetPolicyRequest(policy_name="share-key", policy_type="Custom")).body
    assert got.policy.attachment_count == 1

    # UNCONFIRMED status (409) of an attachment that already exists.
    fails("EntityAlreadyExists.Role.Policy", 409, lambda: attach("Custom", "share-key"))
    fails("DeleteConflict.Role.Policy", 409, lambda: client.delete_role(ram_models.DeleteRoleRequest(role_name=ROLE)))
    fails("EntityNotExist.Role", 404, lambda: attach("Custom", "share-key", "missing"))
    fails("EntityNotExist.Policy", 404, lambda: attach("Custom", "missing"))
    fails("EntityNotExist.Policy", 404, lambda: attach("System", "share-key"))

    detach("Custom", "share-key")
    assert listed() == [("AliyunKMSFullAccess", "System", "v1", "System policy AliyunKMSFullAccess")]
    # UNCONFIRMED status (404) of detaching what is not attached.
    fails("EntityNotExist.Role.Policy", 404, lambda: detach("Custom", "share-key"))
    fails("EntityNotExist.Role", 404, lambda: detach("System", "AliyunKMSFullAccess", "missing"))
    detach("System", "AliyunKMSFullAccess")
    assert listed() == []
    client.delete_role(ram_models.DeleteRoleRequest(role_name=ROLE))
    fails(
        "EntityNotExist.Role",
        404,
        lambda: client.list_policies_for_role(ram_models.ListPoliciesForRoleRequest(role_name=ROLE)),
    )


def test_attachment_limits_per_role(lc: LocalCloud) -> None:
    """10 custom policies per role (RAM "Limitations", Dec 2025) and 20 system ones."""
    client = ram(lc)
    create_role(client)
    for n in range(11):
        create_policy(client, f"custom-{n}")
    with lc.cloud.lock:
        for n in range(21):
            name = f"SystemExtra{n}"
            doc = json.dumps({"Version": "1", "Statement": [{"Action": "ecs:*", "Resource": "*", "Effect": "Allow"}]})
            lc.cloud.system_policies[name] = Policy(name, "System", "", [PolicyVersion("v1", doc, True)], 2)

    def attach(kind: str, name: str) -> None:
        client.attach_policy_to_role(
            ram_models.AttachPolicyToRoleRequest(policy_type=kind, policy_name=name, role_name=ROLE)
        )

    for n in range(10):
        attach("Custom", f"custom-{n}")
    fails("LimitExceeded.Role.Policy", 409, lambda: attach("Custom", "custom-10"))
    for n in range(20):
        attach("System", f"SystemExtra{n}")
    fails("LimitExceeded.Role.Policy", 409, lambda: attach("System", "SystemExtra20"))
    body = client.list_policies_for_role(ram_models.ListPoliciesForRoleRequest(role_name=ROLE)).body
    assert len(body.policies.policy) == 30


@pytest.mark.parametrize("quota", [3, 12])
def test_the_custom_policy_quota_is_a_setting(seed: dict[str, Any], quota: int) -> None:
    seed["settings"]["ram_custom_policies_per_role"] = quota
    with start(seed) as lc:
        client = ram(lc)
        create_role(client)
        for n in range(quota + 1):
            create_policy(client, f"custom-{n}")
            if n < quota:
                client.attach_policy_to_role(
                    ram_models.AttachPolicyToRoleRequest(
                        policy_type="Custom", policy_name=f"custom-{n}", role_name=ROLE
                    )
                )
        error = fails(
            "LimitExceeded.Role.Policy",
            409,
            lambda: client.attach_policy_to_role(
                ram_models.AttachPolicyToRoleRequest(
                    policy_type="Custom", policy_name=f"custom-{quota}", role_name=ROLE
                )
            ),
        )
        assert f"at most {quota} Custom" in error.data["Message"]
