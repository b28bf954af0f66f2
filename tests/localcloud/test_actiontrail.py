"""ActionTrail through real SDKs: write calls land in the trail logstore and reach EventBridge triggers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from aliyun.log import LogClient
from Tea.exceptions import TeaException

from localcloud import LocalCloud, actiontrail
from localcloud.errors import ApiError
from localcloud.eventbridge import PatternError, matches
from localcloud.rpc import PRODUCTS, REGISTRY, Call, Operation
from localcloud.services.sts import mint_session
from tests.localcloud import handlers
from tests.localcloud.conftest import HZ, KEYS, SHAREE, SHARER, TRUST_ACCOUNT, TRUST_FC, H, base_seed, config

ECS = "2014-05-26"
ACTION = "ModifyImageAttribute"
TRAIL_PROJECT = "trail-project"
TRAIL_STORE = "actiontrail_sharetrust-trail"
IMAGE_EVENTS = {
    "type": [{"suffix": ":ActionTrail:ApiCall"}],
    "data": {"serviceName": ["Ecs"], "eventName": [ACTION], "errorCode": [""]},
}


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    sharer = s["accounts"][0]
    sharer["policies"] = [
        {
            "name": "read-trail",
            "document": {
                "Version": "1",
                "Statement": [
                    {
                        "Action": "log:GetCursorOrData",
                        "Resource": f"acs:log:*:*:project/{TRAIL_PROJECT}/*",
                        "Effect": "Allow",
                    }
                ],
            },
        }
    ]
    sharer["roles"] = [
        {"name": "fc-role", "trust_policy": TRUST_FC, "policies": [{"name": "read-trail"}]},
        {
            "name": "operator",
            "trust_policy": TRUST_ACCOUNT,
            "policies": [{"type": "System", "name": "AdministratorAccess"}],
        },
    ]
    sharer["functions"] = [
        {"service": "events", "name": "sink", "handler": f"{H}.eventbridge_sink"},
        {"service": "events", "name": "failures", "handler": f"{H}.echo"},
        {"service": "events", "name": "never", "handler": f"{H}.fail"},
        {"service": "events", "name": "trail-reader", "handler": f"{H}.sls_reader", "role": "fc-role"},
    ]
    sharer["triggers"] = [
        {"type": "eventbridge", "name": "image-events", "function": ["events", "sink"], "pattern": IMAGE_EVENTS},
        {
            "type": "eventbridge",
            "name": "failed-calls",
            "function": ["events", "failures"],
            "pattern": {"data": {"errorCode": [{"anything-but": ""}]}},
        },
        {
            "type": "eventbridge",
            "name": "never",
            "function": ["events", "never"],
            "pattern": {"source": ["acs.kms"]},
        },
        {
            "type": "log",
            "name": "trail-reader",
            "function": ["events", "trail-reader"],
            "project": TRAIL_PROJECT,
            "logstore": TRAIL_STORE,
        },
    ]
    return s


def _modify_image_attribute(call: Call) -> dict[str, Any]:
    """A stand-in ECS write operation, registered only for these tests."""
    image_id = call.params.require("ImageId")
    image = call.cloud.images.get(image_id)
    if image is None or image.owner != call.caller.account_uid or image.region != call.region:
        raise ApiError(404, "InvalidImageId.NotFound", f"The specified ImageId {image_id} does not exist.")
    image.name = call.params.get("ImageName") or image.name
    return {}


@pytest.fixture(autouse=True)
def _test_operation(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    op = Operation(PRODUCTS[ECS], ACTION, _modify_image_attribute, True)
    monkeypatch.setitem(REGISTRY, (ECS, ACTION), op)
    handlers.reset()
    yield
    handlers.reset()


def _rename(lc: LocalCloud, image_id: str = "m-plain001", **kw: Any) -> Any:
    request = ecs_models.ModifyImageAttributeRequest(region_id=HZ, image_id=image_id, image_name="renamed")
    return EcsClient(config(lc, **kw)).modify_image_attribute(request)


def trail_rows(lc: LocalCloud) -> list[dict[str, Any]]:
    """Every row of the sharer's trail logstore, read back with the real LogClient."""
    ak, secret = KEYS[SHARER]
    c = LogClient(lc.endpoint, ak, secret, source="reader")
    c._isRowIp = True  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    for shard in range(2):
        cursor = c.get_cursor(TRAIL_PROJECT, TRAIL_STORE, shard, "begin").get_cursor()
        while True:
            response = c.pull_logs(TRAIL_PROJECT, TRAIL_STORE, shard, cursor)
            if response.get_loggroup_count() == 0:
                break
            rows.extend(response.get_flatten_logs_json())
            cursor = response.get_next_cursor()
    return rows


def trail_events(lc: LocalCloud) -> list[dict[str, Any]]:
    rows = trail_rows(lc)
    assert all(row["__topic__"] == "actiontrail_audit_event" for row in rows)
    return [json.loads(row["event"]) for row in rows]


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_write_call_is_recorded_with_documented_fields(lc: LocalCloud, v1: bool) -> None:
    response = _rename(lc, v1=v1)
    (event,) = trail_events(lc)
    assert event["eventVersion"] == 1
    assert (event["eventType"], event["eventRW"], event["eventCategory"]) == ("ApiCall", "Write", "Management")
    assert (event["eventName"], event["serviceName"], event["apiVersion"]) == (ACTION, "Ecs", ECS)
    assert event["eventSource"] == "ecs.cn-hangzhou.aliyuncs.com"
    assert event["acsRegion"] == HZ and event["isGlobal"] is False
    assert event["requestId"] == response.body.request_id
    # The API's parameters and the gateway's own keys (test_trail_fidelity.py covers those).
    assert event["requestParameters"] == {
        "RegionId": HZ,
        "ImageId": "m-plain001",
        "ImageName": "renamed",
        "AcsHost": "ecs.cn-hangzhou.aliyuncs.com",
        "AcsProduct": "Ecs",
        "RequestId": response.body.request_id,
        "HostId": "ecs.cn-hangzhou.aliyuncs.com",
        "charset": "UTF-8",
    }
    assert json.loads(event["requestParameterJson"]) == event["requestParameters"]
    assert event["responseElements"] == {"RequestId": response.body.request_id}
    assert (event["errorCode"], event["errorMessage"]) == ("", "")
    assert event["userIdentity"]["type"] == "root-account"
    assert event["userIdentity"]["principalId"] == SHARER
    assert event["userIdentity"]["accountId"] == SHARER
    assert event["userIdentity"]["accessKeyId"] == KEYS[SHARER][0]
    assert event["userIdentity"]["userName"] == "root"
    assert event["recipientAccountId"] == SHARER
    assert event["sourceIpAddress"] == "127.0.0.1"
    assert event["userAgent"].startswith("AlibabaCloud")
    assert event["eventTime"].endswith("Z") and len(event["eventId"]) == 36


def test_failed_write_is_recorded_with_its_error(lc: LocalCloud) -> None:
    with pytest.raises(TeaException) as raised:
        _rename(lc, "m-doesnotexist")
    assert raised.value.code == "InvalidImageId.NotFound"
    assert raised.value.data["statusCode"] == 404
    (event,) = trail_events(lc)
    assert event["errorCode"] == "InvalidImageId.NotFound"
    assert "m-doesnotexist" in event["errorMessage"]
    assert event["responseElements"] is None


def test_reads_are_not_recorded(lc: LocalCloud) -> None:
    EcsClient(config(lc)).describe_regions(ecs_models.DescribeRegionsRequest())
    assert trail_events(lc) == []


def test_identity_of_ram_users_and_assumed_roles(lc: LocalCloud) -> None:
    _rename(lc, access_key=("AKSHARERALICE0000001", "alice-secret"))
    role = lc.cloud.ram_of(SHARER).roles["operator"]
    session = mint_session(lc.cloud, role, "night-shift")
    _rename(lc, access_key=(session.access_key_id, session.secret), token=session.token)
    identities = {e["userIdentity"]["type"]: e["userIdentity"] for e in trail_events(lc)}
    assert identities["ram-user"]["userName"] == "alice"
    assumed = identities["assumed-role"]
    assert assumed["principalId"] == f"{role.id}:night-shift"
    assert assumed["userName"] == "operator:night-shift"
    assert assumed["accessKeyId"] == session.access_key_id and assumed["accountId"] == SHARER


def test_matching_eventbridge_triggers_get_the_cloudevent(lc: LocalCloud) -> None:
    _rename(lc)
    assert lc.wait_idle()
    (envelope,) = handlers.received("eventbridge_sink")
    (event,) = trail_events(lc)
    assert envelope["specversion"] == "1.0"
    assert envelope["source"] == "acs.ecs" and envelope["type"] == "ecs:ActionTrail:ApiCall"
    assert envelope["subject"].startswith(f"acs.ecs:{HZ}:{SHARER}:")
    assert envelope["datacontenttype"] == "application/json"
    assert envelope["data"] == event
    assert envelope["time"] == event["eventTime"]
    assert envelope["aliyunaccountid"] == SHARER and envelope["aliyunregionid"] == HZ
    assert envelope["aliyuneventbusname"] == "default" and envelope["aliyunpublishtime"]
    assert envelope["id"] != event["eventId"]
    # Neither the failed-calls trigger nor the KMS-only trigger fired.
    assert handlers.received("echo") == [] and handlers.received("fail") == []
    assert lc.deliveries.failures == []


def test_failed_calls_reach_only_triggers_selecting_them(lc: LocalCloud) -> None:
    with pytest.raises(TeaException):
        _rename(lc, "m-doesnotexist")
    assert lc.wait_idle()
    assert handlers.received("eventbridge_sink") == []
    (payload,) = handlers.received("echo")
    assert json.loads(payload)["data"]["errorCode"] == "InvalidImageId.NotFound"


def test_other_accounts_events_stay_in_their_account(lc: LocalCloud) -> None:
    with pytest.raises(TeaException):
        _rename(lc, uid=SHAREE)
    assert lc.wait_idle()
    assert handlers.received("echo") == [] and handlers.received("eventbridge_sink") == []
    assert trail_events(lc) == []  # the sharee has no trail; the sharer's trail holds only its own


def test_eventbridge_delivery_is_retried(lc: LocalCloud) -> None:
    handlers.FAIL_TIMES["eventbridge_sink"] = 1
    _rename(lc)
    assert lc.wait_idle()
    (failed,) = handlers.received("eventbridge_sink_failed")
    (delivered,) = handlers.received("eventbridge_sink")
    assert failed == delivered


def test_trail_logstore_feeds_log_triggers(lc: LocalCloud) -> None:
    _rename(lc)
    assert lc.wait_idle()
    (call,) = handlers.received("sls_reader")
    (row,) = call["logs"]
    assert row["__topic__"] == "actiontrail_audit_event"
    assert json.loads(row["event"])["eventName"] == ACTION


def test_forged_events_are_written_like_real_ones(lc: LocalCloud) -> None:
    forged = {
        "eventId": "00000000-0000-4000-8000-000000000001",
        "eventVersion": "1",
        "eventType": "ApiCall",
        "eventRW": "Write",
        "eventName": ACTION,
        "serviceName": "Ecs",
        "acsRegion": HZ,
        "eventTime": "2025-01-01T00:00:00Z",
        "requestParameters": {"ImageId": "m-forged", "AddAccount.1": SHAREE},
        "errorCode": "",
    }
    actiontrail.write_event(lc.context, SHARER, forged)
    assert trail_events(lc) == [forged]
    assert lc.wait_idle()
    assert handlers.received("eventbridge_sink") == []  # not published unless asked
    actiontrail.write_event(lc.context, SHARER, forged, publish=True)
    assert lc.wait_idle()
    (envelope,) = handlers.received("eventbridge_sink")
    assert envelope["data"] == forged and envelope["source"] == "acs.ecs"


# --- the EventBridge pattern subset ---------------------------------------------------------------

EVENT = {
    "source": "acs.ecs",
    "type": "ecs:ActionTrail:ApiCall",
    "data": {"eventName": "ModifyImageSharePermission", "errorCode": "", "tags": ["a", "b"], "flag": True},
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["acs.ecs"]}, True),
        ({"source": ["acs.kms", "acs.ecs"]}, True),  # array values are ORed
        ({"source": ["ACS.ECS"]}, False),  # case-sensitive
        ({"source": ["acs.ecs"], "type": ["x"]}, False),  # keys are ANDed
        ({"type": [{"suffix": ":ActionTrail:ApiCall"}]}, True),
        ({"type": [{"prefix": "ecs:"}]}, True),
        ({"type": [{"prefix": "kms:"}]}, False),
        ({"data": {"eventName": ["ModifyImageSharePermission"], "errorCode": [""]}}, True),
        ({"data": {"errorCode": [{"anything-but": ""}]}}, False),
        ({"data": {"eventName": [{"anything-but": ["A", "B"]}]}}, True),
        ({"data": {"eventName": [{"anything-but": {"prefix": "Modify"}}]}}, False),
        ({"data": {"errorCode": [{"exists": True}]}}, True),
        ({"data": {"missing": [{"exists": False}]}}, True),
        ({"data": {"missing": [{"exists": True}]}}, False),
        ({"data": {"missing": [{"anything-but": "x"}]}}, False),
        ({"data": {"tags": ["b"]}}, True),  # an event array matches when any element does
        ({"data": {"flag": [True]}}, True),
        ({"data": {"flag": [1]}}, False),
        ({"data": {"eventName": {"nested": ["x"]}}}, False),
        ({"nothere": {"x": ["y"]}}, False),
    ],
)
def test_pattern_matching(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        {"source": "acs.ecs"},
        {"source": []},
        {"source": [{"numeric": [">", 1]}]},
        {"source": [{"prefix": 1}]},
        {"source": [{"prefix": "a", "suffix": "b"}]},
        {"data": {"errorCode": [{"exists": "yes"}]}},
    ],
)
def test_invalid_patterns_are_rejected(pattern: dict[str, Any]) -> None:
    with pytest.raises(PatternError):
        matches(pattern, EVENT)


def test_real_ecs_share_call_is_recorded_and_published(lc: LocalCloud) -> None:
    """The call sharetrust reacts to, through the ECS SDK (fixture D of events.md §1.2)."""
    if (ECS, "ModifyImageSharePermission") not in REGISTRY:
        pytest.skip("ECS ModifyImageSharePermission is not emulated yet")
    client = EcsClient(config(lc))
    client.modify_image_share_permission(
        ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id="m-plain001", add_account=[SHAREE])
    )
    with pytest.raises(TeaException) as raised:  # no share role exists for the CMK-encrypted image
        client.modify_image_share_permission(
            ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id="m-cmk0001", add_account=[SHAREE])
        )
    assert raised.value.code == "AssumeRoleError"
    events = {e["requestParameters"]["ImageId"]: e for e in trail_events(lc)}
    shared, refused = events["m-plain001"], events["m-cmk0001"]
    assert shared["eventName"] == "ModifyImageSharePermission" and shared["serviceName"] == "Ecs"
    assert shared["requestParameters"]["AddAccount.1"] == SHAREE and shared["errorCode"] == ""
    assert refused["errorCode"] == "AssumeRoleError" and refused["responseElements"] is None
    assert lc.wait_idle()
    (failure,) = handlers.received("echo")  # the failed-calls trigger saw the refused share
    assert json.loads(failure)["data"]["eventId"] == refused["eventId"]
