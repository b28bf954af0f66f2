"""The role lock heals: two calls uncontended, an expired or foreign-shaped lease taken over at once,
a live one waited for (logged, bounded by the deadline), never someone else's lease deleted."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from localcloud import LocalCloud
from sharetrust.apply.role_lock import LockTimeout, RoleLock
from sharetrust.cloud.credentials import Credentials
from sharetrust.cloud.endpoints import Endpoints
from sharetrust.cloud.ram import RamGateway
from sharetrust.cloud.session import CloudSession
from sharetrust.deadline import Deadline
from tests.e2e.conftest import e2e_seed
from tests.localcloud.conftest import KEYS, SHARER

ROLE = "AliyunECSShareEncryptImageDefaultRole"
NAME = RoleLock.policy_name(ROLE)


@pytest.fixture
def seed() -> dict[str, Any]:
    return e2e_seed(eventbridge=False, trail_logs=False)


def ram(lc: LocalCloud, seconds: float = 30) -> tuple[RamGateway, Deadline]:
    deadline = Deadline.after(seconds)
    session = CloudSession(
        Credentials(*KEYS[SHARER]), Endpoints.from_environment({"SHARETRUST_ENDPOINT": lc.url}), deadline=deadline
    )
    return RamGateway(session), deadline


def lock_calls(lc: LocalCloud, since: int) -> list[str]:
    return [
        f"{e.action} {e.code}".strip()
        for e in lc.requests.entries()[since:]
        if e.product == "Ram" and e.action in ("CreatePolicy", "GetPolicy", "DeletePolicy")
    ]


def description(lc: LocalCloud) -> str | None:
    policy = lc.cloud.ram_of(SHARER).policies.get(NAME)
    return None if policy is None else str(policy.description)


def test_uncontended_it_costs_two_calls_and_leaves_nothing(lc: LocalCloud) -> None:
    gateway, deadline = ram(lc)
    mark = lc.requests.mark()
    with RoleLock(gateway, deadline).hold(ROLE):
        held = description(lc)
    assert held is not None and "holder=" in held and "until=" in held
    assert lock_calls(lc, mark) == ["CreatePolicy", "DeletePolicy"]
    assert description(lc) is None


@pytest.mark.parametrize("stale", ["sharetrust lock holder=dead until=1000", "written by hand"])
def test_an_expired_or_unreadable_lease_is_taken_over_at_once(lc: LocalCloud, stale: str) -> None:
    gateway, deadline = ram(lc)
    gateway.create_lock(NAME, stale)
    notes: list[str] = []
    slept: list[float] = []
    mark = lc.requests.mark()
    with RoleLock(gateway, deadline, note=notes.append, sleep=slept.append).hold(ROLE):
        assert "holder=dead" not in (description(lc) or "")
    assert slept == []  # no waiting on a dead holder
    assert lock_calls(lc, mark) == [
        "CreatePolicy EntityAlreadyExists.Policy",
        "GetPolicy",
        "DeletePolicy",
        "CreatePolicy",
        "DeletePolicy",
    ]
    assert notes and "taking over the expired lock" in notes[0]


def test_a_live_lease_is_waited_for_with_a_note_then_taken(lc: LocalCloud) -> None:
    gateway, deadline = ram(lc)
    other, _ = ram(lc)
    until = time.time() + 30
    other.create_lock(NAME, f"sharetrust lock holder=other until={until:.0f}")
    threading.Timer(1.0, other.delete_policy, args=(NAME,)).start()  # the other holder finishes
    notes: list[str] = []
    with RoleLock(gateway, deadline, note=notes.append).hold(ROLE):
        assert "holder=other" not in (description(lc) or "")
    assert len(notes) == 1 and "waiting for holder other, lease until" in notes[0]
    assert description(lc) is None


def test_waiting_ends_before_the_deadline_and_never_deletes_the_other_lease(lc: LocalCloud) -> None:
    gateway, deadline = ram(lc, seconds=2)
    until = time.time() + 300
    gateway.create_lock(NAME, f"sharetrust lock holder=other until={until:.0f}")
    refused = pytest.raises(LockTimeout, match=r"locked by holder other until .* deadline is near")
    with refused, RoleLock(gateway, deadline).hold(ROLE):
        pytest.fail("acquired a lock someone else holds")
    assert "holder=other" in (description(lc) or "")
