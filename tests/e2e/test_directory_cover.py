"""More member sharees than one trust policy holds, with SHARETRUST_COVER_WITH_DIRECTORY: the sharees that are
members of the sharer's own resource directory are covered by one directory statement (or the smallest folder
statements), so every one of them can use the image; off (the default), who does not fit is left out."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from alibabacloud_resourcesharing20200110 import models as rs_models

from localcloud import LocalCloud
from sharetrust.entry import run
from sharetrust.plan.trust_policy import TrustPolicy
from sharetrust.report import Summary
from tests.e2e.conftest import create_share, e2e_seed, sharer_environ, sharing, usable
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import MEMBER, RD, SHARER, SUBFOLDER

CROWD = [f"72{n:014d}" for n in range(300)]  # about 7,500 characters of trust: well over 4,096
OUTSIDERS = [f"73{n:014d}" for n in range(3)]  # sharees outside the directory
IMAGE_ROLE = "aliyunecsshareencryptimagedefaultrole"
TEAM_PATTERN = f"{RD}/r-Cd5678/fd-Prod0001/{SUBFOLDER}*"


@pytest.fixture
def seed() -> dict[str, Any]:
    seed = e2e_seed(eventbridge=False, trail_logs=False)  # these tests call sharetrust themselves
    seed["accounts"] += [{"uid": uid} for uid in CROWD + OUTSIDERS]
    seed["resource_directories"][0]["members"].update(dict.fromkeys(CROWD, SUBFOLDER))
    return seed


def share_with(lc: LocalCloud, targets: list[str]) -> str:
    share_id = create_share(lc, "crowd", [("Image", "m-cmk0001")], targets[:5])
    for start in range(5, len(targets), 5):  # Resource Sharing takes 5 targets a call
        sharing(lc).associate_resource_share(
            rs_models.AssociateResourceShareRequest(resource_share_id=share_id, targets=targets[start : start + 5])
        )
    return share_id


def handle_share_of(lc: LocalCloud, uid: str, share_id: str, **settings: str) -> Summary:
    event = {
        **FORGED,
        "eventName": "AssociateResourceShare",
        "serviceName": "ResourceManager",
        "requestParameters": {"ResourceShareId": share_id, "Targets.1": uid},
    }
    return run([json.dumps(event)], environ=sharer_environ(lc, **settings), log_stream=io.StringIO())


def trust(lc: LocalCloud) -> TrustPolicy:
    with lc.cloud.lock:
        text = str(lc.cloud.ram_of(SHARER).roles[IMAGE_ROLE].trust_policy)
    assert len(text) <= 4096
    return TrustPolicy.parse(text)


def test_with_the_directory_setting_every_member_sharee_gets_access(lc: LocalCloud) -> None:
    share_id = share_with(lc, CROWD + OUTSIDERS)
    summary = handle_share_of(lc, CROWD[0], share_id, SHARETRUST_COVER_WITH_DIRECTORY="directory")
    assert summary.ok, summary.errors
    assert all(usable(lc, uid, "m-cmk0001") for uid in CROWD + OUTSIDERS)
    found = trust(lc)
    assert found.directories == {RD} and found.accounts == set(OUTSIDERS)  # members need no principal of their own
    (warning,) = [w for w in summary.warnings if "covered by" in w]
    assert f"covered by directory:{RD}" in warning and "trusts every account in it" in warning
    assert not any("left out" in w for w in summary.warnings)
    # The role now trusts a member nobody shared with; the image's own share still keeps it out.
    assert not usable(lc, MEMBER, "m-cmk0001")
    again = handle_share_of(lc, CROWD[1], share_id, SHARETRUST_COVER_WITH_DIRECTORY="directory")
    assert again.ok and all(r["writes"] == [] for r in again.roles)  # converged: no rewrite each time


def test_with_the_folder_setting_the_smallest_folder_covers_them(lc: LocalCloud) -> None:
    share_id = share_with(lc, CROWD)
    summary = handle_share_of(lc, CROWD[0], share_id, SHARETRUST_COVER_WITH_DIRECTORY="folder")
    assert summary.ok, summary.errors
    assert all(usable(lc, uid, "m-cmk0001") for uid in CROWD)
    found = trust(lc)
    # Their own folder (fd-Team0002), not its parent fd-Prod0001 nor the whole directory.
    assert found.folder_patterns == {TEAM_PATTERN} and not found.directories and not found.accounts


def test_off_by_default_who_does_not_fit_is_left_out(lc: LocalCloud) -> None:
    share_id = share_with(lc, CROWD)
    summary = handle_share_of(lc, CROWD[0], share_id)
    assert summary.ok and any("left out" in w for w in summary.warnings)
    found = trust(lc)
    assert not found.directories and not found.folder_patterns and 100 < len(found.accounts) < len(CROWD)
    assert usable(lc, CROWD[0], "m-cmk0001")
    assert not all(usable(lc, uid, "m-cmk0001") for uid in CROWD)
