"""A share of a service-key-encrypted image made before ECS stopped accepting them: the page
prescribes AliyunKMSFullAccess on the role; a setting turns that into a warning."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.oracle import can_use
from localcloud.state import IMAGE_ROLE
from sharetrust.entry import run
from tests.e2e.conftest import e2e_seed
from tests.e2e.test_batches_and_faults import environ
from tests.e2e.test_safety import FORGED
from tests.localcloud.conftest import SHAREE, SHARER


@pytest.fixture
def seed() -> dict[str, Any]:
    seed = e2e_seed(eventbridge=False, trail_logs=False)
    seed["accounts"][0]["images"][3]["shared_with"] = [SHAREE]  # m-svc0001, shared long ago
    return seed


EVENT = {**FORGED, "requestParameters": {**FORGED["requestParameters"], "ImageId": "m-svc0001", "AddAccount.1": SHAREE}}


def attached(lc: LocalCloud) -> list[str]:
    return [a.policy_name for a in lc.cloud.ram_of(SHARER).attachments.get(IMAGE_ROLE.lower(), [])]


def test_full_access_is_attached_as_prescribed(lc: LocalCloud) -> None:
    assert can_use(lc.cloud, SHAREE, "m-svc0001").missing_link == "trust"
    summary = run([json.dumps(EVENT)], environ=environ(lc), log_stream=io.StringIO())
    assert summary.ok, summary.errors
    assert attached(lc) == ["AliyunKMSFullAccess"]
    assert can_use(lc.cloud, SHAREE, "m-svc0001").usable
    assert any("service key" in w for w in summary.warnings)


def test_the_warn_setting_only_reports_it(lc: LocalCloud) -> None:
    summary = run(
        [json.dumps(EVENT)], environ=environ(lc, SHARETRUST_SERVICE_KEY_POLICY="warn"), log_stream=io.StringIO()
    )
    assert summary.ok
    assert attached(lc) == []
    assert any("AliyunKMSFullAccess would be needed" in w for w in summary.warnings)
    assert can_use(lc.cloud, SHAREE, "m-svc0001").missing_link == "permission"
