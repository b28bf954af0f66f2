"""`python -m localcloud serve [--port N] [--seed FILE]`: run the local cloud until interrupted.
`python -m localcloud can-use --url URL SHAREE RESOURCE`: ask a running local cloud's oracle."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request

from localcloud.fc import PROXY_KEYS
from localcloud.seed import SeedError
from localcloud.server import LocalCloud


def _serve(port: int, seed: str | None) -> int:
    stop = threading.Event()
    # Before the address line: whoever reads it may send SIGTERM at once.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        cloud = LocalCloud.from_seed(seed, port=port)
    except (SeedError, OSError) as bad:
        print(f"localcloud: {bad}", file=sys.stderr)
        return 2
    # What every function run here must see anyway (fc.py sets it per invocation otherwise, one at a time).
    os.environ["SHARETRUST_ENDPOINT"] = cloud.url
    for proxy in PROXY_KEYS:
        os.environ.pop(proxy, None)
    print(f"localcloud listening on {cloud.url}", flush=True)  # the first line: tests and scripts read it
    with cloud.cloud.lock:
        accounts = [(a, k) for a in cloud.cloud.accounts.values() for k in a.keys.values() if k.user is None]
        functions, triggers = len(cloud.cloud.functions), len(cloud.cloud.eventbridge_triggers)
        triggers += len(cloud.cloud.sls_triggers)
    if accounts:
        print("root access keys of the seeded accounts (ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET):")
        for account, key in accounts:
            print(f"  {account.uid} {account.name}: {key.id} / {key.secret}")
    if triggers:
        print(
            f"live: {functions} function(s) run on the calls you make, through {triggers} trigger(s), "
            "and act on this local cloud"
        )
    print("serving until Ctrl-C or SIGTERM; this terminal stays busy, use another one", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        cloud.close()
    return 0


def _can_use(url: str, sharee: str, resource: str) -> int:
    request = urllib.request.Request(
        f"{url.rstrip('/')}/_localcloud/can-use",
        data=json.dumps({"sharee": sharee, "resource": resource}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
    try:
        with opener.open(request, timeout=10) as response:
            verdict = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as failed:
        print(f"localcloud: cannot ask {url}: {failed}", file=sys.stderr)
        return 2
    if verdict["usable"]:
        print(f"yes: {sharee} can use {resource}")
        return 0
    print(f"no ({verdict['missing_link']}): {verdict['reason']}")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the local cloud on 127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (default)")
    serve.add_argument("--seed", help="YAML or JSON seed file (see localcloud/README.md)")
    ask = sub.add_parser("can-use", help="can SHAREE's ECS use RESOURCE now? exit 0 yes, 1 no, 2 no answer")
    ask.add_argument("--url", required=True, help="the address serve printed")
    ask.add_argument("sharee", help="account UID")
    ask.add_argument("resource", help="image or snapshot id")
    args = parser.parse_args(argv)
    if args.command == "can-use":
        return _can_use(args.url, args.sharee, args.resource)
    return _serve(args.port, args.seed)


if __name__ == "__main__":
    sys.exit(main())
