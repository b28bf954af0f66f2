"""plan_role_changes: the smallest set of writes that takes a share role from what it is to what it must be."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from sharetrust.model import POLICY_FOR_KIND, ROLE_FOR_KIND, SERVICE_KEY_POLICY, KeyRef
from sharetrust.plan.capacity import DirectoryCover, Fitted, covering, fit_trust
from sharetrust.plan.desired import DesiredRole
from sharetrust.plan.permission_policy import (
    POLICY_DOCUMENT_MAX_BYTES,
    UnreadablePolicy,
    byte_size,
    key_arns_in,
    render_key_policy,
)
from sharetrust.plan.trust_policy import TrustPolicy, TrustPolicyError

PolicyRef = tuple[Literal["Custom", "System"], str]

# RAM's trust-policy length limit is not documented (alibaba-apis.md §10.5); the local cloud
# enforces the same value, so a plan that fits here fits there. Counted in characters.
TRUST_POLICY_MAX_CHARS = 4096


@dataclass(frozen=True)
class RoleSnapshot:
    """A share role as it is now. `policy_document` is the default version of sharetrust's policy."""

    name: str
    exists: bool
    trust_document: str | None = None
    attached: frozenset[PolicyRef] = frozenset()
    policy_exists: bool = False
    policy_document: str | None = None


@dataclass(frozen=True)
class PlanSettings:
    # The page prescribes AliyunKMSFullAccess for service-key resources; "warn" only reports it.
    service_key_policy: Literal["attach", "warn"] = "attach"
    trust_max_chars: int = TRUST_POLICY_MAX_CHARS
    policy_max_bytes: int = POLICY_DOCUMENT_MAX_BYTES


@dataclass(frozen=True)
class RolePlan:
    role_name: str
    policy_name: str
    create_role_with: str | None = None  # trust document for CreateRole
    new_trust: str | None = None  # trust document for UpdateRole
    create_policy_with: str | None = None
    new_policy_version: str | None = None
    attach: tuple[PolicyRef, ...] = ()
    detach: tuple[PolicyRef, ...] = ()
    added_principals: tuple[str, ...] = ()
    removed_principals: tuple[str, ...] = ()
    added_keys: tuple[str, ...] = ()
    removed_keys: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = field(default=())
    left_out: tuple[str, ...] = ()  # principals a share needs that did not fit the trust-policy limit

    @property
    def changes(self) -> bool:
        return any(
            (
                self.create_role_with,
                self.new_trust,
                self.create_policy_with,
                self.new_policy_version,
                self.attach,
                self.detach,
            )
        )

    @property
    def trust_document(self) -> str | None:
        """The trust document this plan writes, if any."""
        return self.create_role_with or self.new_trust

    @property
    def policy_document(self) -> str | None:
        return self.create_policy_with or self.new_policy_version


def _principals(trust: TrustPolicy) -> set[str]:
    return (
        {f"account:{a}" for a in trust.accounts}
        | {f"directory:{d}" for d in trust.directories}
        | {f"folder:{f}" for f in trust.folder_patterns}
    )


def plan_role_changes(
    current: RoleSnapshot, desired: DesiredRole, settings: PlanSettings, *, prune: bool = True
) -> RolePlan:
    """Plans one role. With any error the plan writes nothing for the role (no half-applied role).

    `prune=False` only adds: principals and keys already managed stay even when the facts no longer
    name them (an event path that read the facts before a concurrent share must not revoke it).
    """
    role_name, policy_name = ROLE_FOR_KIND[desired.kind], POLICY_FOR_KIND[desired.kind]
    warnings: list[str] = [
        f"{rid} is encrypted with a key of another account; only that account can grant its use"
        for rid in desired.foreign_key_resources
    ]
    if desired.excluded:
        warnings.append(f"not trusted, by the allow/deny settings: {', '.join(desired.excluded)}")
    if not current.exists and not desired.needed:
        return RolePlan(role_name, policy_name, warnings=tuple(warnings))
    ours: PolicyRef = ("Custom", policy_name)
    try:
        if current.exists and not current.trust_document:
            # RAM always holds one; an empty read must not be taken for an empty role and overwritten.
            raise TrustPolicyError("its trust policy was not read")
        before = TrustPolicy.parse(current.trust_document) if current.exists and current.trust_document else None
        # What the role grants now: the policy's keys count only while it is attached (a detached
        # policy keeps its last document, which grants nothing and must not be re-granted).
        attached = ours in current.attached and current.policy_document is not None
        granted = key_arns_in(current.policy_document or "") if attached else frozenset()
    except (TrustPolicyError, UnreadablePolicy) as unreadable:
        return RolePlan(role_name, policy_name, errors=(f"{role_name}: {unreadable}; not rewriting it",))
    base = before or TrustPolicy.empty()
    if not prune:
        desired = _keep_existing(desired, base, granted)
    after = base.with_managed(desired.accounts, desired.directories, desired.folder_patterns)
    errors: list[str] = []
    left_out: tuple[str, ...] = ()
    if len(after.render()) > settings.trust_max_chars:
        fitted = fit_trust(
            base,
            desired.accounts,
            desired.directories,
            desired.folder_patterns,
            trusted=(before.accounts if before else frozenset()) & desired.accounts,
            urgent=desired.urgent,
            limit=settings.trust_max_chars,
            recency=desired.recency,
        )
        if fitted is None:
            return RolePlan(
                role_name,
                policy_name,
                warnings=tuple(warnings),
                errors=(
                    f"{role_name}: the statements sharetrust does not manage alone exceed RAM's trust-policy "
                    f"limit of {settings.trust_max_chars} characters; not rewriting it",
                ),
            )
        if desired.cover is not None:
            fitted = _covered(fitted, base, desired, desired.cover, before, settings, warnings)
        after, left_out = fitted.trust, fitted.left_out
        shown = ", ".join(left_out[:10]) + (f" and {len(left_out) - 10} more" if len(left_out) > 10 else "")
        # Retrying cannot help, so this is a warning, not a failed invocation.
        if left_out:
            warnings.append(
                f"{role_name}: {len(left_out)} sharee(s) left out, over RAM's trust-policy limit of "
                f"{settings.trust_max_chars} characters: {shown}. Share with a resource directory or folder "
                "instead: one statement covers all its members."
            )
    trust_text = after.render()
    trust_changes = before is None or not before.same_meaning(after)
    policy_text = render_key_policy(desired.keys)
    if policy_text is not None and byte_size(policy_text) > settings.policy_max_bytes:
        errors.append(
            f"{policy_name}: the key policy would be {byte_size(policy_text)} bytes, over RAM's limit of "
            f"{settings.policy_max_bytes} for a custom policy; it would name {len(desired.cmks)} keys. "
            "Use fewer distinct keys for shared resources."
        )
    if errors:
        return RolePlan(role_name, policy_name, warnings=tuple(warnings), errors=tuple(errors))

    attach: list[PolicyRef] = []
    detach: list[PolicyRef] = []
    create_policy = new_version = None
    if policy_text is not None:
        if not current.policy_exists:
            create_policy = policy_text
        elif current.policy_document != policy_text:
            new_version = policy_text
        if ours not in current.attached:
            attach.append(ours)
    elif ours in current.attached:
        detach.append(ours)
    if desired.service_key_resources:
        names = ", ".join(desired.service_key_resources)
        if settings.service_key_policy == "warn":
            warnings.append(f"{names} use the ECS service key; {SERVICE_KEY_POLICY} would be needed on {role_name}")
        elif ("System", SERVICE_KEY_POLICY) not in current.attached:
            attach.append(("System", SERVICE_KEY_POLICY))
            warnings.append(f"{names} use the ECS service key: attaching {SERVICE_KEY_POLICY} as Alibaba prescribes")

    before_principals = _principals(before) if before else set()
    after_principals = _principals(after)
    old_keys = set(granted)
    new_keys = {k.arn for k in desired.cmks} if policy_text is not None else set()
    return RolePlan(
        role_name,
        policy_name,
        create_role_with=trust_text if not current.exists else None,
        new_trust=trust_text if current.exists and trust_changes else None,
        create_policy_with=create_policy,
        new_policy_version=new_version,
        attach=tuple(attach),
        detach=tuple(detach),
        added_principals=tuple(sorted(after_principals - before_principals)),
        removed_principals=tuple(sorted(before_principals - after_principals)),
        added_keys=tuple(sorted(new_keys - old_keys)),
        removed_keys=tuple(sorted(old_keys - new_keys)),
        warnings=tuple(warnings),
        left_out=left_out,
    )


def _covered(
    fitted: Fitted,
    base: TrustPolicy,
    desired: DesiredRole,
    cover: DirectoryCover,
    before: TrustPolicy | None,
    settings: PlanSettings,
    warnings: list[str],
) -> Fitted:
    """Fit again with the left-out member sharees covered by directory or folder statements, their own
    principals dropped; kept only when every covering statement fits (else the members would lose access)."""
    stranded = [p.removeprefix("account:") for p in fitted.left_out if p.startswith("account:")]
    extra = covering(stranded, cover)
    if not extra.covered:
        return fitted
    again = fit_trust(
        base,
        desired.accounts - extra.covered,
        desired.directories | extra.directories,
        desired.folder_patterns | extra.folder_patterns,
        trusted=(before.accounts if before else frozenset()) & desired.accounts,
        urgent=desired.urgent,
        limit=settings.trust_max_chars,
        recency=desired.recency,
    )
    statements = {f"directory:{d}" for d in extra.directories} | {f"folder:{f}" for f in extra.folder_patterns}
    if again is None or statements & set(again.left_out):
        return fitted
    what = ", ".join(sorted(statements))
    warnings.append(
        f"{ROLE_FOR_KIND[desired.kind]}: {len(stranded)} member sharee(s) over the trust-policy limit covered by "
        f"{what} (SHARETRUST_COVER_WITH_DIRECTORY={cover.mode}): it trusts every account in it, shared with or not"
    )
    return again


def _keep_existing(desired: DesiredRole, trust: TrustPolicy, granted: frozenset[str]) -> DesiredRole:
    kept_keys = {key_ref_of(arn) for arn in granted}
    return replace(
        desired,
        accounts=desired.accounts | trust.accounts,
        directories=desired.directories | trust.directories,
        folder_patterns=desired.folder_patterns | trust.folder_patterns,
        keys=desired.keys | frozenset(k for k in kept_keys if k is not None),
    )


def key_ref_of(arn: str) -> KeyRef | None:
    """`acs:kms:<region>:<uid>:key/<id>` back to a KeyRef (only CMKs are ever in our policy)."""
    parts = arn.split(":")
    if len(parts) != 5 or parts[:2] != ["acs", "kms"] or not parts[4].startswith("key/"):
        return None
    return KeyRef(parts[4][len("key/") :], parts[2], parts[3], False)
