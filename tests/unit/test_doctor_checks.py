"""The pure parts of `sharetrust doctor` and the probe: policy comparison, trust reading, verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sharetrust.cloud.actiontrail import TrailRecord
from sharetrust.doctor.checks import (
    Check,
    Facts,
    canonical_policy,
    chosen_trail,
    exit_status,
    policy_matches,
    trusts_service,
)
from sharetrust.probe import PROBE_PAYLOAD, is_probe

ROOT = Path(__file__).resolve().parents[2]
UID = "1111111111111111"


def _trust(**principal: list[str]) -> str:
    statement = {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": principal}
    return json.dumps({"Version": "1", "Statement": [statement]})


def test_trusts_service_reads_the_service_principals() -> None:
    assert trusts_service(_trust(Service=["log.aliyuncs.com"]), "log.aliyuncs.com")
    assert not trusts_service(_trust(Service=["fc.aliyuncs.com"]), "log.aliyuncs.com")
    assert not trusts_service(_trust(RAM=[f"acs:ram::{UID}:root"]), "log.aliyuncs.com")
    assert not trusts_service("not json", "log.aliyuncs.com")


def test_policies_compare_whatever_the_order() -> None:
    a = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["b", "a"], "Resource": "*"}, {"Effect": "Deny"}]}
    b = {
        "Version": "1",
        "Statement": [{"Effect": "Deny"}, {"Effect": "Allow", "Action": ["a", "b"], "Resource": ["*"]}],
    }
    assert canonical_policy(json.dumps(a)) == canonical_policy(json.dumps(b))
    assert canonical_policy("[]") is None


def test_a_template_matches_its_filled_in_form_and_nothing_wider() -> None:
    template = json.dumps(
        {
            "Version": "1",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "log:GetCursorOrData",
                    "Resource": "acs:log:*:${AccountId}:project/${TrailProject}/logstore/${TrailLogstore}",
                },
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "acs:ram::*:role/${MemberRole}"},
            ],
        }
    )
    parameters = {"AccountId": UID, "TrailProject": "p", "TrailLogstore": "l"}
    filled = template.replace("${AccountId}", UID).replace("${TrailProject}", "p").replace("${TrailLogstore}", "l")
    assert policy_matches(filled.replace("${MemberRole}", "sharetrust-member"), template, parameters)
    assert not policy_matches(filled.replace("${MemberRole}", "x").replace(f":{UID}:", ":*:"), template, parameters)
    assert not policy_matches(
        filled.replace("${MemberRole}", "x").replace("project/p", "project/q"), template, parameters
    )


def test_the_repository_function_policy_matches_itself_filled_in() -> None:
    template = (ROOT / "deploy" / "function-policy.json").read_text(encoding="utf-8")
    parameters = {"AccountId": UID, "TrailProject": "trail-project", "TrailLogstore": "actiontrail_t"}
    filled = template
    for name, value in {**parameters, "AuditProject": "a", "AuditLogstore": "b", "MemberRole": "m"}.items():
        filled = filled.replace("${" + name + "}", value)
    assert policy_matches(filled, template, parameters)
    assert not policy_matches(filled.replace(UID, "9999999999999999"), template, parameters)


def test_the_trail_chosen_is_the_one_that_delivers_to_the_named_project() -> None:
    good = TrailRecord("good", "cn-hangzhou", "All", "Write", f"acs:log:cn-hangzhou:{UID}:project/p", "", True)
    other = TrailRecord("other", "cn-hangzhou", "cn-hangzhou", "Read", f"acs:log:cn-beijing:{UID}:project/q", "", False)
    assert good.sls_project == ("cn-hangzhou", "p")
    assert chosen_trail(Facts(UID, "cn-hangzhou", trails=[other, good])) == good
    assert chosen_trail(Facts(UID, "cn-hangzhou", trails=[good, other], trail_project="q")) == other
    assert chosen_trail(Facts(UID, "cn-hangzhou")) is None


def test_the_verdict_is_the_worst_line() -> None:
    assert exit_status([Check("a", "PASS", "")]) == "PASS"
    assert exit_status([Check("a", "PASS", ""), Check("b", "WARN", "")]) == "WARN"
    assert exit_status([Check("a", "FAIL", ""), Check("b", "WARN", "")]) == "FAIL"
    assert Check("a", "FAIL", "broken", "do this").line() == "FAIL  a: broken — fix: do this"
    assert Check("a", "PASS", "fine", "unused").line() == "PASS  a: fine"


@pytest.mark.parametrize(
    ("event", "probe"),
    [
        (PROBE_PAYLOAD, True),
        ('{"sharetrust":"probe"}', True),
        (b'{"sharetrust": "probe", "more": 1}', False),
        (b'[{"sharetrust": "probe"}]', False),
        (b"\xff", False),
        (b'{"sharetrust": "probe"}' + b" " * 300, False),
        ({"sharetrust": "probe"}, False),
    ],
)
def test_only_the_probe_event_is_the_probe(event: object, probe: bool) -> None:
    assert is_probe(event) is probe


def _prepared() -> Facts:
    """Facts of an account where everything is in place (the e2e test reads the same from the local cloud)."""
    from sharetrust.cloud.fc import FunctionRecord, TriggerRecord
    from sharetrust.doctor.checks import FUNCTIONS, FunctionFacts, RoleFacts

    writer = f"acs:ram::{UID}:role/aliyunserviceroleforactiontrail"
    trail = TrailRecord("t", "cn-hangzhou", "All", "Write", f"acs:log:cn-hangzhou:{UID}:project/p", writer, True)
    role = f"acs:ram::{UID}:role/sharetrust-fc"
    triggers = {
        "eventbridge": TriggerRecord("eb", "eventbridge", "", "", {}),
        "log": TriggerRecord(
            "logs", "log", f"acs:log:cn-hangzhou:{UID}:project/p", "", {"sourceConfig": {"logstore": "actiontrail_t"}}
        ),
        "timer": TriggerRecord("hourly", "timer", "", "", {}),
    }
    policy = json.dumps(
        {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ecs:DescribeRegions", "Resource": "*"}]}
    )
    return Facts(
        UID,
        "cn-hangzhou",
        trails=[trail],
        logstores={("p", "actiontrail_t"): True, ("p", "sharetrust-trigger-logs"): True},
        roles={
            "AliyunLogETLRole": RoleFacts("AliyunLogETLRole", True, _trust(Service=["log.aliyuncs.com"])),
            "AliyunServiceRoleForEventBridgeSourceActionTrail": RoleFacts("x", True),
            "sharetrust-fc": RoleFacts(
                "sharetrust-fc",
                True,
                _trust(Service=["fc.aliyuncs.com"]),
                frozenset({("Custom", "sharetrust-function"), ("Custom", "sharetrust-service-key")}),
            ),
            "AliyunECSDiskEncryptDefaultRole": RoleFacts("d", True),
        },
        function_policy=policy,
        expected_policy=policy,
        expected_policy_source="deploy/function-policy.json",
        functions={
            name: FunctionFacts(name, FunctionRecord(name, "h.handler", "python3.12", role), (triggers[kind],))
            for name, kind in FUNCTIONS.items()
        },
    )


def _not_passing(facts: Facts) -> dict[str, str]:
    from sharetrust.doctor.checks import checks

    return {c.name: c.status for c in checks(facts) if c.status != "PASS"}


def test_prepared_facts_pass() -> None:
    assert _not_passing(_prepared()) == {}


def test_a_function_role_fc_cannot_assume_fails() -> None:
    from sharetrust.doctor.checks import RoleFacts

    facts = _prepared()
    role = facts.roles["sharetrust-fc"]
    facts.roles["sharetrust-fc"] = RoleFacts(role.name, True, _trust(Service=["ecs.aliyuncs.com"]), role.attached)
    assert _not_passing(facts) == {"role sharetrust-fc": "FAIL"}


def test_a_log_trigger_reading_another_logstore_fails() -> None:
    from sharetrust.cloud.fc import TriggerRecord
    from sharetrust.doctor.checks import FunctionFacts

    facts = _prepared()
    function = facts.functions["sharetrust-on-trail-logs"]
    wrong = TriggerRecord(
        "logs", "log", f"acs:log:cn-hangzhou:{UID}:project/p", "", {"sourceConfig": {"logstore": "x"}}
    )
    facts.functions[function.name] = FunctionFacts(function.name, function.record, (wrong,))
    assert _not_passing(facts) == {"function sharetrust-on-trail-logs log trigger": "FAIL"}


def test_without_the_service_key_policy_attach_mode_warns_and_warn_mode_does_not_care() -> None:
    from sharetrust.doctor.checks import RoleFacts

    facts = _prepared()
    role = facts.roles["sharetrust-fc"]
    facts.roles["sharetrust-fc"] = RoleFacts(
        role.name, True, role.trust_document, frozenset({("Custom", "sharetrust-function")})
    )
    assert _not_passing(facts) == {"policy sharetrust-service-key": "WARN"}
    facts.service_key_policy = "warn"
    assert _not_passing(facts) == {}


def test_share_roles_say_whom_they_trust_and_which_policies_are_not_sharetrusts() -> None:
    from sharetrust.doctor.checks import RoleFacts, checks
    from sharetrust.model import IMAGE_ROLE

    facts = _prepared()
    trust = _trust(Service=["2222222222222222@ecs.aliyuncs.com", "3333333333333333@ecs.aliyuncs.com"])
    attached = frozenset({("Custom", "sharetrust-image-share-keys"), ("System", "AdministratorAccess")})
    facts.roles[IMAGE_ROLE] = RoleFacts(IMAGE_ROLE, True, trust, attached)
    found = {c.name: c for c in checks(facts)}[f"share role {IMAGE_ROLE}"]
    assert found.status == "PASS"
    assert "trusts 2 accounts" in found.detail and "AdministratorAccess not managed by sharetrust" in found.detail


def test_a_fact_that_could_not_be_read_fails_its_line() -> None:
    facts = _prepared()
    facts.errors["trails"] = "Actiontrail:DescribeTrails failed: NoPermission: denied"
    assert _not_passing(facts) == {"trail": "FAIL"}


def test_a_trail_without_a_write_role_cannot_deliver() -> None:
    from dataclasses import replace

    facts = _prepared()
    facts.trails = [replace(facts.trails[0], sls_write_role_arn="")]
    assert _not_passing(facts) == {"trail t delivery": "FAIL"}


@pytest.mark.parametrize(
    ("description", "status", "said"),
    [
        (None, "PASS", "not held"),
        ("sharetrust lock holder=abc until=1000100", "PASS", "held by run abc for 100 s more"),
        ("sharetrust lock holder=abc until=999400", "WARN", "left by run abc, expired 600 s ago"),
        ("written by hand", "WARN", "no lease"),
    ],
)
def test_a_lock_left_behind_by_a_run_that_died_is_a_warning(description: str | None, status: str, said: str) -> None:
    from sharetrust.doctor.checks import checks
    from sharetrust.model import IMAGE_ROLE

    facts = _prepared()
    facts.read_at = 1_000_000.0
    facts.locks[IMAGE_ROLE] = description
    found = {c.name: c for c in checks(facts)}[f"lock of {IMAGE_ROLE}"]
    assert (found.status, said in found.detail) == (status, True), found
    if status == "WARN":
        lock = "sharetrust-lock-aliyunecsshareencryptimagedefaultrole"
        assert lock in found.detail and found.fix == f"ram DeletePolicy PolicyName={lock}"
