"""Fixtures: a fresh local cloud per test, and official SDK clients pointed at it."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alibabacloud_tea_openapi.models import Config
from Tea.exceptions import TeaException

from localcloud import LocalCloud
from localcloud.seed import cloud_from_dict

for _proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
    os.environ.pop(_proxy, None)  # darabonba ignores NO_PROXY (sdk-wire.md §1.1)

SHARER = "1111111111111111"
SHAREE = "2222222222222222"
MEMBER = "3333333333333333"
OUTSIDER = "4444444444444444"
HZ = "cn-hangzhou"
SH = "cn-shanghai"
CMK = "key-hzz6500000000000001"
CMK2 = "key-hzz6500000000000002"
SERVICE_KEY = "key-hzz65000000000000sk"
RD = "rd-Ab1234"
ROOT = "r-Cd5678"
FOLDER = "fd-Prod0001"
SUBFOLDER = "fd-Team0002"

KEYS = {
    SHARER: ("AKSHARER0000000000001", "sharer-secret"),
    SHAREE: ("AKSHAREE0000000000001", "sharee-secret"),
    MEMBER: ("AKMEMBER0000000000001", "member-secret"),
    OUTSIDER: ("AKOUTSID0000000000001", "outsider-secret"),
}


# The in-process handlers the seeded test functions run, and the trust documents test roles use.
H = "tests.localcloud.handlers"
TRUST_FC = {
    "Version": "1",
    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["fc.aliyuncs.com"]}}],
}
TRUST_ACCOUNT = {
    "Version": "1",
    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"RAM": [f"acs:ram::{SHARER}:root"]}}],
}


def base_seed() -> dict[str, Any]:
    """A realistic small estate: a sharer with encrypted and plain resources, sharees, an RD."""
    return {
        "settings": {"share_check": "role-exists"},
        "regions": [HZ, SH],
        "accounts": [
            {
                "uid": SHARER,
                "name": "sharer",
                "access_keys": [
                    {"id": KEYS[SHARER][0], "secret": KEYS[SHARER][1]},
                    {"id": "AKSHARERALICE0000001", "secret": "alice-secret", "user": "alice"},
                ],
                # A RAM user may do only what its policies allow (localcloud.authorization).
                "users": [{"name": "alice", "policies": [{"type": "System", "name": "AdministratorAccess"}]}],
                "kms_keys": [
                    {"id": CMK, "region": HZ, "aliases": ["alias/images"]},
                    {"id": CMK2, "region": HZ},
                    {"id": SERVICE_KEY, "region": HZ, "service": True},
                ],
                "snapshots": [
                    {"id": "s-cmk0001", "region": HZ, "encrypted": True, "kms_key_id": CMK},
                    {"id": "s-cmk0002", "region": HZ, "encrypted": True, "kms_key_id": CMK2},
                    {"id": "s-plain001", "region": HZ},
                    {"id": "s-svc0001", "region": HZ, "encrypted": True, "kms_key_id": SERVICE_KEY},
                    {"id": "s-cmkdisk1", "region": HZ, "encrypted": True, "kms_key_id": CMK, "usage": "disk"},
                ],
                "images": [
                    {"id": "m-cmk0001", "region": HZ, "name": "app", "disks": [{"snapshot_id": "s-cmk0001"}]},
                    {
                        "id": "m-twokeys1",
                        "region": HZ,
                        "name": "two-keys",
                        "disks": [{"snapshot_id": "s-cmk0001"}, {"snapshot_id": "s-cmk0002"}],
                    },
                    {
                        "id": "m-plain001",
                        "region": HZ,
                        "name": "plain",
                        "disks": [{"snapshot_id": "s-plain001"}],
                    },
                    {
                        "id": "m-svc0001",
                        "region": HZ,
                        "name": "service-key",
                        "disks": [{"snapshot_id": "s-svc0001"}],
                    },
                ],
                "trail": {"name": "sharetrust-trail", "project": "trail-project", "region": HZ},
            },
            {
                "uid": SHAREE,
                "name": "sharee",
                "access_keys": [{"id": KEYS[SHAREE][0], "secret": KEYS[SHAREE][1]}],
            },
            {
                "uid": MEMBER,
                "name": "member",
                "access_keys": [{"id": KEYS[MEMBER][0], "secret": KEYS[MEMBER][1]}],
            },
            {
                "uid": OUTSIDER,
                "name": "outsider",
                "access_keys": [{"id": KEYS[OUTSIDER][0], "secret": KEYS[OUTSIDER][1]}],
            },
        ],
        "resource_directories": [
            {
                "id": RD,
                "master": SHARER,
                "root_folder_id": ROOT,
                "folders": [
                    {"id": FOLDER, "name": "prod"},
                    {"id": SUBFOLDER, "name": "team", "parent": FOLDER},
                ],
                "members": {MEMBER: SUBFOLDER, SHAREE: ROOT},
            },
        ],
    }


def start(seed: dict[str, Any]) -> LocalCloud:
    cloud, fault_seed, rules = cloud_from_dict(seed)
    lc = LocalCloud(cloud, fault_seed=fault_seed)
    lc.faults.configure(rules)
    return lc


@pytest.fixture
def seed() -> dict[str, Any]:
    """Override or mutate to change what `lc` starts with."""
    return base_seed()


@pytest.fixture
def lc(seed: dict[str, Any]) -> Iterator[LocalCloud]:
    cloud = start(seed)
    try:
        yield cloud
    finally:
        cloud.close()


def config(
    lc: LocalCloud,
    uid: str = SHARER,
    *,
    v1: bool = False,
    region: str = HZ,
    access_key: tuple[str, str] | None = None,
    token: str | None = None,
) -> Config:
    """A POP SDK Config pointed at the local cloud; `v1=True` selects RPC V1 HMAC-SHA1 signing."""
    ak, secret = access_key or KEYS[uid]
    cfg = Config(
        access_key_id=ak,
        access_key_secret=secret,
        security_token=token,
        endpoint=lc.endpoint,
        protocol="http",
        region_id=region,
    )
    if v1:
        cfg.signature_algorithm = "v2"
    return cfg


def fails(code: str, status: int, call: Callable[[], object]) -> TeaException:
    """Runs `call`, which must fail with this error code and HTTP status as a 4xx ClientException."""
    with pytest.raises(TeaException) as raised:
        call()
    assert type(raised.value).__name__ == "ClientException"
    assert raised.value.code == code
    assert raised.value.data["statusCode"] == status
    return raised.value


def first_line(process: subprocess.Popen[str], guard: float) -> str:
    """The first line a started process prints, waiting at most `guard` seconds (a hung process fails the
    test instead of hanging the suite)."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(guard)
    assert lines, "the process printed nothing"
    return lines[0]
