"""Fifty invocations at once, each for a different sharee of the same role, while the shares happen.

An invocation that fails is invoked again, as Function Compute's asynchronous retries would (up to
three more rounds); every sharee must end trusted and granted, and the rounds it took are reported.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import fc2
import pytest

from localcloud import LocalCloud
from localcloud.oracle import can_use
from tests.e2e.conftest import FUNCTION_POLICY_NAMES, e2e_seed, share_image
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import KEYS, SHARER

CROWD = [f"70000000000000{n:02d}" for n in range(50)]
PLATFORM_RETRIES = 3  # FC's default maxAsyncRetryAttempts (events.md §6)


@pytest.fixture
def seed() -> dict[str, Any]:
    seed = e2e_seed(eventbridge=False, trail_logs=False)  # the test invokes the function itself
    seed["accounts"] += [{"uid": uid, "name": f"sharee-{uid[-2:]}"} for uid in CROWD]
    return seed


def event_for(uid: str) -> str:
    return json.dumps(
        {
            **FORGED,
            "eventId": f"00000000-0000-4000-8000-0000000000{uid[-2:]}",
            "requestParameters": {**FORGED["requestParameters"], "AddAccount.1": uid},
        }
    )


def test_fifty_concurrent_invocations_for_one_role_all_end_trusted_and_granted(
    lc: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    client = fc2.Client(endpoint=lc.url, accessKeyID=KEYS[SHARER][0], accessKeySecret=KEYS[SHARER][1], Timeout=300)
    summaries: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    lock = threading.Lock()

    def invoke(uid: str, start: threading.Barrier, share: bool) -> None:
        start.wait()
        try:
            if share:
                share_image(lc, "m-cmk0001", uid)
            response = client.invoke_function("sharetrust", "on-share-event", payload=event_for(uid))
            failed = response.headers.get("X-Fc-Error-Type") or response.headers.get("x-fc-error-type")
            with lock:
                if failed:
                    failures[uid] = str(response.data)[:300]
                else:
                    summaries[uid] = json.loads(response.data)
        except Exception as error:  # collected and asserted below, with the sharee that failed
            with lock:
                failures[uid] = repr(error)

    pending, rounds = list(CROWD), 0
    while pending and rounds <= PLATFORM_RETRIES:
        rounds += 1
        failures.clear()
        start = threading.Barrier(len(pending))
        threads = [threading.Thread(target=invoke, args=(uid, start, rounds == 1)) for uid in pending]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        pending = sorted(failures)
    assert not pending, failures
    unusable = {
        uid: can_use(lc.cloud, uid, "m-cmk0001").reason
        for uid in CROWD
        if not can_use(lc.cloud, uid, "m-cmk0001").usable
    }
    assert unusable == {}
    assert lc.cloud.ram_of(SHARER).policies.keys() - FUNCTION_POLICY_NAMES == {
        "sharetrust-image-share-keys"
    }  # every lock released
    attempts = [role["attempts"] for s in summaries.values() for role in s["roles"]]
    writers = sum(1 for s in summaries.values() for role in s["roles"] if role["writes"])
    with capsys.disabled():
        print(
            f"\n50 concurrent invocations: {rounds} invocation round(s), {writers} wrote the role, "
            f"at most {max(attempts)} converge attempt(s) within one invocation"
        )
