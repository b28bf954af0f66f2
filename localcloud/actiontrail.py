"""ActionTrail: every write call becomes a management event (events.md §1), written into the
caller's trail logstore (§2) and, for the services EventBridge carries, published to EventBridge as a
CloudEvent (§4).

Shaped as production records them (production-facts.md, "Event sources"): Resource Sharing calls are
Resource Management events, and `requestParameters` carry the gateway's keys beside the API's own,
with the API's booleans and numbers as JSON booleans and numbers.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from localcloud import eventbridge
from localcloud.context import Context
from localcloud.errors import ApiError
from localcloud.rpc import Call
from localcloud.state import now_iso

TOPIC = "actiontrail_audit_event"
SOURCE = "actiontrail"

log = logging.getLogger("localcloud.actiontrail")

# (serviceName, eventSource) where ActionTrail names a product otherwise than its POP product: Resource
# Sharing calls are Resource Management events. ActionTrail page "Audit events of Resource Management"
# (https://www.alibabacloud.com/help/en/actiontrail/product-overview/audit-events-of-resource-management)
# lists AssociateResourceShare and its sample event has serviceName ResourceManager and eventSource
# resourcemanager-share.aliyuncs.com (production-facts.md, "Event sources").
TRAIL_NAMES: dict[str, tuple[str, str]] = {
    "ResourceSharing": ("ResourceManager", "resourcemanager-share.aliyuncs.com"),
}

# API parameters declared Boolean or Integer/Long, by (version, action): ActionTrail records them as JSON
# booleans and numbers (events.md §1.2 fixture A `"ForceStop": false`; the ActionTrail doc's RunInstances
# samples `"IoOptimized": true`, `"SystemDisk.Size": 20`); every other parameter stays the string sent.
# The types are the SDK request models' (tests/localcloud/test_trail_fidelity.py checks this table
# against them for every write operation served).
TYPED_PARAMETERS: dict[tuple[str, str], dict[str, type[bool] | type[int]]] = {
    ("2014-05-26", "ModifyImageSharePermission"): {
        "DryRun": bool,
        "IsPublic": bool,
        "OwnerId": int,
        "ResourceOwnerId": int,
    },
    ("2015-05-01", "CreateRole"): {"AllowConsoleLogin": bool, "MaxSessionDuration": int},
    ("2015-05-01", "UpdateRole"): {"NewAllowConsoleLogin": bool, "NewMaxSessionDuration": int},
    ("2015-05-01", "CreatePolicyVersion"): {"SetAsDefault": bool},
    ("2015-05-01", "DeletePolicy"): {"CascadingDelete": bool},
    ("2020-01-10", "CreateResourceShare"): {"AllowExternalTargets": bool},
}


def _typed(value: str, kind: type[bool] | type[int]) -> Any:
    """The JSON value of a typed parameter; a value the type cannot read stays as sent."""
    if kind is bool:
        lowered = value.lower()
        return lowered == "true" if lowered in ("true", "false") else value
    try:
        return int(value)
    except ValueError:
        return value


def _region(call: Call) -> str:
    try:
        return call.region  # RegionId, else the regional host's (Resource Sharing and KMS send none)
    except ApiError:  # a call that failed on an invalid RegionId is still recorded, with it
        return call.params.get("RegionId") or call.cloud.settings.default_region


def recorded_parameters(call: Call, host: str, product: str) -> dict[str, Any]:
    """`requestParameters` as ActionTrail records them: the API's parameters, typed, and the keys the
    gateway adds. Fixture A and B of events.md §1.2 (and the ActionTrail docs' STS and ActionTrail
    samples) show `AcsHost`, `AcsProduct`, `RequestId`, `HostId`, `charset`; for STS credentials,
    `stsTokenPrincipalName` (`<role>/<session>`) and `stsTokenPlayerUid` (a number). Production puts no
    token or secret in them; neither does this.
    """
    types = TYPED_PARAMETERS.get((call.product.version, call.action), {})
    parameters: dict[str, Any] = {
        name: _typed(value, types[name]) if name in types else value for name, value in call.params.as_dict().items()
    }
    parameters.update(
        {"AcsHost": host, "AcsProduct": product, "RequestId": call.request_id, "HostId": host, "charset": "UTF-8"}
    )
    session = call.caller.session
    if session is not None:
        parameters["stsTokenPrincipalName"] = f"{session.role_name}/{session.session_name}"
        # Production: the account that assumed the role (fixture B). The emulator does not record who
        # assumed it, so the role's own account stands in.
        parameters["stsTokenPlayerUid"] = int(session.account_uid)
    return parameters


def build_event(call: Call, response: dict[str, Any] | None, error: ApiError | None) -> dict[str, Any]:
    """The ActionTrail event of one API call, with the documented fields."""
    caller = call.caller
    region = _region(call)
    service_name, event_source = TRAIL_NAMES.get(
        call.product.name, (call.product.name, call.product.host.format(region=region))
    )
    parameters = recorded_parameters(call, event_source, call.product.name)
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
        "serviceName": service_name,
        "apiVersion": call.product.version,
        "eventSource": event_source,
        "acsRegion": region,
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


def record(ctx: Context, call: Call, response: dict[str, Any] | None, error: ApiError | None) -> None:
    """Records one write call; called with the cloud lock held (invocations run later)."""
    event = build_event(call, response, error)
    account_uid = call.caller.account_uid
    _write_to_trail(ctx, account_uid, event)
    # Only the services EventBridge lists (so no Resource Sharing call). UNCONFIRMED whether EventBridge
    # forwards failed write calls (events.md §9.8); we do, so a pattern can select them by errorCode.
    if eventbridge.carries(event["serviceName"]):
        cloudevent = eventbridge.actiontrail_cloudevent(event, account_uid, call.product.code)
        ctx.publish(account_uid, cloudevent)


def write_event(
    ctx: Context,
    account_uid: str,
    event: Mapping[str, Any],
    *,
    publish: bool = False,
    product_code: str | None = None,
) -> None:
    """Writes a hand-made ("forged") event into the trail of `account_uid`, exactly as ActionTrail
    writes real ones; with `publish=True` it is also delivered to matching EventBridge triggers
    (product code from `product_code` or the event's lowercased serviceName). EventBridge carries only
    the services it lists: publishing another service's event is a ValueError, as production never would.
    """
    service_name = str(event.get("serviceName", ""))
    if publish and not eventbridge.carries(service_name):
        raise ValueError(f"EventBridge does not carry ActionTrail events of service {service_name!r}")
    with ctx.cloud.lock:
        _write_to_trail(ctx, account_uid, event)
    if publish:
        code = product_code or service_name.lower()
        ctx.publish(account_uid, eventbridge.actiontrail_cloudevent(event, account_uid, code))


def _write_to_trail(ctx: Context, account_uid: str, event: Mapping[str, Any]) -> None:
    trail = next((t for t in ctx.cloud.trails if t.account_uid == account_uid), None)
    if trail is None:
        return  # no trail delivers to Log Service; EventBridge still sees the event
    rw, region = str(event.get("eventRW") or "Write"), str(event.get("acsRegion") or "")
    if not trail.records(rw, region or trail.region):
        return  # stopped, or not recording this kind of event or region (`sharetrust doctor` says so)
    try:
        ctx.append_logs(trail.sls_project, trail.logstore, [{"event": json.dumps(event)}], TOPIC, SOURCE)
    except KeyError:
        message = f"trail {trail.name}: logstore {trail.sls_project}/{trail.logstore} does not exist"
        log.error(message)
        ctx.deliveries.failures.append(message)
