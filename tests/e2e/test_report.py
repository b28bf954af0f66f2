"""What the decisions say: bounded for huge batches, an error line for a failed Log Service pull."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from localcloud import LocalCloud
from sharetrust.entry import run
from tests.e2e.conftest import e2e_seed, share_image, sharer_environ
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import SHAREE


@pytest.fixture
def seed() -> dict[str, Any]:
    return e2e_seed(eventbridge=False, trail_logs=False)  # these tests call sharetrust themselves


def environ(lc: LocalCloud) -> dict[str, str]:
    return sharer_environ(lc)


def decisions(log: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.getvalue().splitlines()]


def test_a_ten_thousand_event_batch_gives_a_role_line_of_bounded_size(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    events = [
        {
            **FORGED,
            "eventId": f"00000000-0000-4000-8000-{n:012d}",
            "requestParameters": {**FORGED["requestParameters"], "AddAccount.1": SHAREE},
        }
        for n in range(10_000)
    ]
    log = io.StringIO()
    assert run([json.dumps(events)], environ=environ(lc), log_stream=log).ok
    (role,) = [d for d in decisions(log) if d["decision"] == "role"]
    assert role["event_count"] == 10_000 and len(role["event_ids"]) == 20
    assert len(json.dumps(role)) < 4_000  # it was 400 KB with every id listed


def test_a_failed_log_service_pull_has_an_error_decision(lc: LocalCloud) -> None:
    trigger = {
        "parameter": {},
        "source": {
            "endpoint": "http://cn-hangzhou.log.aliyuncs.com",
            "projectName": "no-such-project",
            "logstoreName": "actiontrail_sharetrust-trail",
            "shardId": 0,
            "beginCursor": "MA==",
            "endCursor": "MTA=",
        },
        "jobName": "job",
        "taskId": "task-1",
        "cursorTime": 1,
    }
    log = io.StringIO()
    summary = run([json.dumps(trigger)], environ=environ(lc), log_stream=log)
    assert not summary.ok
    (error,) = [d for d in decisions(log) if d["decision"] == "error"]
    assert "no-such-project/actiontrail_sharetrust-trail shard 0" in error["error"]
    assert error["error"] == summary.errors[0]
