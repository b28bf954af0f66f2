"""Event intake: every canonical fixture, every quirk, every ignore reason. Plain values, no I/O
beyond reading the fixtures."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from sharetrust.events import (
    EVENT_KINDS,
    SHARE_EVENTS,
    ActionTrailEvent,
    Actor,
    CloudEvent,
    Envelope,
    Ignored,
    Intake,
    InvalidTarget,
    LogRange,
    ResourceRef,
    ShareSignal,
    SlsTriggerEvent,
    classify,
    decode,
    decode_log_row,
    describe,
    normalise,
    parse_log_row,
    parse_time,
    refusal_in_event,
    removes_access,
    target_kind,
    unflatten,
)
from sharetrust.model import INVALID_TARGET_REASON, InvalidShareTarget, ShareTarget

EVENTS = Path(__file__).resolve().parent.parent / "events"
SHARER = "1111111111111111"
MODIFY_ID = "00000000-0000-4000-8000-000000000001"


def fixture(name: str) -> Any:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def one(payload: object) -> Intake:
    items = decode(payload)
    assert len(items) == 1, items
    return items[0]


def signal(payload: object) -> ShareSignal:
    item = one(payload)
    assert isinstance(item, ShareSignal), item
    return item


def ignored(payload: object) -> Ignored:
    item = one(payload)
    assert isinstance(item, Ignored), item
    assert item.reason.startswith("ignored: ")
    assert item.describe() == item.reason
    return item


def modify(**changes: Any) -> dict[str, Any]:
    """Fixture D with top-level keys replaced (None deletes the key)."""
    event: dict[str, Any] = fixture("actiontrail_modify_image_share_permission.json")
    for key, value in changes.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def rs_event(name: str, params: dict[str, Any], **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = fixture("resourcesharing_delete_resource_share.json")
    event["eventName"] = name
    event["requestParameters"] = params
    event.update(changes)
    return event


# --- canonical fixtures -------------------------------------------------------------------------


def test_every_fixture_decodes_without_raising() -> None:
    names = sorted(p.name for p in EVENTS.glob("*.json"))
    assert len(names) >= 17
    for name in names:
        items = decode((EVENTS / name).read_bytes())
        assert items, name
        for item in items:
            assert item.describe()
            if isinstance(item, Ignored):
                assert "decoder error" not in item.reason, (name, item)


def test_every_fixture_is_listed_in_the_readme() -> None:
    readme = (EVENTS / "README.md").read_text(encoding="utf-8")
    for path in EVENTS.glob("*.json"):
        assert f"`{path.name}`" in readme, path.name


def test_modify_image_share_permission_flattened() -> None:
    s = signal((EVENTS / "actiontrail_modify_image_share_permission.json").read_bytes())
    assert s.event_id == MODIFY_ID
    assert s.event_name == "ModifyImageSharePermission"
    assert s.service == "ecs"
    assert s.account_uid == SHARER
    assert s.region == "cn-hangzhou"
    assert s.resources == (ResourceRef("image", "m-bp1example0000000001", "cn-hangzhou"),)
    assert s.resource_share_id is None
    assert s.added_targets == ("1234567890123456", "2234567890123456")
    assert s.removed_targets == ()
    assert s.failed_with is None
    assert s.invalid_targets == ()
    assert s.actor == Actor("ram-user", "2222222222222222", SHARER, "alice")
    assert s.event_time == "2025-01-01T00:00:00Z"
    assert s.delivery_key is None
    assert s.request_parameters["AddAccount"] == ("1234567890123456", "2234567890123456")
    assert s.resource_kinds == frozenset({"image"})


def test_modify_failed_with_assume_role_error_is_a_signal() -> None:
    s = signal(fixture("actiontrail_modify_image_share_permission_assume_role_error.json"))
    assert s.failed_with == "AssumeRoleError"
    assert s.added_targets == ("1234567890123456", "2234567890123456")
    assert "failed with AssumeRoleError" in s.describe()


def test_console_operation_with_list_form_numbers_and_duplicates() -> None:
    s = signal(fixture("actiontrail_modify_image_share_permission_console.json"))
    assert s.region == "cn-shanghai"
    assert s.resources == (ResourceRef("image", "m-uf6example0000000002", "cn-shanghai"),)
    # order kept, the JSON number rendered as digits, the duplicate dropped
    assert s.added_targets == ("1234567890123456", "3234567890123456")
    assert s.removed_targets == ("4234567890123456",)
    assert s.actor.type == "root-account"


def test_request_parameter_json_fills_what_request_parameters_lack() -> None:
    s = signal(fixture("actiontrail_modify_image_share_permission_parameter_json.json"))
    assert s.resources == (ResourceRef("image", "m-bp1example0000000004", "cn-hangzhou"),)
    assert s.added_targets == ("5234567890123456",)
    assert s.request_parameters["AcsProduct"] == "Ecs"  # from requestParameters
    assert s.actor == Actor("assumed-role", "300000000000000001:deployer", SHARER, "ci-deploy-role:deployer")


def test_create_resource_share_flattened_image_and_snapshot() -> None:
    s = signal(fixture("resourcesharing_create_resource_share.json"))
    assert s.service == "resourcesharing"
    assert s.resources == (
        ResourceRef("image", "m-bp1example0000000001", "cn-hangzhou"),
        ResourceRef("snapshot", "s-bp1example0000000001", "cn-hangzhou"),
    )
    assert s.resource_share_id is None  # only the response names it; the engine re-reads
    assert s.added_targets == ("1234567890123456", "rd-Ab1234")
    assert s.removed_targets == ()
    assert s.request_parameters["AllowExternalTargets"] is True
    assert s.resource_kinds == frozenset({"image", "snapshot"})


def test_associate_with_only_share_id_and_list_targets() -> None:
    s = signal(fixture("resourcesharing_associate_resource_share.json"))
    assert s.resources == ()
    assert s.resource_share_id == "rs-example0000001"
    assert s.added_targets == ("fd-Prod0001", "2234567890123456")
    assert "resources unknown" in s.describe()


def test_disassociate_removes_targets() -> None:
    s = signal(fixture("resourcesharing_disassociate_resource_share.json"))
    assert s.resources == (ResourceRef("snapshot", "s-bp1example0000000001", "cn-hangzhou"),)
    assert s.added_targets == ()
    assert s.removed_targets == ("1234567890123456",)
    assert s.resource_share_id == "rs-example0000001"


def test_delete_share_with_only_its_id() -> None:
    s = signal(fixture("resourcesharing_delete_resource_share.json"))
    assert (s.event_name, s.resources, s.resource_share_id) == ("DeleteResourceShare", (), "rs-example0000001")
    assert s.added_targets == s.removed_targets == ()


def test_eventbridge_cloudevent_wrapping_modify() -> None:
    raw = fixture("eventbridge_modify_image_share_permission.json")
    s = signal(json.dumps(raw))
    assert s.event_id == MODIFY_ID
    assert s.delivery_key == "acs.ecs/7a8c1e2f-0000-4000-8000-00000000eb01"
    assert s.added_targets == ("1234567890123456", "2234567890123456")


def test_cloudevent_data_class() -> None:
    envelope = CloudEvent(fixture("eventbridge_modify_image_share_permission.json"))
    assert envelope.specversion == "1.0"
    assert envelope.id == "7a8c1e2f-0000-4000-8000-00000000eb01"
    assert envelope.source == "acs.ecs"
    assert envelope.type == "ecs:ActionTrail:ApiCall"
    assert envelope.aliyunaccountid == SHARER
    assert envelope.aliyunregionid == "cn-hangzhou"
    assert envelope.aliyuneventbusname == "default"
    assert envelope.aliyunpublishtime == "2025-01-01T08:00:01.179PRC"
    assert envelope.publish_time == datetime(2025, 1, 1, 0, 0, 1, 179000, tzinfo=timezone.utc)
    assert envelope.datacontenttype == "application/json;charset=utf-8"
    assert envelope.data.event_name == "ModifyImageSharePermission"
    assert envelope.dedupe_key == "acs.ecs/7a8c1e2f-0000-4000-8000-00000000eb01"
    assert CloudEvent({"data": 5}).data.event_name is None
    assert CloudEvent({}).dedupe_key is None


def test_eventbridge_delete_disk_is_ignored() -> None:
    item = ignored(fixture("eventbridge_delete_disk.json"))
    assert item.event_id == "92b33345-0cef-47be-821f-fb9914d3****"
    assert "DeleteDisk, not a share event" in item.reason


def test_sls_trigger_payload_yields_the_cursor_range() -> None:
    item = one((EVENTS / "sls_trigger.json").read_bytes())
    assert item == LogRange(
        project="log-com",
        logstore="log-en",
        shard_id=0,
        begin_cursor="MTUyOTQ4MDIwOTY1NTk3ODQ2Mw==",
        end_cursor="MTUyOTQ4MDIwOTY1NTk3ODQ2NA==",
        endpoint="http://cn-shanghai-intranet.log.aliyuncs.com",
        job_name="1f7043ced683de1a4e3d8d70b5a412843d817a39",
        task_id="c2691505-38da-4d1b-998a-f1d4bb8c9994",
        cursor_time=1529486425,
    )
    assert isinstance(item, LogRange)
    assert not item.is_empty
    assert dict(item.parameter) == {}
    assert "log-com/log-en shard 0" in item.describe()


def test_sls_trigger_data_class() -> None:
    trigger = SlsTriggerEvent(fixture("sls_trigger.json"))
    assert trigger.project_name == "log-com"
    assert trigger.logstore_name == "log-en"
    assert trigger.shard_id == 0
    assert trigger.cursor_time == 1529486425
    assert trigger.parameter == {}


def test_sls_log_row_fixture() -> None:
    row = fixture("sls_log_row.json")
    event = parse_log_row(row)
    assert isinstance(event, ActionTrailEvent)
    assert event.event_id == MODIFY_ID
    s = decode_log_row(row)
    assert isinstance(s, ShareSignal)
    assert s.added_targets == ("1234567890123456", "2234567890123456")
    assert signal(row) == s  # decode recognises a log row too


def test_minimal_sls_log_row_fixture_e() -> None:
    row = fixture("sls_log_row_minimal.json")
    event = parse_log_row(row)
    assert isinstance(event, ActionTrailEvent)
    assert event.event_version == "1"
    item = decode_log_row(row)
    assert isinstance(item, Ignored)
    assert (
        item.reason
        == f"ignored: event {MODIFY_ID} (ModifyImageSharePermission) names no account (userIdentity.accountId)"
    )


def test_list_mixing_shapes_keeps_order() -> None:
    items = decode((EVENTS / "list_mixed.json").read_bytes())
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["ShareSignal", "LogRange", "Ignored", "ShareSignal", "ShareSignal", "Ignored"]
    first, _, stop, failed, from_row, seven = items
    assert isinstance(first, ShareSignal) and first.delivery_key is not None
    assert isinstance(stop, Ignored) and "StopInstance" in stop.reason
    assert isinstance(failed, ShareSignal) and failed.failed_with == "AssumeRoleError"
    assert isinstance(from_row, ShareSignal) and from_row.event_id == first.event_id
    assert isinstance(seven, Ignored) and seven.reason == "ignored: list item is int, not an object"


@pytest.mark.parametrize(
    ("name", "event_id", "event_name"),
    [
        ("actiontrail_stop_instance.json", "239EB588-CD24-522E-B0B5-174A1A588BE0", "StopInstance"),
        ("actiontrail_lookup_events.json", "3462D6AF-4434-4690-8CAD-****", "LookupEvents"),
        ("actiontrail_delete_disk_system.json", "92b33345-0cef-47be-821f-fb9914d3****", "DeleteDisk"),
    ],
)
def test_doc_fixtures_a_b_c_are_ignored(name: str, event_id: str, event_name: str) -> None:
    item = ignored((EVENTS / name).read_text(encoding="utf-8"))
    assert item.event_id == event_id
    assert item.reason == f"ignored: event {event_id} is {event_name}, not a share event"


def test_malformed_fixture() -> None:
    item = ignored((EVENTS / "malformed.json").read_bytes())
    assert item.event_id is None
    assert item.reason.startswith("ignored: not JSON (")
    assert "line 2 column 1" in item.reason


# --- ActionTrailEvent data class and its quirks -------------------------------------------------


def test_fixture_a_quirks_int_version_bool_param_no_error_code() -> None:
    event = ActionTrailEvent(fixture("actiontrail_stop_instance.json"))
    assert event.event_version == 1
    assert event.error_code is None and not event.failed
    assert event.request_parameters["ForceStop"] is False
    assert event.identity_type == "root-account"
    assert event.region == "cn-beijing"
    assert event.is_global is False
    assert event.referenced_resources == {"ACS::ECS::Instance": ["i-2zeip56clb391fpf****"]}
    assert event.event_datetime == datetime(2021, 8, 4, 6, 11, 36, tzinfo=timezone.utc)


def test_fixture_b_quirks_string_version_empty_error_flattened_numeric() -> None:
    event = ActionTrailEvent(fixture("actiontrail_lookup_events.json"))
    assert event.event_version == "1"
    assert event.error_code is None and event.error_message is None
    assert event.request_parameters["stsTokenPlayerUid"] == 1754986938260000
    assert event.request_parameters["LookupAttribute"] == ({"Key": "EventRW", "Value": "Write"},)
    assert event.principal_id == "34359792600393****:u1"
    assert event.user_identity.access_key_id == "STS.NUQNP4PiGyckMsNiGELCs****"


def test_fixture_c_system_identity_has_no_account() -> None:
    event = ActionTrailEvent(fixture("actiontrail_delete_disk_system.json"))
    assert event.identity_type == "system"
    assert event.account_id is None
    assert event.user_identity.user_name == "ecs.aliyuncs.com"
    assert event["extend"] == "INSTANCE"  # unknown keys stay readable through the mapping


def test_account_falls_back_to_recipient_account_id() -> None:
    event = ActionTrailEvent({"userIdentity": {"type": "system"}, "recipientAccountId": "9" * 16})
    assert event.account_id == "9" * 16
    s = signal(modify(userIdentity={"type": "system", "userName": "ecs.aliyuncs.com"}, recipientAccountId="9" * 16))
    assert s.account_uid == "9" * 16
    assert s.actor == Actor("system", None, None, "ecs.aliyuncs.com")


def test_account_falls_back_to_the_cloudevent_account() -> None:
    envelope = fixture("eventbridge_modify_image_share_permission.json")
    envelope["data"]["userIdentity"] = {"type": "system"}
    envelope["aliyunaccountid"] = "8" * 16
    assert signal(envelope).account_uid == "8" * 16


def test_account_falls_back_to_the_older_log_row_owner_id() -> None:
    event = modify(userIdentity={"type": "system"})
    row = {"__topic__": "actiontrail_event", "owner_id": "7" * 16, "event": json.dumps(event)}
    s = decode_log_row(row)
    assert isinstance(s, ShareSignal) and s.account_uid == "7" * 16


def test_no_account_anywhere_is_ignored() -> None:
    item = ignored(modify(userIdentity={"type": "system"}))
    assert item.reason == (
        f"ignored: event {MODIFY_ID} (ModifyImageSharePermission) names no account (userIdentity.accountId)"
    )


def test_masked_account_is_not_a_uid() -> None:
    identity = {"type": "root-account", "accountId": "154735325685****"}
    item = ignored(modify(userIdentity=identity))
    assert item.reason.endswith("names account 154735325685****, not an account UID")


def test_region_falls_back_to_region_id_then_envelope() -> None:
    assert signal(modify(acsRegion=None)).region == "cn-hangzhou"
    params = {"ImageId": "m-1", "AddAccount.1": "1234567890123456"}
    item = ignored(modify(acsRegion=None, requestParameters=params))
    assert item.reason.endswith("names no region (acsRegion)")
    envelope = fixture("eventbridge_modify_image_share_permission.json")
    envelope["data"] = modify(acsRegion=None, requestParameters=params)
    envelope["aliyunregionid"] = "ap-southeast-1"
    s = signal(envelope)
    assert s.region == "ap-southeast-1"
    assert s.resources == (ResourceRef("image", "m-1", "ap-southeast-1"),)


def test_image_region_comes_from_region_id() -> None:
    params = {"RegionId": "cn-beijing", "ImageId": "m-2", "AddAccount.1": "1234567890123456"}
    s = signal(modify(requestParameters=params))
    assert s.region == "cn-hangzhou"
    assert s.resources == (ResourceRef("image", "m-2", "cn-beijing"),)


@pytest.mark.parametrize("version", [1, "1", "2", None])
def test_event_version_int_or_string(version: object) -> None:
    event = ActionTrailEvent(modify(eventVersion=version))
    assert event.event_version == version
    assert isinstance(one(modify(eventVersion=version)), ShareSignal)


def test_event_version_of_another_type_reads_as_none() -> None:
    assert ActionTrailEvent({"eventVersion": True}).event_version is None
    assert ActionTrailEvent({"eventVersion": [1]}).event_version is None


@pytest.mark.parametrize("error_code", [None, ""])
def test_error_code_absent_or_empty_means_success(error_code: str | None) -> None:
    event = modify(errorCode=error_code, errorMessage=error_code)
    assert ActionTrailEvent(event).error_code is None
    assert signal(event).failed_with is None


def test_numeric_event_id_is_read_as_text() -> None:
    event = ActionTrailEvent({"eventId": 12345, "eventName": 7})
    assert event.event_id == "12345"
    assert event.event_name == "7"


def test_request_parameters_given_as_json_text() -> None:
    params = json.dumps({"ImageId": "m-3", "AddAccount.1": "1234567890123456"})
    s = signal(modify(requestParameters=params))
    assert s.resources[0].id == "m-3"


def test_request_parameter_json_as_object_and_precedence() -> None:
    event = modify(
        requestParameters={"ImageId": "m-primary"},
        requestParameterJson={"ImageId": "m-fallback", "AddAccount": ["1234567890123456"]},
    )
    s = signal(event)
    assert s.resources[0].id == "m-primary"
    assert s.added_targets == ("1234567890123456",)
    assert ActionTrailEvent(event).request_parameter_json == event["requestParameterJson"]


def test_request_parameter_json_alone() -> None:
    params = {"RegionId": "cn-hangzhou", "ImageId": "m-4", "AddAccount.1": "1234567890123456"}
    s = signal(modify(requestParameters=None, requestParameterJson=json.dumps(params)))
    assert s.added_targets == ("1234567890123456",)


def test_unreadable_request_parameter_json_is_no_fallback() -> None:
    item = ignored(modify(requestParameters={"ImageId": "m-5"}, requestParameterJson="{not json"))
    assert item.reason.endswith("adds or removes no account")


def test_request_parameters_are_read_only_and_parameters_dict_is_a_copy() -> None:
    s = signal(fixture("resourcesharing_create_resource_share.json"))
    with pytest.raises(TypeError):
        s.request_parameters["ImageId"] = "m-x"  # type: ignore[index]
    plain = s.parameters_dict()
    assert plain["Resources"][0] == {"ResourceId": "m-bp1example0000000001", "ResourceType": "Image"}
    plain["Targets"].append("x")
    assert s.request_parameters["Targets"] == ("1234567890123456", "rd-Ab1234")
    json.dumps(plain)  # ready to serialise


def test_event_wrapper_is_a_read_only_mapping() -> None:
    raw = modify()
    event = ActionTrailEvent(raw)
    assert isinstance(event, Mapping)
    assert event.raw_event is raw
    assert len(event) == len(raw) and set(event) == set(raw)
    assert event == ActionTrailEvent(copy.deepcopy(raw))
    assert event != raw
    assert "ActionTrailEvent(" in repr(event)
    assert not hasattr(event, "__setitem__")


# --- parameter normalisation ---------------------------------------------------------------------


def test_unflatten_lists_structs_and_order() -> None:
    flat = {
        "Targets.2": "b",
        "Targets.1": "a",
        "Targets.10": "j",
        "Resources.1.ResourceId": "m-1",
        "Resources.1.ResourceType": "Image",
        "Tag.1.Key": "k",
        "Plain": 3,
    }
    assert unflatten(flat) == {
        "Targets": ["a", "b", "j"],
        "Resources": [{"ResourceId": "m-1", "ResourceType": "Image"}],
        "Tag": [{"Key": "k"}],
        "Plain": 3,
    }


def test_unflatten_merges_list_and_flattened_forms() -> None:
    assert unflatten({"AddAccount": ["1"], "AddAccount.1": "2"}) == {"AddAccount": ["1", "2"]}
    assert unflatten({"AddAccount": "1", "AddAccount.1": "2"}) == {"AddAccount": ["1", "2"]}
    assert unflatten({"A.1": "x", "A.1.B": "y"}) == {"A": ["x"]}


def test_normalise_fallback_only_fills_missing_keys() -> None:
    result = normalise({"A": 1}, '{"A": 2, "B.1": "x"}')
    assert result == {"A": 1, "B": ["x"]}
    assert normalise(None, None) == {}
    assert normalise("[1, 2]", 5) == {}


def test_targets_as_json_array_text() -> None:
    params = {"ImageId": "m-6", "AddAccount": '["1234567890123456", "2234567890123456"]'}
    assert signal(modify(requestParameters=params)).added_targets == ("1234567890123456", "2234567890123456")


def test_float_and_large_number_targets() -> None:
    params = {"ImageId": "m-7", "AddAccount": [1234567890123.0, 1.5, 9.5e15, -3, True, None, {"a": 1}, "", " 42 "]}
    s = signal(modify(requestParameters=params))
    # Nothing is trimmed: " 42 " is rejected with the same reason as "*" (the one UID rule).
    assert s.added_targets == ("1234567890123",)
    reasons = {t.parameter: t.reason for t in s.invalid_targets}
    assert reasons == {
        "AddAccount.2": "a number that is not an exact account UID",
        "AddAccount.3": "a number that is not an exact account UID",
        "AddAccount.4": "a negative number",
        "AddAccount.5": "a boolean, not a target",
        "AddAccount.6": "null, not a string",
        "AddAccount.7": "object, not a string",
        "AddAccount.8": "empty",
        "AddAccount.9": INVALID_TARGET_REASON,
    }


@pytest.mark.parametrize("raw", ["*", " 42", "42 ", "1234567890123456\n", "١٢٣٤", "１２３", "12345678901234567890123"])
def test_one_uid_rule_rejects_alike(raw: str) -> None:
    s = signal(modify(requestParameters={"ImageId": "m-7", "AddAccount": ["1234567890123456", raw]}))
    assert s.added_targets == ("1234567890123456",)
    assert [t.reason for t in s.invalid_targets] == [INVALID_TARGET_REASON]
    assert target_kind(raw) is None
    with pytest.raises(InvalidShareTarget):
        ShareTarget.account(raw)


# --- target validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("1234567890123456", "account"),
        ("1", "account"),
        ("12345678901234567890", "account"),
        ("123456789012345678901", None),
        ("rd-Ab1234", "directory"),
        ("fd-Prod0001", "folder"),
        ("r-Cd5678", "root"),
        ("rd-", None),
        ("acs:ram::123:root", None),
        ("12345abc", None),
        ("fd-a/b", None),
    ],
)
def test_target_kind(target: str, kind: str | None) -> None:
    assert target_kind(target) == kind


def test_invalid_targets_are_carried_not_dropped() -> None:
    params = {
        "ResourceShareId": "rs-1",
        "Targets.1": "1234567890123456",
        "Targets.2": "alice@example.com",
        "Targets.3": "rd-Ab1234",
        "Targets.4": "1234567890123456",
    }
    s = signal(rs_event("AssociateResourceShare", params))
    assert s.added_targets == ("1234567890123456", "rd-Ab1234")
    assert s.invalid_targets == (InvalidTarget("Targets.2", "alice@example.com", INVALID_TARGET_REASON),)
    assert "invalid targets: Targets.2=alice@example.com" in s.describe()


def test_ecs_takes_account_uids_only() -> None:
    params = {"ImageId": "m-8", "AddAccount.1": "rd-Ab1234", "AddAccount.2": "1234567890123456"}
    s = signal(modify(requestParameters=params))
    assert s.added_targets == ("1234567890123456",)
    assert s.invalid_targets == (
        InvalidTarget("AddAccount.1", "rd-Ab1234", "ModifyImageSharePermission takes account UIDs only"),
    )


def test_all_targets_invalid_still_yields_a_signal() -> None:
    s = signal(modify(requestParameters={"ImageId": "m-9", "AddAccount.1": "nobody"}))
    assert s.added_targets == ()
    assert len(s.invalid_targets) == 1


# --- ignore reasons ------------------------------------------------------------------------------


def test_no_event_name() -> None:
    item = ignored(modify(eventName=None))
    assert item.reason == f"ignored: event {MODIFY_ID} has no eventName"
    assert item.event_id == MODIFY_ID


def test_no_event_id_falls_back_to_request_id() -> None:
    s = signal(modify(eventId=None))
    assert s.event_id == "11111111-2222-3333-4444-555555555555"


def test_no_event_id_and_no_request_id() -> None:
    item = ignored(modify(eventId=None, requestId=None))
    assert item.event_id is None
    assert item.reason == "ignored: ModifyImageSharePermission event has neither eventId nor requestId"


def test_other_event_name() -> None:
    item = ignored(modify(eventName="DescribeImageSharePermission"))
    assert item.reason == f"ignored: event {MODIFY_ID} is DescribeImageSharePermission, not a share event"


def test_accept_invitation_is_not_a_sharer_event() -> None:
    item = ignored(rs_event("AcceptResourceShareInvitation", {"ResourceShareInvitationId": "i-1"}))
    assert "AcceptResourceShareInvitation, not a share event" in item.reason


@pytest.mark.parametrize("event_type", ["ConsoleSignin", "ConsoleSignout", "AliyunServiceEvent", "Other"])
def test_other_event_types(event_type: str) -> None:
    item = ignored(modify(eventType=event_type))
    assert item.reason.endswith(f"has eventType {event_type}, not ApiCall")


def test_missing_event_type_is_tolerated() -> None:
    assert isinstance(one(modify(eventType=None)), ShareSignal)


def test_read_events() -> None:
    item = ignored(modify(eventRW="Read"))
    assert item.reason == f"ignored: event {MODIFY_ID} (ModifyImageSharePermission) is a Read event"


@pytest.mark.parametrize("service_name", ["Ecs", "ECS", "ecs"])
def test_service_name_case_insensitive(service_name: str) -> None:
    assert signal(modify(serviceName=service_name)).service == "ecs"


@pytest.mark.parametrize("service_name", ["ResourceSharing", "resourcesharing", "ResourceManager"])
def test_resource_sharing_service_names(service_name: str) -> None:
    event = fixture("resourcesharing_delete_resource_share.json")
    event["serviceName"] = service_name
    assert signal(event).service == "resourcesharing"


def test_unknown_service_accepted_when_parameters_fit() -> None:
    assert signal(modify(serviceName="SomethingNew")).service == "ecs"
    event = fixture("resourcesharing_associate_resource_share.json")
    event["serviceName"] = "Rs"
    assert signal(event).resource_share_id == "rs-example0000001"


def test_unknown_service_rejected_when_parameters_do_not_fit() -> None:
    item = ignored(modify(serviceName="Oss", requestParameters={"Bucket": "b"}))
    assert item.reason == (
        f"ignored: event {MODIFY_ID} (ModifyImageSharePermission) comes from service Oss "
        "and its parameters do not fit ModifyImageSharePermission"
    )
    assert isinstance(one(rs_event("DeleteResourceShare", {}, serviceName="Oss")), Ignored)
    assert isinstance(one(rs_event("CreateResourceShare", {"Name": "x"}, serviceName="Oss")), Ignored)


@pytest.mark.parametrize("code", ["InvalidImageId.NotFound", "OperationDeined.EncryptedSnapshot", "Throttling"])
def test_failed_calls_are_ignored(code: str) -> None:
    item = ignored(modify(errorCode=code))
    assert item.reason == f"ignored: event {MODIFY_ID} (ModifyImageSharePermission) failed with {code}; nothing to do"


def test_assume_role_error_on_resource_sharing_adds() -> None:
    for name in ("CreateResourceShare", "AssociateResourceShare"):
        event = fixture(f"resourcesharing_{'create' if name.startswith('Create') else 'associate'}_resource_share.json")
        event["errorCode"] = "AssumeRoleError"
        assert signal(event).failed_with == "AssumeRoleError"


def test_assume_role_error_sub_code() -> None:
    assert signal(modify(errorCode="AssumeRoleError.Sharee")).failed_with == "AssumeRoleError.Sharee"


@pytest.mark.parametrize(
    "name", ["resourcesharing_disassociate_resource_share.json", "resourcesharing_delete_resource_share.json"]
)
def test_assume_role_error_on_removals_is_ignored(name: str) -> None:
    event = fixture(name)
    event["errorCode"] = "AssumeRoleError"
    assert ignored(event).reason.endswith("failed with AssumeRoleError; nothing to do")


def test_modify_without_image_id() -> None:
    item = ignored(modify(requestParameters={"AddAccount.1": "1234567890123456"}))
    assert item.reason.endswith("(ModifyImageSharePermission) has no ImageId")


def test_modify_without_accounts() -> None:
    item = ignored(modify(requestParameters={"ImageId": "m-1", "IsPublic": False, "AddAccount": []}))
    assert item.reason.endswith("adds or removes no account")


def test_resource_sharing_without_share_id() -> None:
    for name in ("AssociateResourceShare", "DisassociateResourceShare", "DeleteResourceShare"):
        item = ignored(rs_event(name, {"Targets.1": "1234567890123456"}))
        assert item.reason.endswith(f"({name}) has no ResourceShareId")


def test_create_naming_only_other_types() -> None:
    params = {"ResourceShareName": "n", "Resources.1.ResourceId": "vsw-1", "Resources.1.ResourceType": "VSwitch"}
    item = ignored(rs_event("CreateResourceShare", {**params, "Targets.1": "1234567890123456"}))
    assert item.reason.endswith("(CreateResourceShare) names no Image or Snapshot resource (only VSwitch)")


def test_create_naming_no_resources() -> None:
    item = ignored(rs_event("CreateResourceShare", {"ResourceShareName": "n", "Targets.1": "1234567890123456"}))
    assert item.reason.endswith("(CreateResourceShare) names no resources")


def test_associate_naming_only_other_types_without_targets() -> None:
    params = {"ResourceShareId": "rs-1", "Resources": [{"ResourceId": "vsw-1", "ResourceType": "VSwitch"}]}
    item = ignored(rs_event("AssociateResourceShare", params))
    assert "names no Image or Snapshot resource (only VSwitch)" in item.reason


def test_associate_other_types_with_targets_still_matters() -> None:
    # The new target gains every resource already in the share, images included.
    params = {
        "ResourceShareId": "rs-1",
        "Resources.1.ResourceId": "vsw-1",
        "Resources.1.ResourceType": "VSwitch",
        "Targets.1": "1234567890123456",
    }
    s = signal(rs_event("AssociateResourceShare", params))
    assert s.resources == () and s.added_targets == ("1234567890123456",)
    assert s.notes == ("names only other resource types (VSwitch); the share's own resources count",)


def test_disassociate_by_a_sharee_leaving_is_ignored() -> None:
    params = {"ResourceShareId": "rs-1", "ResourceOwner": "OtherAccounts"}
    assert "sharee leaving" in ignored(rs_event("DisassociateResourceShare", params)).reason


def test_disassociate_with_only_share_id() -> None:
    s = signal(rs_event("DisassociateResourceShare", {"ResourceShareId": "rs-1"}))
    assert (s.resources, s.removed_targets) == ((), ())


def test_resources_mixed_types_arns_and_untyped() -> None:
    params = {
        "ResourceShareName": "n",
        "Resources": [
            {"ResourceId": "m-1", "ResourceType": "image"},
            {"ResourceId": "vsw-1", "ResourceType": "VSwitch"},
            {"ResourceId": "s-1"},
            {"ResourceType": "Image"},
            "m-2",
            {"ResourceId": "m-1", "ResourceType": "Image"},
        ],
        "ResourceArns.1": "acs:ecs:cn-beijing:1111111111111111:snapshot/s-9",
        "ResourceArns.2": "acs:vpc:cn-hangzhou:1111111111111111:vswitch/vsw-2",
        "Targets.1": "1234567890123456",
    }
    s = signal(rs_event("CreateResourceShare", params))
    assert s.resources == (
        ResourceRef("image", "m-1", "cn-hangzhou"),
        ResourceRef("snapshot", "s-1", "cn-hangzhou"),
        ResourceRef("snapshot", "s-9", "cn-beijing"),
    )
    assert s.notes == (
        "Resources.3 has no ResourceType; s-1 taken as snapshot",
        "Resources.4 has no ResourceId; skipped",
        "Resources.5 is str, not an object; skipped",
        "other resource types skipped: VSwitch, ResourceArns.2",
    )


# --- decode: envelopes, lists, garbage ----------------------------------------------------------


def test_bytes_str_and_object_inputs_agree() -> None:
    raw = (EVENTS / "actiontrail_modify_image_share_permission.json").read_bytes()
    assert decode(raw) == decode(raw.decode()) == decode(json.loads(raw)) == decode(bytearray(raw))
    assert decode(memoryview(raw)) == decode(raw)
    assert decode(b"\xef\xbb\xbf" + raw) == decode(raw)  # byte-order mark


def test_nested_lists() -> None:
    event = modify()
    items = decode([[event], [[event, [fixture("sls_trigger.json")]]], []])
    assert [type(i).__name__ for i in items] == ["ShareSignal", "ShareSignal", "LogRange"]
    assert decode("[]") == []


def test_too_deeply_nested_lists() -> None:
    payload: list[Any] = [modify()]
    for _ in range(40):
        payload = [payload]
    assert ignored(payload).reason == "ignored: payload nested deeper than 16 levels"
    assert ignored("[" * 100_000).reason.startswith("ignored: not JSON")


def test_double_encoded_json_string() -> None:
    once = json.dumps(modify())
    assert isinstance(one(json.dumps(once)), ShareSignal)
    assert ignored('"hello"').reason == "ignored: payload is a JSON string, not an object or a list"


def test_cloudevent_with_data_as_json_text() -> None:
    envelope = fixture("eventbridge_modify_image_share_permission.json")
    envelope["data"] = json.dumps(envelope["data"])
    assert signal(envelope).event_id == MODIFY_ID


def test_cloudevent_without_data() -> None:
    envelope = fixture("eventbridge_modify_image_share_permission.json")
    del envelope["data"]
    item = ignored(envelope)
    assert item.reason == "ignored: CloudEvent 7a8c1e2f-0000-4000-8000-00000000eb01 has no data"
    assert item.event_id == "7a8c1e2f-0000-4000-8000-00000000eb01"


def test_cloudevent_with_non_actiontrail_data() -> None:
    envelope = fixture("eventbridge_modify_image_share_permission.json")
    envelope["data"] = {}
    item = ignored(envelope)
    assert (
        item.reason
        == "ignored: CloudEvent 7a8c1e2f-0000-4000-8000-00000000eb01: event without eventId has no eventName"
    )


def test_sls_trigger_missing_fields() -> None:
    payload = fixture("sls_trigger.json")
    del payload["source"]["endCursor"]
    assert ignored(payload).reason == "ignored: SLS trigger payload has no usable source.endCursor (missing)"
    payload = fixture("sls_trigger.json")
    payload["source"]["shardId"] = "x"
    assert ignored(payload).reason == "ignored: SLS trigger payload has no usable source.shardId (str 'x')"
    payload = fixture("sls_trigger.json")
    payload["source"]["shardId"] = "3"
    payload["cursorTime"] = "1529486425"
    item = one(payload)
    assert isinstance(item, LogRange) and (item.shard_id, item.cursor_time) == (3, 1529486425)
    assert ignored({"jobName": "j", "source": "oops"}).reason == "ignored: SLS trigger payload source is str"


def test_sls_trigger_empty_range() -> None:
    payload = fixture("sls_trigger.json")
    payload["source"]["endCursor"] = payload["source"]["beginCursor"]
    payload["parameter"] = {"dryRun": True}
    item = one(payload)
    assert isinstance(item, LogRange) and item.is_empty
    assert item.parameter["dryRun"] is True


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            {"__topic__": "actiontrail_audit_event"},
            "ignored: log row (topic actiontrail_audit_event) has no event field",
        ),
        ({"__topic__": "x", "event": "{bad"}, "ignored: log row event field is not JSON ("),
        ({"event": "[1]"}, "ignored: log row event field holds list, not an object"),
        ({"event": 5}, "ignored: log row event field is int, not JSON text"),
        ({"event": b"\xff"}, "ignored: log row event field is not UTF-8 (invalid start byte)"),
    ],
)
def test_bad_log_rows(row: dict[str, Any], reason: str) -> None:
    item = parse_log_row(row)
    assert isinstance(item, Ignored)
    assert item.reason.startswith(reason)
    assert isinstance(decode_log_row(row), Ignored)


def test_log_row_with_other_topic_or_decoded_event() -> None:
    event = modify()
    assert isinstance(decode_log_row({"__topic__": "actiontrail_event", "event": json.dumps(event)}), ShareSignal)
    assert isinstance(decode_log_row({"__topic__": "other", "event": json.dumps(event)}), ShareSignal)
    assert isinstance(decode_log_row({"event": event}), ShareSignal)
    assert isinstance(decode_log_row({"event": json.dumps(event).encode()}), ShareSignal)
    assert isinstance(parse_log_row([]), Ignored)  # type: ignore[arg-type]


GARBAGE: list[object] = [
    b"",
    b"null",
    b"42",
    b"[1]",
    b"{}",
    '{"data": 5}',
    b"\xff\xfe\x00",
    b"\x80abc",
    "",
    "   ",
    "true",
    '[null, false, 1.5, "x"]',
    '{"specversion": "1.0"}',
    '{"specversion": "1.0", "data": []}',
    '{"source": {}}',
    '{"source": {"shardId": true}}',
    '{"eventName": null}',
    '{"eventName": ["ModifyImageSharePermission"]}',
    '{"eventName": "ModifyImageSharePermission"}',
    '{"eventName": "ModifyImageSharePermission", "eventId": "e", "requestParameters": 5}',
    '{"eventName": "ModifyImageSharePermission", "eventId": "e", "requestParameters": {"ImageId": {}}}',
    '{"eventName": "CreateResourceShare", "eventId": "e", "requestParameters": {"Resources": 7}}',
    '{"eventName": "AssociateResourceShare", "eventId": "e", "userIdentity": "me"}',
    '{"event": null}',
    '{"__topic__": "actiontrail_audit_event", "event": "null"}',
    "\ud800",
    '"\\ud800"',
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    None,
    42,
    3.5,
    object(),
    {"eventId": object(), "eventName": "ModifyImageSharePermission"},
    {1: 2},
    [[], [[]], {}],
]


@pytest.mark.parametrize("payload", GARBAGE, ids=[repr(p)[:40] for p in GARBAGE])
def test_decode_never_raises_on_garbage(payload: object) -> None:
    items = decode(payload)
    for item in items:
        assert isinstance(item, Ignored), item
        assert item.reason.startswith("ignored: ")
        assert "decoder error" not in item.reason


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "ignored: not JSON (Expecting value at line 1 column 1)"),
        (b"null", "ignored: payload is null, not an object or a list"),
        (b"42", "ignored: payload is int, not an object or a list"),
        (b"[1]", "ignored: list item is int, not an object"),
        (
            b"{}",
            "ignored: object is not a CloudEvent, SLS trigger payload, log row or ActionTrail event (keys: none)",
        ),
        ('{"data": 5}', "ignored: CloudEvent without id data is int, not an object"),
        (b"\xff\xfe\x00", "ignored: not UTF-8 (invalid start byte at byte 0)"),
        (
            '{"eventName": "ModifyImageSharePermission"}',
            "ignored: ModifyImageSharePermission event has neither eventId nor requestId",
        ),
        ('{"specversion": "1.0"}', "ignored: CloudEvent without id has no data"),
    ],
)
def test_garbage_reasons(payload: object, reason: str) -> None:
    assert ignored(payload).reason == reason


def test_decoder_bug_becomes_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    import sharetrust.events.decoder as module

    def broken(obj: Mapping[str, Any]) -> Intake:
        raise KeyError("boom")

    monkeypatch.setattr(module, "decode_object", broken)
    item = ignored(modify())
    assert item.reason == "ignored: decoder error KeyError: 'boom'"


# --- helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2020-11-19T21:04:42.179PRC", datetime(2020, 11, 19, 13, 4, 42, 179000, tzinfo=timezone.utc)),
        ("2020-11-19T21:04:42Z", datetime(2020, 11, 19, 21, 4, 42, tzinfo=timezone.utc)),
        ("2020-11-19T21:04:41+08:00", datetime(2020, 11, 19, 13, 4, 41, tzinfo=timezone.utc)),
        ("2020-11-19 21:04:41-0130", datetime(2020, 11, 19, 22, 34, 41, tzinfo=timezone.utc)),
        ("2020-11-19T21:04:41.123456789Z", datetime(2020, 11, 19, 21, 4, 41, 123456, tzinfo=timezone.utc)),
        ("2020-11-19T21:04:41", datetime(2020, 11, 19, 21, 4, 41, tzinfo=timezone.utc)),
        ("2020-13-19T21:04:41Z", None),
        ("2020-11-19T21:04:41+25:00", None),
        ("yesterday", None),
        (1605791081, None),
    ],
)
def test_parse_time(stamp: object, expected: datetime | None) -> None:
    parsed = parse_time(stamp)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() is not None


def test_prc_is_china_time() -> None:
    parsed = parse_time("2020-11-19T21:04:42PRC")
    assert parsed is not None and parsed.utcoffset() == timedelta(hours=8)


def test_describe_helpers() -> None:
    s = signal(fixture("resourcesharing_disassociate_resource_share.json"))
    assert describe(s) == s.describe()
    assert s.describe() == (
        "DisassociateResourceShare in 1111111111111111/cn-hangzhou; snapshot s-bp1example0000000001; "
        "share rs-example0000001; -1234567890123456; by ram-user alice "
        "(event 00000000-0000-4000-8000-000000000013)"
    )
    assert str(ResourceRef("image", "m-1", "cn-hangzhou")) == "image m-1 (cn-hangzhou)"
    assert str(Actor(None, None, None)) == "unknown ?"


def test_signals_are_hashable_values() -> None:
    a = signal(modify())
    b = signal(modify())
    assert a == b and hash(a) == hash(b)
    assert len({a, b}) == 1


def test_classify_with_an_explicit_envelope() -> None:
    event = ActionTrailEvent(modify(userIdentity={}, eventId=None, requestId=None))
    result = classify(event, Envelope(account_id="5" * 16, event_id="ce-1", delivery_key="acs.ecs/ce-1"))
    assert isinstance(result, ShareSignal)
    assert (result.event_id, result.account_uid, result.delivery_key) == ("ce-1", "5" * 16, "acs.ecs/ce-1")


@pytest.mark.parametrize(
    "path", ["", "None", "*", "rd-Ab1234/r-Cd5678/fd-Other0001", "rd-Ab1234/r-Cd5678/fd-Prod0001/"]
)
def test_a_folder_without_its_own_rd_path_is_no_target(path: str) -> None:
    # An empty or foreign path would give a StringLike pattern ("*") matching every directory.
    with pytest.raises(InvalidShareTarget):
        ShareTarget.parse("fd-Prod0001", {"fd-Prod0001": path})
    assert ShareTarget.parse("fd-Prod0001", {"fd-Prod0001": "rd-Ab1234/r-Cd5678/fd-Prod0001"}).kind == "folder"


def test_a_parameter_name_with_a_trailing_newline_is_not_indexed() -> None:
    s = signal(modify(requestParameters={"ImageId": "m-7", "AddAccount.1": "1234567890123456", "AddAccount.2\n": "2"}))
    assert s.added_targets == ("1234567890123456",)


# --- what each event kind means (one row each) -----------------------------------------------------

IMAGE_1 = {"Resources.1.ResourceType": "Image", "Resources.1.ResourceId": "m-1"}


@pytest.mark.parametrize(
    ("event", "removes"),
    [
        (modify(requestParameters={"ImageId": "m-7", "AddAccount.1": "1234567890123456"}), False),
        (modify(requestParameters={"ImageId": "m-7", "RemoveAccount.1": "1234567890123456"}), True),
        (
            rs_event("CreateResourceShare", {"Resources.1.ResourceType": "Image", "Resources.1.ResourceId": "m-1"}),
            False,
        ),
        (rs_event("AssociateResourceShare", {"ResourceShareId": "rs-1", "Targets.1": "1234567890123456"}), False),
        (rs_event("DisassociateResourceShare", {"ResourceShareId": "rs-1", "Targets.1": "1234567890123456"}), True),
        (rs_event("DeleteResourceShare", {"ResourceShareId": "rs-1"}), True),
    ],
)
def test_only_events_that_say_something_was_unshared_remove(event: dict[str, Any], removes: bool) -> None:
    s = signal(event)
    assert removes_access(s) is removes
    assert EVENT_KINDS[s.event_name].adds is (not removes or s.event_name == "ModifyImageSharePermission")


def test_a_refused_share_is_read_only_for_kinds_that_add_and_known_from_the_event_only_for_ecs() -> None:
    refused = modify(
        requestParameters={"ImageId": "m-7", "AddAccount.1": "1234567890123456"}, errorCode="AssumeRoleError"
    )
    assert refusal_in_event(signal(refused)) and not removes_access(signal(refused))
    associate = rs_event(
        "AssociateResourceShare",
        {"ResourceShareId": "rs-1", "Targets.1": "1234567890123456"},
        errorCode="AssumeRoleError",
    )
    assert not refusal_in_event(signal(associate))
    gone = rs_event("DeleteResourceShare", {"ResourceShareId": "rs-1"}, errorCode="AssumeRoleError")
    assert isinstance(one(gone), Ignored)  # a failed removal changed nothing
    assert set(SHARE_EVENTS) == set(EVENT_KINDS)


# --- Resource Sharing as production names it, and EventBridge's AssociationStatusChange ------------

SHARE_IMAGE = "m-bp1example0000000001"
SHAREE_2 = "2234567890123456"


def test_resource_manager_named_associate_in_productions_shape() -> None:
    """ActionTrail records Resource Sharing calls as `ResourceManager` events from
    `resourcemanager-share.aliyuncs.com` (production-facts.md), with request noise beside the keys."""
    event = fixture("actiontrail_resourcemanager_associate_resource_share.json")
    assert (event["serviceName"], event["eventSource"]) == ("ResourceManager", "resourcemanager-share.aliyuncs.com")
    s = signal(event)
    assert (s.event_name, s.service, s.account_uid, s.region) == (
        "AssociateResourceShare",
        "resourcesharing",
        SHARER,
        "cn-hangzhou",
    )
    assert s.resources == (ResourceRef("image", SHARE_IMAGE, "cn-hangzhou"),)
    assert s.resource_share_id == "rs-example0000001"
    assert s.added_targets == (SHAREE_2,) and not s.invalid_targets
    assert not removes_access(s)


def association(**data: Any) -> dict[str, Any]:
    """The AssociationStatusChange fixture with `data` keys replaced (None deletes the key)."""
    event: dict[str, Any] = fixture("eventbridge_association_status_change.json")
    for key, value in data.items():
        if value is None:
            event["data"].pop(key, None)
        else:
            event["data"][key] = value
    return event


def test_associated_image_is_a_share_signal_for_the_target() -> None:
    event = fixture("eventbridge_association_status_change.json")
    s = signal(event)
    assert (s.event_name, s.service, s.account_uid, s.region) == (
        "AssociationStatusChange",
        "resourcesharing",
        SHARER,
        "cn-hangzhou",
    )
    assert s.resources == (ResourceRef("image", SHARE_IMAGE, "cn-hangzhou"),)
    assert s.resource_share_id == "rs-example0000001"
    assert s.added_targets == (SHAREE_2,) and s.removed_targets == ()
    assert s.failed_with is None
    assert s.delivery_key == f"acs.resourcemanager/{event['id']}"
    assert s.event_id == event["id"]
    assert not removes_access(s) and not refusal_in_event(s)
    assert EVENT_KINDS["AssociationStatusChange"].carrier == "eventbridge"
    assert s.parameters_dict()["associationStatus"] == "Associated"


def test_associated_snapshot() -> None:
    s = signal(association(resourceType="Snapshot", resourceId="s-bp1example0000000001"))
    assert s.resources == (ResourceRef("snapshot", "s-bp1example0000000001", "cn-hangzhou"),)


def test_failed_association_is_a_signal_and_says_the_associations_are_read() -> None:
    """A failed association may be one refused until the role is ready: the engine reads why."""
    s = signal(association(associationStatus="Failed"))
    assert s.added_targets == (SHAREE_2,) and s.failed_with is None
    assert any("failed" in note for note in s.notes)


@pytest.mark.parametrize("status", ["Associating", "Disassociating", "Disassociated", "Unknown", None])
def test_other_statuses_are_ignored_with_the_status(status: str | None) -> None:
    item = ignored(association(associationStatus=status, associateType="Disassociate" if status else None))
    assert f"reports status {status or 'none'}" in item.reason
    assert "Associated and Failed" in item.reason


def test_disassociate_type_is_ignored() -> None:
    assert "associateType Disassociate" in ignored(association(associateType="Disassociate")).reason


def test_other_resource_types_are_ignored() -> None:
    item = ignored(association(resourceType="CapacityReservation", resourceId="crp-1"))
    assert "shares a CapacityReservation, not an Image or Snapshot" in item.reason
    assert "untyped resource" in ignored(association(resourceType=None)).reason
    assert "has no resourceId" in ignored(association(resourceId=None)).reason


def test_an_event_on_the_targets_bus_is_ignored_naming_both_accounts() -> None:
    """The doc sample's `aliyunaccountid` is the target's (production-facts.md): such an event names
    another owner; the owner's own events converge it."""
    event = fixture("eventbridge_association_status_change.json")
    event["aliyunaccountid"] = SHAREE_2
    item = ignored(event)
    assert f"arrived on account {SHAREE_2}'s bus" in item.reason and SHARER in item.reason


def test_the_doc_sample_is_ignored() -> None:
    item = ignored(fixture("eventbridge_association_status_change_doc.json"))
    assert "names no owner account UID" in item.reason


def test_region_comes_from_the_subject_then_the_bus_region() -> None:
    event = fixture("eventbridge_association_status_change.json")
    event["aliyunregionid"] = "cn-shanghai"
    assert signal(event).region == "cn-hangzhou"  # the share's region
    event["subject"] = "something else"
    assert signal(event).region == "cn-shanghai"
    del event["aliyunregionid"]
    assert "names no region" in ignored(event).reason


def test_association_without_id_or_data() -> None:
    event = fixture("eventbridge_association_status_change.json")
    no_data = {k: v for k, v in event.items() if k != "data"}
    assert "has no data object" in ignored(no_data).reason
    del event["id"]
    assert ignored(event).reason == "ignored: AssociationStatusChange CloudEvent has no id"


def test_association_data_as_json_text() -> None:
    event = fixture("eventbridge_association_status_change.json")
    event["data"] = json.dumps(event["data"])
    assert signal(event).added_targets == (SHAREE_2,)


def test_association_target_that_is_not_a_uid_is_carried_as_invalid() -> None:
    s = signal(association(targetAccountId="rd-abc123"))
    assert s.added_targets == ()
    assert [t.parameter for t in s.invalid_targets] == ["targetAccountId.1"]


def test_an_actiontrail_event_named_like_the_eventbridge_notice_is_ignored() -> None:
    item = ignored(rs_event("AssociationStatusChange", {"resourceShareId": "rs-1"}))
    assert "only EventBridge publishes" in item.reason
