"""More sharees than one trust policy holds: the event's sharee still gets access, the role converges as
far as RAM allows, and who was left out is reported with the remedy; a length refusal by RAM shrinks
the plan instead of failing it."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from alibabacloud_resourcesharing20200110 import models as rs_models

from localcloud import LocalCloud
from sharetrust.entry import run
from sharetrust.plan.trust_policy import TrustPolicy
from sharetrust.report import Summary
from tests.e2e.conftest import create_share, e2e_seed, sharer_environ, sharing, usable
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import SHARER

CROWD = [f"71{n:014d}" for n in range(300)]  # about 7,500 characters of trust: well over 4,096
IMAGE_ROLE = "aliyunecsshareencryptimagedefaultrole"


@pytest.fixture
def seed() -> dict[str, Any]:
    seed = e2e_seed(eventbridge=False, trail_logs=False)  # these tests call sharetrust themselves
    seed["accounts"] += [{"uid": uid} for uid in CROWD]
    return seed


def share_with_everyone(lc: LocalCloud) -> str:
    share_id = create_share(lc, "crowd", [("Image", "m-cmk0001")], CROWD[:5])
    for start in range(5, len(CROWD), 5):  # Resource Sharing takes 5 targets a call
        sharing(lc).associate_resource_share(
            rs_models.AssociateResourceShareRequest(resource_share_id=share_id, targets=CROWD[start : start + 5])
        )
    return share_id


def event_for(uid: str, share_id: str) -> str:
    return json.dumps(
        {
            **FORGED,
            "eventName": "AssociateResourceShare",
            "serviceName": "ResourceManager",
            "requestParameters": {"ResourceShareId": share_id, "Targets.1": uid},
        }
    )


def sharetrust(lc: LocalCloud, payload: str, **settings: str) -> Summary:
    return run([payload], environ=sharer_environ(lc, **settings), log_stream=io.StringIO())


def trust(lc: LocalCloud) -> str:
    return str(lc.cloud.ram_of(SHARER).roles[IMAGE_ROLE].trust_policy)


def test_the_events_sharee_gets_access_and_who_is_left_out_is_reported(lc: LocalCloud) -> None:
    share_id = share_with_everyone(lc)
    urgent = CROWD[-1]
    summary = sharetrust(lc, event_for(urgent, share_id))
    assert summary.ok, summary.errors  # over capacity is a warning: retrying cannot help
    assert usable(lc, urgent, "m-cmk0001")
    trusted = TrustPolicy.parse(trust(lc)).accounts
    assert len(trust(lc)) <= 4096 and 100 < len(trusted) < len(CROWD)
    (role,) = [r for r in summary.roles if r["kind"] == "image"]
    assert role["writes"] and not role["error"]
    (warning,) = [w for w in summary.warnings if "left out" in w]
    assert f"{len(CROWD) - len(trusted)} sharee(s) left out" in warning and "resource directory or folder" in warning
    again = sharetrust(lc, event_for(urgent, share_id))
    assert again.ok and again.roles[0]["writes"] == []  # converged as far as it fits: no rewrite each time


def test_a_length_refusal_by_ram_shrinks_the_plan(lc: LocalCloud) -> None:
    share_id = share_with_everyone(lc)
    mark = lc.requests.mark()
    # sharetrust believes RAM takes 12,000 characters; the local cloud, like RAM, refuses past 4,096.
    summary = sharetrust(lc, event_for(CROWD[0], share_id), SHARETRUST_TRUST_POLICY_MAX_CHARS="12000")
    assert summary.ok, summary.errors
    refusals = [e.code for e in lc.requests.entries()[mark:] if e.action in ("UpdateRole", "CreateRole") and e.code]
    assert refusals and all(code.endswith("AssumeRolePolicyDocument.Length") for code in refusals)
    assert len(trust(lc)) <= 4096 and usable(lc, CROWD[0], "m-cmk0001")
    assert any("left out" in w for w in summary.warnings)
