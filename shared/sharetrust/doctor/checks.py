"""The doctor's checks, pure: the facts `doctor.facts.read_facts` read in, one `Check` per prerequisite
out, each with its fix. A fact that could not be read is a failed check saying why."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sharetrust.cloud.actiontrail import TrailRecord
from sharetrust.cloud.fc import FunctionRecord, TriggerRecord
from sharetrust.model import IMAGE_ROLE, POLICY_FOR_KIND, SERVICE_KEY_POLICY, SNAPSHOT_ROLE

Status = Literal["PASS", "WARN", "FAIL"]
PolicyRef = tuple[str, str]

# What deploy/ and s.yaml name (the lead's contract): the function role and its policies, the functions.
FUNCTION_ROLE = "sharetrust-fc"
FUNCTION_POLICY = "sharetrust-function"
SERVICE_KEY_ATTACH_POLICY = "sharetrust-service-key"
FUNCTIONS: dict[str, str] = {  # function name -> the trigger type it needs
    "sharetrust-on-share-event": "eventbridge",
    "sharetrust-on-trail-logs": "log",
    "sharetrust-reconcile": "timer",
}
TRIGGER_LOGSTORE = "sharetrust-trigger-logs"  # s.yaml vars.triggerLogstore
# The Log Service trigger invokes the function as this role (s.yaml logTriggerRole), trusted by Log Service.
ETL_ROLE = "AliyunLogETLRole"
LOG_SERVICE = "log.aliyuncs.com"
FC_SERVICE = "fc.aliyuncs.com"
# EventBridge's service-linked role for its ActionTrail event source: Terraform's
# alicloud_event_bridge_service_linked_role lists AliyunServiceRoleForEventBridgeSourceActionTrail among
# EventBridge's event-source roles (EventBridge "Service-linked roles",
# https://www.alibabacloud.com/help/en/eventbridge/service-linked-roles).
EVENTBRIDGE_SOURCE_ROLE = "AliyunServiceRoleForEventBridgeSourceActionTrail"
# ECS assumes it to use a customer master key at all; the console creates it when a CMK is first authorised
# for ECS (../shared/reference/encryption-related-permissions.ja.txt, "CMKの使用").
DISK_ENCRYPT_ROLE = "AliyunECSDiskEncryptDefaultRole"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status}  {self.name}: {self.detail}"
        return f"{text} — fix: {self.fix}" if self.fix and self.status != "PASS" else text


@dataclass(frozen=True)
class RoleFacts:
    name: str
    exists: bool
    trust_document: str = ""
    attached: frozenset[PolicyRef] = frozenset()


@dataclass(frozen=True)
class FunctionFacts:
    name: str
    record: FunctionRecord | None
    triggers: tuple[TriggerRecord, ...] = ()


@dataclass
class Facts:
    account: str
    region: str
    trails: list[TrailRecord] = field(default_factory=list)
    trail_project: str | None = None  # --trail-project, else the trail's
    trail_logstore: str | None = None  # --trail-logstore, else the trail's actiontrail_<name>
    trigger_logstore: str = TRIGGER_LOGSTORE
    logstores: dict[tuple[str, str], bool] = field(default_factory=dict)
    roles: dict[str, RoleFacts] = field(default_factory=dict)
    function_policy: str | None = None  # sharetrust-function's default version, None: no such policy
    expected_policy: str | None = None  # deploy/function-policy.json, None: not found
    expected_policy_source: str = ""
    functions: dict[str, FunctionFacts] = field(default_factory=dict)
    service_key_policy: str = "attach"
    # share role -> its lock policy's description (the lease), None: no lock policy; read at `read_at`
    locks: dict[str, str | None] = field(default_factory=dict)
    read_at: float = 0.0  # Unix time the facts were read
    errors: dict[str, str] = field(default_factory=dict)  # fact -> why it could not be read


# --- pure checks ------------------------------------------------------------------------------------


def chosen_trail(facts: Facts) -> TrailRecord | None:
    """The trail the deployment reads: the one delivering to --trail-project, else the best-configured one."""
    if facts.trail_project:
        for trail in facts.trails:
            if trail.sls_project and trail.sls_project[1] == facts.trail_project:
                return trail
    ranked = sorted(facts.trails, key=lambda t: -_trail_score(t, facts.region))
    return ranked[0] if ranked else None


def _trail_score(trail: TrailRecord, region: str) -> int:
    return (
        (trail.is_logging * 8)
        + (trail.event_rw in ("Write", "All")) * 4
        + (trail.trail_region == "All") * 2
        + (trail.sls_project is not None and trail.sls_project[0] == region)
    )


def trusts_service(trust_document: str, service: str) -> bool:
    """Whether a trust policy lets `service` assume the role (an Allow sts:AssumeRole naming it)."""
    try:
        document = json.loads(trust_document)
    except ValueError:
        return False
    statements = document.get("Statement") if isinstance(document, dict) else None
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action"))
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions) and service in services:
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def canonical_policy(text: str) -> str | None:
    """A permission policy in a form that compares equal whatever the order of statements and lists."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("Statement"), list):
        return None

    def statement(s: Any) -> str:
        if not isinstance(s, dict):
            return json.dumps(s, sort_keys=True)
        normal = {k: sorted(_as_list(v)) if k in ("Action", "Resource", "NotAction") else v for k, v in s.items()}
        return json.dumps(normal, sort_keys=True)

    return json.dumps({"Version": document.get("Version"), "Statement": sorted(map(statement, document["Statement"]))})


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z]+)\}")


def policy_matches(actual: str, template: str, parameters: dict[str, str]) -> bool:
    """Whether a deployed policy document is deploy/'s template filled in. `${Name}` placeholders take
    `parameters` where known (the account, the region, the trail's project and logstore); any other placeholder (the
    audit logstore, the member role: settings of the functions, not of the operator) matches any value."""

    def known(match: re.Match[str]) -> str:
        return parameters.get(match.group(1), match.group(0))

    expected = canonical_policy(_PLACEHOLDER.sub(known, template))
    found = canonical_policy(actual)
    if expected is None or found is None:
        return False
    pattern = "".join(
        '[^"]*' if index % 2 else re.escape(part) for index, part in enumerate(_PLACEHOLDER.split(expected))
    )
    return re.fullmatch(pattern, found) is not None


def checks(facts: Facts) -> list[Check]:
    return [
        *_trail_checks(facts),
        *_logstore_checks(facts),
        _etl_role_check(facts),
        _eventbridge_role_check(facts),
        *_function_role_checks(facts),
        _disk_encrypt_check(facts),
        *(_share_role_check(facts, role) for role in (IMAGE_ROLE, SNAPSHOT_ROLE)),
        *(_lock_check(facts, role) for role in (IMAGE_ROLE, SNAPSHOT_ROLE) if role in facts.locks),
        *_function_checks(facts),
    ]


def _unread(name: str, facts: Facts, key: str) -> Check | None:
    why = facts.errors.get(key)
    return (
        Check(name, "FAIL", f"could not be read: {why}", "grant the reading call to whoever runs doctor")
        if why
        else None
    )


def _trail_checks(facts: Facts) -> list[Check]:
    unread = _unread("trail", facts, "trails")
    if unread:
        return [unread]
    trail = chosen_trail(facts)
    region = facts.region
    create = (
        f"create a trail (ActionTrail console → Trails → Create trail): event type Write, all regions, delivered to "
        f"a Log Service project in {region}"
    )
    if trail is None:
        return [Check("trail", "FAIL", "the account has no ActionTrail trail", create)]
    name = f"trail {trail.name}"
    found = [
        Check(f"{name} logging", "PASS", "logging")
        if trail.is_logging
        else Check(
            f"{name} logging",
            "FAIL",
            "stopped: it delivers no events",
            f"start it (ActionTrail StartLogging, Name={trail.name})",
        ),
        Check(f"{name} event type", "PASS", f"records {trail.event_rw} events")
        if trail.event_rw in ("Write", "All")
        else Check(
            f"{name} event type",
            "FAIL",
            f"records {trail.event_rw or 'no'} events: shares are write events",
            f"UpdateTrail Name={trail.name} EventRW=Write (or All)",
        ),
        Check(f"{name} regions", "PASS", "every region")
        if trail.trail_region == "All"
        else Check(
            f"{name} regions",
            "FAIL",
            f"records only {trail.trail_region}: shares made in other regions are missed",
            f"UpdateTrail Name={trail.name} TrailRegion=All",
        ),
    ]
    delivery = trail.sls_project
    if delivery is None:
        found.append(
            Check(
                f"{name} delivery",
                "FAIL",
                "delivers to no Log Service project",
                f"UpdateTrail Name={trail.name} SlsProjectArn=acs:log:{region}:{facts.account}:project/<project> "
                "SlsWriteRoleArn=<the ActionTrail service role>",
            )
        )
    elif delivery[0] != region:
        found.append(
            Check(
                f"{name} delivery",
                "FAIL",
                f"delivers to project {delivery[1]} in {delivery[0]}; the Log Service trigger needs it in {region}",
                f"deliver to a project in {region} (UpdateTrail SlsProjectArn), "
                f"or deploy the functions in {delivery[0]}",
            )
        )
    elif facts.trail_project and delivery[1] != facts.trail_project:
        found.append(
            Check(
                f"{name} delivery",
                "FAIL",
                f"delivers to project {delivery[1]}, not {facts.trail_project}",
                f"set s.yaml vars.trailProject to {delivery[1]}, or point the trail at {facts.trail_project}",
            )
        )
    elif not trail.sls_write_role_arn:
        found.append(
            Check(
                f"{name} delivery",
                "FAIL",
                f"names project {delivery[1]} but no SlsWriteRoleArn: ActionTrail cannot write to it",
                f"UpdateTrail Name={trail.name} SlsWriteRoleArn=acs:ram::{facts.account}:role/"
                "aliyunserviceroleforactiontrail",
            )
        )
    else:
        found.append(Check(f"{name} delivery", "PASS", f"to Log Service project {delivery[1]} in {region}"))
    return found


def project_and_logstores(facts: Facts) -> tuple[str | None, str | None]:
    trail = chosen_trail(facts)
    project = facts.trail_project or (trail.sls_project[1] if trail and trail.sls_project else None)
    logstore = facts.trail_logstore or (trail.logstore if trail else None)
    return project, logstore


def _logstore_checks(facts: Facts) -> list[Check]:
    project, logstore = project_and_logstores(facts)
    if project is None or logstore is None:
        why = "no trail delivers to Log Service, and --trail-project/--trail-logstore were not given"
        return [
            Check(
                "trail logstore",
                "FAIL",
                why,
                "fix the trail's delivery, or name them with --trail-project and --trail-logstore",
            )
        ]
    found: list[Check] = []
    for label, store, fix in (
        (
            "trail logstore",
            logstore,
            "ActionTrail creates actiontrail_<trail> when the trail delivers to the project; check its delivery",
        ),
        (
            "trigger log logstore",
            facts.trigger_logstore,
            f"create logstore {facts.trigger_logstore} in project {project} (s.yaml vars.triggerLogstore: the "
            "Log Service trigger writes its own logs there; production-facts.md)",
        ),
    ):
        key = (project, store)
        unread = _unread(label, facts, f"logstore:{project}/{store}")
        if unread:
            found.append(unread)
        elif facts.logstores.get(key):
            found.append(Check(label, "PASS", f"{project}/{store} exists"))
        else:
            found.append(Check(label, "FAIL", f"{project}/{store} does not exist", fix))
    return found


def _role(facts: Facts, name: str) -> RoleFacts | Check:
    unread = _unread(f"role {name}", facts, f"role:{name}")
    if unread:
        return unread
    return facts.roles.get(name) or RoleFacts(name, False)


def _etl_role_check(facts: Facts) -> Check:
    role = _role(facts, ETL_ROLE)
    if isinstance(role, Check):
        return role
    name = f"role {ETL_ROLE}"
    fix = (
        "Log Service console → authorise the Log Service trigger (it creates AliyunLogETLRole), or create it "
        f"trusting {LOG_SERVICE} with the AliyunLogETLRolePolicy system policy"
    )
    if not role.exists:
        return Check(name, "FAIL", "absent: the Log Service trigger cannot invoke the function", fix)
    if not trusts_service(role.trust_document, LOG_SERVICE):
        return Check(name, "FAIL", f"does not trust {LOG_SERVICE}", f"add Service {LOG_SERVICE} to its trust policy")
    return Check(name, "PASS", f"exists and trusts {LOG_SERVICE}")


def _eventbridge_role_check(facts: Facts) -> Check:
    role = _role(facts, EVENTBRIDGE_SOURCE_ROLE)
    if isinstance(role, Check):
        return role
    if role.exists:
        return Check(f"role {EVENTBRIDGE_SOURCE_ROLE}", "PASS", "exists")
    return Check(
        f"role {EVENTBRIDGE_SOURCE_ROLE}",
        "WARN",
        "absent: EventBridge (the low-latency path) may not receive ActionTrail events; "
        "the Log Service trigger still does",
        "EventBridge console → enable the ActionTrail event source once (it creates this service-linked role)",
    )


def _function_role_checks(facts: Facts) -> list[Check]:
    role = _role(facts, FUNCTION_ROLE)
    if isinstance(role, Check):
        return [role]
    name = f"role {FUNCTION_ROLE}"
    if not role.exists:
        return [
            Check(
                name,
                "FAIL",
                "absent: the functions have no credentials",
                f"ram CreateRole RoleName={FUNCTION_ROLE} with deploy/function-trust-policy.json (deploy/README.md)",
            )
        ]
    found = [
        Check(name, "PASS", f"exists and trusts {FC_SERVICE}")
        if trusts_service(role.trust_document, FC_SERVICE)
        else Check(
            name, "FAIL", f"does not trust {FC_SERVICE}", "ram UpdateRole with deploy/function-trust-policy.json"
        )
    ]
    policy_name = f"policy {FUNCTION_POLICY}"
    if ("Custom", FUNCTION_POLICY) not in role.attached:
        found.append(
            Check(
                policy_name,
                "FAIL",
                f"not attached to {FUNCTION_ROLE}: every call of the functions is denied",
                f"ram CreatePolicy PolicyName={FUNCTION_POLICY} with deploy/function-policy.json, then "
                f"AttachPolicyToRole PolicyType=Custom RoleName={FUNCTION_ROLE}",
            )
        )
    else:
        found.append(_policy_document_check(facts, policy_name))
    if facts.service_key_policy == "attach":
        name_sk = f"policy {SERVICE_KEY_ATTACH_POLICY}"
        if ("Custom", SERVICE_KEY_ATTACH_POLICY) in role.attached:
            found.append(Check(name_sk, "PASS", f"attached to {FUNCTION_ROLE}"))
        else:
            found.append(
                Check(
                    name_sk,
                    "WARN",
                    f"not attached: images encrypted with the service key cannot be handled "
                    f"(SHARETRUST_SERVICE_KEY_POLICY=attach needs it to attach {SERVICE_KEY_POLICY})",
                    f"create it from deploy/function-policy-service-key.json and attach it to {FUNCTION_ROLE}, "
                    "or set SHARETRUST_SERVICE_KEY_POLICY=warn",
                )
            )
    return found


def _policy_document_check(facts: Facts, name: str) -> Check:
    unread = _unread(name, facts, "function-policy")
    if unread:
        return unread
    if facts.function_policy is None:
        return Check(name, "FAIL", "attached but does not exist", f"ram CreatePolicy PolicyName={FUNCTION_POLICY}")
    if facts.expected_policy is None:
        return Check(
            name,
            "WARN",
            "attached; not compared: deploy/function-policy.json was not found",
            "run doctor from the repository (or pass --deploy DIR) to compare it",
        )
    project, logstore = project_and_logstores(facts)
    parameters = {
        "AccountId": facts.account,
        "Region": facts.region,
        "TrailProject": project or "",
        "TrailLogstore": logstore or "",
    }
    if policy_matches(facts.function_policy, facts.expected_policy, parameters):
        return Check(name, "PASS", f"attached; its default version is {facts.expected_policy_source}")
    return Check(
        name,
        "FAIL",
        f"attached, but its default version differs from {facts.expected_policy_source}",
        f"ram CreatePolicyVersion PolicyName={FUNCTION_POLICY} SetAsDefault=true with {facts.expected_policy_source}",
    )


def _disk_encrypt_check(facts: Facts) -> Check:
    role = _role(facts, DISK_ENCRYPT_ROLE)
    if isinstance(role, Check):
        return role
    if role.exists:
        return Check(f"role {DISK_ENCRYPT_ROLE}", "PASS", "exists: ECS may use the account's CMKs")
    return Check(
        f"role {DISK_ENCRYPT_ROLE}",
        "FAIL",
        "absent: ECS cannot use a customer master key at all, so no CMK-encrypted share can work",
        "ECS console: pick a KMS key for an encrypted disk once and confirm the authorisation (it creates the role)",
    )


def _share_role_check(facts: Facts, name: str) -> Check:
    role = _role(facts, name)
    if isinstance(role, Check):
        return role
    if not role.exists:
        return Check(f"share role {name}", "PASS", "absent: sharetrust creates it on the first share that needs it")
    from sharetrust.plan.trust_policy import TrustPolicy, TrustPolicyError

    try:
        trust = TrustPolicy.parse(role.trust_document)
        groups = len(trust.directories) + len(trust.folder_patterns)
        sharees = f"trusts {len(trust.accounts)} accounts, {groups} directories/folders"
    except TrustPolicyError as unreadable:
        return Check(
            f"share role {name}",
            "WARN",
            f"its trust policy cannot be read: {unreadable}",
            "inspect it in the RAM console",
        )
    owned = set(POLICY_FOR_KIND.values()) | {SERVICE_KEY_POLICY}
    policies = sorted(p for _, p in role.attached)
    foreign = [p for p in policies if p not in owned]
    detail = f"exists; {sharees}; policies: {', '.join(policies) or 'none'}"
    if foreign:
        detail += f" ({', '.join(foreign)} not managed by sharetrust)"
    return Check(f"share role {name}", "PASS", detail)


def _function_checks(facts: Facts) -> list[Check]:
    found: list[Check] = []
    for name, trigger_type in FUNCTIONS.items():
        unread = _unread(f"function {name}", facts, f"function:{name}")
        if unread:
            found.append(unread)
            continue
        function = facts.functions.get(name)
        if function is None or function.record is None:
            found.append(
                Check(
                    f"function {name}",
                    "FAIL",
                    f"not deployed in {facts.region}",
                    'make package && s deploy (README "Deploy")',
                )
            )
            continue
        role = function.record.role_arn
        expected_role = f"acs:ram::{facts.account}:role/{FUNCTION_ROLE}"
        if role.lower() != expected_role:
            found.append(
                Check(
                    f"function {name}",
                    "FAIL",
                    f"runs as {role or 'no role'}",
                    f"set its role to {expected_role} (s.yaml vars.functionRole)",
                )
            )
        else:
            found.append(
                Check(f"function {name}", "PASS", f"deployed ({function.record.runtime}, {function.record.handler})")
            )
        found.append(_trigger_check(facts, function, trigger_type))
    return found


def _trigger_check(facts: Facts, function: FunctionFacts, trigger_type: str) -> Check:
    name = f"function {function.name} {trigger_type} trigger"
    matching = [t for t in function.triggers if t.type == trigger_type]
    if not matching:
        return Check(name, "FAIL", f"no {trigger_type} trigger", "s deploy (s.yaml declares it)")
    if trigger_type != "log":
        return Check(name, "PASS", ", ".join(t.name for t in matching))
    project, logstore = project_and_logstores(facts)
    for trigger in matching:
        source = trigger.config.get("sourceConfig")
        reads = source.get("logstore") if isinstance(source, dict) else None
        if trigger.source_arn.endswith(f"project/{project}") and reads == logstore:
            return Check(name, "PASS", f"{trigger.name} reads {project}/{logstore}")
    where = ", ".join(f"{t.source_arn.rsplit('/', 1)[-1]}/{_logstore_of(t)}" for t in matching)
    return Check(
        name,
        "FAIL",
        f"reads {where}, not the trail's {project}/{logstore}",
        "set s.yaml vars.trailProject and vars.trailLogstore, then s deploy",
    )


def _logstore_of(trigger: TriggerRecord) -> str:
    source = trigger.config.get("sourceConfig")
    return str(source.get("logstore")) if isinstance(source, dict) else "?"


def exit_status(found: Iterable[Check]) -> Status:
    statuses = {c.status for c in found}
    return "FAIL" if "FAIL" in statuses else "WARN" if "WARN" in statuses else "PASS"


# --- reading the facts (the imperative shell) ---------------------------------------------------------


def _lock_check(facts: Facts, role: str) -> Check:
    """A lock policy whose lease has expired was left by a run that ended without releasing it (killed at
    its timeout, say). Harmless: the next writer takes it over at once; but it says a run died."""
    from sharetrust.apply.role_lock import Lease, RoleLock

    name = f"lock of {role}"
    unread = _unread(name, facts, f"lock:{role}")
    if unread:
        return unread
    description = facts.locks[role]
    if description is None:
        return Check(name, "PASS", "not held")
    lease = Lease.parse(description)
    policy = RoleLock.policy_name(role)
    if lease is not None and lease.until > facts.read_at:
        return Check(name, "PASS", f"held by run {lease.holder} for {lease.until - facts.read_at:.0f} s more")
    left = f"left by run {lease.holder}, expired {facts.read_at - lease.until:.0f} s ago" if lease else "no lease"
    return Check(
        name,
        "WARN",
        f"{policy} {left}: a run ended without releasing it (look for a killed invocation); "
        "harmless, the next writer takes it over",
        f"ram DeletePolicy PolicyName={policy}",
    )
