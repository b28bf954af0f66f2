"""Entry points shared by the FC handlers and the CLI: build a session from the environment, run."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, TextIO

from sharetrust.audit import AuditRow
from sharetrust.cloud.credentials import Credentials
from sharetrust.cloud.endpoints import Endpoints
from sharetrust.cloud.errors import CloudError
from sharetrust.cloud.resourcemanager import ResourceManagerGateway
from sharetrust.cloud.session import CloudSession
from sharetrust.deadline import DEFAULT_SECONDS, Deadline
from sharetrust.engine import Engine
from sharetrust.model import is_account_uid
from sharetrust.probe import is_probe, run_probe
from sharetrust.report import DecisionLog, Summary
from sharetrust.settings import Settings, SettingsError


class InvocationFailed(RuntimeError):
    """Raised by a handler when a change could not be applied, so Function Compute retries the batch."""


def engine(
    *,
    context: Any = None,
    environ: Mapping[str, str] | None = None,
    dry_run: bool | None = None,
    log_stream: TextIO | None = None,
    progress: Callable[[str], None] | None = None,
) -> Engine:
    """An engine for one invocation: settings, deadline, endpoints and credentials from the environment."""
    settings = Settings.from_environment(environ)
    if dry_run is not None:
        settings = replace(settings, dry_run=dry_run)
    account = getattr(context, "account_id", None) if context is not None else None
    if settings.account_uid is None and account:
        settings = replace(settings, account_uid=str(account))
    deadline = Deadline.after(settings.deadline_seconds or _default_budget(context))
    endpoints = Endpoints.from_environment(environ)
    credentials = Credentials.resolve(context, environ, local_endpoint=endpoints.override is not None)
    session = CloudSession(credentials, endpoints, deadline=deadline)
    return Engine(session, settings, DecisionLog(log_stream), progress)


def run(
    payloads: Iterable[object],
    *,
    context: Any = None,
    environ: Mapping[str, str] | None = None,
    dry_run: bool | None = None,
    log_stream: TextIO | None = None,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Converge the share roles for these events."""
    made = engine(context=context, environ=environ, dry_run=dry_run, log_stream=log_stream, progress=progress)
    return made.handle(payloads)


def reconcile(
    *,
    prune: bool | None = None,
    account: str | None = None,
    context: Any = None,
    environ: Mapping[str, str] | None = None,
    dry_run: bool | None = None,
    log_stream: TextIO | None = None,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Converge the share roles to every current share, with no event; `prune` None: SHARETRUST_PRUNE;
    `account`: a member account, acted on through SHARETRUST_MEMBER_ROLE."""
    made = engine(context=context, environ=environ, dry_run=dry_run, log_stream=log_stream, progress=progress)
    return _in(made, account).reconcile(prune=made.settings.prune if prune is None else prune)


def reconcile_members(
    *,
    prune: bool | None = None,
    environ: Mapping[str, str] | None = None,
    dry_run: bool | None = None,
    log_stream: TextIO | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Summary]:
    """Reconcile the caller's own account and every member account of its resource directory, one after
    another, through SHARETRUST_MEMBER_ROLE. Each account gets its own deadline; one failing does not stop
    the others. (A fan-out of one Function Compute invocation per member is not built yet.)"""
    made = engine(environ=environ, dry_run=dry_run, log_stream=log_stream, progress=progress)
    if made.settings.member_role is None:
        raise SettingsError("reconciling member accounts needs SHARETRUST_MEMBER_ROLE (their role name)")
    prune = made.settings.prune if prune is None else prune
    members = ResourceManagerGateway(made.session).member_accounts()  # before the central reconcile spends the deadline
    summaries = {made.account: made.reconcile(prune=prune)}
    for number, account in enumerate(members, start=1):
        if account in summaries:
            continue
        if progress is not None:
            progress(f"member account {account} ({number})")
        fresh = engine(environ=environ, dry_run=dry_run, log_stream=log_stream, progress=progress)
        try:
            summaries[account] = fresh.member(account).reconcile(prune=prune)
        except CloudError as failed:
            failed_summary = Summary(dry_run=fresh.settings.dry_run)
            failed_summary.errors.append(f"acting for member account {account}: {failed.one_line()}")
            summaries[account] = failed_summary
    return summaries


def operator_session(seconds: float, environ: Mapping[str, str] | None = None) -> tuple[CloudSession, Settings]:
    """A session for the operator's tools (doctor, invoke): the environment's credentials and endpoint."""
    settings = Settings.from_environment(environ)
    endpoints = Endpoints.from_environment(environ)
    credentials = Credentials.resolve(None, environ, local_endpoint=endpoints.override is not None)
    budget = settings.deadline_seconds or seconds
    return CloudSession(credentials, endpoints, deadline=Deadline.after(budget)), settings


def _in(made: Engine, account: str | None) -> Engine:
    if account is not None and not is_account_uid(account):
        raise SettingsError(f"--account must be an account UID (1–20 digits), got {account!r}")
    return made if account is None or account == made.account else made.member(account)


def _default_budget(context: Any) -> float:
    """Inside FC: the function's timeout (context.function.timeout) less a margin; elsewhere 60 s."""
    timeout = getattr(getattr(context, "function", None), "timeout", None)
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return Deadline.for_function(float(timeout))
    return DEFAULT_SECONDS


def audit(
    *,
    account: str | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[str, list[AuditRow], Summary]:
    """(account, rows, summary): who can use which shared encrypted resource now; reads only."""
    return _in(engine(environ=environ, dry_run=True, progress=progress), account).audit()


def fc_handler(event: bytes | str, context: Any) -> str:
    """What every FC trigger handler does: run on the event; fail the invocation if a change failed.
    The probe event (`sharetrust invoke`) is answered before anything else."""
    if is_probe(event):
        return _probe_answer(context)
    return _answer(run([event], context=context, log_stream=sys.stdout))


def fc_reconcile(event: bytes | str, context: Any) -> str:
    """The timer trigger's handler: reconcile (the event carries nothing sharetrust needs), or answer the probe."""
    if is_probe(event):
        return _probe_answer(context)
    return _answer(reconcile(context=context, log_stream=sys.stdout))


def _probe_answer(context: Any) -> str:
    """The probe's summary; a failed probe is an answer too (never a failed invocation: nothing to retry)."""
    text = json.dumps(run_probe(context), sort_keys=True)
    print(text, flush=True)
    return text


def _answer(summary: Summary) -> str:
    text = json.dumps(summary.as_json(), sort_keys=True)
    print(text, flush=True)
    if not summary.ok:
        raise InvocationFailed(text)
    return text
