"""Which decoded events this invocation acts on. Pure: intakes and the account in, an Admission out.

An event is acted on when it is a share event of this account, seen for the first time in the batch,
and not refused for a reason no role fixes (those are reported broken, with the remedy).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sharetrust.events import Ignored, ShareSignal
from sharetrust.refusals import unfixable


@dataclass(frozen=True)
class Skipped:
    event_id: str | None
    reason: str


@dataclass
class Admission:
    events_seen: int = 0
    signals: list[ShareSignal] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    broken: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # With a member role configured (a central deployment): signals of other accounts, by account.
    members: dict[str, list[ShareSignal]] = field(default_factory=dict)


def admit(intakes: Iterable[ShareSignal | Ignored], account: str | None, *, members: bool = False) -> Admission:
    """`account` is the account these credentials act for (None only when no intake is a signal);
    `members`: act for other accounts too, through their member role (a central deployment)."""
    admission = Admission()
    seen: set[str] = set()
    for intake in intakes:
        admission.events_seen += 1
        if isinstance(intake, Ignored):
            admission.skipped.append(Skipped(intake.event_id, intake.why))
            continue
        key = intake.delivery_key or intake.event_id
        if key in seen or intake.event_id in seen:
            admission.skipped.append(Skipped(intake.event_id, "duplicate delivery of an event already in this batch"))
            continue
        seen.update({key, intake.event_id})
        if intake.account_uid != account and not members:
            reason = f"event of account {intake.account_uid}; these credentials act for {account}"
            admission.skipped.append(Skipped(intake.event_id, reason))
            continue
        refused = unfixable(intake.failed_with) if intake.failed_with else None
        if refused is not None:  # no role can fix it: report, prepare nothing
            admission.broken.append(
                {
                    "event_id": intake.event_id,
                    "region": intake.region,
                    "resources": [r.id for r in intake.resources],
                    "resource_share_id": intake.resource_share_id,
                    "targets": list(intake.added_targets),
                    "code": refused[0],
                    "remedy": refused[1],
                }
            )
            continue
        admission.warnings += [f"event {intake.event_id}: invalid target {t}" for t in intake.invalid_targets]
        if intake.account_uid == account:
            admission.signals.append(intake)
        else:
            admission.members.setdefault(intake.account_uid, []).append(intake)
    return admission
