"""STS 2015-04-01 through the official SDK: AssumeRole, using its credentials, GetCallerIdentity."""

from __future__ import annotations

import functools
import json
from datetime import datetime, timezone
from typing import Any

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient

from localcloud import LocalCloud
from tests.localcloud.conftest import OUTSIDER, SHAREE, SHARER, base_seed, config, fails

DEPLOYER = "Deployer"
ECS_ONLY = "EcsOnly"
SELF = "SelfAdmin"


def ram_trust(*uids: str) -> dict[str, Any]:
    return {
        "Statement": [
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"RAM": [f"acs:ram::{uid}:root" for uid in uids]},
            }
        ],
        "Version": "1",
    }


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    s["accounts"][0]["roles"] = [
        {
            "name": DEPLOYER,
            "id": "300000000000000001",
            "trust_policy": ram_trust(SHAREE),
            "max_session_duration": 7200,
            # Sessions may do what the role's policies allow (localcloud.authorization): reads, here.
            "policies": [{"type": "System", "name": "ReadOnlyAccess"}],
        },
        {
            "name": ECS_ONLY,
            "id": "300000000000000002",
            "trust_policy": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": [f"{SHAREE}@ecs.aliyuncs.com"]},
                    }
                ],
                "Version": "1",
            },
        },
        {"name": SELF, "id": "300000000000000003", "trust_policy": ram_trust(SHARER)},
    ]
    return s


def arn(uid: str, name: str) -> str:
    return f"acs:ram::{uid}:role/{name.lower()}"


def sts(lc: LocalCloud, uid: str = SHAREE, *, v1: bool = False, **kwargs: Any) -> StsClient:
    return StsClient(config(lc, uid, v1=v1, **kwargs))


def assume(client: StsClient, role_arn: str, session: str = "sharetrust", **kwargs: Any) -> Any:
    request = sts_models.AssumeRoleRequest(role_arn=role_arn, role_session_name=session, **kwargs)
    return client.assume_role(request).body


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_assume_role_credentials_act_as_the_role_account(lc: LocalCloud, v1: bool) -> None:
    body = assume(sts(lc, v1=v1), arn(SHARER, DEPLOYER), "s-1", duration_seconds=7200)
    creds, user = body.credentials, body.assumed_role_user
    assert creds.access_key_id.startswith("STS.") and creds.access_key_secret and creds.security_token
    assert user.arn == f"acs:ram::{SHARER}:role/deployer/s-1"
    assert user.assumed_role_id == "300000000000000001:s-1"
    session = lc.cloud.sessions[creds.access_key_id]
    assert (session.account_uid, session.role_name, session.session_name) == (SHARER, DEPLOYER, "s-1")
    assert creds.expiration == datetime.fromtimestamp(session.expires_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert lc.requests.entries()[-1].account_uid == SHAREE

    temporary = (creds.access_key_id, creds.access_key_secret)
    for signing_v1 in (False, True):
        ecs = EcsClient(config(lc, SHAREE, v1=signing_v1, access_key=temporary, token=creds.security_token))
        ecs.describe_regions(ecs_models.DescribeRegionsRequest())
        assert lc.requests.entries()[-1].account_uid == SHARER
    # RAM reads with the session see the role's account, not the caller's.
    ram = RamClient(config(lc, SHAREE, v1=v1, access_key=temporary, token=creds.security_token))
    assert ram.get_role(ram_models.GetRoleRequest(role_name=SELF)).body.role.arn == arn(SHARER, SELF)
    assert lc.requests.entries()[-1].account_uid == SHARER


def test_temporary_credentials_need_their_own_token(lc: LocalCloud) -> None:
    creds = assume(sts(lc), arn(SHARER, DEPLOYER)).credentials
    temporary = (creds.access_key_id, creds.access_key_secret)
    other = assume(sts(lc), arn(SHARER, DEPLOYER), "other").credentials
    for token in ("CAISforged", other.security_token):
        ecs = EcsClient(config(lc, access_key=temporary, token=token))
        fails(
            "InvalidSecurityToken.MismatchWithAccessKey",
            400,
            functools.partial(ecs.describe_regions, ecs_models.DescribeRegionsRequest()),
        )
    no_token = EcsClient(config(lc, access_key=temporary))
    missing = fails("MissingSecurityToken", 400, lambda: no_token.describe_regions(ecs_models.DescribeRegionsRequest()))
    assert missing.data["Message"] == "SecurityToken is mandatory for this action."
    wrong_secret = EcsClient(config(lc, access_key=(creds.access_key_id, "nope"), token=creds.security_token))
    fails("SignatureDoesNotMatch", 400, lambda: wrong_secret.describe_regions(ecs_models.DescribeRegionsRequest()))


def test_durations(lc: LocalCloud) -> None:
    client = sts(lc)
    for seconds in (900, 7200):
        creds = assume(client, arn(SHARER, DEPLOYER), duration_seconds=seconds).credentials
        assert creds.access_key_id in lc.cloud.sessions
    role_max = 7200
    fails("InvalidParameter.DurationSeconds", 400, lambda: assume(client, arn(SHARER, DEPLOYER), duration_seconds=899))
    fails(
        "InvalidParameter.DurationSeconds",
        400,
        lambda: assume(client, arn(SHARER, DEPLOYER), duration_seconds=role_max + 1),
    )
    # SelfAdmin keeps the default maximum of 3600; the default duration (3600) fits it.
    mine = sts(lc, SHARER)
    assert assume(mine, arn(SHARER, SELF)).credentials.access_key_id
    fails("InvalidParameter.DurationSeconds", 400, lambda: assume(mine, arn(SHARER, SELF), duration_seconds=3601))


def test_trust_policy_decides(lc: LocalCloud) -> None:
    fails("NoPermission", 403, lambda: assume(sts(lc, OUTSIDER), arn(SHARER, DEPLOYER)))
    # A role that trusts only a service cannot be assumed by an account.
    fails("NoPermission", 403, lambda: assume(sts(lc, SHAREE), arn(SHARER, ECS_ONLY)))
    # The sharer's RAM user is judged as its account.
    alice = sts(lc, SHARER, access_key=("AKSHARERALICE0000001", "alice-secret"))
    assert assume(alice, arn(SHARER, SELF), "alice").assumed_role_user.arn == f"{arn(SHARER, SELF)}/alice"
    # Replacing the trust policy through RAM takes effect at once.
    ram = RamClient(config(lc, SHARER))
    ram.update_role(
        ram_models.UpdateRoleRequest(
            role_name=DEPLOYER, new_assume_role_policy_document=json.dumps(ram_trust(OUTSIDER))
        )
    )
    fails("NoPermission", 403, lambda: assume(sts(lc, SHAREE), arn(SHARER, DEPLOYER)))
    assert assume(sts(lc, OUTSIDER), arn(SHARER, DEPLOYER)).credentials.security_token


def test_assume_role_parameter_errors(lc: LocalCloud) -> None:
    client = sts(lc)
    fails("EntityNotExist.Role", 404, lambda: assume(client, arn(SHARER, "nobody")))
    fails("EntityNotExist.Role", 404, lambda: assume(client, arn("9999999999999999", DEPLOYER)))
    for bad in ("acs:ram::1111:user/x", "deployer", f"acs:ram::{SHARER}:role/"):
        fails("InvalidParameter.RoleArn", 400, functools.partial(assume, client, bad))
    for session in ("a", "x" * 65, "has space", "semi;colon"):
        fails(
            "InvalidParameter.RoleSessionName", 400, functools.partial(assume, client, arn(SHARER, DEPLOYER), session)
        )
    fails(
        "InvalidParameter.PolicyGrammar",
        400,
        lambda: assume(client, arn(SHARER, DEPLOYER), policy='{"Version":"1","Statement":[]}'),
    )
    narrow = {
        "Version": "1",
        "Statement": [{"Action": "ecs:Describe*", "Resource": "*", "Effect": "Allow", "Sid": "x" * 2048}],
    }
    fails("InvalidParameter.PolicySize", 400, lambda: assume(client, arn(SHARER, DEPLOYER), policy=json.dumps(narrow)))
    narrow["Statement"][0]["Sid"] = "narrow"  # type: ignore[index]
    assert assume(client, arn(SHARER, DEPLOYER), policy=json.dumps(narrow)).credentials.access_key_id
    fails("MissingParameter", 400, lambda: client.assume_role(sts_models.AssumeRoleRequest(role_session_name="s")))


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_get_caller_identity(lc: LocalCloud, v1: bool) -> None:
    root = sts(lc, SHARER, v1=v1).get_caller_identity().body
    assert (root.account_id, root.identity_type, root.arn) == (SHARER, "Account", f"acs:ram::{SHARER}:root")
    assert (root.principal_id, root.user_id, root.role_id) == (SHARER, SHARER, None)

    alice = sts(lc, SHARER, v1=v1, access_key=("AKSHARERALICE0000001", "alice-secret")).get_caller_identity().body
    assert (alice.account_id, alice.identity_type, alice.arn) == (SHARER, "RAMUser", f"acs:ram::{SHARER}:user/alice")
    assert alice.user_id == alice.principal_id and alice.role_id is None

    creds = assume(sts(lc), arn(SHARER, DEPLOYER), "who").credentials
    session = sts(lc, v1=v1, access_key=(creds.access_key_id, creds.access_key_secret), token=creds.security_token)
    me = session.get_caller_identity().body
    assert (me.account_id, me.identity_type) == (SHARER, "AssumedRoleUser")
    assert me.arn == f"acs:ram::{SHARER}:assumed-role/deployer/who"
    assert (me.role_id, me.principal_id, me.user_id) == ("300000000000000001", "300000000000000001:who", None)
    assert lc.requests.entries()[-1].account_uid == SHARER
