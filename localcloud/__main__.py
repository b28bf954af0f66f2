"""`python -m localcloud serve --port 0 [--seed FILE]`: run the local cloud until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from localcloud.seed import SeedError
from localcloud.server import LocalCloud


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localcloud")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the local cloud on 127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (default)")
    serve.add_argument("--seed", help="YAML or JSON seed file (see localcloud/README.md)")
    args = parser.parse_args(argv)
    try:
        cloud = LocalCloud.from_seed(args.seed, port=args.port)
    except (SeedError, OSError) as bad:
        print(f"localcloud: {bad}", file=sys.stderr)
        return 2
    print(f"localcloud listening on {cloud.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        cloud.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
