"""Planning, pure: trust documents, the key policy and role plans from plain values."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from sharetrust.model import EncryptedResource, KeyRef, ShareTarget
from sharetrust.plan.desired import ShareeFilter, desired_role
from sharetrust.plan.permission_policy import render_key_policy
from sharetrust.plan.role_plan import PlanSettings, RoleSnapshot, plan_role_changes
from sharetrust.plan.trust_policy import NOBODY, TrustPolicy

OWNER = "1111111111111111"
A, B = "2222222222222222", "3333333333333333"
CMK = KeyRef("key-1", "cn-hangzhou", OWNER, False)
CMK2 = KeyRef("key-2", "cn-shanghai", OWNER, False)
SERVICE = KeyRef("key-sk", "cn-hangzhou", OWNER, True)
UNRELATED = {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"RAM": ["acs:ram::9999:root"]}}


def image(rid: str, keys: tuple[KeyRef, ...], *sharees: ShareTarget) -> EncryptedResource:
    return EncryptedResource("image", rid, "cn-hangzhou", OWNER, keys, sharees)


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "1", "Statement": list(statements)})


def test_the_pages_three_scenarios_are_recognised_as_managed() -> None:
    trust = TrustPolicy.parse(
        doc(
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": [f"{A}@ecs.aliyuncs.com"]}},
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "*@ecs.aliyuncs.com"},
                "Condition": {"StringEquals": {"sts:ServiceOwnerRDId": "rd-1"}},
            },
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "*@ecs.aliyuncs.com"},
                "Condition": {"StringLike": {"sts:ServiceOwnerRDPath": "rd-1/r-1/fd-1*"}},
            },
            UNRELATED,
        )
    )
    assert trust.accounts == {A}
    assert trust.directories == {"rd-1"}
    assert trust.folder_patterns == {"rd-1/r-1/fd-1*"}
    assert trust.foreign == (UNRELATED,)


@pytest.mark.parametrize(
    "statement",
    [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}},
        {"Action": "sts:AssumeRole", "Effect": "Deny", "Principal": {"Service": [f"{A}@ecs.aliyuncs.com"]}},
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": [f"{A}@ecs.aliyuncs.com"]},
            "Condition": {"Bool": {"acs:MFAPresent": "true"}},
        },
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": [f"{A}@ecs.aliyuncs.com"], "RAM": ["acs:ram::9:root"]},
        },
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "*@ecs.aliyuncs.com"},
            "Condition": {"StringEquals": {"sts:ServiceOwnerRDId": "rd-1", "acs:SourceIp": "1.1.1.1"}},
        },
        # Not UIDs under the one rule: Unicode digits, a trailing newline, 21 digits.
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["١٢٣@ecs.aliyuncs.com"]}},
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["123\n@ecs.aliyuncs.com"]}},
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": [f"{'1' * 21}@ecs.aliyuncs.com"]}},
    ],
)
def test_anything_else_is_foreign_and_kept_verbatim(statement: dict[str, Any]) -> None:
    trust = TrustPolicy.parse(doc(statement)).with_managed([B], [], [])
    rendered = json.loads(trust.render())["Statement"]
    assert rendered[0] == statement
    assert TrustPolicy.parse(trust.render()).accounts == {B}


def test_managed_accounts_must_be_uids() -> None:
    with pytest.raises(ValueError, match="not account UIDs"):
        TrustPolicy.empty().with_managed([A, " 1"], [], [])


def test_render_round_trips_and_an_empty_role_trusts_nobody() -> None:
    trust = TrustPolicy.empty().with_managed([B, A], ["rd-1"], ["rd-1/r/fd*"])
    assert TrustPolicy.parse(trust.render()).same_meaning(trust)
    assert json.loads(TrustPolicy.empty().render())["Statement"] == [NOBODY]
    assert TrustPolicy.parse(TrustPolicy.empty().render()).same_meaning(TrustPolicy.empty())


def test_key_policy_has_the_pages_shape() -> None:
    policy = json.loads(render_key_policy([CMK, CMK2, SERVICE]) or "")
    assert policy["Statement"][0] == {
        "Action": "kms:List*",
        "Effect": "Allow",
        "Resource": [f"acs:kms:cn-hangzhou:{OWNER}:key", f"acs:kms:cn-shanghai:{OWNER}:key"],
    }
    assert policy["Statement"][1]["Resource"] == [CMK.arn, CMK2.arn]
    assert set(policy["Statement"][1]["Action"]) == {
        "kms:DescribeKey",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }
    assert render_key_policy([SERVICE]) is None


def test_desired_role_collects_sharees_and_keys_of_shared_resources_only() -> None:
    desired = desired_role(
        "image",
        OWNER,
        [
            image("m-1", (CMK,), ShareTarget.account(A), ShareTarget.directory("rd-1")),
            image("m-2", (CMK2,)),  # shared with nobody: its key is not granted
            image("m-3", (CMK,), ShareTarget.folder("fd-1", "rd-1/r-1/fd-1"), ShareTarget.account(OWNER)),
            EncryptedResource("snapshot", "s-1", "cn-hangzhou", OWNER, (CMK2,), (ShareTarget.account(B),)),
        ],
    )
    assert desired.accounts == {A}
    assert desired.directories == {"rd-1"}
    assert desired.folder_patterns == {"rd-1/r-1/fd-1*"}
    assert desired.cmks == {CMK}


def test_a_missing_role_is_created_with_its_policy() -> None:
    desired = desired_role("image", OWNER, [image("m-1", (CMK,), ShareTarget.account(A))])
    plan = plan_role_changes(RoleSnapshot("AliyunECSShareEncryptImageDefaultRole", False), desired, PlanSettings())
    assert plan.create_role_with is not None
    assert TrustPolicy.parse(plan.create_role_with).accounts == {A}
    assert plan.create_policy_with == render_key_policy([CMK])
    assert plan.attach == (("Custom", "sharetrust-image-share-keys"),)
    assert plan.added_principals == (f"account:{A}",)


def test_a_converged_role_plans_nothing() -> None:
    desired = desired_role("image", OWNER, [image("m-1", (CMK,), ShareTarget.account(A))])
    trust = TrustPolicy.parse(doc(UNRELATED)).with_managed([A], [], []).render()
    current = RoleSnapshot(
        "r", True, trust, frozenset({("Custom", "sharetrust-image-share-keys")}), True, render_key_policy([CMK])
    )
    plan = plan_role_changes(current, desired, PlanSettings())
    assert not plan.changes
    assert plan.errors == ()


def test_a_sharee_no_longer_shared_is_removed_and_foreign_statements_stay() -> None:
    trust = TrustPolicy.parse(doc(UNRELATED)).with_managed([A, B], [], []).render()
    current = RoleSnapshot(
        "r", True, trust, frozenset({("Custom", "sharetrust-image-share-keys")}), True, render_key_policy([CMK])
    )
    plan = plan_role_changes(
        current, desired_role("image", OWNER, [image("m-1", (CMK,), ShareTarget.account(A))]), PlanSettings()
    )
    assert plan.new_trust is not None
    assert json.loads(plan.new_trust)["Statement"][0] == UNRELATED
    assert plan.removed_principals == (f"account:{B}",)
    assert plan.new_policy_version is None


def test_no_sharees_left_detaches_the_key_policy() -> None:
    trust = TrustPolicy.empty().with_managed([A], [], []).render()
    current = RoleSnapshot(
        "r", True, trust, frozenset({("Custom", "sharetrust-image-share-keys")}), True, render_key_policy([CMK])
    )
    plan = plan_role_changes(current, desired_role("image", OWNER, []), PlanSettings())
    assert plan.detach == (("Custom", "sharetrust-image-share-keys"),)
    assert json.loads(plan.new_trust or "")["Statement"] == [NOBODY]


def test_service_key_attaches_full_access_or_warns() -> None:
    desired = desired_role("image", OWNER, [image("m-sk", (SERVICE,), ShareTarget.account(A))])
    plan = plan_role_changes(RoleSnapshot("r", False), desired, PlanSettings())
    assert plan.attach == (("System", "AliyunKMSFullAccess"),)
    assert plan.create_policy_with is None
    warned = plan_role_changes(RoleSnapshot("r", False), desired, PlanSettings(service_key_policy="warn"))
    assert warned.attach == ()
    assert any("AliyunKMSFullAccess" in w for w in warned.warnings)


def test_a_trust_policy_past_the_limit_keeps_what_fits_in_priority_order_and_says_who_is_left_out() -> None:
    trusted = [f"{n:016d}" for n in range(1, 61)]  # already trusted, still shared
    others = [f"{n:016d}" for n in range(61, 400)]
    urgent = others[-1]  # the sharee of the event being handled
    before = TrustPolicy.parse(doc(UNRELATED)).with_managed(trusted, [], []).render()
    current = RoleSnapshot("r", True, before)
    sharees = [ShareTarget.account(uid) for uid in [*trusted, *others]] + [ShareTarget.directory("rd-1")]
    desired = replace(desired_role("image", OWNER, [image("m-1", (CMK,), *sharees)]), urgent=frozenset({urgent}))
    plan = plan_role_changes(current, desired, PlanSettings())
    assert plan.errors == () and plan.new_trust is not None and len(plan.new_trust) <= 4096
    kept = TrustPolicy.parse(plan.new_trust)
    assert kept.foreign == (UNRELATED,) and kept.directories == {"rd-1"}  # unmanaged, then directories
    assert set(trusted) <= kept.accounts and urgent in kept.accounts  # then trusted, then the event's
    assert plan.removed_principals == ()
    assert len(plan.left_out) == 400 - 1 - len(kept.accounts)
    assert plan.left_out[0] == f"account:{min(set(others) - kept.accounts)}"
    assert any("left out" in w and "resource directory or folder" in w for w in plan.warnings)
    again = RoleSnapshot("r", True, plan.new_trust)
    assert not plan_role_changes(again, desired, PlanSettings()).new_trust  # stable: converged as far as it fits


def test_only_unmanaged_statements_over_the_limit_are_an_error() -> None:
    huge = {**UNRELATED, "Principal": {"RAM": [f"acs:ram::{n:016d}:root" for n in range(200)]}}
    current = RoleSnapshot("r", True, doc(huge))
    plan = plan_role_changes(
        current, desired_role("image", OWNER, [image("m-1", (CMK,), ShareTarget.account(A))]), PlanSettings()
    )
    assert not plan.changes and "statements sharetrust does not manage alone exceed" in plan.errors[0]


def test_a_key_policy_past_the_limit_fails_the_role() -> None:
    keys = tuple(KeyRef(f"key-{n:040d}", "cn-hangzhou", OWNER, False) for n in range(100))
    plan = plan_role_changes(
        RoleSnapshot("r", False),
        desired_role("image", OWNER, [image("m-1", keys, ShareTarget.account(A))]),
        PlanSettings(),
    )
    assert not plan.changes
    assert "6144" in plan.errors[0]


def test_an_unreadable_trust_policy_is_never_rewritten() -> None:
    plan = plan_role_changes(
        RoleSnapshot("r", True, "{not json"),
        desired_role("image", OWNER, [image("m-1", (CMK,), ShareTarget.account(A))]),
        PlanSettings(),
    )
    assert not plan.changes
    assert "not JSON" in plan.errors[0]


def test_additive_planning_keeps_what_the_facts_no_longer_name() -> None:
    trust = TrustPolicy.empty().with_managed([A, B], [], []).render()
    current = RoleSnapshot(
        "r", True, trust, frozenset({("Custom", "sharetrust-image-share-keys")}), True, render_key_policy([CMK, CMK2])
    )
    desired = desired_role("image", OWNER, [image("m-1", (CMK,), ShareTarget.account(A))])
    assert not plan_role_changes(current, desired, PlanSettings(), prune=False).changes
    pruned = plan_role_changes(current, desired, PlanSettings(), prune=True)
    assert pruned.removed_principals == (f"account:{B}",) and pruned.removed_keys == (CMK2.arn,)


def test_after_a_prune_a_detached_policy_reports_and_regrants_nothing() -> None:
    # The prune detached the key policy; its last document still names the key, but grants nothing.
    nobody = TrustPolicy.empty().render()
    detached = RoleSnapshot("r", True, nobody, frozenset(), True, render_key_policy([CMK]))
    for prune in (True, False):
        plan = plan_role_changes(detached, desired_role("image", OWNER, []), PlanSettings(), prune=prune)
        assert not plan.changes and plan.removed_keys == () and plan.added_keys == ()
    # An add for a resource with another key grants that key only: the old one is not re-granted.
    later = desired_role("image", OWNER, [image("m-2", (CMK2,), ShareTarget.account(A))])
    plan = plan_role_changes(detached, later, PlanSettings(), prune=False)
    assert plan.added_keys == (CMK2.arn,) and plan.removed_keys == ()
    assert plan.new_policy_version == render_key_policy([CMK2])


def test_the_allow_and_deny_lists_keep_sharees_out_and_say_so() -> None:
    folder = ShareTarget.folder("fd-1", "rd-1/r-1/fd-1")
    shared = [
        image("m-1", (CMK,), ShareTarget.account(A), ShareTarget.account(B), folder, ShareTarget.directory("rd-2"))
    ]
    denied = desired_role("image", OWNER, shared, ShareeFilter(deny=frozenset({B, "rd-1"})))
    assert denied.accounts == {A} and denied.folder_patterns == frozenset() and denied.directories == {"rd-2"}
    assert denied.excluded == (B, "fd-1 (rd-1/r-1/fd-1)")  # a directory listed covers its folders
    allowed = desired_role("image", OWNER, shared, ShareeFilter(allow=frozenset({A})))
    assert allowed.accounts == {A} and not allowed.directories and not allowed.folder_patterns
    plan = plan_role_changes(RoleSnapshot("r", False), denied, PlanSettings())
    assert any("not trusted, by the allow/deny settings" in w for w in plan.warnings)
    nobody = desired_role("image", OWNER, shared, ShareeFilter(allow=frozenset({"9"})))
    assert not nobody.needed and not nobody.keys  # no key is granted for sharees nobody may trust


def test_when_not_all_fit_the_most_recent_shares_come_first() -> None:
    uids = [f"{n:016d}" for n in range(1, 300)]
    when = {ShareTarget.account(uid): f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T00:00:00Z" for n, uid in enumerate(uids)}
    resource = replace(image("m-1", (CMK,), *when), shared_at=when)
    plan = plan_role_changes(RoleSnapshot("r", False), desired_role("image", OWNER, [resource]), PlanSettings())
    kept = TrustPolicy.parse(plan.create_role_with or "").accounts
    newest_left_out = max(when[ShareTarget.account(p.removeprefix("account:"))] for p in plan.left_out)
    oldest_kept = min(when[ShareTarget.account(uid)] for uid in kept)
    assert plan.left_out and newest_left_out <= oldest_kept
