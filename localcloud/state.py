"""The whole emulated cloud as plain data, guarded by one lock.

Every service module reads and writes these records while holding `Cloud.lock`; nothing
here does I/O. `localcloud.seed` builds a Cloud from a YAML/JSON file and dumps it back.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

from localcloud.signing import NonceLedger

IMAGE_ROLE = "AliyunECSShareEncryptImageDefaultRole"
SNAPSHOT_ROLE = "AliyunECSShareEncryptSnapshotDefaultRole"
SERVICE_KEY_ALIAS = "alias/acs/ecs"

# How ECS checks an encrypted share (alibaba-apis.md §6, unconfirmed which one is real):
# "role-exists": the share role must exist; "role-trusts": it must already trust the sharee.
ShareCheck = Literal["role-exists", "role-trusts"]


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


@dataclass
class AccessKey:
    id: str
    secret: str
    # None: the account's own (root) key; otherwise the RAM user name the key belongs to.
    user: str | None = None


@dataclass
class Account:
    uid: str
    name: str
    keys: dict[str, AccessKey] = field(default_factory=dict)


@dataclass
class Session:
    """Temporary credentials minted by STS AssumeRole (or for a function's role)."""

    access_key_id: str
    secret: str
    token: str
    account_uid: str
    role_name: str
    role_id: str
    session_name: str
    expires_at: float
    # The session policy AssumeRole was given: the session may do only what both it and the role allow.
    policy: str | None = None


@dataclass
class Snapshot:
    id: str
    owner: str
    region: str
    encrypted: bool = False
    kms_key_id: str = ""
    size_gb: int = 40
    status: str = "accomplished"
    usage: str = "image"
    name: str = ""
    created: str = field(default_factory=now_iso)


@dataclass
class DiskMapping:
    device: str
    snapshot_id: str
    size_gb: int = 40


@dataclass
class Image:
    id: str
    owner: str
    region: str
    name: str = ""
    disks: list[DiskMapping] = field(default_factory=list)
    status: str = "Available"
    # sharee uid -> time shared (ECS ModifyImageSharePermission)
    shared_with: dict[str, str] = field(default_factory=dict)
    created: str = field(default_factory=now_iso)


@dataclass
class KmsKey:
    id: str
    owner: str
    region: str
    aliases: list[str] = field(default_factory=list)
    state: str = "Enabled"
    description: str = ""
    created: str = field(default_factory=now_iso)

    @property
    def arn(self) -> str:
        return f"acs:kms:{self.region}:{self.owner}:key/{self.id}"

    @property
    def is_service_key(self) -> bool:
        return any(alias.startswith("alias/acs/") for alias in self.aliases)


@dataclass
class Role:
    name: str
    id: str
    account_uid: str
    trust_policy: str
    description: str = ""
    max_session_duration: int = 3600
    created: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)

    @property
    def arn(self) -> str:
        return f"acs:ram::{self.account_uid}:role/{self.name.lower()}"


@dataclass
class PolicyVersion:
    id: str
    document: str
    is_default: bool
    created: str = field(default_factory=now_iso)


@dataclass
class Policy:
    name: str
    type: Literal["Custom", "System"]
    description: str = ""
    versions: list[PolicyVersion] = field(default_factory=list)
    next_version: int = 1
    created: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)

    @property
    def default_version(self) -> PolicyVersion:
        return next(v for v in self.versions if v.is_default)


@dataclass
class Attachment:
    policy_type: Literal["Custom", "System"]
    policy_name: str
    attached: str = field(default_factory=now_iso)


@dataclass
class RamAccount:
    roles: dict[str, Role] = field(default_factory=dict)  # keyed by lowercase name
    policies: dict[str, Policy] = field(default_factory=dict)  # custom, keyed by name
    attachments: dict[str, list[Attachment]] = field(default_factory=dict)  # lowercase role name
    # RAM users and the policies attached to them, keyed by lowercase user name (groups are not modelled).
    users: dict[str, list[Attachment]] = field(default_factory=dict)


@dataclass
class Association:
    """One entity (resource or target) of a resource share and its state."""

    entity_id: str
    entity_type: str  # Image | Snapshot | Account | ResourceDirectory | Folder
    association_type: Literal["Resource", "Target"]
    status: str = "Associated"
    status_message: str = ""
    external: bool = False
    created: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)


@dataclass
class ResourceShare:
    id: str
    name: str
    owner: str
    region: str
    allow_external: bool = False
    status: str = "Active"
    associations: list[Association] = field(default_factory=list)
    created: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)


@dataclass
class Folder:
    id: str
    name: str
    parent_id: str | None


@dataclass
class ResourceDirectory:
    id: str
    master_uid: str
    root_folder_id: str
    folders: dict[str, Folder] = field(default_factory=dict)
    members: dict[str, str] = field(default_factory=dict)  # account uid -> folder id
    created: str = field(default_factory=now_iso)

    def folder_path(self, folder_id: str) -> str:
        """`<rd-id>/<root-folder-id>/.../<folder-id>`, the RDPath form GetFolder returns."""
        chain: list[str] = []
        current: str | None = folder_id
        while current is not None:
            chain.append(current)
            current = self.folders[current].parent_id
        return "/".join([self.id, *reversed(chain)])

    def account_path(self, uid: str) -> str:
        return f"{self.folder_path(self.members[uid])}/{uid}"


@dataclass
class Shard:
    groups: list[tuple[float, bytes]] = field(default_factory=list)  # (receive time, LogGroup bytes)


@dataclass
class Logstore:
    name: str
    shards: list[Shard]
    ttl: int = 30


@dataclass
class SlsProject:
    name: str
    owner: str
    region: str
    logstores: dict[str, Logstore] = field(default_factory=dict)


@dataclass
class Trail:
    name: str
    account_uid: str
    sls_project: str
    region: str  # the trail's home region, and its Log Service project's
    # What DescribeTrails/GetTrailStatus say (ActionTrail 2020-07-06 Trail model): EventRW Write|Read|All,
    # TrailRegion All (every region) or one region id; a trail that is not logging delivers nothing.
    event_rw: str = "Write"
    trail_region: str = "All"
    logging: bool = True
    sls_write_role: str = "AliyunServiceRoleForActionTrail"  # the role ActionTrail delivers with

    @property
    def logstore(self) -> str:
        return f"actiontrail_{self.name}"

    def records(self, event_rw: str, region: str) -> bool:
        """Whether this trail writes an event of this kind (Write/Read) from this region to its logstore."""
        kinds = ("Write", "Read") if self.event_rw == "All" else (self.event_rw,)
        return self.logging and event_rw in kinds and self.trail_region in ("All", region)


@dataclass
class Function:
    """A Function Compute function whose code is a Python handler importable in-process: an FC 2.0 function
    under a service, or (service "") an FC 3.0 function, which has none."""

    account_uid: str
    service: str  # "" for an FC 3.0 function
    name: str
    handler: str  # "package.module.function"
    runtime: str = "python3.10"
    role: str | None = None  # role name in the same account
    environment: dict[str, str] = field(default_factory=dict)
    timeout: int = 60
    region: str = ""  # where it runs ("": settings.default_region); FC 3.0 finds a function only in its region

    @property
    def label(self) -> str:
        """`service/function` (FC 2.0) or the function's name (FC 3.0), for messages."""
        return f"{self.service}/{self.name}" if self.service else self.name


@dataclass
class SlsTrigger:
    name: str
    function: tuple[str, str, str]  # (account, service, function)
    project: str
    logstore: str
    parameter: dict[str, object] = field(default_factory=dict)
    max_retry: int = 3
    checkpoints: dict[int, int] = field(default_factory=dict)  # shard -> next unread index


@dataclass
class EventBridgeTrigger:
    """Delivers matching ActionTrail CloudEvents of `account_uid` to a function."""

    name: str
    function: tuple[str, str, str]
    account_uid: str
    pattern: dict[str, object] = field(default_factory=dict)


@dataclass
class TimerTrigger:
    """A time trigger: listed by FC 3.0 ListTriggers; localcloud never fires it (tests invoke instead)."""

    name: str
    function: tuple[str, str, str]
    cron: str = "@every 60m"


@dataclass(frozen=True)
class Authorization:
    """One RAM authorization decision (localcloud.authorization): who asked for what, and why it was decided.

    `statements` names the statements that decided it, as `<policy>#<index>` (`root` for an account's own
    key): every Allow that matched when allowed, the Deny that matched when denied, none for an implicit deny.
    """

    caller: str  # root | user/<name> | role/<name>
    account_uid: str
    action: str  # the RAM action, e.g. ecs:DescribeImages
    resources: tuple[str, ...]
    decision: Literal["allow", "deny", "implicit-deny"]
    statements: tuple[str, ...] = ()
    # The Action patterns of each statement in `statements`, in the same order (what a grant covers).
    patterns: tuple[tuple[str, ...], ...] = ()


@dataclass
class Settings:
    share_check: ShareCheck = "role-exists"
    # Resource Sharing items per call (alibaba-apis.md §3: SDK/ROS say 5, META says 20; plan for 5).
    resource_sharing_items_per_call: int = 5
    default_region: str = "cn-hangzhou"
    # Custom policies attachable to one RAM role: 10 (RAM "Limitations", Dec 2025); a quota that can be raised.
    ram_custom_policies_per_role: int = 10


@dataclass
class Cloud:
    """All emulated state. Hold `lock` for every read-modify-write."""

    accounts: dict[str, Account] = field(default_factory=dict)
    regions: list[str] = field(default_factory=lambda: ["cn-hangzhou", "cn-shanghai"])
    settings: Settings = field(default_factory=Settings)
    sessions: dict[str, Session] = field(default_factory=dict)
    images: dict[str, Image] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    keys: dict[str, KmsKey] = field(default_factory=dict)
    ram: dict[str, RamAccount] = field(default_factory=dict)
    system_policies: dict[str, Policy] = field(default_factory=dict)
    resource_shares: dict[str, ResourceShare] = field(default_factory=dict)
    directories: dict[str, ResourceDirectory] = field(default_factory=dict)
    sls_projects: dict[str, SlsProject] = field(default_factory=dict)
    trails: list[Trail] = field(default_factory=list)
    functions: dict[tuple[str, str, str], Function] = field(default_factory=dict)
    sls_triggers: list[SlsTrigger] = field(default_factory=list)
    eventbridge_triggers: list[EventBridgeTrigger] = field(default_factory=list)
    timer_triggers: list[TimerTrigger] = field(default_factory=list)
    # Every RAM authorization decision, in order (not in a dump): which granted actions were exercised.
    authorizations: list[Authorization] = field(default_factory=list, repr=False)
    # POP nonces of requests still inside the 15-minute window (replay guard; own lock; not in a dump).
    nonces: NonceLedger = field(default_factory=NonceLedger, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def new_id(self, prefix: str, length: int = 20) -> str:
        """A fresh resource id such as `m-bp1...`, unique within this cloud."""
        body = f"{next(self._counter):06d}{secrets.token_hex(12)}"[: length - 3]
        return f"{prefix}-bp{body}"

    def ram_of(self, uid: str) -> RamAccount:
        return self.ram.setdefault(uid, RamAccount())

    def directory_of(self, uid: str) -> ResourceDirectory | None:
        """The resource directory an account is the master or a member of."""
        for directory in self.directories.values():
            if directory.master_uid == uid or uid in directory.members:
                return directory
        return None
