"""The oracle, table-driven: each missing link, Deny, wildcards, both RD conditions, principal forms."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.oracle import can_use
from localcloud.seed import cloud_from_dict
from localcloud.state import IMAGE_ROLE, SNAPSHOT_ROLE, Association, ResourceShare
from tests.localcloud.conftest import (
    CMK,
    CMK2,
    FOLDER,
    HZ,
    MEMBER,
    RD,
    ROOT,
    SHAREE,
    SHARER,
    SUBFOLDER,
    base_seed,
)

KEY_ARN = f"acs:kms:{HZ}:{SHARER}:key/{CMK}"
KEY2_ARN = f"acs:kms:{HZ}:{SHARER}:key/{CMK2}"


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "1", "Statement": list(statements)}


def ecs(*uids: str) -> dict[str, Any]:
    services: str | list[str] = [f"{u}@ecs.aliyuncs.com" for u in uids]
    if len(uids) == 1:
        services = services[0]  # the page's scenarios use both a string and a list
    return {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": services}}


def rd_statement(op: str, key: str, value: str, effect: str = "Allow") -> dict[str, Any]:
    return {
        "Action": "sts:AssumeRole",
        "Effect": effect,
        "Principal": {"Service": "*@ecs.aliyuncs.com"},
        "Condition": {op: {key: value}},
    }


def kms(resource: str | list[str], actions: Any = None, effect: str = "Allow") -> dict[str, Any]:
    return {
        "Version": "1",
        "Statement": [
            {
                "Effect": effect,
                "Resource": resource,
                "Action": actions
                or [
                    "kms:DescribeKey",
                    "kms:TagResource",
                    "kms:UntagResource",
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:GenerateDataKey",
                ],
            }
        ],
    }


GOOD_POLICY = {
    "Version": "1",
    "Statement": [
        {"Action": "kms:List*", "Resource": f"acs:kms:{HZ}:{SHARER}:key", "Effect": "Allow"},
        *kms([KEY_ARN, KEY2_ARN])["Statement"],
    ],
}


def estate(
    *,
    role: str | None = IMAGE_ROLE,
    trust_doc: dict[str, Any] | None = None,
    policies: list[dict[str, Any]] | None = None,
    system: list[str] | None = None,
    image_sharees: list[str] | None = None,
) -> dict[str, Any]:
    seed = base_seed()
    sharer = seed["accounts"][0]
    sharer["images"][0]["shared_with"] = image_sharees if image_sharees is not None else [SHAREE]
    sharer["images"][1]["shared_with"] = [SHAREE]
    sharer["images"][2]["shared_with"] = [SHAREE]
    docs = policies if policies is not None else [GOOD_POLICY]
    sharer["policies"] = [{"name": f"p{i}", "document": d} for i, d in enumerate(docs)]
    if role is not None:
        sharer["roles"] = [
            {
                "name": role,
                "trust_policy": trust_doc or trust(ecs(SHAREE)),
                "policies": [{"type": "Custom", "name": f"p{i}"} for i in range(len(docs))]
                + [{"type": "System", "name": n} for n in (system or [])],
            }
        ]
    return seed


CASES: list[tuple[str, dict[str, Any], str, str, bool, str | None]] = [
    ("all links present", estate(), SHAREE, "m-cmk0001", True, None),
    ("unknown resource", estate(), SHAREE, "m-nothere", False, "resource"),
    ("not shared", estate(image_sharees=[]), SHAREE, "m-cmk0001", False, "shared"),
    ("owner always can", estate(role=None), SHARER, "m-cmk0001", True, None),
    ("unencrypted needs only the share", estate(role=None), SHAREE, "m-plain001", True, None),
    ("role missing", estate(role=None), SHAREE, "m-cmk0001", False, "role"),
    ("wrong role kind", estate(role=SNAPSHOT_ROLE), SHAREE, "m-cmk0001", False, "role"),
    ("trust names someone else", estate(trust_doc=trust(ecs(MEMBER))), SHAREE, "m-cmk0001", False, "trust"),
    ("trust as a list", estate(trust_doc=trust(ecs(MEMBER, SHAREE))), SHAREE, "m-cmk0001", True, None),
    (
        "explicit trust deny wins",
        estate(trust_doc=trust(ecs(SHAREE), {**ecs(SHAREE), "Effect": "Deny"})),
        SHAREE,
        "m-cmk0001",
        False,
        "trust",
    ),
    (
        "trust for RAM principal is not ECS",
        estate(
            trust_doc=trust(
                {
                    "Action": "sts:AssumeRole",
                    "Effect": "Allow",
                    "Principal": {"RAM": f"acs:ram::{SHAREE}:root"},
                }
            )
        ),
        SHAREE,
        "m-cmk0001",
        False,
        "trust",
    ),
    (
        "RD id condition",
        estate(trust_doc=trust(rd_statement("StringEquals", "sts:ServiceOwnerRDId", RD))),
        SHAREE,
        "m-cmk0001",
        True,
        None,
    ),
    (
        "RD id condition, other RD",
        estate(trust_doc=trust(rd_statement("StringEquals", "sts:ServiceOwnerRDId", "rd-other"))),
        SHAREE,
        "m-cmk0001",
        False,
        "trust",
    ),
    (
        "folder path condition covers subfolder",
        estate(
            image_sharees=[MEMBER],
            trust_doc=trust(rd_statement("StringLike", "sts:ServiceOwnerRDPath", f"{RD}/{ROOT}/{FOLDER}*")),
        ),
        MEMBER,
        "m-cmk0001",
        True,
        None,
    ),
    (
        "folder path condition excludes root member",
        estate(trust_doc=trust(rd_statement("StringLike", "sts:ServiceOwnerRDPath", f"{RD}/{ROOT}/{FOLDER}*"))),
        SHAREE,
        "m-cmk0001",
        False,
        "trust",
    ),
    (
        "exact path without wildcard misses the account",
        estate(
            image_sharees=[MEMBER],
            trust_doc=trust(
                rd_statement("StringEquals", "sts:ServiceOwnerRDPath", f"{RD}/{ROOT}/{FOLDER}/{SUBFOLDER}")
            ),
        ),
        MEMBER,
        "m-cmk0001",
        False,
        "trust",
    ),
    (
        "condition key is case-insensitive",
        estate(trust_doc=trust(rd_statement("StringEquals", "STS:serviceownerrdid", RD))),
        SHAREE,
        "m-cmk0001",
        True,
        None,
    ),
    (
        "RD deny overrides a direct allow",
        estate(trust_doc=trust(ecs(SHAREE), rd_statement("StringEquals", "sts:ServiceOwnerRDId", RD, "Deny"))),
        SHAREE,
        "m-cmk0001",
        False,
        "trust",
    ),
    ("no policy attached", estate(policies=[]), SHAREE, "m-cmk0001", False, "permission"),
    ("policy on another key", estate(policies=[kms(KEY2_ARN)]), SHAREE, "m-cmk0001", False, "permission"),
    (
        "decrypt without generate",
        estate(policies=[kms(KEY_ARN, ["kms:Decrypt"])]),
        SHAREE,
        "m-cmk0001",
        False,
        "permission",
    ),
    ("action wildcard", estate(policies=[kms(KEY_ARN, "kms:*")]), SHAREE, "m-cmk0001", True, None),
    (
        "action wildcard is case-insensitive",
        estate(policies=[kms(KEY_ARN, ["KMS:decrypt", "kms:generate*"])]),
        SHAREE,
        "m-cmk0001",
        True,
        None,
    ),
    (
        "resource wildcard",
        estate(policies=[kms(f"acs:kms:{HZ}:{SHARER}:key/*")]),
        SHAREE,
        "m-cmk0001",
        True,
        None,
    ),
    (
        "explicit deny wins over allow",
        estate(policies=[GOOD_POLICY, kms(KEY_ARN, ["kms:GenerateDataKey"], "Deny")]),
        SHAREE,
        "m-cmk0001",
        False,
        "permission",
    ),
    (
        "system full access",
        estate(policies=[], system=["AliyunKMSFullAccess"]),
        SHAREE,
        "m-cmk0001",
        True,
        None,
    ),
    (
        "read-only system policy is not enough",
        estate(policies=[], system=["AliyunKMSReadOnlyAccess"]),
        SHAREE,
        "m-cmk0001",
        False,
        "permission",
    ),
    (
        "two keys, policy covers one",
        estate(policies=[kms(KEY_ARN)]),
        SHAREE,
        "m-twokeys1",
        False,
        "permission",
    ),
    ("two keys, policy covers both", estate(), SHAREE, "m-twokeys1", True, None),
]


@pytest.mark.parametrize(
    ("seed_doc", "sharee", "resource", "usable", "link"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_can_use(seed_doc: dict[str, Any], sharee: str, resource: str, usable: bool, link: str | None) -> None:
    cloud, _, _ = cloud_from_dict(seed_doc)
    verdict = can_use(cloud, sharee, resource)
    assert (verdict.usable, verdict.missing_link) == (usable, link), verdict.reason


def test_disabled_key_is_a_missing_link() -> None:
    cloud, _, _ = cloud_from_dict(estate())
    cloud.keys[CMK].state = "Disabled"
    verdict = can_use(cloud, SHAREE, "m-cmk0001")
    assert verdict.missing_link == "key"
    assert "Disabled" in verdict.reason


def _snapshot_share(target: str, status: str = "Associated") -> ResourceShare:
    return ResourceShare(
        "rs-1",
        "share",
        SHARER,
        HZ,
        associations=[
            Association("s-cmk0001", "Snapshot", "Resource"),
            Association(target, "Account", "Target", status=status),
        ],
    )


@pytest.mark.parametrize(
    ("target", "status", "usable", "link"),
    [
        (SHAREE, "Associated", True, None),
        (RD, "Associated", True, None),
        (ROOT, "Associated", True, None),
        (FOLDER, "Associated", False, "shared"),  # SHAREE sits in the root folder, not under prod
        (SHAREE, "Associating", False, "shared"),
        (SHAREE, "Failed", False, "shared"),
    ],
)
def test_snapshot_shared_through_resource_sharing(target: str, status: str, usable: bool, link: str | None) -> None:
    seed_doc = estate(role=SNAPSHOT_ROLE)
    cloud, _, _ = cloud_from_dict(seed_doc)
    cloud.resource_shares["rs-1"] = _snapshot_share(target, status)
    verdict = can_use(cloud, SHAREE, "s-cmk0001")
    assert (verdict.usable, verdict.missing_link) == (usable, link), verdict.reason


def test_folder_target_covers_member_below_it() -> None:
    cloud, _, _ = cloud_from_dict(
        estate(
            role=SNAPSHOT_ROLE,
            trust_doc=trust(rd_statement("StringLike", "sts:ServiceOwnerRDPath", f"{RD}/{ROOT}/{FOLDER}*")),
        )
    )
    cloud.resource_shares["rs-1"] = _snapshot_share(FOLDER)
    assert can_use(cloud, MEMBER, "s-cmk0001").usable


def test_debug_endpoint_answers_like_the_function(lc: LocalCloud) -> None:
    request = urllib.request.Request(
        f"{lc.url}/_localcloud/can-use",
        method="POST",
        data=json.dumps({"sharee": SHAREE, "resource": "m-cmk0001"}).encode(),
    )
    with urllib.request.urlopen(request) as response:
        answer = json.load(response)
    assert answer["usable"] is False
    assert answer["missing_link"] == "shared"
    assert answer["reason"] == can_use(lc.cloud, SHAREE, "m-cmk0001").reason
