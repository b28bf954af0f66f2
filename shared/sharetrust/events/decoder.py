"""`decode`: any payload a sharetrust function receives, to a list of intakes. Never raises.

Accepted, alone or in a JSON list (lists may nest): an EventBridge CloudEvent, an FC SLS trigger
payload, a raw ActionTrail event, or a pulled SLS log row (`{"__topic__": …, "event": "…"}`).
FC hands Python 3 event handlers `bytes` (events.md §5); tests and the CLI pass `str` or objects.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

from sharetrust.events.actiontrail import ActionTrailEvent
from sharetrust.events.classify import Envelope, classify, classify_association
from sharetrust.events.cloudevent import AssociationStatusChange, CloudEvent, is_association_status_change
from sharetrust.events.common import type_name
from sharetrust.events.signals import Ignored, Intake
from sharetrust.events.sls import SlsTriggerEvent, decode_log_row

# Deeper nesting is not a real payload; stopping early also keeps recursion bounded.
MAX_DEPTH = 16
_ACTIONTRAIL_KEYS = ("eventName", "eventId", "eventType", "serviceName", "userIdentity", "eventVersion")


def decode(payload: bytes | bytearray | memoryview | str | object) -> list[Intake]:
    """Every item of `payload`, as a ShareSignal, a LogRange or an Ignored (in payload order)."""
    out: list[Intake] = []
    _guarded(lambda: _decode_into(payload, out, depth=0), out)
    return out


def _guarded(step: Callable[[], object], out: list[Intake]) -> None:
    """Runs one decoding step; a failure becomes an Ignored for that item alone, never an exception."""
    try:
        step()
    except RecursionError:
        out.append(Ignored(None, "ignored: an object nested too deeply to read"))
    except Exception as error:  # a decoder bug must not cost the rest of the batch
        out.append(Ignored(None, f"ignored: decoder error {type(error).__name__}: {_short(error)}"))


def _short(error: BaseException) -> str:
    try:
        shown = str(error)
    except Exception:  # a message that cannot even be rendered
        shown = "?"
    return shown if len(shown) <= 200 else shown[:199] + "…"


def _decode_into(payload: object, out: list[Intake], depth: int) -> None:
    if depth > MAX_DEPTH:
        out.append(Ignored(None, f"ignored: payload nested deeper than {MAX_DEPTH} levels"))
        return
    if isinstance(payload, (bytes, bytearray, memoryview)):
        try:
            payload = bytes(payload).decode("utf-8-sig")  # tolerate a byte-order mark
        except UnicodeDecodeError as error:
            out.append(Ignored(None, f"ignored: not UTF-8 ({error.reason} at byte {error.start})"))
            return
    if isinstance(payload, str):
        loaded = _load_json(payload)
        if isinstance(loaded, Ignored):
            out.append(loaded)
            return
        if isinstance(loaded, str):
            # A JSON string holding JSON (double encoding) is unwrapped once; plain text is not ours.
            if loaded.lstrip()[:1] in ("{", "[") and depth == 0:
                _decode_into(loaded, out, depth + 1)
            else:
                out.append(Ignored(None, "ignored: payload is a JSON string, not an object or a list"))
            return
        payload = loaded
    if isinstance(payload, (list, tuple)):
        for item in payload:
            if isinstance(item, (list, tuple, Mapping)):
                _guarded(functools.partial(_decode_into, item, out, depth + 1), out)
            else:
                out.append(Ignored(None, f"ignored: list item is {type_name(item)}, not an object"))
        return
    if isinstance(payload, Mapping):
        out.append(decode_object(payload))
        return
    out.append(Ignored(None, f"ignored: payload is {type_name(payload)}, not an object or a list"))


def _load_json(textual: str) -> Any:
    try:
        return json.loads(textual)
    except json.JSONDecodeError as error:
        return Ignored(None, f"ignored: not JSON ({error.msg} at line {error.lineno} column {error.colno})")
    except RecursionError:
        return Ignored(None, "ignored: not JSON (nested too deeply to read)")
    except ValueError as error:  # e.g. the text holds lone surrogates json cannot map
        return Ignored(None, f"ignored: not JSON ({error})")


def decode_object(obj: Mapping[str, Any]) -> Intake:
    """One JSON object: recognised by its shape, then classified."""
    if _is_cloudevent(obj):
        return decode_cloudevent(CloudEvent(obj))
    if isinstance(obj.get("source"), Mapping) or ("jobName" in obj and "source" in obj):
        return SlsTriggerEvent(obj).to_range()
    if "event" in obj and not any(k in obj for k in _ACTIONTRAIL_KEYS):
        return decode_log_row(obj)
    if any(k in obj for k in _ACTIONTRAIL_KEYS):
        return classify(ActionTrailEvent(obj))
    keys = ", ".join(sorted(str(k) for k in obj)[:8]) or "none"
    return Ignored(
        None,
        f"ignored: object is not a CloudEvent, SLS trigger payload, log row or ActionTrail event (keys: {keys})",
    )


def _is_cloudevent(obj: Mapping[str, Any]) -> bool:
    # `specversion` is the CloudEvents marker; a bare `data` beside no ActionTrail key is an
    # envelope too, so a broken one is reported as such rather than as an unknown object.
    if "specversion" in obj or "aliyunaccountid" in obj:
        return True
    return "data" in obj and not any(k in obj for k in _ACTIONTRAIL_KEYS)


def decode_cloudevent(envelope: CloudEvent) -> Intake:
    """The ActionTrail event in `data`, with the envelope's account and region as fallbacks; or
    Resource Sharing's AssociationStatusChange."""
    if is_association_status_change(envelope):
        return classify_association(AssociationStatusChange(envelope.raw_event))
    label = f"CloudEvent {envelope.id}" if envelope.id else "CloudEvent without id"
    raw = envelope.raw_data
    if raw is None:
        return Ignored(envelope.id, f"ignored: {label} has no data")
    data = envelope.data_object
    if data is None:
        return Ignored(envelope.id, f"ignored: {label} data is {type_name(raw)}, not an object")
    carrier = Envelope(
        account_id=envelope.aliyunaccountid,
        region=envelope.aliyunregionid,
        event_id=None,
        delivery_key=envelope.dedupe_key,
    )
    result = classify(ActionTrailEvent(data), carrier)
    if isinstance(result, Ignored) and result.event_id is None and envelope.id is not None:
        return Ignored(envelope.id, result.reason.replace("ignored: ", f"ignored: {label}: ", 1))
    return result


def describe(intake: Intake) -> str:
    """One line for any intake (they all have `describe()`; this reads better at call sites)."""
    return intake.describe()
