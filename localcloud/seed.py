"""Seed files: build a Cloud from a documented YAML or JSON file, and dump one back.

The format (every key optional unless marked) is documented in localcloud/README.md and
exercised by tests/localcloud/test_seed.py. Errors name the exact path that was wrong.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.faults import FaultRule
from localcloud.state import (
    AccessKey,
    Account,
    Association,
    Attachment,
    Cloud,
    DiskMapping,
    EventBridgeTrigger,
    Folder,
    Function,
    Image,
    KmsKey,
    Logstore,
    Policy,
    PolicyVersion,
    ResourceDirectory,
    ResourceShare,
    Role,
    Settings,
    Shard,
    SlsProject,
    SlsTrigger,
    Snapshot,
    TimerTrigger,
    Trail,
)

SYSTEM_POLICIES: dict[str, dict[str, Any]] = {
    "AliyunKMSFullAccess": {
        "Version": "1",
        "Statement": [{"Action": "kms:*", "Resource": "*", "Effect": "Allow"}],
    },
    "AliyunKMSReadOnlyAccess": {
        "Version": "1",
        "Statement": [{"Action": ["kms:List*", "kms:Describe*", "kms:Get*"], "Resource": "*", "Effect": "Allow"}],
    },
    "AliyunECSFullAccess": {
        "Version": "1",
        "Statement": [{"Action": "ecs:*", "Resource": "*", "Effect": "Allow"}],
    },
    "AdministratorAccess": {
        "Version": "1",
        "Statement": [{"Action": "*", "Resource": "*", "Effect": "Allow"}],
    },
    "ReadOnlyAccess": {
        "Version": "1",
        "Statement": [{"Action": ["*:Describe*", "*:List*", "*:Get*"], "Resource": "*", "Effect": "Allow"}],
    },
}


class SeedError(ValueError):
    """A seed file is wrong; the message names where."""


def _doc(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _req(node: dict[str, Any], key: str, where: str) -> Any:
    if key not in node or node[key] in (None, ""):
        raise SeedError(f"{where}.{key} is required")
    return node[key]


def _items(node: dict[str, Any], key: str, where: str) -> list[tuple[str, dict[str, Any]]]:
    value = node.get(key) or []
    if not isinstance(value, list):
        raise SeedError(f"{where}.{key} must be a list")
    out: list[tuple[str, dict[str, Any]]] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise SeedError(f"{where}.{key}[{i}] must be a mapping")
        out.append((f"{where}.{key}[{i}]", item))
    return out


def _check_keys(node: dict[str, Any], allowed: AbstractSet[str], where: str) -> None:
    unknown = set(node) - allowed
    if unknown:
        raise SeedError(f"{where}: unknown keys {', '.join(sorted(unknown))}")


def builtin_system_policies() -> dict[str, Policy]:
    return {
        name: Policy(name, "System", f"System policy {name}", [PolicyVersion("v1", _doc(doc), True)], 2)
        for name, doc in SYSTEM_POLICIES.items()
    }


def cloud_from_dict(raw: dict[str, Any]) -> tuple[Cloud, int, list[FaultRule]]:
    """Builds the cloud, the fault seed and the fault rules a seed document describes."""
    try:
        return _build(raw)
    except SeedError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, StopIteration) as bad:
        # A value of the wrong type deep inside (`size_gb: big`): still a SeedError, never a traceback.
        raise SeedError(f"seed: malformed value ({type(bad).__name__}: {bad})") from None


# ---- how a seed is read: a table of top-level sections, and one of account sections -------------
# Each section is its allowed keys and a small loader; the loaders run in table order, which is the
# order of dependencies (snapshots before the images that use them, policies before roles, ...).


@dataclass
class _Seeding:
    """What the loaders build: the cloud, and the fault seed and rules."""

    cloud: Cloud
    fault_seed: int = 0
    fault_rules: list[FaultRule] = field(default_factory=list)

    def region_of(self, node: dict[str, Any], where: str) -> str:
        region = str(node.get("region") or self.cloud.settings.default_region)
        if region not in self.cloud.regions:
            raise SeedError(f"{where}.region {region!r} is not one of {self.cloud.regions}")
        return region


@dataclass(frozen=True)
class _Owner:
    """An account section's loader gets the seeding and the account the entry belongs to."""

    seeding: _Seeding
    uid: str

    @property
    def cloud(self) -> Cloud:
        return self.seeding.cloud


@dataclass(frozen=True)
class _Section:
    """An account section: the keys one entry may have, and the loader of one entry.

    A list section (`kms_keys: [...]`) is named `<account>.kms_keys[i]` in errors; a single one
    (`trail: {...}`) is named `<account>.trail` and skipped when empty."""

    keys: frozenset[str]
    load: Callable[[_Owner, dict[str, Any], str], None]
    single: bool = False


def _build(raw: dict[str, Any]) -> tuple[Cloud, int, list[FaultRule]]:
    _check_keys(raw, set(_SEED_SECTIONS), "seed")
    seeding = _Seeding(Cloud(system_policies=builtin_system_policies()))
    for load in _SEED_SECTIONS.values():
        load(seeding, raw)
    return seeding.cloud, seeding.fault_seed, seeding.fault_rules


# ---- top-level sections


def _settings(seeding: _Seeding, raw: dict[str, Any]) -> None:
    settings = raw.get("settings") or {}
    _check_keys(
        settings,
        {"share_check", "default_region", "resource_sharing_items_per_call", "ram_custom_policies_per_role"},
        "settings",
    )
    share_check = settings.get("share_check", "role-exists")
    if share_check not in ("role-exists", "role-trusts"):
        raise SeedError(f"settings.share_check must be role-exists or role-trusts, got {share_check!r}")
    seeding.cloud.settings = Settings(
        share_check=share_check,
        resource_sharing_items_per_call=int(settings.get("resource_sharing_items_per_call", 5)),
        default_region=str(settings.get("default_region", "cn-hangzhou")),
        ram_custom_policies_per_role=int(settings.get("ram_custom_policies_per_role", 10)),
    )
    if seeding.cloud.settings.ram_custom_policies_per_role < 1:
        raise SeedError("settings.ram_custom_policies_per_role must be at least 1")


def _regions(seeding: _Seeding, raw: dict[str, Any]) -> None:
    cloud = seeding.cloud
    if raw.get("regions"):
        cloud.regions = [str(r) for r in raw["regions"]]
    if cloud.settings.default_region not in cloud.regions:
        raise SeedError(f"settings.default_region {cloud.settings.default_region!r} is not in regions")


def _accounts(seeding: _Seeding, raw: dict[str, Any]) -> None:
    cloud = seeding.cloud
    for where, acc in _items(raw, "accounts", "seed"):
        _check_keys(acc, {"uid", "name", *_ACCOUNT_SECTIONS}, where)
        uid = str(_req(acc, "uid", where))
        if not uid.isdigit():
            raise SeedError(f"{where}.uid must be digits, got {uid!r}")
        if uid in cloud.accounts:
            raise SeedError(f"{where}.uid {uid} appears twice")
        cloud.accounts[uid] = Account(uid, str(acc.get("name", uid)))
        owner = _Owner(seeding, uid)
        for key, section in _ACCOUNT_SECTIONS.items():
            if section.single:
                entry = acc.get(key)
                entries = [(f"{where}.{key}", entry)] if entry else []
            else:
                entries = _items(acc, key, where)
            for ewhere, node in entries:
                _check_keys(node, section.keys, ewhere)
                section.load(owner, node, ewhere)


def _resource_directories(seeding: _Seeding, raw: dict[str, Any]) -> None:
    cloud = seeding.cloud
    for dwhere, rd in _items(raw, "resource_directories", "seed"):
        _check_keys(rd, {"id", "master", "root_folder_id", "folders", "members"}, dwhere)
        master = str(_req(rd, "master", dwhere))
        if master not in cloud.accounts:
            raise SeedError(f"{dwhere}.master {master} is not a seeded account")
        directory = ResourceDirectory(str(_req(rd, "id", dwhere)), master, str(_req(rd, "root_folder_id", dwhere)))
        directory.folders[directory.root_folder_id] = Folder(directory.root_folder_id, "Root", None)
        for fwhere, folder in _items(rd, "folders", dwhere):
            _check_keys(folder, {"id", "name", "parent"}, fwhere)
            parent = str(folder.get("parent") or directory.root_folder_id)
            if parent not in directory.folders:
                raise SeedError(f"{fwhere}.parent {parent!r} must be listed before its children")
            fid = str(_req(folder, "id", fwhere))
            directory.folders[fid] = Folder(fid, str(folder.get("name", fid)), parent)
        members = rd.get("members") or {}
        if not isinstance(members, dict):
            raise SeedError(f"{dwhere}.members must be a mapping of account uid to folder id")
        for member_uid, folder_id in members.items():
            if str(member_uid) not in cloud.accounts:
                raise SeedError(f"{dwhere}.members.{member_uid}: {member_uid} is not a seeded account")
            if str(folder_id) not in directory.folders:
                raise SeedError(f"{dwhere}.members.{member_uid}: folder {folder_id!r} does not exist")
            directory.members[str(member_uid)] = str(folder_id)
        directory.members.setdefault(master, directory.root_folder_id)
        cloud.directories[directory.id] = directory


def _faults(seeding: _Seeding, raw: dict[str, Any]) -> None:
    faults = raw.get("faults") or {}
    _check_keys(faults, {"seed", "rules"}, "faults")
    for fwhere, rule in _items(faults, "rules", "faults"):
        try:
            seeding.fault_rules.append(FaultRule.from_dict(rule))
        except ValueError as bad:
            raise SeedError(f"{fwhere}: {bad}") from None
    seeding.fault_seed = int(faults.get("seed", 0))


# ---- account sections, one entry each


def _access_key(owner: _Owner, key: dict[str, Any], where: str) -> None:
    key_id = str(_req(key, "id", where))
    owner.cloud.accounts[owner.uid].keys[key_id] = AccessKey(key_id, str(_req(key, "secret", where)), key.get("user"))


def _kms_key(owner: _Owner, key: dict[str, Any], where: str) -> None:
    key_id = str(_req(key, "id", where))
    aliases = [str(a) for a in key.get("aliases", [])]
    if key.get("service") and "alias/acs/ecs" not in aliases:
        aliases.append("alias/acs/ecs")
    owner.cloud.keys[key_id] = KmsKey(
        key_id,
        owner.uid,
        owner.seeding.region_of(key, where),
        aliases,
        str(key.get("state", "Enabled")),
        str(key.get("description", "")),
    )


def _snapshot(owner: _Owner, snap: dict[str, Any], where: str) -> None:
    cloud = owner.cloud
    snap_id = str(_req(snap, "id", where))
    key_id = str(snap.get("kms_key_id") or "")
    if key_id and key_id not in cloud.keys:
        raise SeedError(f"{where}.kms_key_id {key_id!r} is not a seeded KMS key")
    cloud.snapshots[snap_id] = Snapshot(
        snap_id,
        owner.uid,
        owner.seeding.region_of(snap, where),
        bool(snap.get("encrypted", bool(key_id))),
        key_id,
        int(snap.get("size_gb", 40)),
        str(snap.get("status", "accomplished")),
        str(snap.get("usage", "image")),
        str(snap.get("name", "")),
    )


def _image(owner: _Owner, img: dict[str, Any], where: str) -> None:
    cloud = owner.cloud
    image_id = str(_req(img, "id", where))
    disks: list[DiskMapping] = []
    for dwhere, disk in _items(img, "disks", where):
        _check_keys(disk, {"device", "snapshot_id", "size_gb"}, dwhere)
        snap_id = str(_req(disk, "snapshot_id", dwhere))
        if snap_id not in cloud.snapshots:
            raise SeedError(f"{dwhere}.snapshot_id {snap_id!r} is not a seeded snapshot")
        disks.append(
            DiskMapping(
                str(disk.get("device", f"/dev/xvd{chr(97 + len(disks))}")),
                snap_id,
                int(disk.get("size_gb", cloud.snapshots[snap_id].size_gb)),
            )
        )
    shared = img.get("shared_with") or {}
    if isinstance(shared, list):
        shared = {str(s): "2025-01-01T00:00:00Z" for s in shared}
    cloud.images[image_id] = Image(
        image_id,
        owner.uid,
        owner.seeding.region_of(img, where),
        str(img.get("name", image_id)),
        disks,
        str(img.get("status", "Available")),
        {str(k): str(v) for k, v in shared.items()},
    )


def _resource_share(owner: _Owner, rs: dict[str, Any], where: str) -> None:
    """An account's `resource_shares[]` entry: `id`, `name`, `region`, `allow_external`, `status`,
    `resources: [{id, type: Image|Snapshot, status, message}]`, `targets: [{id, status, message, external}]`."""
    cloud, uid = owner.cloud, owner.uid
    share = ResourceShare(
        str(_req(rs, "id", where)),
        str(rs.get("name", rs["id"])),
        uid,
        owner.seeding.region_of(rs, where),
        bool(rs.get("allow_external", False)),
        str(rs.get("status", "Active")),
    )
    for rwhere, res in _items(rs, "resources", where):
        _check_keys(res, {"id", "type", "status", "message"}, rwhere)
        rid, rtype = str(_req(res, "id", rwhere)), str(_req(res, "type", rwhere))
        store: dict[str, Any] = {}
        if rtype in ("Image", "Snapshot"):
            store = dict(cloud.images) if rtype == "Image" else dict(cloud.snapshots)
        if rid not in store or store[rid].owner != uid:
            raise SeedError(f"{rwhere}: no {rtype} {rid!r} seeded for account {uid} (type is Image or Snapshot)")
        share.associations.append(
            Association(rid, rtype, "Resource", str(res.get("status", "Associated")), str(res.get("message", "")))
        )
    for twhere, tgt in _items(rs, "targets", where):
        _check_keys(tgt, {"id", "status", "message", "external"}, twhere)
        tid = str(_req(tgt, "id", twhere))
        kind = "Account" if tid.isdigit() else "ResourceDirectory" if tid.startswith("rd-") else "Folder"
        share.associations.append(
            Association(
                tid,
                kind,
                "Target",
                str(tgt.get("status", "Associated")),
                str(tgt.get("message", "")),
                bool(tgt.get("external", False)),
            )
        )
    cloud.resource_shares[share.id] = share


_PARAMETER = re.compile(r"\$\{([A-Za-z]+)\}")
REPOSITORY = Path(__file__).resolve().parent.parent


def policy_from_file(path: str, parameters: dict[str, str], where: str) -> str:
    """A policy document from a file (relative to the repository: `deploy/function-policy.json`) with its
    `${Name}` placeholders filled in; a placeholder without a value is an error naming it."""
    try:
        text = (REPOSITORY / path).read_text()
    except OSError as failed:
        raise SeedError(f"{where}.document_file {path!r} cannot be read: {failed.strerror}") from None
    missing = sorted({m for m in _PARAMETER.findall(text) if m not in parameters})
    if missing:
        raise SeedError(f"{where}.parameters: no value for {', '.join(missing)} (placeholders of {path})")
    return _PARAMETER.sub(lambda m: parameters[m.group(1)], text)


def _policy_document(owner: _Owner, pol: dict[str, Any], where: str) -> Any:
    if "document_file" not in pol:
        return _req(pol, "document", where)
    parameters = {"AccountId": owner.uid, **{str(k): str(v) for k, v in (pol.get("parameters") or {}).items()}}
    return policy_from_file(str(pol["document_file"]), parameters, where)


def _policy(owner: _Owner, pol: dict[str, Any], where: str) -> None:
    name = str(_req(pol, "name", where))
    versions = _items(pol, "versions", where) or [(where, {"document": _policy_document(owner, pol, where)})]
    policy = Policy(name, "Custom", str(pol.get("description", "")))
    numbers: list[int] = []
    for vwhere, version in versions:
        _check_keys(version, {"id", "document"}, vwhere)
        # `id` keeps a dumped policy's version ids (v3..v7 after rotations); v1.. by default.
        version_id = str(version.get("id") or f"v{len(policy.versions) + 1}")
        if not (version_id.startswith("v") and version_id[1:].isdigit()):
            raise SeedError(f"{vwhere}.id must look like v1, got {version_id!r}")
        if int(version_id[1:]) in numbers:
            raise SeedError(f"{vwhere}.id {version_id} appears twice")
        numbers.append(int(version_id[1:]))
        policy.versions.append(PolicyVersion(version_id, _doc(_req(version, "document", vwhere)), False))
    default_index = int(pol.get("default_index", len(versions) - 1))
    if not 0 <= default_index < len(versions):
        raise SeedError(f"{where}.default_index {default_index} is not an index of its versions")
    policy.versions[default_index].is_default = True
    policy.next_version = max(numbers) + 1
    owner.cloud.ram_of(owner.uid).policies[name] = policy


def _role(owner: _Owner, role: dict[str, Any], where: str) -> None:
    cloud = owner.cloud
    ram = cloud.ram_of(owner.uid)
    name = str(_req(role, "name", where))
    ram.roles[name.lower()] = Role(
        name,
        str(role.get("id") or f"3{secrets.randbelow(10**17):017d}"),
        owner.uid,
        _doc(_req(role, "trust_policy", where)),
        str(role.get("description", "")),
        int(role.get("max_session_duration", 3600)),
    )
    ram.attachments.setdefault(name.lower(), []).extend(_attachments(owner, role, where))


def _attachments(owner: _Owner, node: dict[str, Any], where: str) -> list[Attachment]:
    """A role's or user's `policies`: [{type: System|Custom, name}], each naming a known policy."""
    cloud, ram = owner.cloud, owner.cloud.ram_of(owner.uid)
    found: list[Attachment] = []
    for awhere, att in _items(node, "policies", where):
        _check_keys(att, {"type", "name"}, awhere)
        ptype = str(att.get("type", "Custom"))
        pname = str(_req(att, "name", awhere))
        known = cloud.system_policies if ptype == "System" else ram.policies
        if ptype not in ("System", "Custom") or pname not in known:
            raise SeedError(f"{awhere}: no {ptype} policy named {pname!r}")
        found.append(Attachment(ptype, pname))  # type: ignore[arg-type]
    return found


def _user(owner: _Owner, user: dict[str, Any], where: str) -> None:
    """A RAM user and its policies; a user with none (or not listed) may do nothing (localcloud.authorization)."""
    name = str(_req(user, "name", where))
    owner.cloud.ram_of(owner.uid).users[name.lower()] = _attachments(owner, user, where)


def _sls_project(owner: _Owner, proj: dict[str, Any], where: str) -> None:
    pname = str(_req(proj, "name", where))
    project = SlsProject(pname, owner.uid, owner.seeding.region_of(proj, where))
    for lwhere, store in _items(proj, "logstores", where):
        _check_keys(store, {"name", "shards"}, lwhere)
        lname = str(_req(store, "name", lwhere))
        project.logstores[lname] = Logstore(lname, [Shard() for _ in range(int(store.get("shards", 2)))])
    owner.cloud.sls_projects[pname] = project


def _trail(owner: _Owner, trail: dict[str, Any], where: str) -> None:
    cloud = owner.cloud
    t = Trail(
        str(_req(trail, "name", where)),
        owner.uid,
        str(_req(trail, "project", where)),
        owner.seeding.region_of(trail, where),
        str(trail.get("event_rw", "Write")),
        str(trail.get("trail_region", "All")),
        bool(trail.get("logging", True)),
        str(trail.get("sls_write_role", "AliyunServiceRoleForActionTrail")),
    )
    if t.event_rw not in ("Write", "Read", "All"):
        raise SeedError(f"{where}.event_rw must be Write, Read or All, got {t.event_rw!r}")
    project = cloud.sls_projects.setdefault(t.sls_project, SlsProject(t.sls_project, owner.uid, t.region))
    project.logstores.setdefault(
        t.logstore, Logstore(t.logstore, [Shard() for _ in range(int(trail.get("shards", 2)))])
    )
    cloud.trails.append(t)


def _function(owner: _Owner, fn: dict[str, Any], where: str) -> None:
    function = Function(
        owner.uid,
        str(fn.get("service") or ""),  # none: an FC 3.0 function
        str(_req(fn, "name", where)),
        str(_req(fn, "handler", where)),
        str(fn.get("runtime", "python3.10")),
        fn.get("role"),
        {str(k): str(v) for k, v in (fn.get("environment") or {}).items()},
        int(fn.get("timeout", 60)),
        owner.seeding.region_of(fn, where),
    )
    if function.runtime not in ("python3.10", "python3.12", "python3.9"):
        raise SeedError(f"{where}.runtime {function.runtime!r} is not a Python runtime FC offers")
    owner.cloud.functions[(owner.uid, function.service, function.name)] = function


def _trigger(owner: _Owner, trig: dict[str, Any], where: str) -> None:
    cloud, uid = owner.cloud, owner.uid
    target = trig.get("function")
    if isinstance(target, str):
        target = ["", target]  # an FC 3.0 function, named alone
    if not (isinstance(target, list) and len(target) == 2):
        raise SeedError(f"{where}.function must be [service, function] or an FC 3.0 function's name")
    fn_key = (uid, str(target[0]), str(target[1]))
    if fn_key not in cloud.functions:
        raise SeedError(f"{where}.function {target} is not a seeded function of {uid}")
    kind = trig.get("type")
    if kind == "eventbridge":
        cloud.eventbridge_triggers.append(
            EventBridgeTrigger(str(_req(trig, "name", where)), fn_key, uid, dict(trig.get("pattern") or {}))
        )
    elif kind == "log":
        project_name = str(_req(trig, "project", where))
        logstore = str(_req(trig, "logstore", where))
        sls_project = cloud.sls_projects.get(project_name)
        if sls_project is None or logstore not in sls_project.logstores:
            raise SeedError(f"{where}: no logstore {project_name}/{logstore}")
        cloud.sls_triggers.append(
            SlsTrigger(
                str(_req(trig, "name", where)),
                fn_key,
                project_name,
                logstore,
                dict(trig.get("parameter") or {}),
                int(trig.get("max_retry", 3)),
            )
        )
    elif kind == "timer":
        cloud.timer_triggers.append(
            TimerTrigger(str(_req(trig, "name", where)), fn_key, str(trig.get("cron", "@every 60m")))
        )
    else:
        raise SeedError(f"{where}.type must be eventbridge, log or timer, got {kind!r}")


def _keys(*names: str) -> frozenset[str]:
    return frozenset(names)


# In loading order: each section may refer to the ones above it.
_ACCOUNT_SECTIONS: dict[str, _Section] = {
    "access_keys": _Section(_keys("id", "secret", "user"), _access_key),
    "kms_keys": _Section(_keys("id", "region", "aliases", "service", "state", "description"), _kms_key),
    "snapshots": _Section(
        _keys("id", "region", "encrypted", "kms_key_id", "size_gb", "status", "usage", "name"), _snapshot
    ),
    "images": _Section(_keys("id", "region", "name", "disks", "shared_with", "status"), _image),
    "resource_shares": _Section(
        _keys("id", "name", "region", "allow_external", "status", "resources", "targets"), _resource_share
    ),
    "policies": _Section(
        _keys("name", "description", "document", "document_file", "parameters", "versions", "default_index"), _policy
    ),
    "roles": _Section(_keys("name", "id", "trust_policy", "description", "max_session_duration", "policies"), _role),
    "users": _Section(_keys("name", "policies"), _user),
    "sls_projects": _Section(_keys("name", "region", "logstores"), _sls_project),
    "trail": _Section(
        _keys("name", "project", "region", "shards", "event_rw", "trail_region", "logging", "sls_write_role"),
        _trail,
        single=True,
    ),
    "functions": _Section(
        _keys("service", "name", "handler", "runtime", "role", "environment", "timeout", "region"), _function
    ),
    "triggers": _Section(
        _keys("type", "name", "function", "pattern", "project", "logstore", "parameter", "max_retry", "cron"),
        _trigger,
    ),
}

# The seed's top-level sections, in loading order (settings before regions, accounts before directories).
_SEED_SECTIONS: dict[str, Callable[[_Seeding, dict[str, Any]], None]] = {
    "settings": _settings,
    "regions": _regions,
    "accounts": _accounts,
    "resource_directories": _resource_directories,
    "faults": _faults,
}


def load_seed(path: str | Path | None) -> tuple[Cloud, int, list[FaultRule]]:
    if path is None:
        return cloud_from_dict({})
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith((".yaml", ".yml")):
        import yaml

        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as bad:
            raise SeedError(f"{path}: not valid YAML: {bad}") from None
    else:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as bad:
            raise SeedError(f"{path}: not valid JSON: {bad}") from None
    if not isinstance(raw, dict):
        raise SeedError(f"{path}: the seed must be a mapping at the top level")
    return cloud_from_dict(raw)


def dump_cloud(cloud: Cloud) -> dict[str, Any]:
    """The cloud's current state in the seed format (round-trips through `cloud_from_dict`)."""
    with cloud.lock:
        accounts: list[dict[str, Any]] = []
        for uid, account in cloud.accounts.items():
            ram = cloud.ram_of(uid)
            accounts.append(
                {
                    "uid": uid,
                    "name": account.name,
                    "access_keys": [
                        {"id": k.id, "secret": k.secret, **({"user": k.user} if k.user else {})}
                        for k in account.keys.values()
                    ],
                    "kms_keys": [
                        {
                            "id": k.id,
                            "region": k.region,
                            "aliases": k.aliases,
                            "state": k.state,
                            "description": k.description,
                        }
                        for k in cloud.keys.values()
                        if k.owner == uid
                    ],
                    "snapshots": [
                        {
                            "id": s.id,
                            "region": s.region,
                            "encrypted": s.encrypted,
                            "kms_key_id": s.kms_key_id,
                            "size_gb": s.size_gb,
                            "status": s.status,
                            "usage": s.usage,
                            "name": s.name,
                        }
                        for s in cloud.snapshots.values()
                        if s.owner == uid
                    ],
                    "images": [
                        {
                            "id": i.id,
                            "region": i.region,
                            "name": i.name,
                            "status": i.status,
                            "disks": [
                                {"device": d.device, "snapshot_id": d.snapshot_id, "size_gb": d.size_gb}
                                for d in i.disks
                            ],
                            "shared_with": dict(i.shared_with),
                        }
                        for i in cloud.images.values()
                        if i.owner == uid
                    ],
                    "policies": [
                        {
                            "name": p.name,
                            "description": p.description,
                            "versions": [{"id": v.id, "document": v.document} for v in p.versions],
                            "default_index": next(n for n, v in enumerate(p.versions) if v.is_default),
                        }
                        for p in ram.policies.values()
                    ],
                    "roles": [
                        {
                            "name": r.name,
                            "id": r.id,
                            "trust_policy": r.trust_policy,
                            "description": r.description,
                            "max_session_duration": r.max_session_duration,
                            "policies": [
                                {"type": a.policy_type, "name": a.policy_name} for a in ram.attachments.get(key, [])
                            ],
                        }
                        for key, r in ram.roles.items()
                    ],
                    "users": [
                        {"name": name, "policies": [{"type": a.policy_type, "name": a.policy_name} for a in attached]}
                        for name, attached in ram.users.items()
                    ],
                    "sls_projects": [
                        {
                            "name": p.name,
                            "region": p.region,
                            "logstores": [{"name": ls.name, "shards": len(ls.shards)} for ls in p.logstores.values()],
                        }
                        for p in cloud.sls_projects.values()
                        if p.owner == uid
                    ],
                }
            )
            trail = next((t for t in cloud.trails if t.account_uid == uid), None)
            if trail:
                accounts[-1]["trail"] = {
                    "name": trail.name,
                    "project": trail.sls_project,
                    "region": trail.region,
                    "event_rw": trail.event_rw,
                    "trail_region": trail.trail_region,
                    "logging": trail.logging,
                    "sls_write_role": trail.sls_write_role,
                }
            accounts[-1]["resource_shares"] = [
                {
                    "id": rs.id,
                    "name": rs.name,
                    "region": rs.region,
                    "allow_external": rs.allow_external,
                    "status": rs.status,
                    "resources": [
                        {"id": a.entity_id, "type": a.entity_type, "status": a.status, "message": a.status_message}
                        for a in rs.associations
                        if a.association_type == "Resource"
                    ],
                    "targets": [
                        {"id": a.entity_id, "status": a.status, "message": a.status_message, "external": a.external}
                        for a in rs.associations
                        if a.association_type == "Target"
                    ],
                }
                for rs in cloud.resource_shares.values()
                if rs.owner == uid
            ]
            accounts[-1]["functions"] = [
                {
                    "service": f.service,
                    "name": f.name,
                    "handler": f.handler,
                    "runtime": f.runtime,
                    "role": f.role,
                    "environment": f.environment,
                    "timeout": f.timeout,
                    "region": f.region,
                }
                for key, f in cloud.functions.items()
                if key[0] == uid
            ]
            accounts[-1]["triggers"] = (
                [
                    {
                        "type": "eventbridge",
                        "name": t.name,
                        "function": [t.function[1], t.function[2]],
                        "pattern": t.pattern,
                    }
                    for t in cloud.eventbridge_triggers
                    if t.function[0] == uid
                ]
                + [
                    {
                        "type": "log",
                        "name": t.name,
                        "function": [t.function[1], t.function[2]],
                        "project": t.project,
                        "logstore": t.logstore,
                        "parameter": t.parameter,
                        "max_retry": t.max_retry,
                    }
                    for t in cloud.sls_triggers
                    if t.function[0] == uid
                ]
                + [
                    {"type": "timer", "name": t.name, "function": [t.function[1], t.function[2]], "cron": t.cron}
                    for t in cloud.timer_triggers
                    if t.function[0] == uid
                ]
            )
        return {
            "settings": {
                "share_check": cloud.settings.share_check,
                "default_region": cloud.settings.default_region,
                "resource_sharing_items_per_call": cloud.settings.resource_sharing_items_per_call,
                "ram_custom_policies_per_role": cloud.settings.ram_custom_policies_per_role,
            },
            "regions": list(cloud.regions),
            "accounts": accounts,
            "resource_directories": [
                {
                    "id": d.id,
                    "master": d.master_uid,
                    "root_folder_id": d.root_folder_id,
                    "folders": [
                        {"id": f.id, "name": f.name, "parent": f.parent_id}
                        for f in d.folders.values()
                        if f.parent_id is not None
                    ],
                    "members": dict(d.members),
                }
                for d in cloud.directories.values()
            ],
        }
