"""What sharetrust must never do: trust a forged event, write on a replay, act on other failures,
write in a dry run, crash on bad input, or lose a sharee to a concurrent invocation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aliyun.log import LogClient
from Tea.exceptions import TeaException

from localcloud import LocalCloud, actiontrail
from localcloud.oracle import can_use
from localcloud.state import IMAGE_ROLE
from tests.e2e.conftest import UNRELATED_STATEMENT, create_share, e2e_seed, settle, share_image, usable
from tests.localcloud.conftest import HZ, KEYS, OUTSIDER, SHAREE, SHARER

FORGED: dict[str, Any] = {
    "eventId": "f0f0f0f0-0000-4000-8000-000000000001",
    "eventVersion": "1",
    "eventType": "ApiCall",
    "eventRW": "Write",
    "eventName": "ModifyImageSharePermission",
    "serviceName": "Ecs",
    "apiVersion": "2014-05-26",
    "acsRegion": HZ,
    "eventTime": "2026-11-29T00:00:00Z",
    "requestParameters": {"RegionId": HZ, "ImageId": "m-cmk0001", "AddAccount.1": OUTSIDER},
    "userIdentity": {"type": "root-account", "accountId": SHARER, "principalId": SHARER, "userName": "root"},
    "errorCode": "",
    "errorMessage": "",
}


def trail_events(lc: LocalCloud) -> list[dict[str, Any]]:
    """Every ActionTrail event in the sharer's trail, read back with the real Log Service SDK."""
    client: Any = LogClient(lc.endpoint, *KEYS[SHARER])
    client._isRowIp = True  # bare-IP addressing with a port (sdk-wire.md §2.1)
    events: list[dict[str, Any]] = []
    for shard in range(2):
        cursor = client.get_cursor("trail-project", "actiontrail_sharetrust-trail", shard, "begin").get_cursor()
        end = client.get_cursor("trail-project", "actiontrail_sharetrust-trail", shard, "end").get_cursor()
        response = client.pull_logs("trail-project", "actiontrail_sharetrust-trail", shard, cursor, end_cursor=end)
        for group in response.get_loggroup_list().LogGroups:
            events += [json.loads({c.Key: c.Value for c in log.Contents}["event"]) for log in group.Logs]
    return events


def cli(lc: LocalCloud, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "HTTP"))}
    env.update(
        SHARETRUST_ENDPOINT=lc.url,
        ALIBABA_CLOUD_ACCESS_KEY_ID=KEYS[SHARER][0],
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=KEYS[SHARER][1],
    )
    return subprocess.run(
        [sys.executable, "-m", "sharetrust.cli", "handle", *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_forged_event_adds_no_trust(lc: LocalCloud) -> None:
    actiontrail.write_event(lc.context, SHARER, FORGED, publish=True)
    settle(lc)
    assert can_use(lc.cloud, OUTSIDER, "m-cmk0001").missing_link == "shared"
    trust = lc.cloud.ram_of(SHARER).roles[IMAGE_ROLE.lower()].trust_policy
    assert OUTSIDER not in trust
    assert lc.requests.counts(writes_only=True, account_uid=SHARER) == {}  # nothing needed changing


def test_replaying_every_event_makes_zero_write_calls(lc: LocalCloud, tmp_path: Path) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    create_share(lc, "to-sharee", [("Image", "m-cmk0002")], [SHAREE])
    settle(lc)
    events = trail_events(lc)
    assert len(events) >= 3  # the shares and sharetrust's own writes
    replay = tmp_path / "events.json"
    replay.write_text(json.dumps(events))
    mark = lc.requests.mark()
    result = cli(lc, str(replay))
    assert result.returncode == 0, result.stderr.decode()
    assert lc.requests.counts(since=mark, writes_only=True) == {}
    summary = json.loads(result.stdout)
    assert summary["signals"] >= 2 and summary["principals_added"] == []


def test_other_failed_calls_change_nothing(lc: LocalCloud) -> None:
    mark = lc.requests.mark()
    with pytest.raises(TeaException) as refused:
        share_image(lc, "m-cmk0001", "9999999999999999")
    assert refused.value.code == "InvalidAccount.NotFound"
    settle(lc)
    writes = lc.requests.counts(since=mark, writes_only=True)
    assert writes == {"Ecs:ModifyImageSharePermission": 1}  # only the user's own failed call


def test_malformed_input_gets_a_reason_not_a_traceback(lc: LocalCloud, tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text('{"eventName": "ModifyImageSharePermission", "requestParameters": 5}')
    result = cli(lc, str(odd), "-", stdin=b'[1, null, {"data": 5}]')
    assert b"Traceback" not in result.stderr
    assert result.returncode == 0
    summary = json.loads(result.stdout)
    reasons = [i["reason"] for i in summary["ignored"]]
    # Listed under "ignored", a reason does not say "ignored: " again.
    assert len(reasons) == 4 and not any(r.startswith("ignored") for r in reasons)
    # A file that is not JSON at all is bad input: exit 2, naming the file, no summary.
    bad = tmp_path / "bad.json"
    bad.write_text('{"eventName": "ModifyImageSharePermission", "requestParameters": 5')
    broken = cli(lc, str(odd), str(bad))
    assert broken.returncode == 2 and broken.stdout == b""
    assert broken.stderr.decode().splitlines() == [
        f"sharetrust: {bad} is not JSON (Expecting ',' delimiter at line 1 column 67)"
    ]
    missing = cli(lc, str(tmp_path / "absent.json"))
    assert missing.returncode == 2 and b"cannot read" in missing.stderr and b"Traceback" not in missing.stderr


@pytest.fixture
def seed() -> dict[str, Any]:
    return e2e_seed(trail_logs=False)


def test_dry_run_prints_the_plan_and_writes_nothing(lc: LocalCloud, tmp_path: Path) -> None:
    lc.cloud.eventbridge_triggers.clear()  # only the CLI acts here
    share_image(lc, "m-cmk0001", SHAREE)
    event = tmp_path / "event.json"
    event.write_text(json.dumps(trail_events(lc)))
    mark = lc.requests.mark()
    result = cli(lc, "--dry-run", str(event))
    assert result.returncode == 0, result.stderr.decode()
    assert lc.requests.counts(since=mark, writes_only=True) == {}
    summary = json.loads(result.stdout)
    assert summary["dry_run"] is True
    assert summary["principals_added"] == [f"account:{SHAREE}"]
    assert not usable(lc, SHAREE, "m-cmk0001")
    trust = json.loads(lc.cloud.ram_of(SHARER).roles[IMAGE_ROLE.lower()].trust_policy)
    assert trust["Statement"] == [UNRELATED_STATEMENT]
