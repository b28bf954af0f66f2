"""Many accounts: one central deployment acts on a member account's share through the member's role
(STS AssumeRole), for events and for the operator commands alike."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from typing import Any

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient

from localcloud import LocalCloud
from localcloud.oracle import can_use
from sharetrust.entry import run
from tests.e2e.conftest import FUNCTION_POLICIES, e2e_seed, sharer_environ
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import HZ, MEMBER, OUTSIDER, SHAREE, SHARER, config

MEMBER_KEY = "key-hzz6member00000001"
IMAGE_ROLE = "AliyunECSShareEncryptImageDefaultRole"


@pytest.fixture
def seed() -> dict[str, Any]:
    return member_seed()


def member_seed() -> dict[str, Any]:
    """A member account with an encrypted image, the member role the central account assumes, and its image
    share role."""
    seed = copy.deepcopy(e2e_seed(eventbridge=False, trail_logs=False))
    member = next(a for a in seed["accounts"] if a["uid"] == MEMBER)
    member["kms_keys"] = [{"id": MEMBER_KEY, "region": HZ}]
    member["snapshots"] = [{"id": "s-member001", "region": HZ, "encrypted": True, "kms_key_id": MEMBER_KEY}]
    member["images"] = [{"id": "m-member001", "region": HZ, "name": "m", "disks": [{"snapshot_id": "s-member001"}]}]
    central = {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"RAM": [f"acs:ram::{SHARER}:root"]}}
    # The member role holds deploy/'s policies too, in the member's account (AccountId: the member's UID).
    member["policies"] = copy.deepcopy(FUNCTION_POLICIES)
    member["roles"] = [
        {
            "name": "sharetrust-member",
            "trust_policy": {"Version": "1", "Statement": [central]},
            "policies": [{"type": "Custom", "name": p["name"]} for p in FUNCTION_POLICIES],
        },
        {"name": IMAGE_ROLE, "trust_policy": {"Version": "1", "Statement": [central]}},
    ]
    return seed


def member_event() -> str:
    params = {"RegionId": HZ, "ImageId": "m-member001", "AddAccount.1": OUTSIDER}
    identity = {"type": "root-account", "accountId": MEMBER, "principalId": MEMBER}
    return json.dumps({**FORGED, "requestParameters": params, "userIdentity": identity})


@pytest.fixture
def shared_by_member(lc: LocalCloud) -> LocalCloud:
    EcsClient(config(lc, MEMBER)).modify_image_share_permission(
        ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id="m-member001", add_account=[OUTSIDER])
    )
    assert not can_use(lc.cloud, OUTSIDER, "m-member001").usable
    return lc


def test_a_members_share_is_converged_in_the_member_account(shared_by_member: LocalCloud) -> None:
    lc = shared_by_member
    environ = sharer_environ(lc, SHARETRUST_MEMBER_ROLE="sharetrust-member")
    summary = run([member_event()], environ=environ, log_stream=io.StringIO())
    assert summary.ok, summary.errors
    assert can_use(lc.cloud, OUTSIDER, "m-member001").usable
    (role,) = summary.roles
    assert role["account"] == MEMBER and role["role"] == IMAGE_ROLE and role["writes"]
    assert OUTSIDER not in lc.cloud.ram_of(SHARER).roles[IMAGE_ROLE.lower()].trust_policy  # not the central one
    again = run([member_event()], environ=environ, log_stream=io.StringIO())
    assert again.ok and again.api_calls.get("Sts:AssumeRole", 0) == 0  # the member session is cached


def test_without_a_member_role_other_accounts_events_are_ignored(shared_by_member: LocalCloud) -> None:
    summary = run([member_event()], environ=sharer_environ(shared_by_member), log_stream=io.StringIO())
    assert summary.ok and summary.signals == 0
    assert f"event of account {MEMBER}" in summary.ignored[0]["reason"]


def test_a_member_whose_role_cannot_be_assumed_fails_loudly(shared_by_member: LocalCloud) -> None:
    environ = sharer_environ(shared_by_member, SHARETRUST_MEMBER_ROLE="no-such-role")
    summary = run([member_event()], environ=environ, log_stream=io.StringIO())
    assert not summary.ok
    # The function role may assume only the configured member role (deploy/function-policy.json): RAM refuses
    # before it looks for the role, and the message names the action.
    assert f"acting for member account {MEMBER}: Sts:AssumeRole failed: NoPermission" in summary.errors[0]
    assert "AuthAction: sts:AssumeRole" in summary.errors[0]


def test_the_operator_commands_act_for_a_member(shared_by_member: LocalCloud) -> None:
    lc = shared_by_member
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "SHARETRUST_", "HTTP"))}
    env.update(sharer_environ(lc, SHARETRUST_MEMBER_ROLE="sharetrust-member"))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "sharetrust.cli", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)

    planned = cli("plan", "--account", MEMBER)
    assert planned.returncode == 2 and f"  + trust account:{OUTSIDER}" in planned.stdout, planned.stderr
    assert cli("apply", "--account", MEMBER).returncode == 0
    assert can_use(lc.cloud, OUTSIDER, "m-member001").usable
    bad = cli("plan", "--account", "me")
    assert bad.returncode == 2 and "--account must be an account UID" in bad.stderr


def test_apply_all_members_walks_the_resource_directory(shared_by_member: LocalCloud) -> None:
    lc = shared_by_member
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "SHARETRUST_", "HTTP"))}
    env.update(sharer_environ(lc, SHARETRUST_MEMBER_ROLE="sharetrust-member"))
    command = [sys.executable, "-m", "sharetrust.cli", "apply", "--all-members"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    summaries = json.loads(result.stdout)
    assert summaries[MEMBER]["ok"] is True and can_use(lc.cloud, OUTSIDER, "m-member001").usable
    assert summaries[SHARER]["ok"] is True  # the central account itself too
    # SHAREE, also a member, has no member role: reported, and the others were not stopped by it.
    assert result.returncode == 1 and summaries[SHAREE]["ok"] is False
    assert f"sharetrust: {SHAREE}: acting for member account {SHAREE}" in result.stderr
