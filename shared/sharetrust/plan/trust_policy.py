"""The share role's trust policy as a value: which statements sharetrust manages, and how to render them.

Recognised by shape (architecture.md): an Allow `sts:AssumeRole` statement whose only principals
are `<uid>@ecs.aliyuncs.com` services and that has no condition is the account statement; an
Allow for `*@ecs.aliyuncs.com` conditioned only on `sts:ServiceOwnerRDId` (StringEquals) or
`sts:ServiceOwnerRDPath` (StringLike) is a directory or folder statement — the three scenarios
of Alibaba's page (encryption-related-permissions.ja.txt). Every other statement belongs to
someone else and is kept exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sharetrust.model import is_account_uid

ECS_SERVICE = "ecs.aliyuncs.com"
ANY_ECS = f"*@{ECS_SERVICE}"
RD_ID_KEY = "sts:ServiceOwnerRDId"
RD_PATH_KEY = "sts:ServiceOwnerRDPath"
_ACCOUNT_PRINCIPAL_SUFFIX = f"@{ECS_SERVICE}"

# A trust document may not be empty; with no sharees and nothing else in it, the role trusts nobody.
NOBODY = {"Action": "sts:AssumeRole", "Effect": "Deny", "Principal": {"Service": [ANY_ECS]}}


class TrustPolicyError(ValueError):
    """The current trust document cannot be understood, so it must not be rewritten."""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_assume_allow(statement: dict[str, Any]) -> bool:
    actions = _as_list(statement.get("Action"))
    return statement.get("Effect") == "Allow" and [str(a).lower() for a in actions] == ["sts:assumerole"]


def account_principals(statement: dict[str, Any]) -> list[str] | None:
    """The sharee UIDs of a managed account statement, or None if the statement is not one."""
    if set(statement) - {"Action", "Effect", "Principal"} or not _is_assume_allow(statement):
        return None
    principal = statement.get("Principal")
    if not isinstance(principal, dict) or set(principal) != {"Service"}:
        return None
    uids = []
    for service in _as_list(principal["Service"]):
        uid = account_of_principal(service)
        if uid is None:
            return None
        uids.append(uid)
    return uids or None


def account_of_principal(service: object) -> str | None:
    """The UID of a `<uid>@ecs.aliyuncs.com` service principal (the one UID rule), else None."""
    if not isinstance(service, str) or not service.endswith(_ACCOUNT_PRINCIPAL_SUFFIX):
        return None
    uid = service[: -len(_ACCOUNT_PRINCIPAL_SUFFIX)]
    return uid if is_account_uid(uid) else None


def directory_condition(statement: dict[str, Any]) -> tuple[str, str] | None:
    """("directory", rd-id) or ("folder", rd-path pattern) for a managed RD statement, else None."""
    if set(statement) - {"Action", "Effect", "Principal", "Condition"} or not _is_assume_allow(statement):
        return None
    principal = statement.get("Principal")
    if not isinstance(principal, dict) or set(principal) != {"Service"}:
        return None
    if _as_list(principal["Service"]) != [ANY_ECS]:
        return None
    condition = statement.get("Condition")
    if not (isinstance(condition, dict) and len(condition) == 1):
        return None
    ((operator, clauses),) = condition.items()
    if not (isinstance(clauses, dict) and len(clauses) == 1):
        return None
    ((key, value),) = clauses.items()
    if isinstance(value, str) and operator == "StringEquals" and key == RD_ID_KEY:
        return ("directory", value)
    if isinstance(value, str) and operator == "StringLike" and key == RD_PATH_KEY:
        return ("folder", value)
    return None


def folder_pattern(rd_path: str) -> str:
    """The StringLike pattern for a folder target: the folder and everything below it."""
    return rd_path.rstrip("/*") + "*"


@dataclass(frozen=True)
class TrustPolicy:
    """A parsed trust document split into what sharetrust manages and what it keeps verbatim."""

    foreign: tuple[dict[str, Any], ...]
    accounts: frozenset[str]
    directories: frozenset[str]
    folder_patterns: frozenset[str]

    @staticmethod
    def parse(text: str) -> TrustPolicy:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as bad:
            raise TrustPolicyError(f"the trust policy is not JSON: {bad}") from None
        except (ValueError, RecursionError) as bad:  # e.g. nested past the recursion limit, a 5000-digit number
            raise TrustPolicyError(f"the trust policy cannot be read ({type(bad).__name__})") from None
        statements = document.get("Statement") if isinstance(document, dict) else None
        if not isinstance(statements, list):
            raise TrustPolicyError("the trust policy has no Statement list")
        foreign: list[dict[str, Any]] = []
        accounts: set[str] = set()
        directories: set[str] = set()
        folders: set[str] = set()
        for statement in statements:
            if not isinstance(statement, dict):
                raise TrustPolicyError(f"a trust statement is not an object: {statement!r}")
            if statement == NOBODY:
                continue
            uids = account_principals(statement)
            if uids is not None:
                accounts.update(uids)
                continue
            rd = directory_condition(statement)
            if rd is None:
                foreign.append(statement)
            elif rd[0] == "directory":
                directories.add(rd[1])
            else:
                folders.add(rd[1])
        return TrustPolicy(tuple(foreign), frozenset(accounts), frozenset(directories), frozenset(folders))

    @staticmethod
    def empty() -> TrustPolicy:
        return TrustPolicy((), frozenset(), frozenset(), frozenset())

    def with_managed(
        self, accounts: Iterable[str], directories: Iterable[str], folder_patterns: Iterable[str]
    ) -> TrustPolicy:
        accounts = frozenset(accounts)
        invalid = sorted(a for a in accounts if not is_account_uid(a))
        if invalid:  # callers build accounts from ShareTargets; this guards the one document that matters
            raise ValueError(f"not account UIDs: {', '.join(map(repr, invalid[:5]))}")
        return TrustPolicy(self.foreign, frozenset(accounts), frozenset(directories), frozenset(folder_patterns))

    def managed_statements(self) -> list[dict[str, Any]]:
        statements: list[dict[str, Any]] = []
        if self.accounts:
            services = [f"{uid}@{ECS_SERVICE}" for uid in sorted(self.accounts)]
            statements.append({"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": services}})
        for rd_id in sorted(self.directories):
            statements.append(
                {
                    "Action": "sts:AssumeRole",
                    "Effect": "Allow",
                    "Principal": {"Service": ANY_ECS},
                    "Condition": {"StringEquals": {RD_ID_KEY: rd_id}},
                }
            )
        for pattern in sorted(self.folder_patterns):
            statements.append(
                {
                    "Action": "sts:AssumeRole",
                    "Effect": "Allow",
                    "Principal": {"Service": ANY_ECS},
                    "Condition": {"StringLike": {RD_PATH_KEY: pattern}},
                }
            )
        return statements

    def render(self) -> str:
        statements = [*self.foreign, *self.managed_statements()]
        return json.dumps({"Statement": statements or [NOBODY], "Version": "1"}, separators=(",", ":"))

    def same_meaning(self, other: TrustPolicy) -> bool:
        """Equal up to statement order and principal order, which RAM does not care about."""
        return (
            self.accounts == other.accounts
            and self.directories == other.directories
            and self.folder_patterns == other.folder_patterns
            and sorted(map(_canonical, self.foreign)) == sorted(map(_canonical, other.foreign))
        )


def _canonical(statement: dict[str, Any]) -> str:
    return json.dumps(statement, sort_keys=True)
