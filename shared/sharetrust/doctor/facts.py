"""Reading what `sharetrust doctor` checks: the trail, the functions and their triggers, the roles, the
function policy and the logstores, through the gateways with the operator's credentials. Reads only."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sharetrust.apply.role_lock import RoleLock
from sharetrust.doctor.checks import (
    DISK_ENCRYPT_ROLE,
    ETL_ROLE,
    EVENTBRIDGE_SOURCE_ROLE,
    FUNCTION_POLICY,
    FUNCTION_ROLE,
    FUNCTIONS,
    TRIGGER_LOGSTORE,
    Facts,
    FunctionFacts,
    RoleFacts,
    project_and_logstores,
)
from sharetrust.model import IMAGE_ROLE, SNAPSHOT_ROLE

T = TypeVar("T")


def find_expected_policy(deploy_dir: str | None) -> tuple[str | None, str]:
    """deploy/function-policy.json: from --deploy, the working directory, or the repository this runs from."""
    candidates = (
        [Path(deploy_dir)] if deploy_dir else [Path.cwd() / "deploy", Path(__file__).resolve().parents[3] / "deploy"]
    )
    for folder in candidates:
        path = folder / "function-policy.json"
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except OSError:
            continue
    return None, ""


def read_facts(
    session: Any,
    *,
    region: str,
    trail_project: str | None = None,
    trail_logstore: str | None = None,
    trigger_logstore: str | None = None,
    deploy_dir: str | None = None,
    service_key_policy: str = "attach",
    progress: Callable[[str], None] | None = None,
) -> Facts:
    """Everything the checks need, read with the operator's credentials; reads only."""
    from sharetrust.cloud.actiontrail import ActionTrailGateway
    from sharetrust.cloud.errors import CloudError
    from sharetrust.cloud.fc import FunctionComputeGateway
    from sharetrust.cloud.ram import RamGateway
    from sharetrust.cloud.sls import SlsGateway
    from sharetrust.cloud.sts import StsGateway

    def step(what: str) -> None:
        if progress is not None:
            progress(what)

    step("who am I")
    account = StsGateway(session, region).caller_account()
    expected, source = find_expected_policy(deploy_dir)
    facts = Facts(
        account,
        region,
        trail_project=trail_project,
        trail_logstore=trail_logstore,
        trigger_logstore=trigger_logstore or TRIGGER_LOGSTORE,
        expected_policy=expected,
        expected_policy_source=source,
        service_key_policy=service_key_policy,
    )

    def read(key: str, fn: Callable[[], T]) -> T | None:
        try:
            return fn()
        except CloudError as failed:
            facts.errors[key] = failed.one_line()
            return None

    step("trails")
    facts.trails = read("trails", ActionTrailGateway(session, region).trails) or []
    fc = FunctionComputeGateway(session, region)
    for name in FUNCTIONS:
        step(f"function {name}")
        record = read(f"function:{name}", partial(fc.function, name))
        triggers = (read(f"function:{name}", partial(fc.triggers, name)) or []) if record else []
        facts.functions[name] = FunctionFacts(name, record, tuple(triggers))
    if trigger_logstore is None:  # the deployed Log Service trigger says where its own logs go
        log_function = facts.functions.get("sharetrust-on-trail-logs")
        for trigger in log_function.triggers if log_function else ():
            log_config = trigger.config.get("logConfig")
            if trigger.type == "log" and isinstance(log_config, dict) and log_config.get("logstore"):
                facts.trigger_logstore = str(log_config["logstore"])
    ram = RamGateway(session)
    for role in (ETL_ROLE, EVENTBRIDGE_SOURCE_ROLE, FUNCTION_ROLE, DISK_ENCRYPT_ROLE, IMAGE_ROLE, SNAPSHOT_ROLE):
        step(f"role {role}")
        found = read(f"role:{role}", partial(ram.get_role, role))
        if f"role:{role}" in facts.errors:
            continue
        # Only these roles' policies are checked; the platform roles need only exist (and trust).
        wanted = found is not None and role in (FUNCTION_ROLE, IMAGE_ROLE, SNAPSHOT_ROLE)
        attached = (read(f"role:{role}", partial(ram.attached, role)) or frozenset()) if wanted else frozenset()
        facts.roles[role] = RoleFacts(
            role, found is not None, found.trust_document if found else "", frozenset(attached)
        )
    facts.read_at = time.time()
    for role in (IMAGE_ROLE, SNAPSHOT_ROLE):
        if role in facts.roles and facts.roles[role].exists:
            step(f"lock of {role}")
            # An error is kept in facts.errors, which the check reports instead of the lease.
            facts.locks[role] = read(f"lock:{role}", partial(ram.policy_description, RoleLock.policy_name(role)))
    step("function policy")
    facts.function_policy = read("function-policy", partial(ram.policy_document, FUNCTION_POLICY))
    project, logstore = project_and_logstores(facts)
    if project is not None:
        sls = SlsGateway(session)
        endpoint = session.endpoints.sls_endpoint(region)
        for store in {s for s in (logstore, facts.trigger_logstore) if s}:
            step(f"logstore {project}/{store}")
            exists = read(f"logstore:{project}/{store}", partial(sls.logstore_exists, endpoint, project, store))
            if exists is not None:
                facts.logstores[(project, store)] = exists
    return facts
