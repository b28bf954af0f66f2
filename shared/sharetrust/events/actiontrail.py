"""`ActionTrailEvent`: a typed, read-only view of one ActionTrail management event (events.md §1)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any

from sharetrust.events.common import DictWrapper, freeze, mapping, parse_time, text
from sharetrust.events.params import load_json_object, normalise


class UserIdentity(DictWrapper):
    """`userIdentity`; every field may be missing (a `system` identity has no `accountId`)."""

    @property
    def type(self) -> str | None:
        """`root-account`, `ram-user`, `assumed-role`, `cloudsso-user` or `system`."""
        return text(self.get("type"))

    @property
    def principal_id(self) -> str | None:
        return text(self.get("principalId"))

    @property
    def account_id(self) -> str | None:
        return text(self.get("accountId"))

    @property
    def user_name(self) -> str | None:
        return text(self.get("userName"))

    @property
    def access_key_id(self) -> str | None:
        return text(self.get("accessKeyId"))


class ActionTrailEvent(DictWrapper):
    """One ActionTrail event. Unknown top-level keys (such as `extend`) are simply not read."""

    __slots__ = ("__dict__",)  # room for cached_property

    @property
    def event_id(self) -> str | None:
        return text(self.get("eventId"))

    @property
    def event_name(self) -> str | None:
        return text(self.get("eventName"))

    @property
    def event_type(self) -> str | None:
        """`ApiCall`, `ConsoleOperation`, `ConsoleSignin`, `ConsoleSignout`, `AliyunServiceEvent`…"""
        return text(self.get("eventType"))

    @property
    def event_rw(self) -> str | None:
        return text(self.get("eventRW"))

    @property
    def event_version(self) -> int | str | None:
        """As given: `1` in one doc sample and `"1"` in another (events.md fixtures A and B)."""
        value = self.get("eventVersion")
        if isinstance(value, bool):
            return None
        return value if isinstance(value, (int, str)) else None

    @property
    def event_source(self) -> str | None:
        return text(self.get("eventSource"))

    @property
    def event_category(self) -> str | None:
        return text(self.get("eventCategory"))

    @property
    def service_name(self) -> str | None:
        return text(self.get("serviceName"))

    @property
    def api_version(self) -> str | None:
        return text(self.get("apiVersion"))

    @property
    def event_time(self) -> str | None:
        return text(self.get("eventTime"))

    @property
    def event_datetime(self) -> datetime | None:
        return parse_time(self.get("eventTime"))

    @property
    def region(self) -> str | None:
        """`acsRegion`."""
        return text(self.get("acsRegion"))

    @property
    def request_id(self) -> str | None:
        return text(self.get("requestId"))

    @property
    def error_code(self) -> str | None:
        """None when the call succeeded: the key is absent (fixture A) or `""` (fixture B)."""
        return text(self.get("errorCode"))

    @property
    def error_message(self) -> str | None:
        return text(self.get("errorMessage"))

    @property
    def failed(self) -> bool:
        return self.error_code is not None

    @property
    def user_identity(self) -> UserIdentity:
        return UserIdentity(mapping(self.get("userIdentity")) or {})

    @property
    def identity_type(self) -> str | None:
        return self.user_identity.type

    @property
    def principal_id(self) -> str | None:
        return self.user_identity.principal_id

    @property
    def recipient_account_id(self) -> str | None:
        """SLS field list only: the log-receiving account."""
        return text(self.get("recipientAccountId"))

    @property
    def account_id(self) -> str | None:
        """`userIdentity.accountId`, else `recipientAccountId`, as Alibaba's own alert SQL does."""
        return self.user_identity.account_id or self.recipient_account_id

    @property
    def source_ip_address(self) -> str | None:
        return text(self.get("sourceIpAddress"))

    @property
    def user_agent(self) -> str | None:
        return text(self.get("userAgent"))

    @property
    def is_global(self) -> bool | None:
        value = self.get("isGlobal")
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return None

    @property
    def raw_request_parameters(self) -> Mapping[str, Any] | None:
        """`requestParameters` exactly as recorded (an object; tolerated as JSON text)."""
        return load_json_object(self.get("requestParameters"))

    @property
    def request_parameter_json(self) -> Mapping[str, Any] | None:
        """`requestParameterJson`, decoded when it is JSON text."""
        return load_json_object(self.get("requestParameterJson"))

    @cached_property
    def request_parameters(self) -> Mapping[str, Any]:
        """Normalised parameters (see `params.normalise`), read-only."""
        normalised = normalise(self.get("requestParameters"), self.get("requestParameterJson"))
        frozen: MappingProxyType[str, Any] = freeze(normalised)
        return frozen

    @property
    def response_elements(self) -> Mapping[str, Any] | None:
        return load_json_object(self.get("responseElements"))

    @property
    def referenced_resources(self) -> Mapping[str, Any] | None:
        return mapping(self.get("referencedResources"))
