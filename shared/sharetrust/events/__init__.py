"""Event intake: ActionTrail, EventBridge and Log Service payloads → `ShareSignal` / `LogRange` / `Ignored`.

Pure: no I/O and no SDK imports, so handlers can decode before any client is built and tests use
plain values. `decode` never raises; every rejection is an `Ignored` with a reason.
"""

from sharetrust.events.actiontrail import ActionTrailEvent, UserIdentity
from sharetrust.events.classify import (
    ACTED_ON_STATUSES,
    ACTIONABLE_ERRORS,
    ASSOCIATION_STATUS_CHANGE,
    EVENT_KINDS,
    SHARE_EVENTS,
    Envelope,
    EventKind,
    classify,
    classify_association,
    refusal_in_event,
    removes_access,
)
from sharetrust.events.cloudevent import AssociationStatus, AssociationStatusChange, CloudEvent
from sharetrust.events.common import DictWrapper, parse_time
from sharetrust.events.decoder import decode, decode_cloudevent, decode_object, describe
from sharetrust.events.params import normalise, unflatten
from sharetrust.events.signals import (
    Actor,
    Ignored,
    Intake,
    InvalidTarget,
    LogRange,
    ResourceRef,
    Service,
    ShareSignal,
)
from sharetrust.events.sls import ACTIONTRAIL_TOPICS, SlsTriggerEvent, decode_log_row, parse_log_row
from sharetrust.model import TargetKind, target_kind

__all__ = [
    "ACTED_ON_STATUSES",
    "ACTIONABLE_ERRORS",
    "ACTIONTRAIL_TOPICS",
    "ASSOCIATION_STATUS_CHANGE",
    "EVENT_KINDS",
    "SHARE_EVENTS",
    "ActionTrailEvent",
    "Actor",
    "AssociationStatus",
    "AssociationStatusChange",
    "CloudEvent",
    "DictWrapper",
    "Envelope",
    "EventKind",
    "Ignored",
    "Intake",
    "InvalidTarget",
    "LogRange",
    "ResourceRef",
    "Service",
    "ShareSignal",
    "SlsTriggerEvent",
    "TargetKind",
    "UserIdentity",
    "classify",
    "classify_association",
    "decode",
    "decode_cloudevent",
    "decode_log_row",
    "decode_object",
    "describe",
    "normalise",
    "parse_log_row",
    "parse_time",
    "refusal_in_event",
    "removes_access",
    "target_kind",
    "unflatten",
]
