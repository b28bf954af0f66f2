"""Under fire: throttling, 5xx, latency, dropped connections and lost answers on every action.

A batch converges to exactly what the shares need; when retries run out the invocation fails loudly
and a rerun converges; an answer lost on the lock's own CreatePolicy is recognised, not waited on;
a region that fails does not stop an add elsewhere.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.faults import FaultRule
from localcloud.oracle import can_use
from localcloud.state import IMAGE_ROLE, SNAPSHOT_ROLE
from sharetrust.entry import run
from sharetrust.plan.permission_policy import key_arns_in
from sharetrust.plan.trust_policy import TrustPolicy
from sharetrust.report import Summary
from tests.e2e.conftest import create_share, e2e_seed, share_image, sharer_environ
from tests.e2e.test_safety import trail_events
from tests.localcloud.conftest import CMK, CMK2, HZ, KEYS, SH, SHAREE, SHARER

SHAREES = [f"81000000000000{n:02d}" for n in range(8)]
INJECTED = ("Throttling.User", "ServiceUnavailable", "ConnectionDropped", "AnswerLost")


@pytest.fixture
def seed() -> dict[str, Any]:
    seed = e2e_seed(eventbridge=False, trail_logs=False)  # these tests call sharetrust themselves
    seed["accounts"] += [{"uid": uid} for uid in SHAREES]
    return seed


def sharetrust(lc: LocalCloud, events: list[dict[str, Any]], **settings: str) -> Summary:
    return run([json.dumps(events)], environ=sharer_environ(lc, **settings), log_stream=io.StringIO())


def managed(lc: LocalCloud, role: str, policy: str) -> tuple[frozenset[str], frozenset[str]]:
    """(trusted account UIDs, granted key ARNs) of a share role as the local cloud holds it."""
    ram = lc.cloud.ram_of(SHARER)
    trust = TrustPolicy.parse(ram.roles[role.lower()].trust_policy)
    document = ram.policies[policy].default_version.document
    return trust.accounts, key_arns_in(document)


def arn(key: str) -> str:
    return f"acs:kms:{HZ}:{SHARER}:key/{key}"


# One fault sequence in every run; ten more with `pytest -m long`.
@pytest.mark.parametrize("fault_seed", [7, *(pytest.param(n, marks=pytest.mark.long) for n in range(100, 110))])
def test_a_batch_converges_exactly_under_every_fault(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str], fault_seed: int
) -> None:
    for uid in SHAREES[:6]:
        share_image(lc, "m-cmk0001", uid)
    share_image(lc, "m-cmk0002", SHAREES[6])
    create_share(lc, "backups", [("Snapshot", "s-cmk0002")], [SHAREES[7]])
    events = trail_events(lc)
    lc.faults.configure(
        [
            FaultRule("latency", latency_ms=5),
            FaultRule("throttle", rate=0.20, retry_after_ms=10),
            FaultRule("unavailable", rate=0.05),
            FaultRule("drop", rate=0.03),
            FaultRule("lose", rate=0.03),
        ],
        seed=fault_seed,
    )
    mark = lc.requests.mark()
    summary = sharetrust(lc, events)
    assert summary.ok, summary.errors
    lc.faults.clear()
    injected = Counter(e.code for e in lc.requests.entries()[mark:] if e.code in INJECTED)
    assert sum(injected.values()) >= 10, injected  # the run really was under fire
    calls = len(lc.requests.entries()) - mark
    with capsys.disabled():
        faults = f"{sum(injected.values())} faults injected {dict(sorted(injected.items()))}"
        print(f"\nunder fire (seed {fault_seed}): {calls} calls, {faults}")
    assert managed(lc, IMAGE_ROLE, "sharetrust-image-share-keys") == (
        frozenset(SHAREES[:7]),
        frozenset({arn(CMK), arn(CMK2)}),
    )
    assert managed(lc, SNAPSHOT_ROLE, "sharetrust-snapshot-share-keys") == (
        frozenset({SHAREES[7]}),
        frozenset({arn(CMK2)}),
    )
    for uid, resource in [*((u, "m-cmk0001") for u in SHAREES[:6]), (SHAREES[6], "m-cmk0002")]:
        assert can_use(lc.cloud, uid, resource).usable, can_use(lc.cloud, uid, resource).reason
    assert not [p for p in lc.cloud.ram_of(SHARER).policies if p.startswith("sharetrust-lock-")]


def test_when_retries_run_out_the_invocation_fails_loudly_and_a_rerun_converges(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    events = trail_events(lc)
    lc.faults.configure([FaultRule("throttle", "Ram:UpdateRole", retry_after_ms=1)])
    failed = sharetrust(lc, events)
    assert not failed.ok
    assert any("Ram:UpdateRole failed: Throttling.User" in e and "after 6 attempts" in e for e in failed.errors)
    # What landed before UpdateRole gave up is reported, and nothing more.
    assert failed.roles[0]["writes"] == [
        "CreatePolicy sharetrust-image-share-keys",
        "AttachPolicyToRole sharetrust-image-share-keys",
    ]
    assert not can_use(lc.cloud, SHAREE, "m-cmk0001").usable
    lc.faults.clear()
    rerun = sharetrust(lc, events)
    assert rerun.ok and can_use(lc.cloud, SHAREE, "m-cmk0001").usable


def test_writes_that_landed_are_reported_even_when_a_later_one_fails(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    assert sharetrust(lc, trail_events(lc)).ok
    share_image(lc, "m-cmk0002", SHAREES[0])  # a second key: a new policy version, then new trust
    lc.faults.configure([FaultRule("unavailable", "Ram:UpdateRole", retry_after_ms=1)])
    summary = sharetrust(lc, trail_events(lc), SHARETRUST_DEADLINE_SECONDS="5")
    assert not summary.ok
    assert summary.roles[0]["writes"] == ["CreatePolicyVersion sharetrust-image-share-keys"]


def test_a_lost_answer_to_the_lock_is_recognised_as_our_own_lease(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    lc.faults.configure([FaultRule("lose", "Ram:CreatePolicy", times=1)])  # the lock's CreatePolicy
    log = io.StringIO()
    environ = {
        "SHARETRUST_ENDPOINT": lc.url,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": KEYS[SHARER][0],
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": KEYS[SHARER][1],
    }
    summary = run([json.dumps(trail_events(lc))], environ=environ, log_stream=log)
    assert summary.ok, summary.errors
    assert "waiting for holder" not in log.getvalue() and "taking over" not in log.getvalue()
    lock_calls = [
        f"{e.action} {e.code}".strip() for e in lc.requests.entries() if e.policy_name.startswith("sharetrust-lock-")
    ]
    assert lock_calls == [
        "CreatePolicy AnswerLost",
        "CreatePolicy EntityAlreadyExists.Policy",
        "GetPolicy",
        "DeletePolicy",
    ]
    assert can_use(lc.cloud, SHAREE, "m-cmk0001").usable


def test_a_failing_region_does_not_stop_an_add_in_another(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    (shared,) = [e for e in trail_events(lc) if e["eventName"] == "ModifyImageSharePermission"]
    parameters = {**shared["requestParameters"], "RegionId": SH, "ImageId": "m-sh00001"}
    in_shanghai = {**shared, "eventId": "5a5a5a5a-0000-4000-8000-000000000001", "acsRegion": SH}
    in_shanghai["requestParameters"] = parameters
    lc.faults.configure([FaultRule("throttle", "Ecs:DescribeImages", region=SH, retry_after_ms=1)])
    summary = sharetrust(lc, [shared, in_shanghai], SHARETRUST_REGIONS=f"{HZ},{SH}")
    assert can_use(lc.cloud, SHAREE, "m-cmk0001").usable  # cn-hangzhou's add went ahead
    # An event of the failed region fails the invocation, so the platform delivers it again.
    assert not summary.ok and any(e.startswith(f"reading {SH} failed") for e in summary.errors), summary.errors
    assert summary.roles[0]["writes"]
