"""From one ActionTrail event to a `ShareSignal`, or an `Ignored` saying why not. Pure.

What each share event means is one row of `EVENT_KINDS` (events.md §1.1; production-facts.md): its
service, its reader, whether it adds targets (so that a refusal of it is worth reading), when it says
something was unshared (the only events that prune), and how to recognise its parameters. Adding an
event is one row and, if no reader fits, one reader.

| eventName | service | resources | targets added / removed |
|---|---|---|---|
| `ModifyImageSharePermission` | ecs | `ImageId` | `AddAccount.N` / `RemoveAccount.N` |
| `CreateResourceShare` | resourcesharing | `Resources.N.*`, `ResourceArns.N` | `Targets.N` / — |
| `AssociateResourceShare` | resourcesharing | same, or none (share id only) | `Targets.N` / — |
| `DisassociateResourceShare` | resourcesharing | same, or none (share id only) | — / `Targets.N` |
| `DeleteResourceShare` | resourcesharing | none (share id only) | — / — |
| `AssociationStatusChange` (EventBridge) | resourcesharing | `resourceType`, `resourceId` | `targetAccountId` / — |

Resource Sharing's ActionTrail events are named `ResourceSharing` or `ResourceManager` (production-facts.md);
both are accepted. `AssociationStatusChange` is not an ActionTrail event but EventBridge's notice that an
association settled (`classify_association`); only `Associated` and `Failed` ones are read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sharetrust.events.actiontrail import ActionTrailEvent
from sharetrust.events.cloudevent import AssociationStatusChange
from sharetrust.events.common import MAX_INT_BITS, freeze, show, text, type_name
from sharetrust.events.params import list_param
from sharetrust.events.signals import (
    Actor,
    Ignored,
    InvalidTarget,
    ResourceRef,
    Service,
    ShareSignal,
)
from sharetrust.model import INVALID_TARGET_REASON, ResourceKind, target_kind
from sharetrust.refusals import unfixable

MODIFY_IMAGE = "ModifyImageSharePermission"
CREATE_SHARE = "CreateResourceShare"
ASSOCIATE_SHARE = "AssociateResourceShare"
DISASSOCIATE_SHARE = "DisassociateResourceShare"
DELETE_SHARE = "DeleteResourceShare"
ASSOCIATION_STATUS_CHANGE = "AssociationStatusChange"
# Settled statuses worth converging for: `Associated` (shared) and `Failed` (perhaps refused until the
# role is ready; the truth reader tells). Associating is not settled; a Disassociated association
# removes nothing here: removal rests on facts read (the DisassociateResourceShare event, the reconcile).
ACTED_ON_STATUSES = frozenset({"Associated", "Failed"})

# `serviceName` values, compared lowercased. `Ecs` is documented; the Resource Sharing value is
# unconfirmed (events.md §1.1), so `ResourceSharing` is a guess, and `ResourceManager` (the product
# Resource Sharing belongs to) is accepted too. An unknown serviceName still passes when the
# parameters fit the event name (`_parameters_fit`).
SERVICE_NAMES: Mapping[Service, frozenset[str]] = {
    "ecs": frozenset({"ecs"}),
    "resourcesharing": frozenset({"resourcesharing", "resourcemanager"}),
}
WRITE_EVENT_TYPES = frozenset({"ApiCall", "ConsoleOperation"})
# A failed call changed nothing, except that ECS refuses an encrypted-image share with
# AssumeRoleError until the share role trusts the sharee (alibaba-apis.md §6): that failure is the
# very thing to fix. Resource Sharing may do the same [UNCONFIRMED], so it counts there too.
ACTIONABLE_ERRORS = frozenset({"AssumeRoleError"})

_RESOURCE_TYPES: Mapping[str, ResourceKind] = {"image": "image", "snapshot": "snapshot"}
# `acs:ecs:<region>:<uid>:image/<id>` or `…:snapshot/<id>`, as `ResourceArns.N` may name them.
_ECS_ARN = re.compile(r"^acs:ecs:([a-z0-9-]*):([0-9]*):(image|snapshot)/(\S+)$", re.IGNORECASE)
# When `ResourceType` is missing, the id prefix tells the kind (images `m-`, snapshots `s-`).
_ID_PREFIX: Mapping[str, ResourceKind] = {"m-": "image", "s-": "snapshot"}


@dataclass(frozen=True)
class Envelope:
    """What a carrier (EventBridge, SLS) adds that the event itself may lack."""

    account_id: str | None = None
    region: str | None = None
    event_id: str | None = None
    delivery_key: str | None = None


def classify(event: ActionTrailEvent, envelope: Envelope | None = None) -> ShareSignal | Ignored:
    """A `ShareSignal` for a share event that matters; otherwise `Ignored` with the reason."""
    env = envelope or Envelope()
    # eventId is the idempotency key; requestId (or a caller-given id) only stands in for it.
    event_id = event.event_id or event.request_id or env.event_id
    label = f"event {event_id}" if event_id else "event without eventId"
    name = event.event_name
    if name is None:
        return Ignored(event_id, f"ignored: {label} has no eventName")
    kind = EVENT_KINDS.get(name)
    if kind is None:
        return Ignored(event_id, f"ignored: {label} is {name}, not a share event")
    if kind.carrier != "actiontrail":
        return Ignored(event_id, f"ignored: {label} is named {name}, which only EventBridge publishes")
    service = kind.service
    if event_id is None:
        return Ignored(None, f"ignored: {name} event has neither eventId nor requestId")
    label = f"{label} ({name})"
    # A missing eventType is tolerated: the name already says it is an API action.
    if event.event_type is not None and event.event_type not in WRITE_EVENT_TYPES:
        return Ignored(event_id, f"ignored: {label} has eventType {event.event_type}, not ApiCall")
    if event.event_rw is not None and event.event_rw.lower() == "read":
        return Ignored(event_id, f"ignored: {label} is a Read event")
    params = event.request_parameters
    # A missing serviceName is no evidence against the name; the builder then says what is missing.
    service_name = event.service_name
    foreign = service_name is not None and not _service_matches(service_name, service)
    if foreign and not kind.fits(params):
        return Ignored(
            event_id,
            f"ignored: {label} comes from service {service_name} and its parameters do not fit {name}",
        )
    failure = event.error_code
    # A refusal no role can fix still makes a signal, so the engine reports the share as broken.
    worth_reading = _actionable(failure) or unfixable(failure) is not None if failure is not None else True
    if not worth_reading or (failure is not None and not kind.adds):
        return Ignored(event_id, f"ignored: {label} failed with {failure}; nothing to do")
    account = event.account_id or env.account_id
    if account is None:
        return Ignored(event_id, f"ignored: {label} names no account (userIdentity.accountId)")
    if target_kind(account) != "account":  # e.g. a doc sample's masked `154735325685****`
        return Ignored(event_id, f"ignored: {label} names account {account}, not an account UID")
    region = event.region or text(params.get("RegionId")) or env.region
    if region is None:
        return Ignored(event_id, f"ignored: {label} names no region (acsRegion)")
    outcome = kind.read(_Builder(event_id, label, name, kind, account, region, params))
    if isinstance(outcome, Ignored):
        return outcome
    identity = event.user_identity
    return ShareSignal(
        event_id=event_id,
        event_name=name,
        service=service,
        account_uid=account,
        region=region,
        resources=outcome.resources,
        resource_share_id=outcome.resource_share_id,
        added_targets=outcome.added,
        removed_targets=outcome.removed,
        failed_with=failure,
        actor=Actor(identity.type, identity.principal_id, identity.account_id, identity.user_name),
        request_parameters=params,
        event_time=event.event_time,
        invalid_targets=outcome.invalid,
        notes=outcome.notes,
        delivery_key=env.delivery_key,
    )


def _service_matches(service_name: str, service: Service) -> bool:
    return service_name.lower() in SERVICE_NAMES[service]


def _actionable(code: str) -> bool:
    # Tolerate a sub-code suffix (`AssumeRoleError.Foo`) should one ever appear.
    return code in ACTIONABLE_ERRORS or code.split(".", 1)[0] in ACTIONABLE_ERRORS


@dataclass(frozen=True)
class _Parts:
    resources: tuple[ResourceRef, ...]
    resource_share_id: str | None
    added: tuple[str, ...]
    removed: tuple[str, ...]
    invalid: tuple[InvalidTarget, ...]
    notes: tuple[str, ...]


class _Builder:
    """Reads one event's parameters into signal parts; collects invalid targets and notes."""

    def __init__(
        self,
        event_id: str,
        label: str,
        name: str,
        kind: EventKind,
        account: str,
        region: str,
        params: Mapping[str, Any],
    ) -> None:
        self.event_id = event_id
        self.label = label
        self.name = name
        self.kind = kind
        self.account = account
        self.region = region
        self.params = params
        self.invalid: list[InvalidTarget] = []
        self.notes: list[str] = []

    def _parts(
        self,
        resources: Sequence[ResourceRef],
        share_id: str | None,
        added: Sequence[str] = (),
        removed: Sequence[str] = (),
    ) -> _Parts:
        return _Parts(tuple(resources), share_id, tuple(added), tuple(removed), tuple(self.invalid), tuple(self.notes))

    def image_share(self) -> _Parts | Ignored:
        """ModifyImageSharePermission: one image, accounts added and removed."""
        image = text(self.params.get("ImageId"))
        if image is None:
            return Ignored(self.event_id, f"ignored: {self.label} has no ImageId")
        given = [p for p in ("AddAccount", "RemoveAccount") if list_param(self.params, p)]
        if not given:
            return Ignored(self.event_id, f"ignored: {self.label} adds or removes no account")
        # ECS shares images with accounts only; RD and folder shares go through Resource Sharing.
        added = self._targets("AddAccount", accounts_only=True)
        removed = self._targets("RemoveAccount", accounts_only=True)
        image_region = text(self.params.get("RegionId")) or self.region
        return self._parts([ResourceRef("image", image, image_region)], None, added, removed)

    def settled_association(self) -> _Parts | Ignored:
        """AssociationStatusChange: one resource and one target account whose association settled."""
        status = text(self.params.get("associationStatus"))
        if status not in ACTED_ON_STATUSES:
            return Ignored(
                self.event_id,
                f"ignored: {self.label} reports status {status or 'none'}; only "
                f"{' and '.join(sorted(ACTED_ON_STATUSES))} associations are acted on",
            )
        associate_type = text(self.params.get("associateType"))
        if associate_type not in (None, "Associate"):
            return Ignored(self.event_id, f"ignored: {self.label} has associateType {associate_type}, not Associate")
        given_type = text(self.params.get("resourceType"))
        kind = _RESOURCE_TYPES.get(given_type.lower()) if given_type else None
        if kind is None:
            return Ignored(
                self.event_id,
                f"ignored: {self.label} shares a {given_type or 'untyped resource'}, not an Image or Snapshot",
            )
        resource_id = text(self.params.get("resourceId"))
        if resource_id is None:
            return Ignored(self.event_id, f"ignored: {self.label} has no resourceId")
        if status == "Failed":
            self.notes.append("the association failed; the share's associations are read to see why")
        added = self._targets("targetAccountId", accounts_only=True)
        share_id = text(self.params.get("resourceShareId"))
        return self._parts([ResourceRef(kind, resource_id, self.region)], share_id, added=added)

    def whole_share(self) -> _Parts | Ignored:
        """DeleteResourceShare: only the share id; everything in the share is affected."""
        share_id = text(self.params.get("ResourceShareId"))
        if share_id is None:
            return Ignored(self.event_id, f"ignored: {self.label} has no ResourceShareId")
        return self._parts([], share_id)

    def share_associations(self) -> _Parts | Ignored:
        """Create/Associate/DisassociateResourceShare: resources and targets joining or leaving a share."""
        share_id = text(self.params.get("ResourceShareId"))
        if self.name != CREATE_SHARE and share_id is None:
            return Ignored(self.event_id, f"ignored: {self.label} has no ResourceShareId")
        if not self.kind.adds and _owner_is_other(self.params):
            # A sharee leaving a share made by someone else: this account owns nothing here.
            return Ignored(
                self.event_id,
                f"ignored: {self.label} with ResourceOwner=OtherAccounts is a sharee leaving; "
                "the sharer's account is not this one",
            )
        resources, others, named_any = self._resources()
        targets = self._targets("Targets", accounts_only=False)
        target_given = bool(list_param(self.params, "Targets"))
        if named_any and not resources:
            kinds = ", ".join(others) or "unreadable entries"
            if self.name == CREATE_SHARE or not target_given:
                return Ignored(
                    self.event_id,
                    f"ignored: {self.label} names no Image or Snapshot resource (only {kinds})",
                )
            # Targets joining or leaving an existing share reach every resource already in it.
            self.notes.append(f"names only other resource types ({kinds}); the share's own resources count")
        elif not named_any and self.name == CREATE_SHARE:
            return Ignored(self.event_id, f"ignored: {self.label} names no resources")
        if others and resources:
            self.notes.append(f"other resource types skipped: {', '.join(others)}")
        if self.kind.adds:
            return self._parts(resources, share_id, added=targets)
        return self._parts(resources, share_id, removed=targets)

    def _resources(self) -> tuple[list[ResourceRef], list[str], bool]:
        """Images and snapshots named by `Resources.N` and `ResourceArns.N`, the other types named,
        and whether anything at all was named."""
        found: list[ResourceRef] = []
        others: list[str] = []
        entries = list_param(self.params, "Resources")
        arns = list_param(self.params, "ResourceArns")
        for position, entry in enumerate(entries, start=1):
            where = f"Resources.{position}"
            if not isinstance(entry, Mapping):
                self.notes.append(f"{where} is {type_name(entry)}, not an object; skipped")
                continue
            resource_id = text(entry.get("ResourceId"))
            if resource_id is None:
                self.notes.append(f"{where} has no ResourceId; skipped")
                continue
            given_type = text(entry.get("ResourceType"))
            kind = _RESOURCE_TYPES.get(given_type.lower()) if given_type else _kind_from_id(resource_id)
            if kind is None:
                others.append(given_type or f"untyped {resource_id}")
                continue
            if given_type is None:
                self.notes.append(f"{where} has no ResourceType; {resource_id} taken as {kind}")
            _append_unique(found, ResourceRef(kind, resource_id, self.region))
        for position, arn in enumerate(arns, start=1):
            match = _ECS_ARN.match(arn) if isinstance(arn, str) else None
            if match is None:
                others.append(f"ResourceArns.{position}")
                continue
            arn_region, _owner, kind_text, resource_id = match.groups()
            kind = cast(ResourceKind, kind_text.lower())
            _append_unique(found, ResourceRef(kind, resource_id, arn_region or self.region))
        return found, others, bool(entries or arns)

    def _targets(self, parameter: str, *, accounts_only: bool) -> list[str]:
        """Valid targets of a repeated parameter, in order, deduplicated; invalid ones recorded."""
        valid: list[str] = []
        for position, raw in enumerate(list_param(self.params, parameter), start=1):
            where = f"{parameter}.{position}"
            value, problem = _target_text(raw)
            if value is None:
                self.invalid.append(InvalidTarget(where, show(raw), problem))
                continue
            kind = target_kind(value)
            if kind is None:
                self.invalid.append(InvalidTarget(where, show(value), INVALID_TARGET_REASON))
            elif accounts_only and kind != "account":
                self.invalid.append(InvalidTarget(where, value, f"{self.name} takes account UIDs only"))
            elif value not in valid:
                valid.append(value)
        return valid


def _owner_is_other(params: Mapping[str, Any]) -> bool:
    owner = text(params.get("ResourceOwner"))
    return owner is not None and owner.lower() == "otheraccounts"


def _kind_from_id(resource_id: str) -> ResourceKind | None:
    for prefix, kind in _ID_PREFIX.items():
        if resource_id.startswith(prefix):
            return kind
    return None


def _append_unique(found: list[ResourceRef], ref: ResourceRef) -> None:
    if ref not in found:
        found.append(ref)


# Integers above 2**53 do not survive a round trip through a float, so a float UID is suspect.
_EXACT_FLOAT_LIMIT = 2**53


def _target_text(raw: Any) -> tuple[str | None, str]:
    """A target as text (JSON numbers become their digits), or None and why not."""
    if isinstance(raw, bool):
        return None, "a boolean, not a target"
    if isinstance(raw, int):
        if raw < 0:
            return None, "a negative number"
        return (str(raw), "") if raw.bit_length() <= MAX_INT_BITS else (None, "a number too long for an account UID")
    if isinstance(raw, float):
        if raw.is_integer() and 0 <= raw < _EXACT_FLOAT_LIMIT:
            return str(int(raw)), ""
        return None, "a number that is not an exact account UID"
    if isinstance(raw, str):
        # Nothing is trimmed: " 123" is not the account 123 (one UID rule, model.is_account_uid).
        return (raw, "") if raw else (None, "empty")
    return None, f"{type_name(raw)}, not a string"


Removes = Literal["never", "removed-targets", "always"]


@dataclass(frozen=True)
class EventKind:
    """What one share event means."""

    service: Service
    read: Callable[[_Builder], _Parts | Ignored]
    # It adds targets: a refusal of it is worth reading (AssumeRoleError prepares the role; a refusal
    # no role fixes is reported broken). A failed call of any other kind changed nothing.
    adds: bool
    # When it says something was unshared: the only events that may remove access (see the engine).
    removes: Removes
    # Whether its parameters look like its own, for an event with an unexpected serviceName.
    fits: Callable[[Mapping[str, Any]], bool]
    # A refused share is recorded only in the event (ECS keeps no failed share permission), so the
    # event's targets are what the role is prepared for; Resource Sharing keeps failed associations.
    refusal_in_event: bool = False
    # What delivers it: an ActionTrail event (trail logstore, EventBridge), or an EventBridge event of its own.
    carrier: Literal["actiontrail", "eventbridge"] = "actiontrail"


def _names(*keys: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda params: any(text(params.get(k)) is not None or list_param(params, k) for k in keys)


EVENT_KINDS: Mapping[str, EventKind] = {
    MODIFY_IMAGE: EventKind(
        "ecs", _Builder.image_share, adds=True, removes="removed-targets", fits=_names("ImageId"), refusal_in_event=True
    ),
    CREATE_SHARE: EventKind(
        "resourcesharing",
        _Builder.share_associations,
        adds=True,
        removes="never",
        fits=_names("Resources", "ResourceArns", "Targets", "ResourceShareName"),
    ),
    ASSOCIATE_SHARE: EventKind(
        "resourcesharing", _Builder.share_associations, adds=True, removes="never", fits=_names("ResourceShareId")
    ),
    DISASSOCIATE_SHARE: EventKind(
        "resourcesharing", _Builder.share_associations, adds=False, removes="always", fits=_names("ResourceShareId")
    ),
    DELETE_SHARE: EventKind(
        "resourcesharing", _Builder.whole_share, adds=False, removes="always", fits=_names("ResourceShareId")
    ),
    ASSOCIATION_STATUS_CHANGE: EventKind(
        "resourcesharing",
        _Builder.settled_association,
        adds=True,
        removes="never",
        fits=_names("resourceShareId"),
        carrier="eventbridge",
    ),
}
SHARE_EVENTS: Mapping[str, Service] = {name: kind.service for name, kind in EVENT_KINDS.items()}


def classify_association(event: AssociationStatusChange) -> ShareSignal | Ignored:
    """A `ShareSignal` adding the target account to the resource's share role, for an association
    that settled as Associated or Failed in the owner's account; otherwise `Ignored` with the reason.

    A hint like any event: the engine re-reads the account's shares, so nothing here is trusted.
    """
    event_id = event.id
    if event_id is None:
        return Ignored(None, f"ignored: {ASSOCIATION_STATUS_CHANGE} CloudEvent has no id")
    label = f"CloudEvent {event_id} ({ASSOCIATION_STATUS_CHANGE})"
    change = event.status
    if not change:
        return Ignored(event_id, f"ignored: {label} has no data object")
    owner = change.resource_owner_account_id
    if owner is None or target_kind(owner) != "account":
        return Ignored(event_id, f"ignored: {label} names no owner account UID (resourceOwnerAccountId {owner})")
    bus = event.aliyunaccountid
    if bus is not None and bus != owner:
        # The doc sample's bus is the target's (production-facts.md). sharetrust acts for the owner,
        # whose own trail carries the share (the Log Service path, member accounts included).
        return Ignored(
            event_id,
            f"ignored: {label} arrived on account {bus}'s bus (the sharee's); the resource belongs to {owner}, "
            "whose own events converge it",
        )
    region = event.share_region or event.aliyunregionid
    if region is None:
        return Ignored(event_id, f"ignored: {label} names no region (subject, aliyunregionid)")
    kind = EVENT_KINDS[ASSOCIATION_STATUS_CHANGE]
    outcome = kind.read(_Builder(event_id, label, ASSOCIATION_STATUS_CHANGE, kind, owner, region, change))
    if isinstance(outcome, Ignored):
        return outcome
    return ShareSignal(
        event_id=event_id,
        event_name=ASSOCIATION_STATUS_CHANGE,
        service=kind.service,
        account_uid=owner,
        region=region,
        resources=outcome.resources,
        resource_share_id=outcome.resource_share_id,
        added_targets=outcome.added,
        removed_targets=(),
        failed_with=None,  # the event names no error; the failed association's message is read
        actor=Actor("service", None, owner, "ResourceSharing"),  # the service settled it, not a caller
        request_parameters=freeze(change.raw_event),
        event_time=event.time,
        invalid_targets=outcome.invalid,
        notes=outcome.notes,
        delivery_key=event.dedupe_key,
    )


def removes_access(signal: ShareSignal) -> bool:
    """Whether the event says something was unshared (a failed call changed nothing)."""
    kind = EVENT_KINDS[signal.event_name]
    said = kind.removes == "always" or (kind.removes == "removed-targets" and bool(signal.removed_targets))
    return said and signal.failed_with is None


def refusal_in_event(signal: ShareSignal) -> bool:
    """Whether a refused share of this signal is known only from the event itself."""
    return signal.failed_with is not None and EVENT_KINDS[signal.event_name].refusal_in_event
