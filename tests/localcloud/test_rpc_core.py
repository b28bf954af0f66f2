"""The RPC core through a real SDK: both signing styles, bad credentials, unknown actions, faults."""

from __future__ import annotations

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from Tea.exceptions import TeaException

from localcloud import LocalCloud
from localcloud.faults import FaultRule
from tests.localcloud.conftest import HZ, SH, SHAREE, SHARER, config


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_both_signing_styles_are_accepted(lc: LocalCloud, v1: bool) -> None:
    client = EcsClient(config(lc, v1=v1))
    body = client.describe_regions(ecs_models.DescribeRegionsRequest()).body
    assert [r.region_id for r in body.regions.region] == [HZ, "cn-shanghai"]
    assert lc.requests.entries()[-1].signing == ("V1" if v1 else "ACS3")


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_wrong_secret_is_signature_does_not_match(lc: LocalCloud, v1: bool) -> None:
    client = EcsClient(config(lc, v1=v1, access_key=("AKSHARER0000000000001", "not-the-secret")))
    with pytest.raises(TeaException) as raised:
        client.describe_regions(ecs_models.DescribeRegionsRequest())
    assert raised.value.code == "SignatureDoesNotMatch"
    assert raised.value.data["statusCode"] == 400


def test_unknown_access_key_is_rejected(lc: LocalCloud) -> None:
    client = EcsClient(config(lc, access_key=("AKNOBODY", "whatever")))
    with pytest.raises(TeaException) as raised:
        client.describe_regions(ecs_models.DescribeRegionsRequest())
    assert raised.value.code == "InvalidAccessKeyId.NotFound"
    assert raised.value.data["statusCode"] == 404


def test_throttling_fault_carries_retry_after(lc: LocalCloud) -> None:
    lc.faults.configure([FaultRule("throttle", "Ecs:DescribeRegions", times=1, retry_after_ms=1500)])
    client = EcsClient(config(lc))
    with pytest.raises(TeaException) as raised:
        client.describe_regions(ecs_models.DescribeRegionsRequest())
    assert raised.value.code == "Throttling.User"
    assert type(raised.value).__name__ == "ThrottlingException"
    # `times=1`: the next call goes through.
    assert client.describe_regions(ecs_models.DescribeRegionsRequest()).body.regions is not None


def test_unavailable_and_dropped_connections(lc: LocalCloud) -> None:
    client = EcsClient(config(lc))
    lc.faults.configure([FaultRule("unavailable", times=1)])
    with pytest.raises(TeaException) as raised:
        client.describe_regions(ecs_models.DescribeRegionsRequest())
    assert raised.value.code == "ServiceUnavailable"
    assert type(raised.value).__name__ == "ServerException"
    lc.faults.configure([FaultRule("drop", times=1)])
    with pytest.raises(TeaException) as dropped:
        client.describe_regions(ecs_models.DescribeRegionsRequest())
    assert type(dropped.value).__name__ == "UnretryableException"
    counts = lc.requests.counts()
    assert counts["Ecs:DescribeRegions"] == 2
    assert [e.code for e in lc.requests.entries()] == ["ServiceUnavailable", "ConnectionDropped"]


def test_a_lost_answer_means_the_write_happened(lc: LocalCloud) -> None:
    lc.faults.configure([FaultRule("lose", "Ecs:ModifyImageSharePermission", times=1)])
    request = ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id="m-plain001", add_account=[SHAREE])
    with pytest.raises(TeaException) as lost:
        EcsClient(config(lc)).modify_image_share_permission(request)
    assert type(lost.value).__name__ == "UnretryableException"
    assert [e.code for e in lc.requests.entries()] == ["AnswerLost"]
    assert SHAREE in lc.cloud.images["m-plain001"].shared_with  # applied, though the caller saw a failure


def test_a_fault_can_hit_one_region_only(lc: LocalCloud) -> None:
    lc.faults.configure([FaultRule("unavailable", "Ecs:DescribeImages", region=SH)])
    with pytest.raises(TeaException):
        EcsClient(config(lc, region=SH)).describe_images(ecs_models.DescribeImagesRequest(region_id=SH))
    hangzhou = ecs_models.DescribeImagesRequest(region_id=HZ, image_owner_alias="self")
    assert EcsClient(config(lc)).describe_images(hangzhou).body.images is not None
    assert [e.code for e in lc.requests.entries()] == ["ServiceUnavailable", ""]
    assert FaultRule.from_dict({"kind": "lose", "region": SH}).region == SH


def test_faults_are_deterministic_under_a_seed(lc: LocalCloud) -> None:
    def pattern() -> list[bool]:
        lc.faults.configure([FaultRule("throttle", rate=0.5)], seed=42)
        return [lc.faults.decide("Ecs", "DescribeRegions").failure is not None for _ in range(32)]

    first = pattern()
    assert first == pattern()
    assert 4 < sum(first) < 28


def test_request_log_counts_per_account(lc: LocalCloud) -> None:
    client = EcsClient(config(lc))
    mark = lc.requests.mark()
    client.describe_regions(ecs_models.DescribeRegionsRequest())
    assert lc.requests.counts(since=mark, account_uid=SHARER) == {"Ecs:DescribeRegions": 1}
    assert lc.requests.counts(since=mark, writes_only=True) == {}
