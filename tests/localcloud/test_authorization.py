"""RAM authorization of every caller (localcloud.authorization), through the official SDKs: root keys may do
anything; RAM users and STS sessions only what their policies allow, an explicit Deny winning; every
decision is recorded with the statement that made it."""

from __future__ import annotations

import json
from typing import Any

import fc2
import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from aliyun.log import LogClient, LogException, LogItem, PutLogsRequest

from localcloud import LocalCloud
from localcloud.services.sts import mint_session
from localcloud.state import Session
from tests.localcloud.conftest import HZ, KEYS, SHARER, TRUST_ACCOUNT, base_seed, config, fails

IMAGE_ROLE = "AliyunECSShareEncryptImageDefaultRole"


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "1", "Statement": list(statements)}


POLICIES = {
    # Case-insensitive service prefix and action wildcard; scoped to this account's images and snapshots.
    "describe-ecs": _doc(
        {
            "Sid": "Describe",
            "Effect": "Allow",
            "Action": "ECS:Describe*",
            "Resource": [f"acs:ecs:*:{SHARER}:image/*", f"acs:ecs:*:{SHARER}:snapshot/*"],
        }
    ),
    "share-but-not-m-cmk0001": _doc(
        {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ecs:ModifyImageSharePermission", "Resource": "acs:ecs:*:*:image/m-cmk0001"},
    ),
    "attach-own-policies": _doc(
        {
            "Effect": "Allow",
            "Action": ["ram:AttachPolicyToRole", "ram:CreatePolicy"],
            "Resource": [f"acs:ram:*:{SHARER}:role/{IMAGE_ROLE}", f"acs:ram:*:{SHARER}:policy/mine-*"],
        }
    ),
    # Conditions on the keys every request presents: from loopback, over plain HTTP.
    "from-loopback-only": _doc(
        {
            "Effect": "Allow",
            "Action": "ecs:DescribeRegions",
            "Resource": "*",
            "Condition": {"IpAddress": {"acs:SourceIp": "127.0.0.0/8"}},
        },
        {
            "Effect": "Allow",
            "Action": "ecs:DescribeImages",
            "Resource": "*",
            "Condition": {"Bool": {"acs:SecureTransport": "true"}},
        },
        {
            "Effect": "Allow",
            "Action": "ecs:DescribeSnapshots",
            "Resource": "*",
            "Condition": {"DateGreaterThan": {"acs:CurrentTime": "2020-01-01T00:00:00Z"}},
        },
    ),
    "pull-app-logs": _doc(
        {"Effect": "Allow", "Action": "log:GetCursorOrData", "Resource": f"acs:log:*:{SHARER}:project/app/logstore/*"}
    ),
}


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    sharer = s["accounts"][0]
    sharer["access_keys"].append({"id": "AKSHARERBOB000000001", "secret": "bob-secret", "user": "bob"})
    sharer["users"].append({"name": "bob", "policies": [{"name": "describe-ecs"}]})
    sharer["policies"] = [{"name": name, "document": document} for name, document in POLICIES.items()]
    sharer["sls_projects"] = [{"name": "app", "logstores": [{"name": "events"}]}]
    sharer["roles"] = [
        {"name": name, "trust_policy": TRUST_ACCOUNT, "policies": [{"name": policy} for policy in policies]}
        for name, policies in {
            "nothing": [],
            "reader": ["describe-ecs"],
            "sharer": ["share-but-not-m-cmk0001"],
            "attacher": ["attach-own-policies"],
            "puller": ["pull-app-logs"],
            "conditional": ["from-loopback-only"],
        }.items()
    ] + [{"name": IMAGE_ROLE, "trust_policy": TRUST_ACCOUNT}]
    sharer["functions"] = [{"service": "svc", "name": "echo", "handler": "tests.localcloud.handlers.echo"}]
    return s


def _session(lc: LocalCloud, role: str, policy: dict[str, Any] | None = None) -> Session:
    found = lc.cloud.ram_of(SHARER).roles[role]
    return mint_session(lc.cloud, found, "test", policy=json.dumps(policy) if policy else None)


def _ecs(lc: LocalCloud, session: Session) -> EcsClient:
    return EcsClient(config(lc, access_key=(session.access_key_id, session.secret), token=session.token))


def _ram(lc: LocalCloud, session: Session) -> RamClient:
    return RamClient(config(lc, access_key=(session.access_key_id, session.secret), token=session.token))


def _images(client: EcsClient) -> object:
    return client.describe_images(ecs_models.DescribeImagesRequest(region_id=HZ))


def _share(client: EcsClient, image: str) -> object:
    request = ecs_models.ModifyImageSharePermissionRequest(
        region_id=HZ, image_id=image, add_account=["2222222222222222"]
    )
    return client.modify_image_share_permission(request)


def test_root_keys_may_do_anything_and_are_recorded(lc: LocalCloud) -> None:
    _images(EcsClient(config(lc)))
    last = lc.cloud.authorizations[-1]
    assert (last.caller, last.action, last.decision, last.statements) == (
        "root",
        "ecs:DescribeImages",
        "allow",
        ("root",),
    )
    assert last.resources == (f"acs:ecs:{HZ}:{SHARER}:image/*",)


def test_a_session_may_do_what_the_roles_policy_allows_with_wildcards(lc: LocalCloud) -> None:
    reader = _ecs(lc, _session(lc, "reader"))
    _images(reader)  # "ECS:Describe*" matches ecs:DescribeImages whatever the case of the prefix
    reader.describe_snapshots(ecs_models.DescribeSnapshotsRequest(region_id=HZ))
    allowed = lc.cloud.authorizations[-1]
    assert (allowed.caller, allowed.action, allowed.decision) == ("role/reader", "ecs:DescribeSnapshots", "allow")
    assert allowed.statements == ("describe-ecs#0",) and allowed.patterns == (("ECS:Describe*",),)
    # DescribeRegions authorises on "*", which the policy's image/snapshot ARNs do not cover: implicit deny.
    error = fails("Forbidden.RAM", 403, lambda: reader.describe_regions(ecs_models.DescribeRegionsRequest()))
    assert "AuthAction: ecs:DescribeRegions" in error.message and "NoPermissionType: ImplicitDeny" in error.message
    assert error.data["AccessDeniedDetail"]["AuthAction"] == "ecs:DescribeRegions"
    assert lc.cloud.authorizations[-1].decision == "implicit-deny"


def test_a_role_without_policies_may_do_nothing_but_ask_who_it_is(lc: LocalCloud) -> None:
    session = _session(lc, "nothing")
    fails("Forbidden.RAM", 403, lambda: _images(_ecs(lc, session)))
    error = fails(
        "NoPermission", 403, lambda: _ram(lc, session).get_role(ram_models.GetRoleRequest(role_name="reader"))
    )
    assert f"AuthResource: acs:ram:*:{SHARER}:role/reader" in error.message
    sts = StsClient(config(lc, access_key=(session.access_key_id, session.secret), token=session.token))
    assert sts.get_caller_identity().body.role_id  # GetCallerIdentity needs no permission


def test_an_explicit_deny_wins_over_an_allow_for_its_resource_only(lc: LocalCloud) -> None:
    sharer = _ecs(lc, _session(lc, "sharer"))
    _share(sharer, "m-plain001")
    error = fails("Forbidden.RAM", 403, lambda: _share(sharer, "m-cmk0001"))
    assert "NoPermissionType: ExplicitDeny" in error.message
    assert f"AuthResource: acs:ecs:{HZ}:{SHARER}:image/m-cmk0001" in error.message
    denied = lc.cloud.authorizations[-1]
    assert (denied.decision, denied.statements) == ("deny", ("share-but-not-m-cmk0001#1",))
    assert lc.cloud.images["m-cmk0001"].shared_with == {}


def test_attach_needs_both_the_role_and_the_policy(lc: LocalCloud) -> None:
    ram = _ram(lc, _session(lc, "attacher"))
    document = json.dumps(_doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}))
    ram.create_policy(ram_models.CreatePolicyRequest(policy_name="mine-keys", policy_document=document))
    ram.attach_policy_to_role(
        ram_models.AttachPolicyToRoleRequest(policy_type="Custom", policy_name="mine-keys", role_name=IMAGE_ROLE)
    )
    # A system policy's ARN is acs:ram:*:system:policy/<name>, which the policy does not grant.
    request = ram_models.AttachPolicyToRoleRequest(
        policy_type="System", policy_name="AliyunKMSFullAccess", role_name=IMAGE_ROLE
    )
    error = fails("NoPermission", 403, lambda: ram.attach_policy_to_role(request))
    assert "acs:ram:*:system:policy/AliyunKMSFullAccess" in error.message
    # The right role with another account's name for it: the role resource is not granted either.
    other = ram_models.AttachPolicyToRoleRequest(policy_type="Custom", policy_name="mine-keys", role_name="reader")
    fails("NoPermission", 403, lambda: ram.attach_policy_to_role(other))
    attached = [a.policy_name for a in lc.cloud.ram_of(SHARER).attachments[IMAGE_ROLE.lower()]]
    assert attached == ["mine-keys"]


def test_a_session_policy_narrows_what_the_role_allows(lc: LocalCloud) -> None:
    limit = _doc({"Effect": "Allow", "Action": "ecs:DescribeSnapshots", "Resource": "*"})
    sts = StsClient(config(lc))
    body = sts.assume_role(
        sts_models.AssumeRoleRequest(
            role_arn=f"acs:ram::{SHARER}:role/reader", role_session_name="narrow", policy=json.dumps(limit)
        )
    ).body
    creds = body.credentials
    narrow = EcsClient(
        config(lc, access_key=(creds.access_key_id, creds.access_key_secret), token=creds.security_token)
    )
    narrow.describe_snapshots(ecs_models.DescribeSnapshotsRequest(region_id=HZ))  # both allow it
    fails("Forbidden.RAM", 403, lambda: _images(narrow))  # the role allows it, the session policy does not


def test_a_ram_user_may_do_what_its_policies_allow(lc: LocalCloud) -> None:
    bob = EcsClient(config(lc, access_key=("AKSHARERBOB000000001", "bob-secret")))
    _images(bob)
    assert lc.cloud.authorizations[-1].caller == "user/bob"
    fails("Forbidden.RAM", 403, lambda: _share(bob, "m-plain001"))
    # A user needs sts:AssumeRole on the role as well as the role's trust.
    sts = StsClient(config(lc, access_key=("AKSHARERBOB000000001", "bob-secret")))
    request = sts_models.AssumeRoleRequest(role_arn=f"acs:ram::{SHARER}:role/reader", role_session_name="bob")
    error = fails("NoPermission", 403, lambda: sts.assume_role(request))
    assert f"AuthResource: acs:ram::{SHARER}:role/reader" in error.message


def _log(lc: LocalCloud, session: Session) -> LogClient:
    client = LogClient(lc.endpoint, session.access_key_id, session.secret, session.token, source="test")
    client._isRowIp = True  # type: ignore[attr-defined]
    return client


def test_log_service_decides_through_the_same_policies(lc: LocalCloud) -> None:
    puller = _log(lc, _session(lc, "puller"))
    puller.get_cursor("app", "events", 0, "begin")
    allowed = lc.cloud.authorizations[-1]
    assert (allowed.action, allowed.decision, allowed.statements) == (
        "log:GetCursorOrData",
        "allow",
        ("pull-app-logs#0",),
    )
    with pytest.raises(LogException) as raised:
        puller.put_logs(PutLogsRequest("app", "events", "t", "", [LogItem(contents=[("a", "b")])]))
    assert raised.value.get_error_code() == "Unauthorized"
    assert f"action: log:PostLogStoreLogs, resource: acs:log:{HZ}:{SHARER}:project/app/logstore/events" in str(
        raised.value.get_error_message()
    )
    assert lc.cloud.authorizations[-1].decision == "implicit-deny"


def test_function_compute_invocations_need_fc_invoke_function(lc: LocalCloud) -> None:
    session = _session(lc, "reader")
    client = fc2.Client(
        endpoint=lc.url, accessKeyID=session.access_key_id, accessKeySecret=session.secret, securityToken=session.token
    )
    with pytest.raises(fc2.FcError) as raised:
        client.invoke_function("svc", "echo", payload=b"{}")
    assert raised.value.status_code == 403 and "fc:InvokeFunction" in str(raised.value)
    denied = lc.cloud.authorizations[-1]
    assert (denied.caller, denied.action, denied.decision) == ("role/reader", "fc:InvokeFunction", "implicit-deny")
    # The account's own key may invoke.
    fc2.Client(endpoint=lc.url, accessKeyID=KEYS[SHARER][0], accessKeySecret=KEYS[SHARER][1]).invoke_function(
        "svc", "echo", payload=b"{}"
    )


def test_conditions_see_the_keys_every_request_presents(lc: LocalCloud) -> None:
    conditional = _ecs(lc, _session(lc, "conditional"))
    conditional.describe_regions(ecs_models.DescribeRegionsRequest())  # acs:SourceIp is in 127.0.0.0/8
    fails("Forbidden.RAM", 403, lambda: _images(conditional))  # acs:SecureTransport is false on loopback
    conditional.describe_snapshots(ecs_models.DescribeSnapshotsRequest(region_id=HZ))  # acs:CurrentTime is now
