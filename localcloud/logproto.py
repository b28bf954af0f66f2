"""The Log Service protobuf messages (`LogGroup`, `LogGroupList`) and cursors, without protobuf.

Wire layout as in `aliyun/log/log_logs.proto` (proto2): Log{Time uint32 =1, Contents[] {Key,Value} =2,
Time_ns fixed32 =4}; LogGroup{Logs[] =1, Reserved =2, Topic =3, Source =4, MachineUUID =5,
LogTags[] =6}; LogGroupList{LogGroups[] =1}. Stored groups keep the bytes the client sent, so a
pull returns them verbatim; decoding is only for validation and for trigger metadata.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass, field

# Real cursors are base64 of a large integer; an offset keeps ours that shape (sdk-wire.md §2.2).
CURSOR_BASE = 1_700_000_000_000_000_000


class ProtoError(ValueError):
    """The bytes are not a well-formed message of the expected type."""


@dataclass
class Log:
    time: int
    contents: list[tuple[str, str]] = field(default_factory=list)
    time_ns: int | None = None


@dataclass
class LogGroup:
    logs: list[Log] = field(default_factory=list)
    topic: str = ""
    source: str = ""
    tags: list[tuple[str, str]] = field(default_factory=list)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise ProtoError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtoError("varint too long")


def fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yields (field number, wire type, int or bytes) for each field of one message."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtoError("field number 0")
        if wire == 0:
            value, pos = _read_varint(data, pos)
            yield number, wire, value
        elif wire == 1:
            if pos + 8 > len(data):
                raise ProtoError("truncated fixed64")
            yield number, wire, int.from_bytes(data[pos : pos + 8], "little")
            pos += 8
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise ProtoError("truncated length-delimited field")
            yield number, wire, data[pos : pos + length]
            pos += length
        elif wire == 5:
            if pos + 4 > len(data):
                raise ProtoError("truncated fixed32")
            yield number, wire, int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
        else:
            raise ProtoError(f"unsupported wire type {wire}")


def _text(value: int | bytes, what: str) -> str:
    if not isinstance(value, bytes):
        raise ProtoError(f"{what} must be length-delimited")
    # Values may be arbitrary bytes (LogGroupRaw); decoding is for inspection only.
    return value.decode("utf-8", "replace")


def _pair(data: int | bytes, what: str) -> tuple[str, str]:
    if not isinstance(data, bytes):
        raise ProtoError(f"{what} must be a message")
    key: str | None = None
    value: str | None = None
    for number, _, raw in fields(data):
        if number == 1:
            key = _text(raw, f"{what}.Key")
        elif number == 2:
            value = _text(raw, f"{what}.Value")
    if key is None or value is None:
        raise ProtoError(f"{what} lacks its required Key or Value")
    return key, value


def decode_log_group(data: bytes) -> LogGroup:
    group = LogGroup()
    for number, wire, raw in fields(data):
        if number == 1:
            if not isinstance(raw, bytes):
                raise ProtoError("Logs must be messages")
            group.logs.append(_decode_log(raw))
        elif number == 3:
            group.topic = _text(raw, "Topic")
        elif number == 4:
            group.source = _text(raw, "Source")
        elif number == 6:
            group.tags.append(_pair(raw, "LogTag"))
        elif wire != 2 and number in (2, 5):
            raise ProtoError(f"field {number} must be a string")
    return group


def _decode_log(data: bytes) -> Log:
    time: int | None = None
    log = Log(0)
    for number, wire, raw in fields(data):
        if number == 1:
            if wire != 0 or not isinstance(raw, int):
                raise ProtoError("Log.Time must be a varint")
            time = raw
        elif number == 2:
            log.contents.append(_pair(raw, "Log.Content"))
        elif number == 4:
            if wire != 5 or not isinstance(raw, int):
                raise ProtoError("Log.Time_ns must be fixed32")
            log.time_ns = raw
    if time is None:
        raise ProtoError("a Log lacks its required Time")
    log.time = time
    return log


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def encode_log_group(group: LogGroup) -> bytes:
    out = bytearray()
    for log in group.logs:
        body = _varint(1 << 3) + _varint(log.time)
        for key, value in log.contents:
            body += _field(2, _field(1, key.encode()) + _field(2, value.encode()))
        if log.time_ns is not None:
            body += _varint(4 << 3 | 5) + log.time_ns.to_bytes(4, "little")
        out += _field(1, body)
    out += _field(3, group.topic.encode())
    out += _field(4, group.source.encode())
    for key, value in group.tags:
        out += _field(6, _field(1, key.encode()) + _field(2, value.encode()))
    return bytes(out)


def encode_log_group_list(groups: list[bytes]) -> bytes:
    """A `LogGroupList` from already-serialized LogGroups."""
    return b"".join(_field(1, group) for group in groups)


def encode_cursor(index: int) -> str:
    return base64.b64encode(str(CURSOR_BASE + index).encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The shard position a cursor names; may be negative (before the start). Raises ValueError."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(f"cursor {cursor!r} is not base64") from None
    if not text.isdigit():
        raise ValueError(f"cursor {cursor!r} does not name a position")
    return int(text) - CURSOR_BASE
