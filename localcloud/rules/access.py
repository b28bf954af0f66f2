"""Who may do what, as RAM decides it for the data planes (Log Service, Function Compute) and the oracle.

A rule of the products, apart from the protocol handlers that call it.
"""

from __future__ import annotations

from localcloud import authorization
from localcloud.rpc import Caller
from localcloud.state import Cloud


def role_policy_documents(cloud: Cloud, owner: str, role_name: str) -> list[str]:
    """The default-version documents of the policies attached to `owner`'s role (System or Custom)."""
    ram = cloud.ram_of(owner)
    documents: list[str] = []
    for attachment in ram.attachments.get(role_name.lower(), []):
        if attachment.policy_type == "System":
            found = cloud.system_policies.get(attachment.policy_name)
        else:
            found = ram.policies.get(attachment.policy_name)
        if found is not None:
            documents.append(found.default_version.document)
    return documents


def caller_allowed(cloud: Cloud, caller: Caller, action: str, resource: str) -> bool:
    """Whether RAM allows `caller` `action` on `resource`: the one decision of `localcloud.authorization`
    (root keys, RAM users' and roles' attached policies, session policies), recorded there."""
    return authorization.decide(cloud, caller, authorization.Permission(action, (resource,))).decision == "allow"
