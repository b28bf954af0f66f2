"""The read-only probe: `{"sharetrust": "probe"}` sent to any handler proves a deployment works.

It imports every SDK the functions use (the dependencies load on the runtime), asks STS who the
credentials are (they work), and makes the cheapest reads sharetrust already makes (the APIs answer,
and the role's policy lets them): RAM GetRole of both share roles (absent is fine: sharetrust creates
them on the first share that needs one) and ECS DescribeRegions in the home region. It writes nothing.
`sharetrust invoke` sends it and prints the summary.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PROBE_EVENT = {"sharetrust": "probe"}
PROBE_PAYLOAD = json.dumps(PROBE_EVENT).encode()
PROBE_SECONDS = 30.0  # a probe reads a handful of things; it never needs the function's whole timeout
_MAX_PROBE_BYTES = 256  # a probe is tiny: a batch of events is never mistaken for one, nor parsed twice

# (module the functions import, distribution that ships it)
SDKS: tuple[tuple[str, str], ...] = (
    ("alibabacloud_tea_openapi.client", "alibabacloud-tea-openapi"),
    ("alibabacloud_credentials.client", "alibabacloud-credentials"),
    ("alibabacloud_ecs20140526.client", "alibabacloud-ecs20140526"),
    ("alibabacloud_ram20150501.client", "alibabacloud-ram20150501"),
    ("alibabacloud_kms20160120.client", "alibabacloud-kms20160120"),
    ("alibabacloud_resourcesharing20200110.client", "alibabacloud-resourcesharing20200110"),
    ("alibabacloud_resourcemanager20200331.client", "alibabacloud-resourcemanager20200331"),
    ("alibabacloud_sts20150401.client", "alibabacloud-sts20150401"),
    ("aliyun.log", "aliyun-log-python-sdk"),
    ("alibabacloud_fc20230330.client", "alibabacloud-fc20230330"),  # the member fan-out (sharetrust.fan_out)
)


def is_probe(event: bytes | str | object) -> bool:
    """Whether an invocation's event is the probe (and nothing else)."""
    if isinstance(event, str):
        event = event.encode()
    if not isinstance(event, (bytes, bytearray)) or len(event) > _MAX_PROBE_BYTES:
        return False
    try:
        return bool(json.loads(bytes(event).decode("utf-8")) == PROBE_EVENT)
    except (UnicodeDecodeError, ValueError):
        return False


@dataclass(frozen=True)
class ProbeCheck:
    name: str
    ok: bool
    detail: str


def _sdk_versions() -> tuple[dict[str, str], list[ProbeCheck]]:
    from importlib import metadata  # here, not at import: the handlers' cold start stays lean

    versions: dict[str, str] = {}
    checks: list[ProbeCheck] = []
    for module, distribution in SDKS:
        try:
            importlib.import_module(module)
        except Exception as failed:  # ImportError, or a native library that does not load (OSError)
            versions[distribution] = "not loaded"
            checks.append(ProbeCheck(f"import {module}", False, f"{type(failed).__name__}: {failed}"))
            continue
        try:
            versions[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            versions[distribution] = "unknown"
    if not checks:
        checks.append(ProbeCheck("import SDKs", True, f"{len(SDKS)} SDKs loaded"))
    return versions, checks


def _settings_summary(environ: Mapping[str, str] | None) -> tuple[dict[str, Any], Any]:
    """The non-secret settings, as the functions read them (or why they cannot be read)."""
    from sharetrust.settings import Settings

    settings = Settings.from_environment(environ)
    summary = {
        "dry_run": settings.dry_run,
        "retry_failed_shares": settings.retry_failed_shares,
        "service_key_policy": settings.service_key_policy,
        "regions": list(settings.regions),
        "home_region": settings.home_region,
        "account_uid": settings.account_uid,
        "lock_roles": settings.lock_roles,
        "deadline_seconds": settings.deadline_seconds,
        "prune": settings.prune,
        "trust_max_chars": settings.trust_max_chars,
        "audit_logstore": "/".join(settings.audit_logstore) if settings.audit_logstore else None,
        "member_role": settings.member_role,
    }
    return summary, settings


def run_probe(context: Any = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The probe's summary: {"probe": "ok"|"failed", "python", "sdks", "account", "identity", "checks", "settings"}."""
    from sharetrust.cloud.errors import CloudError

    versions, checks = _sdk_versions()
    summary: dict[str, Any] = {
        "probe": "failed",
        "python": sys.version.split()[0],
        "sdks": versions,
        "account": None,
        "identity": None,
        "checks": checks,
        "settings": {},
    }
    try:
        summary["settings"], settings = _settings_summary(environ)
    except ValueError as unusable:  # SettingsError
        checks.append(ProbeCheck("settings", False, str(unusable)))
        return _finished(summary)
    if not all(c.ok for c in checks):
        return _finished(summary)  # without the SDKs nothing below can run
    try:
        session = _session(context, environ)
    except (RuntimeError, ValueError) as unusable:  # CredentialsError, EndpointError
        checks.append(ProbeCheck("credentials", False, str(unusable)))
        return _finished(summary)

    from sharetrust.cloud.ecs import EcsGateway
    from sharetrust.cloud.ram import RamGateway
    from sharetrust.cloud.sts import StsGateway
    from sharetrust.model import IMAGE_ROLE, SNAPSHOT_ROLE

    try:
        account, identity = StsGateway(session, settings.home_region).caller_identity()
        summary["account"], summary["identity"] = account, identity
        checks.append(ProbeCheck("credentials (sts:GetCallerIdentity)", True, identity))
    except CloudError as failed:
        checks.append(ProbeCheck("credentials (sts:GetCallerIdentity)", False, failed.one_line()))
        return _finished(summary)
    ram = RamGateway(session)
    for role in (IMAGE_ROLE, SNAPSHOT_ROLE):
        try:
            found = ram.get_role(role)
            detail = "exists" if found else "absent (sharetrust creates it on the first share that needs it)"
            checks.append(ProbeCheck(f"ram:GetRole {role}", True, detail))
        except CloudError as failed:
            checks.append(ProbeCheck(f"ram:GetRole {role}", False, failed.one_line()))
    try:
        regions = EcsGateway(session).regions(settings.home_region)
        checks.append(ProbeCheck(f"ecs:DescribeRegions in {settings.home_region}", True, f"{len(regions)} regions"))
    except CloudError as failed:
        checks.append(ProbeCheck(f"ecs:DescribeRegions in {settings.home_region}", False, failed.one_line()))
    return _finished(summary)


def _session(context: Any, environ: Mapping[str, str] | None) -> Any:
    from sharetrust.cloud.credentials import Credentials
    from sharetrust.cloud.endpoints import Endpoints
    from sharetrust.cloud.session import CloudSession
    from sharetrust.deadline import Deadline

    endpoints = Endpoints.from_environment(environ)
    credentials = Credentials.resolve(context, environ, local_endpoint=endpoints.override is not None)
    return CloudSession(credentials, endpoints, deadline=Deadline.after(PROBE_SECONDS))


def _finished(summary: dict[str, Any]) -> dict[str, Any]:
    checks: list[ProbeCheck] = summary["checks"]
    summary["probe"] = "ok" if checks and all(c.ok for c in checks) else "failed"
    summary["checks"] = [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks]
    return summary
