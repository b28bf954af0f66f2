"""End to end: the official SDKs make shares, the local cloud's ActionTrail delivers the events to
sharetrust's real FC handlers, and the oracle says whether the sharee can use the resource."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_resourcesharing20200110 import models as rs_models
from alibabacloud_resourcesharing20200110.client import Client as RsClient

from localcloud import LocalCloud
from localcloud.oracle import can_use
from localcloud.rules.sharing import settle as settle_associations
from localcloud.services.sts import mint_session
from localcloud.state import IMAGE_ROLE
from sharetrust.plan.trust_policy import TrustPolicy
from tests.localcloud.conftest import HZ, SH, SHARER, base_seed, config, start

ROOT = Path(__file__).resolve().parents[2]
UNRELATED_STATEMENT = {
    "Action": "sts:AssumeRole",
    "Effect": "Allow",
    "Principal": {"RAM": ["acs:ram::5555555555555555:root"]},
}


# The function role holds exactly deploy/'s policies (least privilege, issue 8); their placeholders take
# this estate's names. AccountId is the sharer's (the seed fills it in).
DEPLOY_PARAMETERS = {
    "TrailProject": "trail-project",
    "TrailLogstore": "actiontrail_sharetrust-trail",
    "AuditProject": "security-audit",
    "AuditLogstore": "sharetrust-changes",
    "MemberRole": "sharetrust-member",
    "Region": HZ,  # the functions' region (s.yaml vars.region)
}
FUNCTION_POLICIES = [
    {"name": "sharetrust-function", "document_file": "deploy/function-policy.json", "parameters": DEPLOY_PARAMETERS},
    {
        "name": "sharetrust-service-key",
        "document_file": "deploy/function-policy-service-key.json",
        "parameters": DEPLOY_PARAMETERS,
    },
]
FUNCTION_POLICY_NAMES = frozenset(p["name"] for p in FUNCTION_POLICIES)
FUNCTION_ROLE = "sharetrust-fc"


def e2e_seed(
    *, share_check: str = "role-exists", eventbridge: bool = True, trail_logs: bool = True, image_role: bool = True
) -> dict[str, Any]:
    """The base estate plus sharetrust deployed: its FC role, both functions and their triggers."""
    seed = copy.deepcopy(base_seed())
    seed["settings"]["share_check"] = share_check
    sharer = seed["accounts"][0]
    # One disk, the second key: two images with different keys give a role two keys to grant. (The base
    # estate's m-twokeys1 has two encrypted snapshots, and ECS refuses to share it: FullImage.)
    sharer["images"].append({"id": "m-cmk0002", "region": HZ, "name": "app2", "disks": [{"snapshot_id": "s-cmk0002"}]})
    roles: list[dict[str, Any]] = [
        {
            "name": FUNCTION_ROLE,
            "trust_policy": {
                "Version": "1",
                "Statement": [
                    {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["fc.aliyuncs.com"]}}
                ],
            },
            "policies": [{"type": "Custom", "name": p["name"]} for p in FUNCTION_POLICIES],
        }
    ]
    sharer.setdefault("policies", []).extend(copy.deepcopy(FUNCTION_POLICIES))
    if image_role:
        roles.append({"name": IMAGE_ROLE, "trust_policy": {"Version": "1", "Statement": [UNRELATED_STATEMENT]}})
    sharer["roles"] = roles
    sharer["functions"] = [
        # python3.10 takes credentials from context.credentials, python3.12 from ALIBABA_CLOUD_* variables.
        {
            "service": "sharetrust",
            "name": "on-share-event",
            "runtime": "python3.10",
            "role": "sharetrust-fc",
            "handler": "functions.on_share_event.handler",
        },
        {
            "service": "sharetrust",
            "name": "on-trail-logs",
            "runtime": "python3.12",
            "role": "sharetrust-fc",
            "handler": "functions.on_trail_logs.handler",
        },
    ]
    triggers: list[dict[str, Any]] = []
    if eventbridge:
        # The rules s.yaml deploys, read from it so the two cannot drift.
        triggers += [
            {"type": "eventbridge", "name": name, "function": ["sharetrust", "on-share-event"], "pattern": pattern}
            for name, pattern in deployed_eventbridge_rules()
        ]
    if trail_logs:
        triggers.append(
            {
                "type": "log",
                "name": "trail-logs",
                "function": ["sharetrust", "on-trail-logs"],
                "project": "trail-project",
                "logstore": "actiontrail_sharetrust-trail",
                "max_retry": 3,
            }
        )
    sharer["triggers"] = triggers
    return seed


def deployed_eventbridge_rules() -> list[tuple[str, dict[str, Any]]]:
    """(trigger name, event pattern) of every EventBridge trigger s.yaml gives on-share-event."""
    document = yaml.safe_load((ROOT / "s.yaml").read_text(encoding="utf-8"))
    triggers = document["resources"]["on-share-event"]["props"]["triggers"]
    return [
        (str(t["triggerName"]), json.loads(t["triggerConfig"]["eventRuleFilterPattern"]))
        for t in triggers
        if t["triggerType"] == "eventbridge"
    ]


@pytest.fixture
def seed() -> dict[str, Any]:
    return e2e_seed()


@pytest.fixture
def lc(seed: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalCloud]:
    cloud = start(seed)
    for proxy in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    # The handlers run in this process; this is the one switch that points sharetrust at the local cloud.
    monkeypatch.setenv("SHARETRUST_ENDPOINT", cloud.url)
    monkeypatch.setenv("SHARETRUST_REGIONS", "cn-hangzhou,cn-shanghai")
    for name in ("SHARETRUST_RETRY_FAILED_SHARES", "SHARETRUST_DRY_RUN", "SHARETRUST_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield cloud
    finally:
        cloud.close()


def settle(lc: LocalCloud) -> None:
    """Wait for every trigger delivery, and require that none of them failed. Resource Sharing settles its
    pending associations on its own (publishing AssociationStatusChange); the local cloud does so when
    asked or on a read, so it is asked first: an add reads only what it names, so no read may come."""
    settle_associations(lc.context)
    assert lc.wait_idle(60), "trigger deliveries did not finish"
    assert not lc.deliveries.failures, lc.deliveries.failures


def usable(lc: LocalCloud, sharee: str, resource: str) -> bool:
    return can_use(lc.cloud, sharee, resource).usable


def ecs(lc: LocalCloud, uid: str = SHARER) -> EcsClient:
    return EcsClient(config(lc, uid))


def sharing(lc: LocalCloud, uid: str = SHARER) -> RsClient:
    return RsClient(config(lc, uid))


def share_image(lc: LocalCloud, image_id: str, *accounts: str) -> None:
    ecs(lc).modify_image_share_permission(
        ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id=image_id, add_account=list(accounts))
    )


def create_share(lc: LocalCloud, name: str, resources: list[tuple[str, str]], targets: list[str]) -> str:
    request = rs_models.CreateResourceShareRequest(
        resource_share_name=name,
        resources=[
            rs_models.CreateResourceShareRequestResources(resource_id=rid, resource_type=rtype)
            for rtype, rid in resources
        ],
        targets=targets,
        allow_external_targets=True,
    )
    return str(sharing(lc).create_resource_share(request).body.resource_share.resource_share_id)


def list_associations(lc: LocalCloud, share_id: str, kind: str = "Target") -> list[Any]:
    request = rs_models.ListResourceShareAssociationsRequest(association_type=kind, resource_share_ids=[share_id])
    return list(sharing(lc).list_resource_share_associations(request).body.resource_share_associations or [])


SH_KEY = "key-shz6500000000000001"


def two_region_seed() -> dict[str, Any]:
    """The e2e estate with no trigger (the tests call sharetrust themselves) and a CMK-encrypted image in
    cn-shanghai too (`m-sh00001`, key SH_KEY)."""
    seed = copy.deepcopy(e2e_seed(eventbridge=False, trail_logs=False))
    sharer = seed["accounts"][0]
    sharer["kms_keys"].append({"id": SH_KEY, "region": SH})
    sharer["snapshots"].append({"id": "s-sh00001", "region": SH, "encrypted": True, "kms_key_id": SH_KEY})
    sharer["images"].append({"id": "m-sh00001", "region": SH, "name": "sh", "disks": [{"snapshot_id": "s-sh00001"}]})
    return seed


def sharer_environ(lc: LocalCloud, **extra: str) -> dict[str, str]:
    """The environment `run`, `reconcile` or the CLI need to act as the sharer against this local cloud: STS
    credentials of the function role, so they may do exactly what deploy/'s policies allow."""
    with lc.cloud.lock:
        role = lc.cloud.ram_of(SHARER).roles[FUNCTION_ROLE]
    session = mint_session(lc.cloud, role, "sharetrust-tests")
    return {
        "SHARETRUST_ENDPOINT": lc.url,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": session.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": session.secret,
        "ALIBABA_CLOUD_SECURITY_TOKEN": session.token,
        **extra,
    }


def modify_share(lc: LocalCloud, region: str, image: str, *, add: str | None = None, remove: str | None = None) -> None:
    """ModifyImageSharePermission as the sharer, in any region."""
    EcsClient(config(lc, SHARER, region=region)).modify_image_share_permission(
        ecs_models.ModifyImageSharePermissionRequest(
            region_id=region,
            image_id=image,
            add_account=[add] if add else None,
            remove_account=[remove] if remove else None,
        )
    )


def trusted_accounts(lc: LocalCloud) -> frozenset[str]:
    """The account UIDs the image share role's managed statement trusts now."""
    return TrustPolicy.parse(lc.cloud.ram_of(SHARER).roles[IMAGE_ROLE.lower()].trust_policy).accounts


def env_clean() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
