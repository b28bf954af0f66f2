"""The benchmark's estates (local cloud seeds), the ActionTrail events it replays, and the environment.

Every estate is built here, not from the test fixtures, so the bench imports no pytest and its sizes are
explicit: a sharer account with `images` encrypted custom images in cn-hangzhou (one disk each, whose
snapshot is encrypted with one of `keys` customer master keys), each shared through ECS with some of
`sharees` accounts. The image share role exists and trusts only an unrelated account (as the e2e tests
seed it), so the first share needs the role's trust and key policy written.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from localcloud import LocalCloud
from localcloud.seed import cloud_from_dict
from localcloud.state import IMAGE_ROLE

SHARER = "1111111111111111"
AK = ("AKBENCHSHARER00000001", "bench-sharer-secret")
HZ = "cn-hangzhou"
SH = "cn-shanghai"
REGIONS = (HZ, SH)  # SHARETRUST_REGIONS: the estate lives in HZ; SH is configured and empty
UNRELATED_STATEMENT = {
    "Action": "sts:AssumeRole",
    "Effect": "Allow",
    "Principal": {"RAM": ["acs:ram::5555555555555555:root"]},
}

for _proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
    os.environ.pop(_proxy, None)  # darabonba ignores NO_PROXY: loopback calls would go to the proxy


def image_id(n: int) -> str:
    return f"m-bench{n:06d}"


def sharee(n: int) -> str:
    return f"8{n:015d}"


def key_id(n: int) -> str:
    return f"key-hzzbench{n:08d}"


@dataclass(frozen=True)
class Estate:
    """`images` encrypted images over `keys` keys; image i is shared with sharees [0, shared_per_image).

    With several `regions`, image n and its snapshot live in region n mod len(regions), and key k in
    region k mod len(regions), so every image's key is in its own region (`keys` a multiple of them)."""

    images: int
    keys: int = 1
    sharees: int = 1
    shared_per_image: int = 0  # sharees each image is already shared with (sharees 0..n-1)
    regions: tuple[str, ...] = (HZ,)

    def key_of(self, n: int) -> int:
        """The key encrypting image n's snapshot: one of its region's keys, in turn."""
        spread = len(self.regions)
        return (n // spread) % max(1, self.keys // spread) * spread + n % spread

    def seed(self) -> dict[str, Any]:
        images, snapshots = [], []
        for n in range(self.images):
            snap = f"s-bench{n:06d}"
            region = self.regions[n % len(self.regions)]
            key = key_id(self.key_of(n))
            snapshots.append({"id": snap, "region": region, "encrypted": True, "kms_key_id": key})
            image: dict[str, Any] = {
                "id": image_id(n),
                "region": region,
                "name": f"img{n}",
                "disks": [{"snapshot_id": snap}],
            }
            if self.shared_per_image:
                image["shared_with"] = [sharee(s) for s in range(self.shared_per_image)]
            images.append(image)
        return {
            "settings": {"share_check": "role-exists"},
            "regions": list(dict.fromkeys([*REGIONS, *self.regions])),
            "accounts": [
                {
                    "uid": SHARER,
                    "name": "sharer",
                    "access_keys": [{"id": AK[0], "secret": AK[1]}],
                    "kms_keys": [
                        {"id": key_id(k), "region": self.regions[k % len(self.regions)]} for k in range(self.keys)
                    ],
                    "snapshots": snapshots,
                    "images": images,
                    "roles": [
                        {"name": IMAGE_ROLE, "trust_policy": {"Version": "1", "Statement": [UNRELATED_STATEMENT]}}
                    ],
                },
                *({"uid": sharee(s)} for s in range(self.sharees)),
            ],
        }

    def start(self) -> LocalCloud:
        cloud, fault_seed, rules = cloud_from_dict(self.seed())
        lc = LocalCloud(cloud, fault_seed=fault_seed)
        lc.faults.configure(rules)
        return lc


def environ(lc: LocalCloud, regions: tuple[str, ...] = REGIONS, **extra: str) -> dict[str, str]:
    """What sharetrust needs to act as the sharer against this local cloud (as the e2e tests set it)."""
    return {
        "SHARETRUST_ENDPOINT": lc.url,
        "SHARETRUST_REGIONS": ",".join(regions),
        "ALIBABA_CLOUD_ACCESS_KEY_ID": AK[0],
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": AK[1],
        **extra,
    }


def share_event(n: int, image: str, accounts: list[str], region: str = HZ) -> dict[str, Any]:
    """The ActionTrail record of a successful ModifyImageSharePermission by the sharer's root."""
    parameters: dict[str, Any] = {"RegionId": region, "ImageId": image}
    parameters.update({f"AddAccount.{i + 1}": uid for i, uid in enumerate(accounts)})
    return {
        "eventId": f"00000000-0000-4000-8000-{n:012d}",
        "eventVersion": "1",
        "eventType": "ApiCall",
        "eventRW": "Write",
        "eventName": "ModifyImageSharePermission",
        "serviceName": "Ecs",
        "apiVersion": "2014-05-26",
        "acsRegion": region,
        "eventTime": "2026-11-29T00:00:00Z",
        "requestParameters": parameters,
        "userIdentity": {"type": "root-account", "accountId": SHARER, "principalId": SHARER, "userName": "root"},
        "errorCode": "",
        "errorMessage": "",
    }


def batch_events(images: int, events: int) -> list[dict[str, Any]]:
    """`events` share events over `images` images: event n shares image n % images with sharee n // images."""
    return [share_event(n, image_id(n % images), [sharee(n // images)]) for n in range(events)]


def payload(events: list[dict[str, Any]]) -> str:
    """One Log Service-style batch: a JSON list of ActionTrail events, as `run` takes it."""
    return json.dumps(events)
