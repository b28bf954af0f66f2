"""sharetrust: keep the ECS share roles trusting exactly the sharees of encrypted images and snapshots.

handle [--dry-run] FILE...   converge the roles for the events in FILEs (any shape; - is stdin)
plan [--prune] [--json]      what a reconcile would change, role by role; writes nothing
apply [--prune] [--yes]      reconcile: converge the roles to every current share
report [--json|--csv|--html] who can use which shared encrypted resource now
doctor [--json]              check an account's prerequisites, one line each with the fix
invoke [--function NAME]     send the deployed functions the read-only probe and print what they answer
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sharetrust.cloud.credentials import CredentialsError
from sharetrust.cloud.endpoints import EndpointError
from sharetrust.cloud.errors import CloudError, DeadlineExceeded, Denied, NotFound
from sharetrust.cloud.fc import OperatorSdkMissing
from sharetrust.settings import SettingsError

if TYPE_CHECKING:
    from sharetrust.report import Summary

# The engine is imported inside the commands: a Ctrl-C during start-up then ends as cleanly as later.

DONE, FAILED, USAGE, PENDING, INTERRUPTED = 0, 1, 2, 2, 130
EXIT_CODES = f"""exit codes:
  {DONE}    done: every change needed was made (plan: there is nothing to do)
  {FAILED}    a change could not be made, or the cloud refused a call (see the errors; rerunning is safe)
  {USAGE}    usage, configuration or input: a bad option or setting, no credentials, a file that cannot
       be read or is not JSON, a removal not confirmed; plan: changes are pending
  {INTERRUPTED}  interrupted (Ctrl-C); the role lock is released, and rerunning completes the change

settings come from the environment (SHARETRUST_*, ALIBABA_CLOUD_*); see the README."""

DOCTOR_EXIT_CODES = f"""exit codes:
  {DONE}    every check passed
  {FAILED}    a check failed (each FAIL line says the fix), or a fact could not be read
  {USAGE}    only warnings (WARN lines); or usage, configuration or no credentials

reads only. settings come from the environment (SHARETRUST_*, ALIBABA_CLOUD_*); see the README."""

INVOKE_EXIT_CODES = f"""exit codes:
  {DONE}    every function answered the probe, and every probe says ok
  {FAILED}    a function is not found, access is denied, it failed (errorType: message), timed out,
       or its probe says failed (the failing checks are printed)
  {USAGE}    usage, configuration, no credentials, or the operator SDKs are not installed

the probe is read-only. settings come from the environment (SHARETRUST_*, ALIBABA_CLOUD_*); see the README."""

DOCTOR_SECONDS = 120.0
INVOKE_SECONDS = 300.0


class UnreadableInput(ValueError):
    """A file that cannot be read, is not JSON, or (the log) cannot be written; the message names it."""


def _read(name: str) -> bytes:
    label = "stdin" if name == "-" else name
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as unreadable:
        raise UnreadableInput(f"cannot read {label}: {unreadable.strerror or unreadable}") from None
    try:
        json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as bad:
        raise UnreadableInput(f"{label} is not UTF-8 text ({bad.reason} at byte {bad.start})") from None
    except json.JSONDecodeError as bad:
        raise UnreadableInput(f"{label} is not JSON ({bad.msg} at line {bad.lineno} column {bad.colno})") from None
    except (ValueError, RecursionError) as bad:
        raise UnreadableInput(f"{label} is not JSON ({type(bad).__name__})") from None
    return data


@contextmanager
def _log_stream(path: str | None) -> Iterator[TextIO]:
    """Where decision lines go: nowhere by default (the summary says what was done), a file, or stderr."""
    if path == "-":
        yield sys.stderr
        return
    try:
        stream = open(path or os.devnull, "a", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as unwritable:
        raise UnreadableInput(f"cannot write the log {path}: {unwritable.strerror or unwritable}") from None
    with stream:
        yield stream


class _Progress:
    """On a terminal, one stderr line saying how far a scan is, overwritten as it goes."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, step: str) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r\033[Ksharetrust: {step}")
            sys.stderr.flush()
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            self.shown = False


PROGRESS = _Progress()


def _fail(message: str, code: int) -> int:
    PROGRESS.clear()
    print(f"sharetrust: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # exits 2 with argparse's own one-line message
    command = {
        "handle": _handle,
        "plan": _plan,
        "apply": _apply,
        "report": _report,
        "doctor": _doctor,
        "invoke": _invoke,
    }[args.command]
    try:
        with _log_stream(getattr(args, "log", None)) as log:
            return command(args, log)
    except (UnreadableInput, CredentialsError, EndpointError, SettingsError, OperatorSdkMissing) as unusable:
        return _fail(str(unusable), USAGE)
    except CloudError as failed:  # before any summary exists, e.g. acting for a member account
        return _fail(failed.one_line(), FAILED)
    except KeyboardInterrupt:
        return _fail("interrupted; writes made so far are safe, and rerunning completes the change", INTERRUPTED)
    except Exception as bug:  # never a traceback for the operator; SHARETRUST_DEBUG=1 shows it
        if os.environ.get("SHARETRUST_DEBUG"):
            raise
        return _fail(f"internal error {type(bug).__name__}: {bug} (rerun with SHARETRUST_DEBUG=1 to see where)", FAILED)


def _handle(args: argparse.Namespace, log: TextIO) -> int:
    from sharetrust.entry import run

    payloads = [_read(name) for name in args.files]
    return _finish(run(payloads, dry_run=args.dry_run or None, log_stream=log, progress=PROGRESS))


def _plan(args: argparse.Namespace, log: TextIO) -> int:
    from sharetrust.entry import reconcile

    summary = reconcile(prune=args.prune, account=args.account, dry_run=True, log_stream=log, progress=PROGRESS)
    return _show_plan(summary, as_json=args.json)


def _apply(args: argparse.Namespace, log: TextIO) -> int:
    from sharetrust.entry import reconcile, reconcile_members

    if args.all_members:
        if args.prune and not args.yes:
            return _fail("--all-members --prune removes without showing a plan: add --yes to confirm", USAGE)
        summaries = reconcile_members(prune=args.prune, dry_run=False, log_stream=log, progress=PROGRESS)
        PROGRESS.clear()
        for account, summary in summaries.items():
            for error in summary.errors:
                print(f"sharetrust: {account}: {error}", file=sys.stderr)
        print(json.dumps({a: s.as_json() for a, s in summaries.items()}, indent=2, sort_keys=True))
        return DONE if all(s.ok for s in summaries.values()) else FAILED

    if args.prune and not args.yes:
        planned = reconcile(prune=True, account=args.account, dry_run=True, log_stream=log, progress=PROGRESS)
        if not _removals_confirmed(planned):
            return _fail("nothing applied: the removals were not confirmed (see the plan; --yes confirms)", USAGE)
    return _finish(reconcile(prune=args.prune, account=args.account, dry_run=False, log_stream=log, progress=PROGRESS))


def _report(args: argparse.Namespace, log: TextIO) -> int:
    from sharetrust.audit import as_csv, as_html
    from sharetrust.entry import audit

    account, rows, summary = audit(account=args.account, progress=PROGRESS)
    _print_errors(summary)
    if not summary.ok:
        return FAILED  # a report from a partial read would say too little: the errors say why
    if args.format == "json":
        print(json.dumps({"rows": [asdict(r) for r in rows], "errors": summary.errors}, indent=2))
    elif args.format == "csv":
        sys.stdout.write(as_csv(rows))
    elif args.format == "html":
        generated = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        sys.stdout.write(as_html(rows, account, generated))
    else:
        print("\n".join(f"{r.status:10}  {r.resource:22}  {r.sharee:40}  {r.missing or 'ok'}" for r in rows))
    return DONE if summary.ok else FAILED


def _doctor(args: argparse.Namespace, log: TextIO) -> int:
    from sharetrust.doctor.checks import checks, exit_status
    from sharetrust.doctor.facts import read_facts
    from sharetrust.entry import operator_session

    session, settings = operator_session(DOCTOR_SECONDS)
    facts = read_facts(
        session,
        region=args.region or settings.home_region,
        trail_project=args.trail_project,
        trail_logstore=args.trail_logstore,
        trigger_logstore=args.trigger_logstore,
        deploy_dir=args.deploy,
        service_key_policy=settings.service_key_policy,
        progress=PROGRESS,
    )
    found = checks(facts)
    PROGRESS.clear()
    if args.json:
        rows = [asdict(c) for c in found]
        print(json.dumps({"account": facts.account, "region": facts.region, "checks": rows}, indent=2))
    else:
        print(f"account {facts.account}, region {facts.region}")
        print("\n".join(c.line() for c in found))
    status = exit_status(found)
    return {"PASS": DONE, "WARN": USAGE, "FAIL": FAILED}[status]


def _invoke(args: argparse.Namespace, log: TextIO) -> int:
    from sharetrust.cloud.fc import FunctionCompute2Gateway, FunctionComputeGateway, Invocation
    from sharetrust.cloud.sts import StsGateway
    from sharetrust.doctor.checks import FUNCTIONS
    from sharetrust.entry import operator_session
    from sharetrust.probe import PROBE_PAYLOAD

    session, settings = operator_session(INVOKE_SECONDS)
    region = args.region or settings.home_region
    names = [args.function] if args.function else list(FUNCTIONS)
    if args.service:
        account = settings.account_uid or StsGateway(session, region).caller_account()
        fc2 = FunctionCompute2Gateway(session, region, account)

        def call(name: str) -> Invocation:
            return fc2.invoke(args.service, name, PROBE_PAYLOAD, args.qualifier)
    else:
        fc3 = FunctionComputeGateway(session, region)

        def call(name: str) -> Invocation:
            return fc3.invoke(name, PROBE_PAYLOAD, args.qualifier)

    answers: dict[str, Any] = {}
    failures: list[str] = []
    for name in names:
        where = f"{args.service}/{name}" if args.service else name
        PROGRESS(f"invoking {where}")
        try:
            invocation = call(name)
        except NotFound as missing:
            failures.append(f"{where}: not found in {region} ({missing.code}): deploy it (s deploy) or check --region")
            continue
        except Denied:
            failures.append(f"{where}: access denied: grant fc:InvokeFunction on it to these credentials")
            continue
        except DeadlineExceeded:
            failures.append(f"{where}: timed out: no answer within {session.deadline.seconds:.0f} s")
            continue
        except CloudError as failed:
            failures.append(f"{where}: {failed.one_line()}")
            continue
        PROGRESS.clear()
        if invocation.log_tail:
            print(f"--- log tail of {where} (request {invocation.request_id}) ---", file=sys.stderr)
            print(invocation.log_tail.rstrip("\n"), file=sys.stderr)
        if invocation.error_type is not None:
            failures.append(f"{where}: the function failed: {invocation.error}")
            continue
        summary = invocation.json()
        if not isinstance(summary, dict) or "probe" not in summary:
            failures.append(f"{where}: answered something that is not a probe summary (is it sharetrust's handler?)")
            continue
        answers[where] = summary
        if summary["probe"] != "ok":
            bad = [c for c in summary.get("checks", []) if isinstance(c, dict) and not c.get("ok")]
            reasons = "; ".join(f"{c.get('name')}: {c.get('detail')}" for c in bad) or "no check ran"
            failures.append(f"{where}: probe failed: {reasons}")
    PROGRESS.clear()
    print(json.dumps(answers, indent=2, sort_keys=True))
    for failure in failures:
        print(f"sharetrust: {failure}", file=sys.stderr)
    return FAILED if failures else DONE


def _finish(summary: Summary) -> int:
    _print_errors(summary)
    print(json.dumps(summary.as_json(), indent=2, sort_keys=True))
    return DONE if summary.ok else FAILED


def _parser() -> argparse.ArgumentParser:
    formatted: dict[str, Any] = {"epilog": EXIT_CODES, "formatter_class": argparse.RawDescriptionHelpFormatter}
    parser = argparse.ArgumentParser(prog="sharetrust", description=__doc__, **formatted)
    sub = parser.add_subparsers(dest="command", required=True)
    handle = sub.add_parser("handle", help="converge share roles for the events in FILEs", **formatted)
    handle.add_argument(
        "files", nargs="+", metavar="FILE", help="event file (CloudEvent, SLS trigger, raw, list); - for stdin"
    )
    handle.add_argument("--dry-run", action="store_true", help="plan and print; make no write call")
    plan = sub.add_parser("plan", help="what a reconcile would change; writes nothing", **formatted)
    plan.add_argument("--prune", action="store_true", help="also plan removing access no current share needs")
    plan.add_argument("--json", action="store_true", help="print the JSON summary instead of the diff")
    apply = sub.add_parser("apply", help="reconcile: converge the roles to every current share", **formatted)
    apply.add_argument("--prune", action="store_true", help="also remove access no current share needs")
    apply.add_argument("--yes", action="store_true", help="remove without asking")
    apply.add_argument(
        "--all-members",
        action="store_true",
        help="also every member account of the resource directory, through SHARETRUST_MEMBER_ROLE",
    )
    report = sub.add_parser("report", help="who can use which shared encrypted resource now", **formatted)
    shapes = report.add_mutually_exclusive_group()
    for shape in ("json", "csv", "html"):
        shapes.add_argument(f"--{shape}", dest="format", action="store_const", const=shape, help=f"as {shape}")
    doctor_codes = {**formatted, "epilog": DOCTOR_EXIT_CODES}
    doctor = sub.add_parser(
        "doctor", help="check an account's prerequisites, one line each with the fix", **doctor_codes
    )
    doctor.add_argument("--region", metavar="R", help="the functions' region; default: SHARETRUST_HOME_REGION")
    doctor.add_argument(
        "--trail-project", metavar="P", help="the trail's Log Service project (s.yaml vars.trailProject)"
    )
    doctor.add_argument("--trail-logstore", metavar="L", help="the trail's logstore (s.yaml vars.trailLogstore)")
    doctor.add_argument(
        "--trigger-logstore",
        metavar="L",
        help="the trigger's own logstore; default: the deployed trigger's, or s.yaml's",
    )
    doctor.add_argument("--deploy", metavar="DIR", help="the deploy/ folder to compare policies with; default: found")
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")
    invoke_codes = {**formatted, "epilog": INVOKE_EXIT_CODES}
    invoke = sub.add_parser("invoke", help="send the deployed functions the read-only probe", **invoke_codes)
    invoke.add_argument("--function", metavar="NAME", help="one function; default: the three s.yaml deploys")
    invoke.add_argument("--service", metavar="SERVICE", help="FC 2.0: the service the functions are under")
    invoke.add_argument("--region", metavar="R", help="the functions' region; default: SHARETRUST_HOME_REGION")
    invoke.add_argument("--qualifier", metavar="Q", default="LATEST", help="version or alias (default LATEST)")
    for command in (plan, apply, report):
        command.add_argument(
            "--account", metavar="UID", help="a member account, acted on through SHARETRUST_MEMBER_ROLE"
        )
    for command in (handle, plan, apply, report):
        command.add_argument(
            "--log", metavar="PATH", help="append one JSON line per decision to PATH (- for stderr); default: none"
        )
    return parser


def _print_errors(summary: Summary) -> None:
    PROGRESS.clear()
    for error in summary.errors:
        print(f"sharetrust: {error}", file=sys.stderr)


def _show_plan(summary: Summary, *, as_json: bool) -> int:
    """The plan as a diff per role (or JSON); exit 0 nothing to do, 2 changes pending, 1 error."""
    _print_errors(summary)
    if as_json:
        print(json.dumps(summary.as_json(), indent=2, sort_keys=True))
    elif summary.roles or summary.ok:
        print("\n".join(plan_lines(summary)))
    if not summary.ok:
        return FAILED
    return PENDING if any(role["changed"] for role in summary.roles) else DONE


def plan_lines(summary: Summary) -> list[str]:
    """A readable diff: per role, principals and key grants added (+) and removed (-)."""
    lines: list[str] = []
    for role in summary.roles:
        lines.append(f"{role['role']} ({role['kind']}): " + ("changes" if role["changed"] else "up to date"))
        lines += [f"  + trust {p}" for p in role["principals_added"]]
        lines += [f"  - trust {p}" for p in role["principals_removed"]]
        lines += [f"  + key   {k}" for k in role["keys_added"]]
        lines += [f"  - key   {k}" for k in role["keys_removed"]]
        change = role["change"]
        lines += [f"  + attach {name}" for name in change["attach"]]
        lines += [f"  - detach {name}" for name in change["detach"]]
        if role["prune_skipped"]:
            lines.append(f"  (nothing removed: {role['prune_skipped']})")
        if role["error"]:
            lines.append(f"  ! {role['error']}")
    for broken in summary.broken_shares:
        lines.append(f"broken: {broken.get('entity') or broken.get('resources')}: {broken['code']}: {broken['remedy']}")
    for warning in summary.warnings:
        lines.append(f"warning: {warning}")
    return lines or ["nothing to plan: no share role is in use"]


def _removals_confirmed(planned: Summary) -> bool:
    removals = [line for line in plan_lines(planned) if line.startswith(("  - trust", "  - key", "  - detach"))]
    if not removals or not planned.ok:
        return True  # nothing to remove (or it cannot be planned): the real run says why
    PROGRESS.clear()
    print("\n".join(plan_lines(planned)), file=sys.stderr)
    if not sys.stdin.isatty():
        return False
    answer = input(f"remove these {len(removals)} grants of access? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def entry_point() -> None:
    """The console script: like `main`, and Ctrl-C during start-up ends quietly too."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(_fail("interrupted", INTERRUPTED))


if __name__ == "__main__":
    entry_point()
