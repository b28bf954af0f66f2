"""Who can use which shared encrypted resource now, and why not. Pure: facts and role snapshots in, rows out.

For an auditor: every shared encrypted image and snapshot, its keys, each sharee, whether the sharee's
ECS can use it through the sharer's share role, and the first missing link when it cannot. Shares
refused for a reason no role fixes come first, with the remedy.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sharetrust.model import (
    ROLE_FOR_KIND,
    SERVICE_KEY_POLICY,
    EncryptedResource,
    ResourceKind,
    ShareTarget,
    target_kind,
)
from sharetrust.plan.permission_policy import UnreadablePolicy, key_arns_in
from sharetrust.plan.role_plan import RoleSnapshot
from sharetrust.plan.trust_policy import TrustPolicy, TrustPolicyError, folder_pattern
from sharetrust.refusals import unfixable
from sharetrust.truth.reader import AccountFacts, RefusedAssociation


@dataclass(frozen=True)
class AuditRow:
    status: str  # "broken" | "cannot use" | "can use"
    kind: str
    resource: str
    region: str
    keys: str
    sharee: str
    missing: str  # the first missing link, or the refusal's code
    remedy: str


def audit_rows(facts: AccountFacts, roles: Mapping[ResourceKind, RoleSnapshot]) -> list[AuditRow]:
    """Broken shares first, then sharees who cannot use what is shared with them, then those who can."""
    refused_for_role = {(f.resource_id, t) for f in facts.failed_shares for t in f.targets}
    rows = [_broken(refused) for refused in facts.refused]
    for resource in facts.resources:
        keys = ", ".join(("service key " if k.is_service_key else "") + k.arn for k in resource.keys)
        for sharee in resource.sharees:
            missing, remedy = _first_missing(resource, sharee, roles[resource.kind])
            if not missing and (resource.id, sharee) in refused_for_role:
                missing = "the share was refused while the role was not ready"
                remedy = "repeat the share (or set SHARETRUST_RETRY_FAILED_SHARES=true)"
            status = "cannot use" if missing else "can use"
            rows.append(
                AuditRow(status, resource.kind, resource.id, resource.region, keys, str(sharee), missing, remedy)
            )
    order = {"broken": 0, "cannot use": 1, "can use": 2}
    return sorted(rows, key=lambda r: (order[r.status], r.kind, r.resource, r.sharee))


def _broken(refused: RefusedAssociation) -> AuditRow:
    """A refused association names either a resource of the share (then every target is refused it) or a
    target (then it is refused every resource): the row says which, in the columns a reader expects."""
    code, remedy = unfixable(refused.message) or (refused.message.split(":", 1)[0], "see the association's message")
    entity = refused.entity_id
    if target_kind(entity) is None:  # a resource: an image (m-…) or a snapshot (s-…)
        kind = {"m-": "image", "s-": "snapshot"}.get(entity[:2], "resource")
        return AuditRow("broken", kind, entity, refused.region, "", f"every target of {refused.share_id}", code, remedy)
    return AuditRow("broken", "share", refused.share_id, refused.region, "", entity, code, remedy)


def _first_missing(resource: EncryptedResource, sharee: ShareTarget, role: RoleSnapshot) -> tuple[str, str]:
    role_name = ROLE_FOR_KIND[resource.kind]
    converge = "run `sharetrust apply` (or wait for the next reconcile)"
    if not role.exists:
        return f"role {role_name} does not exist", converge
    try:
        trust = TrustPolicy.parse(role.trust_document or "")
    except TrustPolicyError as unreadable:
        return f"the trust policy cannot be read: {unreadable}", "fix the role's trust policy by hand"
    trusted = (
        (sharee.kind == "account" and sharee.id in trust.accounts)
        or (sharee.kind == "directory" and sharee.id in trust.directories)
        or (sharee.kind == "folder" and folder_pattern(sharee.rd_path or "") in trust.folder_patterns)
    )
    if not trusted:
        return f"{role_name} does not trust {sharee}", converge
    ours = ("Custom", f"sharetrust-{resource.kind}-share-keys")
    try:
        granted = key_arns_in(role.policy_document or "") if ours in role.attached else frozenset()
    except UnreadablePolicy:
        granted = frozenset()
    for key in resource.keys:
        if key.is_service_key and ("System", SERVICE_KEY_POLICY) not in role.attached:
            return f"{SERVICE_KEY_POLICY} is not attached to {role_name}", converge
        if not key.is_service_key and key.arn not in granted:
            return f"{role_name} may not use key {key.arn}", converge
    return "", ""


FIELDS = tuple(AuditRow.__dataclass_fields__)


def as_csv(rows: Iterable[AuditRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    writer.writerows([getattr(row, name) for name in FIELDS] for row in rows)
    return out.getvalue()


def as_html(rows: list[AuditRow], account: str, generated: str) -> str:
    """One self-contained page (no script, no external file) an auditor can open."""
    import html  # only the report needs it; not imported on the event path (cold start)

    counts = {status: sum(r.status == status for r in rows) for status in ("broken", "cannot use", "can use")}
    body = "\n".join(
        "<tr class='{}'>{}</tr>".format(
            row.status.replace(" ", "-"), "".join(f"<td>{html.escape(str(getattr(row, f)))}</td>" for f in FIELDS)
        )
        for row in rows
    )
    head = "".join(f"<th>{html.escape(f)}</th>" for f in FIELDS)
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sharetrust report — {html.escape(account)}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f0f0f0; }}
tr.broken td {{ background: #fde2e1; }}
tr.cannot-use td {{ background: #fff4d6; }}
tr.can-use td {{ background: #e7f6e7; }}
</style></head><body>
<h1>Shared encrypted resources of account {html.escape(account)}</h1>
<p>{html.escape(summary)} · generated {html.escape(generated)} by sharetrust</p>
<table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table></body></html>
"""
