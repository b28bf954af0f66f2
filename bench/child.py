"""Run in a fresh interpreter by the bench (`python bench/child.py MODE ARG`); prints one JSON line.

coldstart EVENT_FILE: import the on-share-event handler, then hand it its first event, as FC would
    (python3.10 context: account id and credentials from the context).
floor MODULES: import only these modules (the SDK clients the event needs), nothing else.
memory PAYLOAD_FILE: sharetrust.entry.run on one Log Service-style batch; its peak RSS.
Timing starts at the first line of this script: interpreter start-up is measured by the parent.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from types import SimpleNamespace  # noqa: E402

SDK_PREFIXES = ("alibabacloud_", "aliyun", "fc2", "Tea", "darabonba")


def sdk_packages() -> list[str]:
    return sorted({m.split(".")[0] for m in sys.modules if m.startswith(SDK_PREFIXES)})


def maxrss_kb() -> int:
    """ru_maxrss (kB on Linux). Linux carries the spawning process's peak across fork and exec into it."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def hwm_kb() -> int:
    """VmHWM: this process's own peak resident set (kB), from /proc/self/status; 0 where there is none."""
    try:
        with open("/proc/self/status") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    except OSError:
        return 0


def coldstart(event_file: str) -> dict[str, object]:
    event = open(event_file, "rb").read()  # noqa: SIM115 - read before timing starts
    context = SimpleNamespace(
        account_id=os.environ["BENCH_ACCOUNT"],
        credentials=SimpleNamespace(
            access_key_id=os.environ["BENCH_AK"], access_key_secret=os.environ["BENCH_SECRET"], security_token=None
        ),
        function=SimpleNamespace(name="on-share-event", timeout=60),
        region="cn-hangzhou",
        request_id="bench-cold-start",
    )
    before = time.perf_counter()
    import functions.on_share_event as index

    imported = time.perf_counter()
    print("MARK handler imported", file=sys.stderr, flush=True)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        index.handler(event, context)
    done = time.perf_counter()
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    return {
        "import_s": imported - before,
        "first_event_s": done - imported,
        "script_s": done - START,
        "sdk_packages": sdk_packages(),
        "api_calls": summary.get("api_calls"),
        "ok": summary.get("ok", not summary.get("errors")),
    }


def floor(modules: str) -> dict[str, object]:
    import importlib

    before = time.perf_counter()
    for name in modules.split(","):
        importlib.import_module(name)
    done = time.perf_counter()
    return {"import_s": done - before, "script_s": done - START, "sdk_packages": sdk_packages()}


def memory(payload_file: str) -> dict[str, object]:
    payload = open(payload_file).read()  # noqa: SIM115
    from sharetrust.entry import run

    after_import = hwm_kb()
    summary = run([payload], environ=dict(os.environ), log_stream=io.StringIO())
    return {
        "hwm_after_import_kb": after_import,
        "hwm_kb": hwm_kb(),
        "maxrss_kb": maxrss_kb(),
        "ok": summary.ok,
        "api_calls": sum(summary.api_calls.values()),
    }


def main() -> None:
    mode, argument = sys.argv[1], sys.argv[2]
    result = {"coldstart": coldstart, "floor": floor, "memory": memory}[mode](argument)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
