"""Twenty invocations at once, each for a different sharee of the same role, while the shares happen."""

from __future__ import annotations

import json
import threading
from typing import Any

import fc2
import pytest

from localcloud import LocalCloud
from localcloud.oracle import can_use
from tests.e2e.conftest import e2e_seed, share_image
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import KEYS, SHARER

CROWD = [f"70000000000000{n:02d}" for n in range(20)]


@pytest.fixture
def seed() -> dict[str, Any]:
    seed = e2e_seed(eventbridge=False, trail_logs=False)  # the test invokes the function itself
    seed["accounts"] += [{"uid": uid, "name": f"sharee-{uid[-2:]}"} for uid in CROWD]
    return seed


def test_twenty_concurrent_invocations_for_one_role_all_end_trusted(lc: LocalCloud) -> None:
    client = fc2.Client(endpoint=lc.url, accessKeyID=KEYS[SHARER][0], accessKeySecret=KEYS[SHARER][1], Timeout=300)
    start = threading.Barrier(len(CROWD))
    failures: list[str] = []

    def share_then_invoke(uid: str) -> None:
        start.wait()
        try:
            share_image(lc, "m-cmk0001", uid)
            event = {
                **FORGED,
                "eventId": f"00000000-0000-4000-8000-0000000000{uid[-2:]}",
                "requestParameters": {**FORGED["requestParameters"], "AddAccount.1": uid},
            }
            response = client.invoke_function("sharetrust", "on-share-event", payload=json.dumps(event))
            if response.headers.get("X-Fc-Error-Type") or response.headers.get("x-fc-error-type"):
                failures.append(f"{uid}: {response.data!r}")
        except Exception as failed:  # collected and asserted below, with the sharee that failed
            failures.append(f"{uid}: {failed!r}")

    threads = [threading.Thread(target=share_then_invoke, args=(uid,)) for uid in CROWD]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not failures, failures
    unusable = {
        uid: can_use(lc.cloud, uid, "m-cmk0001").reason
        for uid in CROWD
        if not can_use(lc.cloud, uid, "m-cmk0001").usable
    }
    assert unusable == {}
    assert lc.cloud.ram_of(SHARER).policies.keys() == {"sharetrust-image-share-keys"}  # every lock released
