"""Entry points shared by the FC handlers and the CLI: build a session from the environment, run."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TextIO

from sharetrust.cloud.credentials import Credentials
from sharetrust.cloud.endpoints import Endpoints
from sharetrust.cloud.errors import CloudError
from sharetrust.cloud.session import CloudSession
from sharetrust.deadline import DEFAULT_SECONDS, Deadline
from sharetrust.engine import Engine
from sharetrust.model import is_account_uid
from sharetrust.probe import is_probe, run_probe
from sharetrust.report import DecisionLog, Summary
from sharetrust.settings import Settings, SettingsError

# Only what an event needs is imported here: the audit, the member fan-out and their gateways are
# imported by the functions that use them (cold start, issue 10).
if TYPE_CHECKING:
    from sharetrust.audit import AuditRow


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
    the others. (In Function Compute the timer fans out instead: `timer_reconcile`.)"""
    made = engine(environ=environ, dry_run=dry_run, log_stream=log_stream, progress=progress)
    if made.settings.member_role is None:
        raise SettingsError("reconciling member accounts needs SHARETRUST_MEMBER_ROLE (their role name)")
    prune = made.settings.prune if prune is None else prune
    from sharetrust.cloud.resourcemanager import ResourceManagerGateway

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
    """The timer trigger's handler: reconcile (the event carries nothing sharetrust needs), fanning out to
    the member accounts in a central deployment; a member's request from that fan-out; or the probe."""
    from sharetrust.fan_out import BadMemberRequest, member_request

    if is_probe(event):
        return _probe_answer(context)
    try:
        request = member_request(event)
    except BadMemberRequest as bad:
        return _answer(_refused(str(bad)))
    if request is not None:
        return _answer(reconcile_member(request.account, context=context, log_stream=sys.stdout))
    return _answer(timer_reconcile(context=context, log_stream=sys.stdout))


def timer_reconcile(
    *, context: Any = None, environ: Mapping[str, str] | None = None, log_stream: TextIO | None = None
) -> Summary:
    """The timer's reconcile: this account; in a central deployment (SHARETRUST_MEMBER_ROLE, and
    SHARETRUST_MEMBER_FAN_OUT on) also one asynchronous invocation of this function per member account,
    queued before this account's own reconcile spends the deadline. A failed invocation is reported and
    does not stop the others."""
    made = engine(context=context, environ=environ, log_stream=log_stream)
    settings = made.settings
    if settings.member_role is None or not settings.member_fan_out:
        return made.reconcile(prune=settings.prune)
    from sharetrust.cloud.fc import FunctionComputeGateway
    from sharetrust.cloud.resourcemanager import ResourceManagerGateway
    from sharetrust.fan_out import function_address, invoke_each, member_payload

    env = os.environ if environ is None else environ
    address = function_address(context, env, settings.home_region)
    invoked: list[str] = []
    failed: dict[str, str] = {}
    problem: str | None = None
    if address is None:
        problem = "fanning out to the member accounts needs this function's name (FC context or FC_FUNCTION_NAME)"
    else:
        try:
            members = [m for m in ResourceManagerGateway(made.session).member_accounts() if m != made.account]
            gateway = FunctionComputeGateway(made.session, address.region)

            def invoke(account: str) -> None:
                gateway.invoke_async(address.name, member_payload(account), address.qualifier)

            def failure(error: Exception) -> str | None:
                return error.one_line() if isinstance(error, CloudError) else None

            invoked, failed = invoke_each(members, invoke, failure)
        except CloudError as listing:
            problem = f"listing the member accounts to reconcile: {listing.one_line()}"
    summary = made.reconcile(prune=settings.prune)
    summary.fan_out = {"function": address.name if address else "", "invoked": invoked, "failed": failed}
    for account in invoked:
        made.log.decide("member-reconcile-invoked", account=account, function=address.name if address else "")
    if problem is not None:
        summary.errors.append(problem)
    for account, why in failed.items():
        summary.errors.append(f"invoking the reconcile of member account {account}: {why}")
    summary.api_calls = made.session.calls.copy()
    return summary


def reconcile_member(
    account: str, *, context: Any = None, environ: Mapping[str, str] | None = None, log_stream: TextIO | None = None
) -> Summary:
    """One member account's reconcile, as the fan-out asks for it. The request is not trusted: the account
    must be a member of this account's resource directory, re-read now, or nothing is done."""
    made = engine(context=context, environ=environ, log_stream=log_stream)
    if made.settings.member_role is None:
        return _refused(f"refused: reconciling member account {account} needs SHARETRUST_MEMBER_ROLE (unset here)")
    from sharetrust.cloud.resourcemanager import ResourceManagerGateway

    try:
        members = ResourceManagerGateway(made.session).member_accounts()
    except CloudError as failed:
        return _refused(f"checking that {account} is a member account: {failed.one_line()}", made)
    if account not in members or account == made.account:
        return _refused(f"refused: account {account} is not a member account of this resource directory", made)
    try:
        member = made.member(account)
    except CloudError as failed:
        return _refused(f"acting for member account {account}: {failed.one_line()}", made)
    summary = member.reconcile(prune=made.settings.prune)
    summary.account = account
    made.session.calls.update(member.session.calls)
    summary.api_calls = made.session.calls.copy()
    return summary


def _refused(error: str, made: Engine | None = None) -> Summary:
    """A summary that did nothing and says why, in one line."""
    summary = Summary(dry_run=made.settings.dry_run if made is not None else False)
    summary.errors.append(error)
    if made is not None:
        made.log.decide("error", error=error)
        summary.api_calls = made.session.calls.copy()
    return summary


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
