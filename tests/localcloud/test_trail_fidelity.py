"""ActionTrail and EventBridge as production has them (production-facts.md, "Event sources"), through the
official SDKs: the trail read back with the Log Service SDK, EventBridge seen by the triggers it invokes.

- Resource Sharing calls are recorded as Resource Management events and never reach EventBridge.
- A Resource Sharing association that settles is published as `AssociationStatusChange`.
- `requestParameters` carry the gateway's keys and typed values.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Iterator
from typing import Any

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_resourcesharing20200110 import models as rs_models
from alibabacloud_resourcesharing20200110.client import Client as RsClient
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from aliyun.log import LogClient

from localcloud import LocalCloud, actiontrail, eventbridge
from localcloud.rpc import REGISTRY
from localcloud.state import SNAPSHOT_ROLE
from tests.localcloud import handlers
from tests.localcloud.conftest import HZ, KEYS, MEMBER, RD, SH, SHAREE, SHARER, TRUST_ACCOUNT, H, base_seed, config

TRAIL_PROJECT = "trail-project"
TRAIL_STORE = "actiontrail_sharetrust-trail"
# What sharetrust's EventBridge rule matches today: ActionTrail API calls only.
ACTIONTRAIL_CALLS = {"type": [{"suffix": ":ActionTrail:ApiCall"}]}
ASSOCIATION_CHANGES = {
    "source": ["acs.resourcemanager"],
    "type": ["resourcemanager:ResourceSharing:AssociationStatusChange"],
}


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    sharer = s["accounts"][0]
    sharer["roles"] = [
        {
            "name": "operator",
            "trust_policy": TRUST_ACCOUNT,
            "policies": [{"type": "System", "name": "AdministratorAccess"}],
        }
    ]
    sharer["snapshots"].append({"id": "s-plainsh1", "region": SH})
    sharer["functions"] = [
        {"service": "events", "name": "api-calls", "handler": f"{H}.echo"},
        {"service": "events", "name": "associations", "handler": f"{H}.eventbridge_sink"},
    ]
    sharer["triggers"] = [
        {"type": "eventbridge", "name": "api-calls", "function": ["events", "api-calls"], "pattern": ACTIONTRAIL_CALLS},
        {
            "type": "eventbridge",
            "name": "associations",
            "function": ["events", "associations"],
            "pattern": ASSOCIATION_CHANGES,
        },
    ]
    return s


@pytest.fixture(autouse=True)
def _handlers() -> Iterator[None]:
    handlers.reset()
    yield
    handlers.reset()


def trail_events(lc: LocalCloud) -> list[dict[str, Any]]:
    """The sharer's trail, read back with the real LogClient."""
    client: Any = LogClient(lc.endpoint, *KEYS[SHARER])
    client._isRowIp = True  # bare-IP addressing with a port (sdk-wire.md §2.1)
    events: list[dict[str, Any]] = []
    for shard in range(2):
        cursor = client.get_cursor(TRAIL_PROJECT, TRAIL_STORE, shard, "begin").get_cursor()
        while True:
            response = client.pull_logs(TRAIL_PROJECT, TRAIL_STORE, shard, cursor)
            if response.get_loggroup_count() == 0:
                break
            events += [json.loads(row["event"]) for row in response.get_flatten_logs_json()]
            cursor = response.get_next_cursor()
    return events


def api_calls(lc: LocalCloud) -> list[dict[str, Any]]:
    """The ActionTrail CloudEvents the `:ActionTrail:ApiCall` trigger received."""
    assert lc.wait_idle()
    return [json.loads(raw) for raw in handlers.received("echo")]


def association_changes(lc: LocalCloud) -> list[dict[str, Any]]:
    """The AssociationStatusChange CloudEvents the Resource Management trigger received."""
    assert lc.wait_idle()
    assert lc.deliveries.failures == []
    return handlers.received("eventbridge_sink")


def sharing(lc: LocalCloud, region: str = HZ) -> RsClient:
    """The real regional endpoint proxied to the local cloud: Resource Sharing sends no RegionId."""
    cfg = config(lc, region=region)
    cfg.endpoint, cfg.http_proxy = f"resourcesharing.{region}.aliyuncs.com", lc.url
    return RsClient(cfg)


def create_share(
    lc: LocalCloud, resources: list[tuple[str, str]], targets: list[str], *, region: str = HZ, name: str = "share"
) -> str:
    request = rs_models.CreateResourceShareRequest(
        resource_share_name=name,
        resources=[rs_models.CreateResourceShareRequestResources(resource_id=i, resource_type=t) for t, i in resources],
        targets=targets,
        allow_external_targets=True,
    )
    return str(sharing(lc, region).create_resource_share(request).body.resource_share.resource_share_id)


def list_associations(lc: LocalCloud, share_id: str, kind: str = "Resource") -> list[str]:
    """Reads the share's associations (which settles them, as the real service does in time)."""
    request = rs_models.ListResourceShareAssociationsRequest(association_type=kind, resource_share_ids=[share_id])
    rows = sharing(lc).list_resource_share_associations(request).body.resource_share_associations or []
    return [row.association_status for row in rows]


def share_image(lc: LocalCloud, image_id: str, account: str, **kw: Any) -> None:
    request = ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id=image_id, add_account=[account])
    EcsClient(config(lc, **kw)).modify_image_share_permission(request)


# --- Resource Sharing calls are Resource Management events, kept out of EventBridge -----------------


def test_resource_sharing_calls_are_recorded_as_resource_manager_events(lc: LocalCloud) -> None:
    """ActionTrail "Audit events of Resource Management": serviceName ResourceManager, eventSource
    resourcemanager-share.aliyuncs.com; the region is the share's (the call carries no RegionId)."""
    share_id = create_share(lc, [("Snapshot", "s-plainsh1")], [SHAREE], region=SH, name="in-shanghai")
    (event,) = [e for e in trail_events(lc) if e["eventName"] == "CreateResourceShare"]
    assert event["serviceName"] == "ResourceManager"
    assert event["eventSource"] == "resourcemanager-share.aliyuncs.com"
    assert event["apiVersion"] == "2020-01-10"
    assert event["acsRegion"] == SH and event["isGlobal"] is False
    assert event["responseElements"]["ResourceShare"]["ResourceShareId"] == share_id
    assert event["requestParameters"]["AcsHost"] == "resourcemanager-share.aliyuncs.com"
    assert event["requestParameters"]["AcsProduct"] == "ResourceSharing"


def test_eventbridge_carries_ecs_calls_but_not_resource_sharing_calls(lc: LocalCloud) -> None:
    share_id = create_share(lc, [("Image", "m-plain001")], [SHAREE])
    sharing(lc).associate_resource_share(
        rs_models.AssociateResourceShareRequest(resource_share_id=share_id, targets=[MEMBER])
    )
    share_image(lc, "m-plain001", SHAREE)
    recorded = [e["eventName"] for e in trail_events(lc)]
    assert sorted(recorded) == ["AssociateResourceShare", "CreateResourceShare", "ModifyImageSharePermission"]
    (delivered,) = api_calls(lc)
    assert delivered["source"] == "acs.ecs" and delivered["data"]["eventName"] == "ModifyImageSharePermission"


def test_a_forged_resource_sharing_event_cannot_be_published(lc: LocalCloud) -> None:
    forged = {"eventId": "00000000-0000-4000-8000-00000000000a", "eventName": "CreateResourceShare"}
    with pytest.raises(ValueError, match="EventBridge does not carry"):
        actiontrail.write_event(lc.context, SHARER, {**forged, "serviceName": "ResourceManager"}, publish=True)
    actiontrail.write_event(lc.context, SHARER, {**forged, "serviceName": "ResourceManager"})  # the trail takes it
    assert [e["eventId"] for e in trail_events(lc)] == [forged["eventId"]]
    assert api_calls(lc) == []


# --- AssociationStatusChange when an association settles --------------------------------------------


def test_a_settled_association_is_published_as_association_status_change(lc: LocalCloud) -> None:
    """EventBridge "Resource Management events": one event per resource and target account."""
    share_id = create_share(lc, [("Image", "m-plain001"), ("Snapshot", "s-plain001")], [SHAREE])
    assert association_changes(lc) == []  # still Associating: nothing has settled
    assert list_associations(lc, share_id) == ["Associated", "Associated"]
    changes = association_changes(lc)
    assert {(c["data"]["resourceType"], c["data"]["resourceId"]) for c in changes} == {
        ("Image", "m-plain001"),
        ("Snapshot", "s-plain001"),
    }
    image = next(c for c in changes if c["data"]["resourceId"] == "m-plain001")
    assert image["specversion"] == "1.0" and image["source"] == "acs.resourcemanager"
    assert image["type"] == "resourcemanager:ResourceSharing:AssociationStatusChange"
    assert image["subject"] == f"acs:resourcesharing:{HZ}:{SHARER}:resourceshare/{share_id}"
    assert image["aliyunaccountid"] == SHARER  # the owner's bus (UNCONFIRMED, see resourcesharing.py)
    assert image["aliyunregionid"] == HZ and image["aliyuneventbusname"] == "default"
    assert image["time"].endswith("Z") and image["aliyunpublishtime"] and image["id"]
    assert image["data"] == {
        "resourceShareId": share_id,
        "resourceOwnerAccountId": SHARER,
        "targetAccountId": SHAREE,
        "serviceName": "ecs.aliyuncs.com",
        "resourceType": "Image",
        "resourceId": "m-plain001",
        "associationStatus": "Associated",
        "associateType": "Associate",
    }
    list_associations(lc, share_id)
    assert len(association_changes(lc)) == 2  # settled once, published once
    assert api_calls(lc) == []  # a pattern for ActionTrail calls does not match it


def test_a_directory_target_is_published_per_account_it_reaches(lc: LocalCloud) -> None:
    share_id = create_share(lc, [("Image", "m-plain001")], [RD, SHAREE])
    list_associations(lc, share_id)
    targets = sorted(c["data"]["targetAccountId"] for c in association_changes(lc))
    assert targets == sorted([SHAREE, MEMBER])  # SHAREE is reached twice, published once


def test_failed_and_disassociated_associations_are_published_too(lc: LocalCloud) -> None:
    # No snapshot share role exists: the CMK snapshot's association fails with AssumeRoleError.
    assert SNAPSHOT_ROLE.lower() not in lc.cloud.ram_of(SHARER).roles
    failed_id = create_share(lc, [("Snapshot", "s-cmk0001")], [SHAREE], name="fails")
    assert list_associations(lc, failed_id, "Target") == ["Failed"]
    (failed,) = association_changes(lc)
    assert failed["data"]["associationStatus"] == "Failed" and failed["data"]["associateType"] == "Associate"
    handlers.reset()
    share_id = create_share(lc, [("Image", "m-plain001")], [SHAREE], name="leaves")
    list_associations(lc, share_id)
    assert [c["data"]["associationStatus"] for c in association_changes(lc)] == ["Associated"]
    handlers.reset()
    sharing(lc).disassociate_resource_share(
        rs_models.DisassociateResourceShareRequest(resource_share_id=share_id, targets=[SHAREE])
    )
    assert list_associations(lc, share_id, "Target") == ["Disassociated"]
    (left,) = association_changes(lc)
    assert (left["data"]["associationStatus"], left["data"]["associateType"]) == ("Disassociated", "Disassociate")
    assert (left["data"]["resourceId"], left["data"]["targetAccountId"]) == ("m-plain001", SHAREE)


# --- requestParameters as production records them ---------------------------------------------------


def test_request_parameters_carry_the_gateways_keys(lc: LocalCloud) -> None:
    share_image(lc, "m-plain001", SHAREE)
    (event,) = trail_events(lc)
    parameters = event["requestParameters"]
    assert parameters["AcsHost"] == parameters["HostId"] == event["eventSource"] == "ecs.cn-hangzhou.aliyuncs.com"
    assert parameters["AcsProduct"] == "Ecs" and parameters["charset"] == "UTF-8"
    assert parameters["RequestId"] == event["requestId"]
    assert parameters["AddAccount.1"] == SHAREE  # a String parameter stays a string, digits or not
    assert not [key for key in parameters if key.startswith("stsToken")]  # a long-term key: no STS keys
    assert json.loads(event["requestParameterJson"]) == parameters


def test_sts_callers_get_sts_token_keys_and_no_secret(lc: LocalCloud) -> None:
    assumed = (
        StsClient(config(lc))
        .assume_role(
            sts_models.AssumeRoleRequest(role_arn=f"acs:ram::{SHARER}:role/operator", role_session_name="night-shift")
        )
        .body.credentials
    )
    share_image(
        lc,
        "m-plain001",
        SHAREE,
        access_key=(assumed.access_key_id, assumed.access_key_secret),
        token=assumed.security_token,
    )
    (event,) = trail_events(lc)
    parameters = event["requestParameters"]
    assert parameters["stsTokenPrincipalName"] == "operator/night-shift"
    assert parameters["stsTokenPlayerUid"] == int(SHARER)  # a number, as in the ActionTrail samples
    text = json.dumps(event)
    assert assumed.security_token not in text and assumed.access_key_secret not in text


def test_typed_parameters_are_recorded_as_json_booleans_and_numbers(lc: LocalCloud) -> None:
    create_share(lc, [("Image", "m-plain001")], [SHAREE])
    ram = RamClient(config(lc))
    ram.create_role(
        ram_models.CreateRoleRequest(
            role_name="typed", assume_role_policy_document=json.dumps(TRUST_ACCOUNT), max_session_duration=7200
        )
    )
    document = json.dumps({"Version": "1", "Statement": [{"Action": "ecs:*", "Effect": "Allow", "Resource": "*"}]})
    ram.create_policy(ram_models.CreatePolicyRequest(policy_name="typed", policy_document=document))
    ram.create_policy_version(
        ram_models.CreatePolicyVersionRequest(policy_name="typed", policy_document=document, set_as_default=False)
    )
    events = {e["eventName"]: e["requestParameters"] for e in trail_events(lc)}
    assert events["CreateResourceShare"]["AllowExternalTargets"] is True
    assert events["CreateRole"]["MaxSessionDuration"] == 7200
    assert events["CreatePolicyVersion"]["SetAsDefault"] is False
    assert events["CreatePolicy"]["PolicyName"] == "typed"


def _sdk_typed_parameters(version: str, action: str, product: str) -> dict[str, type]:
    """The Boolean and Integer/Long parameters of an action, from its SDK request model: each typed
    attribute set alone, serialised with the SDK's own `to_map`, names its wire key."""
    models = importlib.import_module(f"alibabacloud_{product.lower()}{version.replace('-', '')}.models")
    model = getattr(models, f"{action}Request")
    empty = model().to_map()
    typed: dict[str, type] = {}
    for name, parameter in inspect.signature(model.__init__).parameters.items():
        kind = {"bool": bool, "int": int}.get(str(parameter.annotation))
        if kind is None:
            continue
        (wire,) = set(model(**{name: kind(1)}).to_map()) - set(empty)
        typed[wire] = kind
    return typed


def test_typed_parameters_follow_the_sdk_models_of_every_write_operation() -> None:
    """A write operation added to the local cloud with a typed parameter must have its row."""
    expected = {}
    for (version, action), op in sorted(REGISTRY.items()):
        if op.write:
            typed = _sdk_typed_parameters(version, action, op.product.name)
            if typed:
                expected[(version, action)] = typed
    assert expected == actiontrail.TYPED_PARAMETERS, "update localcloud.actiontrail.TYPED_PARAMETERS"


def test_eventbridge_carries_only_the_listed_services() -> None:
    assert eventbridge.carries("Ecs") and eventbridge.carries("Ram") and eventbridge.carries("Kms")
    assert not eventbridge.carries("ResourceManager") and not eventbridge.carries("ResourceSharing")
