"""`CloudEvent`: the EventBridge envelope (CloudEvents 1.0) around an ActionTrail event (events.md §4)."""

from __future__ import annotations

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
