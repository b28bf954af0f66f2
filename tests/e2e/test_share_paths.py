"""From "cannot use" to "can use", through both triggers, for every kind of share."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.oracle import can_use
from localcloud.state import IMAGE_ROLE
from tests.e2e.conftest import (
    UNRELATED_STATEMENT,
    create_share,
    e2e_seed,
    settle,
    share_image,
    usable,
)
from tests.localcloud.conftest import FOLDER, MEMBER, RD, SHAREE, SHARER


@pytest.fixture
def seed() -> dict[str, Any]:
    return e2e_seed(trail_logs=False)  # EventBridge only


def test_image_shared_with_modify_image_share_permission_through_eventbridge(lc: LocalCloud) -> None:
    assert can_use(lc.cloud, SHAREE, "m-cmk0001").missing_link == "shared"
    share_image(lc, "m-cmk0001", SHAREE)
    assert can_use(lc.cloud, SHAREE, "m-cmk0001").missing_link == "trust"  # shared, but the role is not ready
    settle(lc)
    assert usable(lc, SHAREE, "m-cmk0001"), can_use(lc.cloud, SHAREE, "m-cmk0001").reason
    trust = json.loads(lc.cloud.ram_of(SHARER).roles[IMAGE_ROLE.lower()].trust_policy)
    assert UNRELATED_STATEMENT in trust["Statement"]  # someone else's statement survives as it was


def test_two_images_with_two_keys(lc: LocalCloud) -> None:
    share_image(lc, "m-cmk0001", SHAREE)
    share_image(lc, "m-cmk0002", MEMBER)
    settle(lc)
    assert usable(lc, SHAREE, "m-cmk0001"), can_use(lc.cloud, SHAREE, "m-cmk0001").reason
    assert usable(lc, MEMBER, "m-cmk0002"), can_use(lc.cloud, MEMBER, "m-cmk0002").reason


# Resource Sharing reaches sharetrust only through the trail's logstore: EventBridge does not carry its
# events (production-facts.md, "Event sources"). So this test deploys the Log Service trigger alone.
@pytest.mark.parametrize("seed", [e2e_seed(eventbridge=False)], ids=["log-trigger"])
def test_resource_directory_and_folder_targets(lc: LocalCloud) -> None:
    create_share(lc, "to-rd", [("Image", "m-cmk0001")], [RD])
    create_share(lc, "to-folder", [("Image", "m-cmk0002")], [FOLDER])
    settle(lc)
    assert usable(lc, SHAREE, "m-cmk0001"), can_use(lc.cloud, SHAREE, "m-cmk0001").reason
    assert usable(lc, MEMBER, "m-cmk0002"), can_use(lc.cloud, MEMBER, "m-cmk0002").reason
    assert not usable(lc, SHAREE, "m-cmk0002")  # SHAREE is in the root folder, outside the shared folder
