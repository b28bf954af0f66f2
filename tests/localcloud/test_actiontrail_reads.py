"""ActionTrail 2020-07-06 reads (DescribeTrails, GetTrailStatus) through alibabacloud_actiontrail20200706,
and Log Service GetLogStore/GetProject through aliyun-log: what `sharetrust doctor` reads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alibabacloud_actiontrail20200706 import models
from alibabacloud_actiontrail20200706.client import Client
from aliyun.log import LogClient, LogException
from Tea.exceptions import TeaException

from localcloud import LocalCloud
from localcloud.services.sts import mint_session
from tests.localcloud.conftest import HZ, KEYS, SHAREE, SHARER, base_seed, config, fails


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    s["accounts"][0]["trail"] = {
        "name": "sharetrust-trail",
        "project": "trail-project",
        "region": HZ,
        "event_rw": "All",
        "trail_region": "cn-shanghai",
        "logging": False,
    }
    return s


def trail_client(lc: LocalCloud, uid: str = SHARER) -> Client:
    return Client(config(lc, uid))


def test_describe_trails_says_what_the_trail_records_and_where(lc: LocalCloud) -> None:
    trails = trail_client(lc).describe_trails(models.DescribeTrailsRequest()).body.trail_list
    assert len(trails) == 1
    trail = trails[0]
    assert (trail.name, trail.event_rw, trail.trail_region, trail.home_region, trail.status) == (
        "sharetrust-trail",
        "All",
        "cn-shanghai",
        HZ,
        "Disable",
    )
    assert trail.sls_project_arn == f"acs:log:{HZ}:{SHARER}:project/trail-project"
    assert trail.sls_write_role_arn == f"acs:ram::{SHARER}:role/aliyunserviceroleforactiontrail"
    named = models.DescribeTrailsRequest(name_list="other")
    assert trail_client(lc).describe_trails(named).body.trail_list == []
    assert trail_client(lc, SHAREE).describe_trails(models.DescribeTrailsRequest()).body.trail_list == []


def test_get_trail_status(lc: LocalCloud) -> None:
    status = trail_client(lc).get_trail_status(models.GetTrailStatusRequest(name="sharetrust-trail")).body
    assert status.is_logging is False
    fails(
        "TrailNotFoundException",
        404,
        lambda: trail_client(lc).get_trail_status(models.GetTrailStatusRequest(name="nope")),
    )


def test_a_trail_that_is_not_logging_delivers_nothing(lc: LocalCloud) -> None:
    from alibabacloud_ram20150501 import models as ram
    from alibabacloud_ram20150501.client import Client as Ram

    statement = {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}}
    trust = json.dumps({"Version": "1", "Statement": [statement]})
    Ram(config(lc)).create_role(ram.CreateRoleRequest(role_name="r1", assume_role_policy_document=trust))
    store = lc.cloud.sls_projects["trail-project"].logstores["actiontrail_sharetrust-trail"]
    assert all(not shard.groups for shard in store.shards)
    lc.cloud.trails[0].logging = True
    lc.cloud.trails[0].trail_region = "All"
    Ram(config(lc)).create_role(ram.CreateRoleRequest(role_name="r2", assume_role_policy_document=trust))
    assert sum(len(shard.groups) for shard in store.shards) == 1


def log_client(lc: LocalCloud, uid: str = SHARER) -> Any:
    client: Any = LogClient(lc.endpoint, *KEYS[uid])
    client._isRowIp = True
    return client


def test_get_logstore_and_project(lc: LocalCloud) -> None:
    client = log_client(lc)
    store = client.get_logstore("trail-project", "actiontrail_sharetrust-trail")
    assert (store.logstore_name, store.shard_count) == ("actiontrail_sharetrust-trail", 2)
    assert client.get_project("trail-project").region == HZ
    with pytest.raises(LogException) as missing:
        client.get_logstore("trail-project", "nope")
    assert missing.value.get_error_code() == "LogStoreNotExist"
    with pytest.raises(LogException) as elsewhere:
        log_client(lc, SHAREE).get_logstore("trail-project", "actiontrail_sharetrust-trail")
    assert elsewhere.value.get_error_code() == "Unauthorized"


def test_a_role_session_reads_trails_only_as_its_policy_allows(lc: LocalCloud) -> None:
    from localcloud.state import Attachment, Policy, PolicyVersion, Role

    document = {
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": "actiontrail:DescribeTrails", "Resource": "*"}],
    }
    with lc.cloud.lock:
        ram = lc.cloud.ram_of(SHARER)
        ram.policies["list-trails"] = Policy(
            "list-trails", "Custom", versions=[PolicyVersion("v1", json.dumps(document), True)]
        )
        ram.roles["auditor"] = Role("auditor", "300000000000000001", SHARER, "{}")
        ram.attachments["auditor"] = [Attachment("Custom", "list-trails")]
        session = mint_session(lc.cloud, ram.roles["auditor"], "doctor", 3600)
    client = Client(config(lc, access_key=(session.access_key_id, session.secret), token=session.token))
    assert len(client.describe_trails(models.DescribeTrailsRequest()).body.trail_list) == 1
    with pytest.raises(TeaException) as denied:
        client.get_trail_status(models.GetTrailStatusRequest(name="sharetrust-trail"))
    assert denied.value.data["statusCode"] == 403
    assert "actiontrail:GetTrailStatus" in denied.value.message
