"""Who may do what, as RAM decides it for the data planes (Log Service, Function Compute) and the oracle.

A rule of the products, apart from the protocol handlers that call it.
"""

from __future__ import annotations

from localcloud import policy
from localcloud.rpc import Caller
from localcloud.state import Cloud, Session


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


def role_allows(cloud: Cloud, session: Session, action: str, resource: str) -> bool:
    """Whether the permission policies attached to an assumed role allow `action` on `resource`."""
    if session.role_name.lower() not in cloud.ram_of(session.account_uid).roles:
        return False
    documents = role_policy_documents(cloud, session.account_uid, session.role_name)
    return policy.evaluate_permissions(documents, action, resource) == "allow"


def caller_allowed(cloud: Cloud, caller: Caller, action: str, resource: str) -> bool:
    # Root keys may do anything; RAM users have no policies in the emulated state (allowed).
    if caller.session is None:
        return True
    return role_allows(cloud, caller.session, action, resource)
