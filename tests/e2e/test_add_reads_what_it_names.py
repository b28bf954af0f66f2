"""An add reads only what its events name, plus the role and its policies: its calls do not grow with the
account. The same add on an account with 1 or 40 other shared images (each shared through ECS and through
a resource share) makes exactly the same calls, counted by action in the local cloud's request log."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

import pytest
from alibabacloud_resourcesharing20200110 import models as rs_models

from localcloud import LocalCloud
from sharetrust.entry import reconcile, run
from tests.e2e.conftest import create_share, e2e_seed, share_image, sharer_environ, sharing, usable
from tests.e2e.test_safety import trail_events
from tests.localcloud.conftest import CMK, HZ, OUTSIDER, SHAREE, SHARER

# The role, read to plan, read again under the lease lock, and read to verify the write; the lock itself.
ROLE_WRITE = {
    "Ram:GetRole": 3,
    "Ram:GetPolicy": 3,
    "Ram:ListPoliciesForRole": 3,
    "Ram:CreatePolicy": 1,
    "Ram:DeletePolicy": 1,
    "Ram:UpdateRole": 1,
}
KEY = {"Kms:DescribeKey": 1, "Kms:ListAliasesByKeyId": 1}
IMAGE = {"Ecs:DescribeImages": 1, "Ecs:DescribeSnapshots": 1}


def bulk_seed(images: int) -> dict[str, Any]:
    """The e2e estate plus `images` encrypted images, each shared with OUTSIDER through ECS and through a
    resource share of its own."""
    seed = e2e_seed(eventbridge=False, trail_logs=False)  # the test hands sharetrust the events itself
    sharer = seed["accounts"][0]
    for n in range(images):
        sharer["snapshots"].append({"id": f"s-bulk{n:04d}", "region": HZ, "encrypted": True, "kms_key_id": CMK})
        sharer["images"].append(
            {
                "id": f"m-bulk{n:04d}",
                "region": HZ,
                "name": f"bulk{n}",
                "disks": [{"snapshot_id": f"s-bulk{n:04d}"}],
                "shared_with": [OUTSIDER],
            }
        )
    sharer["resource_shares"] = [
        {
            "id": f"rs-bulk{n:04d}",
            "region": HZ,
            "allow_external": True,
            "resources": [{"id": f"m-bulk{n:04d}", "type": "Image"}],
            "targets": [{"id": OUTSIDER}],
        }
        for n in range(images)
    ]
    return seed


@pytest.fixture(params=[1, 40], ids=["1-shared-image", "40-shared-images"])
def seed(request: pytest.FixtureRequest) -> dict[str, Any]:
    return bulk_seed(request.param)


@pytest.fixture
def converged(lc: LocalCloud) -> LocalCloud:
    """sharetrust has converged every share of the account (OUTSIDER trusted, the CMK granted)."""
    assert reconcile(environ=sharer_environ(lc), log_stream=io.StringIO()).ok
    return lc


def handle(lc: LocalCloud, event_name: str) -> Counter[str]:
    """sharetrust handles the trail's `event_name` event; the calls it made, by action."""
    events = [e for e in trail_events(lc) if e["eventName"] == event_name]
    assert len(events) == 1, [e["eventName"] for e in trail_events(lc)]
    mark = lc.requests.mark()
    summary = run([events], environ=sharer_environ(lc), log_stream=io.StringIO())
    assert summary.ok, summary.errors
    return lc.requests.counts(since=mark)


def test_an_ecs_share_reads_its_image_only(converged: LocalCloud) -> None:
    lc = converged
    share_image(lc, "m-cmk0001", SHAREE)
    calls = handle(lc, "ModifyImageSharePermission")
    assert calls == {**IMAGE, "Ecs:DescribeImageSharePermission": 1, **KEY, **ROLE_WRITE}
    assert usable(lc, SHAREE, "m-cmk0001")


def test_targets_joining_a_share_read_that_share_only(converged: LocalCloud) -> None:
    lc = converged
    share_id = create_share(lc, "app", [("Image", "m-cmk0001")], [OUTSIDER])
    lc.requests.mark()
    sharing(lc).associate_resource_share(
        rs_models.AssociateResourceShareRequest(resource_share_id=share_id, targets=[SHAREE])
    )
    calls = handle(lc, "AssociateResourceShare")
    # The share's resources and its targets, then its image; no ECS share permissions (additions through
    # Resource Sharing need none).
    assert calls == {
        "ResourceSharing:ListResourceShareAssociations": 2,
        **IMAGE,
        **KEY,
        **ROLE_WRITE,
    }
    assert usable(lc, SHAREE, "m-cmk0001")


def test_a_new_share_finds_its_share_by_its_resource(converged: LocalCloud) -> None:
    lc = converged
    create_share(lc, "app", [("Image", "m-cmk0001")], [SHAREE])
    calls = handle(lc, "CreateResourceShare")
    # The event names no share id: the shares holding the image, then their resources and targets.
    assert calls == {
        "ResourceSharing:ListResourceShareAssociations": 3,
        **IMAGE,
        **KEY,
        **ROLE_WRITE,
    }
    assert usable(lc, SHAREE, "m-cmk0001")


def test_an_event_claiming_another_account_is_not_taken_at_its_word(converged: LocalCloud) -> None:
    """Without a setting or FC context naming the account, the events' account is taken only when the
    reads confirm it: here the image is the credentials' own (SHARER's), the event says OUTSIDER's."""
    lc = converged
    share_image(lc, "m-cmk0001", SHAREE)
    (event,) = [e for e in trail_events(lc) if e["eventName"] == "ModifyImageSharePermission"]
    claimed = {**event, "userIdentity": {**event["userIdentity"], "accountId": OUTSIDER, "principalId": OUTSIDER}}
    mark = lc.requests.mark()
    summary = run([[claimed]], environ=sharer_environ(lc), log_stream=io.StringIO())
    assert summary.ok and summary.signals == 0
    assert summary.ignored[0]["reason"] == f"event of account {OUTSIDER}; these credentials act for {SHARER}"
    assert lc.requests.counts(since=mark, writes_only=True) == {}
    assert lc.requests.counts(since=mark)["Sts:GetCallerIdentity"] == 1  # the image's owner disagreed: asked
    assert not usable(lc, SHAREE, "m-cmk0001")
