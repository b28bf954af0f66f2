"""Many accounts, fanned out: the central deployment's timer reconcile invokes its own function (FC 3.0, Async)
once per member of the resource directory, and each invocation converges that member through its member role.
A forged request naming an account outside the directory is refused, even one whose role would let it in."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient

from localcloud import LocalCloud
from tests.e2e.conftest import FUNCTION_POLICIES, settle, share_image, usable
from tests.e2e.test_members import IMAGE_ROLE, member_seed
from tests.localcloud.conftest import HZ, MEMBER, OUTSIDER, SHAREE, SHARER, config
from tests.localcloud.test_fc3 import client, invoke

FUNCTION = "sharetrust-reconcile"
# What FC's timer trigger sends (the reconcile reads nothing from it).
TIMER_EVENT = json.dumps({"triggerTime": "2026-12-02T01:00:00Z", "triggerName": "every-hour", "payload": ""})


def fan_out_seed() -> dict[str, Any]:
    """member_seed plus a second member (SHAREE) with its own encrypted image and member role, an outsider
    whose role trusts the central account too (but who is no member), and the reconcile function as
    s.yaml deploys it: FC 3.0 (no service), the function role, SHARETRUST_MEMBER_ROLE set."""
    seed = member_seed()
    accounts = {a["uid"]: a for a in seed["accounts"]}
    member_roles = copy.deepcopy(accounts[MEMBER]["roles"])
    for uid, image in ((SHAREE, "m-second001"), (OUTSIDER, "m-outside01")):
        account = accounts[uid]
        snapshot, key = f"s-{image[2:]}", f"key-hzz6{image[2:]}000000"
        account["kms_keys"] = [{"id": key, "region": HZ}]
        account["snapshots"] = [{"id": snapshot, "region": HZ, "encrypted": True, "kms_key_id": key}]
        account["images"] = [{"id": image, "region": HZ, "name": "m", "disks": [{"snapshot_id": snapshot}]}]
        account["policies"] = copy.deepcopy(FUNCTION_POLICIES)
        account["roles"] = copy.deepcopy(member_roles)
    accounts[SHARER]["functions"].append(
        {
            "name": FUNCTION,
            "region": HZ,
            "runtime": "python3.12",
            "role": "sharetrust-fc",
            "handler": "functions.reconcile.handler",
            "timeout": 600,
            "environment": {"SHARETRUST_MEMBER_ROLE": "sharetrust-member"},
        }
    )
    return seed


@pytest.fixture
def seed() -> dict[str, Any]:
    return fan_out_seed()


def share_as(lc: LocalCloud, uid: str, image: str, sharee: str) -> None:
    EcsClient(config(lc, uid)).modify_image_share_permission(
        ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id=image, add_account=[sharee])
    )


def invoke_sync(lc: LocalCloud, payload: str) -> tuple[Any, str | None]:
    """(the function's answer as JSON, FC's x-fc-error-type) of a synchronous invocation as the sharer."""
    response = invoke(client(lc), FUNCTION, payload.encode(), x_fc_invocation_type="Sync")
    return json.loads(response.body.read()), response.headers.get("x-fc-error-type")


def member_trust(lc: LocalCloud, uid: str) -> str:
    with lc.cloud.lock:
        return str(lc.cloud.ram_of(uid).roles[IMAGE_ROLE.lower()].trust_policy)


def test_the_timer_fans_out_and_each_members_invocation_converges_it(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)  # the central account's own share
    share_as(lc, MEMBER, "m-member001", OUTSIDER)
    share_as(lc, SHAREE, "m-second001", MEMBER)
    lc.deliveries.pause()  # hold the members' invocations to see what the timer's own invocation did
    answer, error = invoke_sync(lc, TIMER_EVENT)
    assert error is None and answer["ok"], answer
    assert sorted(answer["fan_out"]["invoked"]) == sorted([MEMBER, SHAREE]) and answer["fan_out"]["failed"] == {}
    assert answer["fan_out"]["function"] == FUNCTION
    assert usable(lc, SHAREE, "m-cmk0001")  # the central account, in the timer's invocation
    assert not usable(lc, OUTSIDER, "m-member001") and not usable(lc, MEMBER, "m-second001")
    queued = [e for e in lc.requests.entries() if (e.product, e.action) == ("Fc", "InvokeFunction")]
    # One Async invocation queued per member (202), logged before the timer's own (Sync) invocation ended.
    assert sorted(e.status for e in queued) == [200, 202, 202]
    lc.deliveries.resume()
    settle(lc)
    assert usable(lc, OUTSIDER, "m-member001") and usable(lc, MEMBER, "m-second001")
    assert OUTSIDER in member_trust(lc, MEMBER) and MEMBER in member_trust(lc, SHAREE)


def test_a_forged_member_request_is_refused_in_one_line(lc: LocalCloud) -> None:
    share_as(lc, OUTSIDER, "m-outside01", MEMBER)
    forged = json.dumps({"sharetrust": "reconcile-member", "account": OUTSIDER})
    answer, error = invoke_sync(lc, forged)
    # OUTSIDER's role trusts the central account, but OUTSIDER is no member of the directory: never acted in.
    assert error == "UnhandledInvocationError", answer
    message = answer["errorMessage"]
    assert f"refused: account {OUTSIDER} is not a member account of this resource directory" in message
    assert not usable(lc, MEMBER, "m-outside01") and MEMBER not in member_trust(lc, OUTSIDER)
    assert not any(e.action == "AssumeRole" for e in lc.requests.entries())
    for payload, why in (
        ({"sharetrust": "reconcile-member", "account": "../1111"}, "needs an account UID, got '../1111'"),
        ({"sharetrust": "reconcile-member"}, "needs an account UID, got None"),
        ({"sharetrust": "reconcile-member", "account": MEMBER, "prune": True}, "carries only an account, not prune"),
    ):
        answer, error = invoke_sync(lc, json.dumps(payload))
        assert error == "UnhandledInvocationError" and why in answer["errorMessage"], answer
        assert "\n" not in json.loads(answer["errorMessage"])["errors"][0]


def test_a_member_request_is_answered_for_that_member_only(lc: LocalCloud) -> None:
    share_as(lc, MEMBER, "m-member001", OUTSIDER)
    share_as(lc, SHAREE, "m-second001", OUTSIDER)
    answer, error = invoke_sync(lc, json.dumps({"sharetrust": "reconcile-member", "account": MEMBER}))
    assert error is None and answer["ok"] and answer["account"] == MEMBER, answer
    assert usable(lc, OUTSIDER, "m-member001") and not usable(lc, OUTSIDER, "m-second001")


def test_without_fan_out_the_timer_reconciles_the_central_account_only(
    lc: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARETRUST_MEMBER_FAN_OUT", "false")
    share_image(lc, "m-cmk0001", SHAREE)
    share_as(lc, MEMBER, "m-member001", OUTSIDER)
    answer, error = invoke_sync(lc, TIMER_EVENT)
    settle(lc)
    assert error is None and answer["ok"] and "fan_out" not in answer, answer
    assert usable(lc, SHAREE, "m-cmk0001") and not usable(lc, OUTSIDER, "m-member001")
