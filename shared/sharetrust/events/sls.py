"""The Log Service side: the FC SLS trigger payload (a cursor range) and one pulled log row.

The trigger carries cursors, not logs (events.md §3); pulling them is I/O and belongs to the shell.
This module only turns the payload into a `LogRange` and a pulled row into an ActionTrail event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sharetrust.events.actiontrail import ActionTrailEvent
from sharetrust.events.classify import Envelope, classify
from sharetrust.events.common import DictWrapper, freeze, integer, mapping, show, text, type_name
from sharetrust.events.signals import Ignored, LogRange, ShareSignal

# `actiontrail_audit_event` is the documented topic; `actiontrail_event` is the older layout.
ACTIONTRAIL_TOPICS = frozenset({"actiontrail_audit_event", "actiontrail_event"})


class SlsTriggerEvent(DictWrapper):
    """What FC passes a function behind a Log Service (`log`) trigger (events.md fixture F)."""

    @property
    def source(self) -> Mapping[str, Any]:
        return mapping(self.get("source")) or {}

    @property
    def endpoint(self) -> str | None:
        return text(self.source.get("endpoint"))

    @property
    def project_name(self) -> str | None:
        return text(self.source.get("projectName"))

    @property
    def logstore_name(self) -> str | None:
        return text(self.source.get("logstoreName"))

    @property
    def shard_id(self) -> int | None:
        return integer(self.source.get("shardId"))

    @property
    def begin_cursor(self) -> str | None:
        return text(self.source.get("beginCursor"))

    @property
    def end_cursor(self) -> str | None:
        return text(self.source.get("endCursor"))

    @property
    def job_name(self) -> str | None:
        return text(self.get("jobName"))

    @property
    def task_id(self) -> str | None:
        """Unique per invocation."""
        return text(self.get("taskId"))

    @property
    def cursor_time(self) -> int | None:
        """UNIX time of the last log in the batch."""
        return integer(self.get("cursorTime"))

    @property
    def parameter(self) -> Mapping[str, Any]:
        """The trigger's `functionParameter`."""
        return mapping(self.get("parameter")) or {}

    def to_range(self) -> LogRange | Ignored:
        """The range to pull, or `Ignored` naming the first field that is missing or wrong."""
        if not isinstance(self.get("source"), Mapping):
            return Ignored(self.task_id, f"ignored: SLS trigger payload source is {type_name(self.get('source'))}")
        required: dict[str, Any] = {
            "projectName": self.project_name,
            "logstoreName": self.logstore_name,
            "shardId": self.shard_id,
            "beginCursor": self.begin_cursor,
            "endCursor": self.end_cursor,
        }
        for key, value in required.items():
            if value is None:
                given = self.source.get(key)
                shown = repr(given) if isinstance(given, str) else show(given)
                what = "missing" if given is None else f"{type_name(given)} {shown}"
                return Ignored(self.task_id, f"ignored: SLS trigger payload has no usable source.{key} ({what})")
        project, logstore, shard, begin, end = (
            self.project_name,
            self.logstore_name,
            self.shard_id,
            self.begin_cursor,
            self.end_cursor,
        )
        assert project and logstore and shard is not None and begin and end  # checked just above
        return LogRange(
            project=project,
            logstore=logstore,
            shard_id=shard,
            begin_cursor=begin,
            end_cursor=end,
            endpoint=self.endpoint,
            job_name=self.job_name,
            task_id=self.task_id,
            cursor_time=self.cursor_time,
            parameter=freeze(self.parameter),
        )


def parse_log_row(contents: Mapping[str, Any]) -> ActionTrailEvent | Ignored:
    """The ActionTrail event in one pulled SLS log: `json.loads(row["event"])` (events.md §2).

    Any row with an `event` field is read, whatever its `__topic__`, since the older layout's topic
    differs and its ingestion path is unconfirmed.
    """
    if not isinstance(contents, Mapping):
        return Ignored(None, f"ignored: log row is {type_name(contents)}, not an object")
    topic = text(contents.get("__topic__"))
    raw = contents.get("event")
    if raw is None:
        return Ignored(None, f"ignored: log row (topic {topic or 'none'}) has no event field")
    if isinstance(raw, Mapping):  # already decoded by whoever flattened the row
        return ActionTrailEvent(raw)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            return Ignored(None, f"ignored: log row event field is not UTF-8 ({error.reason})")
    if not isinstance(raw, str):
        return Ignored(None, f"ignored: log row event field is {type_name(raw)}, not JSON text")
    try:
        event = json.loads(raw)
    except json.JSONDecodeError as error:
        return Ignored(
            None,
            f"ignored: log row event field is not JSON ({error.msg} at line {error.lineno} column {error.colno})",
        )
    except (ValueError, RecursionError) as error:
        return Ignored(None, f"ignored: log row event field is not JSON ({type(error).__name__})")
    if not isinstance(event, Mapping):
        return Ignored(None, f"ignored: log row event field holds {type_name(event)}, not an object")
    return ActionTrailEvent(event)


def decode_log_row(contents: Mapping[str, Any]) -> ShareSignal | Ignored:
    """`parse_log_row`, then classify: what the SLS shell calls for every pulled log. Never raises."""
    try:
        return _decode_log_row(contents)
    except RecursionError:
        return Ignored(None, "ignored: a log row nested too deeply to read")
    except Exception as error:  # one bad row must not cost the rest of the pulled range
        return Ignored(None, f"ignored: decoder error {type(error).__name__} on a log row")


def _decode_log_row(contents: Mapping[str, Any]) -> ShareSignal | Ignored:
    event = parse_log_row(contents)
    if isinstance(event, Ignored):
        return event
    # In a single-account trail the event may lack userIdentity.accountId (system identities);
    # the older layout's `owner_id` field is the account then.
    owner = text(contents.get("owner_id")) if isinstance(contents, Mapping) else None
    return classify(event, Envelope(account_id=owner))
