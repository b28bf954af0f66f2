"""ActionTrail gateway (the operator's `doctor`): the account's trails and whether each is logging."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sharetrust.cloud.fc import _require
from sharetrust.cloud.session import CloudSession


@dataclass(frozen=True)
class TrailRecord:
    name: str
    home_region: str
    trail_region: str  # "All" or one region id
    event_rw: str  # Write | Read | All
    sls_project_arn: str  # acs:log:<region>:<uid>:project/<name>, "" when it does not deliver to Log Service
    sls_write_role_arn: str
    is_logging: bool

    @property
    def sls_project(self) -> tuple[str, str] | None:
        """(region, project) the trail delivers to, from its SlsProjectArn."""
        parts = self.sls_project_arn.split(":")  # acs, log, region, uid, project/<name>
        if len(parts) != 5 or not parts[4].startswith("project/"):
            return None
        return parts[2], parts[4].removeprefix("project/")

    @property
    def logstore(self) -> str:
        return f"actiontrail_{self.name}"  # the logstore ActionTrail creates for a trail (events.md §2)


class ActionTrailGateway:
    def __init__(self, session: CloudSession, region: str) -> None:
        _require("alibabacloud_actiontrail20200706")
        self._session = session
        self._region = region

    def _client(self) -> Any:
        from alibabacloud_actiontrail20200706.client import Client

        return self._session.client("actiontrail", self._region, Client)

    def trails(self) -> list[TrailRecord]:
        """Every trail of the account, each with its logging status (DescribeTrails, then GetTrailStatus)."""
        from alibabacloud_actiontrail20200706 import models

        client = self._client()
        body = self._session.pop(
            "Actiontrail:DescribeTrails", client.describe_trails_with_options, models.DescribeTrailsRequest()
        ).body
        found: list[TrailRecord] = []
        for trail in body.trail_list or []:
            status = self._session.pop(
                "Actiontrail:GetTrailStatus",
                client.get_trail_status_with_options,
                models.GetTrailStatusRequest(name=trail.name),
            ).body
            found.append(
                TrailRecord(
                    str(trail.name),
                    str(trail.home_region or ""),
                    str(trail.trail_region or ""),
                    str(trail.event_rw or ""),
                    str(trail.sls_project_arn or ""),
                    str(trail.sls_write_role_arn or ""),
                    bool(status.is_logging),
                )
            )
        return found
