"""RAM gateway: the share roles, sharetrust's custom policy and attachments."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Literal

from sharetrust.cloud.errors import AlreadyExists, NotFound
from sharetrust.cloud.session import CloudSession

PolicyRef = tuple[Literal["Custom", "System"], str]
RAM_REGION = "cn-hangzhou"  # RAM is global; the endpoint is ram.aliyuncs.com for every region


@dataclass(frozen=True)
class RoleRecord:
    name: str
    trust_document: str


class RamGateway:
    def __init__(self, session: CloudSession) -> None:
        self._session = session

    def _client(self) -> Any:
        from alibabacloud_ram20150501.client import Client

        return self._session.client("ram", RAM_REGION, Client)

    def get_role(self, name: str) -> RoleRecord | None:
        from alibabacloud_ram20150501 import models

        try:
            body = self._session.pop(
                "Ram:GetRole", self._client().get_role_with_options, models.GetRoleRequest(role_name=name)
            ).body
        except NotFound:
            return None
        return RoleRecord(body.role.role_name, body.role.assume_role_policy_document)

    def create_role(self, name: str, trust_document: str, description: str) -> None:
        from alibabacloud_ram20150501 import models

        request = models.CreateRoleRequest(
            role_name=name, assume_role_policy_document=trust_document, description=description
        )
        self._session.pop("Ram:CreateRole", self._client().create_role_with_options, request)

    def update_trust(self, name: str, trust_document: str) -> None:
        from alibabacloud_ram20150501 import models

        request = models.UpdateRoleRequest(role_name=name, new_assume_role_policy_document=trust_document)
        self._session.pop("Ram:UpdateRole", self._client().update_role_with_options, request)

    def _custom_policy(self, name: str) -> Any | None:
        """GetPolicy's body for a custom policy, or None when the policy does not exist."""
        from alibabacloud_ram20150501 import models

        request = models.GetPolicyRequest(policy_name=name, policy_type="Custom")
        try:
            return self._session.pop("Ram:GetPolicy", self._client().get_policy_with_options, request).body
        except NotFound:
            return None

    def policy_document(self, name: str) -> str | None:
        """The default version's document of a custom policy, or None when the policy does not exist."""
        body = self._custom_policy(name)
        # Read from DefaultPolicyVersion; Policy.PolicyDocument is deprecated (alibaba-apis.md §5).
        return None if body is None else str(body.default_policy_version.policy_document)

    def create_policy(self, name: str, document: str, description: str) -> None:
        from alibabacloud_ram20150501 import models

        request = models.CreatePolicyRequest(policy_name=name, policy_document=document, description=description)
        self._session.pop("Ram:CreatePolicy", self._client().create_policy_with_options, request)

    def create_policy_version(self, name: str, document: str) -> None:
        from alibabacloud_ram20150501 import models

        request = models.CreatePolicyVersionRequest(
            policy_name=name,
            policy_document=document,
            set_as_default=True,
            rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded",
        )
        self._session.pop("Ram:CreatePolicyVersion", self._client().create_policy_version_with_options, request)

    def attached(self, role: str) -> frozenset[PolicyRef]:
        from alibabacloud_ram20150501 import models

        request = models.ListPoliciesForRoleRequest(role_name=role)
        try:
            body = self._session.pop(
                "Ram:ListPoliciesForRole", self._client().list_policies_for_role_with_options, request
            ).body
        except NotFound:  # the role is gone: nothing is attached to it
            return frozenset()
        policies = body.policies.policy if body.policies and body.policies.policy else []
        return frozenset((p.policy_type, p.policy_name) for p in policies)

    def attach(self, role: str, policy: PolicyRef) -> None:
        from alibabacloud_ram20150501 import models

        request = models.AttachPolicyToRoleRequest(policy_type=policy[0], policy_name=policy[1], role_name=role)
        # A concurrent writer (or an earlier attempt whose answer was lost) got there first: done.
        with contextlib.suppress(AlreadyExists):
            self._session.pop("Ram:AttachPolicyToRole", self._client().attach_policy_to_role_with_options, request)

    def detach(self, role: str, policy: PolicyRef) -> None:
        from alibabacloud_ram20150501 import models

        request = models.DetachPolicyFromRoleRequest(policy_type=policy[0], policy_name=policy[1], role_name=role)
        with contextlib.suppress(NotFound):  # not attached (any more): what detaching wants
            self._session.pop("Ram:DetachPolicyFromRole", self._client().detach_policy_from_role_with_options, request)

    def create_lock(self, name: str, description: str) -> bool:
        """Creates the lock policy; False when it already exists (someone else holds the lock)."""
        from alibabacloud_ram20150501 import models

        request = models.CreatePolicyRequest(policy_name=name, policy_document=LOCK_DOCUMENT, description=description)
        try:
            self._session.pop("Ram:CreatePolicy", self._client().create_policy_with_options, request)
        except AlreadyExists:
            return False
        return True

    def policy_description(self, name: str) -> str | None:
        body = self._custom_policy(name)
        return None if body is None else str(body.policy.description or "")

    def delete_policy(self, name: str) -> None:
        from alibabacloud_ram20150501 import models

        request = models.DeletePolicyRequest(policy_name=name)
        with contextlib.suppress(NotFound):  # deleted already
            self._session.pop("Ram:DeletePolicy", self._client().delete_policy_with_options, request)


# A lock policy is never attached; its one statement denies an action that does not exist.
LOCK_DOCUMENT = '{"Version":"1","Statement":[{"Effect":"Deny","Action":"sharetrust:Lock","Resource":"*"}]}'
