"""Resource Sharing through the Log Service trigger on the trail's logstore (python3.12 credentials)."""

from __future__ import annotations

from typing import Any

import pytest
from alibabacloud_resourcesharing20200110 import models as rs_models

from localcloud import LocalCloud
from localcloud.oracle import can_use
from localcloud.state import SNAPSHOT_ROLE
from tests.e2e.conftest import create_share, e2e_seed, list_associations, settle, sharing, usable
from tests.localcloud.conftest import SHAREE, SHARER


@pytest.fixture
def seed() -> dict[str, Any]:
    return e2e_seed(eventbridge=False)  # the Log Service trigger only


def test_image_and_snapshot_become_usable_when_sharetrust_repeats_the_share(
    lc: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARETRUST_RETRY_FAILED_SHARES", "true")
    # The snapshot role does not exist: Resource Sharing fails the association with AssumeRoleError.
    share_id = create_share(lc, "app-share", [("Image", "m-cmk0001"), ("Snapshot", "s-cmk0001")], [SHAREE])
    settle(lc)
    assert SNAPSHOT_ROLE.lower() in lc.cloud.ram_of(SHARER).roles
    for resource in ("m-cmk0001", "s-cmk0001"):
        assert usable(lc, SHAREE, resource), can_use(lc.cloud, SHAREE, resource).reason
    assert [a.association_status for a in list_associations(lc, share_id)] == ["Associated"]


def test_without_the_repeat_setting_the_users_own_retry_succeeds(lc: LocalCloud) -> None:
    share_id = create_share(lc, "snap-share", [("Snapshot", "s-cmk0001")], [SHAREE])
    settle(lc)
    assert not usable(lc, SHAREE, "s-cmk0001")  # failed share, not repeated on the user's behalf
    assert [a.association_status for a in list_associations(lc, share_id)] == ["Failed"]
    sharing(lc).associate_resource_share(
        rs_models.AssociateResourceShareRequest(resource_share_id=share_id, targets=[SHAREE])
    )
    settle(lc)
    assert usable(lc, SHAREE, "s-cmk0001"), can_use(lc.cloud, SHAREE, "s-cmk0001").reason


@pytest.mark.parametrize("seed", [e2e_seed(trail_logs=False)], ids=["eventbridge-only"])
def test_eventbridge_alone_never_hears_of_resource_sharing(lc: LocalCloud) -> None:
    """Deployed with the EventBridge trigger only, a Resource Sharing share goes unseen: EventBridge
    carries no Resource Sharing ActionTrail event, and the AssociationStatusChange it publishes when the
    association settles does not match sharetrust's `:ActionTrail:ApiCall` rule (production-facts.md,
    "Event sources"). The Log Service trigger on the trail's logstore is the path that sees it."""
    mark = lc.requests.mark()
    share_id = create_share(lc, "unseen", [("Image", "m-cmk0001")], [SHAREE])
    assert [a.association_status for a in list_associations(lc, share_id)] == ["Associated"]
    settle(lc)
    assert lc.requests.counts(since=mark, writes_only=True) == {"ResourceSharing:CreateResourceShare": 1}
    assert can_use(lc.cloud, SHAREE, "m-cmk0001").missing_link == "trust"  # shared; no role prepared for it
