"""Least privilege, proven: sharetrust's handlers and commands run as the function role holding exactly
deploy/'s policies, through every path; the local cloud enforces RAM on each call and records each decision.

No call of the role may be refused, and every action the policies grant must be used by some scenario
(a wildcard grant counts once any call it allowed matches it). Removing a needed action makes the path
that needs it fail with a message naming the action."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_resourcesharing20200110 import models as rs_models

from localcloud import LocalCloud
from localcloud.policy import action_matches
from localcloud.seed import policy_from_file
from localcloud.state import Authorization
from sharetrust.entry import reconcile, reconcile_members, run
from tests.e2e.conftest import (
    DEPLOY_PARAMETERS,
    FUNCTION_POLICIES,
    create_share,
    e2e_seed,
    modify_share,
    settle,
    share_image,
    sharer_environ,
    sharing,
    two_region_seed,
    usable,
)
from tests.e2e.test_member_fan_out import TIMER_EVENT, fan_out_seed, invoke_sync
from tests.e2e.test_members import member_event
from tests.e2e.test_reconcile import all_usable
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import FOLDER, HZ, MEMBER, OUTSIDER, RD, SH, SHAREE, SHARER, config, start

Make = Callable[..., LocalCloud]  # (seed, **environment of the functions) -> a started local cloud
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROLE_CALLERS = ("role/sharetrust-fc", "role/sharetrust-member")
AUDIT_PROJECT, AUDIT_LOGSTORE = DEPLOY_PARAMETERS["AuditProject"], DEPLOY_PARAMETERS["AuditLogstore"]


@dataclass(frozen=True)
class Grant:
    policy: str
    index: int
    sid: str
    action: str  # as the policy writes it (a pattern)

    def exercised_by(self, record: Authorization) -> bool:
        return (
            record.decision == "allow"
            and f"{self.policy}#{self.index}" in record.statements
            and action_matches(self.action, record.action)
        )


def grants() -> list[Grant]:
    """Every (statement, action) the function role's policies grant."""
    found: list[Grant] = []
    for entry in FUNCTION_POLICIES:
        document = json.loads((DEPLOY.parent / str(entry["document_file"])).read_text())
        for index, statement in enumerate(document["Statement"]):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            found += [Grant(str(entry["name"]), index, statement.get("Sid", ""), a) for a in actions]
    return found


def unshare(lc: LocalCloud, share_id: str, target: str) -> None:
    """DisassociateResourceShare of one target, as the sharer."""
    request = rs_models.DisassociateResourceShareRequest(resource_share_id=share_id, targets=[target])
    sharing(lc).disassociate_resource_share(request)


# ---- the scenarios: each starts its own cloud and returns what the role was authorised to do ----------


@pytest.fixture
def cloud_of(monkeypatch: pytest.MonkeyPatch) -> Iterator[Make]:
    """Starts a local cloud from a seed, with the environment the handlers run in (as tests/e2e's `lc`)."""
    started: list[LocalCloud] = []

    def make(seed: dict[str, Any], **env: str) -> LocalCloud:
        lc = start(seed)
        started.append(lc)
        for proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
            monkeypatch.delenv(proxy, raising=False)
        monkeypatch.setenv("SHARETRUST_ENDPOINT", lc.url)
        monkeypatch.setenv("SHARETRUST_REGIONS", f"{HZ},{SH}")
        for name in ("SHARETRUST_DRY_RUN", "SHARETRUST_ACCOUNT_ID", "SHARETRUST_RETRY_FAILED_SHARES"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return lc

    yield make
    for lc in started:
        lc.close()


def image_events_add_and_remove(make: Make) -> LocalCloud:
    """EventBridge: an image shared and unshared (FC runs on-share-event as the function role)."""
    lc = make(e2e_seed(trail_logs=False))
    share_image(lc, "m-cmk0001", SHAREE)
    settle(lc)
    assert usable(lc, SHAREE, "m-cmk0001")
    modify_share(lc, HZ, "m-cmk0001", remove=SHAREE)
    settle(lc)
    return lc


def snapshot_share_to_account_repeated(make: Make) -> LocalCloud:
    """The trail's logstore (FC pulls it as the role): a snapshot shared through Resource Sharing before its
    role existed; sharetrust creates the role and repeats the association; an image share refused likewise."""
    lc = make(e2e_seed(eventbridge=False, image_role=False), SHARETRUST_RETRY_FAILED_SHARES="true")
    share_id = create_share(lc, "snap", [("Snapshot", "s-cmk0001")], [SHAREE])
    with pytest.raises(Exception, match="AssumeRoleError"):
        share_image(lc, "m-cmk0002", MEMBER)  # ECS refuses: the image role does not exist yet
    settle(lc)
    assert usable(lc, SHAREE, "s-cmk0001") and usable(lc, MEMBER, "m-cmk0002")
    unshare(lc, share_id, SHAREE)  # the snapshot's removal event, through the trail too
    settle(lc)
    return lc


def directory_and_folder_shares(make: Make) -> LocalCloud:
    lc = make(e2e_seed(eventbridge=False))
    create_share(lc, "to-rd", [("Image", "m-cmk0001")], [RD])
    create_share(lc, "to-folder", [("Image", "m-cmk0002")], [FOLDER])
    settle(lc)
    assert usable(lc, SHAREE, "m-cmk0001") and usable(lc, MEMBER, "m-cmk0002")
    return lc


def service_key_image_with_attach(make: Make) -> LocalCloud:
    seed = e2e_seed(eventbridge=False, trail_logs=False)
    seed["accounts"][0]["images"][3]["shared_with"] = [SHAREE]  # m-svc0001, shared before ECS refused it
    lc = make(seed)
    params = {**FORGED["requestParameters"], "ImageId": "m-svc0001", "AddAccount.1": SHAREE}
    summary = run(
        [json.dumps({**FORGED, "requestParameters": params})], environ=sharer_environ(lc), log_stream=io.StringIO()
    )
    assert summary.ok, summary.errors
    assert usable(lc, SHAREE, "m-svc0001")
    return lc


def reconcile_with_prune_and_audit(make: Make) -> LocalCloud:
    """Reconcile in two regions, then prune what was unshared (one of the image role's two keys; the snapshot
    role's only key, so its policy is detached), every change written to the audit logstore."""
    seed = two_region_seed()
    seed["accounts"][0]["sls_projects"] = [
        {"name": AUDIT_PROJECT, "region": HZ, "logstores": [{"name": AUDIT_LOGSTORE}]}
    ]
    lc = make(seed)
    modify_share(lc, HZ, "m-cmk0001", add=SHAREE)  # kept: the image role keeps one key (a new policy version)
    modify_share(lc, SH, "m-sh00001", add=OUTSIDER)
    to_folder = create_share(lc, "to-folder", [("Snapshot", "s-cmk0002")], [FOLDER])
    environ = sharer_environ(
        lc, SHARETRUST_AUDIT_LOGSTORE=f"{AUDIT_PROJECT}/{AUDIT_LOGSTORE}", SHARETRUST_RETRY_FAILED_SHARES="true"
    )
    assert reconcile(environ=environ, log_stream=io.StringIO()).ok
    assert all_usable(lc, [(OUTSIDER, "m-sh00001"), (MEMBER, "s-cmk0002")]) == []
    modify_share(lc, SH, "m-sh00001", remove=OUTSIDER)
    unshare(lc, to_folder, FOLDER)
    pruned = reconcile(prune=True, environ=environ, log_stream=io.StringIO())
    assert pruned.ok and pruned.principals_removed, pruned.errors
    return lc


def member_account_through_sts(make: Make) -> LocalCloud:
    """A member's share handled through the member role (sts:AssumeRole), then every member reconciled: in
    process (`apply --all-members`), and by the timer's reconcile fanning out one asynchronous invocation of
    its own function per member (fc:InvokeFunction)."""
    lc = make(fan_out_seed())
    modify_share(lc, HZ, "m-cmk0001", add=SHAREE)  # the central account's own share, for its reconcile
    EcsClient(config(lc, MEMBER)).modify_image_share_permission(
        ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id="m-member001", add_account=[OUTSIDER])
    )
    environ = sharer_environ(lc, SHARETRUST_MEMBER_ROLE=DEPLOY_PARAMETERS["MemberRole"])
    assert run([member_event()], environ=environ, log_stream=io.StringIO()).ok
    assert usable(lc, OUTSIDER, "m-member001")
    summaries = reconcile_members(environ=environ, log_stream=io.StringIO())
    assert summaries[SHARER].ok and summaries[MEMBER].ok
    EcsClient(config(lc, SHAREE)).modify_image_share_permission(
        ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id="m-second001", add_account=[MEMBER])
    )
    answer, error = invoke_sync(lc, TIMER_EVENT)
    assert error is None and sorted(answer["fan_out"]["invoked"]) == sorted([MEMBER, SHAREE]), answer
    settle(lc)
    assert usable(lc, MEMBER, "m-second001")
    return lc


SCENARIOS: dict[str, Callable[[Make], LocalCloud]] = {
    "image events add and remove (EventBridge)": image_events_add_and_remove,
    "snapshot and image shares repeated (Log Service trigger)": snapshot_share_to_account_repeated,
    "directory and folder shares": directory_and_folder_shares,
    "service-key image, AliyunKMSFullAccess attached": service_key_image_with_attach,
    "reconcile with prune and the audit logstore": reconcile_with_prune_and_audit,
    "member account through STS": member_account_through_sts,
}


def test_the_function_role_is_refused_nothing_and_uses_every_action_it_holds(
    cloud_of: Make,
) -> None:
    used: dict[str, list[Authorization]] = {}
    for name, scenario in SCENARIOS.items():
        lc = scenario(cloud_of)
        settle(lc)
        with lc.cloud.lock:
            used[name] = [a for a in lc.cloud.authorizations if a.caller in ROLE_CALLERS]
    refused = [
        f"{name}: {a.caller} {a.action} on {', '.join(a.resources)} ({a.decision})"
        for name, records in used.items()
        for a in records
        if a.decision != "allow"
    ]
    assert not refused, "the function role was refused:\n" + "\n".join(refused)
    unused = [
        f"{g.policy} {g.sid}: {g.action}"
        for g in grants()
        if not any(g.exercised_by(a) for records in used.values() for a in records)
    ]
    assert not unused, "granted but never exercised by any scenario:\n" + "\n".join(unused)


@pytest.mark.parametrize(
    ("removed", "refused_call"),
    [("ram:UpdateRole", "Ram:UpdateRole"), ("kms:ListAliasesByKeyId", "Kms:ListAliasesByKeyId")],
)
def test_a_policy_without_a_needed_action_fails_naming_it(cloud_of: Make, removed: str, refused_call: str) -> None:
    document = json.loads(
        policy_from_file("deploy/function-policy.json", {"AccountId": SHARER, **DEPLOY_PARAMETERS}, "test")
    )
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != removed] or ["ecs:NoSuchAction"]
    seed = copy.deepcopy(e2e_seed(eventbridge=False, trail_logs=False))
    policies = seed["accounts"][0]["policies"]
    policies[0] = {"name": "sharetrust-function", "document": document}
    lc = cloud_of(seed)
    modify_share(lc, HZ, "m-cmk0001", add=SHAREE)
    summary = run(
        [json.dumps({**FORGED, "requestParameters": {**FORGED["requestParameters"], "AddAccount.1": SHAREE}})],
        environ=sharer_environ(lc),
        log_stream=io.StringIO(),
    )
    assert not summary.ok
    message = "\n".join(summary.errors)
    assert f"{refused_call} failed" in message and f"AuthAction: {removed}" in message, message
    assert f"the caller may not call {removed}" in message
    assert not usable(lc, SHAREE, "m-cmk0001")
