"""RAM policy documents: grammar validation and evaluation (permission and trust policies).

Used by RAM (validation on write), STS and ECS/Resource Sharing (trust checks) and the oracle.
Evaluation follows RAM's model: a statement applies when its Action, Resource (or Principal)
and every Condition match; an applicable Deny wins over any Allow; nothing applicable is an
implicit deny.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Literal

from localcloud.errors import ApiError, bad_request

if TYPE_CHECKING:
    from localcloud.state import Cloud

PolicyKind = Literal["permission", "trust"]
Decision = Literal["allow", "deny", "implicit-deny"]

_ACTION = re.compile(r"^(\*|[a-z0-9*?-]+:[A-Za-z0-9*?]+)$")
_PRINCIPAL_TYPES = {"RAM", "Service", "Federated"}
_STRING_OPS = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
}
_OTHER_OPS = {
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "IpAddress",
    "NotIpAddress",
}


def _malformed(why: str) -> ApiError:
    return bad_request("MalformedPolicyDocument", f"The policy document is malformed: {why}")


def _strings(value: Any, where: str) -> list[str]:
    """A string or a non-empty list of strings, as RAM accepts for Action/Resource/principals."""
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return list(value)
    raise _malformed(f"{where} must be a non-empty string or a non-empty list of strings")


def _parse(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, TypeError) as bad:
        raise _malformed(f"not valid JSON ({bad})") from None
    if not isinstance(document, dict):
        raise _malformed("the document must be a JSON object")
    return document


def validate(text: str, kind: PolicyKind) -> None:
    """Raises 400 MalformedPolicyDocument naming the first thing wrong, unless `text` is valid."""
    document = _parse(text)
    unknown = set(document) - {"Version", "Statement"}
    if unknown:
        raise _malformed(f"unknown top-level element {sorted(unknown)[0]!r}")
    if document.get("Version") != "1":
        raise _malformed('"Version" must be "1"')
    statements = document.get("Statement")
    if not isinstance(statements, list) or not statements:
        raise _malformed('"Statement" must be a non-empty list')
    for index, statement in enumerate(statements):
        _validate_statement(statement, kind, f"Statement[{index}]")


def _validate_statement(statement: Any, kind: PolicyKind, where: str) -> None:
    if not isinstance(statement, dict):
        raise _malformed(f"{where} must be an object")
    allowed = {"Sid", "Effect", "Action", "Condition"} | ({"Principal"} if kind == "trust" else {"Resource"})
    unknown = set(statement) - allowed
    if unknown:
        raise _malformed(f"{where} has an element not allowed in a {kind} policy: {sorted(unknown)[0]!r}")
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise _malformed(f'{where}.Effect must be "Allow" or "Deny"')
    actions = _strings(statement.get("Action"), f"{where}.Action")
    for action in actions:
        if not _ACTION.match(action):
            raise _malformed(f"{where}.Action {action!r} is not of the form service:Action")
    if kind == "trust":
        if any(a.lower() not in ("sts:assumerole", "sts:*", "*") for a in actions):
            raise _malformed(f"{where}.Action of a trust policy must be sts:AssumeRole")
        principal = statement.get("Principal")
        if not isinstance(principal, dict) or not principal:
            raise _malformed(f"{where}.Principal must be an object with RAM, Service or Federated")
        for ptype, values in principal.items():
            if ptype not in _PRINCIPAL_TYPES:
                raise _malformed(f"{where}.Principal has an unknown principal type {ptype!r}")
            _strings(values, f"{where}.Principal.{ptype}")
    else:
        _strings(statement.get("Resource"), f"{where}.Resource")
    if "Sid" in statement and not isinstance(statement["Sid"], str):
        raise _malformed(f"{where}.Sid must be a string")
    if "Condition" in statement:
        _validate_condition(statement["Condition"], f"{where}.Condition")


def _validate_condition(condition: Any, where: str) -> None:
    if not isinstance(condition, dict) or not condition:
        raise _malformed(f"{where} must be a non-empty object")
    for operator, clauses in condition.items():
        if operator not in _STRING_OPS | _OTHER_OPS:
            raise _malformed(f"{where} uses an unknown operator {operator!r}")
        if not isinstance(clauses, dict) or not clauses:
            raise _malformed(f"{where}.{operator} must map condition keys to values")
        for key, value in clauses.items():
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, (str, int, float, bool)) for v in values):
                raise _malformed(f"{where}.{operator}.{key} must be a value or a list of values")


def _like(pattern: str, value: str) -> bool:
    # RAM wildcards are only * and ?; escape [ so fnmatch does not treat it as a class.
    return fnmatchcase(value, pattern.replace("[", "[[]"))


def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    lowered = {k.lower(): v for k, v in context.items()}
    for operator, clauses in condition.items():
        for key, expected in clauses.items():
            values = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
            actual = lowered.get(key.lower())
            if not _operator_holds(operator, values, actual):
                return False
    return True


_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NotIpAddress"}
_ORDERED: dict[str, Callable[[float, float], bool]] = {
    "Equals": lambda a, b: a == b,
    "NotEquals": lambda a, b: a != b,
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}


def _number(kind: str, text: str) -> float | None:
    try:
        if kind == "Date":
            return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        return float(text)
    except ValueError:
        return None


def _in_network(address: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _operator_holds(operator: str, values: list[str], actual: str | None) -> bool:
    negated = operator in _NEGATED
    if actual is None:
        return negated  # a missing key never satisfies a positive condition
    if operator in ("StringEquals", "StringNotEquals"):
        hit = actual in values
    elif operator in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        hit = actual.lower() in (v.lower() for v in values)
    elif operator in ("StringLike", "StringNotLike"):
        hit = any(_like(v, actual) for v in values)
    elif operator == "Bool":
        hit = actual.lower() in (v.lower() for v in values)
    elif operator in ("IpAddress", "NotIpAddress"):
        hit = any(_in_network(actual, v) for v in values)
    else:  # Numeric<Op> / Date<Op>: any value satisfies the comparison
        kind = "Date" if operator.startswith("Date") else "Numeric"
        compare = _ORDERED[operator[len(kind) :]]
        left = _number(kind, actual)
        rights = [_number(kind, v) for v in values]
        hit = left is not None and any(r is not None and compare(left, r) for r in rights)
    return hit != negated


def _statements(text: str) -> list[dict[str, Any]]:
    try:
        document = _parse(text)
    except ApiError:
        return []
    statements = document.get("Statement")
    return [s for s in statements if isinstance(s, dict)] if isinstance(statements, list) else []


def _values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _combine(effects: list[str]) -> Decision:
    if "Deny" in effects:
        return "deny"
    return "allow" if "Allow" in effects else "implicit-deny"


def evaluate_trust(text: str, principal_type: str, principal: str, context: Mapping[str, str]) -> Decision:
    """Whether a trust policy lets `principal` assume the role: e.g. ("Service", "2222@ecs.aliyuncs.com")
    or ("RAM", "acs:ram::1111:root"), with the condition keys the caller presents in `context`."""
    effects: list[str] = []
    for statement in _statements(text):
        actions = [a.lower() for a in _values(statement.get("Action"))]
        if not any(_like(a, "sts:assumerole") for a in actions):
            continue
        principals = statement.get("Principal")
        if not isinstance(principals, dict):
            continue
        patterns = _values(principals.get(principal_type))
        if not any(_principal_matches(p, principal_type, principal) for p in patterns):
            continue
        if not _condition_holds(statement.get("Condition") or {}, context):
            continue
        effects.append(str(statement.get("Effect")))
    return _combine(effects)


def _principal_matches(pattern: str, principal_type: str, principal: str) -> bool:
    if principal_type == "RAM":
        # "acs:ram::<uid>:root" and a bare "<uid>" both mean every identity of that account.
        account = principal.split(":")[3] if principal.startswith("acs:ram::") else principal
        if pattern == account:
            return True
        if pattern.endswith(":root") and pattern.startswith("acs:ram::"):
            return _like(pattern.split(":")[3], account)
    return _like(pattern.lower(), principal.lower())


def evaluate_permissions(texts: Sequence[str], action: str, resource: str) -> Decision:
    """Whether the union of permission policies allows `action` on `resource` (explicit Deny wins)."""
    # ECS presents no condition keys for these KMS calls: conditions see an empty context.
    matches = [m for text in texts for m in matching_statements("", text, action, resource, {})]
    return _combine([m.effect for m in matches])


@dataclass(frozen=True)
class StatementMatch:
    """A statement of a permission policy that applies to a request: `<policy>#<index>` and what it says."""

    policy: str
    index: int
    effect: str
    actions: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.policy}#{self.index}"


def action_matches(pattern: str, action: str) -> bool:
    """RAM compares actions without regard to case (`ECS:describe*` matches `ecs:DescribeImages`)."""
    return _like(pattern.lower(), action.lower())


def matching_statements(
    policy_name: str, text: str, action: str, resource: str, context: Mapping[str, str]
) -> list[StatementMatch]:
    """The statements of one permission policy whose Action, Resource and every Condition match."""
    found: list[StatementMatch] = []
    for index, statement in enumerate(_statements(text)):
        actions = _values(statement.get("Action"))
        if not any(action_matches(a, action) for a in actions):
            continue
        if not any(_like(r, resource) for r in _values(statement.get("Resource"))):
            continue
        if not _condition_holds(statement.get("Condition") or {}, context):
            continue
        found.append(StatementMatch(policy_name, index, str(statement.get("Effect")), tuple(actions)))
    return found


def combine(matches: Sequence[StatementMatch]) -> Decision:
    """Explicit Deny wins; an Allow allows; nothing that applies is an implicit deny."""
    return _combine([m.effect for m in matches])


def ecs_trust_context(cloud: Cloud, sharee_uid: str) -> dict[str, str]:
    """Condition keys presented when the sharee's ECS assumes a share role: its resource directory
    id and its RDPath (`<rd>/<root>/.../<folder>/<uid>`) when it is in a directory."""
    directory = cloud.directory_of(sharee_uid)
    if directory is None or sharee_uid not in directory.members:
        return {}
    return {
        "sts:ServiceOwnerRDId": directory.id,
        "sts:ServiceOwnerRDPath": directory.account_path(sharee_uid),
    }
