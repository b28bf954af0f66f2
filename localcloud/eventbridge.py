"""EventBridge: CloudEvent envelopes, the event-pattern subset FC triggers use, and delivery.

Two kinds of events reach the bus here, as in production (production-facts.md, "Event sources"):
ActionTrail write events of the services EventBridge lists (`ACTIONTRAIL_SERVICES`), and Resource
Sharing's `AssociationStatusChange` events, published when an association settles.

Pattern semantics (events.md §4): the pattern mirrors the event's nesting; keys are ANDed, the
values of a key's array are ORed; matching is case-sensitive. Supported matchers: exact values,
`{"prefix": s}`, `{"suffix": s}`, `{"anything-but": v | [v...] | {"prefix": s}}`, `{"exists": b}`.
Others (`numeric`, `cidr`, ...) are rejected, so a pattern never silently matches less than intended.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import partial
from typing import Any

from localcloud.context import Context
from localcloud.state import EventBridgeTrigger

# EventBridge event-stream retries with backoff: 3 tries (events.md §4); we retry without waiting.
DELIVERY_ATTEMPTS = 3

# ActionTrail `serviceName`s whose write events EventBridge carries, among the emulated products: the
# EventBridge page "ActionTrail events" (https://www.alibabacloud.com/help/en/eventbridge/user-guide/actiontrail-events)
# lists ECS, RAM and KMS, and neither Resource Management (Resource Sharing's events) nor STS.
ACTIONTRAIL_SERVICES = frozenset({"Ecs", "Ram", "Kms"})

# Resource Management's event (EventBridge page "Resource Management events",
# https://www.alibabacloud.com/help/en/eventbridge/user-guide/resource-management-events).
ASSOCIATION_STATUS_CHANGE = "resourcemanager:ResourceSharing:AssociationStatusChange"
ASSOCIATION_SOURCE = "acs.resourcemanager"
# `data.serviceName` of a shared ECS image or snapshot. UNCONFIRMED: the doc's sample masks it as
# `***.aliyuncs.com` (its resource is a CapacityReservation); ECS's own host is our reading.
_SHARED_SERVICE = {"Image": "ecs.aliyuncs.com", "Snapshot": "ecs.aliyuncs.com"}

_MISSING = object()
_OPERATORS = {"prefix", "suffix", "anything-but", "exists"}


class PatternError(ValueError):
    """The event pattern is not valid (or uses a matcher localcloud does not implement)."""


def validate_pattern(pattern: Any, where: str = "pattern") -> None:
    if not isinstance(pattern, Mapping):
        raise PatternError(f"{where} must be an object")
    for key, value in pattern.items():
        if isinstance(value, Mapping):
            validate_pattern(value, f"{where}.{key}")
        elif isinstance(value, list):
            if not value:
                raise PatternError(f"{where}.{key} must not be an empty array")
            for matcher in value:
                _validate_matcher(matcher, f"{where}.{key}")
        else:
            raise PatternError(f"{where}.{key} must be an array of matchers or a nested object")


def _validate_matcher(matcher: Any, where: str) -> None:
    if not isinstance(matcher, Mapping):
        if isinstance(matcher, list):
            raise PatternError(f"{where}: a matcher cannot be an array")
        return
    if len(matcher) != 1:
        raise PatternError(f"{where}: a matcher object has exactly one operator")
    ((operator, operand),) = matcher.items()
    if operator not in _OPERATORS:
        raise PatternError(f"{where}: unsupported operator {operator!r}")
    if operator in ("prefix", "suffix") and not isinstance(operand, str):
        raise PatternError(f"{where}: {operator} takes a string")
    if operator == "exists" and not isinstance(operand, bool):
        raise PatternError(f"{where}: exists takes true or false")
    if (
        operator == "anything-but"
        and isinstance(operand, Mapping)
        and (list(operand) != ["prefix"] or not isinstance(operand["prefix"], str))
    ):
        raise PatternError(f"{where}: anything-but takes values or {{'prefix': s}}")


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether `event` matches `pattern`. Raises PatternError for an invalid pattern."""
    validate_pattern(pattern)
    return _match_object(pattern, event)


def _match_object(pattern: Mapping[str, Any], event: Any) -> bool:
    for key, wanted in pattern.items():
        actual = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(wanted, Mapping):
            if not isinstance(actual, Mapping) or not _match_object(wanted, actual):
                return False
        elif not any(_match_one(matcher, actual) for matcher in wanted):
            return False
    return True


def _match_one(matcher: Any, actual: Any) -> bool:
    if isinstance(matcher, Mapping) and "exists" in matcher:
        return (actual is not _MISSING) is bool(matcher["exists"])
    if actual is _MISSING:
        return False
    if isinstance(actual, list):  # an array in the event matches when any element does
        return any(_match_one(matcher, element) for element in actual)
    if not isinstance(matcher, Mapping):
        return _same(matcher, actual)
    ((operator, operand),) = matcher.items()
    if operator == "prefix":
        return isinstance(actual, str) and actual.startswith(operand)
    if operator == "suffix":
        return isinstance(actual, str) and actual.endswith(operand)
    # anything-but
    if isinstance(operand, Mapping):
        return isinstance(actual, str) and not actual.startswith(operand["prefix"])
    excluded = operand if isinstance(operand, list) else [operand]
    return not any(_same(value, actual) for value in excluded)


def _same(wanted: Any, actual: Any) -> bool:
    # JSON equality without Python's True == 1.
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return type(wanted) is type(actual) and wanted == actual
    return bool(wanted == actual)


def publish_time() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def carries(service_name: str) -> bool:
    """Whether EventBridge carries ActionTrail events of this `serviceName` (`ACTIONTRAIL_SERVICES`)."""
    return service_name in ACTIONTRAIL_SERVICES


def actiontrail_cloudevent(event: Mapping[str, Any], account_uid: str, product_code: str) -> dict[str, Any]:
    """The CloudEvents 1.0 envelope EventBridge puts around an ActionTrail event (events.md §4 G).

    UNCONFIRMED: `source=acs.<code>`/`type=<code>:ActionTrail:ApiCall` for ECS, RAM and KMS
    (confirmed only for acs.ebs); the subject's last segment (we use the event name).
    """
    region = str(event.get("acsRegion") or "")
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": f"acs.{product_code}",
        "type": f"{product_code}:ActionTrail:ApiCall",
        "subject": f"acs.{product_code}:{region}:{account_uid}:{event.get('eventName', '')}",
        "time": str(event.get("eventTime") or ""),
        "datacontenttype": "application/json",
        "data": dict(event),
        "aliyunaccountid": account_uid,
        "aliyunpublishtime": publish_time(),
        "aliyuneventbusname": "default",
        "aliyunregionid": region,
        "aliyunpublishaddr": "127.0.0.1",
    }


def association_status_change(
    *,
    share_id: str,
    owner: str,
    region: str,
    target: str,
    resource_type: str,
    resource_id: str,
    status: str,
) -> dict[str, Any]:
    """The CloudEvent of one (resource, target account) association that settled to `status`, shaped
    as the sample on EventBridge's "Resource Management events" page (no `datacontenttype` there).

    `associateType` is `Associate`, as in the sample, except for `Disassociated`, where `Disassociate`
    is our reading (UNCONFIRMED). The sample's `aliyunaccountid` is the target's account; this event is
    put on the owner's bus (see `localcloud.services.resourcesharing`), so it names the owner.
    """
    return {
        "id": str(uuid.uuid4()),
        "source": ASSOCIATION_SOURCE,
        "specversion": "1.0",
        "subject": f"acs:resourcesharing:{region}:{owner}:resourceshare/{share_id}",
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "type": ASSOCIATION_STATUS_CHANGE,
        "aliyunaccountid": owner,
        "aliyunpublishtime": publish_time(),
        "aliyuneventbusname": "default",
        "aliyunregionid": region,
        "aliyunpublishaddr": "127.0.0.1",
        "data": {
            "resourceShareId": share_id,
            "resourceOwnerAccountId": owner,
            "targetAccountId": target,
            "serviceName": _SHARED_SERVICE.get(resource_type, ""),
            "resourceType": resource_type,
            "resourceId": resource_id,
            "associationStatus": status,
            "associateType": "Disassociate" if status == "Disassociated" else "Associate",
        },
    }


def publish(ctx: Context, account_uid: str, cloudevent: Mapping[str, Any]) -> None:
    """Hands a CloudEvent to every EventBridge trigger of `account_uid` whose pattern matches.

    Safe with the cloud lock held: invocations run later on the context's deliveries.
    """
    with ctx.cloud.lock:
        triggers = [t for t in ctx.cloud.eventbridge_triggers if t.account_uid == account_uid]
    payload = json.dumps(cloudevent).encode()
    for trigger in triggers:
        try:
            matched = matches(trigger.pattern, cloudevent)
        except PatternError as bad:
            ctx.deliveries.failures.append(f"eventbridge trigger {trigger.name}: {bad}")
            continue
        if matched:
            ctx.deliveries.submit(partial(_deliver, ctx, trigger, payload), f"eventbridge trigger {trigger.name}")


def _deliver(ctx: Context, trigger: EventBridgeTrigger, payload: bytes) -> None:
    failure: Exception | None = None
    for _ in range(DELIVERY_ATTEMPTS):
        try:
            ctx.invoke(trigger.function, payload, None)
            return
        except Exception as error:  # a function error or FC refusing to run it: retried
            failure = error
    assert failure is not None
    raise failure
