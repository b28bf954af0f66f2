"""A removal rests only on facts read in this invocation: with a region skipped or failing, nothing is
pruned, the summary says why, and a failed read fails the invocation so it is retried."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.faults import FaultRule
from sharetrust.entry import reconcile, run
from sharetrust.report import Summary
from tests.e2e.conftest import modify_share, sharer_environ, trusted_accounts, two_region_seed, usable
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import HZ, OUTSIDER, SH, SHAREE


@pytest.fixture
def seed() -> dict[str, Any]:
    return two_region_seed()


def event(n: int, image: str, *, add: str | None = None, remove: str | None = None) -> str:
    params: dict[str, Any] = {"RegionId": HZ, "ImageId": image}
    if add:
        params["AddAccount.1"] = add
    if remove:
        params["RemoveAccount.1"] = remove
    return json.dumps({**FORGED, "eventId": f"00000000-0000-4000-8000-{n:012d}", "requestParameters": params})


def sharetrust(lc: LocalCloud, payload: str, **settings: str) -> Summary:
    return run([payload], environ=sharer_environ(lc, **settings), log_stream=io.StringIO())


@pytest.fixture
def shared_in_two_regions(lc: LocalCloud) -> LocalCloud:
    """SHAREE uses a cn-hangzhou image, OUTSIDER a cn-shanghai one; sharetrust converged both."""
    modify_share(lc, HZ, "m-cmk0001", add=SHAREE)
    modify_share(lc, SH, "m-sh00001", add=OUTSIDER)
    # An add reads only what its event names, so a reconcile converges both regions.
    assert reconcile(environ=sharer_environ(lc), log_stream=io.StringIO()).ok
    assert usable(lc, SHAREE, "m-cmk0001") and usable(lc, OUTSIDER, "m-sh00001")
    return lc


def test_a_region_skipped_by_setting_prunes_nothing_and_says_why(shared_in_two_regions: LocalCloud) -> None:
    lc = shared_in_two_regions
    modify_share(lc, HZ, "m-cmk0001", remove=SHAREE)
    mark = lc.requests.mark()
    summary = sharetrust(lc, event(2, "m-cmk0001", remove=SHAREE), SHARETRUST_REGIONS=HZ)
    assert usable(lc, OUTSIDER, "m-sh00001"), "a partial view removed a cn-shanghai sharee's access"
    assert lc.requests.counts(since=mark, writes_only=True) == {}
    assert summary.ok  # retrying cannot change a setting; the warning says what to do
    assert trusted_accounts(lc) == {SHAREE, OUTSIDER}
    (role,) = summary.roles
    assert "cn-shanghai: not read: not in SHARETRUST_REGIONS" in role["prune_skipped"]
    assert any("nothing removed: the view is partial" in w for w in summary.warnings)
    # With every region read, the same event removes exactly the unshared sharee.
    complete = sharetrust(lc, event(2, "m-cmk0001", remove=SHAREE))
    assert complete.ok and complete.principals_removed == [f"account:{SHAREE}"]
    assert trusted_accounts(lc) == {OUTSIDER} and usable(lc, OUTSIDER, "m-sh00001")


def test_a_failing_read_prunes_nothing_and_fails_the_invocation(shared_in_two_regions: LocalCloud) -> None:
    lc = shared_in_two_regions
    modify_share(lc, HZ, "m-cmk0001", remove=SHAREE)
    lc.faults.configure([FaultRule("throttle", "Ecs:DescribeSnapshots", retry_after_ms=1)])
    mark = lc.requests.mark()
    summary = sharetrust(lc, event(2, "m-cmk0001", remove=SHAREE))
    assert lc.requests.counts(since=mark, writes_only=True) == {}
    assert trusted_accounts(lc) == {SHAREE, OUTSIDER} and usable(lc, OUTSIDER, "m-sh00001")
    assert not summary.ok  # so the platform delivers the event again
    assert any("reading cn-hangzhou failed" in e and "Throttling" in e for e in summary.errors)
    assert "the view is partial" in summary.roles[0]["prune_skipped"]
    lc.faults.clear()
    retried = sharetrust(lc, event(2, "m-cmk0001", remove=SHAREE))
    assert retried.ok and trusted_accounts(lc) == {OUTSIDER}
