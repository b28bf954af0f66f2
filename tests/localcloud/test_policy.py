"""Policy grammar: what RAM rejects as MalformedPolicyDocument, and what it accepts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.errors import ApiError
from localcloud.policy import PolicyKind, evaluate_trust, validate

ALLOW_KMS = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
TRUST = {
    "Version": "1",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["1@ecs.aliyuncs.com"]}}],
}


def with_statement(base: dict[str, Any], **changes: Any) -> str:
    statement = {**base["Statement"][0], **changes}
    return json.dumps({"Version": "1", "Statement": [{k: v for k, v in statement.items() if v is not None}]})


@pytest.mark.parametrize(
    ("text", "kind", "fragment"),
    [
        ("not json", "permission", "not valid JSON"),
        ("[]", "permission", "JSON object"),
        (json.dumps({"Statement": ALLOW_KMS["Statement"]}), "permission", "Version"),
        (json.dumps({"Version": "2", "Statement": ALLOW_KMS["Statement"]}), "permission", "Version"),
        (json.dumps({"Version": "1", "Statement": []}), "permission", "Statement"),
        (json.dumps({**ALLOW_KMS, "Extra": 1}), "permission", "Extra"),
        (with_statement(ALLOW_KMS, Effect="Maybe"), "permission", "Effect"),
        (with_statement(ALLOW_KMS, Action=None), "permission", "Action"),
        (with_statement(ALLOW_KMS, Action="Decrypt"), "permission", "service:Action"),
        (with_statement(ALLOW_KMS, Resource=None), "permission", "Resource"),
        (with_statement(ALLOW_KMS, Resource=[]), "permission", "Resource"),
        (with_statement(ALLOW_KMS, Principal={"RAM": "x"}), "permission", "Principal"),
        (with_statement(ALLOW_KMS, Condition={"StringWhatever": {"a": "b"}}), "permission", "operator"),
        (with_statement(ALLOW_KMS, Condition={"StringEquals": "b"}), "permission", "condition keys"),
        (with_statement(TRUST, Principal=None), "trust", "Principal"),
        (with_statement(TRUST, Principal={"Robot": "x"}), "trust", "Robot"),
        (with_statement(TRUST, Principal={"Service": []}), "trust", "Service"),
        (with_statement(TRUST, Action="kms:Decrypt"), "trust", "sts:AssumeRole"),
        (with_statement(TRUST, Resource="*"), "trust", "Resource"),
    ],
)
def test_malformed_documents_are_rejected_with_a_reason(text: str, kind: PolicyKind, fragment: str) -> None:
    with pytest.raises(ApiError) as raised:
        validate(text, kind)
    assert (raised.value.status, raised.value.code) == (400, "MalformedPolicyDocument")
    assert fragment in raised.value.message


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (json.dumps(ALLOW_KMS), "permission"),
        (json.dumps(TRUST), "trust"),
        (
            with_statement(
                TRUST,
                Principal={"Service": "*@ecs.aliyuncs.com"},
                Condition={"StringLike": {"sts:ServiceOwnerRDPath": "rd-1/r-1/fd-1*"}},
            ),
            "trust",
        ),
        (with_statement(ALLOW_KMS, Action=["kms:List*", "kms:Decrypt"], Sid="keyed"), "permission"),
    ],
)
def test_valid_documents_pass(text: str, kind: PolicyKind) -> None:
    validate(text, kind)


def test_ram_principal_root_means_the_whole_account() -> None:
    doc = with_statement(TRUST, Principal={"RAM": ["acs:ram::1111:root"]})
    assert evaluate_trust(doc, "RAM", "acs:ram::1111:root", {}) == "allow"
    assert evaluate_trust(doc, "RAM", "acs:ram::2222:root", {}) == "implicit-deny"
    assert evaluate_trust(doc, "Service", "1111@ecs.aliyuncs.com", {}) == "implicit-deny"


def test_string_not_equals_holds_when_the_key_is_absent() -> None:
    doc = with_statement(
        TRUST,
        Principal={"Service": "*@ecs.aliyuncs.com"},
        Condition={"StringNotEquals": {"sts:ServiceOwnerRDId": "rd-1"}},
    )
    assert evaluate_trust(doc, "Service", "9@ecs.aliyuncs.com", {}) == "allow"
    assert evaluate_trust(doc, "Service", "9@ecs.aliyuncs.com", {"sts:ServiceOwnerRDId": "rd-1"}) == "implicit-deny"
