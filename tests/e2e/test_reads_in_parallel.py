"""Independent reads run side by side in a bounded pool that backs off together: when one call is
throttled, no call of the invocation starts until the backoff the service asked for is over."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.faults import FaultRule
from sharetrust.entry import run
from tests.e2e.conftest import sharer_environ, usable
from tests.e2e.test_add_reads_what_it_names import bulk_seed
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import HZ, OUTSIDER

IMAGES = 40
BACKOFF_MS = 2000
SLACK = 0.5  # seconds after the refusal for calls already on their way to be answered


@pytest.fixture
def seed() -> dict[str, Any]:
    return bulk_seed(IMAGES)


def batch() -> str:
    """One event per image, each sharing it with OUTSIDER (which it is): forty share permissions to read."""
    return json.dumps(
        [
            {
                **FORGED,
                "eventId": f"00000000-0000-4000-8000-{n:012d}",
                "requestParameters": {"RegionId": HZ, "ImageId": f"m-bulk{n:04d}", "AddAccount.1": OUTSIDER},
            }
            for n in range(IMAGES)
        ]
    )


def test_a_throttled_read_pauses_every_read_of_the_invocation(lc: LocalCloud) -> None:
    lc.faults.configure(
        [
            FaultRule("latency", "Ecs:DescribeImageSharePermission", latency_ms=50),
            FaultRule("throttle", "Ecs:DescribeImageSharePermission", times=1, retry_after_ms=BACKOFF_MS),
        ]
    )
    mark = lc.requests.mark()
    summary = run([batch()], environ=sharer_environ(lc), log_stream=io.StringIO())
    assert summary.ok, summary.errors
    assert all(usable(lc, OUTSIDER, f"m-bulk{n:04d}") for n in range(IMAGES))
    calls = lc.requests.entries()[mark:]
    permissions = [e for e in calls if e.action == "DescribeImageSharePermission"]
    assert len(permissions) == IMAGES + 1  # each image once, and the throttled call again
    (refused,) = [e for e in permissions if e.code.startswith("Throttling")]
    resumed = refused.at + BACKOFF_MS / 1000
    # Nothing started while the pool was backing off...
    during = [f"{e.action} at +{e.at - refused.at:.2f} s" for e in calls if refused.at + SLACK < e.at < resumed]
    assert during == []
    # ...although reads were still to be made: they waited for the backoff instead of running on.
    after = [e for e in permissions if e.at >= resumed and not e.code]
    assert len(after) > 1, "the other reads had all finished: the test proves nothing"
    # Concurrent, and bounded: more than one and at most the pool's size of reads were ever in flight.
    assert 1 < max_in_flight(permissions, latency=0.05) <= 10


def max_in_flight(entries: list[Any], *, latency: float) -> int:
    """The most share-permission reads answered within one injected latency of each other."""
    times = sorted(e.at for e in entries)
    return max(sum(1 for t in times if start <= t < start + latency * 0.8) for start in times)
