"""Share refusals no role can fix: the error codes, and what the sharer should do instead.

From ModifyImageSharePermission's API page (change history to 2025-04-29) and the current ECS pages,
summarised in production-facts.md ("Share refusals that no role change can fix"). `AssumeRoleError`
is the one refusal a role fixes; for these, sharetrust prepares nothing and reports the share broken.
"""

from __future__ import annotations

REMEDIES: dict[str, str] = {
    "OperationDeined.FullImage": (
        "an encrypted image with several snapshots cannot be shared: share its snapshots instead, "
        "or copy it into an image with one encrypted disk and share the copy"
    ),
    "InvalidParameter.KMSKeyId.CMKNotEnabled": "the image's KMS key is not enabled: enable the key, then share again",
    "InvalidOperation.ServiceKeyEncryptedImageUnsupported": (
        "resources encrypted with the ECS service key cannot be shared: copy it encrypted with a customer "
        "master key (CMK) and share the copy"
    ),
}


def unfixable(code_or_message: str) -> tuple[str, str] | None:
    """(code, remedy) when an error code, or a `CODE: text` failure message, is a refusal no role fixes."""
    code = code_or_message.split(":", 1)[0].strip()
    remedy = REMEDIES.get(code)
    return None if remedy is None else (code, remedy)
