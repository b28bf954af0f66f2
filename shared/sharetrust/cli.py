"""`sharetrust handle [--dry-run] FILE...`: run the engine on event files (any shape; `-` is stdin)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from sharetrust.cloud.credentials import CredentialsError
from sharetrust.cloud.endpoints import EndpointError
from sharetrust.entry import run
from sharetrust.settings import SettingsError

DONE, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130
EXIT_CODES = f"""exit codes:
  {DONE}    done: every change needed was made (or, with --dry-run, planned)
  {FAILED}    a change could not be made, or the cloud refused a call (see the errors; rerunning is safe)
  {USAGE}    usage, configuration or input: a bad option or setting, no credentials, a file that cannot
       be read or is not JSON
  {INTERRUPTED}  interrupted (Ctrl-C); the role lock is released, and rerunning completes the change

settings come from the environment (SHARETRUST_*, ALIBABA_CLOUD_*); see the README."""


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
    parser = argparse.ArgumentParser(
        prog="sharetrust", description=__doc__, epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    handle = sub.add_parser(
        "handle",
        help="converge share roles for the events in FILEs",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    handle.add_argument(
        "files", nargs="+", metavar="FILE", help="event file (CloudEvent, SLS trigger, raw, list); - for stdin"
    )
    handle.add_argument("--dry-run", action="store_true", help="plan and print; make no write call")
    handle.add_argument(
        "--log", metavar="PATH", help="append one JSON line per decision to PATH (- for stderr); default: none"
    )
    args = parser.parse_args(argv)  # exits 2 with argparse's own one-line message
    try:
        payloads = [_read(name) for name in args.files]
        with _log_stream(args.log) as log:
            summary = run(payloads, dry_run=args.dry_run or None, log_stream=log, progress=PROGRESS)
    except (UnreadableInput, CredentialsError, EndpointError, SettingsError) as unusable:
        return _fail(str(unusable), USAGE)
    except KeyboardInterrupt:
        return _fail("interrupted; writes made so far are safe, and rerunning completes the change", INTERRUPTED)
    except Exception as bug:  # never a traceback for the operator; SHARETRUST_DEBUG=1 shows it
        if os.environ.get("SHARETRUST_DEBUG"):
            raise
        return _fail(f"internal error {type(bug).__name__}: {bug} (rerun with SHARETRUST_DEBUG=1 to see where)", FAILED)
    PROGRESS.clear()
    for error in summary.errors:
        print(f"sharetrust: {error}", file=sys.stderr)
    print(json.dumps(summary.as_json(), indent=2, sort_keys=True))
    return DONE if summary.ok else FAILED


def entry_point() -> None:
    """The console script: like `main`, and Ctrl-C during start-up ends quietly too."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(_fail("interrupted", INTERRUPTED))


if __name__ == "__main__":
    entry_point()
