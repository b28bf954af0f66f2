"""Converge one share role: plan from a fresh read, write only the difference, re-read and verify.

When the verification read shows another writer overwrote the change (a lost update), the plan
is made again from what is there now — keeping that writer's statements — and written again,
a bounded number of times with jitter.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sharetrust.apply.role_lock import LockTimeout, RoleLock
from sharetrust.cloud.errors import AlreadyExists, CloudError
from sharetrust.cloud.ram import RamGateway
from sharetrust.model import POLICY_FOR_KIND, ROLE_FOR_KIND, ResourceKind
from sharetrust.parallel import both
from sharetrust.plan.capacity import DirectoryCover
from sharetrust.plan.desired import DesiredRole
from sharetrust.plan.role_plan import PlanSettings, RolePlan, RoleSnapshot, plan_role_changes

SHRINK = 0.8  # after RAM refuses a trust document's length, plan for 80 % of what it refused
MIN_TRUST_CHARS = 512

ROLE_DESCRIPTION = "ECS uses this role to let sharees use encrypted shared resources. Managed by sharetrust."
POLICY_DESCRIPTION = "KMS keys of encrypted images/snapshots shared by this account. Managed by sharetrust."


@dataclass(frozen=True)
class Target:
    """What a role must become, and whether this invocation may remove anything to get there."""

    desired: DesiredRole
    prune: bool  # an event asked for removal and every place that could still need access was read
    prune_skipped: str | None = None  # why removal was asked for but not planned


@dataclass
class RoleOutcome:
    kind: ResourceKind
    role_name: str
    plan: RolePlan
    attempts: int = 0
    writes: list[str] = field(default_factory=list)  # every write that succeeded, even if a later one failed
    error: str | None = None
    prune_skipped: str | None = None


def read_role(ram: RamGateway, kind: ResourceKind) -> RoleSnapshot:
    role_name, policy_name = ROLE_FOR_KIND[kind], POLICY_FOR_KIND[kind]
    role, policy = both(lambda: ram.get_role(role_name), lambda: ram.policy_document(policy_name))
    return RoleSnapshot(
        role_name,
        exists=role is not None,
        trust_document=role.trust_document if role else None,
        attached=ram.attached(role_name) if role else frozenset(),
        policy_exists=policy is not None,
        policy_document=policy,
    )


def write_plan(ram: RamGateway, plan: RolePlan, writes: list[str]) -> None:
    """Applies a plan in an order that never leaves the role trusting more than its policy allows.

    Each write is appended to `writes` as soon as it succeeds, so a later failure still reports it.
    """
    if plan.create_policy_with:
        ram.create_policy(plan.policy_name, plan.create_policy_with, POLICY_DESCRIPTION)
        writes.append(f"CreatePolicy {plan.policy_name}")
    if plan.new_policy_version:
        ram.create_policy_version(plan.policy_name, plan.new_policy_version)
        writes.append(f"CreatePolicyVersion {plan.policy_name}")
    if plan.create_role_with:
        ram.create_role(plan.role_name, plan.create_role_with, ROLE_DESCRIPTION)
        writes.append(f"CreateRole {plan.role_name}")
    for policy in plan.attach:
        ram.attach(plan.role_name, policy)
        writes.append(f"AttachPolicyToRole {policy[1]}")
    if plan.new_trust:
        ram.update_trust(plan.role_name, plan.new_trust)
        writes.append(f"UpdateRole {plan.role_name}")
    for policy in plan.detach:
        ram.detach(plan.role_name, policy)
        writes.append(f"DetachPolicyFromRole {policy[1]}")


class RoleConverger:
    def __init__(
        self,
        ram: RamGateway,
        settings: PlanSettings,
        lock: RoleLock | None,
        *,
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        cover: Callable[[], DirectoryCover | None] | None = None,
    ) -> None:
        self._ram = ram
        # SHARETRUST_COVER_WITH_DIRECTORY: the sharer's directory, read only when sharees are left out.
        self._cover = cover
        self._settings = settings
        self._lock = lock
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._random = random.Random()

    def plan(self, kind: ResourceKind, target: Target) -> RolePlan:
        current = read_role(self._ram, kind)
        plan = plan_role_changes(current, target.desired, self._settings, prune=target.prune)
        if self._cover is not None and any(p.startswith("account:") for p in plan.left_out):
            cover = self._cover()
            if cover is not None:
                desired = replace(target.desired, cover=cover)
                plan = plan_role_changes(current, desired, self._settings, prune=target.prune)
        return plan

    def converge(self, kind: ResourceKind, target_of: Callable[[bool], Target]) -> RoleOutcome:
        """`target_of(fresh)` gives the target; `fresh=True` asks for facts re-read under the lock."""
        target = target_of(False)
        first = self.plan(kind, target)
        outcome = RoleOutcome(kind, ROLE_FOR_KIND[kind], first, prune_skipped=target.prune_skipped)
        if first.errors or not first.changes:
            outcome.error = "; ".join(first.errors) or None
            return outcome
        try:
            if self._lock is None:
                self._converge_locked(kind, target_of, target.prune, outcome)
            else:
                with self._lock.hold(outcome.role_name):
                    self._converge_locked(kind, target_of, target.prune, outcome)
        except CloudError as failed:
            outcome.error = failed.one_line()
        except LockTimeout as failed:
            outcome.error = str(failed)
        return outcome

    def _shrink_for(self, refused: CloudError, plan: RolePlan, shrinks: int) -> bool:
        """RAM refused the trust document's length: its (undocumented) limit is below ours. Plan to fit
        well under what it refused, a bounded number of times; False when that is not the refusal."""
        if "AssumeRolePolicyDocument.Length" not in refused.code or not plan.trust_document or shrinks >= 8:
            return False
        limit = int(len(plan.trust_document) * SHRINK)
        if limit < MIN_TRUST_CHARS:
            return False
        self._settings = replace(self._settings, trust_max_chars=min(limit, self._settings.trust_max_chars))
        return True

    def _converge_locked(
        self, kind: ResourceKind, target_of: Callable[[bool], Target], prune: bool, outcome: RoleOutcome
    ) -> None:
        # Pruning decides on absence, so it needs facts read after every earlier writer finished;
        # if that read is partial, the fresh target says so and plans no removal.
        target = target_of(True) if prune else target_of(False)
        outcome.prune_skipped = target.prune_skipped
        attempt, shrinks = 0, 0
        while attempt < self._max_attempts:
            attempt += 1
            outcome.attempts = attempt
            plan = self.plan(kind, target)
            if plan.errors:
                outcome.plan, outcome.error = plan, "; ".join(plan.errors)
                return
            if not plan.changes:
                return
            if attempt == 1 or shrinks:
                outcome.plan = plan  # what is reported: the plan made under the lock (and fitted to RAM)
            try:
                # Created concurrently (or by an earlier attempt whose answer was lost): re-read, plan again.
                with contextlib.suppress(AlreadyExists):
                    write_plan(self._ram, plan, outcome.writes)
            except CloudError as refused:
                if not self._shrink_for(refused, plan, shrinks):
                    raise
                shrinks, attempt = shrinks + 1, attempt - 1  # not a lost update: plan again at once
                continue
            if not self.plan(kind, target).changes:
                return
            self._sleep(self._random.uniform(0.05, 0.2 * attempt))  # lost update: back off, merge, retry
        outcome.error = f"{outcome.role_name} still differs after {self._max_attempts} attempts (concurrent writers?)"
