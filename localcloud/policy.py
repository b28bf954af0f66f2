"""RAM policy documents: grammar validation and evaluation (permission and trust policies).

Interface used by RAM (validation), STS and ECS/Resource Sharing (trust checks) and the oracle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

PolicyKind = Literal["permission", "trust"]
Decision = Literal["allow", "deny", "implicit-deny"]


def validate(text: str, kind: PolicyKind) -> None:
    """Raises ApiError(400, "MalformedPolicyDocument", <what is wrong>) unless `text` is a valid policy."""
    raise NotImplementedError


def evaluate_trust(text: str, principal_type: str, principal: str, context: Mapping[str, str]) -> Decision:
    """Whether a trust policy lets `principal` (e.g. type "Service", "2222@ecs.aliyuncs.com", or
    type "RAM", "acs:ram::1111:root") perform sts:AssumeRole, given condition keys in `context`."""
    raise NotImplementedError


def evaluate_permissions(texts: Sequence[str], action: str, resource: str) -> Decision:
    """Whether the union of permission policies allows `action` on `resource` (explicit Deny wins)."""
    raise NotImplementedError


def ecs_trust_context(cloud: object, sharee_uid: str) -> dict[str, str]:
    """Condition keys ECS presents when the sharee's ECS assumes a share role:
    sts:ServiceOwnerRDId / sts:ServiceOwnerRDPath when the sharee is in a resource directory."""
    raise NotImplementedError
