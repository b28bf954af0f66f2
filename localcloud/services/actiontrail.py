"""ActionTrail 2020-07-06, the read side `sharetrust doctor` needs: DescribeTrails and GetTrailStatus.

Over `state.Trail` (one trail per account, the one `localcloud.actiontrail` writes events into). Field
names and shapes are the SDK's response models (alibabacloud_actiontrail20200706 DescribeTrailsResponseBody,
GetTrailStatusResponseBody).
"""

from __future__ import annotations

from typing import Any

from localcloud.errors import not_found
from localcloud.rpc import Call, operation
from localcloud.state import Trail

VERSION = "2020-07-06"
_CREATED = "2025-01-01T00:00:00Z"  # not modelled: trails exist from the seed on


def _trails(call: Call) -> list[Trail]:
    return [t for t in call.cloud.trails if t.account_uid == call.caller.account_uid]


def _describe(call: Call, trail: Trail) -> dict[str, Any]:
    uid = trail.account_uid
    project = call.cloud.sls_projects.get(trail.sls_project)
    project_region = project.region if project is not None else trail.region
    return {
        "Name": trail.name,
        "HomeRegion": trail.region,
        "TrailRegion": trail.trail_region,
        "EventRW": trail.event_rw,
        "Status": "Enable" if trail.logging else "Disable",
        "TrailArn": f"acs:actiontrail:{trail.region}:{uid}:trail/{trail.name}",
        "SlsProjectArn": f"acs:log:{project_region}:{uid}:project/{trail.sls_project}",
        "SlsWriteRoleArn": f"acs:ram::{uid}:role/{trail.sls_write_role.lower()}",
        "OssBucketName": "",
        "OssWriteRoleArn": "",
        "IsOrganizationTrail": False,
        "CreateTime": _CREATED,
        "UpdateTime": _CREATED,
        "StartLoggingTime": _CREATED if trail.logging else "",
        "StopLoggingTime": "" if trail.logging else _CREATED,
    }


@operation(VERSION, "DescribeTrails", write=False)
def describe_trails(call: Call) -> dict[str, Any]:
    names = {n.strip() for n in (call.params.get("NameList") or "").split(",") if n.strip()}
    trails = [t for t in _trails(call) if not names or t.name in names]
    return {"TrailList": [_describe(call, t) for t in trails]}


@operation(VERSION, "GetTrailStatus", write=False)
def get_trail_status(call: Call) -> dict[str, Any]:
    name = call.params.require("Name")
    trail = next((t for t in _trails(call) if t.name == name), None)
    if trail is None:
        # UNCONFIRMED: ActionTrail's code for an unknown trail (its API pages list none); the CloudTrail-style
        # name is what its SDK samples show.
        raise not_found("TrailNotFoundException", f"The trail {name} does not exist.")
    return {
        "IsLogging": trail.logging,
        "StartLoggingTime": _CREATED if trail.logging else "",
        "StopLoggingTime": "" if trail.logging else _CREATED,
        "LatestDeliveryError": "",
        "LatestDeliveryLogServiceError": "",
        "SlsLogStoreStatus": "enable",
        "OssBucketStatus": False,
    }
