"""KMS 2016-01-20 through the official SDK: key metadata, aliases, key listing, regional scoping."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client as KmsClient

from localcloud import LocalCloud
from tests.localcloud.conftest import CMK, CMK2, HZ, SERVICE_KEY, SH, SHAREE, SHARER, base_seed, config, fails

SH_KEY = "key-shh6500000000000001"
SHAREE_KEY = "key-hzz6500000000000099"
DISABLED_KEY = "key-hzz6500000000000003"


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    sharer, sharee = s["accounts"][0], s["accounts"][1]
    sharer["kms_keys"] += [
        # The same alias name in another region names a different key.
        {"id": SH_KEY, "region": SH, "aliases": ["alias/images"], "description": "shanghai"},
        {"id": DISABLED_KEY, "region": HZ, "state": "Disabled", "aliases": ["alias/old-a", "alias/old-b"]},
    ]
    sharee["kms_keys"] = [{"id": SHAREE_KEY, "region": HZ, "aliases": ["alias/sharee"]}]
    return s


def kms(lc: LocalCloud, uid: str = SHARER, region: str = HZ, *, v1: bool = False) -> KmsClient:
    """A client for the real regional endpoint, proxied to the local cloud (KMS requests carry no RegionId,
    so the region travels only in the Host header, as in production)."""
    cfg = config(lc, uid, v1=v1, region=region)
    cfg.endpoint = f"kms.{region}.aliyuncs.com"
    cfg.http_proxy = lc.url
    return KmsClient(cfg)


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_describe_key_by_id_and_alias(lc: LocalCloud, v1: bool) -> None:
    client = kms(lc, v1=v1)
    meta = client.describe_key(kms_models.DescribeKeyRequest(key_id=CMK)).body.key_metadata
    assert meta.key_id == CMK
    assert meta.arn == f"acs:kms:{HZ}:{SHARER}:key/{CMK}"
    assert meta.creator == SHARER
    assert (meta.key_state, meta.key_spec, meta.key_usage) == ("Enabled", "Aliyun_AES_256", "ENCRYPT/DECRYPT")
    assert (meta.origin, meta.protection_level) == ("Aliyun_KMS", "SOFTWARE")
    assert (meta.deletion_protection, meta.automatic_rotation) == ("Disabled", "Disabled")
    assert meta.creation_date and meta.creation_date.endswith("Z")
    assert meta.description == ""
    by_alias = client.describe_key(kms_models.DescribeKeyRequest(key_id="alias/images")).body.key_metadata
    assert by_alias.key_id == CMK
    assert lc.requests.entries()[-1].signing == ("V1" if v1 else "ACS3")


def test_describe_key_state_and_service_key(lc: LocalCloud) -> None:
    client = kms(lc)
    assert client.describe_key(kms_models.DescribeKeyRequest(key_id=DISABLED_KEY)).body.key_metadata.key_state == (
        "Disabled"
    )
    service = client.describe_key(kms_models.DescribeKeyRequest(key_id="alias/acs/ecs")).body.key_metadata
    assert service.key_id == SERVICE_KEY
    assert service.creator == SHARER


def test_describe_key_not_found(lc: LocalCloud) -> None:
    client = kms(lc)
    fails("Forbidden.KeyNotFound", 404, lambda: client.describe_key(kms_models.DescribeKeyRequest(key_id="key-nope")))
    fails(
        "Forbidden.AliasNotFound",
        404,
        lambda: client.describe_key(kms_models.DescribeKeyRequest(key_id="alias/nope")),
    )
    # Another account's key is invisible, not forbidden.
    fails("Forbidden.KeyNotFound", 404, lambda: client.describe_key(kms_models.DescribeKeyRequest(key_id=SHAREE_KEY)))


def test_keys_are_regional(lc: LocalCloud) -> None:
    hangzhou, shanghai = kms(lc, region=HZ), kms(lc, region=SH)
    fails("Forbidden.KeyNotFound", 404, lambda: shanghai.describe_key(kms_models.DescribeKeyRequest(key_id=CMK)))
    fails("Forbidden.KeyNotFound", 404, lambda: hangzhou.describe_key(kms_models.DescribeKeyRequest(key_id=SH_KEY)))
    in_sh = shanghai.describe_key(kms_models.DescribeKeyRequest(key_id="alias/images")).body.key_metadata
    assert (in_sh.key_id, in_sh.arn) == (SH_KEY, f"acs:kms:{SH}:{SHARER}:key/{SH_KEY}")
    keys = shanghai.list_keys(kms_models.ListKeysRequest()).body
    assert [k.key_id for k in keys.keys.key] == [SH_KEY]
    aliases = shanghai.list_aliases(kms_models.ListAliasesRequest()).body
    assert [(a.alias_name, a.key_id) for a in aliases.aliases.alias] == [("alias/images", SH_KEY)]


def test_loopback_endpoint_is_the_default_region(lc: LocalCloud) -> None:
    plain = KmsClient(config(lc))  # endpoint 127.0.0.1:PORT carries no region
    assert plain.describe_key(kms_models.DescribeKeyRequest(key_id=CMK)).body.key_metadata.key_id == CMK


def test_unknown_region_in_host(lc: LocalCloud) -> None:
    client = kms(lc, region="eu-central-1")
    fails("InvalidRegionId.NotFound", 400, lambda: client.list_keys(kms_models.ListKeysRequest()))


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_list_aliases_by_key_id(lc: LocalCloud, v1: bool) -> None:
    client = kms(lc, v1=v1)
    body = client.list_aliases_by_key_id(kms_models.ListAliasesByKeyIdRequest(key_id=DISABLED_KEY)).body
    assert [(a.alias_name, a.alias_arn, a.key_id) for a in body.aliases.alias] == [
        ("alias/old-a", f"acs:kms:{HZ}:{SHARER}:alias/old-a", DISABLED_KEY),
        ("alias/old-b", f"acs:kms:{HZ}:{SHARER}:alias/old-b", DISABLED_KEY),
    ]
    assert (body.total_count, body.page_number, body.page_size) == (2, 1, 10)
    second = client.list_aliases_by_key_id(
        kms_models.ListAliasesByKeyIdRequest(key_id=DISABLED_KEY, page_number=2, page_size=1)
    ).body
    assert [a.alias_name for a in second.aliases.alias] == ["alias/old-b"]
    assert (second.total_count, second.page_number, second.page_size) == (2, 2, 1)
    service = client.list_aliases_by_key_id(kms_models.ListAliasesByKeyIdRequest(key_id=SERVICE_KEY)).body
    assert [a.alias_name for a in service.aliases.alias] == ["alias/acs/ecs"]
    empty = client.list_aliases_by_key_id(kms_models.ListAliasesByKeyIdRequest(key_id=CMK2)).body
    assert (empty.aliases.alias, empty.total_count) == ([], 0)
    fails(
        "Forbidden.KeyNotFound",
        404,
        lambda: client.list_aliases_by_key_id(kms_models.ListAliasesByKeyIdRequest(key_id="key-nope")),
    )
    fails(
        "InvalidParameter.PageSize",
        400,
        lambda: client.list_aliases_by_key_id(kms_models.ListAliasesByKeyIdRequest(key_id=CMK, page_size=101)),
    )


def test_list_aliases(lc: LocalCloud) -> None:
    body = kms(lc).list_aliases(kms_models.ListAliasesRequest(page_size=100)).body
    assert sorted((a.alias_name, a.key_id) for a in body.aliases.alias) == sorted(
        [
            ("alias/images", CMK),
            ("alias/acs/ecs", SERVICE_KEY),
            ("alias/old-a", DISABLED_KEY),
            ("alias/old-b", DISABLED_KEY),
        ]
    )
    assert body.total_count == 4
    sharee = kms(lc, SHAREE).list_aliases(kms_models.ListAliasesRequest()).body
    assert [a.alias_name for a in sharee.aliases.alias] == ["alias/sharee"]


def _list(client: KmsClient, filters: Any = None, **paging: int) -> list[str]:
    text = filters if isinstance(filters, str) or filters is None else json.dumps(filters)
    body = client.list_keys(kms_models.ListKeysRequest(filters=text, **paging)).body
    return [k.key_id for k in body.keys.key]


@pytest.mark.parametrize("v1", [False, True], ids=["acs3", "rpc-v1"])
def test_list_keys_and_filters(lc: LocalCloud, v1: bool) -> None:
    client = kms(lc, v1=v1)
    body = client.list_keys(kms_models.ListKeysRequest()).body
    assert [(k.key_id, k.key_arn) for k in body.keys.key] == [
        (key, f"acs:kms:{HZ}:{SHARER}:key/{key}") for key in (CMK, CMK2, SERVICE_KEY, DISABLED_KEY)
    ]
    assert (body.total_count, body.page_number, body.page_size) == (4, 1, 10)
    assert _list(client, [{"Key": "CreatorType", "Values": ["Service"]}]) == [SERVICE_KEY]
    assert _list(client, [{"Key": "CreatorType", "Values": ["User"]}]) == [CMK, CMK2, DISABLED_KEY]
    assert _list(client, [{"Key": "KeyState", "Values": ["Disabled"]}]) == [DISABLED_KEY]
    # OR within one key (even split over two entries), AND across keys.
    both_states = [{"Key": "KeyState", "Values": ["Enabled"]}, {"Key": "KeyState", "Values": ["Disabled"]}]
    assert _list(client, both_states) == [CMK, CMK2, SERVICE_KEY, DISABLED_KEY]
    assert _list(client, [*both_states, {"Key": "CreatorType", "Values": ["Service"]}]) == [SERVICE_KEY]
    assert _list(client, [{"Key": "AliasName", "Values": ["alias/images"]}]) == [CMK]
    assert _list(client, [{"Key": "KeySpec", "Values": ["RSA_2048"]}]) == []
    assert _list(client, page_number=2, page_size=3) == [DISABLED_KEY]
    assert _list(kms(lc, SHAREE)) == [SHAREE_KEY]


@pytest.mark.parametrize(
    "filters",
    [
        "not json",
        '{"Key": "KeyState", "Values": ["Enabled"]}',
        '[{"Key": "Colour", "Values": ["red"]}]',
        '[{"Key": "KeyState", "Values": "Enabled"}]',
        '[{"Values": ["Enabled"]}]',
        json.dumps([{"Key": "KeyState", "Values": [str(i) for i in range(11)]}]),
        json.dumps([{"Key": "KeyState", "Values": ["Enabled"]}] * 11),
    ],
    ids=["not-json", "not-array", "unknown-key", "values-not-list", "no-key", "too-many-values", "too-many-filters"],
)
def test_list_keys_rejects_malformed_filters(lc: LocalCloud, filters: str) -> None:
    client = kms(lc)
    fails("InvalidParameter.Filters", 400, lambda: client.list_keys(kms_models.ListKeysRequest(filters=filters)))


def test_list_keys_page_limits(lc: LocalCloud) -> None:
    client = kms(lc)
    assert len(_list(client, page_size=100)) == 4
    fails("InvalidParameter.PageSize", 400, lambda: _list(client, page_size=101))
    fails("InvalidParameter.PageSize", 400, lambda: _list(client, page_size=0))
    fails("InvalidParameter.PageNumber", 400, lambda: _list(client, page_number=0))
