"""The naive baseline: the obvious way to keep the image share role in sync, one event at a time.

Per event, sequentially, with no batching and no caching (nothing read for one event is reused for the
next), through the official SDKs against the same local cloud:

1. ECS `DescribeImages` (the event's image) → its disks' snapshot ids;
2. ECS `DescribeSnapshots` → which are encrypted, with which KMS key;
3. ECS `DescribeImageSharePermission` → the image's real sharees (an event may be forged or stale: only
   accounts the image is really shared with are trusted);
4. KMS `DescribeKey` per key → its ARN;
5. RAM `GetRole` → the trust policy; `UpdateRole` when a sharee's `<uid>@ecs.aliyuncs.com` is missing;
6. RAM `GetPolicy` of its key policy → `CreatePolicy` when there is none, `CreatePolicyVersion` when a key
   is missing;
7. RAM `ListPoliciesForRole` → `AttachPolicyToRole` when the key policy is not attached.

Only additions (share events); no lock, no verification read, no service-key or Resource Sharing
handling. SDK clients are built once per process (building them makes no call).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_tea_openapi.models import Config
from Tea.exceptions import TeaException

ROLE = "AliyunECSShareEncryptImageDefaultRole"
POLICY = "naive-image-share-keys"
KEY_ACTIONS = ["kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]


class Naive:
    def __init__(self, endpoint: str, access_key: tuple[str, str]) -> None:
        self._endpoint = endpoint
        self._access_key = access_key
        self._clients: dict[tuple[str, str], Any] = {}
        self.calls: Counter[str] = Counter()

    def _config(self, region: str) -> Config:
        return Config(
            access_key_id=self._access_key[0],
            access_key_secret=self._access_key[1],
            endpoint=self._endpoint,
            protocol="http",
            region_id=region,
        )

    def _client(self, product: str, region: str) -> Any:
        if (product, region) not in self._clients:
            factory = {"ecs": EcsClient, "kms": KmsClient, "ram": RamClient}[product]
            self._clients[(product, region)] = factory(self._config(region))
        return self._clients[(product, region)]

    def _call(self, action: str, method: Any, request: Any) -> Any:
        self.calls[action] += 1
        return method(request).body

    def handle(self, events: Iterable[dict[str, Any]]) -> None:
        for event in events:
            self.handle_one(event)

    def handle_one(self, event: dict[str, Any]) -> None:
        parameters = event.get("requestParameters") or {}
        if event.get("eventName") != "ModifyImageSharePermission" or event.get("errorCode"):
            return
        region, image_id = parameters["RegionId"], parameters["ImageId"]
        added = [v for k, v in sorted(parameters.items()) if k.startswith("AddAccount.")]
        if not added:
            return
        ecs, kms, ram = self._client("ecs", region), self._client("kms", region), self._client("ram", region)

        images = self._call(
            "Ecs:DescribeImages",
            ecs.describe_images,
            ecs_models.DescribeImagesRequest(region_id=region, image_id=image_id, image_owner_alias="self"),
        ).images.image
        if not images:
            return
        snapshot_ids = [m.snapshot_id for m in images[0].disk_device_mappings.disk_device_mapping if m.snapshot_id]
        snapshots = self._call(
            "Ecs:DescribeSnapshots",
            ecs.describe_snapshots,
            ecs_models.DescribeSnapshotsRequest(region_id=region, snapshot_ids=json.dumps(snapshot_ids)),
        ).snapshots.snapshot
        key_ids = sorted({s.kmskey_id for s in snapshots if s.encrypted and s.kmskey_id})
        if not key_ids:
            return
        shared = self._call(
            "Ecs:DescribeImageSharePermission",
            ecs.describe_image_share_permission,
            ecs_models.DescribeImageSharePermissionRequest(region_id=region, image_id=image_id, page_size=100),
        ).accounts.account
        sharees = [uid for uid in added if uid in {str(a.aliyun_id) for a in shared or []}]
        if not sharees:
            return
        arns = [
            self._call("Kms:DescribeKey", kms.describe_key, kms_models.DescribeKeyRequest(key_id=k)).key_metadata.arn
            for k in key_ids
        ]
        self._trust(ram, sharees)
        self._grant(ram, arns)

    def _trust(self, ram: Any, sharees: list[str]) -> None:
        role = self._call("Ram:GetRole", ram.get_role, ram_models.GetRoleRequest(role_name=ROLE)).role
        trust = json.loads(role.assume_role_policy_document)
        principals = [f"{uid}@ecs.aliyuncs.com" for uid in sharees]
        statements = trust.setdefault("Statement", [])
        ours = next((s for s in statements if s.get("Sid") == "naive"), None)
        if ours is None:
            ours = {"Sid": "naive", "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": []}}
            statements.append(ours)
        missing = [p for p in principals if p not in ours["Principal"]["Service"]]
        if missing:
            ours["Principal"]["Service"] += missing
            self._call(
                "Ram:UpdateRole",
                ram.update_role,
                ram_models.UpdateRoleRequest(role_name=ROLE, new_assume_role_policy_document=json.dumps(trust)),
            )

    def _grant(self, ram: Any, arns: list[str]) -> None:
        try:
            body = self._call(
                "Ram:GetPolicy", ram.get_policy, ram_models.GetPolicyRequest(policy_name=POLICY, policy_type="Custom")
            )
            granted: list[str] = json.loads(body.default_policy_version.policy_document)["Statement"][0]["Resource"]
        except TeaException as error:
            if "NotExist" not in str(error.code):
                raise
            granted = []
            exists = False
        else:
            exists = True
        if not exists or set(arns) - set(granted):
            document = json.dumps(
                {
                    "Version": "1",
                    "Statement": [{"Action": KEY_ACTIONS, "Effect": "Allow", "Resource": sorted({*granted, *arns})}],
                }
            )
            if exists:
                self._call(
                    "Ram:CreatePolicyVersion",
                    ram.create_policy_version,
                    ram_models.CreatePolicyVersionRequest(
                        policy_name=POLICY,
                        policy_document=document,
                        set_as_default=True,
                        rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded",
                    ),
                )
            else:
                self._call(
                    "Ram:CreatePolicy",
                    ram.create_policy,
                    ram_models.CreatePolicyRequest(policy_name=POLICY, policy_document=document),
                )
        attached = self._call(
            "Ram:ListPoliciesForRole", ram.list_policies_for_role, ram_models.ListPoliciesForRoleRequest(role_name=ROLE)
        ).policies.policy
        if not any(p.policy_name == POLICY and p.policy_type == "Custom" for p in attached or []):
            self._call(
                "Ram:AttachPolicyToRole",
                ram.attach_policy_to_role,
                ram_models.AttachPolicyToRoleRequest(policy_type="Custom", policy_name=POLICY, role_name=ROLE),
            )
