"""The member fan-out's pure parts: which payloads are member requests, and where the running function is."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from sharetrust.doctor.checks import policy_matches
from sharetrust.fan_out import (
    BadMemberRequest,
    FunctionAddress,
    MemberRequest,
    function_address,
    invoke_each,
    member_payload,
    member_request,
)

UID = "3333333333333333"


def test_a_member_payload_reads_back_as_its_request() -> None:
    assert member_request(member_payload(UID)) == MemberRequest(UID)
    assert member_request(member_payload(UID).decode()) == MemberRequest(UID)


@pytest.mark.parametrize(
    "event",
    [
        b'{"triggerTime": "2026-12-02T01:00:00Z", "triggerName": "every-hour", "payload": ""}',
        b"",
        b"not json",
        b'{"sharetrust": "probe"}',
        b'["reconcile-member"]',
        json.dumps({"sharetrust": "reconcile-member", "account": UID, "pad": "x" * 600}).encode(),  # too big
    ],
)
def test_other_events_are_not_member_requests(event: bytes) -> None:
    assert member_request(event) is None


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ({"sharetrust": "reconcile-member"}, "needs an account UID, got None"),
        ({"sharetrust": "reconcile-member", "account": 3333}, "needs an account UID, got 3333"),
        ({"sharetrust": "reconcile-member", "account": "rd-Ab1234"}, "needs an account UID"),
        ({"sharetrust": "reconcile-member", "account": UID, "role": "admin"}, "carries only an account, not role"),
    ],
)
def test_a_bad_member_request_is_refused_in_one_line(payload: dict[str, object], why: str) -> None:
    with pytest.raises(BadMemberRequest, match=why) as refused:
        member_request(json.dumps(payload))
    assert "\n" not in str(refused.value) and str(refused.value).startswith("refused: ")


def test_the_function_is_found_from_the_context_then_the_environment() -> None:
    context = SimpleNamespace(region="cn-shanghai", function=SimpleNamespace(name="sharetrust-reconcile"))
    assert function_address(context, {}, "cn-hangzhou") == FunctionAddress("sharetrust-reconcile", "cn-shanghai")
    aliased = SimpleNamespace(region="cn-shanghai", function=SimpleNamespace(name="f", qualifier="prod"))
    assert function_address(aliased, {}, "cn-hangzhou") == FunctionAddress("f", "cn-shanghai", "prod")
    environ = {"FC_FUNCTION_NAME": "g", "FC_REGION": "cn-beijing"}
    assert function_address(None, environ, "cn-hangzhou") == FunctionAddress("g", "cn-beijing")
    assert function_address(None, {}, "cn-hangzhou") is None


def test_one_failed_invocation_does_not_stop_the_others() -> None:
    def invoke(account: str) -> None:
        if account == "2":
            raise RuntimeError("throttled")

    invoked, failed = invoke_each(["1", "2", "3", "1"], invoke, lambda e: str(e))
    assert invoked == ["1", "3"] and failed == {"2": "throttled"}
    with pytest.raises(RuntimeError):
        invoke_each(["2"], invoke, lambda e: None)  # an unexpected error is not swallowed


def test_doctor_compares_the_fan_out_statements_region() -> None:
    template = (Path(__file__).resolve().parents[2] / "deploy" / "function-policy.json").read_text(encoding="utf-8")
    known = {"AccountId": UID, "Region": "cn-hangzhou", "TrailProject": "p", "TrailLogstore": "l"}
    filled = template
    for name, value in {**known, "AuditProject": "a", "AuditLogstore": "b", "MemberRole": "m"}.items():
        filled = filled.replace("${" + name + "}", value)
    assert "acs:fc:cn-hangzhou:" + UID + ":functions/sharetrust-reconcile" in filled
    assert policy_matches(filled, template, known)
    assert not policy_matches(filled.replace("acs:fc:cn-hangzhou:", "acs:fc:cn-shanghai:"), template, known)
