"""`sharetrust handle [--dry-run] FILE...`: run the engine on event files (any shape; `-` is stdin)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sharetrust.cloud.credentials import CredentialsError
from sharetrust.cloud.endpoints import EndpointError
from sharetrust.entry import run
from sharetrust.settings import SettingsError


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    return Path(name).read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sharetrust", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    handle = sub.add_parser("handle", help="converge share roles for the events in FILEs")
    handle.add_argument(
        "files", nargs="+", metavar="FILE", help="event file (CloudEvent, SLS trigger, raw, list); - for stdin"
    )
    handle.add_argument("--dry-run", action="store_true", help="plan and print; make no write call")
    args = parser.parse_args(argv)
    payloads: list[bytes] = []
    for name in args.files:
        try:
            payloads.append(_read(name))
        except OSError as unreadable:
            print(f"sharetrust: cannot read {name}: {unreadable.strerror}", file=sys.stderr)
            return 2
    try:
        summary = run(payloads, dry_run=args.dry_run or None)
    except (CredentialsError, EndpointError, SettingsError) as misconfigured:
        print(f"sharetrust: {misconfigured}", file=sys.stderr)
        return 2
    print(json.dumps(summary.as_json(), indent=2, sort_keys=True))
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
