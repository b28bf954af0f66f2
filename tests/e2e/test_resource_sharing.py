"""Resource Sharing through the Log Service trigger on the trail's logstore (python3.12 credentials), and through
EventBridge's AssociationStatusChange."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alibabacloud_resourcesharing20200110 import models as rs_models
from aliyun.log import LogClient

from localcloud import LocalCloud
from localcloud.oracle import can_use
from localcloud.state import SNAPSHOT_ROLE
from tests.e2e.conftest import (
    create_share,
    deployed_eventbridge_rules,
    e2e_seed,
    list_associations,
    settle,
    sharing,
    usable,
)
from tests.localcloud.conftest import KEYS, SHAREE, SHARER

TRAIL_PROJECT = "trail-project"  # the e2e seed's trail
TRAIL_STORE = "actiontrail_sharetrust-trail"


@pytest.fixture
def seed() -> dict[str, Any]:
    return e2e_seed(eventbridge=False)  # the Log Service trigger only


def test_image_and_snapshot_become_usable_when_sharetrust_repeats_the_share(
    lc: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARETRUST_RETRY_FAILED_SHARES", "true")
    # The snapshot role does not exist: Resource Sharing fails the association with AssumeRoleError.
    share_id = create_share(lc, "app-share", [("Image", "m-cmk0001"), ("Snapshot", "s-cmk0001")], [SHAREE])
    settle(lc)
    assert SNAPSHOT_ROLE.lower() in lc.cloud.ram_of(SHARER).roles
    for resource in ("m-cmk0001", "s-cmk0001"):
        assert usable(lc, SHAREE, resource), can_use(lc.cloud, SHAREE, resource).reason
    assert [a.association_status for a in list_associations(lc, share_id)] == ["Associated"]


def test_without_the_repeat_setting_the_users_own_retry_succeeds(lc: LocalCloud) -> None:
    share_id = create_share(lc, "snap-share", [("Snapshot", "s-cmk0001")], [SHAREE])
    settle(lc)
    assert not usable(lc, SHAREE, "s-cmk0001")  # failed share, not repeated on the user's behalf
    assert [a.association_status for a in list_associations(lc, share_id)] == ["Failed"]
    sharing(lc).associate_resource_share(
        rs_models.AssociateResourceShareRequest(resource_share_id=share_id, targets=[SHAREE])
    )
    settle(lc)
    assert usable(lc, SHAREE, "s-cmk0001"), can_use(lc.cloud, SHAREE, "s-cmk0001").reason


def actiontrail_rule_only() -> dict[str, Any]:
    """EventBridge only, with s.yaml's ActionTrail rule and without its AssociationStatusChange rule."""
    seed = e2e_seed(trail_logs=False)
    sharer = seed["accounts"][0]
    sharer["triggers"] = [t for t in sharer["triggers"] if t["name"] != "association-status"]
    assert [t["name"] for t in sharer["triggers"]] == ["share-events"]
    return seed


@pytest.mark.parametrize("seed", [actiontrail_rule_only()], ids=["actiontrail-rule-only"])
def test_eventbridge_carries_no_resource_sharing_actiontrail_event(lc: LocalCloud) -> None:
    """Without the AssociationStatusChange rule, EventBridge alone never hears of a Resource Sharing
    share: it forwards no Resource Sharing ActionTrail event (production-facts.md, "Event sources")."""
    mark = lc.requests.mark()
    share_id = create_share(lc, "unseen", [("Image", "m-cmk0001")], [SHAREE])
    assert [a.association_status for a in list_associations(lc, share_id)] == ["Associated"]
    settle(lc)
    assert lc.requests.counts(since=mark, writes_only=True) == {"ResourceSharing:CreateResourceShare": 1}
    assert can_use(lc.cloud, SHAREE, "m-cmk0001").missing_link == "trust"  # shared; no role prepared for it


@pytest.mark.parametrize("seed", [e2e_seed(trail_logs=False)], ids=["eventbridge-only"])
def test_an_encrypted_image_share_reaches_sharetrust_as_association_status_change(lc: LocalCloud) -> None:
    """With s.yaml's rules, the AssociationStatusChange published on the owner's bus when the association
    settles reaches on_share_event, and the sharee can use the CMK-encrypted image afterwards."""
    rules = {t["name"]: t["pattern"] for t in e2e_seed(trail_logs=False)["accounts"][0]["triggers"]}
    assert rules == dict(deployed_eventbridge_rules())  # the local cloud runs what s.yaml deploys
    share_id = create_share(lc, "heard", [("Image", "m-cmk0001")], [SHAREE])
    assert [a.association_status for a in list_associations(lc, share_id)] == ["Associated"]  # settles: published
    settle(lc)
    assert usable(lc, SHAREE, "m-cmk0001"), can_use(lc.cloud, SHAREE, "m-cmk0001").reason


def trail_events(lc: LocalCloud) -> list[dict[str, Any]]:
    """The sharer's trail, read back with the real LogClient."""
    client: Any = LogClient(lc.endpoint, *KEYS[SHARER])
    client._isRowIp = True  # bare-IP addressing with a port (sdk-wire.md §2.1)
    found: list[dict[str, Any]] = []
    for shard in range(len(lc.cloud.sls_projects[TRAIL_PROJECT].logstores[TRAIL_STORE].shards)):
        cursor = client.get_cursor(TRAIL_PROJECT, TRAIL_STORE, shard, "begin").get_cursor()
        while True:
            response = client.pull_logs(TRAIL_PROJECT, TRAIL_STORE, shard, cursor)
            if response.get_loggroup_count() == 0:
                break
            found += [json.loads(row["event"]) for row in response.get_flatten_logs_json()]
            cursor = response.get_next_cursor()
    return found


def test_the_log_service_trigger_converges_a_resource_manager_named_share(lc: LocalCloud) -> None:
    """The trail records Resource Sharing calls as ResourceManager events (production-facts.md); the
    Log Service trigger hands them to on_trail_logs, which converges the role."""
    share_id = create_share(lc, "logged", [("Image", "m-cmk0001")], [SHAREE])
    assert [a.association_status for a in list_associations(lc, share_id)] == ["Associated"]
    settle(lc)
    (created,) = [e for e in trail_events(lc) if e["eventName"] == "CreateResourceShare"]
    assert (created["serviceName"], created["eventSource"]) == ("ResourceManager", "resourcemanager-share.aliyuncs.com")
    assert usable(lc, SHAREE, "m-cmk0001"), can_use(lc.cloud, SHAREE, "m-cmk0001").reason
