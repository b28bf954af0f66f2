"""Batches, retries under faults, failing the invocation only when a change could not be applied,
and secrets never reaching the logs."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.faults import FaultRule
from localcloud.oracle import can_use
from localcloud.services.sts import mint_session
from sharetrust.entry import run
from tests.e2e.conftest import FUNCTION_POLICY_NAMES, e2e_seed, share_image, sharer_environ, usable
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import KEYS, SHAREE, SHARER

SHAREES = [f"80000000000000{n:02d}" for n in range(6)]


@pytest.fixture
def seed() -> dict[str, Any]:
    seed = e2e_seed(eventbridge=False, trail_logs=False)  # these tests call sharetrust themselves
    seed["accounts"] += [{"uid": uid} for uid in SHAREES]
    return seed


def event_for(uid: str, n: int) -> dict[str, Any]:
    return {
        **FORGED,
        "eventId": f"00000000-0000-4000-8000-{n:012d}",
        "requestParameters": {**FORGED["requestParameters"], "AddAccount.1": uid},
    }


def environ(lc: LocalCloud, **extra: str) -> dict[str, str]:
    return sharer_environ(lc, **{"SHARETRUST_REGIONS": "cn-hangzhou,cn-shanghai", **extra})


def test_a_batch_touching_one_role_writes_it_once(lc: LocalCloud) -> None:
    for uid in SHAREES:
        share_image(lc, "m-cmk0001", uid)
    share_image(lc, "m-cmk0002", SHAREE)
    events = [event_for(uid, n) for n, uid in enumerate(SHAREES)]
    events.append(
        {
            **event_for(SHAREE, 99),
            "requestParameters": {**FORGED["requestParameters"], "ImageId": "m-cmk0002", "AddAccount.1": SHAREE},
        }
    )
    mark = lc.requests.mark()
    summary = run([json.dumps(events)], environ=environ(lc), log_stream=io.StringIO())
    assert summary.ok, summary.errors
    writes = lc.requests.counts(since=mark, writes_only=True)
    assert writes["Ram:UpdateRole"] == 1
    assert writes["Ram:CreatePolicyVersion"] + writes["Ram:CreatePolicy"] - writes["Ram:DeletePolicy"] <= 1
    calls = lc.requests.counts(since=mark)
    # One for the whole batch (the named images, in the events' one region), not one per event.
    assert calls["Ecs:DescribeImages"] == 1
    assert calls["Ecs:DescribeImageSharePermission"] == 2  # one per named image
    for uid in [*SHAREES, SHAREE]:
        resource = "m-cmk0002" if uid == SHAREE else "m-cmk0001"
        assert usable(lc, uid, resource), can_use(lc.cloud, uid, resource).reason


def test_one_bad_event_does_not_stop_the_batch(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    payloads = [b"{not json", json.dumps(event_for(SHAREE, 1)), json.dumps({"eventName": 5})]
    summary = run(payloads, environ=environ(lc), log_stream=io.StringIO())
    assert summary.ok
    assert summary.signals == 1 and len(summary.ignored) == 2
    assert usable(lc, SHAREE, "m-cmk0001")


def test_throttling_and_unavailability_are_retried(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    lc.faults.configure(
        [
            FaultRule("throttle", "Ram:UpdateRole", times=2, retry_after_ms=20),
            FaultRule("unavailable", "Ecs:DescribeImages", times=1),
            FaultRule("drop", "Kms:DescribeKey", times=1),
        ]
    )
    summary = run([json.dumps(event_for(SHAREE, 1))], environ=environ(lc), log_stream=io.StringIO())
    assert summary.ok, summary.errors
    assert usable(lc, SHAREE, "m-cmk0001")
    codes = [e.code for e in lc.requests.entries() if e.action == "UpdateRole"]
    assert codes == ["Throttling.User", "Throttling.User", ""]


def test_the_invocation_fails_only_when_a_change_could_not_be_applied(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    lc.faults.configure([FaultRule("unavailable", "Ram:UpdateRole")])
    summary = run([json.dumps(event_for(SHAREE, 1))], environ=environ(lc), log_stream=io.StringIO())
    assert not summary.ok
    assert any("UpdateRole" in e and "ServiceUnavailable" in e for e in summary.errors)
    assert not lc.cloud.ram_of(SHARER).policies.keys() - {
        "sharetrust-image-share-keys",
        *FUNCTION_POLICY_NAMES,
    }  # lock released
    lc.faults.clear()
    retried = run([json.dumps(event_for(SHAREE, 1))], environ=environ(lc), log_stream=io.StringIO())
    assert retried.ok and usable(lc, SHAREE, "m-cmk0001")  # the retry is safe and completes the change


def test_no_secret_or_token_is_logged(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    session = mint_session(lc.cloud, lc.cloud.ram_of(SHARER).roles["sharetrust-fc"], "test")
    log = io.StringIO()
    summary = run(
        [json.dumps(event_for(SHAREE, 1))],
        log_stream=log,
        environ=environ(
            lc,
            ALIBABA_CLOUD_ACCESS_KEY_ID=session.access_key_id,
            ALIBABA_CLOUD_ACCESS_KEY_SECRET=session.secret,
            ALIBABA_CLOUD_SECURITY_TOKEN=session.token,
        ),
    )
    assert summary.ok and usable(lc, SHAREE, "m-cmk0001")  # the temporary credentials did the work
    text = log.getvalue() + json.dumps(summary.as_json())
    assert session.secret not in text and session.token not in text and KEYS[SHARER][1] not in text
