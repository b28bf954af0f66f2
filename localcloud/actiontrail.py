"""ActionTrail: every write call becomes a management event (events.md §1), written into the
caller's trail logstore (§2) and published to EventBridge as a CloudEvent (§4)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from localcloud import eventbridge, sls
from localcloud.errors import ApiError
from localcloud.rpc import Call
from localcloud.state import now_iso

if TYPE_CHECKING:
    from localcloud.server import LocalCloud

TOPIC = "actiontrail_audit_event"
SOURCE = "actiontrail"

log = logging.getLogger("localcloud.actiontrail")


def build_event(call: Call, response: dict[str, Any] | None, error: ApiError | None) -> dict[str, Any]:
    """The ActionTrail event of one API call, with the documented fields."""
    caller = call.caller
    parameters = call.params.as_dict()
    now = now_iso()
    identity: dict[str, Any] = {
        "type": caller.kind,
        "principalId": caller.principal_id,
        "accountId": caller.account_uid,
        "accessKeyId": caller.access_key_id,
        "userName": caller.user_name,
        "sessionContext": {"attributes": {"mfaAuthenticated": "false", "creationDate": now}},
    }
    return {
        "eventId": str(uuid.uuid4()),
        "eventVersion": 1,
        "eventType": "ApiCall",
        "eventRW": "Write",
        "eventCategory": "Management",
        "eventName": call.action,
        "serviceName": call.product.name,
        "apiVersion": call.product.version,
        "eventSource": call.host,
        # The raw RegionId: a call that failed on an invalid region is still recorded.
        "acsRegion": parameters.get("RegionId") or call.cloud.settings.default_region,
        "eventTime": now,
        "requestId": call.request_id,
        "requestParameters": parameters,
        "requestParameterJson": json.dumps(parameters),
        "responseElements": None if response is None else {"RequestId": call.request_id, **response},
        "errorCode": error.code if error else "",
        "errorMessage": error.message if error else "",
        "userIdentity": identity,
        "sourceIpAddress": call.source_ip,
        "userAgent": call.user_agent,
        "recipientAccountId": caller.account_uid,
        "isGlobal": not call.product.regional,
    }


def record(lc: LocalCloud, call: Call, response: dict[str, Any] | None, error: ApiError | None) -> None:
    """Records one write call; called with the cloud lock held (invocations run later)."""
    event = build_event(call, response, error)
    account_uid = call.caller.account_uid
    _write_to_trail(lc, account_uid, event)
    # UNCONFIRMED whether EventBridge forwards failed write calls (events.md §9.8); we do, so a
    # pattern can select them by errorCode.
    eventbridge.publish(lc, account_uid, eventbridge.actiontrail_cloudevent(event, account_uid, call.product.code))


def write_event(
    lc: LocalCloud,
    account_uid: str,
    event: Mapping[str, Any],
    *,
    publish: bool = False,
    product_code: str | None = None,
) -> None:
    """Writes a hand-made ("forged") event into the trail of `account_uid`, exactly as ActionTrail
    writes real ones; with `publish=True` it is also delivered to matching EventBridge triggers
    (product code from `product_code` or the event's lowercased serviceName)."""
    with lc.cloud.lock:
        _write_to_trail(lc, account_uid, event)
    if publish:
        code = product_code or str(event.get("serviceName", "")).lower()
        eventbridge.publish(lc, account_uid, eventbridge.actiontrail_cloudevent(event, account_uid, code))


def _write_to_trail(lc: LocalCloud, account_uid: str, event: Mapping[str, Any]) -> None:
    trail = next((t for t in lc.cloud.trails if t.account_uid == account_uid), None)
    if trail is None:
        return  # no trail delivers to Log Service; EventBridge still sees the event
    try:
        sls.append_logs(lc, trail.sls_project, trail.logstore, [{"event": json.dumps(event)}], TOPIC, SOURCE)
    except KeyError:
        message = f"trail {trail.name}: logstore {trail.sls_project}/{trail.logstore} does not exist"
        log.error(message)
        lc.deliveries.failures.append(message)
