"""The seed format (localcloud/README.md): every documented key, errors that name their path, dumps that
round-trip, YAML and JSON files, and the state debug endpoint."""

from __future__ import annotations

import copy
import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from Tea.exceptions import TeaException

from localcloud import LocalCloud
from localcloud.seed import SeedError, cloud_from_dict, dump_cloud, load_seed
from localcloud.state import IMAGE_ROLE
from tests.localcloud.conftest import (
    CMK,
    FOLDER,
    HZ,
    KEYS,
    MEMBER,
    RD,
    ROOT,
    SERVICE_KEY,
    SH,
    SHAREE,
    SHARER,
    SUBFOLDER,
    base_seed,
    config,
    start,
)

ECS_TRUST = {
    "Version": "1",
    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["ecs.aliyuncs.com"]}}],
}
DECRYPT: dict[str, Any] = {"Version": "1", "Statement": [{"Action": "kms:Decrypt", "Resource": "*", "Effect": "Allow"}]}
ENCRYPT: dict[str, Any] = {"Version": "1", "Statement": [{"Action": "kms:Encrypt", "Resource": "*", "Effect": "Allow"}]}
H = "tests.localcloud.handlers"


def full_seed() -> dict[str, Any]:
    """base_seed plus every optional key the README documents."""
    s = base_seed()
    s["settings"] = {
        "share_check": "role-trusts",
        "default_region": SH,
        "resource_sharing_items_per_call": 7,
        "ram_custom_policies_per_role": 15,
    }
    s["faults"] = {"seed": 7, "rules": [{"kind": "latency", "action": "Ram:UpdateRole", "rate": 0.5, "latency_ms": 1}]}
    sharer = s["accounts"][0]
    sharer["kms_keys"].append(
        {"id": "key-disabled01", "region": HZ, "state": "Disabled", "description": "old", "aliases": ["alias/old"]}
    )
    sharer["snapshots"].append(
        {"id": "s-full0001", "size_gb": 80, "status": "progressing", "usage": "none", "name": "big"}
    )  # no region: the default region (SH)
    sharer["images"].append(
        {
            "id": "m-full0001",
            "region": HZ,
            "name": "full",
            "status": "Deprecated",
            "disks": [{"snapshot_id": "s-cmk0001", "device": "/dev/vda", "size_gb": 60}],
            "shared_with": {SHAREE: "2024-05-06T07:08:09Z"},
        }
    )
    sharer["policies"] = [
        {"name": "one", "document": DECRYPT, "description": "single"},
        {"name": "many", "versions": [{"document": DECRYPT}, {"document": json.dumps(ENCRYPT)}], "default_index": 0},
    ]
    sharer["roles"] = [
        {
            "name": IMAGE_ROLE,
            "id": "300000000000000001",
            "trust_policy": ECS_TRUST,
            "description": "share role",
            "max_session_duration": 7200,
            "policies": [{"type": "Custom", "name": "one"}, {"type": "System", "name": "AliyunKMSFullAccess"}],
        },
        {
            "name": "fc-role",
            "id": "300000000000000002",
            "trust_policy": json.dumps(ECS_TRUST),
            "policies": [{"name": "many"}],
        },
    ]
    sharer["resource_shares"] = [
        {
            "id": "rs-Full0001",
            "name": "full-share",
            "region": HZ,
            "allow_external": True,
            "status": "Active",
            "resources": [{"id": "m-plain001", "type": "Image", "status": "Associated", "message": ""}],
            "targets": [{"id": SHAREE}, {"id": RD}, {"id": FOLDER, "status": "Failed", "message": "why"}],
        }
    ]
    sharer["sls_projects"] = [{"name": "app-logs", "region": HZ, "logstores": [{"name": "events", "shards": 3}]}]
    sharer["trail"] = {
        "name": "sharetrust-trail",
        "project": "trail-project",
        "region": HZ,
        "shards": 4,
        "event_rw": "All",
        "trail_region": SH,
        "logging": False,
        "sls_write_role": "trail-writer",
    }
    sharer["functions"] = [
        {
            "service": "sharetrust",
            "name": "on-share-event",
            "handler": f"{H}.echo",
            "runtime": "python3.12",
            "role": "fc-role",
            "environment": {"MODE": "strict"},
            "timeout": 30,
        },
        {"service": "sharetrust", "name": "on-trail-logs", "handler": f"{H}.echo"},
        {"name": "sharetrust-reconcile", "handler": f"{H}.echo", "runtime": "python3.12", "region": SH},  # FC 3.0
    ]
    sharer["triggers"] = [
        {"type": "timer", "name": "every-hour", "function": "sharetrust-reconcile", "cron": "@every 30m"},
        {
            "type": "eventbridge",
            "name": "eb",
            "function": ["sharetrust", "on-share-event"],
            "pattern": {"type": [{"suffix": ":ActionTrail:ApiCall"}]},
        },
        {
            "type": "log",
            "name": "trail-log",
            "function": ["sharetrust", "on-trail-logs"],
            "project": "trail-project",
            "logstore": "actiontrail_sharetrust-trail",
            "parameter": {"mode": "x"},
            "max_retry": 5,
        },
    ]
    return s


def test_every_documented_key_loads() -> None:
    cloud, fault_seed, rules = cloud_from_dict(full_seed())
    assert (cloud.settings.share_check, cloud.settings.default_region) == ("role-trusts", SH)
    assert cloud.settings.resource_sharing_items_per_call == 7
    assert cloud.settings.ram_custom_policies_per_role == 15
    assert cloud.regions == [HZ, SH]
    assert fault_seed == 7
    assert [(r.kind, r.action, r.rate, r.latency_ms) for r in rules] == [("latency", "Ram:UpdateRole", 0.5, 1)]

    alice = cloud.accounts[SHARER].keys["AKSHARERALICE0000001"]
    assert (alice.secret, alice.user) == ("alice-secret", "alice")
    assert cloud.accounts[SHARER].keys[KEYS[SHARER][0]].user is None
    assert cloud.accounts[SHARER].name == "sharer"

    assert cloud.keys[SERVICE_KEY].aliases == ["alias/acs/ecs"] and cloud.keys[SERVICE_KEY].is_service_key
    assert cloud.keys[CMK].aliases == ["alias/images"]
    disabled = cloud.keys["key-disabled01"]
    assert (disabled.state, disabled.description, disabled.region) == ("Disabled", "old", HZ)

    snap = cloud.snapshots["s-full0001"]
    assert (snap.region, snap.size_gb, snap.status, snap.usage, snap.name, snap.encrypted) == (
        SH,
        80,
        "progressing",
        "none",
        "big",
        False,
    )
    assert (cloud.snapshots["s-cmk0001"].encrypted, cloud.snapshots["s-cmk0001"].kms_key_id) == (True, CMK)
    assert cloud.snapshots["s-cmkdisk1"].usage == "disk"

    image = cloud.images["m-full0001"]
    assert (image.name, image.status, image.region) == ("full", "Deprecated", HZ)
    assert [(d.device, d.snapshot_id, d.size_gb) for d in image.disks] == [("/dev/vda", "s-cmk0001", 60)]
    assert image.shared_with == {SHAREE: "2024-05-06T07:08:09Z"}
    assert [d.device for d in cloud.images["m-twokeys1"].disks] == ["/dev/xvda", "/dev/xvdb"]

    ram = cloud.ram[SHARER]
    assert ram.policies["one"].description == "single" and ram.policies["one"].default_version.id == "v1"
    many = ram.policies["many"]
    assert [(v.id, v.is_default) for v in many.versions] == [("v1", True), ("v2", False)]
    assert json.loads(many.versions[1].document) == ENCRYPT and many.next_version == 3
    role = ram.roles[IMAGE_ROLE.lower()]
    assert (role.id, role.description, role.max_session_duration) == ("300000000000000001", "share role", 7200)
    assert json.loads(role.trust_policy) == ECS_TRUST
    assert [(a.policy_type, a.policy_name) for a in ram.attachments[IMAGE_ROLE.lower()]] == [
        ("Custom", "one"),
        ("System", "AliyunKMSFullAccess"),
    ]
    assert [a.policy_type for a in ram.attachments["fc-role"]] == ["Custom"]  # type defaults to Custom

    share = cloud.resource_shares["rs-Full0001"]
    assert (share.name, share.owner, share.region, share.allow_external, share.status) == (
        "full-share",
        SHARER,
        HZ,
        True,
        "Active",
    )
    assert [
        (a.entity_id, a.entity_type, a.association_type, a.status, a.status_message) for a in share.associations
    ] == [
        ("m-plain001", "Image", "Resource", "Associated", ""),
        (SHAREE, "Account", "Target", "Associated", ""),
        (RD, "ResourceDirectory", "Target", "Associated", ""),
        (FOLDER, "Folder", "Target", "Failed", "why"),
    ]

    assert [len(s.shards) for s in cloud.sls_projects["app-logs"].logstores.values()] == [3]
    trail = cloud.trails[0]
    assert (trail.name, trail.sls_project, trail.region, trail.logstore) == (
        "sharetrust-trail",
        "trail-project",
        HZ,
        "actiontrail_sharetrust-trail",
    )
    assert len(cloud.sls_projects["trail-project"].logstores[trail.logstore].shards) == 4
    assert (trail.event_rw, trail.trail_region, trail.logging, trail.sls_write_role) == (
        "All",
        SH,
        False,
        "trail-writer",
    )

    fn = cloud.functions[(SHARER, "sharetrust", "on-share-event")]
    assert (fn.handler, fn.runtime, fn.role, fn.environment, fn.timeout) == (
        f"{H}.echo",
        "python3.12",
        "fc-role",
        {"MODE": "strict"},
        30,
    )
    plain_fn = cloud.functions[(SHARER, "sharetrust", "on-trail-logs")]
    assert (plain_fn.runtime, plain_fn.role, plain_fn.timeout) == ("python3.10", None, 60)
    fc3 = cloud.functions[(SHARER, "", "sharetrust-reconcile")]
    assert (fc3.runtime, fc3.region, fc3.label) == ("python3.12", SH, "sharetrust-reconcile")
    assert (plain_fn.region, plain_fn.label) == (SH, "sharetrust/on-trail-logs")  # the seed's default region
    timer = cloud.timer_triggers[0]
    assert (timer.name, timer.function, timer.cron) == (
        "every-hour",
        (SHARER, "", "sharetrust-reconcile"),
        "@every 30m",
    )
    eb = cloud.eventbridge_triggers[0]
    assert (eb.name, eb.function, eb.account_uid) == ("eb", (SHARER, "sharetrust", "on-share-event"), SHARER)
    assert eb.pattern == {"type": [{"suffix": ":ActionTrail:ApiCall"}]}
    log = cloud.sls_triggers[0]
    assert (log.name, log.project, log.logstore, log.parameter, log.max_retry) == (
        "trail-log",
        "trail-project",
        "actiontrail_sharetrust-trail",
        {"mode": "x"},
        5,
    )

    directory = cloud.directories[RD]
    assert (directory.master_uid, directory.root_folder_id) == (SHARER, ROOT)
    assert directory.folder_path(SUBFOLDER) == f"{RD}/{ROOT}/{FOLDER}/{SUBFOLDER}"
    assert directory.members == {MEMBER: SUBFOLDER, SHAREE: ROOT, SHARER: ROOT}  # the master sits in the root


def test_defaults_of_an_empty_seed() -> None:
    cloud, fault_seed, rules = cloud_from_dict({})
    assert (cloud.settings.share_check, cloud.settings.default_region) == ("role-exists", HZ)
    assert cloud.settings.resource_sharing_items_per_call == 5
    assert cloud.settings.ram_custom_policies_per_role == 10  # RAM "Limitations", Dec 2025
    assert (cloud.accounts, fault_seed, rules) == ({}, 0, [])
    assert "AliyunKMSFullAccess" in cloud.system_policies


# ---- errors name the exact path ------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _sharer(s: dict[str, Any]) -> dict[str, Any]:
    sharer: dict[str, Any] = s["accounts"][0]
    return sharer


BAD_SEEDS: list[tuple[str, Mutation, str]] = [
    ("top-level key", lambda s: s.update(account=[]), "seed: unknown keys account"),
    ("account key", lambda s: _sharer(s).update(image=[]), "seed.accounts[0]: unknown keys image"),
    (
        "nested key",
        lambda s: _sharer(s)["images"][0].update(share_with=[SHAREE]),
        "seed.accounts[0].images[0]: unknown keys share_with",
    ),
    (
        "snapshot key",
        lambda s: _sharer(s)["snapshots"][0].update(kms_key="x"),
        "seed.accounts[0].snapshots[0]: unknown keys kms_key",
    ),
    ("missing uid", lambda s: s["accounts"][1].pop("uid"), "seed.accounts[1].uid is required"),
    ("uid not digits", lambda s: s["accounts"][1].update(uid="sharee"), "seed.accounts[1].uid must be digits"),
    ("uid twice", lambda s: s["accounts"][1].update(uid=SHARER), f"seed.accounts[1].uid {SHARER} appears twice"),
    (
        "unknown snapshot in an image disk",
        lambda s: _sharer(s)["images"][1]["disks"].__setitem__(0, {"snapshot_id": "s-nothere"}),
        "seed.accounts[0].images[1].disks[0].snapshot_id 's-nothere' is not a seeded snapshot",
    ),
    (
        "unknown KMS key of a snapshot",
        lambda s: _sharer(s)["snapshots"][0].update(kms_key_id="key-nothere"),
        "seed.accounts[0].snapshots[0].kms_key_id 'key-nothere' is not a seeded KMS key",
    ),
    (
        "bad region",
        lambda s: _sharer(s)["kms_keys"][1].update(region="eu-nowhere-1"),
        "seed.accounts[0].kms_keys[1].region 'eu-nowhere-1' is not one of",
    ),
    (
        "default region not in regions",
        lambda s: s["settings"].update(default_region="us-west-1"),
        "settings.default_region 'us-west-1' is not in regions",
    ),
    (
        "bad share_check",
        lambda s: s["settings"].update(share_check="strict"),
        "settings.share_check must be role-exists or role-trusts, got 'strict'",
    ),
    ("settings key", lambda s: s["settings"].update(sharecheck="x"), "settings: unknown keys sharecheck"),
    (
        "custom policy quota",
        lambda s: s["settings"].update(ram_custom_policies_per_role=0),
        "settings.ram_custom_policies_per_role must be at least 1",
    ),
    (
        "bad fault kind",
        lambda s: s.update(faults={"rules": [{"kind": "latency"}, {"kind": "explode"}]}),
        "faults.rules[1]: fault kind must be one of latency, throttle, unavailable, drop, lose, got 'explode'",
    ),
    (
        "bad fault rate",
        lambda s: s.update(faults={"rules": [{"kind": "throttle", "rate": 2}]}),
        "faults.rules[0]: fault rate must be within 0..1",
    ),
    (
        "trigger at an unknown function",
        lambda s: _sharer(s).update(
            functions=[{"service": "svc", "name": "fn", "handler": f"{H}.echo"}],
            triggers=[{"type": "eventbridge", "name": "eb", "function": ["svc", "other"]}],
        ),
        f"seed.accounts[0].triggers[0].function ['svc', 'other'] is not a seeded function of {SHARER}",
    ),
    (
        "trigger of an unknown type",
        lambda s: _sharer(s).update(
            functions=[{"service": "svc", "name": "fn", "handler": f"{H}.echo"}],
            triggers=[{"type": "http", "name": "t", "function": ["svc", "fn"]}],
        ),
        "seed.accounts[0].triggers[0].type must be eventbridge, log or timer, got 'http'",
    ),
    (
        "log trigger at an unknown logstore",
        lambda s: _sharer(s).update(
            functions=[{"service": "svc", "name": "fn", "handler": f"{H}.echo"}],
            triggers=[{"type": "log", "name": "l", "function": ["svc", "fn"], "project": "p", "logstore": "x"}],
        ),
        "seed.accounts[0].triggers[0]: no logstore p/x",
    ),
    (
        "non-Python runtime",
        lambda s: _sharer(s).update(functions=[{"service": "s", "name": "f", "handler": "h", "runtime": "nodejs18"}]),
        "seed.accounts[0].functions[0].runtime 'nodejs18' is not a Python runtime FC offers",
    ),
    (
        "folder parent listed after its child",
        lambda s: s["resource_directories"][0]["folders"].reverse(),
        f"seed.resource_directories[0].folders[0].parent '{FOLDER}' must be listed before its children",
    ),
    (
        "member in an unknown folder",
        lambda s: s["resource_directories"][0]["members"].update({MEMBER: "fd-nothere"}),
        f"seed.resource_directories[0].members.{MEMBER}: folder 'fd-nothere' does not exist",
    ),
    (
        "member not an account",
        lambda s: s["resource_directories"][0]["members"].update({"9999999999999999": ROOT}),
        "seed.resource_directories[0].members.9999999999999999: 9999999999999999 is not a seeded account",
    ),
    (
        "master not an account",
        lambda s: s["resource_directories"][0].update(master="9999999999999999"),
        "seed.resource_directories[0].master 9999999999999999 is not a seeded account",
    ),
    (
        "attachment of an unknown policy",
        lambda s: _sharer(s).update(
            roles=[{"name": "r", "trust_policy": ECS_TRUST, "policies": [{"type": "System", "name": "Nope"}]}]
        ),
        "seed.accounts[0].roles[0].policies[0]: no System policy named 'Nope'",
    ),
    (
        "role without trust policy",
        lambda s: _sharer(s).update(roles=[{"name": "r"}]),
        "seed.accounts[0].roles[0].trust_policy is required",
    ),
    (
        "policy version without a document",
        lambda s: _sharer(s).update(policies=[{"name": "p", "versions": [{"document": DECRYPT}, {"id": "v2"}]}]),
        "seed.accounts[0].policies[0].versions[1].document is required",
    ),
    (
        "policy default index out of range",
        lambda s: _sharer(s).update(policies=[{"name": "p", "document": DECRYPT, "default_index": 3}]),
        "seed.accounts[0].policies[0].default_index 3 is not an index of its versions",
    ),
    (
        "resource share of another account's image",
        lambda s: s["accounts"][1].update(
            resource_shares=[{"id": "rs-x", "resources": [{"id": "m-plain001", "type": "Image"}]}]
        ),
        f"seed.accounts[1].resource_shares[0].resources[0]: no Image 'm-plain001' seeded for account {SHAREE}",
    ),
    ("list expected", lambda s: _sharer(s).update(images={"id": "m-x"}), "seed.accounts[0].images must be a list"),
    ("mapping expected", lambda s: _sharer(s).update(images=["m-x"]), "seed.accounts[0].images[0] must be a mapping"),
    (
        "value of the wrong type",
        lambda s: _sharer(s)["snapshots"][0].update(size_gb="big"),
        "seed: malformed value (ValueError",
    ),
]


@pytest.mark.parametrize(("mutate", "message"), [(m, e) for _, m, e in BAD_SEEDS], ids=[i for i, _, _ in BAD_SEEDS])
def test_errors_name_the_exact_path(mutate: Mutation, message: str) -> None:
    seed = base_seed()
    cloud_from_dict(copy.deepcopy(seed))  # the unmodified seed is fine
    mutate(seed)
    with pytest.raises(SeedError) as raised:
        cloud_from_dict(seed)
    assert message in str(raised.value)


# ---- dumps round-trip ----------------------------------------------------------------------------


def test_dump_round_trips_a_full_seed() -> None:
    cloud, _, _ = cloud_from_dict(full_seed())
    dumped = dump_cloud(cloud)
    again, _, _ = cloud_from_dict(json.loads(json.dumps(dumped)))  # what GET /_localcloud/state carries
    assert dump_cloud(again) == dumped


def test_dump_round_trips_state_changed_through_the_sdks(lc: LocalCloud) -> None:
    ram = RamClient(config(lc))
    ram.create_role(
        ram_models.CreateRoleRequest(role_name=IMAGE_ROLE, assume_role_policy_document=json.dumps(ECS_TRUST))
    )
    ram.create_policy(ram_models.CreatePolicyRequest(policy_name="p", policy_document=json.dumps(DECRYPT)))
    # v2..v7 with rotation: v6 makes room by dropping v2 (v1 is still the default), v7 by dropping v1.
    for n in range(2, 8):
        ram.create_policy_version(
            ram_models.CreatePolicyVersionRequest(
                policy_name="p",
                policy_document=json.dumps(
                    {
                        "Version": "1",
                        "Statement": [{"Sid": f"s{n}", "Action": "kms:Decrypt", "Resource": "*", "Effect": "Allow"}],
                    }
                ),
                set_as_default=n == 6,
                rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded",
            )
        )
    ram.attach_policy_to_role(
        ram_models.AttachPolicyToRoleRequest(policy_type="Custom", policy_name="p", role_name=IMAGE_ROLE)
    )
    EcsClient(config(lc)).modify_image_share_permission(
        ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id="m-cmk0001", add_account=[SHAREE])
    )
    dumped = dump_cloud(lc.cloud)
    assert dumped["accounts"][0]["policies"][0]["default_index"] == 3
    assert [v["id"] for v in dumped["accounts"][0]["policies"][0]["versions"]] == ["v3", "v4", "v5", "v6", "v7"]
    again, _, _ = cloud_from_dict(dumped)
    assert dump_cloud(again) == dumped

    # A local cloud started from the dump answers like the original: same version ids, same next one.
    with start(dumped) as restarted:
        ram2 = RamClient(config(restarted))
        got = ram2.get_policy(ram_models.GetPolicyRequest(policy_name="p", policy_type="Custom")).body
        assert got.default_policy_version.version_id == "v6"
        created = ram2.create_policy_version(
            ram_models.CreatePolicyVersionRequest(
                policy_name="p",
                policy_document=json.dumps(DECRYPT),
                rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded",
            )
        ).body.policy_version
        assert created.version_id == "v8"
        listed = ram2.list_policies_for_role(ram_models.ListPoliciesForRoleRequest(role_name=IMAGE_ROLE)).body
        assert [p.policy_name for p in listed.policies.policy] == ["p"]
        assert restarted.cloud.images["m-cmk0001"].shared_with == lc.cloud.images["m-cmk0001"].shared_with


# ---- files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_yaml_and_json_files_load(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"seed{suffix}"
    seed = full_seed()
    path.write_text(json.dumps(seed) if suffix == ".json" else yaml.safe_dump(seed, sort_keys=False), encoding="utf-8")
    with LocalCloud.from_seed(path) as lc:
        assert dump_cloud(lc.cloud) == dump_cloud(cloud_from_dict(full_seed())[0])
        assert [(r.kind, r.action) for r in lc.faults.rules()] == [("latency", "Ram:UpdateRole")]
        # Served: a seeded key signs a real SDK call in the default region.
        regions = EcsClient(config(lc, region=SH)).describe_regions(ecs_models.DescribeRegionsRequest()).body
        assert [r.region_id for r in regions.regions.region] == [HZ, SH]


def test_the_demo_seed_loads() -> None:
    cloud, _, _ = load_seed(Path(__file__).parents[2] / "localcloud" / "demo_seed.yaml")
    assert len(cloud.accounts) == 5 and cloud.functions


def test_no_seed_is_an_empty_cloud() -> None:
    with LocalCloud.from_seed(None) as lc:
        assert lc.cloud.accounts == {}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.json", '{"accounts": [', "bad.json: not valid JSON"),
        ("bad.yaml", "accounts: [\n  - {uid: 1\n", "bad.yaml: not valid YAML"),
        ("list.yaml", "- uid: 1\n", "list.yaml: the seed must be a mapping at the top level"),
        ("empty.json", "null", "empty.json: the seed must be a mapping at the top level"),
    ],
)
def test_unreadable_files_are_seed_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(SeedError) as raised:
        LocalCloud.from_seed(tmp_path / name)
    assert message in str(raised.value)


# ---- seeded faults and the state endpoint ---------------------------------------------------------


@pytest.fixture
def seed() -> dict[str, Any]:
    s = base_seed()
    s["faults"] = {"seed": 3, "rules": [{"kind": "throttle", "action": "Ecs:DescribeRegions", "times": 1}]}
    return s


def test_seeded_faults_are_active(lc: LocalCloud) -> None:
    client = EcsClient(config(lc))
    with pytest.raises(TeaException) as raised:
        client.describe_regions(ecs_models.DescribeRegionsRequest())
    assert raised.value.code == "Throttling.User"
    assert client.describe_regions(ecs_models.DescribeRegionsRequest()).body.regions is not None


def test_state_endpoint_returns_the_dump(lc: LocalCloud) -> None:
    EcsClient(config(lc)).modify_image_share_permission(
        ecs_models.ModifyImageSharePermissionRequest(region_id=HZ, image_id="m-plain001", add_account=[SHAREE])
    )
    with urllib.request.urlopen(f"{lc.url}/_localcloud/state", timeout=10) as response:
        assert response.status == 200
        state = json.loads(response.read())
    assert state == json.loads(json.dumps(dump_cloud(lc.cloud)))
    assert SHAREE in state["accounts"][0]["images"][2]["shared_with"]
    again, _, _ = cloud_from_dict(state)
    assert dump_cloud(again) == state
