"""What the intake produces: a `ShareSignal` to act on, a `LogRange` to pull, or an `Ignored` reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from sharetrust.events.common import thaw
from sharetrust.model import ResourceKind

Service = Literal["ecs", "resourcesharing"]


@dataclass(frozen=True)
class ResourceRef:
    """An image or snapshot named by the event; its keys and sharees are re-read, never trusted."""

    kind: ResourceKind
    id: str
    region: str

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.region})"


@dataclass(frozen=True)
class Actor:
    """Who made the call (`userIdentity`); fields are None when ActionTrail left them out."""

    type: str | None
    principal_id: str | None
    account_id: str | None
    user_name: str | None = None

    def __str__(self) -> str:
        who = self.user_name or self.principal_id or "?"
        return f"{self.type or 'unknown'} {who}"


@dataclass(frozen=True)
class InvalidTarget:
    """A target the event named that is not an account UID, `rd-`, `fd-` or `r-` id."""

    parameter: str  # where it was, as the wire names it: `AddAccount.2`, `Targets.1`
    value: str  # repr-ish text of what was there
    reason: str

    def __str__(self) -> str:
        return f"{self.parameter}={self.value} ({self.reason})"


@dataclass(frozen=True)
class ShareSignal:
    """A share-related call worth converging the sharer's roles for.

    A hint, not the truth: the engine re-reads the resources and their sharees. `resources` is
    empty when the event names only a share id (Delete, or Associate/Disassociate without
    resources). `added_targets` / `removed_targets` hold valid targets only, in the order given,
    without duplicates; anything else is in `invalid_targets`.
    """

    event_id: str
    event_name: str
    service: Service
    account_uid: str  # the sharer: the account the call was made in
    region: str
    resources: tuple[ResourceRef, ...]
    resource_share_id: str | None
    added_targets: tuple[str, ...]
    removed_targets: tuple[str, ...]
    failed_with: str | None
    actor: Actor
    # Normalised parameters, deep read-only (mapping proxies and tuples); see `parameters_dict`.
    request_parameters: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), hash=False, compare=False
    )
    event_time: str | None = None
    invalid_targets: tuple[InvalidTarget, ...] = ()
    notes: tuple[str, ...] = ()  # things worth logging that did not stop the signal
    delivery_key: str | None = None  # CloudEvent `source/id` when it came through EventBridge

    @property
    def resource_kinds(self) -> frozenset[ResourceKind]:
        return frozenset(r.kind for r in self.resources)

    def parameters_dict(self) -> dict[str, Any]:
        """A mutable deep copy of `request_parameters` (for a retry on the caller's behalf)."""
        copy: dict[str, Any] = thaw(self.request_parameters)
        return copy

    def describe(self) -> str:
        """One line for logs and summaries."""
        parts = [f"{self.event_name} in {self.account_uid}/{self.region}"]
        if self.resources:
            parts.append(", ".join(f"{r.kind} {r.id}" for r in self.resources))
        if self.resource_share_id:
            parts.append(f"share {self.resource_share_id}")
        if not self.resources:
            parts.append("resources unknown from the event")
        if self.added_targets:
            parts.append("+" + ",".join(self.added_targets))
        if self.removed_targets:
            parts.append("-" + ",".join(self.removed_targets))
        if self.invalid_targets:
            parts.append("invalid targets: " + "; ".join(str(t) for t in self.invalid_targets))
        if self.failed_with:
            parts.append(f"failed with {self.failed_with}")
        parts.append(f"by {self.actor}")
        return f"{'; '.join(parts)} (event {self.event_id})"


@dataclass(frozen=True)
class LogRange:
    """An SLS trigger's cursor range `[begin_cursor, end_cursor)` on one shard, for the shell to pull."""

    project: str
    logstore: str
    shard_id: int
    begin_cursor: str
    end_cursor: str
    endpoint: str | None = None
    job_name: str | None = None
    task_id: str | None = None
    cursor_time: int | None = None
    parameter: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False, compare=False)

    @property
    def is_empty(self) -> bool:
        """An equal begin and end cursor: nothing to pull (storage upgrades cause such calls)."""
        return self.begin_cursor == self.end_cursor

    def describe(self) -> str:
        return (
            f"SLS {self.project}/{self.logstore} shard {self.shard_id} "
            f"[{self.begin_cursor}, {self.end_cursor}) task {self.task_id or '?'}"
        )


@dataclass(frozen=True)
class Ignored:
    """An input that leads to no action, with why. `reason` starts with `ignored: `."""

    event_id: str | None
    reason: str

    def describe(self) -> str:
        return self.reason

    @property
    def why(self) -> str:
        """The reason without its `ignored: ` prefix, for places that already say it was ignored."""
        return self.reason.removeprefix("ignored: ")


Intake: TypeAlias = ShareSignal | LogRange | Ignored
