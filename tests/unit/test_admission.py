"""admit(): which decoded events an invocation acts on. Pure: plain intakes in, an Admission out."""

from __future__ import annotations

from typing import Any

from sharetrust.admission import Skipped, admit
from sharetrust.events import Ignored, ShareSignal, decode
from sharetrust.model import INVALID_TARGET_REASON

SHARER = "1111111111111111"
SHAREE = "2222222222222222"


def event(n: int, *, account: str = SHARER, error: str = "", **params: Any) -> ShareSignal:
    raw = {
        "eventId": f"00000000-0000-4000-8000-{n:012d}",
        "eventType": "ApiCall",
        "eventName": "ModifyImageSharePermission",
        "serviceName": "Ecs",
        "acsRegion": "cn-hangzhou",
        "requestParameters": {"RegionId": "cn-hangzhou", "ImageId": "m-1", "AddAccount.1": SHAREE, **params},
        "userIdentity": {"type": "root-account", "accountId": account},
        "errorCode": error,
    }
    (signal,) = decode(raw)
    assert isinstance(signal, ShareSignal), signal
    return signal


def test_signals_of_this_account_are_admitted_in_order() -> None:
    first, second = event(1), event(2)
    admitted = admit([first, second], SHARER)
    assert admitted.signals == [first, second] and admitted.events_seen == 2
    assert admitted.skipped == [] and admitted.broken == [] and admitted.warnings == []


def test_what_is_not_acted_on_says_why() -> None:
    junk = Ignored(None, "ignored: not JSON (Expecting value at line 1 column 1)")
    foreign = event(3, account="9999999999999999")
    admitted = admit([junk, event(1), event(1), foreign], SHARER)
    assert [s.event_id for s in admitted.signals] == [event(1).event_id]
    assert admitted.skipped == [
        Skipped(None, "not JSON (Expecting value at line 1 column 1)"),
        Skipped(event(1).event_id, "duplicate delivery of an event already in this batch"),
        Skipped(foreign.event_id, f"event of account 9999999999999999; these credentials act for {SHARER}"),
    ]
    assert admitted.events_seen == 4


def test_a_refusal_no_role_fixes_is_broken_with_its_remedy_and_not_admitted() -> None:
    admitted = admit([event(1, error="OperationDeined.FullImage")], SHARER)
    assert admitted.signals == []
    (broken,) = admitted.broken
    assert broken["code"] == "OperationDeined.FullImage" and broken["targets"] == [SHAREE]
    assert "share its snapshots" in broken["remedy"]
    assert admit([event(1, error="AssumeRoleError")], SHARER).signals  # the one refusal a role fixes


def test_invalid_targets_are_warnings_beside_the_signal() -> None:
    admitted = admit([event(1, **{"AddAccount.2": " 42"})], SHARER)
    assert len(admitted.signals) == 1
    assert admitted.warnings == [
        f"event {event(1).event_id}: invalid target AddAccount.2= 42 ({INVALID_TARGET_REASON})"
    ]
