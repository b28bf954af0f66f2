"""Thread safety: many real SDK clients at once against one local cloud, then the invariants."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from Tea.exceptions import TeaException

from localcloud import LocalCloud
from tests.localcloud.conftest import HZ, SHARER, base_seed, config

THREADS = 16
EXTRA = [f"60000000000000{n:02d}" for n in range(60)]
ROTATE = "DeleteOldestNonDefaultVersionWhenLimitExceeded"


def document(n: int) -> str:
    return json.dumps(
        {"Version": "1", "Statement": [{"Sid": f"s{n}", "Action": "kms:Decrypt", "Resource": "*", "Effect": "Allow"}]}
    )


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    s["accounts"] += [{"uid": uid, "name": f"extra{n}"} for n, uid in enumerate(EXTRA)]
    return s


def run_all(task: Any, items: list[Any]) -> list[Any]:
    """Runs task(item) on THREADS threads; returns each result or the exception it raised."""

    def guarded(item: Any) -> Any:
        try:
            return task(item)
        except TeaException as error:
            return error

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(guarded, items))


def test_concurrent_policy_versions_with_rotation(lc: LocalCloud) -> None:
    RamClient(config(lc)).create_policy(ram_models.CreatePolicyRequest(policy_name="p", policy_document=document(0)))
    calls = 80

    def create(n: int) -> str:
        version = (
            RamClient(config(lc, v1=n % 2 == 1))
            .create_policy_version(
                ram_models.CreatePolicyVersionRequest(
                    policy_name="p", policy_document=document(n), set_as_default=n % 3 == 0, rotate_strategy=ROTATE
                )
            )
            .body.policy_version
        )
        return str(version.version_id)

    results = run_all(create, list(range(1, calls + 1)))
    failures = [r for r in results if not isinstance(r, str)]
    assert failures == []
    # Every call got its own id: v2..v81, none handed out twice.
    assert sorted(results, key=lambda v: int(v[1:])) == [f"v{n}" for n in range(2, calls + 2)]

    body = (
        RamClient(config(lc))
        .list_policy_versions(ram_models.ListPolicyVersionsRequest(policy_name="p", policy_type="Custom"))
        .body
    )
    versions = body.policy_versions.policy_version
    assert len(versions) == 5
    assert sum(1 for v in versions if v.is_default_version) == 1
    assert len({v.version_id for v in versions}) == 5
    policy = lc.cloud.ram[SHARER].policies["p"]
    assert policy.next_version == calls + 2
    assert lc.requests.counts(writes_only=True)["Ram:CreatePolicyVersion"] == calls


def test_concurrent_shares_of_one_image(lc: LocalCloud) -> None:
    # 60 different accounts race for the 50 sharee slots of one image.
    def add(uid: str) -> bool:
        client = EcsClient(config(lc, v1=int(uid) % 2 == 1))
        client.modify_image_share_permission(
            ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id="m-plain001", add_account=[uid])
        )
        return True

    results = run_all(add, EXTRA)
    refused = [r for r in results if isinstance(r, TeaException)]
    assert sum(1 for r in results if r is True) == 50
    assert len(refused) == 10 and {e.code for e in refused} == {"QuotaExceed.ShareImageUser"}

    shared = lc.cloud.images["m-plain001"].shared_with
    accepted = {uid for uid, r in zip(EXTRA, results, strict=True) if r is True}
    assert set(shared) == accepted

    # What the SDK lists: every accepted account exactly once.
    client = EcsClient(config(lc))
    listed: list[str] = []
    for page in (1, 2, 3):
        body = client.describe_image_share_permission(
            ecs_models.DescribeImageSharePermissionRequest(
                region_id=HZ, image_id="m-plain001", page_size=20, page_number=page
            )
        ).body
        assert body.total_count == 50
        listed += [a.aliyun_id for a in body.accounts.account]
    assert Counter(listed) == Counter(accepted)


def test_concurrent_adds_and_removes_keep_each_account_once(lc: LocalCloud) -> None:
    accounts = EXTRA[:40]

    def toggle(n: int) -> bool:
        uid = accounts[n % len(accounts)]
        request = ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id="m-plain001")
        # Each account is added twice and removed once, in some order: adding twice is idempotent.
        if n // len(accounts) == 1:
            request.remove_account = [uid]
        else:
            request.add_account = [uid]
        EcsClient(config(lc)).modify_image_share_permission(request)
        return True

    results = run_all(toggle, list(range(3 * len(accounts))))
    assert all(r is True for r in results), [r for r in results if r is not True]
    shared = lc.cloud.images["m-plain001"].shared_with
    assert set(shared) <= set(accounts) and len(shared) <= 40
    # A final sequential add leaves every account shared exactly once.
    for start in range(0, 40, 10):
        EcsClient(config(lc)).modify_image_share_permission(
            ecs_models.ModifyImageSharePermissionRequest(
                region_id=HZ, image_id="m-plain001", add_account=accounts[start : start + 10]
            )
        )
    body = (
        EcsClient(config(lc))
        .describe_image_share_permission(
            ecs_models.DescribeImageSharePermissionRequest(region_id=HZ, image_id="m-plain001", page_size=100)
        )
        .body
    )
    assert body.total_count == 40
    assert Counter(a.aliyun_id for a in body.accounts.account) == Counter(accounts)
