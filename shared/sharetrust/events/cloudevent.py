"""`CloudEvent`: the EventBridge envelope (CloudEvents 1.0) around an ActionTrail event (events.md §4)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sharetrust.events.actiontrail import ActionTrailEvent
from sharetrust.events.common import DictWrapper, parse_time, text
from sharetrust.events.params import load_json_object


class CloudEvent(DictWrapper):
    """An EventBridge event. `data` holds the ActionTrail event for `…:ActionTrail:*` types."""

    @property
    def specversion(self) -> str | None:
        return text(self.get("specversion"))

    @property
    def id(self) -> str | None:
        return text(self.get("id"))

    @property
    def source(self) -> str | None:
        """e.g. `acs.ecs` (the ECS literal is unconfirmed; `acs.ebs` is documented)."""
        return text(self.get("source"))

    @property
    def type(self) -> str | None:
        """e.g. `ecs:ActionTrail:ApiCall`."""
        return text(self.get("type"))

    @property
    def subject(self) -> str | None:
        return text(self.get("subject"))

    @property
    def time(self) -> str | None:
        return text(self.get("time"))

    @property
    def datacontenttype(self) -> str | None:
        return text(self.get("datacontenttype"))

    @property
    def aliyunaccountid(self) -> str | None:
        return text(self.get("aliyunaccountid"))

    @property
    def aliyunoriginalaccountid(self) -> str | None:
        return text(self.get("aliyunoriginalaccountid"))

    @property
    def aliyunregionid(self) -> str | None:
        return text(self.get("aliyunregionid"))

    @property
    def aliyuneventbusname(self) -> str | None:
        return text(self.get("aliyuneventbusname"))

    @property
    def aliyunpublishtime(self) -> str | None:
        """As given; seen both as `…42.179PRC` and `…42Z`, so never parsed strictly."""
        return text(self.get("aliyunpublishtime"))

    @property
    def publish_time(self) -> datetime | None:
        """`aliyunpublishtime` parsed tolerantly, or None when it cannot be read."""
        return parse_time(self.get("aliyunpublishtime"))

    @property
    def dedupe_key(self) -> str | None:
        """`source` + `id`: EventBridge re-deliveries share both (doc-detail/181428)."""
        if self.source is None or self.id is None:
            return None
        return f"{self.source}/{self.id}"

    @property
    def raw_data(self) -> Any:
        return self.get("data")

    @property
    def data_object(self) -> Mapping[str, Any] | None:
        """`data` as a JSON object; JSON text is decoded, as some producers send it as a string."""
        return load_json_object(self.get("data"))

    @property
    def data(self) -> ActionTrailEvent:
        """The ActionTrail event; empty (every property None) when `data` is not an object."""
        return ActionTrailEvent(self.data_object or {})


# EventBridge page "Resource Management events" (production-facts.md, "Event sources").
ASSOCIATION_STATUS_CHANGE_TYPE = "resourcemanager:ResourceSharing:AssociationStatusChange"
ASSOCIATION_STATUS_CHANGE_SOURCE = "acs.resourcemanager"
# `subject`: `acs:resourcesharing:<region>:<owner>:resourceshare/<share id>` (the page's sample).
_SHARE_SUBJECT = re.compile(r"^acs:resourcesharing:([a-z0-9-]+):[^:]*:resourceshare/\S+$")


class AssociationStatus(DictWrapper):
    """`data` of an AssociationStatusChange: one (resource, target account) association that settled."""

    @property
    def resource_share_id(self) -> str | None:
        return text(self.get("resourceShareId"))

    @property
    def resource_owner_account_id(self) -> str | None:
        return text(self.get("resourceOwnerAccountId"))

    @property
    def target_account_id(self) -> str | None:
        return text(self.get("targetAccountId"))

    @property
    def service_name(self) -> str | None:
        """The shared resource's service host; the doc sample masks it (`***.aliyuncs.com`)."""
        return text(self.get("serviceName"))

    @property
    def resource_type(self) -> str | None:
        """`Image`, `Snapshot`, ... as Resource Sharing names them (the sample: `CapacityReservation`)."""
        return text(self.get("resourceType"))

    @property
    def resource_id(self) -> str | None:
        return text(self.get("resourceId"))

    @property
    def association_status(self) -> str | None:
        """`Associated` in the sample; Resource Sharing's other statuses: Associating, Failed, ..."""
        return text(self.get("associationStatus"))

    @property
    def associate_type(self) -> str | None:
        """`Associate` in the sample."""
        return text(self.get("associateType"))


class AssociationStatusChange(CloudEvent):
    """EventBridge's `resourcemanager:ResourceSharing:AssociationStatusChange`. Its `aliyunaccountid`
    is the account whose bus received it: in the doc sample, the target's, not the owner's."""

    @property
    def status(self) -> AssociationStatus:
        """`data`; empty (every property None) when `data` is not an object."""
        return AssociationStatus(self.data_object or {})

    @property
    def share_region(self) -> str | None:
        """The resource share's region, from `subject`; None when the subject is not a share's."""
        match = _SHARE_SUBJECT.match(self.subject or "")
        return match.group(1) if match else None


def is_association_status_change(envelope: CloudEvent) -> bool:
    return envelope.type == ASSOCIATION_STATUS_CHANGE_TYPE
