"""The sharetrust-owned custom policy that lets a share role use the CMKs of the shared resources.

Shape from Alibaba's page (encryption-related-permissions.ja.txt): `kms:List*` on
`acs:kms:<region>:<account>:key` and six key actions on each key's ARN. sharetrust owns the whole
document, so it is rendered from the key set alone: same keys, same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sharetrust.model import KeyRef

KEY_ACTIONS = (
    "kms:DescribeKey",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:GenerateDataKey",
)
# RAM's limit on a custom policy document (alibaba-apis.md §5: 6,144; budgeted in UTF-8 bytes).
POLICY_DOCUMENT_MAX_BYTES = 6144


def render_key_policy(keys: Iterable[KeyRef]) -> str | None:
    """The policy document for these customer master keys, or None when there are none."""
    cmks = sorted({k for k in keys if not k.is_service_key})
    if not cmks:
        return None
    containers = sorted({f"acs:kms:{k.region}:{k.account_uid}:key" for k in cmks})
    statements: list[dict[str, Any]] = [
        {
            "Action": "kms:List*",
            "Resource": containers if len(containers) > 1 else containers[0],
            "Effect": "Allow",
        },
        {"Action": list(KEY_ACTIONS), "Resource": [k.arn for k in cmks], "Effect": "Allow"},
    ]
    return json.dumps({"Version": "1", "Statement": statements}, separators=(",", ":"))


class UnreadablePolicy(ValueError):
    """sharetrust's key policy holds a document it cannot read, so it cannot know what it grants."""


def key_arns_in(document: str) -> frozenset[str]:
    """The key ARNs a (possibly foreign-written) policy document grants the key actions on."""
    try:
        parsed = json.loads(document)
    except (ValueError, RecursionError) as bad:  # not JSON, nested too deep, a number too long
        raise UnreadablePolicy(f"the key policy cannot be read ({type(bad).__name__})") from None
    arns: set[str] = set()
    for statement in parsed.get("Statement", []) if isinstance(parsed, dict) else []:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        resources = statement.get("Resource")
        for resource in resources if isinstance(resources, list) else [resources]:
            if isinstance(resource, str) and ":key/" in resource:
                arns.add(resource)
    return frozenset(arns)


def byte_size(document: str) -> int:
    return len(document.encode("utf-8"))
