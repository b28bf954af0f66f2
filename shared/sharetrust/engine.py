"""The share engine: events in, converged share roles and a summary out.

decode (pure) → pull SLS ranges → keep this account's share signals → read the truth once per
batch → plan each affected role (pure) → converge it (unless dry run) → repeat or report shares
that failed only because the role was not ready.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sharetrust import refused_shares
from sharetrust.admission import Admission, admit
from sharetrust.apply.converge import RoleConverger, RoleOutcome, Target, read_role
from sharetrust.apply.role_lock import RoleLock
from sharetrust.cloud.ecs import EcsGateway
from sharetrust.cloud.errors import CloudError
from sharetrust.cloud.kms import KmsGateway
from sharetrust.cloud.ram import RamGateway
from sharetrust.cloud.resourcemanager import ResourceManagerGateway
from sharetrust.cloud.resourcesharing import ResourceSharingGateway
from sharetrust.cloud.session import CloudSession
from sharetrust.cloud.sls import SlsGateway
from sharetrust.cloud.sts import StsGateway
from sharetrust.events import (
    Ignored,
    LogRange,
    ShareSignal,
    decode,
    decode_log_row,
    removes_access,
)
from sharetrust.model import ROLE_FOR_KIND, EncryptedResource, ResourceKind, is_account_uid
from sharetrust.plan.capacity import DirectoryCover
from sharetrust.plan.desired import desired_role
from sharetrust.plan.role_plan import PlanSettings
from sharetrust.refusals import unfixable
from sharetrust.report import DecisionLog, Summary, change_records, role_decision
from sharetrust.settings import Settings, SettingsError
from sharetrust.truth.reader import AccountFacts, FailedShare, TruthReader
from sharetrust.truth.scope import Scope, scope_of

if TYPE_CHECKING:
    from sharetrust.audit import AuditRow  # the audit itself is imported only when one is asked for

KINDS: tuple[ResourceKind, ...] = ("image", "snapshot")


def _one_account(intakes: list[ShareSignal | Ignored]) -> str | None:
    """The account every share event names (userIdentity.accountId, or its carrier's), if they name one."""
    named = {i.account_uid for i in intakes if isinstance(i, ShareSignal)}
    return named.pop() if len(named) == 1 else None


class Engine:
    def __init__(
        self,
        session: CloudSession,
        settings: Settings,
        log: DecisionLog | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.session = session
        self.progress = progress or (lambda _: None)
        self.settings = settings
        self.log = log or DecisionLog()
        self.ecs = EcsGateway(session)
        self.ram = RamGateway(session)
        self._account = settings.account_uid
        # The account the events name, taken without asking STS while no setting or FC context says
        # which account these credentials act for; confirmed by what the reads show (`_confirm`).
        self._claimed: str | None = None
        self._changes: list[dict[str, str]] = []  # for the audit trail, written once per invocation
        self._audit_session = session  # where the audit logstore is: a member engine writes the central one

    # -- intake: decode, pull Log Service ranges, admit (pure) ------------------------------------
    def handle(self, payloads: Iterable[object]) -> Summary:
        summary = Summary(dry_run=self.settings.dry_run)
        try:
            intakes = self._intakes(payloads, summary)
            needs_account = any(isinstance(i, ShareSignal) for i in intakes)
            members = self.settings.member_role is not None
            if needs_account and self._account is None and not members:
                self._account = self._claimed = _one_account(intakes)
            admitted = admit(intakes, self.account if needs_account else self._account, members=members)
            self._record(admitted, summary)
            if admitted.signals:
                self._converge(admitted.signals, summary)
            for account_uid, signals in sorted(admitted.members.items()):
                self._converge_member(account_uid, signals, summary)
            self._write_audit_trail(summary)
        except CloudError as failed:
            self._stopped(failed, summary)
        summary.api_calls = self.session.calls.copy()
        return summary

    def member(self, account_uid: str) -> Engine:
        """This engine acting in a member account, through its member role (a central deployment)."""
        if self.settings.member_role is None:
            raise SettingsError(f"acting for account {account_uid} needs SHARETRUST_MEMBER_ROLE (its role name)")
        sts = StsGateway(self.session, self.settings.home_region)
        credentials = sts.member_credentials(account_uid, self.settings.member_role)
        session = CloudSession(credentials, self.session.endpoints, deadline=self.session.deadline)
        settings = replace(self.settings, account_uid=account_uid)
        member = Engine(session, settings, self.log, self.progress)
        member._audit_session = self.session  # the audit logstore is the central account's
        return member

    def _converge_member(self, account_uid: str, signals: list[ShareSignal], summary: Summary) -> None:
        """A member account's signals, converged there; its roles and changes reported under its UID."""
        first_role = len(summary.roles)
        member: Engine | None = None
        try:
            member = self.member(account_uid)
            member._converge(signals, summary)
        except CloudError as failed:
            error = f"acting for member account {account_uid}: {failed.one_line()}"
            summary.errors.append(error)
            self.log.decide("error", account=account_uid, error=error)
        if member is None:
            return
        self.session.calls.update(member.session.calls)  # one invocation's calls, whichever account
        for role in summary.roles[first_role:]:
            role["account"] = account_uid
        self._changes += member._changes

    def _stopped(self, failed: CloudError, summary: Summary) -> None:
        """A call every later step depends on (the caller's identity, the region list) failed."""
        summary.errors.append(failed.one_line())
        self.log.decide("error", error=failed.one_line(), dry_run=self.settings.dry_run)

    def _intakes(self, payloads: Iterable[object], summary: Summary) -> list[ShareSignal | Ignored]:
        """Every event of the payloads, a Log Service range replaced by the events pulled from it."""
        found: list[ShareSignal | Ignored] = []
        for payload in payloads:
            for intake in decode(payload):
                if isinstance(intake, LogRange):
                    found += self._pull(intake, summary)
                else:
                    found.append(intake)
        return found

    def _record(self, admitted: Admission, summary: Summary) -> None:
        summary.events_seen += admitted.events_seen
        for skipped in admitted.skipped:
            summary.ignore(skipped.event_id, skipped.reason)
            self.log.decide("ignored", event_id=skipped.event_id, reason=skipped.reason)
        for entry in admitted.broken:
            self._broken(summary, **entry)
        summary.warnings += admitted.warnings
        summary.signals += len(admitted.signals)
        for signal in admitted.signals:
            self.log.decide("signal", event_id=signal.event_id, event=signal.describe())

    def _pull(self, log_range: LogRange, summary: Summary) -> list[ShareSignal | Ignored]:
        endpoint = log_range.endpoint or self.session.endpoints.sls_endpoint(self.settings.home_region)
        try:
            rows = SlsGateway(self.session).pull_range(
                endpoint,
                log_range.project,
                log_range.logstore,
                log_range.shard_id,
                log_range.begin_cursor,
                log_range.end_cursor,
            )
        except CloudError as failed:
            # Failing the invocation makes the trigger deliver the same range again.
            error = f"pulling {log_range.describe()}: {failed.one_line()}"
            summary.errors.append(error)
            self.log.decide("error", error=error, dry_run=self.settings.dry_run)
            return []
        return [decode_log_row(row.contents) for row in rows]

    @property
    def account(self) -> str:
        if self._account is None:
            self._account = StsGateway(self.session, self.settings.home_region).caller_account()
        return self._account

    # -- convergence ------------------------------------------------------------------------
    def reconcile(self, *, prune: bool) -> Summary:
        """Converge both roles to what every current share needs, with no event: what events missed.

        Every region is read; with `prune`, access no current share needs is removed, but only from a
        complete view and after a re-read under the role lock (as for an unshare event).
        """
        summary = Summary(dry_run=self.settings.dry_run)
        try:
            self._converge_roles(set(KINDS), set(KINDS) if prune else set(), [], summary, everywhere=True)
            self._write_audit_trail(summary)
        except CloudError as failed:
            self._stopped(failed, summary)
        summary.api_calls = self.session.calls.copy()
        return summary

    def audit(self) -> tuple[str, list[AuditRow], Summary]:
        """Every shared encrypted resource and sharee, and whether the sharee can use it now. Reads only."""
        from sharetrust.audit import audit_rows

        summary = Summary(dry_run=True)
        rows: list[AuditRow] = []
        try:
            regions, skipped = self._regions(need_all=True)
            facts = self._reader(regions, skipped).read(frozenset(KINDS))
            summary.resources_inspected += facts.inspected
            self._report_unread(facts, None, False, summary)
            rows = audit_rows(facts, {kind: read_role(self.ram, kind) for kind in KINDS})
        except CloudError as failed:
            summary.errors.append(failed.one_line())
        summary.api_calls = self.session.calls.copy()
        return self._account or "", rows, summary

    def _reader(self, regions: list[str], skipped: dict[str, str]) -> TruthReader:
        return TruthReader(
            self.account,
            regions,
            skipped,
            self.ecs,
            KmsGateway(self.session),
            ResourceSharingGateway(self.session),
            ResourceManagerGateway(self.session),
            self.progress,
        )

    def _converge(self, signals: list[ShareSignal], summary: Summary) -> None:
        kinds = self._kinds(signals)
        pruning = {kind for kind in kinds if any(self._prunes(s, kind) for s in signals)}
        self._converge_roles(kinds, pruning, signals, summary, everywhere=False)

    def _converge_roles(
        self,
        kinds: set[ResourceKind],
        pruning: set[ResourceKind],
        signals: list[ShareSignal],
        summary: Summary,
        *,
        everywhere: bool,
    ) -> None:
        """Read the facts once, then plan and converge each role of `kinds` (removing only for `pruning`).

        `everywhere`: every region matters (a reconcile), not only the events' regions.
        """
        # An add-only batch plans additively, so it reads only what its events name; a removal or a
        # reconcile decides on absence and reads everything.
        scope = None if pruning or everywhere else scope_of(signals)
        if scope is None:
            regions, skipped = self._regions(need_all=bool(pruning) or everywhere)
        else:
            regions, skipped = self._scoped_regions(scope)
        reader = self._reader(regions, skipped)

        def read() -> AccountFacts:
            return reader.read(frozenset(kinds)) if scope is None else reader.read_named(scope)

        facts = read()
        if not self._confirm(facts, signals, summary):
            return
        summary.resources_inspected += facts.inspected
        for association in facts.refused:
            code, remedy = unfixable(association.message) or (
                association.message.split(":", 1)[0],
                "fix what the message says, then associate the share again",
            )
            self._broken(
                summary,
                region=association.region,
                resource_share_id=association.share_id,
                entity=association.entity_id,
                code=code,
                message=association.message,
                remedy=remedy,
            )
        self._report_unread(facts, None if everywhere else {s.region for s in signals}, bool(pruning), summary)
        prepared = refused_shares.from_events(signals, facts, self.account)
        for event_id, why in prepared.set_aside:
            summary.ignore(event_id, why)
        pending = prepared.pending
        # The sharees the events name come first when not every sharee fits the trust policy.
        urgent = frozenset(t for s in signals for t in s.added_targets if is_account_uid(t))
        lock = RoleLock(self.ram, self.session.deadline, note=self._lock_note) if self.settings.lock_roles else None
        plan_settings = PlanSettings(self.settings.service_key_policy, trust_max_chars=self.settings.trust_max_chars)
        converger = RoleConverger(self.ram, plan_settings, lock, cover=self._cover_reader(summary))
        if scope is not None:
            # An addition of a kind nothing named has adds nothing (a share named by id alone may hold
            # either kind): its role need not even be read.
            kinds &= {r.kind for r in facts.resources} | {p.kind for p in pending}
        for kind in KINDS:
            if kind not in kinds:
                continue

            def target(fresh: bool, kind: ResourceKind = kind) -> Target:
                current = facts
                if fresh:
                    reader.forget()
                    current = read()
                desired = replace(
                    desired_role(
                        kind,
                        self.account,
                        refused_shares.with_pending(current.resources, pending),
                        self.settings.sharees,
                    ),
                    urgent=urgent,
                )
                if kind not in pruning:
                    return Target(desired, prune=False)
                if not current.complete:
                    why = "; ".join(f"{region}: {reason}" for region, reason in sorted(current.unread.items()))
                    return Target(desired, prune=False, prune_skipped=f"the view is partial ({why})")
                return Target(desired, prune=True)

            if self.settings.dry_run:
                planned = target(False)
                plan = converger.plan(kind, planned)
                outcome = RoleOutcome(
                    kind,
                    ROLE_FOR_KIND[kind],
                    plan,
                    error="; ".join(plan.errors) or None,
                    prune_skipped=planned.prune_skipped,
                )
            else:
                outcome = converger.converge(kind, target)
            self._report(outcome, signals, [r for r in facts.resources if r.kind == kind], summary)
            if outcome.error is None:
                self._follow_up(kind, facts.failed_shares + pending, summary)

    def _confirm(self, facts: AccountFacts, signals: list[ShareSignal], summary: Summary) -> bool:
        """Whether the account the events claim is the one these credentials act for. The images read
        are the credentials' own (ImageOwnerAlias=self), so their owner confirms it for free; when no
        image says, STS is asked. On a mismatch the events are another account's: ignored, as admission
        would have."""
        if self._claimed is None:
            return True
        claimed, self._claimed = self._claimed, None
        if facts.image_owners == {claimed}:
            return True
        self._account = None
        if self.account == claimed:
            return True
        summary.signals -= len(signals)  # none is acted on
        for signal in signals:
            reason = f"event of account {signal.account_uid}; these credentials act for {self.account}"
            summary.ignore(signal.event_id, reason)
            self.log.decide("ignored", event_id=signal.event_id, reason=reason)
        return False

    def _scoped_regions(self, scope: Scope) -> tuple[list[str], dict[str, str]]:
        """The events' own regions (no region list needed), less those SHARETRUST_REGIONS leaves out."""
        configured = set(self.settings.regions)
        named = sorted(scope.regions)
        if not configured:
            return named, {}
        skipped = {region: "not read: not in SHARETRUST_REGIONS" for region in named if region not in configured}
        return [region for region in named if region in configured], skipped

    def _regions(self, *, need_all: bool) -> tuple[list[str], dict[str, str]]:
        """The regions to read, and those left out on purpose. A removal needs every region the account
        has, so then the full list is read even when SHARETRUST_REGIONS names fewer."""
        configured = list(self.settings.regions)
        if configured and not need_all:
            return configured, {}
        try:
            every = self.ecs.regions(self.settings.home_region)
        except CloudError as failed:
            if not configured:
                raise
            return configured, {"(all regions)": f"the region list could not be read: {failed.one_line()}"}
        if not configured:
            return every, {}
        skipped = {region: "not read: not in SHARETRUST_REGIONS" for region in every if region not in configured}
        return configured, skipped

    def _report_unread(
        self, facts: AccountFacts, event_regions: set[str] | None, pruning: bool, summary: Summary
    ) -> None:
        """A failed region is an error where it matters (an event of that region, any region for a
        reconcile, or a removal it blocks), so the invocation is retried; otherwise a warning. A skipped
        region only matters for removals, and retrying does not change a setting: a warning."""
        for region, reason in sorted(facts.unread.items()):
            failed = region in facts.failed_regions or region == "(all regions)"
            if failed and (pruning or event_regions is None or region in event_regions):
                summary.errors.append(reason)
                self.log.decide("error", region=region, error=reason, dry_run=self.settings.dry_run)
            elif failed or pruning:
                summary.warnings.append(f"{region}: {reason}")

    def _broken(self, summary: Summary, **entry: Any) -> None:
        summary.broken_shares.append(entry)
        self.log.decide("broken-share", **entry)

    def _cover_reader(self, summary: Summary) -> Callable[[], DirectoryCover | None] | None:
        """SHARETRUST_COVER_WITH_DIRECTORY: the sharer's own directory, read (once) only when sharees do
        not fit; None when the setting is off. An account that is no directory's master has none to use."""
        mode = self.settings.cover_with_directory
        if mode == "off":
            return None
        read: list[DirectoryCover | None] = []

        def cover() -> DirectoryCover | None:
            if not read:
                try:
                    paths = ResourceManagerGateway(self.session).member_paths()
                except CloudError as failed:
                    warning = (
                        f"SHARETRUST_COVER_WITH_DIRECTORY: the directory's members were not read: {failed.one_line()}"
                    )
                    summary.warnings.append(warning)
                    read.append(None)
                    return None
                folder_of = {uid: path.rsplit("/", 1)[0] for uid, path in paths.items() if "/" in path}
                directory = next(iter(folder_of.values()), "").split("/")[0]
                read.append(DirectoryCover(mode, directory, folder_of) if directory else None)
            return read[0]

        return cover

    def _lock_note(self, message: str) -> None:
        self.log.decide("lock", message=message)

    @staticmethod
    def _kinds(signals: list[ShareSignal]) -> set[ResourceKind]:
        kinds: set[ResourceKind] = set()
        for signal in signals:
            # Only a share id (Delete, or targets joining a share): either kind may be affected.
            kinds |= signal.resource_kinds if signal.resources else set(KINDS)
        return kinds

    @staticmethod
    def _prunes(signal: ShareSignal, kind: ResourceKind) -> bool:
        """Removal is only planned when an event says something of this kind was unshared."""
        touches = not signal.resources or kind in signal.resource_kinds
        return touches and removes_access(signal)

    def _follow_up(self, kind: ResourceKind, failed: list[FailedShare], summary: Summary) -> None:
        acting = self.settings.retry_failed_shares and not self.settings.dry_run
        sharing = ResourceSharingGateway(self.session)
        for entry, error in refused_shares.repeat(
            kind, failed, self.settings.sharees, ecs=self.ecs, sharing=sharing, act=acting
        ):
            summary.failed_shares.append(entry)
            if error is not None:
                summary.errors.append(f"repeating the share of {entry['resource']}: {error}")
            decision = "failed-share-repeated" if acting else "failed-share-ready"
            self.log.decide(decision, dry_run=self.settings.dry_run, **entry)

    def _report(
        self, outcome: RoleOutcome, signals: list[ShareSignal], resources: list[EncryptedResource], summary: Summary
    ) -> None:
        summary.add_role(outcome)
        event_ids = [s.event_id for s in signals]
        self.log.decide(**role_decision(outcome, event_ids, resources, dry_run=self.settings.dry_run))
        shown = ",".join(event_ids[:5]) + (f" and {len(event_ids) - 5} more" if len(event_ids) > 5 else "")
        cause = f"events {shown}" if event_ids else "reconcile"
        account = self._account or ""
        self._changes += [
            {**r, "account": account} for r in change_records(outcome, cause, dry_run=self.settings.dry_run)
        ]

    def _write_audit_trail(self, summary: Summary) -> None:
        """Every change (and, in a dry run, every planned one) to the audit logstore, when one is set."""
        if self.settings.audit_logstore is None or not self._changes:
            return
        project, logstore = self.settings.audit_logstore
        endpoint = self._audit_session.endpoints.sls_endpoint(self.settings.home_region)
        try:
            SlsGateway(self._audit_session).put_records(endpoint, project, logstore, "sharetrust-change", self._changes)
        except CloudError as failed:
            # The changes are made; a retry would find nothing to change, so this cannot fail the invocation.
            warning = f"{len(self._changes)} audit record(s) not written to {project}/{logstore}: {failed.one_line()}"
            summary.warnings.append(warning)
            self.log.decide("audit-trail-failed", error=warning)
        self._changes = []
