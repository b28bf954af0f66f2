"""Shares production refuses whatever the roles say are reported as broken, with the remedy, and no
role is prepared for them; AssumeRoleError stays the one refusal that prepares the role."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from Tea.exceptions import TeaException

from localcloud import LocalCloud
from sharetrust.entry import run
from sharetrust.report import Summary
from tests.e2e.conftest import create_share, e2e_seed, list_associations, share_image, sharer_environ
from tests.e2e.test_safety import trail_events
from tests.localcloud.conftest import CMK, SHAREE


@pytest.fixture
def seed() -> dict[str, Any]:
    return e2e_seed(eventbridge=False, trail_logs=False)  # these tests call sharetrust themselves


def sharetrust(lc: LocalCloud) -> Summary:
    return run([json.dumps(trail_events(lc))], environ=sharer_environ(lc), log_stream=io.StringIO())


@pytest.mark.parametrize(
    ("image", "code", "remedy"),
    [
        ("m-twokeys1", "OperationDeined.FullImage", "share its snapshots instead"),
        ("m-cmk0001", "InvalidParameter.KMSKeyId.CMKNotEnabled", "enable the key"),
    ],
)
def test_a_share_no_role_can_fix_is_reported_broken_and_nothing_is_prepared(
    lc: LocalCloud, image: str, code: str, remedy: str
) -> None:
    if code.endswith("CMKNotEnabled"):
        lc.cloud.keys[CMK].state = "Disabled"
    with pytest.raises(TeaException) as refused:
        share_image(lc, image, SHAREE)
    assert refused.value.code == code
    mark = lc.requests.mark()
    summary = sharetrust(lc)
    assert summary.ok  # retrying cannot help; the report says what to do
    (broken,) = summary.broken_shares
    assert broken["code"] == code and broken["resources"] == [image] and broken["targets"] == [SHAREE]
    assert remedy in broken["remedy"]
    assert summary.roles == [] and summary.signals == 0
    assert lc.requests.counts(since=mark, writes_only=True) == {}


def test_a_resource_share_refused_for_good_is_reported_broken_from_its_association(lc: LocalCloud) -> None:
    share_id = create_share(lc, "whole-disk-set", [("Image", "m-twokeys1")], [SHAREE])
    (association,) = list_associations(lc, share_id, "Resource")
    assert association.association_status == "Failed"
    assert association.association_status_message.startswith("OperationDeined.FullImage: ")
    mark = lc.requests.mark()
    summary = sharetrust(lc)
    assert summary.ok and summary.roles[0]["writes"] == []  # nothing prepared for it
    (broken,) = summary.broken_shares
    assert broken["resource_share_id"] == share_id and broken["entity"] == "m-twokeys1"
    assert broken["code"] == "OperationDeined.FullImage" and "share its snapshots instead" in broken["remedy"]
    assert lc.requests.counts(since=mark, writes_only=True) == {}
