"""What sharetrust tells its operator: one JSON line per decision, one JSON summary per invocation.

Only ids, names, principals and key ARNs are written — never credentials, tokens or request bodies.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

from sharetrust.apply.converge import RoleOutcome
from sharetrust.model import EncryptedResource
from sharetrust.plan.role_plan import RolePlan

DECISION_LIST_MAX = 20  # a decision line names this many event ids / resources, then gives the count


class DecisionLog:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._lock = threading.Lock()
        self.lines: list[dict[str, Any]] = []

    def decide(self, decision: str, **fields: Any) -> None:
        line = {"decision": decision, **{k: v for k, v in fields.items() if v not in (None, (), [], "")}}
        with self._lock:
            self.lines.append(line)
            self._stream.write(json.dumps(line, sort_keys=True, default=str) + "\n")
            self._stream.flush()


@dataclass
class Summary:
    dry_run: bool
    started: float = field(default_factory=time.monotonic)
    events_seen: int = 0
    signals: int = 0
    ignored: list[dict[str, str]] = field(default_factory=list)
    resources_inspected: list[str] = field(default_factory=list)
    principals_added: list[str] = field(default_factory=list)
    principals_removed: list[str] = field(default_factory=list)
    keys_added: list[str] = field(default_factory=list)
    keys_removed: list[str] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    failed_shares: list[dict[str, Any]] = field(default_factory=list)
    # Shares refused for a reason no role fixes, with the remedy: reported, never acted on.
    broken_shares: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    api_calls: Counter[str] = field(default_factory=Counter)
    # A member account's reconcile (its own FC invocation): the member's UID.
    account: str = ""
    # A central timer reconcile's fan-out: {"function", "invoked": [UIDs], "failed": {UID: why}}.
    fan_out: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_role(self, outcome: RoleOutcome) -> None:
        """What converging one role did (or, in a dry run, would do)."""
        plan = outcome.plan
        self.principals_added += plan.added_principals
        self.principals_removed += plan.removed_principals
        self.keys_added += plan.added_keys
        self.keys_removed += plan.removed_keys
        self.warnings += plan.warnings
        if outcome.prune_skipped:
            self.warnings.append(f"{outcome.role_name}: nothing removed: {outcome.prune_skipped}")
        self.roles.append(
            {
                "role": outcome.role_name,
                "kind": outcome.kind,
                "changed": plan.changes,
                "change": change_of(plan),
                "writes": outcome.writes,
                "attempts": outcome.attempts,
                "error": outcome.error,
                "prune_skipped": outcome.prune_skipped,
                "principals_added": list(plan.added_principals),
                "principals_removed": list(plan.removed_principals),
                "keys_added": list(plan.added_keys),
                "keys_removed": list(plan.removed_keys),
            }
        )
        if outcome.error:
            self.errors.append(outcome.error)

    def ignore(self, event_id: str | None, reason: str) -> None:
        self.ignored.append({"event_id": event_id or "", "reason": reason})

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "events_seen": self.events_seen,
            "signals": self.signals,
            "ignored": self.ignored,
            "resources_inspected": sorted(set(self.resources_inspected)),
            "principals_added": sorted(set(self.principals_added)),
            "principals_removed": sorted(set(self.principals_removed)),
            "keys_added": sorted(set(self.keys_added)),
            "keys_removed": sorted(set(self.keys_removed)),
            "roles": self.roles,
            "failed_shares": self.failed_shares,
            "broken_shares": self.broken_shares,
            "warnings": self.warnings,
            "errors": self.errors,
            "api_calls": dict(sorted(self.api_calls.items())),
            "api_calls_total": sum(self.api_calls.values()),
            "duration_ms": round((time.monotonic() - self.started) * 1000),
            **({"account": self.account} if self.account else {}),
            **({"fan_out": self.fan_out} if self.fan_out is not None else {}),
        }


def change_of(plan: RolePlan) -> dict[str, Any]:
    return {
        "create_role": plan.create_role_with is not None,
        "update_trust": plan.new_trust is not None,
        "create_policy": plan.create_policy_with is not None,
        "new_policy_version": plan.new_policy_version is not None,
        "attach": [p[1] for p in plan.attach],
        "detach": [p[1] for p in plan.detach],
    }


def role_decision(
    outcome: RoleOutcome, event_ids: list[str], resources: list[EncryptedResource], *, dry_run: bool
) -> dict[str, Any]:
    """The decision line for one role; its id and resource lists are capped, with their counts."""
    plan = outcome.plan
    return {
        "decision": "role" if not outcome.error else "role-failed",
        "role": outcome.role_name,
        "event_ids": event_ids[:DECISION_LIST_MAX],
        "event_count": len(event_ids),
        "resources": {r.id: [str(t) for t in r.sharees] for r in resources[:DECISION_LIST_MAX]},
        "resource_count": len(resources),
        "sharees_added": list(plan.added_principals),
        "sharees_removed": list(plan.removed_principals),
        "keys_added": list(plan.added_keys),
        "keys_removed": list(plan.removed_keys),
        "change": change_of(plan) if plan.changes else "none",
        "writes": outcome.writes,
        "prune_skipped": outcome.prune_skipped,
        "dry_run": dry_run,
        "error": outcome.error,
    }


def change_records(outcome: RoleOutcome, cause: str, *, dry_run: bool) -> list[dict[str, str]]:
    """One audit record per change to a role (a principal, a key grant, an attachment), with its cause."""
    plan = outcome.plan
    status = "planned" if dry_run else "failed" if outcome.error and not outcome.writes else "applied"
    changes = (
        [("trust-added", p) for p in plan.added_principals]
        + [("trust-removed", p) for p in plan.removed_principals]
        + [("key-granted", k) for k in plan.added_keys]
        + [("key-revoked", k) for k in plan.removed_keys]
        + [("policy-attached", p[1]) for p in plan.attach]
        + [("policy-detached", p[1]) for p in plan.detach]
    )
    return [
        {"role": outcome.role_name, "change": change, "subject": subject, "status": status, "cause": cause}
        for change, subject in changes
    ]
