"""The audit trail: with SHARETRUST_AUDIT_LOGSTORE set, every change sharetrust makes (and every planned
one in a dry run) is one record in that logstore, with the event or reconcile that caused it."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
from aliyun.log import LogClient

from localcloud import LocalCloud
from sharetrust.entry import reconcile, run
from tests.e2e.conftest import e2e_seed, share_image, sharer_environ
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import HZ, KEYS, SHAREE, SHARER

AUDIT = "security-audit/sharetrust-changes"


@pytest.fixture
def seed() -> dict[str, Any]:
    seed = copy.deepcopy(e2e_seed(eventbridge=False, trail_logs=False))
    sharer = seed["accounts"][0]
    sharer["sls_projects"] = [{"name": "security-audit", "region": HZ, "logstores": [{"name": "sharetrust-changes"}]}]
    return seed


def environ(lc: LocalCloud, **extra: str) -> dict[str, str]:
    return sharer_environ(lc, **{"SHARETRUST_AUDIT_LOGSTORE": AUDIT, **extra})


def records(lc: LocalCloud) -> list[dict[str, str]]:
    client: Any = LogClient(lc.endpoint, *KEYS[SHARER])
    client._isRowIp = True  # bare-IP addressing with a port (sdk-wire.md §2.1)
    project, logstore = AUDIT.split("/")
    found: list[dict[str, str]] = []
    for shard in range(2):
        cursor = client.get_cursor(project, logstore, shard, "begin").get_cursor()
        end = client.get_cursor(project, logstore, shard, "end").get_cursor()
        response = client.pull_logs(project, logstore, shard, cursor, end_cursor=end)
        for group in response.get_loggroup_list().LogGroups:
            found += [{c.Key: c.Value for c in log.Contents} for log in group.Logs]
    return found


def test_every_change_is_a_record_with_its_cause(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    event = {**FORGED, "requestParameters": {**FORGED["requestParameters"], "AddAccount.1": SHAREE}}
    planned = run([json.dumps(event)], environ=environ(lc), dry_run=True, log_stream=io.StringIO())
    assert planned.ok
    assert {(r["change"], r["subject"], r["status"]) for r in records(lc)} >= {
        ("trust-added", f"account:{SHAREE}", "planned")
    }
    done = run([json.dumps(event)], environ=environ(lc), log_stream=io.StringIO())
    assert done.ok
    applied = [r for r in records(lc) if r["status"] == "applied"]
    assert {(r["change"], r["subject"]) for r in applied} == {
        ("trust-added", f"account:{SHAREE}"),
        ("key-granted", f"acs:kms:{HZ}:{SHARER}:key/key-hzz6500000000000001"),
        ("policy-attached", "sharetrust-image-share-keys"),
    }
    assert all(r["cause"] == f"events {FORGED['eventId']}" for r in applied)
    assert all(r["role"] == "AliyunECSShareEncryptImageDefaultRole" for r in applied)
    assert reconcile(environ=environ(lc), log_stream=io.StringIO()).ok  # nothing to change: nothing recorded
    assert len([r for r in records(lc) if r["status"] == "applied"]) == 3


def test_an_audit_trail_that_cannot_be_written_is_a_warning_not_a_lost_change(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    summary = reconcile(
        environ=environ(lc, SHARETRUST_AUDIT_LOGSTORE="security-audit/missing"), log_stream=io.StringIO()
    )
    assert summary.ok and summary.principals_added == [f"account:{SHAREE}"]
    assert any("audit record(s) not written to security-audit/missing" in w for w in summary.warnings)
