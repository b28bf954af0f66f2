"""Building blocks shared by the event data classes: a read-only dict wrapper and tolerant coercions.

Everything here is pure: no I/O, no SDK imports. The coercions never raise; a value of the wrong
type reads as None, because ActionTrail's shapes vary (events.md §1.1) and a bad field must turn
into an `Ignored` reason, not an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any


class DictWrapper(Mapping[str, Any]):
    """A read-only view of one decoded JSON object, in the style of Powertools' data classes.

    Subclasses add typed properties; the raw dict stays reachable as `raw_event` for logging.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DictWrapper):
            return type(self) is type(other) and self._data == other._data
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # wraps a mutable dict

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    @property
    def raw_event(self) -> Mapping[str, Any]:
        return self._data


# No id or number sharetrust reads is longer; str() of a Python int over 4300 digits even raises.
MAX_INT_BITS = 128


def text(value: Any) -> str | None:
    """A non-empty string, or an integer rendered as one (ids sometimes arrive as JSON numbers)."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= MAX_INT_BITS:
        return str(value)
    return None


def show(raw: Any) -> str:
    """A value as it may appear in a reason: short, and never raising (repr() of a huge int does)."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw.bit_length() > MAX_INT_BITS:
        return f"a {raw.bit_length()}-bit integer"
    shown = "null" if raw is None else repr(raw) if not isinstance(raw, str) else raw
    return shown if len(shown) <= 80 else shown[:77] + "..."


def integer(value: Any) -> int | None:
    """An int, or a string of digits (SLS shard ids and cursor times are numbers, but be lenient)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value.bit_length() <= MAX_INT_BITS else None
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,20}\s*", value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def type_name(value: Any) -> str:
    """How a JSON value is named in reasons: `null`, `int`, `list`, … rather than Python's `NoneType`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def freeze(value: Any) -> Any:
    """A deep read-only copy: dicts become mapping proxies and lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of `freeze`: plain dicts and lists, ready for json.dumps or an SDK request."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


_TIME = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"\s*(Z|UTC|GMT|PRC|CST|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE,
)
# EventBridge writes `aliyunpublishtime` as `…42.179PRC`; PRC (China Standard Time) is UTC+8.
_CHINA = timezone(timedelta(hours=8))


def parse_time(value: Any) -> datetime | None:
    """A timezone-aware datetime from the ISO-ish stamps Alibaba emits, or None; never raises.

    Accepts `Z`, `+08:00`, `+0800`, `PRC`/`CST` (China time) and 1–9 fractional digits, which
    `datetime.fromisoformat` on 3.10 does not. A stamp without a zone is taken as UTC.
    """
    if not isinstance(value, str):
        return None
    match = _TIME.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=_zone(zone),
        )
    except ValueError:  # e.g. month 13, or an offset of 24 h or more
        return None


def _zone(zone: str | None) -> timezone:
    if zone is None or zone.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    if zone.upper() in ("PRC", "CST"):
        return _CHINA
    digits = zone.replace(":", "")
    sign = -1 if digits[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5])))
